//! Postcall's core: everything that does not need a window.
//!
//! Intellixent post-call webhooks come in through [`listener`], are written raw-first and parsed
//! by [`ingest`] into the SQLite [`store`], and are read back by [`query`] (the call log, a call's
//! detail, search) for the CLI ([`cli`]) and the desktop shell. Nothing here depends on Tauri, so
//! the whole product logic builds and tests without a display.

// In pipeline order: where a call comes from, how it is kept, how it is read, who reads it. Each
// group is a blank line and a comment, and in alphabetical order within, so that rustfmt (which
// sorts the modules of a group) keeps this order.

// Where a call comes from: the webhook, and the public URL that reaches it.
pub mod listener; // the webhook route (axum), the only thing a tunnel exposes
pub mod tunnel; // a public URL for the listener: bore, cloudflared or ngrok

// ... or Intellixent's calls API, files, and the team's other laptops.
pub mod api; // Intellixent's calls API (backfill of calls the webhook missed)
pub mod backfill; // catching up from the calls API, with progress
pub mod import; // files of payloads: JSON, arrays, JSON Lines
pub mod schedule; // the periodic calls-API sync, for the window and `serve`
pub mod team; // NATS JetStream: one receiver, every laptop a projection of the streams

// How it is kept: journaled, parsed, written to SQLite.
pub mod ingest; // journal first, then parse, index, search writer; crash replay
pub mod payload; // reading a payload of either documented version
pub mod store; // SQLite: every table's SQL, at the bottom

// ... with its recording beside it.
pub mod recordings; // the vault: download, check, decode, keep or prune recordings

// ... in a data folder of its own.
pub mod config; // the data folder and its settings
pub mod lock; // one writer per data folder
pub mod permissions; // private files and folders (0600 / 0700)
pub mod secrets; // the webhook secret and API keys, in the system keyring or a private file

// How it is read: the log and a call, their review, search.
pub mod query; // the call log, a call's detail, search results
pub mod review; // review events and their projection: states, notes, tags, scores
pub mod search; // full-text search over turns, summaries, variable values and phones

// ... and what is made of many calls.
pub mod export; // CSV and JSON exports (formula-safe)
pub mod insights; // stats, evidence for extracted values, payload drift

// Who reads it: a running data folder, started step by step.
pub mod service; // a running data folder: store, ingest, vault and listener together
pub mod startup; // start-up steps and progress

// ... the command line.
pub mod cli; // the `postcall` command line
pub mod output; // terminal output: payload text made harmless, closed pipes ending quietly

// ... the window.
pub mod coalesce; // bursts of store events as one notice
pub mod contract; // the types the window receives, exported to TypeScript
pub mod media; // the media listener that plays vault recordings to the window

// Beneath everything: time, and calls to test with.
pub mod sample; // realistic synthetic calls: the test call and the benchmark data
pub mod time; // timestamps and days

pub use config::{DataDir, Settings};
pub use ingest::{IngestOutcome, Ingestor, Source};
pub use store::Store;
