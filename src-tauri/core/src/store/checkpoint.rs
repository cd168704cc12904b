//! Folding the write-ahead logs back into the database files, on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that pushes the log past 1,000 pages, so
//! the writer that committed pays for copying those pages into the database file and syncing
//! it: the journal writer while webhooks wait for their answer, the indexer while calls wait to
//! be indexed. The writers turn it off ([`disable_auto`]) and [`nudge`](Checkpointer::nudge)
//! this thread after each commit instead; it copies what has accumulated at most every
//! [`INTERVAL`], beside the writers (a passive checkpoint never blocks them).

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::Result;

/// The least time between two checkpoints. A page written again and again (an index's hot
/// pages) is copied once per checkpoint rather than once per commit; under a sustained import a
/// second's worth of log is about 150 MB.
const INTERVAL: Duration = Duration::from_millis(1000);

/// Turns off the checkpoint inside commits, for a writer whose commits nudge a [`Checkpointer`].
pub fn disable_auto(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(())
}

/// Handle to the checkpoint thread; it stops when every handle is dropped.
#[derive(Clone)]
pub struct Checkpointer {
    tx: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread over `conns`, one connection per database file (named for the logs).
    pub fn start(conns: Vec<(Connection, PathBuf)>) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(1);
        std::thread::Builder::new().name("postcall-checkpoint".into()).spawn(move || run(&conns, rx))?;
        Ok(Self { tx })
    }

    /// Says a commit happened. Never blocks: nudges already waiting are merged into one.
    pub fn nudge(&self) {
        if let Err(TrySendError::Disconnected(())) = self.tx.try_send(()) {
            tracing::debug!("the checkpoint thread has stopped");
        }
    }
}

fn run(conns: &[(Connection, PathBuf)], rx: Receiver<()>) {
    while rx.recv().is_ok() {
        let started = Instant::now();
        for (conn, path) in conns {
            // A reader still using older pages can hold part of the log back; the next nudge
            // copies the rest.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(db = %path.display(), error = %e, "checkpointing the write-ahead log failed");
            }
        }
        if let Some(rest) = INTERVAL.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}
