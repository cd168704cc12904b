//! Insights: the figures a team reads at a glance ([`stats`]), the turn where each extracted
//! value was said ([`evidence`]), and changes of the payload's shape ([`drift`]).
//!
//! Everything here is read from small summary tables (migration `0008_insights`), never by
//! walking a million calls. Their days and hours are the machine's local ones, in the zone
//! recorded beside them ([`zone`]):
//!
//! - Calls per day × status × campaign (with the objective's counts) and their durations in
//!   buckets are kept in the transaction that writes the calls: new calls are counted by the
//!   writer ([`crate::store::calls::Writer`]) once per batch, a changed or deleted call by SQL
//!   triggers on `calls`. The upgrade fills them for the calls already held.
//! - Extracted variables (fill counts, values) and the payload schema need each delivery's
//!   document, which the indexer drops once parsed (a new call's document is only a reference to
//!   its journaled body). They are built by a pass of their own over the journal, [`catch_up`],
//!   with its own mark, like the search index: it reads only deliveries the indexer has already
//!   turned into calls, in journal order, and is idempotent. It runs before every read of these
//!   tables (`postcall stats`, `postcall drift`, the dashboard), so its cost is the deliveries
//!   received since the last read; the indexer's hot path, and the import rate it is measured by,
//!   pay nothing. Rebuilding for old calls is the same pass from mark 0 (the upgrade starts there).

#[cfg(test)]
mod agreement;
pub mod bench;
pub mod drift;
pub mod evidence;
mod matching;
pub mod numbers;
pub mod report;
mod source;
pub mod stats;
mod variables;
pub mod zone;

use rusqlite::{params, Connection, OptionalExtension};

use crate::ingest::Source;
use crate::store::{Result, Store};

const MARK: &str = "insights";
/// The indexer's mark in `index_state` (see `ingest`): deliveries up to it are calls.
const INDEX_MARK: &str = "journal";
/// Deliveries read and parsed per transaction.
const BATCH: i64 = 1_000;

/// Brings the variable tallies and the payload schema up to date with the journal. Returns how
/// many deliveries were read.
pub fn catch_up(store: &Store) -> Result<usize> {
    let mut conn = store.connect()?;
    // A zone changed while the window runs: the figures wait for the tallies of the new zone.
    zone::ensure(&mut conn, &zone::machine())?;
    catch_up_on(&mut conn)
}

struct Delivery {
    id: i64,
    received_ms: i64,
    source: Source,
    call_id: Option<i64>,
    doc: Option<crate::payload::Doc>,
}

/// [`catch_up`] on a connection that reaches the calls and the journal.
pub fn catch_up_on(conn: &mut Connection) -> Result<usize> {
    numbers::backfill(conn)?;
    let mut total = 0;
    loop {
        let mark = mark(conn)?;
        let limit: i64 = conn
            .query_row("SELECT delivery_id FROM index_state WHERE name = ?1", [INDEX_MARK], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        if limit <= mark {
            return Ok(total);
        }
        // Read and parse outside the write transaction, so the indexer is held up only by the
        // short writes below.
        let batch: Vec<Delivery> = {
            let mut stmt = conn.prepare_cached(
                "SELECT id, received_ms, source, call_id, CASE WHEN outcome = 'stored' THEN unpack_body(codec, dict_id, body) END
                 FROM deliveries WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![mark, limit, BATCH], |r| {
                let body: Option<Vec<u8>> = r.get(4)?;
                Ok(Delivery {
                    id: r.get(0)?,
                    received_ms: r.get(1)?,
                    source: Source::parse(&r.get::<_, String>(2)?).unwrap_or(Source::Webhook),
                    call_id: r.get(3)?,
                    doc: body.and_then(|b| crate::payload::parse_body(&b).ok()).map(|(_, doc)| doc),
                })
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(last) = batch.last().map(|d| d.id) else {
            // Nothing left below the index mark (its deliveries were all failed ones).
            set_mark(conn, limit)?;
            return Ok(total);
        };
        let tx = conn.transaction()?;
        // Take the write lock first, then check that no other pass (the window and a command
        // line at once) did this batch meanwhile.
        tx.prepare_cached("UPDATE insights_state SET delivery_id = delivery_id WHERE name = ?1")?.execute([MARK])?;
        if self::mark(&tx)? != mark {
            tx.commit()?;
            continue;
        }
        let mut schema = drift::Schema::load(&tx)?;
        for d in &batch {
            let (Some(call_id), Some(doc)) = (d.call_id, d.doc.as_ref()) else { continue };
            if d.source != Source::Api {
                schema.observe(&tx, doc, d.received_ms, d.id, call_id)?;
            }
            variables::note(&tx, call_id, d.source, doc)?;
        }
        schema.save(&tx)?;
        tx.prepare_cached("UPDATE insights_state SET delivery_id = ?2 WHERE name = ?1")?
            .execute(params![MARK, last])?;
        tx.commit()?;
        total += batch.len();
    }
}

fn mark(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT delivery_id FROM insights_state WHERE name = ?1")?
        .query_row([MARK], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

fn set_mark(conn: &Connection, to: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO insights_state (name, delivery_id) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET delivery_id = max(delivery_id, excluded.delivery_id)",
    )?
    .execute(params![MARK, to])?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod test_support {
    use rusqlite::{params, Connection};
    use serde_json::Value;

    use crate::ingest::Source;
    use crate::store::calls;

    /// Journals `body` as delivery of call `id`, indexes it as the indexer would, and moves the
    /// index mark past it.
    pub fn deliver(conn: &Connection, source: Source, body: &Value, received_ms: i64) -> i64 {
        let id = crate::payload::call_id(body.as_object().expect("object")).expect("id");
        let raw = serde_json::to_vec(body).expect("json");
        let delivery =
            crate::store::deliveries::insert(conn, received_ms, source, None, &raw, Ok(id)).expect("journal");
        calls::upsert(conn, id, source, body.as_object().expect("object"), received_ms).expect("call");
        conn.execute(
            "INSERT INTO index_state (name, delivery_id) VALUES ('journal', ?1)
             ON CONFLICT (name) DO UPDATE SET delivery_id = excluded.delivery_id",
            params![delivery],
        )
        .expect("mark");
        delivery
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_pass_reads_only_indexed_deliveries_once() {
        let mut conn = crate::store::open_in_memory().expect("db");
        let body = json!({"id": 1, "status": "completed", "extracted_variables": {"lead_quality": "high"}});
        test_support::deliver(&conn, Source::Webhook, &body, 1);
        // A delivery journaled but not yet indexed waits for the indexer.
        let raw = serde_json::to_vec(&json!({"id": 2})).expect("json");
        crate::store::deliveries::insert(&conn, 2, Source::Webhook, None, &raw, Ok(2)).expect("journal");
        assert_eq!(catch_up_on(&mut conn).expect("pass"), 1);
        assert_eq!(catch_up_on(&mut conn).expect("again"), 0, "nothing is read twice");
        let filled: i64 = conn
            .query_row("SELECT sum(calls) FROM variable_fill WHERE name = 'lead_quality'", [], |r| r.get(0))
            .expect("fill");
        assert_eq!(filled, 1);
    }
}
