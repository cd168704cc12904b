//! Rebuilding calls from the journal: after a crash, the deliveries beyond the index mark
//! ([`catch_up`]); at every start and for `postcall reindex`, the calls listed in
//! `index_errors` ([`retry_index_errors`]); for `postcall reindex --all`, every call
//! ([`reset_for_reindex`], then the replay at the next start).
//!
//! A listed call is rebuilt from all of its journaled deliveries, in order, in one transaction:
//! one missing delivery in the middle of a call's history means every later merge may be wrong.

use rusqlite::{Connection, OptionalExtension};

use super::index::{index_all, set_mark, IndexJob, MAX_INDEX_BATCH, WATERMARK};
use super::{fault, Source};
use crate::store::calls::{self, Delta};
use crate::store::checkpoint::Checkpointer;
use crate::store::{self, deliveries, index_errors, search_index, Store};

/// Rebuilds calls from journaled deliveries beyond the index mark, a batch at a time (never the
/// whole journal in memory). Returns how many deliveries.
pub(super) fn catch_up(conn: &mut Connection, checkpointer: &Checkpointer) -> Result<usize, store::StoreError> {
    let mut mark: i64 = conn
        .query_row("SELECT delivery_id FROM index_state WHERE name = ?1", [WATERMARK], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let total: i64 =
        conn.query_row("SELECT count(*) FROM journal.deliveries WHERE id > ?1 AND outcome = 'stored'", [mark], |r| {
            r.get(0)
        })?;
    if total == 0 {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let mut progress = crate::startup::Progress::start(
        "Indexing the calls received before Postcall last stopped",
        "deliveries",
        total as u64,
    );
    let mut done = 0;
    loop {
        let chunk: Vec<(i64, String, Vec<u8>)> = {
            let mut stmt = conn.prepare_cached(
                "SELECT id, source, unpack_body(codec, dict_id, body) FROM journal.deliveries WHERE id > ?1 AND outcome = 'stored'
                 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt.query_map([mark, MAX_INDEX_BATCH as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(last) = chunk.last().map(|c| c.0) else { break };
        done += chunk.len();
        let mut jobs = Vec::with_capacity(chunk.len());
        let mut unusable = Vec::new();
        for (id, source, body) in chunk {
            let source = Source::parse(&source).unwrap_or(Source::Webhook);
            match IndexJob::parse(id, source, body) {
                Ok(job) => jobs.push(job),
                Err(e) => unusable.push((id, e.to_string())),
            }
        }
        let parsed_up_to = jobs.iter().map(|j| j.delivery_id).max();
        let rows = index_all(conn, &jobs);
        search_index::write_batch(conn, &rows, parsed_up_to)?;
        checkpointer.nudge();
        progress.set(done as u64);
        // The mark is past every call built or listed as an indexing error, never past one that
        // could not even be listed: stop there, the next start carries on from it.
        let index_mark: i64 =
            conn.query_row("SELECT delivery_id FROM index_state WHERE name = ?1", [WATERMARK], |r| r.get(0))?;
        if parsed_up_to.is_some_and(|m| index_mark < m) {
            tracing::error!(delivery = index_mark + 1, "the journal replay cannot get past a delivery; stopping here");
            break;
        }
        // A body stored as usable that no longer parses (a check added since it arrived) is
        // recorded as a failed delivery with the reason, shown and re-processable like any other.
        let tx = conn.transaction()?;
        for (id, error) in &unusable {
            tracing::warn!(delivery = id, error = %error, "a journaled delivery no longer parses; kept as failed");
            deliveries::set_outcome(&tx, *id, Err(error.as_str()))?;
        }
        set_mark(&tx, last)?;
        tx.commit()?;
        mark = last;
    }
    tracing::debug!(done, secs = started.elapsed().as_secs_f64(), "journal replayed");
    Ok(done)
}

/// Rebuilds each call listed in `index_errors` from its journaled deliveries. Returns (calls
/// rebuilt, calls still failing); a call still failing stays listed with the new error.
pub fn retry_index_errors(conn: &mut Connection) -> Result<(usize, usize), store::StoreError> {
    let ids = index_errors::calls(conn)?;
    let (mut rebuilt, mut failing) = (0, 0);
    for id in ids {
        let now = crate::time::now_ms();
        match rebuild_call(conn, id, now) {
            Ok(rows) => {
                search_index::write_batch(conn, &rows, None)?;
                rebuilt += 1;
            }
            Err(e) => {
                tracing::warn!(call_id = id, error = %e, "a call still cannot be indexed");
                index_errors::record_call(conn, id, &e.to_string(), now)?;
                failing += 1;
            }
        }
    }
    Ok((rebuilt, failing))
}

/// Rebuilds one call from all its journaled deliveries and takes it off the list, in one
/// transaction. Returns its search rows.
fn rebuild_call(conn: &mut Connection, id: i64, now: i64) -> Result<Vec<search_index::SearchRows>, store::StoreError> {
    let tx = conn.transaction()?;
    // The call database's write lock first (see index_batch).
    tx.execute("UPDATE main.index_state SET delivery_id = delivery_id WHERE name = ?1", [WATERMARK])?;
    tx.execute("UPDATE calls SET doc = NULL, api_doc = NULL, doc_delivery = NULL WHERE id = ?1", [id])?;
    let deliveries: Vec<(i64, String, Vec<u8>, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, source, unpack_body(codec, dict_id, body), received_ms FROM journal.deliveries
             WHERE call_id = ?1 AND outcome = 'stored' ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut writer = calls::Writer::new(&tx);
    for (delivery, source, body, received_ms) in deliveries {
        fault::check(id).map_err(store::StoreError::NotFound)?;
        let source = Source::parse(&source).unwrap_or(Source::Webhook);
        let job = IndexJob::parse(delivery, source, body)
            .map_err(|e| store::StoreError::NotFound(format!("delivery {delivery} no longer parses: {e}")))?;
        writer.upsert_delivered(
            id,
            source,
            Delta::Raw(&job.body),
            job.verbatim.then_some(delivery),
            Some(&job.derived),
            // A call first built now was first seen when its delivery arrived, not today: it
            // keeps its place in the log.
            received_ms.min(now),
        )?;
    }
    writer.finish()?;
    index_errors::clear_call(&tx, id)?;
    let rows = search_index::rows_for_call(&tx, id)?.into_iter().collect();
    tx.commit()?;
    crate::review::keys::refresh_logged(conn, &[id]);
    Ok(rows)
}

/// Prepares `postcall reindex --all`: every call's documents are dropped and the index mark goes
/// back to the journal's start, in one transaction, so the next start of the writers
/// ([`super::Ingestor::start`]) rebuilds every call from the journal, and an interrupted rebuild
/// carries on at the start after it. The calls' rows stay (with their recordings) meanwhile.
pub fn reset_for_reindex(store: &Store) -> Result<(), store::StoreError> {
    let mut conn = store.connect()?;
    let tx = conn.transaction()?;
    tx.execute("UPDATE calls SET doc = NULL, api_doc = NULL, doc_delivery = NULL", [])?;
    tx.execute("DELETE FROM index_state WHERE name = ?1", [WATERMARK])?;
    set_mark(&tx, 0)?;
    index_errors::clear_all(&tx)?;
    tx.commit()?;
    Ok(())
}
