import type { CallDetail, CallSummary, ListenerStatus } from "../api/types";

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
    recording: {
      state: "none",
      bytes: null,
      total_bytes: null,
      content_type: null,
      duration_seconds: null,
      error: null,
      path: null,
      media_url: null,
    },
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
