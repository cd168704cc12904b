// An in-memory back end for working on the UI in a plain browser (no Tauri): realistic sample
// calls, keyset-like paging, search with snippets, and the same events as the real app.
// Loaded only by the dev server or with `?demo`; never part of the app's normal start-up.

import { CommandError, type Transport, type Unlisten } from "./client";
import { createDemoReview } from "./demoReview";
import { createDemoTeam } from "./demoTeam";
import type {
  AppStatus,
  CallDetail,
  CallPage,
  CallQuery,
  CallSummary,
  Delivery,
  Facets,
  Json,
  ListenerStatus,
  Peaks,
  PruneReport,
  Recording,
  RecordingProgress,
  SearchHit,
  Settings,
  SnippetPart,
  Turn,
  VaultStatus,
} from "./types";

function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
}

const firstNames = ["Maria", "James", "Aisha", "Chen", "Lucas", "Sofia", "Omar", "Emma", "Noah", "Priya", "Diego", "Hana"];
const lastNames = ["Garcia", "Smith", "Khan", "Wei", "Martin", "Rossi", "Haddad", "Johnson", "Brown", "Patel", "Lopez", "Sato"];
const campaigns = ["Spring renewals", "Dental reminders", "Lead follow-up", "Win-back Q2"];
const summaries = [
  "Customer confirmed the appointment for Thursday at 10am and asked for an SMS reminder.",
  "Caller was interested in the premium plan but wants a quote by email before deciding.",
  "Customer asked to reschedule to next week; new slot booked for Tuesday afternoon.",
  "Left a voicemail with the callback number; no conversation took place.",
  "Customer declined the renewal offer, citing price. Asked not to be called again this month.",
  "Verified account details and updated the billing address. Customer satisfied.",
  "Customer reported a billing issue on the last invoice; escalated to support with ticket ZX-4471-QQ.",
  "Booked a cleaning appointment for the whole family (3 people) on Saturday morning.",
];

function turnsFor(i: number, name: string, r: () => number): Turn[] {
  const scripts: [string, string][][] = [
    [
      ["bot", `Hi ${name}, this is Ava calling from Brightsmile Dental. Do you have a minute?`],
      ["human", "Sure, what's this about?"],
      ["bot", "You're due for your six-month cleaning. Would Thursday at 10am work for you?"],
      ["human", "Thursday at ten works. Can you send me a text reminder the day before?"],
      ["bot", "Absolutely. I've booked Thursday at 10am and you'll get an SMS reminder on Wednesday."],
      ["human", "Perfect, thank you!"],
      ["bot", "Have a great day!"],
    ],
    [
      ["bot", `Hello ${name}, I'm calling about your subscription renewal. Is now a good time?`],
      ["human", "I have a few minutes. How much is the premium plan now?"],
      ["bot", "The premium plan is 49 dollars a month, or 490 dollars billed yearly."],
      ["human", "Hmm, could you email me a quote? I need to check with my partner."],
      ["bot", "Of course. I'll send the quote to the email on file. Anything else?"],
      ["human", "No, that's all for now."],
    ],
    [
      ["bot", `Hi ${name}, I'm following up on the billing question you raised last week.`],
      ["human", "Yes, the last invoice charged me twice for the same month."],
      ["bot", "I'm sorry about that. I've opened ticket ZX-4471-QQ with our billing team."],
      ["human", "How long will the refund take?"],
      ["bot", "Usually three to five business days. You'll get an email once it's processed."],
      ["human", "Okay, thanks for sorting it out."],
    ],
  ];
  const script = scripts[i % scripts.length] ?? [];
  let t = 0;
  return script.map(([sender, text], index) => {
    const turn: Turn = { index, sender, text, timestamp: null, offset_seconds: t };
    t += 3 + Math.floor(r() * 14);
    return turn;
  });
}

const VAULT = "/home/sam/.local/share/postcall/recordings";

/** A spread of recording states: most in the vault, some failed, some not downloaded. */
function demoRecording(id: number, has: boolean, duration: number): Recording {
  const url = `https://cdn.intellixent.example/rec/${id}.mp3`;
  const base: Recording = {
    state: "none",
    url: has ? url : null,
    bytes: null,
    total_bytes: null,
    content_type: has ? "audio/mpeg" : null,
    format: has ? "MP3" : null,
    duration_seconds: has ? duration : null,
    error: null,
    path: null,
    attempts: 0,
    offset_seconds: 0,
    has_peaks: false,
    media_url: has ? url : null,
    local: false,
  };
  if (!has) return base;
  if (id % 9 === 0) {
    return { ...base, state: "failed", attempts: 3, error: "The recording host answered 403 Forbidden: the link has probably expired." };
  }
  if (id % 7 === 0) return { ...base, error: "Automatic download is off." };
  const bytes = duration * 8000 + 44;
  return {
    ...base,
    state: "ready",
    bytes,
    total_bytes: bytes,
    content_type: "audio/wav",
    format: "WAV",
    path: `${VAULT}/${id}.wav`,
    attempts: 1,
    has_peaks: true,
    local: true,
    // Filled in with a generated clip when the call is opened.
    media_url: null,
  };
}

/** Loudness of the demo clip at time t: the voice of whoever speaks, with syllable-like pulses. */
function demoEnvelope(turns: Turn[], t: number): { amp: number; freq: number } {
  let speaker: Turn | null = null;
  let next = Infinity;
  for (const turn of turns) {
    if (turn.offset_seconds === null) continue;
    if (turn.offset_seconds <= t) speaker = turn;
    else next = Math.min(next, turn.offset_seconds);
  }
  if (!speaker || speaker.offset_seconds === null) return { amp: 0, freq: 0 };
  const into = t - speaker.offset_seconds;
  const talk = Math.min(Number.isFinite(next) ? (next - speaker.offset_seconds) * 0.75 : 12, 2 + speaker.text.length / 3);
  if (into > talk) return { amp: 0.02, freq: 0 };
  const pulse = 0.45 + 0.55 * Math.abs(Math.sin(Math.PI * 3.3 * into + speaker.index));
  return { amp: 0.5 * pulse, freq: speaker.sender === "bot" ? 220 : 300 };
}

/** A small 8 kHz 8-bit WAV of tones standing in for voices, as a blob: URL. */
function demoClip(turns: Turn[], duration: number): string {
  const rate = 8000;
  const n = Math.max(1, Math.floor(duration * rate));
  const buf = new ArrayBuffer(44 + n);
  const v = new DataView(buf);
  const ascii = (o: number, str: string) => {
    for (let i = 0; i < str.length; i++) v.setUint8(o + i, str.charCodeAt(i));
  };
  ascii(0, "RIFF");
  v.setUint32(4, 36 + n, true);
  ascii(8, "WAVEfmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate, true);
  v.setUint16(32, 1, true);
  v.setUint16(34, 8, true);
  ascii(36, "data");
  v.setUint32(40, n, true);
  let env = demoEnvelope(turns, 0);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    if (i % 400 === 0) env = demoEnvelope(turns, t);
    const sample = env.freq > 0 ? env.amp * Math.sin(2 * Math.PI * env.freq * t) : 0;
    v.setUint8(44 + i, Math.round(128 + 127 * sample));
  }
  return URL.createObjectURL(new Blob([buf], { type: "audio/wav" }));
}

function demoPeaks(turns: Turn[], duration: number): Peaks {
  const count = Math.min(4000, Math.max(1, Math.floor(duration * 20)));
  const peaks: number[] = [];
  for (let i = 0; i < count; i++) peaks.push(Math.min(1, demoEnvelope(turns, (i / count) * duration).amp * 1.8));
  return { duration_seconds: duration, peaks };
}

interface DemoCall {
  summary: CallSummary;
  detail: CallDetail;
  /** with their bodies (the detail lists them without) */
  deliveries: Delivery[];
}

/** A delivery as the detail lists it: without its body. */
function head(d: Delivery): CallDetail["deliveries"][number] {
  const { id, received_at, source, content_type, outcome, error, call_id } = d;
  return { id, received_at, source, content_type, outcome, error, call_id, body_bytes: new TextEncoder().encode(d.body).length };
}

function makeCall(id: number, createdMs: number, r: () => number, xss = false): DemoCall {
  const statusRoll = r();
  const status =
    statusRoll < 0.62 ? "completed" : statusRoll < 0.74 ? "no-answer" : statusRoll < 0.82 ? "busy" : statusRoll < 0.88 ? "failed" : "voicemail";
  const first = firstNames[Math.floor(r() * firstNames.length)] ?? "Alex";
  const last = lastNames[Math.floor(r() * lastNames.length)] ?? "Doe";
  const talked = status === "completed";
  const duration = talked ? 35 + Math.floor(r() * 420) : status === "voicemail" ? 20 + Math.floor(r() * 25) : 0;
  const objective = talked ? r() < 0.7 : status === "voicemail" ? false : null;
  const campaignName = r() < 0.8 ? (campaigns[Math.floor(r() * campaigns.length)] ?? null) : null;
  const customer = `+1415555${String(1000 + Math.floor(r() * 8999))}`;
  const assistant = r() < 0.6 ? "+18885550100" : "+18885550142";
  const hasRecording = talked && r() < 0.85;
  let summary = talked ? (summaries.filter((_, k) => k !== 3)[Math.floor(r() * (summaries.length - 1))] ?? null) : status === "voicemail" ? summaries[3] ?? null : null;
  let transcript = talked ? turnsFor(id, first, r) : [];
  const extracted: { [k: string]: Json } = talked
    ? {
        status: objective,
        appointment_date: objective ? "2025-06-12T10:00:00" : null,
        callback_requested: r() < 0.3,
        interest_level: Math.round(r() * 10),
        notes: "Prefers mornings. Speaks English and Spanish.",
        preferences: { contact_time: "morning", channels: ["sms", "email"], do_not_call: false },
      }
    : {};
  const input: { [k: string]: Json } = {
    first_name: first,
    last_name: last,
    account_id: `AC-${id * 7}`,
    plan: { name: "premium", seats: 3, monthly_price: 49.0 },
  };
  // Spread the turns over the call, as in a real recording.
  const lastAt = transcript[transcript.length - 1]?.offset_seconds ?? 0;
  if (lastAt > 0 && duration > lastAt) {
    const k = (duration * 0.85) / lastAt;
    transcript = transcript.map((t) => ({ ...t, offset_seconds: t.offset_seconds === null ? null : Math.round(t.offset_seconds * k) }));
  }
  if (xss) {
    summary = "Payload test: <img src=x onerror=alert(1)> and <script>alert('x')</script>";
    transcript = [
      { index: 0, sender: "bot", text: "Hello! <b>bold?</b>", timestamp: null, offset_seconds: 0 },
      { index: 1, sender: "human", text: "<img src=x onerror=alert(1)> <script>alert(1)</script>", timestamp: null, offset_seconds: 4 },
    ];
    extracted.notes = "<script>alert(document.cookie)</script>";
  }
  const createdIso = new Date(createdMs).toISOString();
  const finishedMs = createdMs + duration * 1000;
  const payload: Json = {
    id,
    status,
    customer_phone: customer,
    assistant_phone: assistant,
    duration,
    created_at: createdIso,
    finished_at: new Date(finishedMs).toISOString(),
    summary,
    extracted_variables: extracted,
    input_variables: input,
    transcript: transcript.map((t) => ({ sender: t.sender, text: t.text })),
  };
  const delivery: Delivery = {
    id: id * 3,
    received_at: new Date(finishedMs + 2000).toISOString(),
    source: "webhook",
    content_type: "application/json",
    outcome: "stored",
    error: null,
    call_id: id,
    body: JSON.stringify(payload),
    body_encoding: "utf8",
  };
  const recovered = r() < 0.06;
  return {
    summary: {
      id,
      status,
      customer_phone: customer,
      assistant_phone: assistant,
      duration,
      created_at: createdIso,
      finished_at: new Date(finishedMs).toISOString(),
      created_at_ms: createdMs,
      summary,
      objective_achieved: objective,
      campaign: campaignName,
      has_recording: hasRecording,
      recovered,
      review: { my_state: "unreviewed", any_flagged: false, reviewed_by: 0, tags: [], score: null },
    },
    detail: {
      id,
      customer_phone: customer,
      assistant_phone: assistant,
      duration,
      status,
      summary,
      objective_achieved: objective,
      extracted_variables: extracted,
      input_variables: input,
      evidence: {},
      transcript,
      formatted_transcript: null,
      recording_url: hasRecording ? `https://cdn.intellixent.example/rec/${id}.mp3` : null,
      created_at: createdIso,
      finished_at: new Date(finishedMs).toISOString(),
      created_at_ms: createdMs,
      finished_at_ms: finishedMs,
      lead: campaignName ? { name: `${first} ${last}`, email: `${first.toLowerCase()}@example.com`, score: 72 } : null,
      campaign: campaignName ? { name: campaignName, id: 12 } : null,
      transfers: null,
      sources: recovered ? ["api"] : ["webhook"],
      deliveries: [head(delivery)],
      raw: null,
      recording: demoRecording(id, hasRecording, duration),
      review: { states: [], notes: [], tags: [], scores: [], assignee: null },
      other_fields: {},
    },
    deliveries: [delivery],
  };
}

function keyOf(c: CallSummary, q: CallQuery): number {
  return q.sort === "duration" ? (c.duration ?? -1) : (c.created_at_ms ?? 0);
}

function matches(c: DemoCall, q: CallQuery): boolean {
  const s = c.summary;
  if (q.statuses && q.statuses.length > 0 && !q.statuses.includes(s.status ?? "")) return false;
  if (q.from_ms != null && (s.created_at_ms ?? 0) < q.from_ms) return false;
  if (q.to_ms != null && (s.created_at_ms ?? 0) >= q.to_ms) return false;
  if (q.objective != null && s.objective_achieved !== q.objective) return false;
  if (q.campaign && s.campaign !== q.campaign) return false;
  if (q.has_recording != null && s.has_recording !== q.has_recording) return false;
  if (q.recovered != null && s.recovered !== q.recovered) return false;
  if (q.phone) {
    const digits = q.phone.replace(/\D/g, "");
    const hay = `${s.customer_phone ?? ""} ${s.assistant_phone ?? ""}`;
    if (!hay.includes(digits || q.phone)) return false;
  }
  if (q.search) {
    const needle = q.search.toLowerCase();
    const text = [s.summary ?? "", ...c.detail.transcript.map((t) => t.text), String(s.id), s.customer_phone ?? ""]
      .join("\n")
      .toLowerCase();
    if (!needle.split(/\s+/).every((w) => text.includes(w))) return false;
  }
  return true;
}

function snippet(text: string, words: string[]): SnippetPart[] | null {
  const lower = text.toLowerCase();
  const first = words.map((w) => lower.indexOf(w)).filter((i) => i >= 0).sort((a, b) => a - b)[0];
  if (first === undefined) return null;
  const start = Math.max(0, first - 40);
  const end = Math.min(text.length, first + 80);
  const window = (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  const re = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  return window
    .split(re)
    .filter((p) => p.length > 0)
    .map((p) => ({ text: p, hit: words.includes(p.toLowerCase()) }));
}

export function createDemoTransport(params: URLSearchParams): Transport {
  const r = rng(42);
  const now = Date.now();
  const calls: DemoCall[] = [];
  if (!params.has("empty")) {
    let t = now - 2 * 60_000;
    for (let i = 0; i < 56; i++) {
      calls.push(makeCall(4820 - i, t, r, i === 9));
      t -= (i < 8 ? 6 : 45) * 60_000 * (0.3 + r() * 2);
    }
  }
  const failed: Delivery[] = [
    {
      id: 9001,
      received_at: new Date(now - 3 * 3600_000).toISOString(),
      source: "webhook",
      content_type: "application/json",
      outcome: "failed",
      error: "Body is not valid JSON: expected ',' or '}' at line 1 column 58",
      call_id: null,
      body: '{"id": 5120, "status": "completed", "customer_phone": "+14155550199" "duration": 42}',
      body_encoding: "utf8",
    },
    {
      id: 9002,
      received_at: new Date(now - 26 * 3600_000).toISOString(),
      source: "webhook",
      content_type: "text/plain",
      outcome: "failed",
      error: "The payload has no call id",
      call_id: null,
      body: '{"status":"completed","summary":"<img src=x onerror=alert(1)>"}',
      body_encoding: "utf8",
    },
  ];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((cb) => cb(payload));
  const failedListener = params.has("failed");
  let listener: ListenerStatus = failedListener
    ? {
        state: "failed",
        bind: "127.0.0.1:8787",
        port: null,
        webhook_url: null,
        error: "Port 8787 is already in use by another program. Pick another port in Settings.",
      }
    : {
        state: "running",
        bind: "127.0.0.1:8787",
        port: 8787,
        webhook_url: "http://127.0.0.1:8787/hooks/6f1d2c9a8b7e4f30a1b2c3d4e5f60718",
        error: null,
      };
  const themeParam = params.get("theme");
  let settings: Settings = {
    theme: themeParam === "dark" || themeParam === "light" ? themeParam : "system",
    notifications: true,
    close_to_tray: true,
    tunnel_on_start: false,
    port: 8787,
    recordings_auto_download: true,
    recordings_keep_days: 90,
    recordings_max_gb: null,
    recordings_allow_private_hosts: [],
    recordings_key_hosts: [],
  };
  const clips = new Map<number, string>();
  const findCall = (id: unknown): DemoCall => {
    const c = calls.find((x) => x.summary.id === id);
    if (!c) throw new CommandError("not_found", `Call #${String(id)} is not in the database.`);
    return c;
  };
  /** Pretend to download: queued, a few seconds of progress, then in the vault. */
  const download = (c: DemoCall) => {
    const d = c.detail;
    const total = Math.max(1, d.duration ?? 60) * 8000 + 44;
    const send = (state: Recording["state"], bytes: number | null) => {
      d.recording = { ...d.recording, state, bytes, total_bytes: total, error: null };
      const p: RecordingProgress = { id: d.id, state, bytes, total_bytes: total, error: null };
      emit("recordings-changed", p);
    };
    d.recording = { ...d.recording, attempts: d.recording.attempts + 1 };
    send("queued", null);
    let got = 0;
    const tick = setInterval(() => {
      got = Math.min(total, got + Math.ceil(total / 16));
      if (got < total) {
        send("downloading", got);
        return;
      }
      clearInterval(tick);
      d.recording = {
        ...d.recording,
        content_type: "audio/wav",
        format: "WAV",
        path: `${VAULT}/${d.id}.wav`,
        has_peaks: true,
        local: true,
        media_url: null,
      };
      send("ready", total);
    }, 250);
  };
  const vault = (): VaultStatus => {
    const recs = calls.map((c) => c.detail.recording);
    const count = (s: Recording["state"]) => recs.filter((x) => x.state === s).length;
    return {
      dir: VAULT,
      ready: count("ready"),
      queued: count("queued"),
      downloading: count("downloading"),
      none: count("none"),
      failed: count("failed"),
      bytes: recs.reduce((n, x) => n + (x.state === "ready" ? (x.bytes ?? 0) : 0), 0),
    };
  };
  let viewState: Json | null = null;
  let nextId = 4821;

  const sorted = (q: CallQuery): CallSummary[] =>
    calls
      .filter((c) => matches(c, q) && review.matches(c, q))
      .map((c) => review.decorate(c.summary))
      .sort((a, b) => {
        const d = keyOf(a, q) - keyOf(b, q) || a.id - b.id;
        return q.order === "asc" ? d : -d;
      });

  // `?reviewer` starts with a reviewer already set (screenshots); otherwise the first review action asks.
  const review = createDemoReview({
    calls,
    emit,
    sorted,
    reviewer: params.has("reviewer") ? { name: "Sam Lee", email: "sam@example.com" } : null,
  });

  const addCall = (): number => {
    const id = nextId++;
    const c = makeCall(id, Date.now(), r);
    calls.unshift(c);
    setTimeout(() => emit("calls-changed", { ids: [id], total: calls.length }), 200);
    return id;
  };
  if (params.has("live")) setInterval(addCall, 5000);

  const handlers: Record<string, (args: Record<string, unknown>) => unknown> = {
    get_startup: () => ({ state: "ready", step: null, error: null }),
    get_status: (): AppStatus => ({
      version: "0.1.0 (demo)",
      data_dir: "/home/sam/.local/share/postcall",
      db_path: "/home/sam/.local/share/postcall/postcall.sqlite",
      listener,
      calls_total: calls.length,
      failed_deliveries: failed.length,
      indexing_errors: 0,
      pipeline_error: null,
      last_call: calls[0]?.summary ?? null,
    }),
    list_calls: (a): CallPage => {
      const q = a.query as CallQuery;
      const all = sorted(q);
      const offset = q.cursor ? Number(q.cursor) : 0;
      const limit = q.limit ?? 100;
      const items = all.slice(offset, offset + limit);
      return { items, next_cursor: offset + limit < all.length ? String(offset + limit) : null };
    },
    count_calls: (a) => sorted(a.query as CallQuery).length,
    call_facets: (): Facets => {
      const count = (f: (c: CallSummary) => string | null) => {
        const m = new Map<string, number>();
        for (const c of calls) {
          const v = f(c.summary);
          if (v) m.set(v, (m.get(v) ?? 0) + 1);
        }
        return [...m].map(([value, n]) => ({ value, count: n })).sort((x, y) => y.count - x.count);
      };
      return { statuses: count((c) => c.status), campaigns: count((c) => c.campaign) };
    },
    search_calls: (a): SearchHit[] => {
      const words = String(a.query).toLowerCase().replace(/["*]/g, " ").split(/\s+/).filter(Boolean);
      const hits: SearchHit[] = [];
      for (const c of calls) {
        const base = {
          call_id: c.summary.id,
          created_at_ms: c.summary.created_at_ms,
          customer_phone: c.summary.customer_phone,
          status: c.summary.status,
          summary: c.summary.summary,
          rank: 0,
        };
        for (const t of c.detail.transcript) {
          const parts = snippet(t.text, words);
          if (parts)
            hits.push({ ...base, turn_index: t.index, sender: t.sender, field: "transcript", snippet_parts: parts, snippet: parts.map((p) => (p.hit ? `[${p.text}]` : p.text)).join("") });
        }
        const phone = c.summary.customer_phone ?? "";
        if (words.some((w) => phone.includes(w)))
          hits.push({ ...base, turn_index: null, sender: null, field: "phone", snippet: phone, snippet_parts: [{ text: phone, hit: true }] });
      }
      return hits.slice(0, Number(a.limit) || 50);
    },
    get_call: (a) => {
      const c = findCall(a.id);
      const r = c.detail.recording;
      if (r.state === "ready" && r.local && !r.media_url) {
        const clip = clips.get(c.detail.id) ?? demoClip(c.detail.transcript, c.detail.duration ?? 60);
        clips.set(c.detail.id, clip);
        c.detail.recording = { ...r, media_url: clip };
      }
      return structuredClone(c.detail);
    },
    recording_peaks: (a) => {
      const d = findCall(a.id).detail;
      return d.recording.has_peaks ? demoPeaks(d.transcript, d.duration ?? 60) : null;
    },
    recording_fetch: (a) => {
      const c = findCall(a.id);
      if (!c.detail.recording.url) throw new CommandError("not_found", "This call has no recording URL.");
      download(c);
      return null;
    },
    recording_set_offset: (a) => {
      const d = findCall(a.id).detail;
      d.recording = { ...d.recording, offset_seconds: Number(a.seconds) };
      return null;
    },
    recording_save: (a) => {
      const d = findCall(a.id).detail;
      return `/home/sam/Music/call-${d.id}.${(d.recording.format ?? "audio").toLowerCase()}`;
    },
    recordings_status: () => vault(),
    recordings_prune: (): PruneReport => ({ removed: 0, freed_bytes: 0 }),
    list_deliveries: (a) => (a.failedOnly ? failed : [...failed, ...calls.flatMap((c) => c.deliveries)]),
    reprocess_delivery: (a) => ({
      delivery_id: a.id,
      outcome: "failed",
      call_id: null,
      error: failed.find((d) => d.id === a.id)?.error ?? "not found",
    }),
    get_delivery: (a) => {
      const all = [...failed, ...calls.flatMap((c) => c.deliveries)];
      const d = all.find((x) => x.id === a.id);
      if (!d) throw new CommandError("not_found", `delivery ${String(a.id)} not found`);
      return d;
    },
    curl_for_delivery: (a) =>
      `curl -X POST '${listener.webhook_url ?? "http://127.0.0.1:8787/hooks/SECRET"}' -H 'Content-Type: application/json' --data-binary @delivery-${String(a.id)}.json`,
    send_test_call: () => addCall(),
    get_settings: () => settings,
    save_settings: (a) => {
      settings = a.settings as Settings;
      return settings;
    },
    set_listener_port: (a) => {
      const port = Number(a.port);
      if (port === 8787 && failedListener) throw new CommandError("port_in_use", "Port 8787 is already in use by another program. Pick another port.");
      listener = { state: "running", bind: `127.0.0.1:${port}`, port, webhook_url: `http://127.0.0.1:${port}/hooks/6f1d2c9a8b7e4f30a1b2c3d4e5f60718`, error: null };
      setTimeout(() => emit("listener-changed", listener), 0);
      return listener;
    },
    rotate_secret: () => {
      listener = { ...listener, webhook_url: `http://127.0.0.1:${listener.port ?? 8787}/hooks/${Math.random().toString(16).slice(2).padEnd(32, "0")}` };
      return listener;
    },
    load_view_state: () => viewState,
    save_view_state: (a) => {
      viewState = a.state as Json;
      return null;
    },
    reveal_data_dir: () => null,
    ...review.handlers,
    ...createDemoTeam(),
  };

  return {
    invoke: (cmd: string, args: Record<string, unknown> = {}) =>
      new Promise<unknown>((resolve, reject) => {
        const h = handlers[cmd];
        setTimeout(() => {
          try {
            if (!h) throw new CommandError("unexpected", `Unknown command ${cmd}`);
            resolve(h(args));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        }, 15 + Math.random() * 30);
      }),
    listen: (event: string, cb: (payload: unknown) => void): Promise<Unlisten> => {
      const set = listeners.get(event) ?? new Set();
      set.add(cb);
      listeners.set(event, set);
      return Promise.resolve(() => {
        set.delete(cb);
      });
    },
  };
}
