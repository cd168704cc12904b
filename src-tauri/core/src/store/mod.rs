//! The SQLite file: opening it, its pragmas, and its migrations.
//!
//! One function opens every connection ([`open`]), so pragmas are never forgotten. Migrations are
//! numbered SQL files embedded in the binary, applied in one transaction each and recorded in
//! `PRAGMA user_version`; a database written by a newer Postcall is refused rather than misread.
//!
//! Two files: `journal.sqlite` holds every delivery's raw bytes (appended and fsynced before a
//! webhook is acknowledged), `postcall.sqlite` the calls, turns and search indexes built from it.
//! Read connections attach the journal, so queries name both kinds of table unqualified. Writes
//! go through [`crate::ingest`]'s two writers; readers run beside them (WAL).

pub mod calls;
pub mod checkpoint;
pub mod deliveries;
pub mod turns;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/main/0001_init.sql")),
    ("0002_recordings", include_str!("../../migrations/main/0002_recordings.sql")),
    ("0003_transcript_index", include_str!("../../migrations/main/0003_transcript_index.sql")),
    ("0004_lean_writes", include_str!("../../migrations/main/0004_lean_writes.sql")),
];
const JOURNAL_MIGRATIONS: &[(&str, &str)] = &[("0001_init", include_str!("../../migrations/journal/0001_init.sql"))];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database {path} was written by a newer Postcall (schema {found}, this version knows up to {known}); update Postcall or use another data folder")]
    TooNew { path: String, found: i64, known: i64 },
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("not found: {0}")]
    NotFound(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Opens (creating if needed) the call database at `path` and brings it to the current schema.
pub fn open(path: &Path) -> Result<Connection> {
    open_with(path, MIGRATIONS)
}

/// Opens (creating if needed) the delivery journal at `path`.
pub fn open_journal(path: &Path) -> Result<Connection> {
    open_with(path, JOURNAL_MIGRATIONS)
}

fn open_with(path: &Path, migrations: &[(&str, &str)]) -> Result<Connection> {
    let conn =
        Connection::open(path).map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
    configure(&conn)?;
    migrate(&conn, migrations, &path.display().to_string())?;
    Ok(conn)
}

/// Attaches the journal to a call-database connection, for reads that need both.
fn attach_journal(conn: &Connection, journal: &Path) -> Result<()> {
    conn.execute("ATTACH DATABASE ?1 AS journal", [journal.display().to_string()])?;
    Ok(())
}

/// One in-memory database with both schemas, for tests.
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    for (_, sql) in MIGRATIONS.iter().chain(JOURNAL_MIGRATIONS) {
        conn.execute_batch(sql)?;
    }
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk (WAL fsynced) before it returns; an HTTP 2xx follows a commit.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
    Ok(())
}

pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

fn migrate(conn: &Connection, migrations: &[(&str, &str)], path: &str) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = migrations.len() as i64;
    if found > known {
        return Err(StoreError::TooNew { path: path.to_string(), found, known });
    }
    // Upgrading a database that already holds calls may rebuild indexes over all of them: say so,
    // and keep saying so while it runs.
    let upgrade = (found > 0 && found < known).then(|| {
        eprintln!("Upgrading the database {path} (schema {found} to {known}); large databases take a minute…");
        let started = std::time::Instant::now();
        let mut next = 5;
        conn.progress_handler(
            100_000,
            Some(move || {
                let secs = started.elapsed().as_secs();
                if secs >= next {
                    eprintln!("  still upgrading… {secs} s");
                    next = secs + 5;
                }
                false
            }),
        );
        started
    });
    let result = apply(conn, migrations, found as usize);
    if let Some(started) = upgrade {
        conn.progress_handler(0, None::<fn() -> bool>);
        if result.is_ok() {
            eprintln!("Database upgraded in {:.1} s.", started.elapsed().as_secs_f64());
        }
    }
    result
}

/// Runs the migrations after the first `done`, one transaction each.
fn apply(conn: &Connection, migrations: &[(&str, &str)], done: usize) -> Result<()> {
    for (n, (_name, sql)) in migrations.iter().enumerate().skip(done) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (n + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// Where the databases live and a small pool of read connections.
pub struct Store {
    path: PathBuf,
    journal: PathBuf,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens both databases (running migrations); `path` is the call database, the journal sits
    /// beside it.
    pub fn open(path: &Path) -> Result<Self> {
        let journal = path.with_file_name("journal.sqlite");
        drop(open_journal(&journal)?);
        let conn = open(path)?;
        attach_journal(&conn, &journal)?;
        Ok(Self { path: path.to_path_buf(), journal, readers: Mutex::new(vec![conn]) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn journal_path(&self) -> &Path {
        &self.journal
    }

    fn reader(&self) -> Result<Connection> {
        let conn = open(&self.path)?;
        attach_journal(&conn, &self.journal)?;
        Ok(conn)
    }

    /// Runs `f` on a pooled read connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => self.reader()?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }

    /// A new connection for the index writer (the call database, with the journal attached for
    /// replaying it).
    pub fn connect(&self) -> Result<Connection> {
        let conn = self.reader()?;
        // The call database is derived from the journal: after a crash the indexer replays the
        // journal past its mark (kept in the same transactions), so these commits need not wait
        // for an fsync. Durability lives in the journal, which keeps synchronous=FULL.
        conn.pragma_update(Some("main"), "synchronous", "NORMAL")?;
        Ok(conn)
    }

    /// A new connection for the journal writer.
    pub fn connect_journal(&self) -> Result<Connection> {
        open_journal(&self.journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_record_user_version() {
        let conn = open_in_memory().expect("open");
        let n: i64 = conn.query_row("SELECT count(*) FROM calls, deliveries", [], |r| r.get(0)).expect("both schemas");
        assert_eq!(n, 0);
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(&dir.path().join("p.sqlite")).expect("open");
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("pragma");
        assert_eq!(v, schema_version());
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("postcall.sqlite");
        drop(open(&path).expect("create"));
        let conn = Connection::open(&path).expect("raw open");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        let err = open(&path).expect_err("must refuse").to_string();
        assert!(err.contains("newer Postcall") && err.contains("99"), "{err}");
    }

    #[test]
    fn the_transcript_index_is_rebuilt_per_call_when_upgrading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("postcall.sqlite");
        {
            // A database as the previous schema left it: turns indexed one by one by triggers.
            let conn = Connection::open(&path).expect("raw open");
            migrate(&conn, &MIGRATIONS[..2], "old").expect("old schema");
            conn.execute_batch(
                "INSERT INTO calls (id, first_seen_ms, updated_ms, sort_ms) VALUES (4, 1, 1, 1);
                 INSERT INTO turns (call_id, idx, sender, text) VALUES (4, 1, 'human', 'then the walrus'),
                                                                       (4, 0, 'bot', 'hello penguin');",
            )
            .expect("old rows");
        }
        let conn = open(&path).expect("upgrade");
        let hits: Vec<i64> = conn
            .prepare("SELECT rowid FROM transcript_fts WHERE transcript_fts MATCH '\"penguin then\"'")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(hits, vec![4], "turns joined in order, one row per call");
        let triggers: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'", [], |r| r.get(0))
            .expect("schema");
        assert_eq!(triggers, 0);
    }

    #[test]
    fn wal_and_full_sync_are_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(&dir.path().join("p.sqlite")).expect("open");
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("mode");
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).expect("sync");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
    }
}
