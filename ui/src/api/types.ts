// The IPC contract between the Rust shell (src-tauri/src/commands) and the UI.
// Field names are exactly what the Rust side serializes (snake_case).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One row of the call log. */
export interface CallSummary {
  id: number;
  status: string | null;
  customer_phone: string | null;
  assistant_phone: string | null;
  /** seconds */
  duration: number | null;
  /** original strings from the payload */
  created_at: string | null;
  finished_at: string | null;
  /** parsed, Unix milliseconds UTC (null when the payload had no usable time) */
  created_at_ms: number | null;
  summary: string | null;
  /** extracted_variables.status */
  objective_achieved: boolean | null;
  campaign: string | null;
  has_recording: boolean;
  /** seen only through the API backfill, never by webhook */
  recovered: boolean;
  /** the review state of the call (absent from back ends without review: read as unreviewed) */
  review?: RowReview;
}

export type SortKey = "time" | "duration";
export type SortOrder = "desc" | "asc";

export interface CallQuery {
  search?: string | null;
  statuses?: string[];
  /** inclusive lower bound on created_at, Unix ms */
  from_ms?: number | null;
  /** exclusive upper bound on created_at, Unix ms */
  to_ms?: number | null;
  objective?: boolean | null;
  campaign?: string | null;
  has_recording?: boolean | null;
  phone?: string | null;
  recovered?: boolean | null;
  sort?: SortKey;
  order?: SortOrder;
  /** calls carrying every one of these tags */
  tags?: string[];
  /** with `reviewer`: that reviewer's state; without: by anyone ("unreviewed" = nobody reviewed or flagged it) */
  review_state?: ReviewState | null;
  /** email; the UI sends the current reviewer's for "mine" */
  reviewer?: string | null;
  vars?: VarFilter[];
  /** opaque keyset cursor from a previous page */
  cursor?: string | null;
  /** default 100, max 500 */
  limit?: number;
}

export interface CallPage {
  items: CallSummary[];
  /** null on the last page */
  next_cursor: string | null;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface Facets {
  statuses: FacetValue[];
  campaigns: FacetValue[];
}

export interface Turn {
  index: number;
  /** "bot" | "human" as sent (other strings are kept as given) */
  sender: string;
  text: string;
  /** the payload's own timestamp (epoch seconds), null when unknown */
  timestamp: number | null;
  /** seconds from the call start (first turn or created_at), null when unknown */
  offset_seconds: number | null;
}

export type DeliverySource = "webhook" | "import" | "api";

export interface Delivery {
  id: number;
  received_at: string;
  source: DeliverySource;
  content_type: string | null;
  outcome: "stored" | "failed";
  error: string | null;
  call_id: number | null;
  /** the exact raw body: text when UTF-8, else base64 */
  body: string;
  body_encoding: "utf8" | "base64";
}

/** A delivery as the call detail lists it: its body is loaded when opened (`getDelivery`). */
export type DeliveryHead = Omit<Delivery, "body" | "body_encoding"> & { body_bytes?: number };

export type RecordingState = "queued" | "downloading" | "ready" | "failed" | "none";

export interface Recording {
  state: RecordingState;
  /** the remote recording_url from the payload */
  url: string | null;
  /** bytes downloaded so far, or the file size when ready */
  bytes: number | null;
  /** expected size when known */
  total_bytes: number | null;
  /** e.g. "audio/mpeg", "audio/mp4", "audio/wav" */
  content_type: string | null;
  /** short label: "MP3", "AAC (M4A)", "WAV", "Ogg", "FLAC", "WebM" */
  format: string | null;
  duration_seconds: number | null;
  /** why it failed (plain words), or why it was removed */
  error: string | null;
  /** absolute path of the vault copy when ready */
  path: string | null;
  attempts: number;
  /** nudge added to every turn's time to line the transcript up with the audio */
  offset_seconds: number;
  has_peaks: boolean;
  /** what <audio> plays: loopback URL of the vault copy when ready, else the remote http(s) URL, else null */
  media_url: string | null;
  /** media_url is the vault copy */
  local: boolean;
}

/** The recording's loudness envelope: values 0..1, evenly spaced over the duration. */
export interface Peaks {
  duration_seconds: number;
  peaks: number[];
}

/** Payload of the "recordings-changed" event: on every state change, and a few times a second while downloading. */
export interface RecordingProgress {
  id: number;
  state: RecordingState;
  bytes: number | null;
  total_bytes: number | null;
  error: string | null;
}

/** The recordings vault as a whole. */
export interface VaultStatus {
  dir: string;
  ready: number;
  queued: number;
  downloading: number;
  failed: number;
  bytes: number;
}

/** What applying the retention settings removed (audio files only, never calls). */
export interface PruneReport {
  removed: number;
  freed_bytes: number;
}

export interface CallDetail {
  id: number;
  customer_phone: string | null;
  assistant_phone: string | null;
  duration: number | null;
  status: string | null;
  summary: string | null;
  objective_achieved: boolean | null;
  extracted_variables: { [key: string]: Json };
  input_variables: { [key: string]: Json };
  transcript: Turn[];
  formatted_transcript: string | null;
  recording_url: string | null;
  created_at: string | null;
  finished_at: string | null;
  created_at_ms: number | null;
  finished_at_ms: number | null;
  lead: Json | null;
  campaign: Json | null;
  transfers: Json[] | null;
  sources: DeliverySource[];
  deliveries: DeliveryHead[];
  /** the latest raw payload (`postcall show --json` only; the window does not load it) */
  raw?: Json;
  recording: Recording;
  /** for each quotable extracted variable, the turns where its value was said (empty: never said) */
  evidence?: Record<string, Evidence[]>;
}

export interface Evidence {
  /** 0-based index into the transcript (Turn.index) */
  turn: number;
  quote: string;
  /** 0–1 */
  score: number;
}

export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface SearchHit {
  call_id: number;
  /** the matching transcript turn, when the match is in the transcript */
  turn_index: number | null;
  sender: string | null;
  /** where it matched: "transcript" | "summary" | "variables" | "phone" | "id" */
  field: string;
  /** the snippet with matches marked by [ and ] (`postcall search --json`; the window gets only the parts) */
  snippet?: string;
  /** the same snippet, split for safe rendering */
  snippet_parts: SnippetPart[];
  created_at_ms: number | null;
  customer_phone: string | null;
  status: string | null;
  summary?: string | null;
}

export type ListenerState = "starting" | "running" | "failed" | "stopped";

export interface ListenerStatus {
  state: ListenerState;
  /** the address asked for, e.g. "127.0.0.1:8787" */
  bind: string;
  /** the port really bound, once running */
  port: number | null;
  /** http://127.0.0.1:PORT/hooks/SECRET, once running */
  webhook_url: string | null;
  /** e.g. "Port 8787 is already in use by another program. Pick another port in Settings." */
  error: string | null;
}

export interface AppStatus {
  version: string;
  data_dir: string;
  db_path: string;
  listener: ListenerStatus;
  calls_total: number;
  failed_deliveries: number;
  /** Deliveries whose call could not be built (listed with the failed ones; retried at start). */
  indexing_errors: number;
  /** Why calls cannot be indexed any more (a writer thread stopped); restarting recovers. */
  pipeline_error: string | null;
  last_call: CallSummary | null;
}

export type Theme = "system" | "light" | "dark";

export interface Settings {
  theme: Theme;
  notifications: boolean;
  close_to_tray: boolean;
  /** reopen the saved tunnel at start */
  tunnel_on_start: boolean;
  /** listener port (0 = any free port) */
  port: number;
  /** download each call's recording into the vault as it arrives */
  recordings_auto_download: boolean;
  /** remove vault audio older than this many days (null = keep forever) */
  recordings_keep_days: number | null;
  /** keep the vault under this many GB, oldest removed first (null = no limit) */
  recordings_max_gb: number | null;
  /** hosts, IPs or CIDRs recordings may come from although private (loopback, LAN…) */
  recordings_allow_private_hosts: string[];
  /** hosts besides the API base's that may receive the Intellixent API key (https only) */
  recordings_key_hosts: string[];
}

/** What `save_settings` takes: older callers may leave the recordings fields out (the back end keeps them). */
type RecordingsFields =
  | "recordings_auto_download"
  | "recordings_keep_days"
  | "recordings_max_gb"
  | "recordings_allow_private_hosts"
  | "recordings_key_hosts";
export type SettingsInput = Omit<Settings, RecordingsFields> & Partial<Pick<Settings, RecordingsFields>>;

export interface ReprocessResult {
  delivery_id: number;
  outcome: "stored" | "failed";
  call_id: number | null;
  error: string | null;
}

/** Every command rejects with this shape. */
export interface AppError {
  code: string;
  message: string;
}

/** Payload of the "calls-changed" event, coalesced over bursts. */
export interface CallsChanged {
  ids: number[];
  total: number;
}

/** Backfill from Intellixent's calls API: settings as the UI sees them (the key is never sent back). */
export interface SyncSettings {
  api_base: string;
  /** minutes between automatic syncs; 0 turns them off */
  interval_minutes: number;
  has_api_key: boolean;
  /** where the saved key is: the OS keyring, or a file only the user can read */
  api_key_storage?: SecretStorage | null;
}

export type SecretStorage = "keyring" | "file";

/** Payload of the "sync-progress" event, after every page and once at the end. */
export interface SyncProgress {
  state: "running" | "completed" | "failed" | "cancelled";
  pages: number;
  last_page: number;
  added: number;
  updated: number;
  unchanged: number;
  failed: number;
}

/** What a completed sync did. */
export interface SyncReport {
  state: "completed";
  date_from: string | null;
  date_to: string;
  pages: number;
  calls: number;
  added: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface LastSync {
  finished_ms: number;
  ok: boolean;
  /** e.g. "api_key_rejected", "network", "cancelled" */
  code: string | null;
  message: string | null;
  report: SyncReport | null;
}

export interface SyncStatus {
  running: boolean;
  last: LastSync | null;
}

// Tunnel (a public URL for the webhook listener). Mirrors postcall_core::tunnel.

export type TunnelProvider = "none" | "bore" | "ngrok" | "cloudflared" | "custom";

/** What `start_tunnel` takes. A blank bore secret keeps the saved one. */
export type TunnelConfig =
  | { provider: "none" }
  | { provider: "bore"; server: string; secret?: string | null }
  | { provider: "ngrok"; domain?: string | null; authtoken?: string | null }
  | { provider: "cloudflared"; binary?: string | null }
  | { provider: "custom"; url: string };

export type TunnelState =
  | { state: "off" }
  | { state: "starting" }
  | {
      state: "online";
      /** the full public webhook URL, secret path included */
      public_url: string;
      /** true only when a probe through the public URL reached this listener */
      reachable: boolean;
      checked_at_ms: number | null;
      check_error: string | null;
    }
  | { state: "reconnecting"; reason: string }
  | { state: "failed"; reason: string; next_retry_ms: number | null };

export type TunnelStatus = TunnelState & { provider: TunnelProvider; warning: string | null };

export interface TunnelOverview {
  status: TunnelStatus;
  /** the saved settings; a bore secret is never sent back */
  saved: TunnelConfig | null;
  saved_secret: boolean;
  /** where the saved bore secret or ngrok authtoken is */
  secret_storage?: SecretStorage | null;
}

/** One slow step of opening the data folder: units done of `total` (both 0 when unknown). */
export interface StartupStep {
  what: string;
  /** What is counted ("calls"); empty when nothing is. */
  unit: string;
  done: number;
  total: number;
}

/** Where opening the data folder is: the window opens before it is done. */
export interface Startup {
  state: "opening" | "ready" | "failed";
  step: StartupStep | null;
  error: string | null;
}

// Review: reviewed state, notes, tags, scorecards (REVIEW_CONTRACT.md). Annotations are events on
// the back end; these are the projections the window reads.

export type ReviewState = "unreviewed" | "in_review" | "reviewed" | "flagged";

export interface Reviewer {
  name: string;
  email: string;
}

export interface ReviewStateEntry {
  /** email */
  reviewer: string;
  reviewer_name: string;
  state: ReviewState;
  /** RFC 3339 */
  at: string;
}

export interface Note {
  /** the note.add event id (UUIDv7) */
  id: string;
  /** email */
  author: string;
  author_name: string;
  /** plain text: always rendered as text */
  text: string;
  /** 0-based transcript index, as turn_index in search hits */
  turn: number | null;
  /** playback time */
  at_seconds: number | null;
  created_at: string;
  edited_at: string | null;
  /** reserved for team sync */
  pending?: boolean;
}

export type ScoreValue = boolean | number | string;

export interface ScoreAnswer {
  value: ScoreValue | null;
  /** filled from an extracted variable, not yet confirmed by a person */
  prefilled: boolean;
}

export interface Score {
  reviewer: string;
  reviewer_name: string;
  /** scorecard id */
  scorecard: string;
  /** 0..100 weighted percent */
  total: number | null;
  /** by question id */
  answers: Record<string, ScoreAnswer>;
}

export interface CallReview {
  states: ReviewStateEntry[];
  notes: Note[];
  tags: string[];
  scores: Score[];
  assignee: string | null;
}

/** The review columns of a log row. */
export interface RowReview {
  my_state: ReviewState;
  any_flagged: boolean;
  reviewed_by: number;
  tags: string[];
  /** my latest total, else anyone's */
  score: number | null;
}

export interface TagDef {
  name: string;
  /** #rrggbb */
  color: string;
  /** calls carrying it */
  count: number;
}

export type QuestionKind = "yes_no" | "scale" | "choice";

export interface Question {
  id: string;
  label: string;
  kind: QuestionKind;
  /** for "choice" */
  choices: string[];
  weight: number;
  /** extracted variable to pre-fill from */
  variable: string | null;
}

export interface Scorecard {
  id: string;
  name: string;
  questions: Question[];
}

export type VarOp = "eq" | "contains" | "gt" | "gte" | "lt" | "lte" | "is_true" | "is_false" | "missing";

/** A filter on an extracted variable (else an input variable of that name). */
export interface VarFilter {
  name: string;
  op: VarOp;
  value?: string | null;
}

export type VariableKind = "text" | "number" | "boolean";

export interface VariableName {
  name: string;
  kind: VariableKind;
}

/** In the current filter: how many calls, and how many reviewed (or flagged) by me. */
export interface ReviewProgress {
  total: number;
  reviewed: number;
}

/** Payload of the "review-changed" event. */
export interface ReviewChanged {
  call_ids: number[];
}

/** Payload of the "open-call-link" event (from postcall://call/<id>?t=<s>). */
export interface OpenCallLink {
  id: number;
  t: number | null;
}

// Insights (`postcall stats`, `postcall drift`).

export interface StatsQuery {
  /** YYYY-MM-DD, UTC, inclusive */
  from?: string | null;
  to?: string | null;
  campaign?: string | null;
  statuses?: string[];
}

export interface Stats {
  calls: number;
  by_day: { day: string; calls: number; achieved: number; by_status: Record<string, number> }[];
  objective_rate: { rate: number | null; low: number | null; high: number | null; achieved: number; judged: number };
  duration: {
    median: number | null;
    p90: number | null;
    histogram: { from: number; to: number; calls: number }[];
    unknown: number;
  };
  by_campaign: { campaign: string | null; calls: number; achieved: number; rate: number | null }[];
  variables: { name: string; filled: number; fill_rate: number; top: { value: string; count: number }[]; free_text: boolean }[];
}

/** A change in the shape of the payloads received. */
export interface Drift {
  path: string;
  change: "added" | "missing" | "type";
  from: string | null;
  to: string | null;
  /** RFC 3339 */
  first_seen: string;
  example_call_id: number | null;
}
