//! Postcall's core: everything that does not need a window.
//!
//! Intellixent post-call webhooks come in through [`listener`], are written raw-first and parsed
//! by [`ingest`] into the SQLite [`store`], and are read back by [`query`] (the call log, a call's
//! detail, search) for the CLI ([`cli`]) and the desktop shell. Nothing here depends on Tauri, so
//! the whole product logic builds and tests without a display.

pub mod api;
pub mod backfill;
pub mod cli;
pub mod config;
pub mod contract;
pub mod export;
pub mod import;
pub mod ingest;
pub mod insights;
pub mod listener;
pub mod lock;
pub mod media;
pub mod output;
pub mod payload;
pub mod permissions;
pub mod query;
pub mod recordings;
pub mod review;
pub mod sample;
pub mod schedule;
pub mod search;
pub mod secrets;
pub mod service;
pub mod startup;
pub mod store;
pub mod team;
pub mod time;
pub mod tunnel;

pub use config::{DataDir, Settings};
pub use ingest::{IngestOutcome, Ingestor, Source};
pub use store::Store;
