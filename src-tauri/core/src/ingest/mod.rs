//! The one ingest path for every source (webhook, file import, API backfill).
//!
//! A delivery goes through four threads, one stage each, joined by channels; three of them write,
//! one database file each:
//!
//! ```text
//!  Ingestor::deliver / reprocess   (any task: reads the call id, compresses, waits for backlog room)
//!       │ mpsc<JournalJob>
//!       ▼
//!  journal writer  ── journal.sqlite: deliveries ───────────────▶ answer: "on disk"
//!       │ mpsc<PendingMsg>   (raw bytes: the backlog, at most BACKLOG_BYTES)
//!       ▼
//!  parser
//!       │ sync_channel<IndexMsg>(PARSED_QUEUE)
//!       ▼
//!  indexer         ── postcall.sqlite: calls, turns; mark index_state
//!       │ sync_channel<SearchMsg>(SEARCH_QUEUE)
//!       ▼
//!  search writer   ── search.sqlite: full-text rows; mark search_state
//!                  ──▶ one StoreEvent per commit; answers waiting to be searchable are released
//! ```
//!
//! - the **journal writer** (`journal.rs`) takes every delivery queued at that moment into one
//!   transaction (group commit), appends each raw body with its parse outcome to
//!   `journal.sqlite`, commits with `synchronous=FULL`, and only then answers. An answer
//!   therefore means "on disk", and concurrent webhooks share one fsync instead of paying one each.
//! - the **parser** (`parse.rs`) turns journaled bodies into what each call's rows hold
//!   ([`crate::store::calls::Derived`]). The backlog between the journal and the index is held as raw bytes
//!   (a parsed payload takes several times its size), bounded by [`BACKLOG_BYTES`], so a burst
//!   is acknowledged at the journal's pace while indexing catches up behind it.
//! - the **indexer** (`index.rs`) builds the calls and turns in `postcall.sqlite`, in large
//!   transactions, and records how far into the journal it got (the `journal` mark in
//!   `index_state`) in the same transaction. After a crash, [`Ingestor::start`] replays what the
//!   journal holds beyond that mark before anything else (`replay.rs`), so nothing acknowledged is
//!   ever missing.
//! - the **search writer** (`search_writer.rs`) writes each indexed batch's full-text rows to
//!   `search.sqlite`, beside the indexer on the other core, with its own mark (`search_state`,
//!   see [`search_index`]); a search mark behind the index mark is caught up at the next start.
//!
//! Beside them: a thread folds the write-ahead logs back into the files ([`checkpoint`]), one
//! compresses journaled bodies in the background (`compress.rs`), and one frees what the indexer
//! is done with.
//!
//! The marks, in short: the journal's delivery id is what an answer promises; the index mark
//! (`index_state`) says every delivery up to it is built into the calls or listed in
//! `index_errors`; the search mark (`search_state`) says every call built up to it can be found.
//! The index mark never passes the journal, and the search mark never passes the index mark.
//!
//! A call that cannot be built (a batch fails, then that call alone) is listed in `index_errors`
//! in the same transaction that moves the index mark past its delivery: the mark never passes a
//! delivery that is neither indexed nor listed, the list is counted in the status and retried at
//! every start ([`retry_index_errors`]) and by `postcall reindex`. A writer thread that dies
//! marks the pipeline broken ([`health`]): deliveries are refused from then on, so nothing is
//! acknowledged that cannot be indexed.
//!
//! While indexing keeps up, a delivery's answer also waits (briefly) for its call to be
//! searchable, so a client reading right after its 2xx sees the call. Under a burst the answer
//! comes at durability and indexing trails behind by a bounded amount. After every search-index
//! commit the ids of the calls it touched are broadcast as one [`StoreEvent`].
//!
//! Where to start reading: [`Ingestor::start`] (the replay, then the threads and their channels)
//! and [`Ingestor::deliver`], then each stage in pipeline order: `journal.rs`, `parse.rs`,
//! `index.rs`, `search_writer.rs`; `replay.rs` for what happens after a crash.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot, Semaphore};

use crate::payload;
use crate::store::bodies::Packer;
use crate::store::checkpoint::{self, Checkpointer, Gate, Logged};
use crate::store::search_index;
use crate::store::{self, Store};
#[cfg(test)]
use crate::store::{calls, deliveries, index_errors};

mod compress;
pub mod fault;
pub mod health;
mod index;
mod journal;
mod parse;
mod replay;
mod search_writer;

use index::{indexer, Spent};
use journal::{journal_writer, JournalJob, Reply};
use parse::{parser, PendingMsg, PARSED_QUEUE};
use replay::catch_up;
pub use replay::{reset_for_reindex, retry_index_errors};
use search_writer::{search_writer, SEARCH_QUEUE};

pub use health::Health;

pub use crate::store::deliveries::Source;

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
    #[error("Postcall cannot index calls ({0}); restart it")]
    Broken(String),
}

/// Emitted once per committed batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreEvent {
    pub calls: Vec<i64>,
    pub failed_deliveries: bool,
}

/// Handle to the writers; cheap to clone. The threads stop when every handle is dropped.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<JournalJob>,
    pending_tx: std_mpsc::Sender<PendingMsg>,
    backlog: Arc<AtomicUsize>,
    slots: Arc<Semaphore>,
    units_total: usize,
    events: broadcast::Sender<StoreEvent>,
    store: Arc<Store>,
    health: Arc<Health>,
    /// The dictionary bodies are compressed with, on the delivering task's thread.
    packer: Arc<Packer>,
    /// Dropped with the last handle, which stops the compressing thread.
    _compress: std_mpsc::Sender<()>,
}
/// Below this many calls waiting to be indexed, an answer waits for its call to be indexed.
const READ_YOUR_WRITES_BACKLOG: usize = 16;
/// The longest an answer waits for indexing (it is already durable by then).
const INDEX_WAIT: Duration = Duration::from_secs(2);
/// The most raw bytes held between arrival and indexing. Past it a new delivery waits for room
/// before it is even journaled: senders slow to the indexer's pace instead of the process growing
/// without limit under a sustained flood or a large import. About 25,000 typical payloads.
pub const BACKLOG_BYTES: usize = 128 << 20;
/// The backlog is counted in units of this many bytes (a delivery takes at least one).
const BACKLOG_UNIT: usize = 1024;

impl Ingestor {
    /// Opens the writers. First replays any journaled delivery the calls do not reflect yet
    /// (after a crash), synchronously, so every acknowledged call is visible once this returns.
    pub fn start(store: Arc<Store>) -> Result<Self, store::StoreError> {
        Self::start_with_backlog(store, BACKLOG_BYTES)
    }

    /// [`Ingestor::start`] with another bound on the bytes held between arrival and indexing.
    pub fn start_with_backlog(store: Arc<Store>, backlog_bytes: usize) -> Result<Self, store::StoreError> {
        // Each file's writer holds its gate while it writes (see store::checkpoint).
        let (journal_gate, index_gate, search_gate) = (Gate::default(), Gate::default(), Gate::default());
        let logged = |conn, path: &std::path::Path, gate: &Gate, rarely_read| Logged {
            conn,
            path: path.to_path_buf(),
            gate: gate.clone(),
            rarely_read,
        };
        let checkpointer = Checkpointer::start(vec![
            logged(store::open_journal(store.journal_path())?, store.journal_path(), &journal_gate, true),
            logged(store::open(store.path())?, store.path(), &index_gate, false),
            logged(store::open_search(store.search_path())?, store.search_path(), &search_gate, false),
        ])
        .map_err(|source| store::StoreError::Thread { name: "checkpoint".into(), source })?;
        let journal = store.connect_journal()?;
        checkpoint::disable_auto(&journal)?;
        let packer = Arc::new(Packer::open(&journal)?);
        let mut index = store.connect()?;
        checkpoint::disable_auto(&index)?;
        let search = store.connect_search()?;
        checkpoint::disable_auto(&search)?;
        let rebuilt = search_index::recover(&mut index)?;
        if rebuilt > 0 {
            tracing::info!(calls = rebuilt, "brought the search index up to the calls");
        }
        let recovered = catch_up(&mut index, &checkpointer)?;
        if recovered > 0 {
            tracing::info!(deliveries = recovered, "rebuilt calls from the journal after an unclean stop");
        }
        let (rebuilt, failing) = retry_index_errors(&mut index)?;
        if rebuilt + failing > 0 {
            tracing::info!(rebuilt, failing, "retried the calls that could not be indexed before");
        }
        let health = Arc::new(Health::default());
        let (tx, rx) = mpsc::channel(8192);
        let (pending_tx, pending_rx) = std_mpsc::channel();
        let (index_tx, index_rx) = std_mpsc::sync_channel(PARSED_QUEUE);
        let (events, _) = broadcast::channel(1024);
        let backlog = Arc::new(AtomicUsize::new(0));
        let (journal_gate_for_compress, checkpointer_for_compress) = (journal_gate.clone(), checkpointer.clone());
        {
            let (events, backlog, pending_tx) = (events.clone(), backlog.clone(), pending_tx.clone());
            let checkpointer = checkpointer.clone();
            spawn("postcall-journal", &health, move || {
                journal_writer(journal, rx, pending_tx, events, backlog, checkpointer, journal_gate)
            })?;
        }
        {
            let backlog = backlog.clone();
            spawn("postcall-parser", &health, move || parser(pending_rx, index_tx, backlog))?;
        }
        let (spent_tx, spent_rx) = std_mpsc::channel::<Spent>();
        spawn("postcall-reclaim", &health, move || spent_rx.iter().for_each(drop))?;
        let (search_tx, search_rx) = std_mpsc::sync_channel(SEARCH_QUEUE);
        {
            let (events, backlog, checkpointer) = (events.clone(), backlog.clone(), checkpointer.clone());
            spawn("postcall-search", &health, move || {
                background_priority();
                search_writer(search, search_rx, events, backlog, checkpointer, search_gate)
            })?;
        }
        spawn("postcall-indexer", &health, move || {
            background_priority();
            indexer(index, index_rx, search_tx, checkpointer, index_gate, spent_tx)
        })?;
        let (compress_tx, compress_rx) = std_mpsc::channel();
        if packer.enabled() {
            let compressing = compress::Compressor {
                conn: store.connect_journal()?,
                packer: packer.clone(),
                gate: journal_gate_for_compress,
                checkpointer: checkpointer_for_compress,
            };
            compressing
                .spawn(compress_rx)
                .map_err(|source| store::StoreError::Thread { name: "compress".into(), source })?;
        }
        let units_total = (backlog_bytes / BACKLOG_UNIT).clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        let slots = Arc::new(Semaphore::new(units_total));
        Ok(Self { tx, pending_tx, backlog, slots, units_total, events, store, health, packer, _compress: compress_tx })
    }

    /// Why the pipeline cannot index any more (a writer thread died); `None` while it can.
    pub fn problem(&self) -> Option<String> {
        self.health.problem()
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    /// Calls journaled but not yet indexed.
    pub fn backlog(&self) -> usize {
        self.backlog.load(Ordering::Relaxed)
    }

    /// Stores a raw body from `source` and answers once it is committed. The body is parsed on the
    /// caller's thread, so parsing runs in parallel while writes are serialized.
    pub async fn deliver(
        &self,
        source: Source,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Result<IngestOutcome, IngestError> {
        if let Some(problem) = self.problem() {
            return Err(IngestError::Broken(problem));
        }
        // A body larger than the whole budget waits for all of it.
        let units = body.len().div_ceil(BACKLOG_UNIT).clamp(1, self.units_total);
        let slot = self
            .slots
            .clone()
            .acquire_many_owned(u32::try_from(units).unwrap_or(u32::MAX))
            .await
            .map_err(|_| IngestError::Stopped)?;
        // Checked here to answer at once whether the body is usable (every byte read, only the id
        // kept); the document is built later, for indexing, so the backlog holds only raw bytes.
        let parsed = payload::body_call_id(&body).map_err(|e| e.to_string());
        let wait_index = self.backlog() < READ_YOUR_WRITES_BACKLOG;
        let slot = Some(slot);
        // Compressed here too, so deliveries compress in parallel and the journal writer only
        // appends.
        let packed = self.packer.pack(&body);
        self.submit(|reply| JournalJob::Deliver { source, content_type, body, packed, parsed, wait_index, slot, reply })
            .await
    }

    /// Parses a stored delivery's raw body again (after an upgrade, say) and records the new outcome
    /// on the same delivery.
    pub async fn reprocess(&self, delivery_id: i64) -> Result<IngestOutcome, IngestError> {
        self.submit(|reply| JournalJob::Reprocess { delivery_id, reply }).await
    }

    async fn submit(&self, job: impl FnOnce(Reply) -> JournalJob) -> Result<IngestOutcome, IngestError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(job(reply)).await.map_err(|_| IngestError::Stopped)?;
        let (outcome, indexed) = rx.await.map_err(|_| IngestError::Stopped)??;
        if let Some(indexed) = indexed {
            let _ = tokio::time::timeout(INDEX_WAIT, indexed).await;
        }
        Ok(outcome)
    }

    /// Waits until every call journaled so far is indexed.
    pub async fn flush(&self) -> Result<(), IngestError> {
        let (tx, rx) = oneshot::channel();
        self.pending_tx.send(PendingMsg::Flush(tx)).map_err(|_| IngestError::Stopped)?;
        rx.await.map_err(|_| IngestError::Stopped)
    }
}
/// Starts one of the ingest threads; its death is the pipeline's [`Health`] problem.
fn spawn(name: &str, health: &Arc<Health>, f: impl FnOnce() + Send + 'static) -> Result<(), store::StoreError> {
    let (label, health) = (name.trim_start_matches("postcall-").to_string(), health.clone());
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || health::run(&label, &health, f))
        .map(drop)
        .map_err(|source| store::StoreError::Thread { name: name.into(), source })
}

/// Hands `first`, then each message already waiting on `rx`, to `take` while it answers that
/// there is room for more: one transaction takes whatever was queued at that moment.
fn take_waiting<T>(rx: &std_mpsc::Receiver<T>, first: T, mut take: impl FnMut(T) -> bool) {
    let mut next = Some(first);
    while let Some(msg) = next.take() {
        if take(msg) {
            next = rx.try_recv().ok();
        }
    }
}

/// Indexing is background work: under a burst, answering webhooks comes first.
fn background_priority() {
    if let Err(e) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
        tracing::debug!(error = ?e, "an indexing thread runs at normal priority");
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
        // Every answer means journaled: all 200 raw deliveries are on disk already.
        let journaled = store.read(|c| deliveries::list(c, false, 1000)).expect("journal").len();
        assert_eq!(journaled, 200);
        // The calls are built behind the answers; once the indexer drains, all are there.
        ingest.flush().await.expect("flush");
        assert_eq!(store.read(calls::count).expect("count"), 200);
        let first = events.recv().await.expect("event");
        assert!(!first.calls.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_writer_on_the_call_database_never_costs_a_call() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("p.sqlite")).expect("store"));
        let ingest = Ingestor::start(store.clone()).expect("start");
        // The recording vault writes to the same file between the indexer's reads and writes.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let other = {
            let (conn, stop) = (store.connect().expect("second writer"), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0_i64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    conn.execute(
                        "INSERT INTO recordings (call_id, url, state, updated_ms) VALUES (-1, 'x', 'none', ?1)
                         ON CONFLICT (call_id) DO UPDATE SET updated_ms = excluded.updated_ms",
                        [n],
                    )
                    .expect("the other writer");
                }
            })
        };
        let mut tasks = tokio::task::JoinSet::new();
        for id in 1..=2_000_i64 {
            let ingest = ingest.clone();
            tasks.spawn(async move {
                let body = serde_json::to_vec(&serde_json::json!({"id": id, "transcript": [
                    {"sender": "bot", "text": format!("hello {id}")}]}))
                .expect("json");
                ingest.deliver(Source::Webhook, None, body).await
            });
        }
        while let Some(r) = tasks.join_next().await {
            assert!(r.expect("join").expect("ingest").stored());
        }
        ingest.flush().await.expect("flush");
        stop.store(true, Ordering::Relaxed);
        other.join().expect("other writer");
        assert_eq!(store.read(calls::count).expect("count"), 2_000, "every delivered call was indexed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_index_backlog_stays_bounded_under_a_flood() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("p.sqlite")).expect("store"));
        // Room for 64 small deliveries (each takes at least one unit).
        let ingest = Ingestor::start_with_backlog(store.clone(), 64 * BACKLOG_UNIT).expect("start");
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for id in 1..=3_000_i64 {
            let (ingest, peak) = (ingest.clone(), peak.clone());
            tasks.spawn(async move {
                let body = format!(r#"{{"id": {id}, "transcript": "AI: hello number {id}\nCustomer: hi"}}"#);
                let o = ingest.deliver(Source::Import, None, body.into_bytes()).await;
                peak.fetch_max(ingest.backlog(), Ordering::Relaxed);
                o
            });
        }
        while let Some(r) = tasks.join_next().await {
            assert!(r.expect("join").expect("deliver").stored());
        }
        // Senders past the limit wait for room: never more than 64 deliveries between the journal
        // and the index.
        let peak = peak.load(Ordering::Relaxed);
        assert!(peak <= 64, "backlog peaked at {peak}");
        ingest.flush().await.expect("flush");
        assert_eq!(store.read(calls::count).expect("count"), 3_000);
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
        assert_eq!(d.error.as_deref(), o.error.as_deref());
        assert_eq!((d.outcome.as_str(), d.body.as_str()), ("failed", "{\"status\":1}"));
        // Still unusable: re-processing records the same failure on the same delivery.
        let again = ingest.reprocess(o.delivery_id).await.expect("reprocess");
        assert_eq!(again.delivery_id, o.delivery_id);
        assert!(!again.stored());
        assert!(matches!(ingest.reprocess(999).await, Err(IngestError::NoSuchDelivery(999))));
        // Once the stored bytes are usable (as after a parser upgrade), re-processing stores the call.
        let journal = rusqlite::Connection::open(store.journal_path()).expect("journal");
        journal
            .execute(
                "UPDATE deliveries SET body = ?1 WHERE id = ?2",
                rusqlite::params![b"{\"id\": 77}".to_vec(), o.delivery_id],
            )
            .expect("fix");
        let fixed = ingest.reprocess(o.delivery_id).await.expect("reprocess");
        assert_eq!((fixed.call_id, fixed.error.as_deref()), (Some(77), None));
        assert_eq!(store.read(calls::count).expect("count"), 1);
    }

    fn found(store: &Store, word: &str) -> Vec<i64> {
        store
            .read(|c| {
                let mut stmt =
                    c.prepare("SELECT rowid FROM transcript_fts WHERE transcript_fts MATCH ?1 ORDER BY rowid")?;
                let ids = stmt.query_map([word], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                Ok(ids)
            })
            .expect("search")
    }

    fn call_saying(id: i64, words: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"id": id, "transcript": [{"sender": "bot", "text": words}]}))
            .expect("json")
    }

    #[tokio::test]
    async fn later_deliveries_merge_into_the_call_and_its_search_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("p.sqlite")).expect("store"));
        let ingest = Ingestor::start(store.clone()).expect("start");
        let send = |v: serde_json::Value| {
            let ingest = ingest.clone();
            async move { ingest.deliver(Source::Webhook, None, serde_json::to_vec(&v).expect("json")).await }
        };
        send(serde_json::json!({"id": 5, "status": "in-progress", "transcript": [{"sender": "bot", "text": "a walrus"}]}))
            .await
            .expect("first");
        let again = send(serde_json::json!({"id": 5, "status": "completed", "custom": 1})).await.expect("second");
        assert!(again.duplicate);
        ingest.flush().await.expect("flush");
        let (doc, _, _) = store.read(|c| calls::docs(c, 5)).expect("read").expect("call");
        let doc = doc.expect("doc");
        assert_eq!((doc["status"].as_str(), doc["custom"].as_i64()), (Some("completed"), Some(1)), "merged");
        assert_eq!(doc["transcript"][0]["text"], "a walrus", "what the second delivery lacked is kept");
        assert_eq!(found(&store, "walrus"), vec![5]);
        send(serde_json::json!({"id": 5, "transcript": [{"sender": "bot", "text": "a penguin"}]}))
            .await
            .expect("third");
        ingest.flush().await.expect("flush");
        assert_eq!((found(&store, "walrus"), found(&store, "penguin")), (vec![], vec![5]));
        assert_eq!(store.read(calls::count).expect("count"), 1);
    }

    #[tokio::test]
    async fn the_search_index_catches_up_with_calls_it_missed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite");
        let first = {
            let store = Arc::new(Store::open(&path).expect("store"));
            let ingest = Ingestor::start(store.clone()).expect("start");
            let first = ingest.deliver(Source::Webhook, None, call_saying(1, "a walrus")).await.expect("1");
            ingest.deliver(Source::Webhook, None, call_saying(2, "another walrus")).await.expect("2");
            ingest.flush().await.expect("flush");
            assert_eq!(found(&store, "walrus"), vec![1, 2]);
            first
        };
        // As if the process died after the calls were committed but before their search rows were:
        // the index holds call 1 only and its mark is behind the calls'.
        let search = rusqlite::Connection::open(dir.path().join("search.sqlite")).expect("search file");
        search
            .execute_batch(
                "DELETE FROM transcript_fts WHERE rowid = 2; DELETE FROM calls_fts WHERE rowid = 2;
                 DELETE FROM fragments_fts WHERE rowid = 2;",
            )
            .expect("lose call 2");
        search.execute("UPDATE search_state SET delivery_id = ?1", [first.delivery_id]).expect("mark");
        drop(search);
        let store = Arc::new(Store::open(&path).expect("reopen"));
        assert_eq!(found(&store, "walrus"), vec![1]);
        let _ingest = Ingestor::start(store.clone()).expect("restart");
        assert_eq!(found(&store, "walrus"), vec![1, 2], "call 2 indexed again, call 1 once");
    }

    #[tokio::test]
    async fn an_upgrade_builds_the_search_index_from_the_calls() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite");
        {
            // Schema 4 kept the search tables in the call database.
            let conn = rusqlite::Connection::open(&path).expect("raw open");
            store::bodies::register(&conn).expect("functions");
            crate::store::migrate_to(&conn, 4).expect("schema 4");
            let journal = dir.path().join("journal.sqlite");
            drop(store::open_journal(&journal).expect("journal"));
            conn.execute("ATTACH DATABASE ?1 AS journal", [journal.display().to_string()]).expect("attach");
            // Schema 4 has no insights tallies: the writer's are never added (no `finish`).
            let mut writer = calls::Writer::new(&conn);
            for id in [3, 9] {
                let body = call_saying(id, &format!("penguin number {id}"));
                let doc = payload::parse_body(&body).expect("parse").1;
                // The calls only: search rows of today's layout do not fit schema 4's tables,
                // which the upgrade drops anyway.
                writer.upsert_delivered(id, Source::Webhook, calls::Delta::Parsed(&doc), None, None, 1).expect("call");
            }
            conn.execute("INSERT INTO index_state (name, delivery_id) VALUES ('journal', 2)", []).expect("mark");
        }
        // Opened as a read-only command does, without starting a writer.
        let store = Arc::new(Store::open(&path).expect("upgrade"));
        assert_eq!(found(&store, "penguin"), vec![3, 9]);
        drop(store);
        // Built once: a writer starting next finds nothing to do.
        let store = Arc::new(Store::open(&path).expect("reopen"));
        let _ingest = Ingestor::start(store.clone()).expect("start");
        assert_eq!(found(&store, "penguin"), vec![3, 9]);
    }

    #[tokio::test]
    async fn journaled_deliveries_beyond_the_index_mark_are_replayed_on_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite");
        {
            let store = Arc::new(Store::open(&path).expect("store"));
            let ingest = Ingestor::start(store.clone()).expect("start");
            ingest.deliver(Source::Webhook, None, b"{\"id\": 1}".to_vec()).await.expect("deliver");
            ingest.flush().await.expect("flush");
        }
        // As if the process died after journaling a delivery but before indexing it.
        let journal = rusqlite::Connection::open(dir.path().join("journal.sqlite")).expect("journal");
        journal
            .execute("INSERT INTO deliveries (received_ms, source, body, outcome, call_id) VALUES (1, 'webhook', ?1, 'stored', 2)",
                [b"{\"id\": 2, \"status\": \"completed\"}".to_vec()])
            .expect("journal a delivery");
        let store = Arc::new(Store::open(&path).expect("reopen"));
        let _ingest = Ingestor::start(store.clone()).expect("restart");
        let status: String = store
            .read(|c| Ok(c.query_row("SELECT status FROM calls WHERE id = 2", [], |r| r.get(0))?))
            .expect("replayed call");
        assert_eq!(status, "completed");
    }

    fn mark(store: &Store) -> i64 {
        store
            .read(|c| Ok(c.query_row("SELECT delivery_id FROM index_state WHERE name = 'journal'", [], |r| r.get(0))?))
            .expect("mark")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_call_that_cannot_be_indexed_is_listed_and_rebuilt_at_the_next_start() {
        const BAD: i64 = 5_000_002;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite");
        {
            let store = Arc::new(Store::open(&path).expect("store"));
            let ingest = Ingestor::start(store.clone()).expect("start");
            fault::inject(BAD, Some(fault::Fault::Fail));
            let mut tasks = tokio::task::JoinSet::new();
            for id in [5_000_001, BAD, 5_000_003] {
                let ingest = ingest.clone();
                tasks.spawn(async move { ingest.deliver(Source::Webhook, None, call_saying(id, "a narwhal")).await });
            }
            while let Some(r) = tasks.join_next().await {
                assert!(r.expect("join").expect("deliver").stored(), "every delivery is acknowledged");
            }
            ingest.flush().await.expect("flush");
            fault::inject(BAD, None);
            // A later delivery of the same call indexes, on top of a call missing its first one.
            let later = serde_json::json!({"id": BAD, "status": "completed"});
            ingest.deliver(Source::Webhook, None, serde_json::to_vec(&later).expect("json")).await.expect("later");
            ingest.flush().await.expect("flush");
            assert_eq!(found(&store, "narwhal"), vec![5_000_001, 5_000_003], "the failed call is not built");
            // The mark moved on, but the failed delivery is listed: counted, shown, retried.
            assert_eq!(store.read(index_errors::count).expect("count"), 1);
            let journaled: i64 =
                store.read(|c| Ok(c.query_row("SELECT max(id) FROM deliveries", [], |r| r.get(0))?)).expect("max");
            assert_eq!(mark(&store), journaled);
            let failed = store.read(|c| deliveries::list(c, true, 10)).expect("failed");
            assert_eq!(failed.len(), 1);
            assert_eq!((failed[0].outcome.as_str(), failed[0].call_id), ("unindexed", Some(BAD)));
            assert!(failed[0].error.as_deref().unwrap_or("").contains("injected fault"), "{:?}", failed[0].error);
        }
        // The next start rebuilds the call from both its deliveries, in order.
        let store = Arc::new(Store::open(&path).expect("reopen"));
        let _ingest = Ingestor::start(store.clone()).expect("restart");
        assert_eq!(store.read(index_errors::count).expect("count"), 0);
        assert_eq!(found(&store, "narwhal"), vec![5_000_001, BAD, 5_000_003]);
        let (doc, _, _) = store.read(|c| calls::docs(c, BAD)).expect("read").expect("call");
        let doc = doc.expect("doc");
        assert_eq!(
            (doc["status"].as_str(), doc["transcript"][0]["text"].as_str()),
            (Some("completed"), Some("a narwhal"))
        );
    }

    #[tokio::test]
    async fn a_call_still_failing_at_start_stays_listed() {
        const BAD: i64 = 5_100_001;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite");
        fault::inject(BAD, Some(fault::Fault::Fail));
        {
            let store = Arc::new(Store::open(&path).expect("store"));
            let ingest = Ingestor::start(store.clone()).expect("start");
            ingest.deliver(Source::Webhook, None, call_saying(BAD, "an okapi")).await.expect("deliver");
            ingest.flush().await.expect("flush");
        }
        let store = Arc::new(Store::open(&path).expect("reopen"));
        drop(Ingestor::start(store.clone()).expect("restart"));
        let attempts: i64 = store
            .read(|c| Ok(c.query_row("SELECT attempts FROM index_errors WHERE call_id = ?1", [BAD], |r| r.get(0))?))
            .expect("still listed");
        assert_eq!(attempts, 2);
        fault::inject(BAD, None);
        let mut conn = store.connect().expect("connect");
        assert_eq!(retry_index_errors(&mut conn).expect("retry"), (1, 0));
        assert_eq!(found(&store, "okapi"), vec![BAD]);
    }

    #[tokio::test]
    async fn reindex_all_rebuilds_every_call_from_the_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite");
        let docs = |store: &Store| {
            [7_000_001, 7_000_002].map(|id| store.read(|c| calls::docs(c, id)).expect("read").expect("call").0)
        };
        let before = {
            let store = Arc::new(Store::open(&path).expect("store"));
            let ingest = Ingestor::start(store.clone()).expect("start");
            ingest.deliver(Source::Webhook, None, call_saying(7_000_001, "a quokka")).await.expect("1");
            ingest.deliver(Source::Webhook, None, call_saying(7_000_002, "a tapir")).await.expect("2");
            let merge = serde_json::json!({"id": 7_000_002, "status": "completed"});
            ingest.deliver(Source::Import, None, serde_json::to_vec(&merge).expect("json")).await.expect("3");
            ingest.flush().await.expect("flush");
            docs(&store)
        };
        let store = Arc::new(Store::open(&path).expect("reopen"));
        reset_for_reindex(&store).expect("reset");
        assert_eq!(mark(&store), 0);
        let _ingest = Ingestor::start(store.clone()).expect("rebuild");
        assert_eq!(docs(&store), before, "the same calls, rebuilt from the journal");
        assert_eq!((found(&store, "quokka"), found(&store, "tapir")), (vec![7_000_001], vec![7_000_002]));
    }

    #[tokio::test]
    async fn a_journaled_body_that_no_longer_parses_becomes_a_failed_delivery_and_the_replay_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.sqlite");
        drop(Store::open(&path).expect("store"));
        // As if journaled by a version that took ids above 2^53-1, then a usable one after it.
        let journal = rusqlite::Connection::open(dir.path().join("journal.sqlite")).expect("journal");
        for (body, call) in [(&b"{\"id\": 9007199254740993}"[..], 9_007_199_254_740_993_i64), (b"{\"id\": 8}", 8)] {
            journal
                .execute(
                    "INSERT INTO deliveries (received_ms, source, body, outcome, call_id) VALUES (1, 'webhook', ?1, 'stored', ?2)",
                    rusqlite::params![body.to_vec(), call],
                )
                .expect("journal a delivery");
        }
        let store = Arc::new(Store::open(&path).expect("reopen"));
        let _ingest = Ingestor::start(store.clone()).expect("start");
        assert_eq!(store.read(calls::count).expect("count"), 1, "the usable delivery after it is replayed");
        let failed = store.read(|c| deliveries::list(c, true, 10)).expect("failed");
        assert_eq!(failed.len(), 1);
        assert!(failed[0].error.as_deref().unwrap_or("").contains("2^53-1"), "{:?}", failed[0].error);
    }
}
