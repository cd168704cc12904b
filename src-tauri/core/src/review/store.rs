//! `review.sqlite`: writing events and their projection, and reading review state back.
//!
//! Writes go through the store's one review connection ([`crate::Store::review_write`]); each
//! batch of events and the recomputed projection of the calls they touch commit in one
//! transaction, so a failed write leaves nothing half-done. Reads run on the store's pooled read
//! connections, where this file is attached as `review`.

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::Value;

use super::projection::{self, Projection};
use super::{CallReview, Event, Note, ReviewState, ReviewStateEntry, RowReview, Score, Scorecard, TagDef, DEFINITIONS};
use crate::store::Result;

const EVENT_COLUMNS: &str = "event_id, call_id, author_email, author_name, kind, body, created_at, schema_version";

fn event_from_row(r: &rusqlite::Row) -> rusqlite::Result<Event> {
    let body: String = r.get(5)?;
    Ok(Event {
        event_id: r.get(0)?,
        call_id: r.get(1)?,
        author_email: r.get(2)?,
        author_name: r.get(3)?,
        kind: r.get(4)?,
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        created_at: r.get(6)?,
        schema_version: r.get(7)?,
    })
}

/// Where events being stored come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Made here or imported here: queued in `review_outbox` for the team's stream.
    Local,
    /// Read from the team's stream: never sent back; an event of ours it echoes leaves the outbox.
    Team,
}

/// Stores `events` (those already held, by id, are skipped) and recomputes the calls they touch,
/// inside `tx`. Returns the calls whose events changed and how many events were new. Local
/// events also go to the team outbox. A new definition puts [`DEFINITIONS`] among the touched
/// calls, with the calls carrying a tag whose definition changed (they show differently now).
pub fn insert_events(tx: &Transaction, events: &[Event]) -> Result<(Vec<i64>, u64)> {
    insert_events_from(tx, events, Origin::Local)
}

/// [`insert_events`], saying where the events come from.
pub fn insert_events_from(tx: &Transaction, events: &[Event], origin: Origin) -> Result<(Vec<i64>, u64)> {
    let mut new = 0;
    let mut seq: i64 = tx.query_row("SELECT ifnull(max(seq), 0) FROM review_events", [], |r| r.get(0))?;
    let mut touched = BTreeSet::new();
    {
        let mut insert = tx.prepare_cached(&format!(
            "INSERT OR IGNORE INTO review_events ({EVENT_COLUMNS}, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))?;
        let mut queue = tx.prepare_cached("INSERT OR IGNORE INTO review_outbox (seq, event_id) VALUES (?1, ?2)")?;
        let mut echoed = tx.prepare_cached("DELETE FROM review_outbox WHERE event_id = ?1")?;
        // Refused once, in the stream after all (the permissions were changed and it was retried).
        let mut echoed_refused = tx.prepare_cached("DELETE FROM review_refused WHERE event_id = ?1")?;
        for e in events {
            seq += 1;
            let n = insert.execute(params![
                e.event_id,
                e.call_id,
                e.author_email,
                e.author_name,
                e.kind,
                e.body.to_string(),
                e.created_at,
                e.schema_version,
                seq
            ])?;
            if n == 1 {
                touched.insert(e.call_id);
                new += 1;
                if origin == Origin::Local {
                    queue.execute(params![seq, e.event_id])?;
                }
            } else if origin == Origin::Team {
                echoed.execute([&e.event_id])?;
                echoed_refused.execute([&e.event_id])?;
            }
        }
    }
    let mut shown = BTreeSet::new();
    for e in events.iter().filter(|e| e.call_id == DEFINITIONS && touched.contains(&DEFINITIONS)) {
        if let Some(tag) = e.body.get("name").and_then(Value::as_str).filter(|_| e.kind.starts_with("tag.")) {
            let mut st = tx.prepare_cached("SELECT call_id FROM call_tags WHERE tag = ?1")?;
            for id in st.query_map([tag], |r| r.get::<_, i64>(0))? {
                shown.insert(id?);
            }
        }
    }
    let calls = super::keys::calls_schema(tx)?;
    for &call in touched.iter().filter(|&&c| c != DEFINITIONS) {
        reproject(tx, call, calls)?;
    }
    if let Some(calls) = calls {
        // Rows an earlier write left without their call's key, if the call was indexed since.
        super::keys::fill_missing(tx, review_schema(tx)?, calls)?;
    }
    touched.extend(shown);
    Ok((touched.into_iter().collect(), new))
}

/// Events waiting in the team outbox, oldest first (`schema`: `"review."` on a read connection).
pub fn outbox(conn: &Connection, schema: &str, limit: i64) -> Result<Vec<Event>> {
    let cols = EVENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {cols} FROM {schema}review_outbox o JOIN {schema}review_events e ON e.event_id = o.event_id
         ORDER BY o.seq LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], event_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// How many events wait in the team outbox.
pub fn outbox_len(conn: &Connection, schema: &str) -> Result<i64> {
    Ok(conn.query_row(&format!("SELECT count(*) FROM {schema}review_outbox"), [], |r| r.get(0))?)
}

/// Takes events the stream acknowledged out of the outbox.
pub fn outbox_done(conn: &mut Connection, event_ids: &[String]) -> Result<()> {
    let tx = conn.transaction()?;
    {
        let mut del = tx.prepare_cached("DELETE FROM review_outbox WHERE event_id = ?1")?;
        for id in event_ids {
            del.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Moves events the team server refused out of the outbox, keeping each with the reason, so
/// the events after them go out.
pub fn outbox_refused(conn: &mut Connection, refused: &[(String, String)], at_ms: i64) -> Result<()> {
    let tx = conn.transaction()?;
    {
        let mut park = tx.prepare_cached(
            "INSERT OR REPLACE INTO review_refused (seq, event_id, reason, refused_ms)
             SELECT seq, event_id, ?2, ?3 FROM review_events WHERE event_id = ?1",
        )?;
        let mut del = tx.prepare_cached("DELETE FROM review_outbox WHERE event_id = ?1")?;
        for (id, reason) in refused {
            park.execute(params![id, reason, at_ms])?;
            del.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// One event the team server refused.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Refused {
    pub event_id: String,
    pub call_id: i64,
    pub author_email: String,
    pub kind: String,
    pub reason: String,
    pub refused_ms: i64,
}

/// The events the team server refused, oldest first.
pub fn refused(conn: &Connection, schema: &str) -> Result<Vec<Refused>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.event_id, e.call_id, e.author_email, e.kind, r.reason, r.refused_ms
         FROM {schema}review_refused r JOIN {schema}review_events e ON e.event_id = r.event_id ORDER BY r.seq"
    ))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Refused {
                event_id: r.get(0)?,
                call_id: r.get(1)?,
                author_email: r.get(2)?,
                kind: r.get(3)?,
                reason: r.get(4)?,
                refused_ms: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// How many events the team server refused.
pub fn refused_len(conn: &Connection, schema: &str) -> Result<i64> {
    Ok(conn.query_row(&format!("SELECT count(*) FROM {schema}review_refused"), [], |r| r.get(0))?)
}

/// Queues every refused event again, in its original place in the outbox's order. Returns how many.
pub fn retry_refused(conn: &mut Connection) -> Result<usize> {
    let tx = conn.transaction()?;
    tx.execute("INSERT OR IGNORE INTO review_outbox (seq, event_id) SELECT seq, event_id FROM review_refused", [])?;
    let n = tx.execute("DELETE FROM review_refused", [])?;
    tx.commit()?;
    Ok(n)
}

/// A digest of the whole review projection (every table the events produce, in key order) and
/// of the event ids held, so two nodes can tell whether they converged.
pub fn projection_digest(conn: &Connection, schema: &str) -> Result<ProjectionDigest> {
    use sha2::{Digest, Sha256};
    let s = schema;
    let mut h = Sha256::new();
    let queries = [
        format!("SELECT event_id FROM {s}review_events ORDER BY event_id"),
        format!("SELECT call_id, reviewer, reviewer_name, state, at FROM {s}review_states ORDER BY call_id, reviewer"),
        format!(
            "SELECT note_id, call_id, author, author_name, text, turn, at_seconds, created_at, edited_at, deleted
             FROM {s}notes ORDER BY note_id"
        ),
        format!("SELECT event_id, note_id, call_id, kind, text, at FROM {s}note_history ORDER BY event_id"),
        format!("SELECT event_id, call_id, tag, removed FROM {s}tag_adds ORDER BY event_id"),
        format!("SELECT tag, call_id FROM {s}call_tags ORDER BY tag, call_id"),
        format!(
            "SELECT call_id, reviewer, scorecard, reviewer_name, total, answers, at FROM {s}scores
             ORDER BY call_id, reviewer, scorecard"
        ),
        format!("SELECT call_id, assignee FROM {s}assignees ORDER BY call_id"),
    ];
    for q in &queries {
        h.update(q.as_bytes());
        let mut stmt = conn.prepare(q)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            for i in 0..n {
                let v = match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => "\0".to_string(),
                    rusqlite::types::ValueRef::Integer(x) => format!("i{x}"),
                    rusqlite::types::ValueRef::Real(x) => format!("r{x}"),
                    rusqlite::types::ValueRef::Text(t) => format!("t{}", String::from_utf8_lossy(t)),
                    rusqlite::types::ValueRef::Blob(b) => format!("b{}", b.len()),
                };
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
        }
    }
    let events: i64 = conn.query_row(&format!("SELECT count(*) FROM {s}review_events"), [], |r| r.get(0))?;
    let calls: i64 =
        conn.query_row(&format!("SELECT count(DISTINCT call_id) FROM {s}review_events"), [], |r| r.get(0))?;
    let hash = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(ProjectionDigest { hash, events, calls })
}

/// What [`projection_digest`] gives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectionDigest {
    /// SHA-256 over the event ids and the projection tables, in hex.
    pub hash: String,
    pub events: i64,
    pub calls: i64,
}

/// Every event of one call, in no particular order.
pub fn call_events(conn: &Connection, call_id: i64, schema: &str) -> Result<Vec<Event>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM {schema}review_events WHERE call_id = ?1"))?;
    let rows = stmt.query_map([call_id], event_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Every event, in local apply order.
pub fn all_events(conn: &Connection, schema: &str, mut each: impl FnMut(Event) -> Result<()>) -> Result<u64> {
    let mut stmt = conn.prepare(&format!("SELECT {EVENT_COLUMNS} FROM {schema}review_events ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        each(event_from_row(r)?)?;
        n += 1;
    }
    Ok(n)
}

const PROJECTION_TABLES: &[&str] =
    &["review_states", "review_any", "notes", "note_history", "tag_adds", "call_tags", "scores", "assignees"];

/// The schema the review tables are in on `conn`: `main` on the review file's own connection,
/// `review` where it is attached to a call database.
fn review_schema(conn: &Connection) -> Result<&'static str> {
    let attached = conn
        .prepare_cached("SELECT 1 FROM pragma_database_list WHERE name = 'review'")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some();
    Ok(if attached { "review" } else { "main" })
}

/// Replaces one call's projection rows with what its events give. `calls`: where the call
/// database is seen from `tx` ([`super::keys::calls_schema`]), for the call's log key.
fn reproject(tx: &Transaction, call_id: i64, calls: Option<&str>) -> Result<()> {
    let p = projection::project(&call_events(tx, call_id, "")?);
    for table in PROJECTION_TABLES {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE call_id = ?1"))?.execute([call_id])?;
    }
    write_projection(tx, call_id, &p, super::keys::key_of(tx, calls, call_id)?)
}

fn write_projection(tx: &Transaction, call_id: i64, p: &Projection, keys: Option<super::keys::LogKeys>) -> Result<()> {
    let r = &p.review;
    let (log_ms, log_dur) = (keys.map(|k| k.0), keys.map(|k| k.1));
    let mut st = tx.prepare_cached(
        "INSERT INTO review_states (call_id, reviewer, reviewer_name, state, at, log_ms, log_dur)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for s in &r.states {
        st.execute(params![call_id, s.reviewer, s.reviewer_name, s.state.as_str(), s.at, log_ms, log_dur])?;
    }
    let mut st = tx
        .prepare_cached("INSERT OR IGNORE INTO review_any (state, call_id, log_ms, log_dur) VALUES (?1, ?2, ?3, ?4)")?;
    for s in &r.states {
        st.execute(params![s.state.as_str(), call_id, log_ms, log_dur])?;
    }
    let mut st = tx.prepare_cached(
        "INSERT INTO notes (note_id, call_id, author, author_name, text, turn, at_seconds, created_at, edited_at, deleted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (n, deleted) in &p.notes {
        st.execute(params![
            n.id,
            call_id,
            n.author,
            n.author_name,
            n.text,
            n.turn,
            n.at_seconds,
            n.created_at,
            n.edited_at,
            deleted
        ])?;
    }
    let mut st = tx.prepare_cached(
        "INSERT INTO note_history (event_id, note_id, call_id, kind, text, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for h in &p.history {
        st.execute(params![h.event_id, h.note_id, call_id, h.kind, h.text, h.at])?;
    }
    let mut st = tx.prepare_cached("INSERT INTO tag_adds (event_id, call_id, tag, removed) VALUES (?1, ?2, ?3, ?4)")?;
    for a in &p.tag_adds {
        st.execute(params![a.event_id, call_id, a.tag, a.removed])?;
    }
    let mut st = tx.prepare_cached("INSERT INTO call_tags (tag, call_id, log_ms, log_dur) VALUES (?1, ?2, ?3, ?4)")?;
    for t in &r.tags {
        st.execute(params![t, call_id, log_ms, log_dur])?;
    }
    let mut st = tx.prepare_cached(
        "INSERT INTO scores (call_id, reviewer, scorecard, reviewer_name, total, answers, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for s in &r.scores {
        st.execute(params![
            call_id,
            s.reviewer,
            s.scorecard,
            s.reviewer_name,
            s.total,
            Value::Object(s.answers.clone()).to_string(),
            s.at
        ])?;
    }
    if let Some(a) = &r.assignee {
        tx.prepare_cached("INSERT INTO assignees (call_id, assignee, at) VALUES (?1, ?2, '')")?
            .execute(params![call_id, a])?;
    }
    Ok(())
}

/// Rebuilds every projection table from the events. Returns how many calls have review state.
pub fn rebuild(conn: &mut Connection) -> Result<usize> {
    let tx = conn.transaction()?;
    for table in PROJECTION_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut events = Vec::new();
    all_events(&tx, "", |e| {
        // Definitions need no rebuild: their tables are views over the events.
        if e.call_id != DEFINITIONS {
            events.push(e);
        }
        Ok(())
    })?;
    let all = projection::project_all(&events);
    let calls = super::keys::calls_schema(&tx)?;
    for (call, p) in &all {
        write_projection(&tx, *call, p, super::keys::key_of(&tx, calls, *call)?)?;
    }
    tx.commit()?;
    Ok(all.len())
}

/// The visible review of one call, from the projection tables (`schema`: `"review."` on a read
/// connection, `""` on the review file's own).
pub fn call_review(conn: &Connection, call_id: i64, schema: &str) -> Result<CallReview> {
    let s = schema;
    let states = conn
        .prepare_cached(&format!(
            "SELECT reviewer, reviewer_name, state, at FROM {s}review_states WHERE call_id = ?1 ORDER BY reviewer"
        ))?
        .query_map([call_id], |r| {
            Ok(ReviewStateEntry {
                reviewer: r.get(0)?,
                reviewer_name: r.get(1)?,
                state: ReviewState::parse(&r.get::<_, String>(2)?).unwrap_or_default(),
                at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut notes = conn
        .prepare_cached(&format!(
            "SELECT note_id, author, author_name, text, turn, at_seconds, created_at, edited_at
             FROM {s}notes WHERE call_id = ?1 AND NOT deleted"
        ))?
        .query_map([call_id], |r| {
            Ok(Note {
                id: r.get(0)?,
                author: r.get(1)?,
                author_name: r.get(2)?,
                text: r.get(3)?,
                turn: r.get(4)?,
                at_seconds: r.get(5)?,
                created_at: r.get(6)?,
                edited_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    notes.sort_by(|a, b| {
        (crate::time::parse_ms(&a.created_at), &a.id).cmp(&(crate::time::parse_ms(&b.created_at), &b.id))
    });
    let tags = conn
        .prepare_cached(&format!(
            "SELECT tag FROM {s}call_tags WHERE call_id = ?1 AND tag IN (SELECT name FROM {s}tag_defs) ORDER BY tag"
        ))?
        .query_map([call_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    let scores = conn
        .prepare_cached(&format!(
            "SELECT reviewer, reviewer_name, scorecard, total, answers, at FROM {s}scores
             WHERE call_id = ?1 ORDER BY reviewer, scorecard"
        ))?
        .query_map([call_id], |r| {
            let answers: String = r.get(4)?;
            Ok(Score {
                reviewer: r.get(0)?,
                reviewer_name: r.get(1)?,
                scorecard: r.get(2)?,
                total: r.get(3)?,
                answers: serde_json::from_str(&answers).unwrap_or_default(),
                at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let assignee = conn
        .prepare_cached(&format!("SELECT assignee FROM {s}assignees WHERE call_id = ?1"))?
        .query_row([call_id], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(CallReview { states, notes, tags, scores, assignee })
}

/// What each log row shows, for the rows of one page (read connection).
pub fn row_reviews(conn: &Connection, ids: &[i64], me: Option<&str>) -> Result<Vec<RowReview>> {
    let mut out = vec![RowReview::default(); ids.len()];
    if ids.is_empty() {
        return Ok(out);
    }
    let pos: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let me = me.unwrap_or("");
    let mut stmt = conn.prepare_cached(
        "SELECT call_id, reviewer, state FROM review.review_states
         WHERE call_id IN (SELECT value FROM json_each(?1))",
    )?;
    let mut rows = stmt.query([&list])?;
    while let Some(r) = rows.next()? {
        let Some(&i) = pos.get(&r.get::<_, i64>(0)?) else { continue };
        let reviewer: String = r.get(1)?;
        let state = ReviewState::parse(&r.get::<_, String>(2)?).unwrap_or_default();
        if reviewer == me {
            out[i].my_state = state;
        }
        out[i].any_flagged |= state == ReviewState::Flagged;
        out[i].reviewed_by += i64::from(state == ReviewState::Reviewed);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT call_id, tag FROM review.call_tags
         WHERE call_id IN (SELECT value FROM json_each(?1)) AND tag IN (SELECT name FROM review.tag_defs)
         ORDER BY call_id, tag",
    )?;
    let mut rows = stmt.query([&list])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = pos.get(&r.get::<_, i64>(0)?) {
            out[i].tags.push(r.get(1)?);
        }
    }
    // Mine first, then the latest.
    let mut stmt = conn.prepare_cached(
        "SELECT call_id, total FROM review.scores
         WHERE call_id IN (SELECT value FROM json_each(?1)) AND total IS NOT NULL
         ORDER BY call_id, reviewer = ?2, at",
    )?;
    let mut rows = stmt.query(params![&list, me])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = pos.get(&r.get::<_, i64>(0)?) {
            out[i].score = r.get(1)?;
        }
    }
    Ok(out)
}

/// The team's tags with how many calls carry each.
pub fn tag_defs(conn: &Connection, schema: &str) -> Result<Vec<TagDef>> {
    let s = schema;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT d.name, d.color, (SELECT count(*) FROM {s}call_tags t WHERE t.tag = d.name)
             FROM {s}tag_defs d ORDER BY d.name"
        ))?
        .query_map([], |r| Ok(TagDef { name: r.get(0)?, color: r.get(1)?, count: r.get(2)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn tag_defined(conn: &Connection, schema: &str, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!("SELECT 1 FROM {schema}tag_defs WHERE name = ?1"))?
        .query_row([name], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn scorecards(conn: &Connection, schema: &str) -> Result<Vec<Scorecard>> {
    let rows = conn
        .prepare_cached(&format!("SELECT definition FROM {schema}scorecards ORDER BY id"))?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows.iter().filter_map(|d| serde_json::from_str(d).ok()).collect())
}

/// The `tag.add` events of a call's tag that no remove has covered yet.
pub fn open_tag_adds(conn: &Connection, call_id: i64, tag: &str) -> Result<Vec<String>> {
    let rows = conn
        .prepare_cached(
            "SELECT event_id FROM tag_adds WHERE call_id = ?1 AND tag = ?2 AND NOT removed ORDER BY event_id",
        )?
        .query_map(params![call_id, tag], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// The author of a note that is still there.
pub fn note_author(conn: &Connection, call_id: i64, note_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT author FROM notes WHERE call_id = ?1 AND note_id = ?2 AND NOT deleted")?
        .query_row(params![call_id, note_id], |r| r.get(0))
        .optional()?)
}
