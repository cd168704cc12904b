//! The search writer: the last stage, on the other core beside the indexer.
//!
//! It writes each indexed batch's full-text rows to `search.sqlite` (several batches at once when
//! it falls behind) with its own mark (see [`crate::store::search_index`]), then announces the
//! calls as one [`StoreEvent`] and releases the answers waiting for them: a call is reported once
//! it can be found.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{broadcast, oneshot, OwnedSemaphorePermit};

use super::{take_waiting, StoreEvent};
use crate::store::checkpoint::{Checkpointer, Gate};
use crate::store::search_index::{self, SearchRows};

/// A batch of calls built in the call database, on its way to the search index.
pub(super) struct SearchBatch {
    pub(super) rows: Vec<SearchRows>,
    /// The last delivery the batch reflects.
    pub(super) mark: Option<i64>,
    /// Answers waiting for these calls to be searchable.
    pub(super) done: Vec<oneshot::Sender<()>>,
    /// Deliveries in the batch, off the backlog once searchable.
    pub(super) deliveries: usize,
    /// Their room in the backlog, given back once they are searchable.
    pub(super) _slots: Vec<OwnedSemaphorePermit>,
}

pub(super) enum SearchMsg {
    Batch(SearchBatch),
    Flush(oneshot::Sender<()>),
}

/// Batches of search rows waiting for the search writer.
pub(super) const SEARCH_QUEUE: usize = 4;

/// Writes the indexer's batches to the search index (several at once when it falls behind), then
/// announces the calls: a call is reported, and an answer waiting for it released, once it can be
/// found.
pub(super) fn search_writer(
    mut conn: Connection,
    rx: std_mpsc::Receiver<SearchMsg>,
    events: broadcast::Sender<StoreEvent>,
    backlog: Arc<AtomicUsize>,
    checkpointer: Checkpointer,
    gate: Gate,
) {
    // Once a batch could not be written, the mark stays where it was, so that the next start
    // rebuilds everything after it (search_index::recover).
    let mut behind = false;
    while let Ok(first) = rx.recv() {
        let (mut batches, mut flushes) = (Vec::new(), Vec::new());
        take_waiting(&rx, first, |msg| {
            match msg {
                SearchMsg::Batch(b) => batches.push(b),
                SearchMsg::Flush(f) => flushes.push(f),
            }
            flushes.is_empty() && batches.len() < SEARCH_QUEUE
        });
        let mut rows = Vec::new();
        for b in &mut batches {
            rows.append(&mut b.rows);
        }
        let mark = batches.iter().filter_map(|b| b.mark).max().filter(|_| !behind);
        let mut write = || {
            let _writing = gate.hold();
            search_index::write_batch(&mut conn, &rows, mark)
        };
        let mut result = write();
        if result.is_err() {
            std::thread::sleep(Duration::from_millis(200));
            result = write();
        }
        if let Err(e) = result {
            tracing::error!(error = %e, calls = rows.len(),
                "the search index could not be updated; it is rebuilt from the calls at the next start");
            behind = true;
        }
        checkpointer.nudge();
        let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        backlog.fetch_sub(batches.iter().map(|b| b.deliveries).sum(), Ordering::Relaxed);
        let _ = events.send(StoreEvent { calls: ids, failed_deliveries: false });
        for done in batches.into_iter().flat_map(|b| b.done) {
            let _ = done.send(());
        }
        for f in flushes {
            let _ = f.send(());
        }
    }
}
