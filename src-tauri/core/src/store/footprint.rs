//! What a data folder takes on disk: each database file (with its write-ahead log), bytes per
//! call, and on request each table and index (SQLite's `dbstat`) and the journal's bodies as
//! received against as stored. Shown by `postcall storage` and printed by the benchmark, so a
//! change to what is stored can be judged by its bytes.

use rusqlite::Connection;
use serde::Serialize;

use super::bodies::{self, Compressing};
use super::{Result, Store};

#[derive(Debug, Clone, Serialize)]
pub struct Footprint {
    pub calls: i64,
    pub files: Vec<FileFootprint>,
    /// Every file, logs included.
    pub total_bytes: u64,
    pub bytes_per_call: Option<f64>,
    /// The journal's bodies (with `tables` only: it reads the whole journal).
    pub bodies: Option<BodyBytes>,
    /// Bodies stored raw still being compressed in the background.
    pub compressing: Option<Compressing>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileFootprint {
    pub file: String,
    /// The file and its write-ahead log.
    pub bytes: u64,
    pub bytes_per_call: Option<f64>,
    /// Each table and index, largest first (with `tables` only).
    pub objects: Vec<ObjectBytes>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectBytes {
    pub name: String,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BodyBytes {
    pub deliveries: i64,
    pub compressed: i64,
    /// The bodies as received.
    pub raw_bytes: i64,
    /// The bodies as stored.
    pub stored_bytes: i64,
}

/// Measures `store`'s files; `tables`: also each table and index and the bodies (reads every
/// page: seconds on a large folder).
pub fn measure(store: &Store, tables: bool) -> Result<Footprint> {
    store.read(|conn| {
        let calls: i64 = conn.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?;
        let per_call = |b: u64| (calls > 0).then(|| b as f64 / calls as f64);
        let mut files = Vec::new();
        for (schema, path) in [
            ("journal", store.journal_path()),
            ("main", store.path()),
            ("search", store.search_path()),
            ("review", store.review_path()),
        ] {
            let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            let bytes = size(path) + size(&std::path::PathBuf::from(format!("{}-wal", path.display())));
            let objects = if tables { objects(conn, schema)? } else { Vec::new() };
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            files.push(FileFootprint { file, bytes, bytes_per_call: per_call(bytes), objects });
        }
        let total_bytes = files.iter().map(|f| f.bytes).sum();
        let bodies = if tables {
            Some(conn.query_row(
                &format!(
                    "SELECT count(*), coalesce(sum(codec != 0), 0), coalesce(sum({}), 0), coalesce(sum(length(body)), 0)
                     FROM deliveries",
                    bodies::BODY_LEN_SQL
                ),
                [],
                |r| {
                    Ok(BodyBytes {
                        deliveries: r.get(0)?,
                        compressed: r.get(1)?,
                        raw_bytes: r.get(2)?,
                        stored_bytes: r.get(3)?,
                    })
                },
            )?)
        } else {
            None
        };
        Ok(Footprint {
            calls,
            files,
            total_bytes,
            bytes_per_call: per_call(total_bytes),
            bodies,
            compressing: bodies::progress(conn)?,
        })
    })
}

fn objects(conn: &Connection, schema: &str) -> Result<Vec<ObjectBytes>> {
    let mut stmt = conn.prepare("SELECT name, pgsize FROM dbstat(?1, 1) ORDER BY pgsize DESC")?;
    let rows = stmt.query_map([schema], |r| Ok(ObjectBytes { name: r.get(0)?, bytes: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_and_the_journal_table_are_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("postcall.sqlite")).expect("store");
        let f = measure(&store, true).expect("measure");
        let names: Vec<&str> = f.files.iter().map(|f| f.file.as_str()).collect();
        assert_eq!(names, ["journal.sqlite", "postcall.sqlite", "search.sqlite", "review.sqlite"]);
        assert!(f.files[0].objects.iter().any(|o| o.name == "deliveries"), "{:?}", f.files[0].objects);
        assert!(f.total_bytes > 0);
        assert_eq!(f.bodies.map(|b| b.deliveries), Some(0));
        assert_eq!(f.bytes_per_call, None, "no calls yet");
    }
}
