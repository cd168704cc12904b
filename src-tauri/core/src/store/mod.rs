//! The SQLite file: opening it, its pragmas, and its migrations.
//!
//! One function opens every connection ([`open`]), so pragmas are never forgotten. Migrations are
//! numbered SQL files embedded in the binary, applied in one transaction each and recorded in
//! `PRAGMA user_version`; a database written by a newer Postcall is refused rather than misread.
//!
//! Three files: `journal.sqlite` holds every delivery's raw bytes (appended and fsynced before a
//! webhook is acknowledged), `postcall.sqlite` the calls and turns built from it, and
//! `search.sqlite` the full-text indexes built from those. Read connections attach the journal
//! and the index, so queries name every table unqualified. Writes go through [`crate::ingest`]'s
//! three writers, one per file; readers run beside them (WAL).

pub mod bodies;
pub mod calls;
pub mod checkpoint;
pub mod deliveries;
pub mod footprint;
pub mod index_errors;
pub mod names;
pub mod recordings;
pub mod review_keys;
pub mod scripts;
pub mod search_index;
pub mod tally;
pub mod turns;
pub mod zone;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/main/0001_init.sql")),
    ("0002_recordings", include_str!("../../migrations/main/0002_recordings.sql")),
    ("0003_transcript_index", include_str!("../../migrations/main/0003_transcript_index.sql")),
    ("0004_lean_writes", include_str!("../../migrations/main/0004_lean_writes.sql")),
    ("0005_search_file", include_str!("../../migrations/main/0005_search_file.sql")),
    ("0006_no_customer_index", include_str!("../../migrations/main/0006_no_customer_index.sql")),
    ("0007_index_errors", include_str!("../../migrations/main/0007_index_errors.sql")),
    ("0008_insights", include_str!("../../migrations/main/0008_insights.sql")),
    ("0009_insights_hours", include_str!("../../migrations/main/0009_insights_hours.sql")),
    ("0010_variable_numbers", include_str!("../../migrations/main/0010_variable_numbers.sql")),
    ("0011_range_totals", include_str!("../../migrations/main/0011_range_totals.sql")),
    ("0012_local_days", include_str!("../../migrations/main/0012_local_days.sql")),
    ("0013_downloads_index", include_str!("../../migrations/main/0013_downloads_index.sql")),
    ("0014_batch_tallies", include_str!("../../migrations/main/0014_batch_tallies.sql")),
];
const JOURNAL_MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/journal/0001_init.sql")),
    ("0002_compressed_bodies", include_str!("../../migrations/journal/0002_compressed_bodies.sql")),
];
const REVIEW_MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/review/0001_init.sql")),
    ("0002_outbox", include_str!("../../migrations/review/0002_outbox.sql")),
    ("0003_definitions", include_str!("../../migrations/review/0003_definitions.sql")),
    ("0004_log_order", include_str!("../../migrations/review/0004_log_order.sql")),
    ("0005_refused", include_str!("../../migrations/review/0005_refused.sql")),
    ("0006_duration_order", include_str!("../../migrations/review/0006_duration_order.sql")),
];
const SEARCH_MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/search/0001_init.sql")),
    ("0002_large_leaves", include_str!("../../migrations/search/0002_large_leaves.sql")),
    ("0003_gradual_merges", include_str!("../../migrations/search/0003_gradual_merges.sql")),
    ("0004_every_script", include_str!("../../migrations/search/0004_every_script.sql")),
    ("0005_term_seeks", include_str!("../../migrations/search/0005_term_seeks.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database {path} was written by a newer Postcall (schema {found}, this version knows up to {known}); update Postcall or use another data folder")]
    TooNew { path: String, found: i64, known: i64 },
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A call, delivery or recording that is not stored.
    #[error("not found: {0}")]
    NotFound(String),
    /// Writing out what was read failed (an export to a full disk or a closed pipe).
    #[error("cannot write {what}: {source}")]
    Io { what: String, source: std::io::Error },
    /// A writer or checkpoint thread could not be started.
    #[error("cannot start the {name} thread: {source}; the system is out of threads or memory, close other programs and try again")]
    Thread { name: String, source: std::io::Error },
    /// A stored delivery no longer parses (after an upgrade changed what a payload must hold).
    #[error("{0}; see it with `postcall deliveries --failed`")]
    Parse(String),
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

/// Opens (creating if needed) the search index file at `path`.
pub fn open_search(path: &Path) -> Result<Connection> {
    open_with(path, SEARCH_MIGRATIONS)
}

/// Opens (creating if needed) the review file at `path` (annotations and their projection).
pub fn open_review(path: &Path) -> Result<Connection> {
    open_with(path, REVIEW_MIGRATIONS)
}

fn open_with(path: &Path, migrations: &[(&str, &str)]) -> Result<Connection> {
    let conn =
        Connection::open(path).map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
    configure(&conn)?;
    migrate(&conn, migrations, &path.display().to_string())?;
    Ok(conn)
}

/// Attaches the journal, the search index and the review file to a call-database connection, so
/// queries name every table unqualified (review tables as `review.…`, for clarity).
fn attach(conn: &Connection, journal: &Path, search: &Path, review: &Path) -> Result<()> {
    for (schema, path) in [("journal", journal), ("search", search), ("review", review)] {
        conn.execute(&format!("ATTACH DATABASE ?1 AS {schema}"), [path.display().to_string()])?;
        conn.pragma_update(Some(schema), "cache_size", -32_000)?;
        conn.pragma_update(Some(schema), "mmap_size", 256 * 1024 * 1024)?;
    }
    Ok(())
}

/// One in-memory database with both schemas, for tests.
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    for (_, sql) in MIGRATIONS.iter().chain(JOURNAL_MIGRATIONS).chain(SEARCH_MIGRATIONS) {
        conn.execute_batch(sql)?;
    }
    conn.execute("ATTACH DATABASE ':memory:' AS review", [])?;
    for (_, sql) in REVIEW_MIGRATIONS {
        conn.execute_batch(
            &sql.replace("CREATE TABLE ", "CREATE TABLE review.")
                .replace("CREATE INDEX ", "CREATE INDEX review.")
                .replace("CREATE VIEW ", "CREATE VIEW review."),
        )?;
    }
    Ok(conn)
}

/// The page size of new database files.
const PAGE_SIZE: i64 = 16 * 1024;

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Takes effect only in a new, empty file. Each page is a system call when written to the
    // log and two more when copied back from it: with 16 KB pages a call's raw body and its
    // index postings take a quarter as many, for about 7% more bytes on disk.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk (WAL fsynced) before it returns; an HTTP 2xx follows a commit.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
    // A log that grew during an import is cut back to this once it has been copied.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    // Every reader of a journaled body goes through this (see bodies).
    bodies::register(conn)?;
    // The insights tallies' triggers key calls by local day (see zone).
    zone::register(conn)?;
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
        crate::startup::Progress::start("Upgrading the database", "", 0);
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

/// Brings a call database to schema `version` only, as an older Postcall left it (for tests of
/// upgrades).
#[cfg(test)]
pub(crate) fn migrate_to(conn: &Connection, version: usize) -> Result<()> {
    migrate(conn, &MIGRATIONS[..version], "test")
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
    search: PathBuf,
    review: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// The one connection that writes review events (few, small writes), opened at first use.
    review_writer: Mutex<Option<Connection>>,
}

impl Store {
    /// Opens the three databases (running migrations); `path` is the call database, the journal
    /// and the search index sit beside it.
    pub fn open(path: &Path) -> Result<Self> {
        let journal = path.with_file_name("journal.sqlite");
        let search = path.with_file_name("search.sqlite");
        let review = path.with_file_name("review.sqlite");
        drop(open_journal(&journal)?);
        drop(open_search(&search)?);
        drop(open_review(&review)?);
        let mut conn = open(path)?;
        attach(&conn, &journal, &search, &review)?;
        // A first start after the upgrade that moved the search indexes to their own file builds
        // them, whether a writer starts next or only a command reading them.
        search_index::build_if_missing(&mut conn)?;
        // Review rows written before their call was indexed (or before the upgrade that keeps
        // the log's order beside them) get their call's key.
        review_keys::fill_missing(&conn, "review", "main")?;
        Ok(Self {
            path: path.to_path_buf(),
            journal,
            search,
            review,
            readers: Mutex::new(vec![conn]),
            review_writer: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn journal_path(&self) -> &Path {
        &self.journal
    }

    pub fn search_path(&self) -> &Path {
        &self.search
    }

    fn reader(&self) -> Result<Connection> {
        let conn = open(&self.path)?;
        attach(&conn, &self.journal, &self.search, &self.review)?;
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

    pub fn review_path(&self) -> &Path {
        &self.review
    }

    /// Runs `f` on the review file's one write connection (opened at first use), one writer at
    /// a time. `f` makes its own transaction.
    pub fn review_write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut slot = self.review_writer.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let conn = open_review(&self.review)?;
            // Read only, for the log order of the calls being annotated (`review::keys`).
            conn.execute("ATTACH DATABASE ?1 AS calls_db", [self.path.display().to_string()])
                .map_err(StoreError::from)?;
            *slot = Some(conn);
        }
        match slot.as_mut() {
            Some(conn) => f(conn),
            None => Err(StoreError::NotFound("the review database".into()).into()),
        }
    }

    /// A new connection for the journal writer.
    pub fn connect_journal(&self) -> Result<Connection> {
        open_journal(&self.journal)
    }

    /// A new connection for the search index writer. Like the call database, the index is
    /// derived from the journal, so its commits need not wait for an fsync.
    pub fn connect_search(&self) -> Result<Connection> {
        let conn = open_search(&self.search)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(conn)
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
    fn upgrading_keeps_the_turns_and_moves_the_search_index_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("postcall.sqlite");
        {
            // A database as schema 2 left it: turns indexed one by one by triggers.
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
        let texts: Vec<String> = turns::for_call(&conn, 4).expect("turns").into_iter().map(|t| t.text).collect();
        assert_eq!(texts, ["hello penguin", "then the walrus"], "turns kept, in order");
        let left: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE (type = 'trigger' AND tbl_name = 'turns')
                 OR name LIKE '%_fts%' OR name LIKE '%_terms'",
                [],
                |r| r.get(0),
            )
            .expect("schema");
        assert_eq!(left, 0, "no triggers, and the search tables live in search.sqlite");
        let customer_index: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'calls_by_customer'", [], |r| r.get(0))
            .expect("schema");
        assert_eq!(customer_index, 0, "the unused customer index is gone");
    }

    #[test]
    fn wal_full_sync_and_large_pages_are_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(&dir.path().join("p.sqlite")).expect("open");
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("mode");
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).expect("sync");
        let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0)).expect("page size");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
        assert_eq!(page, PAGE_SIZE, "a new file gets the large pages");
        drop(conn);
        // An existing file keeps its pages: SQLite cannot change them in WAL mode.
        let old = dir.path().join("old.sqlite");
        Connection::open(&old).and_then(|c| c.execute_batch("CREATE TABLE t (x)")).expect("4 KB file");
        let conn = open(&old).expect("reopen");
        let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0)).expect("page size");
        assert_eq!(page, 4096);
    }

    #[test]
    fn search_leaves_fit_the_pages() {
        use rusqlite::OptionalExtension;
        let dir = tempfile::tempdir().expect("tempdir");
        let leaves = |conn: &Connection| -> Vec<Option<i64>> {
            ["transcript_fts", "calls_fts", "fragments_fts"]
                .iter()
                .map(|t| {
                    conn.query_row(&format!("SELECT v FROM {t}_config WHERE k = 'pgsz'"), [], |r| r.get(0))
                        .optional()
                        .expect("config")
                })
                .collect()
        };
        let new = open_search(&dir.path().join("search.sqlite")).expect("new file");
        assert_eq!(leaves(&new), [Some(16000); 3], "large leaves in 16 KB pages");
        // A search file of 4 KB pages (from before they were the default) keeps FTS5's leaves.
        let old = dir.path().join("old-search.sqlite");
        let conn = Connection::open(&old).expect("old");
        conn.execute_batch(SEARCH_MIGRATIONS[0].1).expect("old schema");
        conn.pragma_update(None, "user_version", 1).expect("version");
        drop(conn);
        assert_eq!(leaves(&open_search(&old).expect("upgrade")), [None; 3]);
    }
}
