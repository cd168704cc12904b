//! A laptop's side: `POSTCALL_CALLS`, replayed from the last applied sequence into the local
//! store through the normal ingest path.
//!
//! Each message is the server's journal row: its exact bytes go to [`Ingestor::deliver`] with the
//! server's source (webhook, import, api), so parsing, merging, indexing and search are exactly
//! those of a local delivery, and the server's received time and delivery id are kept beside it
//! in `team.sqlite`. Messages are applied in chunks, several deliveries in flight at once (two
//! deliveries of one call never together, so a call's history keeps the stream's order); after a
//! chunk is journaled, `calls_seq` moves in one transaction with the rows recording it.
//!
//! Idempotent without the stream's duplicate window: a message whose call already has a delivery
//! with the same bytes in the local journal is recorded as applied and not delivered again. That
//! covers a publish repeated after the window, and a chunk journaled just before a crash but not
//! recorded yet.

use std::collections::HashSet;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::replay::Replay;
use super::state::{Applied, TeamState};
use super::{headers, Connection, TeamError, CALLS_STREAM, CALLS_SUBJECTS};
use crate::ingest::{Ingestor, Source};
use crate::store::Store;

/// The most messages applied per chunk (and per `team.sqlite` commit).
const CHUNK: usize = 1024;
/// The most deliveries handed to the ingest writer at once.
const IN_FLIGHT: usize = 512;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SyncReport {
    /// Messages that became a local delivery.
    pub applied: u64,
    /// Messages whose bytes the local journal already held.
    pub skipped: u64,
    /// The last stream sequence applied.
    pub calls_seq: u64,
    /// The stream's last sequence when the pass started.
    pub stream_last: u64,
}

/// A call message, as read from the stream.
pub struct CallMessage {
    pub seq: u64,
    pub call_id: i64,
    pub msg_id: String,
    pub source: Source,
    pub content_type: Option<String>,
    pub received_ms: Option<i64>,
    pub delivery_id: Option<i64>,
    pub body: Vec<u8>,
}

impl CallMessage {
    fn from_jetstream(m: &async_nats::jetstream::Message, seq: u64) -> Option<Self> {
        let call_id: i64 = m.subject.as_str().strip_prefix("postcall.calls.")?.parse().ok()?;
        let h = m.headers.as_ref();
        let get = |k: &str| h.and_then(|h| h.get(k)).map(|v| v.as_str().to_string());
        let body = m.payload.to_vec();
        Some(Self {
            seq,
            call_id,
            msg_id: get(headers::MSG_ID).unwrap_or_else(|| super::call_msg_id(call_id, &body)),
            source: get(headers::SOURCE).and_then(|s| Source::parse(&s)).unwrap_or(Source::Webhook),
            content_type: get(headers::CONTENT_TYPE),
            received_ms: get(headers::RECEIVED_MS).and_then(|s| s.parse().ok()),
            delivery_id: get(headers::DELIVERY_ID).and_then(|s| s.parse().ok()),
            body,
        })
    }

    fn applied(&self, delivery_id: Option<i64>) -> Applied {
        Applied {
            seq: self.seq,
            msg_id: self.msg_id.clone(),
            call_id: self.call_id,
            delivery_id,
            origin_source: Some(self.source.as_str().to_string()),
            origin_received_ms: self.received_ms,
            origin_delivery_id: self.delivery_id,
        }
    }
}

/// Whether the local journal already holds these bytes for this call.
fn already_journaled(store: &Store, call_id: i64, body: &[u8]) -> Result<bool, TeamError> {
    Ok(store.read(|c| {
        Ok(c.prepare_cached(
            "SELECT 1 FROM journal.deliveries WHERE call_id = ?1 AND unpack_body(codec, dict_id, body) = ?2 LIMIT 1",
        )?
        .exists(rusqlite::params![call_id, body])?)
    })?)
}

/// Applies one chunk of messages in stream order and records it.
pub async fn apply_chunk(
    ingest: &Ingestor,
    state: &TeamState,
    chunk: Vec<CallMessage>,
    report: &mut SyncReport,
) -> Result<(), TeamError> {
    let mut in_flight: JoinSet<Result<(usize, i64), TeamError>> = JoinSet::new();
    let mut busy = HashSet::new();
    let mut delivered: Vec<Option<i64>> = vec![None; chunk.len()];
    async fn settle(
        set: &mut JoinSet<Result<(usize, i64), TeamError>>,
        delivered: &mut [Option<i64>],
        all: bool,
    ) -> Result<(), TeamError> {
        while let Some(r) = set.join_next().await {
            let (i, id) = r.map_err(|e| TeamError::Nats(format!("a delivery task failed: {e}")))??;
            delivered[i] = Some(id);
            if !all {
                break;
            }
        }
        Ok(())
    }
    for (i, m) in chunk.iter().enumerate() {
        if busy.contains(&m.call_id) || in_flight.len() >= IN_FLIGHT {
            // A second delivery of a call waits for the first: its history keeps the stream's order.
            settle(&mut in_flight, &mut delivered, busy.contains(&m.call_id)).await?;
            if busy.contains(&m.call_id) {
                busy.clear();
            }
        }
        if already_journaled(ingest.store(), m.call_id, &m.body)? {
            report.skipped += 1;
            continue;
        }
        busy.insert(m.call_id);
        let (ingest, source, ct, body) = (ingest.clone(), m.source, m.content_type.clone(), m.body.clone());
        in_flight.spawn(async move {
            let outcome = ingest.deliver(source, ct, body).await?;
            Ok((i, outcome.delivery_id))
        });
    }
    settle(&mut in_flight, &mut delivered, true).await?;
    let records: Vec<Applied> = chunk.iter().zip(&delivered).map(|(m, d)| m.applied(*d)).collect();
    report.applied += delivered.iter().filter(|d| d.is_some()).count() as u64;
    state.record_applied(&records)?;
    if let Some(last) = chunk.last() {
        report.calls_seq = report.calls_seq.max(last.seq);
    }
    Ok(())
}

/// Replays the calls stream from the last applied sequence. With `once`, returns when the stream
/// as it was at the start is applied (and indexed); otherwise follows it until `cancel`.
pub async fn sync_calls(
    conn: &Connection,
    ingest: &Ingestor,
    state: &TeamState,
    once: bool,
    cancel: &CancellationToken,
    mut progress: impl FnMut(&SyncReport) + Send,
) -> Result<SyncReport, TeamError> {
    let from = state.calls_seq()? + 1;
    let (replay, last) = Replay::start(conn, CALLS_STREAM, CALLS_SUBJECTS, from, once).await?;
    let mut report = SyncReport { calls_seq: from - 1, stream_last: last, ..SyncReport::default() };
    let Some(mut replay) = replay else { return Ok(report) };
    while let Some(chunk) = replay.next_chunk(conn, CHUNK, cancel).await? {
        let Some(end) = chunk.messages.last().map(|(seq, _)| *seq) else { continue };
        let calls: Vec<CallMessage> = chunk
            .messages
            .iter()
            .filter_map(|(seq, m)| {
                let cm = CallMessage::from_jetstream(m, *seq);
                if cm.is_none() {
                    tracing::warn!(seq, subject = %m.subject, "skipped a message that is not a call");
                }
                cm
            })
            .collect();
        if !calls.is_empty() {
            apply_chunk(ingest, state, calls, &mut report).await?;
            progress(&report);
        }
        // Messages that are not calls are passed over for good.
        state.raise_mark(super::state::CALLS_SEQ, end as i64)?;
        report.calls_seq = report.calls_seq.max(end);
        if once && (chunk.caught_up || report.calls_seq >= last) {
            ingest.flush().await?;
            return Ok(report);
        }
    }
    Ok(report)
}

/// Follows the joined team server until `cancel`: connects (with back-off while it cannot be
/// reached), applies the calls stream, and starts over after an error. The window and
/// `postcall serve` on a laptop run this in the background; the settings are read again at each
/// attempt, so joining or leaving takes effect without a restart.
pub async fn follow(
    data: crate::config::DataDir,
    ingest: Ingestor,
    state: TeamState,
    cancel: CancellationToken,
    mut progress: impl FnMut(&SyncReport) + Send,
) {
    let mut backoff = Duration::ZERO;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let attempt = async {
            let endpoint = super::settings::endpoint(&data)?.ok_or(TeamError::NotJoined)?;
            let conn = super::connect(&endpoint).await?;
            let _ = state.set_info("last_error", None);
            let _ = state.set_info("last_connected_ms", Some(&crate::time::now_ms().to_string()));
            tokio::select! {
                r = sync_calls(&conn, &ingest, &state, false, &cancel, &mut progress) => r.map(|_| false),
                () = super::reconnected(&conn) => Ok(true),
            }
        };
        match attempt.await {
            // The server came back after an outage: replay from the mark on a fresh consumer.
            Ok(true) => {
                backoff = Duration::ZERO;
                continue;
            }
            Ok(false) => return,
            Err(TeamError::NotJoined) => backoff = Duration::from_secs(30),
            Err(e) => {
                tracing::warn!(error = %e, "team sync stopped; retrying");
                let _ = state.set_info("last_error", Some(&e.to_string()));
                backoff = super::next_backoff(backoff);
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn msg(seq: u64, call_id: i64, summary: &str) -> CallMessage {
        let body =
            serde_json::json!({"id": call_id, "status": "completed", "extracted_variables": {"summary": summary}})
                .to_string()
                .into_bytes();
        CallMessage {
            seq,
            call_id,
            msg_id: super::super::call_msg_id(call_id, &body),
            source: Source::Webhook,
            content_type: Some("application/json".into()),
            received_ms: Some(1_700_000_000_000 + seq as i64),
            delivery_id: Some(seq as i64 * 10),
            body,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_message_is_applied_once_whatever_the_stream_repeats() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("postcall.sqlite")).expect("store"));
        let ingest = Ingestor::start(store.clone()).expect("ingest");
        let state = TeamState::open_at(&dir.path().join("team.sqlite")).expect("state");
        let mut report = SyncReport::default();
        // Call 5 twice with the same bytes (a publish repeated past the duplicate window), call 7
        // twice with different bytes (a later delivery), in one chunk.
        let chunk = vec![msg(1, 5, "a"), msg(2, 7, "first"), msg(3, 5, "a"), msg(4, 7, "second")];
        apply_chunk(&ingest, &state, chunk, &mut report).await.expect("apply");
        assert_eq!((report.applied, report.skipped, report.calls_seq), (3, 1, 4));
        // Replayed again from an older mark (a crash before the mark was saved): nothing new.
        apply_chunk(&ingest, &state, vec![msg(3, 5, "a"), msg(4, 7, "second")], &mut report).await.expect("again");
        assert_eq!((report.applied, report.skipped), (3, 3));
        ingest.flush().await.expect("flush");
        let count = |call: i64| {
            store
                .read(|c| {
                    Ok(c.query_row("SELECT count(*) FROM journal.deliveries WHERE call_id = ?1", [call], |r| {
                        r.get::<_, i64>(0)
                    })?)
                })
                .expect("count")
        };
        assert_eq!((count(5), count(7)), (1, 2));
        let summary = store
            .read(|c| Ok(c.query_row("SELECT summary FROM calls WHERE id = 7", [], |r| r.get::<_, Option<String>>(0))?))
            .expect("summary");
        assert_eq!(summary.as_deref(), Some("second"), "the later delivery of a call is applied last");
        assert_eq!(state.calls_seq().expect("seq"), 4);
        let a = state.applied(4).expect("applied").expect("row");
        assert_eq!(
            (a.origin_source.as_deref(), a.origin_received_ms, a.origin_delivery_id),
            (Some("webhook"), Some(1_700_000_000_004), Some(40))
        );
        assert_eq!(
            state.applied(3).expect("applied").expect("row").delivery_id,
            None,
            "recognised, not delivered again"
        );
    }
}
