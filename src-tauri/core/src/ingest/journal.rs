//! The journal writer: the first stage, and the only one an answer waits for.
//!
//! Every delivery queued at that moment goes into one transaction (group commit): its raw body,
//! compressed or not, with its parse outcome, appended to `journal.sqlite` and committed with
//! `synchronous=FULL`. Only then is each delivery answered, so an answer means "on disk", and
//! concurrent webhooks share one fsync. A usable delivery then moves on, still as raw bytes, to
//! the parser (`parse.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};

use rusqlite::{Connection, OptionalExtension};
use tokio::sync::{broadcast, mpsc, oneshot, OwnedSemaphorePermit};

use super::parse::{Pending, PendingMsg};
use super::{IngestError, IngestOutcome, Source, StoreEvent};
use crate::payload;
use crate::store::checkpoint::{Checkpointer, Gate};
use crate::store::{self, deliveries};

pub(super) type Reply = oneshot::Sender<Result<(IngestOutcome, Option<oneshot::Receiver<()>>), IngestError>>;

pub(super) enum JournalJob {
    Deliver {
        source: Source,
        content_type: Option<String>,
        body: Vec<u8>,
        /// The body compressed (its dictionary's id and bytes), or `None` to store it raw.
        packed: Option<(i64, Vec<u8>)>,
        /// The call id, or why the body is unusable.
        parsed: Result<i64, String>,
        wait_index: bool,
        /// Held until the call is indexed (or the delivery turns out unusable).
        slot: Option<OwnedSemaphorePermit>,
        reply: Reply,
    },
    Reprocess {
        delivery_id: i64,
        reply: Reply,
    },
}

/// The most deliveries one journal transaction takes.
pub(super) const MAX_BATCH: usize = 512;

pub(super) fn journal_writer(
    mut conn: Connection,
    mut rx: mpsc::Receiver<JournalJob>,
    pending_tx: std_mpsc::Sender<PendingMsg>,
    events: broadcast::Sender<StoreEvent>,
    backlog: Arc<AtomicUsize>,
    checkpointer: Checkpointer,
    gate: Gate,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let now = crate::time::now_ms();
        let written = {
            let _writing = gate.hold();
            journal_batch(&mut conn, &mut batch, now)
        };
        match written {
            Ok(results) => {
                checkpointer.nudge();
                let mut failed = false;
                for (job, (result, index_job)) in batch.drain(..).zip(results) {
                    let reprocess = matches!(job, JournalJob::Reprocess { .. });
                    let mut indexed = None;
                    if let Some(mut pending) = index_job {
                        if wants_index_wait(&job) {
                            let (tx, rx) = oneshot::channel();
                            pending.done = Some(tx);
                            indexed = Some(rx);
                        }
                        backlog.fetch_add(1, Ordering::Relaxed);
                        let _ = pending_tx.send(PendingMsg::Job(pending));
                    }
                    failed |= reprocess || result.as_ref().is_ok_and(|o| !o.stored());
                    let _ = reply_of(job).send(result.map(|o| (o, indexed)));
                }
                if failed {
                    let _ = events.send(StoreEvent { calls: vec![], failed_deliveries: true });
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "committing a batch of deliveries failed");
                for job in batch.drain(..) {
                    let _ = reply_of(job).send(Err(IngestError::Storage(e.to_string())));
                }
            }
        }
    }
}

fn wants_index_wait(job: &JournalJob) -> bool {
    match job {
        JournalJob::Deliver { wait_index, .. } => *wait_index,
        JournalJob::Reprocess { .. } => true,
    }
}

pub(super) fn reply_of(job: JournalJob) -> Reply {
    match job {
        JournalJob::Deliver { reply, .. } | JournalJob::Reprocess { reply, .. } => reply,
    }
}

type JournalResult = (Result<IngestOutcome, IngestError>, Option<Pending>);

fn journal_batch(
    conn: &mut Connection,
    batch: &mut [JournalJob],
    now: i64,
) -> Result<Vec<JournalResult>, store::StoreError> {
    let tx = conn.transaction()?;
    let mut out = Vec::with_capacity(batch.len());
    for job in batch.iter_mut() {
        out.push(match job {
            JournalJob::Deliver { source, content_type, body, packed, parsed, slot, .. } => {
                let duplicate = match parsed {
                    Ok(id) => seen(&tx, *id)?,
                    Err(_) => false,
                };
                let result = parsed.as_ref().copied().map_err(String::as_str);
                let packed = packed.as_ref().map(|(dict, bytes)| (*dict, bytes.as_slice()));
                let delivery_id =
                    deliveries::insert_packed(&tx, now, *source, content_type.as_deref(), body, packed, result)?;
                // The body moves on to be indexed; the job keeps only its reply.
                let parsed = std::mem::replace(parsed, Err(String::new()));
                journaled(delivery_id, *source, parsed, std::mem::take(body), duplicate, slot.take())
            }
            JournalJob::Reprocess { delivery_id, .. } => match deliveries::raw(&tx, *delivery_id)? {
                None => (Err(IngestError::NoSuchDelivery(*delivery_id)), None),
                Some(raw) => {
                    let source = Source::parse(&raw.source).unwrap_or(Source::Webhook);
                    let parsed = payload::parse_body(&raw.body).map(|(id, _)| id).map_err(|e| e.to_string());
                    let duplicate = match &parsed {
                        Ok(id) => seen(&tx, *id)?,
                        Err(_) => false,
                    };
                    deliveries::set_outcome(&tx, raw.id, parsed.as_ref().copied().map_err(String::as_str))?;
                    journaled(raw.id, source, parsed, raw.body, duplicate, None)
                }
            },
        });
    }
    tx.commit()?;
    Ok(out)
}

/// Whether a usable delivery for this call was journaled before (from any source).
fn seen(conn: &Connection, call_id: i64) -> Result<bool, store::StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM deliveries WHERE call_id = ?1 AND outcome = 'stored' LIMIT 1")?
        .query_row([call_id], |_| Ok(()))
        .optional()?
        .is_some())
}

fn journaled(
    delivery_id: i64,
    source: Source,
    parsed: Result<i64, String>,
    body: Vec<u8>,
    duplicate: bool,
    slot: Option<OwnedSemaphorePermit>,
) -> JournalResult {
    match parsed {
        Ok(call_id) => (
            Ok(IngestOutcome { delivery_id, call_id: Some(call_id), duplicate, error: None }),
            Some(Pending { delivery_id, source, body, done: None, slot }),
        ),
        Err(e) => (Ok(IngestOutcome { delivery_id, call_id: None, duplicate: false, error: Some(e) }), None),
    }
}
