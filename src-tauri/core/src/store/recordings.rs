//! `recordings`: the vault's table, as far as indexing writes it. A call that arrives with a new
//! recording URL queues a download in the same transaction that stores the call, so the store
//! owns that statement; the vault (the `recordings` module above) works through the queue.

use rusqlite::{params, Connection};

use super::Result;

/// Queues a download when a call arrives with a recording URL the vault does not have yet (a new
/// call, or a delivery that changed the URL). The same URL again changes nothing. Runs inside
/// the indexer's transaction.
pub fn note_url(conn: &Connection, call_id: i64, url: &str, now_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO recordings (call_id, url, state, updated_ms) VALUES (?1, ?2, 'queued', ?3)
         ON CONFLICT (call_id) DO UPDATE SET
            url = excluded.url, state = 'queued', requested = 0, bytes = NULL, total_bytes = NULL,
            error = NULL, attempts = 0, next_attempt_ms = 0, updated_ms = excluded.updated_ms
         WHERE recordings.url IS NOT excluded.url",
    )?
    .execute(params![call_id, url, now_ms])?;
    Ok(())
}
