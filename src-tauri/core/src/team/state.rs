//! `team.sqlite`: how far this node got with the team streams, in a file of its own so the
//! journal and the call database keep their schemas and writers.
//!
//! - `marks`: `published` (server: the last journal row acknowledged by the stream),
//!   `calls_seq` / `reviews_seq` (laptop: the last stream sequence applied).
//! - `applied_calls`: per applied call message, its stream sequence, the local delivery it became
//!   and the server's delivery metadata (source, received time, delivery id), which the local
//!   journal cannot hold since it stamps its own.
//! - `rejected_events`: review events of the stream not applied because they were published in
//!   another author's name (see `authors`), by stream sequence, for `team status`.
//! - `info`: the last error and when the node last reached the server, for status.
//!
//! The sequence moves in the same transaction as the rows that record what was applied, after
//! the local journal committed them; a message applied but not yet recorded (a crash between
//! the two) is recognised on replay by its bytes and not applied twice (see `consumer`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

use crate::config::DataDir;
use crate::store::StoreError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS applied_calls (
    seq                 INTEGER PRIMARY KEY,
    msg_id              TEXT    NOT NULL,
    call_id             INTEGER NOT NULL,
    delivery_id         INTEGER,
    origin_source       TEXT,
    origin_received_ms  INTEGER,
    origin_delivery_id  INTEGER
);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS rejected_events (
    seq          INTEGER PRIMARY KEY,
    subject      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    author_email TEXT NOT NULL,
    reason       TEXT NOT NULL
);
";

pub const PUBLISHED: &str = "published";
pub const CALLS_SEQ: &str = "calls_seq";
pub const REVIEWS_SEQ: &str = "reviews_seq";

/// One applied call message.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub seq: u64,
    pub msg_id: String,
    pub call_id: i64,
    /// The local delivery it became; `None` when the local journal already held these bytes.
    pub delivery_id: Option<i64>,
    pub origin_source: Option<String>,
    pub origin_received_ms: Option<i64>,
    pub origin_delivery_id: Option<i64>,
}

/// A review event of the stream that was not applied: its subject stands for another author.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejected {
    pub seq: u64,
    pub subject: String,
    pub event_id: String,
    pub author_email: String,
    pub reason: String,
}

/// Handle to `team.sqlite`; cheap to clone.
#[derive(Clone)]
pub struct TeamState {
    conn: Arc<Mutex<Connection>>,
}

impl TeamState {
    pub fn path(data: &DataDir) -> std::path::PathBuf {
        data.root().join("team.sqlite")
    }

    pub fn open(data: &DataDir) -> Result<Self, StoreError> {
        Self::open_at(&Self::path(data))
    }

    pub fn open_at(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    pub(super) fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        Ok(f(&mut conn)?)
    }

    pub fn mark(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.with(|c| c.query_row("SELECT value FROM marks WHERE name = ?1", [name], |r| r.get(0)).optional())
    }

    pub fn set_mark(&self, name: &str, value: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO marks (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map(drop)
        })
    }

    /// Moves a mark forward only (a replayed chunk never takes a sequence back).
    pub fn raise_mark(&self, name: &str, value: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO marks (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                params![name, value],
            )
            .map(drop)
        })
    }

    pub fn calls_seq(&self) -> Result<u64, StoreError> {
        Ok(self.mark(CALLS_SEQ)?.unwrap_or(0).max(0) as u64)
    }

    pub fn reviews_seq(&self) -> Result<u64, StoreError> {
        Ok(self.mark(REVIEWS_SEQ)?.unwrap_or(0).max(0) as u64)
    }

    /// Records a batch of applied call messages and moves `calls_seq` to the last, in one
    /// transaction.
    pub fn record_applied(&self, batch: &[Applied]) -> Result<(), StoreError> {
        let Some(last) = batch.iter().map(|a| a.seq).max() else { return Ok(()) };
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut ins = tx.prepare_cached(
                    "INSERT OR REPLACE INTO applied_calls
                     (seq, msg_id, call_id, delivery_id, origin_source, origin_received_ms, origin_delivery_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for a in batch {
                    ins.execute(params![
                        a.seq as i64,
                        a.msg_id,
                        a.call_id,
                        a.delivery_id,
                        a.origin_source,
                        a.origin_received_ms,
                        a.origin_delivery_id
                    ])?;
                }
                tx.execute(
                    "INSERT INTO marks (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                    params![CALLS_SEQ, last as i64],
                )?;
            }
            tx.commit()
        })
    }

    pub fn applied(&self, seq: u64) -> Result<Option<Applied>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT seq, msg_id, call_id, delivery_id, origin_source, origin_received_ms, origin_delivery_id
                 FROM applied_calls WHERE seq = ?1",
                [seq as i64],
                |r| {
                    Ok(Applied {
                        seq: r.get::<_, i64>(0)? as u64,
                        msg_id: r.get(1)?,
                        call_id: r.get(2)?,
                        delivery_id: r.get(3)?,
                        origin_source: r.get(4)?,
                        origin_received_ms: r.get(5)?,
                        origin_delivery_id: r.get(6)?,
                    })
                },
            )
            .optional()
        })
    }

    /// Records review events not applied (a replayed chunk records them once).
    pub fn record_rejected(&self, rows: &[Rejected]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut ins = tx.prepare_cached(
                    "INSERT OR REPLACE INTO rejected_events (seq, subject, event_id, author_email, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for r in rows {
                    ins.execute(params![r.seq as i64, r.subject, r.event_id, r.author_email, r.reason])?;
                }
            }
            tx.commit()
        })
    }

    pub fn rejected_count(&self) -> Result<i64, StoreError> {
        self.with(|c| c.query_row("SELECT count(*) FROM rejected_events", [], |r| r.get(0)))
    }

    /// The review events not applied, in stream order.
    pub fn rejected(&self) -> Result<Vec<Rejected>, StoreError> {
        self.with(|c| {
            let mut st =
                c.prepare("SELECT seq, subject, event_id, author_email, reason FROM rejected_events ORDER BY seq")?;
            let rows = st.query_map([], |r| {
                Ok(Rejected {
                    seq: r.get::<_, i64>(0)? as u64,
                    subject: r.get(1)?,
                    event_id: r.get(2)?,
                    author_email: r.get(3)?,
                    reason: r.get(4)?,
                })
            })?;
            rows.collect()
        })
    }

    pub fn info(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value: Option<Option<String>> =
            self.with(|c| c.query_row("SELECT value FROM info WHERE key = ?1", [key], |r| r.get(0)).optional())?;
        Ok(value.flatten())
    }

    pub fn set_info(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO info (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_applied_rows_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = TeamState::open_at(&dir.path().join("team.sqlite")).expect("open");
        assert_eq!(state.calls_seq().expect("seq"), 0);
        let a = |seq| Applied {
            seq,
            msg_id: format!("1-{seq}"),
            call_id: 1,
            delivery_id: Some(seq as i64),
            origin_source: Some("webhook".into()),
            origin_received_ms: Some(5),
            origin_delivery_id: Some(9),
        };
        state.record_applied(&[a(1), a(2)]).expect("record");
        assert_eq!(state.calls_seq().expect("seq"), 2);
        state.record_applied(&[a(1)]).expect("again");
        assert_eq!(state.calls_seq().expect("seq"), 2, "the sequence never moves back");
        assert_eq!(state.applied(2).expect("get"), Some(a(2)));
        drop(state);
        let state = TeamState::open_at(&dir.path().join("team.sqlite")).expect("reopen");
        assert_eq!(state.calls_seq().expect("seq"), 2, "kept across restarts");
        state.set_mark(PUBLISHED, 40).expect("mark");
        assert_eq!(state.mark(PUBLISHED).expect("mark"), Some(40));
        state.set_info("last_error", Some("boom")).expect("info");
        assert_eq!(state.info("last_error").expect("info").as_deref(), Some("boom"));
        state.set_info("last_error", None).expect("cleared");
        assert_eq!(state.info("last_error").expect("info"), None);
        assert_eq!(state.info("never_set").expect("info"), None);
    }
}
