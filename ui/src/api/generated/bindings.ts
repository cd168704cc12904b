// Generated from the Rust types (postcall_core::contract::bindings); do not edit by hand.
// Regenerate with `make bindings`; `make lint` fails when this file is stale.

/** Any JSON value (payload fields kept as they came). */
export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * A command's failure.
 */
export type AppError = { code: ErrorCode, message: string, };

/**
 * What the desktop app shows at a glance.
 */
export type AppStatus = { version: string, data_dir: string, db_path: string, listener: ListenerStatus, calls_total: number, failed_deliveries: number, 
/**
 * Deliveries whose call could not be built (retried at start and by `postcall reindex`).
 */
indexing_errors: number, 
/**
 * Why calls cannot be indexed any more (a writer thread stopped); restart to recover.
 */
pipeline_error: string | null, last_call: CallSummary | null, };

export type Assistant = { 
/**
 * `None` for calls without an assistant phone.
 */
assistant: string | null, calls: number, achieved: number, rate: number | null, };

/**
 * How a delivery's raw body is sent: as text when it is UTF-8, else base64.
 */
export type BodyEncoding = "utf8" | "base64";

export type Bucket = { from: number, to: number, calls: number, };

/**
 * `D`: the deliveries as `show --json` prints them ([`Delivery`], with their bodies) or as the
 * window lists them (`DeliveryHead`, bodies loaded when opened).
 * The UI only ever receives the window's form, so its TypeScript type is that one.
 */
export type CallDetail = { id: number, customer_phone: string | null, assistant_phone: string | null, 
/**
 * Seconds.
 */
duration: number | null, status: string | null, summary: string | null, objective_achieved: boolean | null, extracted_variables: { [key in string]: JsonValue }, input_variables: { [key in string]: JsonValue }, 
/**
 * For each quotable extracted variable, the turns where its value was said (empty: never).
 */
evidence: { [key in string]: Array<Evidence> }, transcript: Array<Turn>, formatted_transcript: string | null, recording_url: string | null, 
/**
 * The payload's own strings.
 */
created_at: string | null, finished_at: string | null, 
/**
 * Parsed, Unix milliseconds UTC.
 */
created_at_ms: number | null, finished_at_ms: number | null, lead: JsonValue, campaign: { [key in string]: JsonValue } | null, transfers: Array<JsonValue> | null, sources: Array<DeliverySource>, deliveries: Array<DeliveryHead>, 
/**
 * The latest raw payload (`null` in the window's lean detail).
 */
raw: JsonValue, recording: Recording, review: CallReview, 
/**
 * Fields the API adds (costs, answered_by, names) and anything unknown, kept visible.
 */
other_fields: { [key in string]: JsonValue }, };

export type CallPage = { items: Array<CallSummary>, next_cursor: string | null, };

export type CallQuery = { search?: string | null, statuses?: Array<string>, from_ms?: number | null, to_ms?: number | null, objective?: boolean | null, campaign?: string | null, has_recording?: boolean | null, phone?: string | null, recovered?: boolean | null, sort?: SortKey, order?: SortOrder, cursor?: string | null, limit?: number | null, 
/**
 * Calls carrying every one of these tags.
 */
tags?: Array<string>, 
/**
 * With `reviewer`, that reviewer's state; without, anyone's ("unreviewed": nobody reviewed
 * or flagged it).
 */
review_state?: ReviewState | null, reviewer?: string | null, vars?: Array<VarFilter>, };

/**
 * A call's review, as `postcall show --json` and the detail view show it.
 */
export type CallReview = { states: Array<ReviewStateEntry>, notes: Array<Note>, tags: Array<string>, scores: Array<Score>, assignee: string | null, };

export type CallSummary = { id: number, status: string | null, customer_phone: string | null, assistant_phone: string | null, duration: number | null, created_at: string | null, finished_at: string | null, created_at_ms: number | null, summary: string | null, objective_achieved: boolean | null, campaign: string | null, has_recording: boolean, recovered: boolean, review: RowReview, };

/**
 * Payload of the `calls-changed` event, coalesced over bursts of webhooks.
 */
export type CallsChanged = { ids: Array<number>, total: number, };

export type Campaign = { 
/**
 * `None` for calls outside any campaign.
 */
campaign: string | null, calls: number, achieved: number, rate: number | null, };

export type Day = { day: string, calls: number, achieved: number, 
/**
 * Calls per status; `unknown` for calls without one.
 */
by_status: { [key in string]: number }, };

/**
 * Payload of `deliveries-changed` (`null`): the delivery list changed, read it again.
 */
export type DeliveriesChanged = null;

export type Delivery = { id: number, received_at: string, source: DeliverySource, content_type: string | null, outcome: DeliveryOutcome, error: string | null, call_id: number | null, 
/**
 * The raw body: text when it is UTF-8, else base64 (see `body_encoding`).
 */
body: string, body_encoding: BodyEncoding, };

/**
 * A delivery without its body (the window loads a body when it is opened): `body_bytes` long.
 */
export type DeliveryHead = { id: number, received_at: string, source: DeliverySource, content_type: string | null, outcome: DeliveryOutcome, error: string | null, call_id: number | null, body_bytes: number, };

/**
 * Whether a delivery became a call (`deliveries.outcome`).
 */
export type DeliveryOutcome = "stored" | "failed";

/**
 * Where a delivery came from: the webhook listener, an import, or the calls API (backfill).
 */
export type DeliverySource = "webhook" | "import" | "api";

/**
 * One drift event, as `postcall drift --json` prints it.
 */
export type Drift = { path: string, 
/**
 * `added`, `missing` or `type`.
 */
change: DriftChange, 
/**
 * The types the field had (`missing`, `type`), `|`-separated.
 */
from: string | null, 
/**
 * The types it has now (`added`, `type`).
 */
to: string | null, 
/**
 * When the delivery that showed the change was received (RFC 3339, UTC).
 */
first_seen: string, example_call_id: number | null, };

/**
 * How a field's shape changed between payloads.
 */
export type DriftChange = "added" | "missing" | "type";

export type Durations = { 
/**
 * Seconds; `None` without any call with a duration.
 */
median: number | null, p90: number | null, 
/**
 * Calls per duration bucket, `[from, to)` seconds.
 */
histogram: Array<Bucket>, 
/**
 * Calls without a duration.
 */
unknown: number, };

/**
 * What went wrong, in words the UI can switch on.
 */
export type ErrorCode = "app" | "config" | "folder_in_use" | "ingest" | "invalid" | "listener" | "port_in_use" | "not_found" | "not_ready" | "open" | "save" | "storage" | "test_call" | "tunnel" | "no_api_key" | "api_key_rejected" | "network" | "api" | "cancelled" | "sync_running" | "no_reviewer" | "unknown_tag" | "unreachable" | "refused" | "not_joined" | "team" | "no_backend" | "clipboard" | "unexpected";

export type Evidence = { 
/**
 * 0-based index into the transcript.
 */
turn: number, 
/**
 * The words that matched, with a little of the turn around them.
 */
quote: string, score: number, };

export type FacetValue = { value: string, count: number, };

export type Facets = { statuses: Array<FacetValue>, campaigns: Array<FacetValue>, };

/**
 * `weekday` 0 = Monday … 6 = Sunday; `hour` 0–23.
 */
export type HourCell = { weekday: number, hour: number, calls: number, };

/**
 * What the desktop app shows about the last run.
 */
export type LastSync = { finished_ms: number, ok: boolean, code: ErrorCode | null, message: string | null, report: SyncReport | null, };

/**
 * Where the webhook listener is.
 */
export type ListenerState = "starting" | "running" | "failed" | "stopped";

/**
 * What the UI and `serve` report about the listener.
 */
export type ListenerStatus = { 
/**
 * `starting`, `running`, `failed` or `stopped`.
 */
state: ListenerState, bind: string, port: number | null, webhook_url: string | null, error: string | null, };

export type Note = { id: string, author: string, author_name: string, text: string, turn: number | null, at_seconds: number | null, created_at: string, edited_at: string | null, };

export type NumberBin = { from: number, to: number, calls: number, };

/**
 * How a numeric variable's values spread over the range.
 */
export type Numbers = { 
/**
 * Calls whose value is a number.
 */
count: number, mean: number, 
/**
 * Interpolated within a bucket (within about 26% of the exact figure).
 */
median: number | null, p90: number | null, 
/**
 * Calls per range of values, in value order.
 */
histogram: Array<NumberBin>, };

/**
 * Payload of the `open-call-link` event (from `postcall://call/<id>?t=<s>`): `t` is `null`
 * when the link names no time.
 */
export type OpenCallLink = { id: number, t: number | null, };

/**
 * A search hit as the window paints it: the marked snippet once (as parts), without the
 * bracketed copy, the summary and the rank that `postcall search --json` also prints.
 */
export type PaintedHit = { call_id: number, 
/**
 * 0-based index into the transcript, for a transcript hit.
 */
turn_index: number | null, sender: string | null, field: SearchField, snippet_parts: Array<SnippetPart>, created_at_ms: number | null, customer_phone: string | null, status: string | null, };

/**
 * The recording's loudness envelope.
 */
export type Peaks = { duration_seconds: number, 
/**
 * 0..1, evenly spaced over the duration.
 */
peaks: Array<number>, };

/**
 * What a retention pass removed.
 */
export type PruneReport = { removed: number, freed_bytes: number, };

export type Question = { id: string, label: string, kind: QuestionKind, choices: Array<string>, weight: number, variable: string | null, };

export type QuestionKind = "yes_no" | "scale" | "choice";

/**
 * The share of calls with a known objective that achieved it, with its Wilson score interval
 * at 95%. `None` when no call in the range has a known objective.
 */
export type Rate = { rate: number | null, low: number | null, high: number | null, achieved: number, judged: number, };

/**
 * A call's recording: where it is in the vault, and what the player plays.
 */
export type Recording = { state: RecordingState, 
/**
 * The remote `recording_url` from the payload.
 */
url: string | null, 
/**
 * Bytes downloaded so far, or the file size when ready.
 */
bytes: number | null, 
/**
 * Expected size when known.
 */
total_bytes: number | null, 
/**
 * `audio/mpeg`, `audio/mp4`, `audio/wav`…
 */
content_type: string | null, 
/**
 * Short label: `MP3`, `AAC (M4A)`, `WAV`, `Ogg`, `FLAC`, `WebM`.
 */
format: string | null, duration_seconds: number | null, 
/**
 * Why it failed (plain words), or why it was removed.
 */
error: string | null, 
/**
 * Absolute path of the vault copy when ready.
 */
path: string | null, attempts: number, 
/**
 * Nudge added to every turn's time to line the transcript up with the audio.
 */
offset_seconds: number, has_peaks: boolean, 
/**
 * What the player plays: the vault copy's loopback URL when ready (set by the window),
 * else the remote http(s) URL, else `null`.
 */
media_url: string | null, 
/**
 * `media_url` is the vault copy.
 */
local: boolean, };

/**
 * A recording's state changed, or a download moved on (a few times a second at most).
 */
export type RecordingProgress = { id: number, state: RecordingState, bytes: number | null, total_bytes: number | null, error: string | null, };

/**
 * A recording's state in the vault (`recordings.state`); `none` when nothing is held.
 */
export type RecordingState = "queued" | "downloading" | "ready" | "failed" | "none";

/**
 * What `reprocess_delivery` did.
 */
export type ReprocessResult = { delivery_id: number, outcome: DeliveryOutcome, call_id: number | null, error: string | null, };

/**
 * Payload of the `review-changed` event.
 */
export type ReviewChanged = { call_ids: Array<number>, 
/**
 * The team's tag list or scorecards changed (here or on another reviewer's machine).
 */
definitions: boolean, };

export type ReviewDay = { day: string, 
/**
 * Calls marked reviewed on that day (by anyone; a call counts once per day).
 */
reviewed: number, flagged: number, };

export type ReviewProgress = { total: number, reviewed: number, };

export type ReviewState = "unreviewed" | "in_review" | "reviewed" | "flagged";

export type ReviewStateEntry = { reviewer: string, reviewer_name: string, state: ReviewState, at: string, };

/**
 * Who is reviewing: asked once per data folder, overridable with `--as "Name <email>"`.
 */
export type Reviewer = { name: string, email: string, };

/**
 * What a log row shows of a call's review.
 */
export type RowReview = { 
/**
 * The current reviewer's state (unreviewed when none is set).
 */
my_state: ReviewState, any_flagged: boolean, 
/**
 * How many reviewers marked it reviewed.
 */
reviewed_by: number, tags: Array<string>, 
/**
 * The current reviewer's latest scorecard total, else anyone's.
 */
score: number | null, };

export type Score = { reviewer: string, reviewer_name: string, scorecard: string, total: number | null, answers: { [key in string]: ScoreAnswer }, at: string, };

export type ScoreAnswer = { value: ScoreValue | null, prefilled: boolean, };

/**
 * A scorecard answer: yes/no, a number on a scale, or a choice.
 */
export type ScoreValue = boolean | number | string;

export type Scorecard = { id: string, name: string, questions: Array<Question>, };

/**
 * Where a search hit matched.
 */
export type SearchField = "transcript" | "summary" | "variables" | "phone" | "id";

export type SearchHit = { call_id: number, turn_index: number | null, sender: string | null, 
/**
 * `transcript`, `summary`, `variables`, `phone` or `id`.
 */
field: SearchField, 
/**
 * The snippet with each match in `[` `]`.
 */
snippet: string, snippet_parts: Array<SnippetPart>, created_at_ms: number | null, customer_phone: string | null, status: string | null, summary: string | null, 
/**
 * BM25: lower is better.
 */
rank: number, };

/**
 * Where a secret is kept.
 */
export type SecretStorage = "keyring" | "file";

export type Settings = { 
/**
 * "system", "light" or "dark".
 */
theme: Theme, notifications: boolean, close_to_tray: boolean, 
/**
 * Reopen the saved tunnel when the app starts.
 */
tunnel_on_start: boolean, 
/**
 * Listener port; 0 picks a free port.
 */
port: number, 
/**
 * Download each call's recording into the vault as soon as the call arrives.
 */
recordings_auto_download: boolean, 
/**
 * Retention: remove recordings fetched more than this many days ago (the calls stay).
 */
recordings_keep_days: number | null, 
/**
 * Retention: keep at most this many gigabytes of recordings, removing the oldest first.
 */
recordings_max_gb: number | null, 
/**
 * Hosts, IPs or CIDRs recordings may be downloaded from although they are loopback or
 * private (added to `POSTCALL_ALLOW_PRIVATE_HOSTS`).
 */
recordings_allow_private_hosts: Array<string>, 
/**
 * Hosts besides the Intellixent API base's that may receive the API key (over https only)
 * when a recording download is refused with 401/403.
 */
recordings_key_hosts: Array<string>, 
/**
 * Who annotates calls from this data folder (asked once; changed through its own command).
 */
reviewer?: Reviewer | null, };

export type SnippetPart = { text: string, hit: boolean, };

export type SortKey = "time" | "duration";

export type SortOrder = "desc" | "asc";

/**
 * `opening` (with the step under way, if a slow one is), `ready`, or `failed` with the reason.
 * The window opens before the data folder is open.
 */
export type Startup = { state: StartupState, step: StartupStep | null, error: string | null, };

/**
 * Where opening the data folder is.
 */
export type StartupState = "opening" | "ready" | "failed";

/**
 * One report: what is being done and how far along it is.
 */
export type StartupStep = { 
/**
 * For people: "Upgrading the database", "Building the search index", …
 */
what: string, 
/**
 * What is counted: "calls", "deliveries"; empty when nothing is.
 */
unit: string, 
/**
 * Units done so far, of `total`; both 0 when the amount of work is not known.
 */
done: number, total: number, };

export type Stats = { calls: number, by_day: Array<Day>, objective_rate: Rate, duration: Durations, by_campaign: Array<Campaign>, 
/**
 * Calls per assistant phone, most calls first.
 */
by_assistant: Array<Assistant>, 
/**
 * Calls per weekday × hour of the day, local time (cells without calls left out).
 */
by_hour: Array<HourCell>, 
/**
 * Review progress: calls marked reviewed or flagged per day (the day of the mark).
 */
review: Array<ReviewDay>, variables: Array<Variable>, };

/**
 * The filters, as the call log's: days inclusive (`YYYY-MM-DD`, local days of the zone the tallies
 * are keyed by: the machine's).
 */
export type StatsQuery = { from?: string | null, to?: string | null, campaign?: string | null, statuses?: Array<string>, 
/**
 * The log's other filters, as in [`crate::query::CallQuery`]: with any of them the figures are
 * those of the calls the log shows (the search: its most recent 5,000 matches per index, as
 * the log's), read from those calls' rows.
 */
search?: string | null, tags?: Array<string>, review_state?: ReviewState | null, reviewer?: string | null, objective?: boolean | null, has_recording?: boolean | null, phone?: string | null, recovered?: boolean | null, vars?: Array<VarFilter>, };

/**
 * Where the run is; sent to the progress callback after every page and at the end.
 */
export type SyncProgress = { 
/**
 * `running`, `completed`, `failed` or `cancelled`.
 */
state: SyncState, pages: number, last_page: number, 
/**
 * Calls new to Postcall.
 */
added: number, 
/**
 * Known calls whose API object brought something new.
 */
updated: number, 
/**
 * Known calls the API had nothing new about (not stored again).
 */
unchanged: number, 
/**
 * API objects that could not be used (kept as failed deliveries).
 */
failed: number, };

/**
 * The outcome of a completed run.
 */
export type SyncReport = { state: "completed", date_from: string | null, date_to: string, pages: number, calls: number, added: number, updated: number, unchanged: number, failed: number, };

/**
 * Backfill settings as the UI sees them; the key itself never goes back to the UI.
 */
export type SyncSettings = { api_base: string, 
/**
 * Minutes between automatic syncs; 0 turns them off.
 */
interval_minutes: number, has_api_key: boolean, 
/**
 * Where the stored key is kept; `null` when no key is stored (one may still come from
 * `POSTCALL_INTELLIXENT_API_KEY`).
 */
api_key_storage: SecretStorage | null, };

/**
 * Where a sync run is.
 */
export type SyncState = "running" | "completed" | "failed" | "cancelled";

export type SyncStatus = { running: boolean, last: LastSync | null, };

export type TagDef = { name: string, color: string, count: number, };

/**
 * What the join form sends: a server and either a credentials file or a user and password.
 * No `Debug`: it holds a password.
 */
export type TeamJoinInput = { server: string, creds_file?: string | null, user?: string | null, password?: string | null, };

export type TeamStatus = { 
/**
 * The joined server's address; `null` when this data folder has not joined a team.
 */
server: string | null, 
/**
 * Whether the server answered (and took the credentials) just now.
 */
connected: boolean, 
/**
 * The last calls-stream sequence applied here.
 */
calls_seq: number, 
/**
 * The last reviews-stream sequence applied here.
 */
reviews_seq: number, 
/**
 * What this node still has to publish: its review events not acknowledged by the stream yet,
 * plus, on the receiver, stored deliveries likewise.
 */
pending: number, 
/**
 * Review events made here (edits) that wait to be shared.
 */
pending_reviews: number, 
/**
 * On the receiver, stored deliveries not yet in the calls stream.
 */
pending_calls: number, 
/**
 * On the receiver, recordings in its vault not yet in the object store.
 */
pending_recordings: number, 
/**
 * Edits made here that the team server refused (this machine's NATS user may not publish as
 * their author): kept aside, not shared, listed by `postcall team refused`.
 */
refused_edits: number, 
/**
 * Review events of the team's stream not applied here because they were published in
 * another author's name.
 */
rejected_events: number, 
/**
 * Since when the server could not be reached (RFC 3339), while it cannot.
 */
offline_since: string | null, 
/**
 * When this node last reached the server (RFC 3339).
 */
last_connected: string | null, 
/**
 * Why the last attempt failed, if it did.
 */
last_error: string | null, 
/**
 * `receiver` when this data folder publishes calls (`postcall serve --team`), else `member`.
 */
role: "receiver" | "member", };

/**
 * The window's colour scheme.
 */
export type Theme = "system" | "light" | "dark";

export type TopValue = { value: string, count: number, };

/**
 * Which tunnel to run, with its settings. Saved by [`save_config`] (the bore secret and the
 * ngrok authtoken apart).
 */
export type TunnelConfig = { "provider": "none" } | { "provider": "bore", 
/**
 * `HOST[:PORT]`: the bore server, and optionally the public port to ask for.
 */
server: string, secret?: string | null, } | { "provider": "ngrok", 
/**
 * A domain reserved on the user's ngrok account, for a stable URL; default: ngrok picks.
 */
domain?: string | null, 
/**
 * The ngrok authtoken; [`NGROK_AUTHTOKEN_ENV`] wins over it.
 */
authtoken?: string | null, } | { "provider": "cloudflared", 
/**
 * The `cloudflared` executable; default: found on PATH.
 */
binary?: string | null, } | { "provider": "custom", 
/**
 * The user's own public base URL that reaches the listener (Tailscale Funnel, a proxy).
 */
url: string, };

/**
 * What the tunnel panel shows, plus where the saved bore secret or ngrok authtoken is kept.
 */
export type TunnelOverview = { 
/**
 * `null` when no bore secret or ngrok authtoken is saved.
 */
secret_storage: SecretStorage | null, status: TunnelStatus, saved: TunnelConfig | null, 
/**
 * Whether a bore secret or ngrok authtoken is saved (its value is never sent to the UI).
 */
saved_secret: boolean, };

/**
 * How the public URL is made (`none`: no tunnel).
 */
export type TunnelProvider = "none" | "bore" | "ngrok" | "cloudflared" | "custom";

/**
 * Where the tunnel is. Serialized as `{"state": "online", "public_url": …}` and so on.
 */
export type TunnelState = { "state": "off" } | { "state": "starting" } | { "state": "online", 
/**
 * The full public webhook URL, secret path included.
 */
public_url: string, 
/**
 * True only when a probe through `public_url` reached this Postcall's listener.
 */
reachable: boolean, 
/**
 * When the last probe ran (ms since the epoch).
 */
checked_at_ms: number | null, 
/**
 * Why the last probe failed, if it did.
 */
check_error: string | null, } | { "state": "reconnecting", reason: string, } | { "state": "failed", reason: string, 
/**
 * When the next attempt starts (ms since the epoch); `None`: no retry, fix the settings.
 */
next_retry_ms: number | null, };

export type TunnelStatus = { provider: TunnelProvider, 
/**
 * A standing caution about this provider (bore is plain HTTP).
 */
warning: string | null, } & ({ "state": "off" } | { "state": "starting" } | { "state": "online", 
/**
 * The full public webhook URL, secret path included.
 */
public_url: string, 
/**
 * True only when a probe through `public_url` reached this Postcall's listener.
 */
reachable: boolean, 
/**
 * When the last probe ran (ms since the epoch).
 */
checked_at_ms: number | null, 
/**
 * Why the last probe failed, if it did.
 */
check_error: string | null, } | { "state": "reconnecting", reason: string, } | { "state": "failed", reason: string, 
/**
 * When the next attempt starts (ms since the epoch); `None`: no retry, fix the settings.
 */
next_retry_ms: number | null, });

export type Turn = { index: number, sender: string, text: string, timestamp: number | null, offset_seconds: number | null, };

/**
 * One variable condition: `name` is looked up in the extracted variables, then the input ones.
 */
export type VarFilter = { name: string, op: VarOp, value?: string | null, };

export type VarOp = "eq" | "contains" | "gt" | "gte" | "lt" | "lte" | "is_true" | "is_false" | "missing";

export type Variable = { name: string, filled: number, 
/**
 * Filled calls over calls in the range.
 */
fill_rate: number, 
/**
 * The most frequent values; empty for a variable counted as free text.
 */
top: Array<TopValue>, 
/**
 * The variable takes too many distinct values for its values to be counted (names,
 * references, free text).
 */
free_text: boolean, 
/**
 * For a variable whose values are (at least 80%) numbers: their distribution.
 */
numbers: Numbers | null, 
/**
 * Filled calls (and the numeric mean) per day, oldest first: how it moved over the range.
 */
by_day: Array<VariableDay>, };

/**
 * One day of a variable: how many calls had it filled, and the mean of its numeric values.
 */
export type VariableDay = { day: string, filled: number, mean: number | null, };

/**
 * What an extracted variable's values look like, for the filter's operators.
 */
export type VariableKind = "text" | "number" | "boolean";

export type VariableName = { name: string, kind: VariableKind, };

/**
 * Counts per state and the bytes held, for `recordings status` and Settings.
 */
export type VaultStatus = { dir: string, ready: number, queued: number, downloading: number, failed: number, none: number, bytes: number, };

/** Every event the shell emits, by name, with its payload. */
export type Events = {
  "calls-changed": CallsChanged;
  "deliveries-changed": DeliveriesChanged;
  "listener-changed": ListenerStatus;
  "startup": Startup;
  "sync-progress": SyncProgress;
  "tunnel-changed": TunnelStatus;
  "recordings-changed": RecordingProgress;
  "review-changed": ReviewChanged;
  "open-call-link": OpenCallLink;
};
