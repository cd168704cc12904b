//! `deliveries`: every authenticated request's exact bytes, with where it came from and what
//! became of it. Rows are written before the body is parsed and are never deleted, so a body
//! Postcall could not use can be shown and re-processed later. A delivery whose body is fine but
//! whose call could not be built (listed in `index_errors`) reads as outcome `unindexed`, with
//! the indexing error, wherever deliveries are shown.

use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use ts_rs::TS;

use super::bodies::{self, BODY_LEN_SQL, BODY_SQL};
use super::Result;

/// Where a delivery came from: the webhook listener, an import, or the calls API (backfill).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "DeliverySource")]
pub enum Source {
    Webhook,
    Import,
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Import => "import",
            Source::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(Source::Webhook),
            "import" => Some(Source::Import),
            "api" => Some(Source::Api),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Delivery {
    pub id: i64,
    pub received_at: String,
    #[ts(as = "Source")]
    pub source: String,
    pub content_type: Option<String>,
    #[ts(as = "crate::store::names::DeliveryOutcome")]
    pub outcome: String,
    pub error: Option<String>,
    pub call_id: Option<i64>,
    /// The raw body: text when it is UTF-8, else base64 (see `body_encoding`).
    pub body: String,
    #[ts(as = "crate::store::names::BodyEncoding")]
    pub body_encoding: &'static str,
}

/// A delivery without its body (the window loads a body when it is opened): `body_bytes` long.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct DeliveryHead {
    pub id: i64,
    pub received_at: String,
    #[ts(as = "Source")]
    pub source: String,
    pub content_type: Option<String>,
    #[ts(as = "crate::store::names::DeliveryOutcome")]
    pub outcome: String,
    pub error: Option<String>,
    pub call_id: Option<i64>,
    pub body_bytes: i64,
}

/// A stored raw body, as bytes, for re-processing.
pub struct RawDelivery {
    pub id: i64,
    pub source: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

pub fn insert(
    conn: &Connection,
    received_ms: i64,
    source: Source,
    content_type: Option<&str>,
    body: &[u8],
    outcome: Result<i64, &str>,
) -> Result<i64> {
    insert_packed(conn, received_ms, source, content_type, body, None, outcome)
}

/// [`insert`], with the body compressed beforehand (`packed`: the dictionary's id and the
/// compressed bytes, see [`bodies::Packer::pack`]) or, without, stored raw.
pub fn insert_packed(
    conn: &Connection,
    received_ms: i64,
    source: Source,
    content_type: Option<&str>,
    body: &[u8],
    packed: Option<(i64, &[u8])>,
    outcome: Result<i64, &str>,
) -> Result<i64> {
    let (outcome, error, call_id) = match outcome {
        Ok(call_id) => ("stored", None, Some(call_id)),
        Err(e) => ("failed", Some(e), None),
    };
    let (stored, codec, dict_id, raw_len) = match packed {
        Some((dict_id, bytes)) => (bytes, bodies::ZSTD_DICT, Some(dict_id), Some(body.len() as i64)),
        None => (body, bodies::RAW, None, None),
    };
    conn.prepare_cached(
        "INSERT INTO deliveries (received_ms, source, content_type, body, outcome, error, call_id, codec, dict_id, raw_len)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![received_ms, source.as_str(), content_type, stored, outcome, error, call_id, codec, dict_id, raw_len])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_outcome(conn: &Connection, id: i64, outcome: Result<i64, &str>) -> Result<()> {
    let (outcome, error, call_id) = match outcome {
        Ok(call_id) => ("stored", None, Some(call_id)),
        Err(e) => ("failed", Some(e), None),
    };
    conn.execute(
        "UPDATE deliveries SET outcome = ?2, error = ?3, call_id = ?4 WHERE id = ?1",
        params![id, outcome, error, call_id],
    )?;
    Ok(())
}

/// `{body}`: the body's expression (its bytes, or only their length).
const COLUMNS: &str = "id, received_ms, source, content_type, {body},
    CASE WHEN outcome = 'stored' AND EXISTS (SELECT 1 FROM index_errors x WHERE x.delivery_id = deliveries.id)
         THEN 'unindexed' ELSE outcome END,
    coalesce(error, (SELECT 'not indexed: ' || x.error FROM index_errors x WHERE x.delivery_id = deliveries.id)),
    call_id";

fn from_row(row: &Row) -> rusqlite::Result<Delivery> {
    let body: Vec<u8> = row.get(4)?;
    let (body, body_encoding) = match String::from_utf8(body) {
        Ok(s) => (s, "utf8"),
        Err(e) => (base64::engine::general_purpose::STANDARD.encode(e.as_bytes()), "base64"),
    };
    Ok(Delivery {
        id: row.get(0)?,
        received_at: crate::time::ms_to_rfc3339(row.get(1)?),
        source: row.get(2)?,
        content_type: row.get(3)?,
        body,
        body_encoding,
        outcome: row.get(5)?,
        error: row.get(6)?,
        call_id: row.get(7)?,
    })
}

fn columns() -> String {
    COLUMNS.replacen("{body}", BODY_SQL, 1)
}

/// The deliveries of a call, oldest first, without their bodies.
pub fn heads_for_call(conn: &Connection, call_id: i64) -> Result<Vec<DeliveryHead>> {
    let columns = COLUMNS.replacen("{body}", BODY_LEN_SQL, 1);
    let mut stmt = conn.prepare_cached(&format!("SELECT {columns} FROM deliveries WHERE call_id = ?1 ORDER BY id"))?;
    let rows = stmt
        .query_map([call_id], |row| {
            Ok(DeliveryHead {
                id: row.get(0)?,
                received_at: crate::time::ms_to_rfc3339(row.get(1)?),
                source: row.get(2)?,
                content_type: row.get(3)?,
                body_bytes: row.get(4)?,
                outcome: row.get(5)?,
                error: row.get(6)?,
                call_id: row.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn for_call(conn: &Connection, call_id: i64) -> Result<Vec<Delivery>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {} FROM deliveries WHERE call_id = ?1 ORDER BY id", columns()))?;
    let rows = stmt.query_map([call_id], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Newest first; `failed_only`: those whose body could not be used or whose call could not be built.
pub fn list(conn: &Connection, failed_only: bool, limit: i64) -> Result<Vec<Delivery>> {
    let filter =
        if failed_only { "WHERE outcome = 'failed' OR id IN (SELECT delivery_id FROM index_errors)" } else { "" };
    let mut stmt = conn.prepare(&format!("SELECT {} FROM deliveries {filter} ORDER BY id DESC LIMIT ?1", columns()))?;
    let rows = stmt.query_map([limit], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Delivery>> {
    Ok(conn.query_row(&format!("SELECT {} FROM deliveries WHERE id = ?1", columns()), [id], from_row).optional()?)
}

pub fn raw(conn: &Connection, id: i64) -> Result<Option<RawDelivery>> {
    Ok(conn
        .query_row(&format!("SELECT id, source, content_type, {BODY_SQL} FROM deliveries WHERE id = ?1"), [id], |r| {
            Ok(RawDelivery { id: r.get(0)?, source: r.get(1)?, content_type: r.get(2)?, body: r.get(3)? })
        })
        .optional()?)
}

pub fn failed_ids(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT id FROM deliveries WHERE outcome = 'failed' ORDER BY id")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

pub fn count_failed(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM deliveries WHERE outcome = 'failed'", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_in_memory;

    #[test]
    fn keeps_exact_bytes_and_encodes_binary_as_base64() {
        let conn = open_in_memory().expect("db");
        let text = insert(&conn, 1, Source::Webhook, Some("application/json"), b"{\"id\":1}", Ok(1)).expect("insert");
        let bin = insert(&conn, 2, Source::Webhook, None, &[0xff, 0x00, 0x7b], Err("not JSON")).expect("insert");
        let t = get(&conn, text).expect("get").expect("row");
        assert_eq!((t.body.as_str(), t.body_encoding, t.outcome.as_str()), ("{\"id\":1}", "utf8", "stored"));
        let b = get(&conn, bin).expect("get").expect("row");
        assert_eq!((b.body.as_str(), b.body_encoding), ("/wB7", "base64"));
        assert_eq!(b.error.as_deref(), Some("not JSON"));
        assert_eq!(raw(&conn, bin).expect("raw").expect("row").body, vec![0xff, 0x00, 0x7b]);
        assert_eq!(failed_ids(&conn).expect("ids"), vec![bin]);
        assert_eq!(list(&conn, true, 10).expect("list").len(), 1);
        assert_eq!(list(&conn, false, 10).expect("list")[0].id, bin, "newest first");
        // A usable body whose call could not be built is listed among the failed, with why.
        crate::store::index_errors::record(&conn, text, 1, "disk I/O error", 3).expect("index error");
        let failed = list(&conn, true, 10).expect("list");
        assert_eq!(failed.iter().map(|d| d.id).collect::<Vec<_>>(), vec![bin, text]);
        assert_eq!(failed[1].outcome, "unindexed");
        assert_eq!(failed[1].error.as_deref(), Some("not indexed: disk I/O error"));
    }
}
