//! Review work across the team: every node's review events on stream `POSTCALL_REVIEWS`.
//!
//! Review events are already immutable, keyed by a UUIDv7 and merged by one pure projection that
//! does not care about order or repeats (`crate::review::projection`), so sharing them needs no
//! protocol of our own: each node publishes the events made on it and applies everyone's, its own
//! included, in stream order.
//!
//! - **Out**: a local event is written with its projection and a row in `review_outbox` (same
//!   transaction, in `review.sqlite`), so an edit shows at once and is never lost offline.
//!   [`push`] publishes the outbox in order (subject `postcall.reviews.<call_id>.<author token>`,
//!   see [`super::authors`]; body the event as JSON; `Nats-Msg-Id` = `event_id` + token) and drops
//!   a row only once JetStream acknowledged it. A publish repeated after a crash is dropped by the
//!   stream's duplicate window and, after it, by every node's `event_id` check. An event the
//!   server refuses (this user may not publish as its author) is parked in `review_refused` with
//!   the reason, and the rest go on; one that gets no answer stops the pass, keeping the order.
//! - **In**: [`pull`] replays the stream from `reviews_seq` (in `team.sqlite`) and stores each
//!   event through the same path as a local one ([`rstore::insert_events_from`]), marked as
//!   coming from the team so it is never queued again; an echo of one of ours clears its outbox
//!   row. An event whose subject stands for another author than its body names is not applied
//!   (recorded in `team.sqlite`, counted in `team status`). The sequence moves after the events committed; replaying a chunk twice changes nothing.
//! - Calls are named by their Intellixent call id, the key of `calls` and of the calls stream, on
//!   every node, so an event can arrive before its call and still land on the right one.
//! - An event kind this version does not know (a newer Postcall's) is stored and skipped by the
//!   projection, so it takes effect after an upgrade (`postcall review rebuild`); a message that
//!   is not an event at all is skipped with a warning (it stays in the stream).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::replay::Replay;
use super::state::{TeamState, REVIEWS_SEQ};
use super::{headers, Connection, Endpoint, TeamError, REVIEWS_STREAM, REVIEWS_SUBJECTS};
use crate::review::store::{self as rstore, Origin};
use crate::review::Event;
use crate::store::Store;

/// The most outbox events published before waiting for their acknowledgements.
const BATCH: i64 = 256;
/// The most stream messages applied per `review.sqlite` transaction.
const CHUNK: usize = 512;
/// How often the outbox and the connection are looked at.
const POLL: Duration = Duration::from_millis(500);

/// Local review events the stream has not acknowledged yet.
pub fn pending(store: &Store) -> Result<i64, TeamError> {
    Ok(store.read(|c| rstore::outbox_len(c, "review."))?)
}

/// Local review events the team server refused (kept out of the outbox, with the reason).
pub fn refused(store: &Store) -> Result<i64, TeamError> {
    Ok(store.read(|c| rstore::refused_len(c, "review."))?)
}

/// The `Nats-Msg-Id` of an event: its id, scoped by its author's token, so an event published on
/// someone else's subject (refused by every node) cannot take a genuine event's id out of the
/// stream's duplicate window first.
fn msg_id(e: &Event, token: &str) -> String {
    format!("{}.{token}", e.event_id)
}

fn message_headers(e: &Event, token: &str) -> async_nats::HeaderMap {
    let mut h = async_nats::HeaderMap::new();
    // Ids are UUIDs here; one imported from elsewhere goes without the header rather than break it.
    if e.event_id.bytes().all(|b| b.is_ascii_graphic()) {
        h.insert(headers::MSG_ID, msg_id(e, token).as_str());
    }
    h.insert(headers::FORMAT, "1");
    h
}

/// How one outbox event fared.
enum Outcome {
    Acked,
    /// The server will not take it from this user (or it cannot be published at all): parked.
    Refused(String),
    /// No answer (offline, timed out) or another error: it and everything after it wait.
    Failed(TeamError),
}

/// Waits for one publish's acknowledgement, or for the server's report that it refused it (a
/// refused publish is never answered, so waiting for the acknowledgement alone would only end
/// in a timeout, indistinguishable from an outage).
async fn settle(conn: &Connection, subject: &str, ack: async_nats::jetstream::context::PublishAckFuture) -> Outcome {
    tokio::select! {
        biased;
        r = async { ack.await } => match r {
            Ok(a) if a.stream == REVIEWS_STREAM => Outcome::Acked,
            Ok(a) => Outcome::Failed(TeamError::Nats(format!(
                "{REVIEWS_SUBJECTS} is stored by stream {}, not {REVIEWS_STREAM}",
                a.stream
            ))),
            Err(err) => match conn.take_refusal(subject) {
                Some(reason) => Outcome::Refused(reason),
                None => Outcome::Failed(TeamError::Nats(err.to_string())),
            },
        },
        reason = conn.refused(subject) => Outcome::Refused(reason),
    }
}

/// Publishes the outbox until it is empty. Returns how many events the stream acknowledged.
///
/// The outbox goes in order, but an event the server refuses (a permissions violation: this
/// machine's NATS user may not publish as the event's author) is parked in `review_refused`
/// with the server's reason and the next one goes on, so one refused event never holds back the
/// edits after it. An event that gets no answer (offline, a timeout) stops the pass: it and
/// everything after it stay queued, in order, for the next one.
pub async fn push(conn: &Connection, store: &Store) -> Result<u64, TeamError> {
    let mut sent = 0;
    loop {
        let batch = store.read(|c| rstore::outbox(c, "review.", BATCH))?;
        if batch.is_empty() {
            return Ok(sent);
        }
        let mut acks = Vec::with_capacity(batch.len());
        let mut refused = Vec::new();
        let mut failed = None;
        for e in &batch {
            let Some(token) = super::authors::token(&e.author_email) else {
                refused.push((e.event_id.clone(), format!("author email {:?} cannot be published", e.author_email)));
                continue;
            };
            let subject = format!("postcall.reviews.{}.{token}", e.call_id);
            let body =
                serde_json::to_vec(e).map_err(|err| TeamError::Nats(format!("cannot encode an event: {err}")))?;
            match conn.jetstream.publish_with_headers(subject.clone(), message_headers(e, &token), body.into()).await {
                Ok(ack) => acks.push((e.event_id.clone(), subject, ack)),
                Err(err) => {
                    failed = Some(conn.explain(err));
                    break;
                }
            }
        }
        let mut done = Vec::with_capacity(acks.len());
        for (id, subject, ack) in acks {
            match settle(conn, &subject, ack).await {
                Outcome::Acked => done.push(id),
                Outcome::Refused(reason) => {
                    tracing::warn!(event_id = %id, %subject, %reason, "the team server refused a review event; kept aside");
                    refused.push((id, reason));
                }
                Outcome::Failed(e) => {
                    failed.get_or_insert(e);
                    break;
                }
            }
        }
        sent += done.len() as u64;
        store.review_write(|c| rstore::outbox_done(c, &done))?;
        if !refused.is_empty() {
            let now = crate::time::now_ms();
            store.review_write(|c| rstore::outbox_refused(c, &refused, now))?;
        }
        if let Some(e) = failed {
            return Err(e);
        }
    }
}

/// What a pass over the reviews stream did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ReviewSyncReport {
    /// Events new to this node.
    pub applied: u64,
    /// Events it held already (its own echoed back, or a repeat).
    pub skipped: u64,
    /// Messages that are not review events (left in the stream, skipped here).
    pub ignored: u64,
    /// Events not applied because their subject stands for another author than their body names
    /// (published by someone else's NATS user); recorded in `team.sqlite`.
    pub rejected: u64,
    /// The last stream sequence applied.
    pub reviews_seq: u64,
    /// The stream's last sequence when the pass started.
    pub stream_last: u64,
}

/// One message of the reviews stream, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Event(Event),
    /// Not a review event at all.
    NotAnEvent,
    /// A review event whose subject does not stand for its author: not applied.
    Rejected {
        event: Event,
        subject: String,
        reason: String,
    },
}

/// Stores one chunk of stream messages and moves `reviews_seq` past it. Returns the calls whose
/// review changed.
pub fn apply_chunk(
    store: &Store,
    state: &TeamState,
    chunk: Vec<(u64, Incoming)>,
    report: &mut ReviewSyncReport,
) -> Result<Vec<i64>, TeamError> {
    let Some(last) = chunk.iter().map(|(s, _)| *s).max() else { return Ok(Vec::new()) };
    let mut events = Vec::with_capacity(chunk.len());
    let mut rejected = Vec::new();
    for (seq, m) in chunk {
        match m {
            Incoming::Event(e) => events.push(e),
            Incoming::NotAnEvent => report.ignored += 1,
            Incoming::Rejected { event, subject, reason } => rejected.push(super::state::Rejected {
                seq,
                subject,
                event_id: event.event_id,
                author_email: event.author_email,
                reason,
            }),
        }
    }
    let (touched, new) = store.review_write(|c| {
        let tx = c.transaction()?;
        let out = rstore::insert_events_from(&tx, &events, Origin::Team)?;
        tx.commit()?;
        Ok::<_, crate::store::StoreError>(out)
    })?;
    report.applied += new;
    report.skipped += events.len() as u64 - new;
    report.rejected += rejected.len() as u64;
    state.record_rejected(&rejected)?;
    state.raise_mark(REVIEWS_SEQ, last as i64)?;
    report.reviews_seq = report.reviews_seq.max(last);
    Ok(touched)
}

/// Reads one stream message: a review event whose subject stands for its author, or why not.
fn incoming(m: &async_nats::jetstream::Message, seq: u64) -> Incoming {
    let parsed = serde_json::from_slice::<Event>(&m.payload)
        .map_err(|e| e.to_string())
        .and_then(|e| e.validate().map(|()| e).map_err(|e| e.to_string()));
    match parsed {
        Ok(e) => match super::authors::check(m.subject.as_str(), e.call_id, &e.author_email) {
            Ok(()) => Incoming::Event(e),
            Err(reason) => {
                tracing::warn!(seq, subject = %m.subject, event_id = %e.event_id, %reason, "refused a review event published in another author's name");
                Incoming::Rejected { event: e, subject: m.subject.to_string(), reason }
            }
        },
        Err(reason) => {
            tracing::warn!(seq, subject = %m.subject, %reason, "skipped a message of the reviews stream that is not a review event");
            Incoming::NotAnEvent
        }
    }
}

/// Replays the reviews stream from the last applied sequence. With `once`, returns when the
/// stream as it was at the start is applied; otherwise follows it until `cancel`.
/// `changed` hears the calls whose review changed.
pub async fn pull(
    conn: &Connection,
    store: &Store,
    state: &TeamState,
    once: bool,
    cancel: &CancellationToken,
    mut changed: impl FnMut(&[i64]) + Send,
) -> Result<ReviewSyncReport, TeamError> {
    let from = state.reviews_seq()? + 1;
    let (replay, last) = Replay::start(conn, REVIEWS_STREAM, REVIEWS_SUBJECTS, from, once).await?;
    let mut report = ReviewSyncReport { reviews_seq: from - 1, stream_last: last, ..Default::default() };
    let Some(mut replay) = replay else { return Ok(report) };
    while let Some(chunk) = replay.next_chunk(conn, CHUNK, cancel).await? {
        let events = chunk.messages.iter().map(|(seq, m)| (*seq, incoming(m, *seq))).collect();
        let touched = apply_chunk(store, state, events, &mut report)?;
        if !touched.is_empty() {
            changed(&touched);
        }
        if once && (chunk.caught_up || report.reviews_seq >= last) {
            return Ok(report);
        }
    }
    Ok(report)
}

/// Keeps this node's review work in step with the team until `cancel`: connects (with back-off
/// while the server cannot be reached), then publishes the outbox as it fills and applies the
/// stream as it grows, starting over after an error. `endpoint` is asked at each attempt (a
/// laptop reads its settings again, so joining or leaving needs no restart).
pub async fn follow(
    data: crate::config::DataDir,
    store: Arc<Store>,
    state: TeamState,
    endpoint: impl Fn() -> Result<Endpoint, TeamError> + Send,
    cancel: CancellationToken,
    mut changed: impl FnMut(&[i64]) + Send,
) {
    let mut backoff = Duration::ZERO;
    let mut kept: Option<Connection> = None;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let attempt = async {
            let conn = match kept.take() {
                Some(c) => c,
                None => super::connect(&endpoint()?).await?,
            };
            kept = Some(conn.clone());
            super::live::register(&data, &conn);
            let _ = state.set_info("last_error", None);
            mark_connected(&state, true);
            let pulling = pull(&conn, &store, &state, false, &cancel, &mut changed);
            let pushing = async {
                let mut was_down = false;
                loop {
                    let up = conn.connected();
                    if !up && !was_down {
                        // Written on the change only: team.sqlite syncs every write to disk.
                        mark_connected(&state, false);
                    }
                    if !up {
                        was_down = true;
                    } else if was_down {
                        // The server may have restarted and lost the ordered consumer (it is
                        // ephemeral): start the pass again rather than wait for it to time out.
                        return Ok::<bool, TeamError>(true);
                    } else {
                        push(&conn, &store).await?;
                    }
                    tokio::select! {
                        _ = cancel.cancelled() => return Ok(false),
                        _ = tokio::time::sleep(POLL) => {}
                    }
                }
            };
            tokio::select! {
                r = pulling => r.map(|_| false),
                r = pushing => r,
            }
        };
        match attempt.await {
            Ok(true) => {
                backoff = Duration::ZERO;
                continue;
            }
            Ok(false) => {
                super::live::unregister(&data);
                return;
            }
            Err(TeamError::NotJoined) => backoff = Duration::from_secs(5),
            Err(e) => {
                tracing::warn!(error = %e, "team review sync stopped; retrying");
                let _ = state.set_info("last_error", Some(&e.to_string()));
                mark_connected(&state, false);
                backoff = super::next_backoff(backoff);
            }
        }
        // The client reconnects by itself after an outage: while it tries, wait for it and carry
        // on at once when it is back; a connection that stays down is dropped for a new one.
        let wait_for = match &kept {
            Some(c) if !c.connected() => {
                let deadline = tokio::time::Instant::now() + RECONNECT_WAIT;
                let mut back = false;
                while tokio::time::Instant::now() < deadline && !cancel.is_cancelled() {
                    if c.connected() {
                        back = true;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                if back {
                    backoff = Duration::ZERO;
                    Duration::ZERO
                } else {
                    kept = None;
                    backoff
                }
            }
            Some(c) if c.connected() => backoff.min(Duration::from_secs(2)),
            _ => {
                kept = None;
                backoff
            }
        };
        if kept.is_none() {
            super::live::unregister(&data);
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait_for) => {}
        }
    }
}

/// How long a dropped connection is given to come back by itself before a new one is made.
const RECONNECT_WAIT: Duration = Duration::from_secs(60);

/// Records when this node reached the server, or since when it has not.
pub fn mark_connected(state: &TeamState, connected: bool) {
    let now = crate::time::now_ms().to_string();
    if connected {
        let _ = state.set_info("last_connected_ms", Some(&now));
        let _ = state.set_info("offline_since_ms", None);
    } else if state.info("offline_since_ms").ok().flatten().is_none() {
        let _ = state.set_info("offline_since_ms", Some(&now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{kind, Reviewer};

    fn event(call: i64, kind: &str, body: serde_json::Value) -> Event {
        let me = Reviewer::new("Ana Pop", "ana@example.com").expect("reviewer");
        Event::new(call, &me, kind, body)
    }

    #[test]
    fn local_events_wait_in_the_outbox_and_team_events_never_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("postcall.sqlite")).expect("store");
        let state = TeamState::open_at(&dir.path().join("team.sqlite")).expect("state");
        let mine = event(7, kind::STATE, serde_json::json!({"state": "reviewed"}));
        store
            .review_write(|c| {
                let tx = c.transaction()?;
                rstore::insert_events(&tx, std::slice::from_ref(&mine))?;
                tx.commit()?;
                Ok::<_, crate::store::StoreError>(())
            })
            .expect("local write");
        assert_eq!(pending(&store).expect("pending"), 1, "a local edit waits to be shared");
        let queued = store.read(|c| rstore::outbox(c, "review.", 10)).expect("outbox");
        assert_eq!(queued, vec![mine.clone()]);

        // From the stream: someone else's event, one that is not an event, a newer kind, and the
        // echo of ours.
        let theirs = event(7, kind::NOTE_ADD, serde_json::json!({"text": "hello"}));
        let mut newer = event(8, "sentiment.set", serde_json::json!({"value": 0.4}));
        newer.schema_version = 3;
        let mut report = ReviewSyncReport::default();
        // And one signed as Ana on someone else's subject: recorded, not applied.
        let forged = event(7, kind::STATE, serde_json::json!({"state": "flagged"}));
        let rejected = Incoming::Rejected {
            event: forged.clone(),
            subject: "postcall.reviews.7.bob_40example_2ecom".into(),
            reason: "another author".into(),
        };
        let chunk = vec![
            (1, Incoming::Event(theirs.clone())),
            (2, Incoming::NotAnEvent),
            (3, Incoming::Event(newer.clone())),
            (4, Incoming::Event(mine.clone())),
            (5, rejected),
        ];
        let touched = apply_chunk(&store, &state, chunk, &mut report).expect("apply");
        assert_eq!(touched, vec![7, 8]);
        assert_eq!((report.applied, report.skipped, report.ignored, report.reviews_seq), (2, 1, 1, 5));
        assert_eq!(report.rejected, 1);
        assert_eq!(state.reviews_seq().expect("seq"), 5);
        assert_eq!(state.rejected_count().expect("count"), 1);
        let held = store.read(|c| rstore::call_events(c, 7, "review.")).expect("events");
        assert!(!held.iter().any(|e| e.event_id == forged.event_id), "the forged event is not held");
        assert_eq!(pending(&store).expect("pending"), 0, "the echo of ours cleared it; received ones never queue");
        let review = store.read(|c| rstore::call_review(c, 7, "review.")).expect("review");
        assert_eq!(review.notes.len(), 1);
        let held = store.read(|c| rstore::call_events(c, 8, "review.")).expect("events");
        assert_eq!(held, vec![newer], "an unknown kind is kept for a later version");
        let before = store.read(|c| rstore::projection_digest(c, "review.")).expect("digest");
        // Applying the same chunk again changes nothing.
        apply_chunk(&store, &state, vec![(1, Incoming::Event(theirs)), (3, Incoming::NotAnEvent)], &mut report)
            .expect("again");
        let after = store.read(|c| rstore::projection_digest(c, "review.")).expect("digest");
        assert_eq!(before, after);
        assert_eq!((before.events, before.calls), (3, 2));
    }
}
