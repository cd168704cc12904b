//! The indexer: builds the calls and their turns in `postcall.sqlite`.
//!
//! Batches are large (up to [`MAX_INDEX_BATCH`] calls in one transaction), and each records how
//! far into the journal it got (the `journal` mark in `index_state`) in the same transaction, so
//! after a crash `replay.rs` knows where to start. A batch that fails is retried call by
//! call; a call that fails alone is listed in `index_errors` as the mark passes it, so the mark
//! never passes a delivery that is neither indexed nor listed. Each batch's search rows go on to
//! the search writer (`search_writer.rs`).

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use rusqlite::{params, Connection};
use tokio::sync::{oneshot, OwnedSemaphorePermit};

use super::search_writer::{SearchBatch, SearchMsg};
use super::{fault, take_waiting, Source};
use crate::store;
use crate::store::calls::{self, Delta};
use crate::store::checkpoint::{Checkpointer, Gate};
use crate::store::index_errors;
use crate::store::search_index::SearchRows;

/// What the indexer is done with: freed on a thread of its own, because freeing a batch built by
/// another thread took a tenth of the indexer's time.
pub(super) type Spent = Vec<(Vec<u8>, Box<calls::Derived>)>;

/// A journaled delivery, parsed, on its way to the indexer.
pub(super) struct IndexJob {
    pub(super) delivery_id: i64,
    pub(super) source: Source,
    pub(super) call_id: i64,
    /// The body as journaled. The document itself is not kept: a call seen for the first time is
    /// written from `derived` alone, and the body is parsed again only to merge it into a call
    /// seen before. (Documents held between threads were a third of the memory and of the work
    /// of freeing it.)
    pub(super) body: Vec<u8>,
    /// The body is exactly its document's JSON text (valid UTF-8 with no byte-order mark), so a
    /// call whose whole document this is can refer to the delivery instead of copying it.
    pub(super) verbatim: bool,
    /// What the call's tables and indexes hold were this document the whole call.
    pub(super) derived: Box<calls::Derived>,
    pub(super) done: Option<oneshot::Sender<()>>,
    /// Held until the call is searchable.
    pub(super) slot: Option<OwnedSemaphorePermit>,
}

pub(super) enum IndexMsg {
    Job(IndexJob),
    Flush(oneshot::Sender<()>),
}

/// The most calls one index transaction builds. Under a sustained load (an import) the batches
/// are this large; the list indexes keyed by duration, status, campaign and objective take each
/// batch's inserts at hundreds of places, and a page changed by several calls of a batch is
/// written once for all of them (4,096 rather than 1,024 calls per batch: 6.6 instead of
/// 10.6 KB logged per call at a million calls).
pub(super) const MAX_INDEX_BATCH: usize = 4096;

pub(super) const WATERMARK: &str = "journal";

pub(super) fn indexer(
    mut conn: Connection,
    rx: std_mpsc::Receiver<IndexMsg>,
    search_tx: std_mpsc::SyncSender<SearchMsg>,
    checkpointer: Checkpointer,
    gate: Gate,
    spent_tx: std_mpsc::Sender<Spent>,
) {
    while let Ok(first) = rx.recv() {
        let (mut jobs, mut flushes) = (Vec::new(), Vec::new());
        take_waiting(&rx, first, |msg| {
            match msg {
                IndexMsg::Job(j) => jobs.push(j),
                // A flush answers after everything queued before it.
                IndexMsg::Flush(f) => flushes.push(f),
            }
            jobs.len() < MAX_INDEX_BATCH && flushes.is_empty()
        });
        if !jobs.is_empty() {
            let rows = {
                let _writing = gate.hold();
                index_all(&mut conn, &jobs)
            };
            checkpointer.nudge();
            let mark = jobs.iter().map(|j| j.delivery_id).max();
            let deliveries = jobs.len();
            let (mut done, mut slots) = (Vec::new(), Vec::new());
            let mut spent = Vec::with_capacity(deliveries);
            for job in jobs {
                done.extend(job.done);
                slots.extend(job.slot);
                spent.push((job.body, job.derived));
            }
            let _ = spent_tx.send(spent);
            let batch = SearchBatch { rows, mark, done, deliveries, _slots: slots };
            if search_tx.send(SearchMsg::Batch(batch)).is_err() {
                break;
            }
        }
        for f in flushes {
            let _ = search_tx.send(SearchMsg::Flush(f));
        }
    }
}

/// Indexes a batch in one transaction; if that fails, each job alone, so one bad call cannot
/// hold back the others, and a call that fails alone is listed in `index_errors` as the mark
/// passes it. Returns the search rows of the calls built.
pub(super) fn index_all(conn: &mut Connection, jobs: &[IndexJob]) -> Vec<SearchRows> {
    let now = crate::time::now_ms();
    let mut attempt = 0;
    let mark = jobs.iter().map(|j| j.delivery_id).max();
    let outcome = loop {
        match index_batch(conn, jobs, now, mark) {
            // Another writer held the database past the busy timeout: wait and try again rather
            // than give up on calls that are fine.
            Err(store::StoreError::Sql(e)) if is_busy(&e) && attempt < 5 => {
                attempt += 1;
                tracing::debug!(attempt, "the call database is busy; retrying the batch");
                std::thread::sleep(Duration::from_millis(50 << attempt));
            }
            other => break other,
        }
    };
    match outcome {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "indexing a batch failed; retrying its calls one by one");
            // Once a failure cannot even be listed, the mark stays before it: the next start
            // replays from there.
            let mut marking = true;
            let mut rows = Vec::new();
            for one in jobs.chunks(1) {
                let job = &one[0];
                let mark = marking.then_some(job.delivery_id);
                match index_batch(conn, one, now, mark) {
                    Ok(r) => rows.extend(r),
                    Err(e) => {
                        tracing::error!(call_id = job.call_id, delivery = job.delivery_id, error = %e,
                            "a call could not be indexed; listed as an indexing error (postcall reindex)");
                        if let Err(e) = list_index_error(conn, job, &e.to_string(), now, mark) {
                            tracing::error!(delivery = job.delivery_id, error = %e,
                                "an indexing error could not be listed; the next start retries from this delivery");
                            marking = false;
                        }
                    }
                }
            }
            rows
        }
    }
}

/// Lists a delivery that could not be indexed and moves the mark past it, in one transaction.
fn list_index_error(
    conn: &mut Connection,
    job: &IndexJob,
    error: &str,
    now: i64,
    mark: Option<i64>,
) -> Result<(), store::StoreError> {
    let tx = conn.transaction()?;
    index_errors::record(&tx, job.delivery_id, job.call_id, error, now)?;
    if let Some(mark) = mark {
        set_mark(&tx, mark)?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn set_mark(conn: &Connection, delivery_id: i64) -> Result<(), store::StoreError> {
    conn.prepare_cached(
        "INSERT INTO main.index_state (name, delivery_id) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET delivery_id = max(delivery_id, excluded.delivery_id)",
    )?
    .execute(params![WATERMARK, delivery_id])?;
    Ok(())
}

/// Builds `jobs`' calls in one transaction and, with `mark`, moves the index mark to it.
fn index_batch(
    conn: &mut Connection,
    jobs: &[IndexJob],
    now: i64,
    mark: Option<i64>,
) -> Result<Vec<SearchRows>, store::StoreError> {
    let tx = conn.transaction()?;
    // Take the call database's write lock (waiting for it if need be) before reading anything: a
    // transaction that reads and then writes fails at once with SQLITE_BUSY when another
    // connection (the recording vault) committed in between. Not BEGIN IMMEDIATE: that would
    // also lock the attached journal and stall the webhook writer.
    tx.prepare_cached("UPDATE main.index_state SET delivery_id = delivery_id WHERE name = ?1")?.execute([WATERMARK])?;
    let mut rows = Vec::with_capacity(jobs.len());
    let mut updated = Vec::new();
    let mut writer = calls::Writer::new(&tx);
    for job in jobs {
        fault::check(job.call_id).map_err(store::StoreError::NotFound)?;
        // The journal keeps the body; a call whose document is that body as it came refers to it.
        let delivery = job.verbatim.then_some(job.delivery_id);
        let upserted = writer.upsert_delivered(
            job.call_id,
            job.source,
            Delta::Raw(&job.body),
            delivery,
            Some(&job.derived),
            now,
        )?;
        if upserted.duplicate {
            updated.push(job.call_id);
        }
        rows.push(upserted.search);
    }
    writer.finish()?;
    if let Some(mark) = mark {
        set_mark(&tx, mark)?;
    }
    tx.commit()?;
    crate::review::keys::refresh_logged(conn, &updated);
    Ok(rows)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked))
}
