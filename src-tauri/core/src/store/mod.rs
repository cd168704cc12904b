//! The SQLite file: opening it, its pragmas, and its migrations.
//!
//! One function opens every connection ([`open`]), so pragmas are never forgotten. Migrations are
//! numbered SQL files embedded in the binary, applied in one transaction each and recorded in
//! `PRAGMA user_version`; a database written by a newer Postcall is refused rather than misread.
//! Writes go through [`crate::ingest`]'s single writer; readers open their own connections (WAL
//! lets them run beside the writer).

pub mod calls;
pub mod deliveries;
pub mod turns;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

const MIGRATIONS: &[(&str, &str)] = &[("0001_init", include_str!("../../migrations/0001_init.sql"))];

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

/// Opens (creating if needed) the database at `path` and brings it to the current schema.
pub fn open(path: &Path) -> Result<Connection> {
    let conn =
        Connection::open(path).map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
    configure(&conn)?;
    migrate(&conn, &path.display().to_string())?;
    Ok(conn)
}

/// An in-memory database with the full schema, for tests.
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    migrate(&conn, ":memory:")?;
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

fn migrate(conn: &Connection, path: &str) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = schema_version();
    if found > known {
        return Err(StoreError::TooNew { path: path.to_string(), found, known });
    }
    for (n, (_name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (n + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// Where the database lives and a small pool of read connections.
pub struct Store {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens the database (running migrations) and checks it can be read.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = open(path)?;
        Ok(Self { path: path.to_path_buf(), readers: Mutex::new(vec![conn]) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on a pooled read connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => open(&self.path)?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }

    /// A new connection for a writer.
    pub fn connect(&self) -> Result<Connection> {
        open(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_record_user_version() {
        let conn = open_in_memory().expect("open");
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
    fn wal_and_full_sync_are_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(&dir.path().join("p.sqlite")).expect("open");
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("mode");
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).expect("sync");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
    }
}
