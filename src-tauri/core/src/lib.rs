//! Postcall's core: everything that does not need a window.
//!
//! Intellixent post-call webhooks come in through [`listener`], are written raw-first and parsed
//! by [`ingest`] into the SQLite [`store`], and are read back by [`query`] (the call log, a call's
//! detail, search) for the CLI ([`cli`]) and the desktop shell. Nothing here depends on Tauri, so
//! the whole product logic builds and tests without a display.

// In pipeline order: where a call comes from, how it is kept, how it is read, who reads it.
pub mod api; // Intellixent's calls API (backfill of calls the webhook missed)
pub mod backfill; // catching up from the calls API, with progress
pub mod cli; // the `postcall` command line
pub mod coalesce; // bursts of store events as one notice
pub mod config; // the data folder and its settings
pub mod contract; // the types the window receives, exported to TypeScript
pub mod export; // CSV and JSON exports (formula-safe)
pub mod import; // files of payloads: JSON, arrays, JSON Lines
pub mod ingest; // journal first, then parse, index, search writer; crash replay
pub mod insights; // stats, evidence for extracted values, payload drift
pub mod listener; // the webhook route (axum), the only thing a tunnel exposes
pub mod lock; // one writer per data folder
pub mod media; // the media listener that plays vault recordings to the window
pub mod output; // terminal output: payload text made harmless, closed pipes ending quietly
pub mod payload; // reading a payload of either documented version
pub mod permissions; // private files and folders (0600 / 0700)
pub mod query; // the call log, a call's detail, search results
pub mod recordings; // the vault: download, check, decode, keep or prune recordings
pub mod review; // review events and their projection: states, notes, tags, scores
pub mod sample; // realistic synthetic calls: the test call and the benchmark data
pub mod schedule; // the periodic calls-API sync, for the window and `serve`
pub mod search; // full-text search over turns, summaries, variable values and phones
pub mod secrets; // the webhook secret and API keys, in the system keyring or a private file
pub mod service; // a running data folder: store, ingest, vault and listener together
pub mod startup; // start-up steps and progress
pub mod store; // SQLite: every table's SQL, at the bottom
pub mod team; // NATS JetStream: one receiver, every laptop a projection of the streams
pub mod time;
pub mod tunnel; // a public URL for the listener: bore, cloudflared or ngrok // timestamps and days

pub use config::{DataDir, Settings};
pub use ingest::{IngestOutcome, Ingestor, Source};
pub use store::Store;
