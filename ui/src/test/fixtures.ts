import type { CallDetail, CallSummary, ListenerStatus, Recording, Settings } from "../api/types";

export function callSummary(over: Partial<CallSummary> = {}): CallSummary {
  return {
    id: 1,
    status: "completed",
    customer_phone: "+14155550123",
    assistant_phone: "+18885550100",
    duration: 125,
    created_at: "2025-03-04T10:00:00Z",
    finished_at: "2025-03-04T10:02:05Z",
    created_at_ms: Date.UTC(2025, 2, 4, 10),
    summary: "Booked a cleaning for Thursday.",
    objective_achieved: true,
    campaign: "Spring renewals",
    has_recording: true,
    recovered: false,
    review: { my_state: "unreviewed", any_flagged: false, reviewed_by: 0, tags: [], score: null },
    ...over,
  };
}

export function callDetail(over: Partial<CallDetail> = {}): CallDetail {
  return {
    id: 7,
    customer_phone: "+14155550123",
    assistant_phone: "+18885550100",
    duration: 125,
    status: "completed",
    summary: "Booked a cleaning.",
    objective_achieved: true,
    extracted_variables: { status: true },
    input_variables: { first_name: "Maria" },
    evidence: {},
    transcript: [
      { index: 0, sender: "bot", text: "Hello Maria", timestamp: null, offset_seconds: 0 },
      { index: 1, sender: "human", text: "Hi there", timestamp: null, offset_seconds: 65 },
    ],
    formatted_transcript: null,
    recording_url: null,
    created_at: "2025-03-04T10:00:00Z",
    finished_at: "2025-03-04T10:02:05Z",
    created_at_ms: Date.UTC(2025, 2, 4, 10),
    finished_at_ms: Date.UTC(2025, 2, 4, 10, 2, 5),
    lead: null,
    campaign: null,
    transfers: null,
    sources: ["webhook"],
    deliveries: [],
    raw: {},
    recording: recording(),
    review: { states: [], notes: [], tags: [], scores: [], assignee: null },
    other_fields: {},
    ...over,
  };
}

export const runningListener: ListenerStatus = {
  state: "running",
  bind: "127.0.0.1:8787",
  port: 8787,
  webhook_url: "http://127.0.0.1:8787/hooks/abc123",
  error: null,
};

/** A recording in the given state; `none` with no URL unless overridden. */
export function recording(over: Partial<Recording> = {}): Recording {
  return {
    state: "none",
    url: null,
    bytes: null,
    total_bytes: null,
    content_type: null,
    format: null,
    duration_seconds: null,
    error: null,
    path: null,
    attempts: 0,
    offset_seconds: 0,
    has_peaks: false,
    media_url: null,
    local: false,
    ...over,
  };
}

/** A ready vault copy played through the loopback media listener. */
export function readyRecording(over: Partial<Recording> = {}): Recording {
  return recording({
    state: "ready",
    url: "https://cdn.example.com/rec/7.mp3",
    bytes: 1_200_000,
    total_bytes: 1_200_000,
    content_type: "audio/mpeg",
    format: "MP3",
    duration_seconds: 125,
    path: "/home/sam/.local/share/postcall/recordings/7.mp3",
    attempts: 1,
    media_url: "http://127.0.0.1:5555/media/7",
    local: true,
    ...over,
  });
}

export function settings(over: Partial<Settings> = {}): Settings {
  return {
    theme: "system",
    notifications: true,
    close_to_tray: true,
    tunnel_on_start: false,
    port: 8787,
    recordings_auto_download: true,
    recordings_keep_days: null,
    recordings_max_gb: null,
    recordings_allow_private_hosts: [],
    recordings_key_hosts: [],
    ...over,
  };
}
