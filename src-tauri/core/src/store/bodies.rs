//! Journal bodies, compressed without losing a byte.
//!
//! A delivery's body was most of the disk a call takes (7 KB of JSON, stored once, read rarely).
//! Payloads from one account share nearly all their keys, prompts and phrasing, so zstd with a
//! dictionary trained on the folder's own payloads shrinks them several times where plain zstd
//! barely halves them. Dictionaries live in the journal (`body_dicts`, one row per version,
//! never changed), and each body row names its codec and dictionary: an old body stays readable
//! whatever dictionary is current.
//!
//! Every reader of a body goes through [`decode`], from Rust or from SQL as
//! `unpack_body(codec, dict_id, body)` ([`BODY_SQL`]), registered on every connection, so a
//! document that is a journaled body (see `calls::DOC_SQL`) reads the same as before. What
//! [`decode`] returns is byte-identical to what was received.
//!
//! Until a folder holds [`TRAIN_AT`] deliveries, bodies are stored raw; then a dictionary is
//! trained in the background, new bodies are compressed as they arrive, and the ones stored raw
//! before (or by an older Postcall) are compressed in batches behind the writers
//! (`ingest::compress`). `POSTCALL_JOURNAL_COMPRESSION=off` stores new bodies raw.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use zstd::zstd_safe::{self, CCtx, CDict, DCtx, DDict};

use super::checkpoint::Gate;
use super::Result;

/// A body stored as received.
pub const RAW: i64 = 0;
/// A body compressed with zstd and the dictionary of its row's `dict_id`.
pub const ZSTD_DICT: i64 = 1;

/// A delivery's exact body, wherever `deliveries` is in the query.
pub const BODY_SQL: &str = "unpack_body(deliveries.codec, deliveries.dict_id, deliveries.body)";
/// The length of a delivery's exact body, without reading it.
pub const BODY_LEN_SQL: &str = "coalesce(deliveries.raw_len, length(deliveries.body))";

/// zstd's level: its default, about 20 µs for a 7 KB payload with a dictionary.
const LEVEL: i32 = 3;
/// A folder holding this many deliveries gets its first dictionary.
pub const TRAIN_AT: i64 = 1_000;
/// The newest deliveries a dictionary is trained on: about 2 MB of typical payloads, 30 times the
/// dictionary, trained in well under a second. (Trained on 1,000, the dictionary came seconds
/// later, while an import journaled thousands of bodies raw.)
const SAMPLES: i64 = 300;
/// A dictionary's size: about ten payloads.
const DICT_BYTES: usize = 64 * 1024;
/// A body claiming to be larger than this is corrupt, not a payload.
const MAX_BODY: u64 = 1 << 30;

/// Whether new bodies are compressed (`POSTCALL_JOURNAL_COMPRESSION=off`: raw, as before).
pub fn enabled() -> bool {
    !matches!(std::env::var("POSTCALL_JOURNAL_COMPRESSION").as_deref(), Ok("off" | "0" | "false" | "no"))
}

/// A dictionary, prepared for both directions.
pub struct Dict {
    /// Its row in `body_dicts`.
    pub id: i64,
    /// zstd's own id of the dictionary (a hash of its content), written in every frame.
    zstd_id: u32,
    cdict: CDict<'static>,
    ddict: DDict<'static>,
}

impl Dict {
    fn new(id: i64, bytes: &[u8]) -> Result<Self, String> {
        let zstd_id = zstd_safe::get_dict_id_from_dict(bytes)
            .ok_or_else(|| format!("body dictionary {id} is not a zstd dictionary"))?
            .get();
        let cdict = CDict::try_create(bytes, LEVEL).ok_or("out of memory preparing a body dictionary")?;
        let ddict = DDict::try_create(bytes).ok_or("out of memory preparing a body dictionary")?;
        Ok(Self { id, zstd_id, cdict, ddict })
    }
}

/// Dictionaries loaded in this process, found by zstd's id in a frame (a hash of the content,
/// so the same id in two folders is the same dictionary).
static LOADED: Mutex<Vec<Arc<Dict>>> = Mutex::new(Vec::new());

fn cached(zstd_id: u32) -> Option<Arc<Dict>> {
    LOADED.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|d| d.zstd_id == zstd_id).cloned()
}

fn remember(dict: Dict) -> Arc<Dict> {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = loaded.iter().find(|d| d.zstd_id == dict.zstd_id) {
        return d.clone();
    }
    let dict = Arc::new(dict);
    loaded.push(dict.clone());
    dict
}

thread_local! {
    static CCTX: RefCell<Option<CCtx<'static>>> = const { RefCell::new(None) };
    static DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// `body` compressed with `dict`; `None` when that would not make it smaller (it is then stored
/// raw).
pub fn encode(dict: &Dict, body: &[u8]) -> Option<Vec<u8>> {
    CCTX.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = CCtx::try_create();
        }
        let cctx = slot.as_mut()?;
        let mut out = Vec::with_capacity(zstd_safe::compress_bound(body.len()));
        cctx.compress_using_cdict(&mut out, body, &dict.cdict).ok()?;
        (out.len() < body.len()).then_some(out)
    })
}

/// The exact bytes of a stored body. `load` fetches a dictionary's bytes by id when this process
/// has not loaded it yet.
pub fn decode(
    codec: i64,
    dict_id: Option<i64>,
    body: &[u8],
    load: impl FnOnce(i64) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, String> {
    match codec {
        RAW => Ok(body.to_vec()),
        ZSTD_DICT => {
            let zstd_id = zstd_safe::get_dict_id_from_frame(body)
                .ok_or("a compressed body names no dictionary; the journal is damaged")?
                .get();
            let dict = match cached(zstd_id) {
                Some(d) => d,
                None => {
                    let id = dict_id.ok_or("a compressed body has no dictionary id; the journal is damaged")?;
                    let dict = remember(Dict::new(id, &load(id)?)?);
                    if dict.zstd_id != zstd_id {
                        return Err(format!("body dictionary {id} is not the one the body was compressed with"));
                    }
                    dict
                }
            };
            let size = match zstd_safe::get_frame_content_size(body) {
                Ok(Some(n)) if n <= MAX_BODY => n as usize,
                _ => return Err("a compressed body has no valid size; the journal is damaged".into()),
            };
            let mut out = Vec::with_capacity(size);
            DCTX.with(|slot| {
                let mut slot = slot.borrow_mut();
                if slot.is_none() {
                    *slot = DCtx::try_create();
                }
                let dctx = slot.as_mut().ok_or("out of memory decompressing a body")?;
                dctx.decompress_using_ddict(&mut out, body, &dict.ddict).map_err(|code| {
                    format!("a compressed body does not decompress ({})", zstd_safe::get_error_name(code))
                })
            })?;
            if out.len() != size {
                return Err("a compressed body decompressed to the wrong length; the journal is damaged".into());
            }
            Ok(out)
        }
        other => {
            Err(format!("a body is stored with codec {other}, which this Postcall does not know; update Postcall"))
        }
    }
}

/// A dictionary's bytes from `conn` (the journal, or a connection it is attached to).
fn dict_bytes(conn: &Connection, id: i64) -> Result<Vec<u8>, String> {
    conn.query_row("SELECT bytes FROM body_dicts WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("body dictionary {id} is missing from the journal"))
}

/// Registers `unpack_body(codec, dict_id, body)` on `conn`. A dictionary this process has not
/// loaded is read from the journal beside the connection's file (a function cannot query the
/// connection that calls it).
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let journal: Option<PathBuf> =
        conn.path().filter(|p| !p.is_empty()).map(|p| Path::new(p).with_file_name("journal.sqlite"));
    conn.create_scalar_function(
        "unpack_body",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        move |ctx| {
            let codec: i64 = ctx.get(0)?;
            let dict_id: Option<i64> = ctx.get(1)?;
            let body = match ctx.get_raw(2) {
                ValueRef::Blob(b) => b,
                ValueRef::Text(t) => t,
                ValueRef::Null => return Ok(None),
                _ => return Err(rusqlite::Error::UserFunctionError("a delivery's body is not bytes".into())),
            };
            let load = |id| {
                let path = journal.as_deref().ok_or_else(|| format!("body dictionary {id} is not loaded"))?;
                let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(|e| format!("cannot read the journal {}: {e}", path.display()))?;
                dict_bytes(&conn, id)
            };
            decode(codec, dict_id, body, load).map(Some).map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
        },
    )
}

/// The dictionary new bodies are compressed with, shared by the threads that write them.
pub struct Packer {
    enabled: bool,
    current: RwLock<Option<Arc<Dict>>>,
}

impl Packer {
    /// The newest dictionary of the journal `conn`, if any.
    pub fn open(conn: &Connection) -> Result<Self> {
        let newest: Option<(i64, Vec<u8>)> = conn
            .query_row("SELECT id, bytes FROM body_dicts ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let current = match newest {
            Some((id, bytes)) => Some(remember(Dict::new(id, &bytes).map_err(super::StoreError::Parse)?)),
            None => None,
        };
        Ok(Self { enabled: enabled(), current: RwLock::new(current) })
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The dictionary new bodies are compressed with (none yet, or compression is off).
    pub fn current(&self) -> Option<Arc<Dict>> {
        if !self.enabled {
            return None;
        }
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `body` as it is to be stored: `(dict_id, compressed)`, or `None` to store it raw.
    pub fn pack(&self, body: &[u8]) -> Option<(i64, Vec<u8>)> {
        let dict = self.current()?;
        encode(&dict, body).map(|packed| (dict.id, packed))
    }

    fn set(&self, dict: Arc<Dict>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(dict);
    }

    /// Trains a dictionary on the newest usable deliveries of the journal `conn` once it holds
    /// [`TRAIN_AT`], stores it as the next version and makes it current. Returns whether one was
    /// trained.
    /// `gate` is held only to store it.
    pub fn train_if_due(&self, conn: &Connection, gate: &Gate) -> Result<bool> {
        if !self.enabled || self.current().is_some() {
            return Ok(false);
        }
        let count: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM deliveries", [], |r| r.get(0))?;
        if count < TRAIN_AT {
            return Ok(false);
        }
        let samples = {
            let mut stmt = conn.prepare(&format!(
                "SELECT {BODY_SQL} FROM deliveries WHERE outcome = 'stored' ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([SAMPLES], |r| r.get::<_, Vec<u8>>(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        // Too few usable bodies to learn from: try again when more have come.
        if (samples.len() as i64) < SAMPLES / 2 {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let bytes = match zstd::dict::from_samples(&samples, DICT_BYTES) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "could not train a dictionary for the journal's bodies; they stay raw");
                return Ok(false);
            }
        };
        let _writing = gate.hold();
        conn.execute(
            "INSERT INTO body_dicts (created_ms, samples, bytes) VALUES (?1, ?2, ?3)",
            rusqlite::params![crate::time::now_ms(), samples.len() as i64, bytes],
        )?;
        let id = conn.last_insert_rowid();
        let dict = remember(Dict::new(id, &bytes).map_err(super::StoreError::Parse)?);
        tracing::info!(
            dictionary = id,
            samples = samples.len(),
            bytes = bytes.len(),
            ms = started.elapsed().as_millis() as u64,
            "trained a dictionary for the journal's bodies"
        );
        self.set(dict);
        Ok(true)
    }
}

/// How far compressing the bodies stored raw has got, by delivery id.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Compressing {
    pub done: i64,
    pub total: i64,
}

/// `None` once no body is left raw to compress, or while there is no dictionary yet.
pub fn progress(conn: &Connection) -> Result<Option<Compressing>> {
    let (done, total, dicts): (i64, i64, i64) = conn.query_row(
        "SELECT (SELECT done_up_to FROM body_compaction), (SELECT coalesce(max(id), 0) FROM deliveries),
                (SELECT count(*) FROM body_dicts)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if dicts == 0 || done >= total {
        return Ok(None);
    }
    // Bodies written since the mark were compressed as they came unless stored raw (before the
    // dictionary, or by an older Postcall): only those are work left.
    let raw_left: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM deliveries WHERE id > ?1 AND codec = 0)", [done], |r| r.get(0))?;
    Ok(raw_left.then_some(Compressing { done, total }))
}

/// The most bodies compressed in one transaction of the background pass.
pub const COMPACT_BATCH: i64 = 256;

/// Compresses the next bodies stored raw (up to [`COMPACT_BATCH`]) with the current dictionary
/// and moves the mark past them, in one short transaction. Returns the progress after it, or
/// `None` when there was nothing left to do (or no dictionary). `gate` is held for the write.
pub fn compact_batch(conn: &mut Connection, packer: &Packer, gate: &Gate) -> Result<Option<Compressing>> {
    let Some(dict) = packer.current() else { return Ok(None) };
    let (mark, top): (i64, i64) = conn.query_row(
        "SELECT (SELECT done_up_to FROM body_compaction), (SELECT coalesce(max(id), 0) FROM deliveries)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if mark >= top {
        return Ok(None);
    }
    // Read and compress outside the transaction; the update checks each row is still raw.
    let rows: Vec<(i64, Vec<u8>)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, body FROM deliveries WHERE id > ?1 AND id <= ?2 AND codec = 0 ORDER BY id LIMIT ?3",
        )?;
        let rows = stmt.query_map([mark, top, COMPACT_BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let next = match rows.last() {
        Some((id, _)) if rows.len() as i64 == COMPACT_BATCH => *id,
        _ => top,
    };
    let packed: Vec<(i64, usize, Vec<u8>)> =
        rows.iter().filter_map(|(id, body)| encode(&dict, body).map(|p| (*id, body.len(), p))).collect();
    let _writing = gate.hold();
    let tx = conn.transaction()?;
    {
        let mut update = tx.prepare_cached(
            "UPDATE deliveries SET body = ?2, codec = ?3, dict_id = ?4, raw_len = ?5 WHERE id = ?1 AND codec = 0",
        )?;
        for (id, len, body) in &packed {
            update.execute(rusqlite::params![id, body, ZSTD_DICT, dict.id, *len as i64])?;
        }
    }
    tx.execute("UPDATE body_compaction SET done_up_to = max(done_up_to, ?1)", [next])?;
    tx.commit()?;
    Ok(Some(Compressing { done: next, total: top }))
}

#[cfg(test)]
mod tests;
