//! Folding the write-ahead logs back into the database files, on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that pushes the log past 1,000 pages, so
//! the writer that committed pays for copying those pages into the database file and syncing
//! it: the journal writer while webhooks wait for their answer, the indexer while calls wait to
//! be indexed. The writers turn it off ([`disable_auto`]) and [`nudge`](Checkpointer::nudge)
//! this thread after each commit instead; it copies what has accumulated at most every
//! [`INTERVAL`], beside the writers (a passive checkpoint never blocks them).
//!
//! Copying beside a writer that never pauses leaves the log's newest frames uncopied every time,
//! and SQLite starts a log over from its beginning only once all of it has been copied: during
//! an import the log would grow by gigabytes. So each writer holds its file's [`Gate`] while it
//! writes, and a checkpoint that has caught up copies the few frames left with the gate held:
//! the writer's next transaction then reuses the log from the start.
//!
//! A file that is rarely read back (the journal of raw deliveries) has its pages dropped from
//! the operating system's cache once they are copied and synced: an import of a million calls
//! would otherwise fill the machine's memory with eight gigabytes of request bodies, pushing out
//! what the call list and the search read, and every new page costs a fresh allocation.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
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

/// A copying pass shorter than this is followed by one with the writer held back: that one
/// copies only what was committed meanwhile, so the writer waits about as long at most.
const CAUGHT_UP: Duration = Duration::from_millis(5);

/// Copying passes tried beside the writer before giving up on starting the log over this time.
const PASSES: usize = 4;

/// Held by a database file's writer for each write transaction, and by the checkpoint thread
/// for its last copying pass (see the module's documentation).
#[derive(Clone, Default)]
pub struct Gate(Arc<Mutex<()>>);

impl Gate {
    /// Holds the gate until the returned guard is dropped. Dropping it hands the gate to the
    /// checkpoint thread if that is waiting, so a writer looping on its next batch cannot keep
    /// it out.
    pub fn hold(&self) -> Held<'_> {
        Held(Some(self.0.lock()))
    }
}

pub struct Held<'a>(Option<MutexGuard<'a, ()>>);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(guard) = self.0.take() {
            MutexGuard::unlock_fair(guard);
        }
    }
}

/// Handle to the checkpoint thread; it stops when every handle is dropped.
#[derive(Clone)]
pub struct Checkpointer {
    tx: SyncSender<()>,
}

/// A database file the checkpoint thread copies the log of.
pub struct Logged {
    pub conn: Connection,
    pub path: PathBuf,
    /// The gate its writer holds while it writes.
    pub gate: Gate,
    /// Drop the file's pages from the operating system's cache once copied (Linux only).
    pub rarely_read: bool,
}

struct File {
    logged: Logged,
    /// Open when the file's pages are dropped from the cache.
    uncache: Option<std::fs::File>,
}

impl Checkpointer {
    /// Starts the thread over `files`, each with a connection of its own.
    pub fn start(files: Vec<Logged>) -> std::io::Result<Self> {
        Self::start_every(files, INTERVAL)
    }

    fn start_every(files: Vec<Logged>, interval: Duration) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(1);
        let files: Vec<File> = files
            .into_iter()
            .map(|logged| {
                let uncache = if logged.rarely_read { std::fs::File::open(&logged.path).ok() } else { None };
                File { logged, uncache }
            })
            .collect();
        std::thread::Builder::new().name("postcall-checkpoint".into()).spawn(move || run(&files, rx, interval))?;
        Ok(Self { tx })
    }

    /// Says a commit happened. Never blocks: nudges already waiting are merged into one.
    pub fn nudge(&self) {
        if let Err(TrySendError::Disconnected(())) = self.tx.try_send(()) {
            tracing::debug!("the checkpoint thread has stopped");
        }
    }
}

fn run(files: &[File], rx: Receiver<()>, interval: Duration) {
    while rx.recv().is_ok() {
        let started = Instant::now();
        for f in files {
            match checkpoint(&f.logged.conn, &f.logged.gate) {
                Ok(true) => {
                    if let Some(file) = &f.uncache {
                        uncache(file);
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(db = %f.logged.path.display(), error = %e, "checkpointing the write-ahead log failed");
                }
            }
        }
        if let Some(rest) = interval.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

/// Copies the log into the database file beside its writer until a pass is short, then once more
/// with the writer held back, so that all of the log is copied. A reader still using older pages
/// can hold part of it back; the next nudge copies the rest. Returns whether there was a log.
fn checkpoint(conn: &Connection, gate: &Gate) -> Result<bool> {
    let passive = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
    for _ in 0..PASSES {
        let started = Instant::now();
        let frames = passive()?;
        if frames <= 0 {
            // An empty log, or one started over: nothing to copy.
            return Ok(false);
        }
        if started.elapsed() < CAUGHT_UP {
            let _writer_waits = gate.hold();
            passive()?;
            break;
        }
    }
    Ok(true)
}

/// Drops the file's cached pages. A checkpoint has synced them, so none is dirty; pages a reader
/// has mapped are kept.
#[cfg(target_os = "linux")]
fn uncache(file: &std::fs::File) {
    if let Err(e) = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed) {
        tracing::debug!(error = %e, "could not drop a database file's pages from the cache");
    }
}

#[cfg(not(target_os = "linux"))]
fn uncache(_: &std::fs::File) {}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn wal_bytes(db: &Path) -> u64 {
        std::fs::metadata(format!("{}-wal", db.display())).map(|m| m.len()).unwrap_or(0)
    }

    /// A writer that never pauses: 200 commits of 1 MB, each nudging the checkpoint thread.
    fn write_without_pause(db: &Path, gate: Option<&Gate>, checkpointer: &Checkpointer) -> u64 {
        let mut conn = crate::store::open(db).expect("writer");
        disable_auto(&conn).expect("no auto checkpoint");
        conn.execute_batch("CREATE TABLE blobs (b BLOB)").expect("table");
        let mut largest = 0;
        for i in 0..200u32 {
            let _writing = gate.map(Gate::hold);
            let tx = conn.transaction().expect("begin");
            for _ in 0..16 {
                tx.execute("INSERT INTO blobs (b) VALUES (randomblob(65536))", []).expect("insert");
            }
            if i % 10 == 0 {
                tx.execute("DELETE FROM blobs WHERE rowid % 2 = 0", []).expect("delete");
            }
            tx.commit().expect("commit");
            checkpointer.nudge();
            largest = largest.max(wal_bytes(db));
        }
        largest
    }

    #[test]
    fn a_writer_that_never_pauses_still_gets_its_log_started_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gated = dir.path().join("gated.sqlite");
        let ungated = dir.path().join("ungated.sqlite");
        let gate = Gate::default();
        let files = [&gated, &ungated]
            .into_iter()
            .map(|p| Logged {
                conn: crate::store::open(p).expect("open"),
                path: p.clone(),
                // The ungated file's writer never holds its gate.
                gate: if p == &gated { gate.clone() } else { Gate::default() },
                rarely_read: p == &gated,
            })
            .collect();
        let checkpointer = Checkpointer::start_every(files, Duration::from_millis(20)).expect("thread");
        let without_gate = write_without_pause(&ungated, None, &checkpointer);
        let with_gate = write_without_pause(&gated, Some(&gate), &checkpointer);
        // 200 MB were written to each log. Copied beside the writer only, the log keeps growing;
        // with the gate it is started over and cut back to journal_size_limit (64 MB).
        assert!(without_gate > 150 << 20, "the log of a writer without the gate grew to {without_gate} bytes");
        assert!(with_gate <= 80 << 20, "the log grew to {with_gate} bytes");
    }
}
