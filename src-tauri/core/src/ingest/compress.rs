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
                    IDLE
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
