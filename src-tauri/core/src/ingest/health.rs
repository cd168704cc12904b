//! Whether the ingest pipeline can still index what it acknowledges.
//!
//! Each writer thread runs under [`run`]: if it panics, the pipeline is marked broken with the
//! reason, for good (a dead thread is not restarted: its channel is gone and what it held is in
//! the journal, replayed at the next start). From then on [`super::Ingestor::deliver`] refuses new
//! deliveries, the listener answers 503 instead of acknowledging into a pipeline that cannot
//! index, and `/healthz` and the window's status say why.

use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Health {
    problem: Mutex<Option<String>>,
}

impl Health {
    /// Why the pipeline cannot index, once a thread died.
    pub fn problem(&self) -> Option<String> {
        self.problem.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn fail(&self, reason: String) {
        let mut p = self.problem.lock().unwrap_or_else(|e| e.into_inner());
        // The first thread to die is the cause; the others stop because it did.
        if p.is_none() {
            tracing::error!(reason = %reason, "the ingest pipeline has stopped; restart Postcall");
            *p = Some(reason);
        }
    }
}

/// Runs one thread's work; a panic is recorded as the pipeline's problem.
pub(super) fn run(name: &str, health: &Arc<Health>, f: impl FnOnce()) {
    if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        health.fail(format!("the {name} thread stopped: {message}"));
    }
}
