//! The thread that trains the journal's dictionary and compresses the bodies stored raw.
//!
//! Neither belongs on a delivery's path: training takes a second or so, and a folder from before
//! compression holds every body raw (gigabytes, at a million calls), far too much to rewrite at
//! startup. So this thread trains once the folder holds enough deliveries, then compresses the
//! raw bodies in short transactions behind a mark kept in the journal (`body_compaction`), so a
//! stop anywhere resumes where it left off. It logs its progress every few seconds, and
//! `postcall storage` shows it. A failure here costs disk, never a delivery: it is logged and
//! tried again later.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::store::bodies::{self, Packer};
use crate::store::checkpoint::{Checkpointer, Gate};

/// How often the thread looks for work when there was none.
const IDLE: Duration = Duration::from_secs(2);
/// How often it looks for enough deliveries to train on while there is no dictionary.
const UNTRAINED: Duration = Duration::from_millis(200);
/// After a failure, the wait before trying again.
const AFTER_ERROR: Duration = Duration::from_secs(60);
/// The least time between two progress lines.
const LOG_EVERY: Duration = Duration::from_secs(5);

pub(super) struct Compressor {
    pub conn: Connection,
    pub packer: Arc<Packer>,
    pub gate: Gate,
    pub checkpointer: Checkpointer,
}

impl Compressor {
    /// Runs on a thread of its own until `stop`'s sender is dropped.
    pub fn spawn(self, stop: Receiver<()>) -> std::io::Result<()> {
        std::thread::Builder::new().name("postcall-compress".into()).spawn(move || self.run(stop)).map(drop)
    }

    fn run(mut self, stop: Receiver<()>) {
        super::background_priority();
        let mut logged = Instant::now();
        let mut started: Option<(Instant, i64)> = None;
        loop {
            let wait = match self.step() {
                Ok(Some(p)) => {
                    let (since, from) = *started.get_or_insert((Instant::now(), p.done));
                    if logged.elapsed() >= LOG_EVERY {
                        logged = Instant::now();
                        let rate = (p.done - from) as f64 / since.elapsed().as_secs_f64().max(1e-3);
                        tracing::info!(done = p.done, total = p.total, per_s = rate.round(), "compressing the journal");
                    }
                    Duration::ZERO
                }
                Ok(None) => {
                    if let Some((since, from)) = started.take() {
                        tracing::info!(seconds = since.elapsed().as_secs(), from, "compressed the journal");
                    }
                    // Until there is a dictionary, every body is stored raw (and rewritten later,
                    // leaving free space inside the pages): look again soon.
                    if self.packer.current().is_none() {
                        UNTRAINED
                    } else {
                        IDLE
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "compressing the journal failed; trying again in a minute");
                    AFTER_ERROR
                }
            };
            match stop.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) | Ok(()) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// One unit of work: training the dictionary, or one batch of bodies. `None`: nothing to do.
    fn step(&mut self) -> Result<Option<bodies::Compressing>, crate::store::StoreError> {
        if self.packer.current().is_none() && !self.packer.train_if_due(&self.conn, &self.gate)? {
            return Ok(None);
        }
        let done = bodies::compact_batch(&mut self.conn, &self.packer, &self.gate)?;
        if done.is_some() {
            self.checkpointer.nudge();
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use crate::ingest::{Ingestor, Source};
    use crate::store::{bodies, calls, deliveries, Store};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_a_thousand_deliveries_bodies_are_compressed_and_read_back_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("postcall.sqlite")).expect("store"));
        let ingest = Ingestor::start(store.clone()).expect("start");
        let mut rng = crate::sample::Rng::new(3);
        let body = |id: i64, rng: &mut crate::sample::Rng| {
            serde_json::to_vec(&crate::sample::call(id, rng, 1_700_000_000_000 + id * 60_000)).expect("json")
        };
        let mut sent = Vec::new();
        let mut tasks = tokio::task::JoinSet::new();
        for id in 1..=bodies::TRAIN_AT + 50 {
            let b = body(id, &mut rng);
            let ingest = ingest.clone();
            tasks.spawn(async move { (ingest.deliver(Source::Import, None, b.clone()).await, b) });
            while tasks.len() >= 64 {
                let (o, b) = tasks.join_next().await.expect("task").expect("join");
                sent.push((o.expect("deliver").delivery_id, b));
            }
        }
        while let Some(r) = tasks.join_next().await {
            let (o, b) = r.expect("join");
            sent.push((o.expect("deliver").delivery_id, b));
        }
        // Trained and caught up in the background.
        let started = Instant::now();
        let compressed = |s: &Store| -> i64 {
            s.read(|c| Ok(c.query_row("SELECT count(*) FROM deliveries WHERE codec = 1", [], |r| r.get(0))?))
                .expect("count")
        };
        while compressed(&store) < sent.len() as i64 {
            assert!(started.elapsed() < Duration::from_secs(120), "compressed only {}", compressed(&store));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Compressed on arrival from now on.
        let last = body(5000, &mut rng);
        let o = ingest.deliver(Source::Webhook, Some("application/json".into()), last.clone()).await.expect("deliver");
        sent.push((o.delivery_id, last));
        ingest.flush().await.expect("flush");
        let codec: i64 = store
            .read(|c| Ok(c.query_row("SELECT codec FROM deliveries WHERE id = ?1", [o.delivery_id], |r| r.get(0))?))
            .expect("codec");
        assert_eq!(codec, bodies::ZSTD_DICT);
        store
            .read(|c| {
                for (id, b) in &sent {
                    assert!(&deliveries::raw(c, *id)?.expect("row").body == b, "delivery {id} byte-identical");
                }
                // A call's document that is its journaled body reads as the JSON received.
                let doc: String =
                    c.query_row(&format!("SELECT {} FROM calls WHERE id = 5000", calls::DOC_SQL), [], |r| r.get(0))?;
                assert!(doc.as_bytes() == sent.last().expect("last").1.as_slice(), "the document as received");
                Ok(())
            })
            .expect("read back");
        let f = crate::store::footprint::measure(&store, true).expect("footprint");
        let b = f.bodies.expect("bodies");
        assert!(b.stored_bytes * 3 < b.raw_bytes, "{b:?}");
        assert_eq!(f.compressing, None);
    }
}
