// The only module that talks to the Rust side. Every command has one typed wrapper here;
// everything it rejects with is normalised to `AppError {code, message}` so views can show
// the message as-is. In a plain browser (no Tauri) a demo transport can be installed so the
// UI can be developed and screenshotted; production builds never load it unless asked.

import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import { listen as tauriListen } from "@tauri-apps/api/event";
import { writeText as pluginWriteText } from "@tauri-apps/plugin-clipboard-manager";
import type {
  AppError,
  AppStatus,
  CallDetail,
  CallPage,
  CallQuery,
  CallReview,
  CallsChanged,
  CallSummary,
  Delivery,
  Drift,
  ErrorCode,
  Events,
  Facets,
  Json,
  ListenerStatus,
  Note,
  OpenCallLink,
  Peaks,
  PruneReport,
  RecordingProgress,
  ReprocessResult,
  ReviewChanged,
  Reviewer,
  ReviewProgress,
  ReviewState,
  Score,
  ScoreAnswer,
  Scorecard,
  PaintedHit,
  Settings,
  SettingsInput,
  Startup,
  Stats,
  StatsQuery,
  SyncProgress,
  SyncReport,
  SyncSettings,
  SyncStatus,
  TagDef,
  TeamJoinInput,
  TeamStatus,
  TunnelConfig,
  TunnelOverview,
  TunnelStatus,
  VariableName,
  VaultStatus,
} from "./types";

export type Unlisten = () => void;

/** How commands and events reach a back end: Tauri's IPC, or the demo in a plain browser. */
export interface Transport {
  invoke(cmd: string, args?: Record<string, unknown>): Promise<unknown>;
  listen(event: string, cb: (payload: unknown) => void): Promise<Unlisten>;
  writeText?(text: string): Promise<void>;
}

/** A command's failure, as an Error that also has the `AppError` shape. */
export class CommandError extends Error implements AppError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "CommandError";
    this.code = code;
  }
}

export function hasTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

const tauriTransport: Transport = {
  invoke: (cmd, args) => tauriInvoke(cmd, args),
  listen: async (event, cb) => {
    const un = await tauriListen(event, (e) => {
      cb(e.payload);
    });
    return un;
  },
  writeText: (text) => pluginWriteText(text),
};

const offlineTransport: Transport = {
  invoke: () =>
    Promise.reject(
      new CommandError("no_backend", "Postcall's back end is not reachable. Open this window from the Postcall app."),
    ),
  listen: () => Promise.resolve(() => undefined),
};

let transport: Transport = hasTauri() ? tauriTransport : offlineTransport;

export function setTransport(t: Transport): void {
  transport = t;
}

export function isAppError(e: unknown): e is AppError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

/** Turn whatever a command rejected with into `{code, message}`. */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return { code: e.code, message: e.message };
  if (e instanceof Error) return { code: "unexpected", message: e.message };
  if (typeof e === "string") return { code: "unexpected", message: e };
  return { code: "unexpected", message: "Something went wrong." };
}

async function call(cmd: string, args?: Record<string, unknown>): Promise<unknown> {
  try {
    return await transport.invoke(cmd, args);
  } catch (e) {
    const err = toAppError(e);
    throw new CommandError(err.code, err.message);
  }
}

export const getStartup = () => call("get_startup") as Promise<Startup>;
export const getStatus = () => call("get_status") as Promise<AppStatus>;
export const listCalls = (query: CallQuery) => call("list_calls", { query }) as Promise<CallPage>;
export const countCalls = (query: CallQuery) => call("count_calls", { query }) as Promise<number>;
export const callFacets = () => call("call_facets") as Promise<Facets>;
export const searchCalls = (query: string, limit: number) =>
  call("search_calls", { query, limit }) as Promise<PaintedHit[]>;
export const getCall = (id: number) => call("get_call", { id }) as Promise<CallDetail>;
export const listDeliveries = (failedOnly: boolean) =>
  call("list_deliveries", { failedOnly }) as Promise<Delivery[]>;
export const reprocessDelivery = (id: number) =>
  call("reprocess_delivery", { id }) as Promise<ReprocessResult>;
/** Tells a benchmark run (POSTCALL_BENCH_MARKS) that the first rows are painted; a no-op otherwise. */
export const markFirstRows = () => call("mark_first_rows") as Promise<void>;
export const getDelivery = (id: number) => call("get_delivery", { id }) as Promise<Delivery>;
export const curlForDelivery = (id: number) => call("curl_for_delivery", { id }) as Promise<string>;
export const sendTestCall = () => call("send_test_call") as Promise<number>;
export const getSettings = () => call("get_settings") as Promise<Settings>;
export const saveSettings = (settings: SettingsInput) => call("save_settings", { settings }) as Promise<Settings>;
export const setListenerPort = (port: number) =>
  call("set_listener_port", { port }) as Promise<ListenerStatus>;
export const rotateSecret = () => call("rotate_secret") as Promise<ListenerStatus>;
export const loadViewState = () => call("load_view_state") as Promise<Json | null>;
export const saveViewState = (state: Json) => call("save_view_state", { state }) as Promise<null>;
export const revealDataDir = () => call("reveal_data_dir") as Promise<null>;

/** Listens to one of the shell's events; the payload's type comes with the event's name. */
async function on<E extends keyof Events>(event: E, cb: (payload: Events[E]) => void): Promise<Unlisten> {
  try {
    return await transport.listen(event, (p) => cb(p as Events[E]));
  } catch {
    // Without a back end there is nothing to listen to; the failed commands already say so.
    return () => undefined;
  }
}

export const onCallsChanged = (cb: (p: CallsChanged) => void) => on("calls-changed", cb);
export const onListenerChanged = (cb: (p: ListenerStatus) => void) => on("listener-changed", cb);
export const onStartup = (cb: (p: Startup) => void) => on("startup", cb);
export const onDeliveriesChanged = (cb: (p: null) => void) => on("deliveries-changed", cb);

/** Copy through the clipboard plugin, falling back to the browser's clipboard. */
export async function copyText(text: string): Promise<void> {
  if (transport.writeText) {
    try {
      await transport.writeText(text);
      return;
    } catch {
      // fall through to the web clipboard
    }
  }
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    throw new CommandError("clipboard", `Could not copy to the clipboard: ${toAppError(e).message}`);
  }
}

// Backfill from Intellixent's calls API.
export const syncNow = () => call("sync_now") as Promise<SyncReport>;
export const cancelSync = () => call("cancel_sync") as Promise<boolean>;
export const getSyncStatus = () => call("get_sync_status") as Promise<SyncStatus>;
export const getSyncSettings = () => call("get_sync_settings") as Promise<SyncSettings>;
export const saveSyncSettings = (settings: { api_base: string; interval_minutes: number }) =>
  call("save_sync_settings", { settings }) as Promise<SyncSettings>;
export const setApiKey = (key: string) => call("set_api_key", { key }) as Promise<SyncSettings>;
export const onSyncProgress = (cb: (p: SyncProgress) => void) => on("sync-progress", cb);

// Tunnel: a public URL for the webhook listener.
export const getTunnelStatus = () => call("get_tunnel_status") as Promise<TunnelOverview>;
export const startTunnel = (config: TunnelConfig) => call("start_tunnel", { config }) as Promise<TunnelStatus>;
export const stopTunnel = () => call("stop_tunnel") as Promise<TunnelStatus>;
export const onTunnelChanged = (cb: (p: TunnelStatus) => void) => on("tunnel-changed", cb);

// Recordings: the vault of downloaded call audio.
export const recordingPeaks = (id: number) => call("recording_peaks", { id }) as Promise<Peaks | null>;
/** Queue a download now (retry after a failure, or fetch one that is not in the vault). */
export const recordingFetch = (id: number) => call("recording_fetch", { id }) as Promise<null>;
export const recordingSetOffset = (id: number, seconds: number) =>
  call("recording_set_offset", { id, seconds }) as Promise<null>;
/** Opens a native save dialog; the saved path, or null when the user cancelled. */
export const recordingSave = (id: number) => call("recording_save", { id }) as Promise<string | null>;
export const recordingsStatus = () => call("recordings_status") as Promise<VaultStatus>;
export const recordingsPrune = () => call("recordings_prune") as Promise<PruneReport>;
export const onRecordingsChanged = (cb: (p: RecordingProgress) => void) => on("recordings-changed", cb);

// Review: reviewer identity, reviewed state, notes, tags, scorecards (REVIEW_CONTRACT.md).
export const getReviewer = () => call("get_reviewer") as Promise<Reviewer | null>;
export const setReviewer = (reviewer: Reviewer) => call("set_reviewer", { reviewer }) as Promise<Reviewer>;
export const getCallReview = (id: number) => call("get_call_review", { id }) as Promise<CallReview>;
export const setReviewState = (ids: number[], state: ReviewState) =>
  call("set_review_state", { ids, state }) as Promise<void>;
export const addNote = (id: number, text: string, turn: number | null, atSeconds: number | null) =>
  call("add_note", { id, text, turn, atSeconds }) as Promise<Note>;
export const editNote = (id: number, noteId: string, text: string) =>
  call("edit_note", { id, noteId, text }) as Promise<Note>;
export const deleteNote = (id: number, noteId: string) => call("delete_note", { id, noteId }) as Promise<void>;
export const addTags = (ids: number[], tags: string[]) => call("add_tags", { ids, tags }) as Promise<void>;
export const removeTags = (ids: number[], tags: string[]) => call("remove_tags", { ids, tags }) as Promise<void>;
export const listTags = () => call("list_tags") as Promise<TagDef[]>;
export const saveTag = (name: string, color: string) => call("save_tag", { name, color }) as Promise<TagDef[]>;
export const deleteTag = (name: string) => call("delete_tag", { name }) as Promise<TagDef[]>;
export const listScorecards = () => call("list_scorecards") as Promise<Scorecard[]>;
export const saveScorecard = (scorecard: Scorecard) => call("save_scorecard", { scorecard }) as Promise<Scorecard[]>;
export const deleteScorecard = (id: string) => call("delete_scorecard", { id }) as Promise<Scorecard[]>;
export const setScore = (id: number, scorecard: string, answers: Record<string, ScoreAnswer>) =>
  call("set_score", { id, scorecard, answers }) as Promise<Score>;
/** Answers pre-filled from the call's variables (nothing is stored). */
export const prefillScore = (id: number, scorecard: string) =>
  call("prefill_score", { id, scorecard }) as Promise<Record<string, ScoreAnswer>>;
export const numberHistory = (id: number) => call("number_history", { id }) as Promise<CallSummary[]>;
export const reviewProgress = (query: CallQuery) => call("review_progress", { query }) as Promise<ReviewProgress>;
export const nextUnreviewed = (query: CallQuery, after: number | null) =>
  call("next_unreviewed", { query, after }) as Promise<number | null>;
export const variableNames = () => call("variable_names") as Promise<VariableName[]>;
export const onReviewChanged = (cb: (p: ReviewChanged) => void) => on("review-changed", cb);
/**
 * Links to a moment of a call. Once listening, asks the shell for a link that arrived before
 * (the window was started by one), so none is lost while the page loads.
 */
export const onOpenCallLink = async (cb: (p: OpenCallLink) => void): Promise<Unlisten> => {
  const un = await on("open-call-link", cb);
  const pending = (await call("links_ready").catch(() => null)) as OpenCallLink | null;
  if (pending) cb(pending);
  return un;
};
// Insights: the dashboard's figures and the payload's changes of shape.
export const getStats = (query: StatsQuery) => call("get_stats", { query }) as Promise<Stats>;
export const listDrift = () => call("list_drift") as Promise<Drift[]>;
/** Saves an exported chart or table where the user picks; the path, or null when cancelled. */
export const saveExport = (fileName: string, content: string, encoding: "text" | "base64") =>
  call("save_export", { fileName, content, encoding }) as Promise<string | null>;
// Team: the team server this data folder follows (Settings → Team).
export const getTeamStatus = () => call("get_team_status") as Promise<TeamStatus>;
export const joinTeam = (input: TeamJoinInput) => call("join_team", { input }) as Promise<TeamStatus>;
export const leaveTeam = () => call("leave_team") as Promise<TeamStatus>;
