//! The one ingest path for every source (webhook, file import, API backfill).
//!
//! A single writer thread owns the write connection. Callers hand it a delivery (its exact raw
//! bytes and the parse result) and wait for the answer; the writer takes every delivery queued at
//! that moment into one transaction (group commit), stores each raw body first, upserts the call
//! when the body was usable, commits with `synchronous=FULL`, and only then answers. So an answer
//! means "on disk", and concurrent webhooks share one fsync instead of paying one each.
//! After every commit the ids of the calls it touched are broadcast as one [`StoreEvent`].

use std::sync::Arc;

use rusqlite::Connection;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::payload::{self, Doc};
use crate::store::{self, calls, deliveries, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Webhook,
    Import,
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Import => "import",
            Source::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(Source::Webhook),
            "import" => Some(Source::Import),
            "api" => Some(Source::Api),
            _ => None,
        }
    }
}

/// What became of one delivery. `Err` carries why the body could not be used; the raw body is
/// stored either way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestOutcome {
    pub delivery_id: i64,
    pub call_id: Option<i64>,
    pub duplicate: bool,
    pub error: Option<String>,
}

impl IngestOutcome {
    pub fn stored(&self) -> bool {
        self.error.is_none()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("storage is unavailable: {0}")]
    Storage(String),
    #[error("the writer has stopped")]
    Stopped,
    #[error("delivery {0} does not exist")]
    NoSuchDelivery(i64),
}

/// Emitted once per committed batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreEvent {
    pub calls: Vec<i64>,
    pub failed_deliveries: bool,
}

enum Job {
    Deliver {
        source: Source,
        content_type: Option<String>,
        body: Vec<u8>,
        parsed: Result<(i64, Doc), String>,
        reply: oneshot::Sender<Result<IngestOutcome, IngestError>>,
    },
    Reprocess {
        delivery_id: i64,
        reply: oneshot::Sender<Result<IngestOutcome, IngestError>>,
    },
}

/// Handle to the writer thread; cheap to clone. The thread stops when every handle is dropped.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
    events: broadcast::Sender<StoreEvent>,
    store: Arc<Store>,
}

/// The most deliveries one transaction takes.
const MAX_BATCH: usize = 512;

impl Ingestor {
    pub fn start(store: Arc<Store>) -> Result<Self, store::StoreError> {
        let conn = store.connect()?;
        let (tx, rx) = mpsc::channel(8192);
        let (events, _) = broadcast::channel(1024);
        let ev = events.clone();
        std::thread::Builder::new()
            .name("postcall-writer".into())
            .spawn(move || writer(conn, rx, ev))
            .map_err(|e| store::StoreError::NotFound(format!("writer thread: {e}")))?;
        Ok(Self { tx, events, store })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    /// Stores a raw body from `source` and answers once it is committed. The body is parsed on the
    /// caller's thread, so parsing runs in parallel while writes are serialized.
    pub async fn deliver(
        &self,
        source: Source,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Result<IngestOutcome, IngestError> {
        let parsed = payload::parse_body(&body).map_err(|e| e.to_string());
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job::Deliver { source, content_type, body, parsed, reply })
            .await
            .map_err(|_| IngestError::Stopped)?;
        rx.await.map_err(|_| IngestError::Stopped)?
    }

    /// Parses a stored delivery's raw body again (after an upgrade, say) and records the new outcome
    /// on the same delivery.
    pub async fn reprocess(&self, delivery_id: i64) -> Result<IngestOutcome, IngestError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job::Reprocess { delivery_id, reply }).await.map_err(|_| IngestError::Stopped)?;
        rx.await.map_err(|_| IngestError::Stopped)?
    }
}

fn writer(mut conn: Connection, mut rx: mpsc::Receiver<Job>, events: broadcast::Sender<StoreEvent>) {
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
        match write_batch(&mut conn, &batch, now) {
            Ok(outcomes) => {
                let mut event = StoreEvent::default();
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    if let Ok(o) = &outcome {
                        match o.call_id {
                            Some(id) if o.stored() => event.calls.push(id),
                            _ => event.failed_deliveries = true,
                        }
                        if matches!(job, Job::Reprocess { .. }) {
                            event.failed_deliveries = true;
                        }
                    }
                    let _ = reply_of(job).send(outcome);
                }
                event.calls.sort_unstable();
                event.calls.dedup();
                let _ = events.send(event);
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

fn reply_of(job: Job) -> oneshot::Sender<Result<IngestOutcome, IngestError>> {
    match job {
        Job::Deliver { reply, .. } | Job::Reprocess { reply, .. } => reply,
    }
}

fn write_batch(
    conn: &mut Connection,
    batch: &[Job],
    now: i64,
) -> Result<Vec<Result<IngestOutcome, IngestError>>, store::StoreError> {
    let tx = conn.transaction()?;
    let mut out = Vec::with_capacity(batch.len());
    for job in batch {
        out.push(match job {
            Job::Deliver { source, content_type, body, parsed, .. } => {
                Ok(deliver_one(&tx, now, *source, content_type.as_deref(), body, parsed)?)
            }
            Job::Reprocess { delivery_id, .. } => reprocess_one(&tx, now, *delivery_id)?,
        });
    }
    tx.commit()?;
    Ok(out)
}

/// Upserts the call inside a savepoint, so a failure there still leaves the raw body stored.
fn apply(
    conn: &Connection,
    now: i64,
    source: Source,
    parsed: &Result<(i64, Doc), String>,
) -> (Result<i64, String>, bool) {
    let (id, doc) = match parsed {
        Ok(p) => p,
        Err(e) => return (Err(e.clone()), false),
    };
    let result = (|| -> Result<calls::Upserted, store::StoreError> {
        conn.execute_batch("SAVEPOINT call")?;
        let r = calls::upsert(conn, *id, source, doc, now);
        conn.execute_batch(if r.is_ok() { "RELEASE call" } else { "ROLLBACK TO call; RELEASE call" })?;
        r
    })();
    match result {
        Ok(u) => (Ok(*id), u.duplicate),
        Err(e) => {
            tracing::error!(call_id = id, error = %e, "storing a call failed; its raw delivery is kept");
            (Err(format!("the call could not be stored: {e}")), false)
        }
    }
}

fn deliver_one(
    conn: &Connection,
    now: i64,
    source: Source,
    content_type: Option<&str>,
    body: &[u8],
    parsed: &Result<(i64, Doc), String>,
) -> Result<IngestOutcome, store::StoreError> {
    let (result, duplicate) = apply(conn, now, source, parsed);
    let delivery_id = deliveries::insert(
        conn,
        now,
        source,
        content_type,
        body,
        result.as_ref().map(|id| *id).map_err(String::as_str),
    )?;
    Ok(outcome(delivery_id, result, duplicate))
}

fn reprocess_one(
    conn: &Connection,
    now: i64,
    delivery_id: i64,
) -> Result<Result<IngestOutcome, IngestError>, store::StoreError> {
    let Some(raw) = deliveries::raw(conn, delivery_id)? else {
        return Ok(Err(IngestError::NoSuchDelivery(delivery_id)));
    };
    let source = Source::parse(&raw.source).unwrap_or(Source::Webhook);
    let parsed = payload::parse_body(&raw.body).map_err(|e| e.to_string());
    let (result, duplicate) = apply(conn, now, source, &parsed);
    deliveries::set_outcome(conn, delivery_id, result.as_ref().map(|id| *id).map_err(String::as_str))?;
    Ok(Ok(outcome(raw.id, result, duplicate)))
}

fn outcome(delivery_id: i64, result: Result<i64, String>, duplicate: bool) -> IngestOutcome {
    match result {
        Ok(call_id) => IngestOutcome { delivery_id, call_id: Some(call_id), duplicate, error: None },
        Err(e) => IngestOutcome { delivery_id, call_id: None, duplicate: false, error: Some(e) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_deliveries_are_all_committed_and_answered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("p.sqlite")).expect("store"));
        let ingest = Ingestor::start(store.clone()).expect("start");
        let mut events = ingest.subscribe();
        let tasks: Vec<_> = (1..=200)
            .map(|id| {
                let ingest = ingest.clone();
                tokio::spawn(async move {
                    let body = format!(r#"{{"id": {id}, "status": "completed"}}"#).into_bytes();
                    ingest.deliver(Source::Webhook, None, body).await
                })
            })
            .collect();
        for t in tasks {
            let o = t.await.expect("join").expect("ingest");
            assert!(o.stored(), "{o:?}");
        }
        let n = store.read(|c| calls::count(c)).expect("count");
        assert_eq!(n, 200);
        let first = events.recv().await.expect("event");
        assert!(!first.calls.is_empty());
    }

    #[tokio::test]
    async fn a_bad_body_is_kept_as_a_failed_delivery_and_can_be_reprocessed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("p.sqlite")).expect("store"));
        let ingest = Ingestor::start(store.clone()).expect("start");
        let o = ingest
            .deliver(Source::Webhook, Some("text/plain".into()), b"{\"status\":1}".to_vec())
            .await
            .expect("ingest");
        assert_eq!(
            o.error.as_deref(),
            Some("the payload has no `id` field; every Intellixent call payload carries its call id")
        );
        let d = store.read(|c| deliveries::get(c, o.delivery_id)).expect("read").expect("row");
        assert_eq!((d.outcome.as_str(), d.body.as_str()), ("failed", "{\"status\":1}"));
        // Still unusable: re-processing records the same failure on the same delivery.
        let again = ingest.reprocess(o.delivery_id).await.expect("reprocess");
        assert_eq!(again.delivery_id, o.delivery_id);
        assert!(!again.stored());
        assert!(matches!(ingest.reprocess(999).await, Err(IngestError::NoSuchDelivery(999))));
    }
}
