//! The one ingest path for every source (webhook, file import, API backfill).
//!
//! Three writer threads, one per database file, and a parser:
//! - the **journal writer** takes every delivery queued at that moment into one transaction
//!   (group commit), appends each raw body with its parse outcome to `journal.sqlite`, commits
//!   with `synchronous=FULL`, and only then answers. An answer therefore means "on disk", and
//!   concurrent webhooks share one fsync instead of paying one each.
//! - the **parser** turns journaled bodies into what each call's rows hold
//!   ([`calls::Derived`]). The backlog between the journal and the index is held as raw bytes
//!   (a parsed payload takes several times its size), bounded by [`BACKLOG_BYTES`], so a burst
//!   is acknowledged at the journal's pace while indexing catches up behind it.
//! - the **indexer** builds the calls and turns in `postcall.sqlite`, in large transactions, and
//!   records how far into the journal it got (`index_state`) in the same transaction. After a
//!   crash, [`Ingestor::start`] replays what the journal holds beyond that mark before anything
//!   else, so nothing acknowledged is ever missing.
//! - the **search writer** writes each indexed batch's full-text rows to `search.sqlite`, beside
//!   the indexer on the other core, with its own mark (see [`search_index`]).
//!
//! A fourth thread folds the write-ahead logs back into the files ([`checkpoint`]).
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

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use crate::payload;
use crate::store::bodies::Packer;
use crate::store::calls::Delta;
use crate::store::checkpoint::{self, Checkpointer, Gate, Logged};
use crate::store::index_errors;
use crate::store::search_index::{self, SearchRows};
use crate::store::{self, calls, deliveries, Store};

mod compress;
pub mod fault;
pub mod health;
mod replay;

use replay::catch_up;
pub use replay::{reset_for_reindex, retry_index_errors};

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

type Reply = oneshot::Sender<Result<(IngestOutcome, Option<oneshot::Receiver<()>>), IngestError>>;

enum JournalJob {
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

/// A journaled delivery on its way to the indexer, still as raw bytes.
struct Pending {
    delivery_id: i64,
    source: Source,
    body: Vec<u8>,
    done: Option<oneshot::Sender<()>>,
    slot: Option<OwnedSemaphorePermit>,
}

enum PendingMsg {
    Job(Pending),
    Flush(oneshot::Sender<()>),
}

/// What the indexer is done with: freed on a thread of its own, because freeing a batch built by
/// another thread took a tenth of the indexer's time.
type Spent = Vec<(Vec<u8>, Box<calls::Derived>)>;

/// A journaled delivery, parsed, on its way to the indexer.
struct IndexJob {
    delivery_id: i64,
    source: Source,
    call_id: i64,
    /// The body as journaled. The document itself is not kept: a call seen for the first time is
    /// written from `derived` alone, and the body is parsed again only to merge it into a call
    /// seen before. (Documents held between threads were a third of the memory and of the work
    /// of freeing it.)
    body: Vec<u8>,
    /// The body is exactly its document's JSON text (valid UTF-8 with no byte-order mark), so a
    /// call whose whole document this is can refer to the delivery instead of copying it.
    verbatim: bool,
    /// What the call's tables and indexes hold were this document the whole call.
    derived: Box<calls::Derived>,
    done: Option<oneshot::Sender<()>>,
    /// Held until the call is searchable.
    slot: Option<OwnedSemaphorePermit>,
}

impl IndexJob {
    /// Parses a journaled body; `Err` when it does not parse (any more).
    fn parse(delivery_id: i64, source: Source, body: Vec<u8>) -> Result<Self, payload::PayloadError> {
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

enum IndexMsg {
    Job(IndexJob),
    Flush(oneshot::Sender<()>),
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

/// The most deliveries one journal transaction takes.
const MAX_BATCH: usize = 512;
/// The most calls one index transaction builds. Under a sustained load (an import) the batches
/// are this large; the list indexes keyed by duration, status, campaign and objective take each
/// batch's inserts at hundreds of places, and a page changed by several calls of a batch is
/// written once for all of them (4,096 rather than 1,024 calls per batch: 6.6 instead of
/// 10.6 KB logged per call at a million calls).
const MAX_INDEX_BATCH: usize = 4096;
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
/// Parsed documents waiting for the indexer (a parsed payload is several times its raw size):
/// the next batch fills while one is written.
const PARSED_QUEUE: usize = MAX_INDEX_BATCH;

const WATERMARK: &str = "journal";

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

fn journal_writer(
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

fn reply_of(job: JournalJob) -> Reply {
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

/// Parses journaled bodies for the indexer, in journal order (the latest delivery of a call must
/// be indexed last). Blocks when the indexer is [`PARSED_QUEUE`] documents behind.
fn parser(rx: std_mpsc::Receiver<PendingMsg>, tx: std_mpsc::SyncSender<IndexMsg>, backlog: Arc<AtomicUsize>) {
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

/// A batch of calls built in the call database, on its way to the search index.
struct SearchBatch {
    rows: Vec<SearchRows>,
    /// The last delivery the batch reflects.
    mark: Option<i64>,
    /// Answers waiting for these calls to be searchable.
    done: Vec<oneshot::Sender<()>>,
    /// Deliveries in the batch, off the backlog once searchable.
    deliveries: usize,
    /// Their room in the backlog, given back once they are searchable.
    _slots: Vec<OwnedSemaphorePermit>,
}

enum SearchMsg {
    Batch(SearchBatch),
    Flush(oneshot::Sender<()>),
}

/// Batches of search rows waiting for the search writer.
const SEARCH_QUEUE: usize = 4;

fn indexer(
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

/// Writes the indexer's batches to the search index (several at once when it falls behind), then
/// announces the calls: a call is reported, and an answer waiting for it released, once it can be
/// found.
fn search_writer(
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

/// Indexes a batch in one transaction; if that fails, each job alone, so one bad call cannot
/// hold back the others, and a call that fails alone is listed in `index_errors` as the mark
/// passes it. Returns the search rows of the calls built.
fn index_all(conn: &mut Connection, jobs: &[IndexJob]) -> Vec<SearchRows> {
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

fn set_mark(conn: &Connection, delivery_id: i64) -> Result<(), store::StoreError> {
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
    for job in jobs {
        fault::check(job.call_id).map_err(store::StoreError::NotFound)?;
        // The journal keeps the body; a call whose document is that body as it came refers to it.
        let delivery = job.verbatim.then_some(job.delivery_id);
        let upserted = calls::upsert_delivered(
            &tx,
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
            for id in [3, 9] {
                let body = call_saying(id, &format!("penguin number {id}"));
                let doc = payload::parse_body(&body).expect("parse").1;
                // The calls only: search rows of today's layout do not fit schema 4's tables,
                // which the upgrade drops anyway.
                calls::upsert_delivered(&conn, id, Source::Webhook, calls::Delta::Parsed(&doc), None, None, 1)
                    .expect("call");
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
