//! The parser: journaled bodies become what each call's rows hold.
//!
//! Between the journal and the index the backlog is held as raw bytes (a parsed payload takes
//! several times its size), bounded by [`super::BACKLOG_BYTES`]; this thread parses them, in
//! journal order, into [`IndexJob`]s, at most [`PARSED_QUEUE`] ahead of the indexer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};

use tokio::sync::{oneshot, OwnedSemaphorePermit};

use super::index::{IndexJob, IndexMsg, MAX_INDEX_BATCH};
use super::Source;
use crate::payload;
use crate::store::calls;

/// A journaled delivery on its way to the indexer, still as raw bytes.
pub(super) struct Pending {
    pub(super) delivery_id: i64,
    pub(super) source: Source,
    pub(super) body: Vec<u8>,
    pub(super) done: Option<oneshot::Sender<()>>,
    pub(super) slot: Option<OwnedSemaphorePermit>,
}

pub(super) enum PendingMsg {
    Job(Pending),
    Flush(oneshot::Sender<()>),
}

/// Parsed documents waiting for the indexer (a parsed payload is several times its raw size):
/// the next batch fills while one is written.
pub(super) const PARSED_QUEUE: usize = MAX_INDEX_BATCH;

impl IndexJob {
    /// Parses a journaled body; `Err` when it does not parse (any more).
    pub(super) fn parse(delivery_id: i64, source: Source, body: Vec<u8>) -> Result<Self, payload::PayloadError> {
        let (call_id, derived) = match payload::lean::parse(&body) {
            Some((call_id, lean)) => (call_id, calls::Derived::of_lean(call_id, lean)),
            None => {
                // Not a body the lean parse takes: the full parse says why (or, should it take
                // it after all, derives the call from the whole document).
                let (call_id, doc) = payload::parse_body(&body)?;
                (call_id, calls::Derived::of(call_id, &doc))
            }
        };
        let derived = Box::new(derived);
        let verbatim = payload::is_verbatim(&body);
        Ok(Self { delivery_id, source, call_id, body, verbatim, derived, done: None, slot: None })
    }
}

/// Parses journaled bodies for the indexer, in journal order (the latest delivery of a call must
/// be indexed last). Blocks when the indexer is [`PARSED_QUEUE`] documents behind.
pub(super) fn parser(
    rx: std_mpsc::Receiver<PendingMsg>,
    tx: std_mpsc::SyncSender<IndexMsg>,
    backlog: Arc<AtomicUsize>,
) {
    while let Ok(msg) = rx.recv() {
        let out = match msg {
            PendingMsg::Flush(f) => IndexMsg::Flush(f),
            PendingMsg::Job(p) => match IndexJob::parse(p.delivery_id, p.source, p.body) {
                Ok(job) => IndexMsg::Job(IndexJob { done: p.done, slot: p.slot, ..job }),
                // The same bytes parsed before they were journaled, so this cannot happen; if it
                // did, the delivery stays in the journal for `postcall reprocess`.
                Err(e) => {
                    tracing::error!(delivery = p.delivery_id, error = %e, "a journaled delivery no longer parses");
                    backlog.fetch_sub(1, Ordering::Relaxed);
                    continue;
                }
            },
        };
        if tx.send(out).is_err() {
            break;
        }
    }
}
