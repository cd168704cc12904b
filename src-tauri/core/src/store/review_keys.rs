//! The log's two orders copied beside the review rows: its time (`calls.sort_ms`, as `log_ms`)
//! and its duration (`ifnull(calls.duration, -1)`, as `log_dur`), in `call_tags`,
//! `review_states` and `review_any`, so that a page of the log filtered by a tag or a review
//! state is one range of a review index joined to `calls` by primary key (`review::filter`),
//! whichever way the log is sorted.
//!
//! The two keys are always written together: a row with `log_ms` has its `log_dur` too, so one
//! NULL test (and one partial index) tells a row still waiting for its call. The calls and the
//! review rows live in two files written by two connections, so the copy is kept by every writer
//! that can make it wrong:
//!
//! - the review writer projects a call's events with its key, read from the call database it
//!   attaches as `calls_db` (NULL when the call is not indexed yet: team mode receives review
//!   events before the calls they are about, and a reindex rebuilds calls after);
//! - the indexer, after each committed batch, fills the keys of calls that arrived after their
//!   review rows and moves those of calls whose `sort_ms` or duration changed (a later delivery
//!   of the call) ([`refresh`]), in a short
//!   transaction of its own, so its large ones never hold the review file's lock;
//! - opening the store and every review write fill whatever is still missing.
//!
//! A key that is missing for a call that exists (a review write racing the indexer) is never a
//! lost row: the filter checks for one and walks the log instead ([`unkeyed`]).

use rusqlite::{Connection, OptionalExtension};

use crate::store::Result;

/// The review tables that carry `log_ms`.
pub(crate) const KEYED: [&str; 3] = ["review_states", "call_tags", "review_any"];

/// Where the `calls` table is seen from a connection writing the review file: `main` in a
/// combined test database, `calls_db` on the store's review writer, or nowhere.
pub(crate) fn calls_schema(conn: &Connection) -> Result<Option<&'static str>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_database_list")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    if names.iter().any(|n| n == "calls_db") {
        return Ok(Some("calls_db"));
    }
    let main_has_calls = conn
        .prepare_cached("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'calls'")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some();
    Ok(main_has_calls.then_some("main"))
}

/// The duration as the log sorts it, over the calls table aliased `c`.
pub(crate) const DURATION_KEY: &str = "ifnull(c.duration, -1)";

/// A call's place in the log's two orders: `(log_ms, log_dur)`.
pub(crate) type LogKeys = (i64, i64);

/// The log keys of `call_id`, if the call is indexed.
pub(crate) fn key_of(conn: &Connection, calls: Option<&str>, call_id: i64) -> Result<Option<LogKeys>> {
    let Some(schema) = calls else { return Ok(None) };
    Ok(conn
        .prepare_cached(&format!("SELECT c.sort_ms, {DURATION_KEY} FROM {schema}.calls c WHERE c.id = ?1"))?
        .query_row([call_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Fills the keys of review rows whose call is now indexed. `review` and `calls` are the schema
/// names of the two files on `conn`. Reads first, so a connection with nothing to fill never
/// takes the review file's write lock. Returns the rows filled.
pub fn fill_missing(conn: &Connection, review: &str, calls: &str) -> Result<usize> {
    let mut filled = 0;
    for table in KEYED {
        let waiting: bool = conn
            .prepare_cached(&format!(
                "SELECT EXISTS (SELECT 1 FROM {review}.{table} t INDEXED BY {table}_unkeyed WHERE t.log_ms IS NULL
                   AND EXISTS (SELECT 1 FROM {calls}.calls c WHERE c.id = t.call_id))"
            ))?
            .query_row([], |r| r.get(0))?;
        if waiting {
            filled += conn
                .prepare_cached(&format!(
                    "UPDATE {review}.{table} SET (log_ms, log_dur) =
                       (SELECT c.sort_ms, {DURATION_KEY} FROM {calls}.calls c WHERE c.id = call_id)
                     WHERE log_ms IS NULL AND call_id IN (SELECT id FROM {calls}.calls)"
                ))?
                .execute([])?;
        }
    }
    Ok(filled)
}

/// After the indexer committed calls: fills the keys of review rows whose call arrived, and moves
/// those of `updated` calls (seen before) whose `sort_ms` or duration changed. On the indexer's connection
/// (`review` attached), outside its transaction. Each write is a statement of its own (no
/// transaction that reads and then writes, which SQLite refuses when the review writer committed
/// in between) and is taken only when a read found work. Returns the rows changed.
pub fn refresh(conn: &Connection, updated: &[i64]) -> Result<usize> {
    let list = serde_json::to_string(updated).unwrap_or_else(|_| "[]".into());
    let mut moved = false;
    if !updated.is_empty() {
        for table in ["review_states", "call_tags"] {
            moved |= conn
                .prepare_cached(&format!(
                    "SELECT EXISTS (SELECT 1 FROM json_each(?1) j JOIN review.{table} t ON t.call_id = j.value
                       JOIN calls c ON c.id = t.call_id
                     WHERE t.log_ms IS NOT c.sort_ms OR t.log_dur IS NOT {DURATION_KEY})"
                ))?
                .query_row([&list], |r| r.get::<_, bool>(0))?;
        }
    }
    let mut changed = 0;
    if moved {
        for table in KEYED {
            changed += conn
                .prepare_cached(&format!(
                    "UPDATE review.{table} SET (log_ms, log_dur) =
                       (SELECT c.sort_ms, {DURATION_KEY} FROM calls c WHERE c.id = call_id)
                     WHERE call_id IN (SELECT value FROM json_each(?1))
                       AND EXISTS (SELECT 1 FROM calls c WHERE c.id = call_id
                                   AND (log_ms IS NOT c.sort_ms OR log_dur IS NOT {DURATION_KEY}))"
                ))?
                .execute([&list])?;
        }
    }
    changed += fill_missing(conn, "review", "main")?;
    Ok(changed)
}

/// [`refresh`] for the indexer: a failure is logged, never the indexer's (the keys are filled
/// again at the next batch, review write or start).
pub fn refresh_logged(conn: &Connection, updated: &[i64]) {
    if let Err(e) = refresh(conn, updated) {
        tracing::warn!(error = %e, "the review filters' copy of the log order could not be refreshed; retried later");
    }
}

/// Whether a review row matching `condition` (over alias `t` of `review.{table}`) lacks the key
/// of a call that is indexed: then an index range over the key would miss it.
pub(crate) fn unkeyed(
    conn: &Connection,
    table: &str,
    condition: &str,
    args: &[rusqlite::types::Value],
) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM review.{table} t INDEXED BY {table}_unkeyed WHERE t.log_ms IS NULL AND {condition}
               AND EXISTS (SELECT 1 FROM calls c WHERE c.id = t.call_id))"
        ))?
        .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?)
}
