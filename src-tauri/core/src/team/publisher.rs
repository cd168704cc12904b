//! The server's side: every stored delivery in the journal, published to `POSTCALL_CALLS`.
//!
//! The journal is the outbox. This task reads the journal's rows past its own mark (kept in
//! `team.sqlite`), publishes each with its exact bytes and delivery metadata, waits for
//! JetStream's acknowledgements and only then moves the mark. So a delivery is published after it
//! is durable, a failed publish is retried with back-off (the next attempt starts again from the
//! mark), and a publish repeated after a crash is dropped by the stream's duplicate window
//! (`Nats-Msg-Id` = call id + hash of the bytes) and, past the window, by every node's own check.
//! The ingest path is not touched: a delivery reaches the team the moment its journal commit is
//! visible, whatever wrote it (webhook, import, backfill).
//!
//! Deliveries whose body was unusable are not published (they have no call to file them under);
//! they stay on the server for `postcall deliveries --failed`.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::state::{TeamState, PUBLISHED};
use super::{connect, ensure_streams, headers, Connection, Endpoint, TeamError, CALLS_STREAM};
use crate::ingest::StoreEvent;
use crate::store::Store;

/// The most deliveries published before waiting for their acknowledgements.
const BATCH: i64 = 512;
/// How often the journal is looked at when no ingest event woke the task.
const POLL: Duration = Duration::from_millis(500);

/// One journal row on its way to the stream.
pub struct Outgoing {
    pub delivery_id: i64,
    pub received_ms: i64,
    pub source: String,
    pub content_type: Option<String>,
    pub call_id: i64,
    pub body: Vec<u8>,
}

/// Stored deliveries after `mark`, oldest first.
pub fn after(store: &Store, mark: i64, limit: i64) -> Result<Vec<Outgoing>, TeamError> {
    Ok(store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT id, received_ms, source, content_type, call_id, unpack_body(codec, dict_id, body) FROM journal.deliveries
             WHERE id > ?1 AND outcome = 'stored' AND call_id IS NOT NULL ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![mark, limit], |r| {
                Ok(Outgoing {
                    delivery_id: r.get(0)?,
                    received_ms: r.get(1)?,
                    source: r.get(2)?,
                    content_type: r.get(3)?,
                    call_id: r.get(4)?,
                    body: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?)
}

/// Stored deliveries not acknowledged by the stream yet.
pub fn unpublished(store: &Store, state: &TeamState) -> Result<i64, TeamError> {
    let mark = state.mark(PUBLISHED)?.unwrap_or(0);
    Ok(store.read(|c| {
        Ok(c.query_row(
            "SELECT count(*) FROM journal.deliveries WHERE id > ?1 AND outcome = 'stored' AND call_id IS NOT NULL",
            [mark],
            |r| r.get(0),
        )?)
    })?)
}

pub fn message_headers(d: &Outgoing) -> async_nats::HeaderMap {
    let mut h = async_nats::HeaderMap::new();
    h.insert(headers::MSG_ID, super::call_msg_id(d.call_id, &d.body).as_str());
    h.insert(headers::SOURCE, d.source.as_str());
    h.insert(headers::RECEIVED_MS, d.received_ms.to_string().as_str());
    h.insert(headers::DELIVERY_ID, d.delivery_id.to_string().as_str());
    if let Some(ct) = d.content_type.as_deref().filter(|ct| ct.is_ascii() && !ct.contains(['\r', '\n'])) {
        h.insert(headers::CONTENT_TYPE, ct);
    }
    h.insert(headers::FORMAT, "1");
    h
}

/// Publishes one batch and waits for the stream to take it. Returns the last journal row
/// acknowledged (every row up to it is in the stream), which is `None` when the first failed.
async fn publish_batch(conn: &Connection, batch: &[Outgoing]) -> (Option<i64>, Option<TeamError>) {
    let mut acks = Vec::with_capacity(batch.len());
    for d in batch {
        let subject = format!("postcall.calls.{}", d.call_id);
        match conn.jetstream.publish_with_headers(subject, message_headers(d), d.body.clone().into()).await {
            Ok(ack) => acks.push((d.delivery_id, ack)),
            Err(e) => {
                // Publishes after a failed one are not sent: the acknowledged prefix stays contiguous.
                let err = conn.explain(e);
                return (await_acks(conn, acks).await.0, Some(err));
            }
        }
    }
    await_acks(conn, acks).await
}

async fn await_acks(
    conn: &Connection,
    acks: Vec<(i64, async_nats::jetstream::context::PublishAckFuture)>,
) -> (Option<i64>, Option<TeamError>) {
    let mut last = None;
    for (id, ack) in acks {
        match ack.await {
            Ok(a) if a.stream == CALLS_STREAM => last = Some(id),
            Ok(a) => {
                return (
                    last,
                    Some(TeamError::Nats(format!(
                        "postcall.calls.> is stored by stream {}, not {CALLS_STREAM}",
                        a.stream
                    ))),
                )
            }
            Err(e) => return (last, Some(conn.explain(e))),
        }
    }
    (last, None)
}

/// What the publisher reports on the way.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Connected,
    Published { up_to_delivery: i64, count: usize },
    Failed(String),
}

/// Publishes the journal to the team server until `cancel`: connects (with back-off while the
/// server is unreachable), makes the streams if missing, then follows the journal.
pub async fn run(
    store: Arc<Store>,
    state: TeamState,
    endpoint: Endpoint,
    mut wake: broadcast::Receiver<StoreEvent>,
    cancel: CancellationToken,
    mut progress: impl FnMut(Progress) + Send,
) {
    let mut backoff = Duration::ZERO;
    let mut conn: Option<Connection> = None;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let step = async {
            let c = match &conn {
                Some(c) => c.clone(),
                None => {
                    let c = connect(&endpoint).await?;
                    ensure_streams(&c).await?;
                    conn = Some(c.clone());
                    let _ = state.set_info("last_error", None);
                    progress(Progress::Connected);
                    c
                }
            };
            let mark = state.mark(PUBLISHED)?.unwrap_or(0);
            let batch = after(&store, mark, BATCH)?;
            if batch.is_empty() {
                return Ok::<bool, TeamError>(false);
            }
            let (acked, failed) = publish_batch(&c, &batch).await;
            if let Some(last) = acked {
                state.set_mark(PUBLISHED, last)?;
                let count = batch.iter().take_while(|d| d.delivery_id <= last).count();
                progress(Progress::Published { up_to_delivery: last, count });
            }
            match failed {
                Some(e) => Err(e),
                None => Ok(true),
            }
        };
        match step.await {
            Ok(true) => backoff = Duration::ZERO,
            Ok(false) => {
                backoff = Duration::ZERO;
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = wake.recv() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
            Err(e) => {
                let message = e.to_string();
                let _ = state.set_info("last_error", Some(&message));
                progress(Progress::Failed(message));
                if matches!(e, TeamError::Unreachable { .. } | TeamError::Refused { .. }) {
                    conn = None;
                }
                backoff = super::next_backoff(backoff);
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
            }
        }
    }
}
