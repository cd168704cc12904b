// The IPC contract between the Rust shell (src-tauri/src/commands) and the UI.
//
// The types are generated from the Rust ones (postcall_core::contract, with ts-rs) into
// ./generated/bindings.ts: change a field there by changing the Rust type, then `make bindings`.
// This file re-exports them under the names the UI uses, and adds the few shapes that exist only
// on this side (what the UI sends where the back end fills in the rest).

import type { JsonValue, Settings } from "./generated/bindings";

export type {
  AppError,
  AppStatus,
  BodyEncoding,
  CallDetail,
  CallPage,
  CallQuery,
  CallReview,
  CallsChanged,
  CallSummary,
  Day,
  Delivery,
  DeliveryHead,
  DeliveryOutcome,
  DeliverySource,
  Drift,
  DriftChange,
  ErrorCode,
  Events,
  Evidence,
  FacetValue,
  Facets,
  LastSync,
  ListenerState,
  ListenerStatus,
  Note,
  OpenCallLink,
  PaintedHit,
  Peaks,
  PruneReport,
  Question,
  QuestionKind,
  Recording,
  RecordingProgress,
  RecordingState,
  ReprocessResult,
  ReviewChanged,
  ReviewProgress,
  ReviewState,
  ReviewStateEntry,
  Reviewer,
  RowReview,
  Score,
  ScoreAnswer,
  ScoreValue,
  Scorecard,
  SearchField,
  SearchHit,
  SecretStorage,
  Settings,
  SnippetPart,
  SortKey,
  SortOrder,
  Startup,
  StartupState,
  StartupStep,
  NumberBin,
  Numbers,
  Stats,
  StatsQuery,
  SyncProgress,
  SyncReport,
  SyncSettings,
  SyncState,
  SyncStatus,
  TagDef,
  TeamJoinInput,
  TeamStatus,
  Theme,
  TunnelConfig,
  TunnelOverview,
  TunnelProvider,
  TunnelState,
  TunnelStatus,
  Turn,
  VarFilter,
  VarOp,
  VariableDay,
  VariableKind,
  VariableName,
  VaultStatus,
} from "./generated/bindings";

/** Any JSON value. */
export type Json = JsonValue;

/** What `save_settings` takes: the back end keeps the port, the reviewer and the team, and older
 * callers may leave the recordings fields out. */
type RecordingsFields =
  | "recordings_auto_download"
  | "recordings_keep_days"
  | "recordings_max_gb"
  | "recordings_allow_private_hosts"
  | "recordings_key_hosts";
export type SettingsInput = Omit<Settings, RecordingsFields | "reviewer"> & Partial<Pick<Settings, RecordingsFields>>;
