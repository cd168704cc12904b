//! `calls`: one row per call id, merged from every delivery.
//!
//! Merge rules: webhook and import deliveries merge into `doc` (the latest delivery wins for each
//! top-level key it carries); API objects merge into `api_doc`. The call seen by the user is
//! `api_doc` overlaid with `doc`, so what a webhook delivered is authoritative whichever came
//! first, and the API only fills what the webhook lacks. Derived columns, turns and the search
//! rows are recomputed from that view on every upsert.

use std::borrow::Cow;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::deliveries::Source;
use super::search_index::{self, SearchRows};
use super::tally::Tally;
use super::Result;
use crate::payload::{self, Doc};

#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// The call existed before this delivery.
    pub duplicate: bool,
    /// What the search index must now hold for the call ([`search_index::write`]).
    pub search: SearchRows,
}

pub const SOURCE_WEBHOOK: i64 = 1;
pub const SOURCE_IMPORT: i64 = 2;
pub const SOURCE_API: i64 = 4;

pub fn source_bit(source: Source) -> i64 {
    match source {
        Source::Webhook => SOURCE_WEBHOOK,
        Source::Import => SOURCE_IMPORT,
        Source::Api => SOURCE_API,
    }
}

pub fn source_names(bits: i64) -> Vec<&'static str> {
    [(SOURCE_WEBHOOK, "webhook"), (SOURCE_IMPORT, "import"), (SOURCE_API, "api")]
        .into_iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| n)
        .collect()
}

struct Existing {
    doc: Option<Doc>,
    api_doc: Option<Doc>,
    sources: i64,
    first_seen_ms: i64,
}

fn parse_doc(s: Option<String>) -> Option<Doc> {
    s.and_then(|s| serde_json::from_str::<Value>(&s).ok()).and_then(|v| match v {
        Value::Object(m) => Some(m),
        _ => None,
    })
}

/// The SQL for a call's webhook/import document as text: `doc`, or the raw body of the delivery it
/// refers to (see migration 0004). Usable wherever `calls` is in the query and the journal's
/// `deliveries` is reachable (every connection of a [`crate::store::Store`]).
pub const DOC_SQL: &str =
    "coalesce(calls.doc, (SELECT CAST(unpack_body(deliveries.codec, deliveries.dict_id, deliveries.body) AS TEXT)
    FROM deliveries WHERE deliveries.id = calls.doc_delivery))";

fn existing(conn: &Connection, id: i64) -> Result<Option<Existing>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {DOC_SQL}, api_doc, sources, first_seen_ms FROM calls WHERE id = ?1"))?
        .query_row([id], |r| {
            Ok(Existing {
                doc: parse_doc(r.get(0)?),
                api_doc: parse_doc(r.get(1)?),
                sources: r.get(2)?,
                first_seen_ms: r.get(3)?,
            })
        })
        .optional()?)
}

/// The call as the user sees it: the API's object overlaid with what webhooks delivered.
pub fn effective(doc: Option<&Doc>, api_doc: Option<&Doc>) -> Doc {
    let mut out = api_doc.cloned().unwrap_or_default();
    if let Some(doc) = doc {
        for (k, v) in doc {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// `base` with `delta`'s keys overwritten; `delta` itself (no copy) when there is no base, as for
/// every new call.
fn merge(base: Option<Doc>, delta: &Doc) -> Cow<'_, Doc> {
    match base {
        None => Cow::Borrowed(delta),
        Some(mut out) => {
            for (k, v) in delta {
                out.insert(k.clone(), v.clone());
            }
            Cow::Owned(out)
        }
    }
}

/// The parts of a call that decide its turns: when none changed, the turns are left alone.
fn turn_inputs(d: &Doc) -> (Option<&Value>, Option<&Value>, Option<&Value>, Option<&Value>) {
    (d.get("transcript"), d.get("formatted_transcript"), d.get("created_at"), d.get("duration"))
}

/// Merges a delta into the call and updates its search rows on the same connection (which must
/// reach the search tables, as an in-memory database does). Indexing writes the two files from
/// two threads instead: [`Writer::upsert_delivered`], then [`search_index::write_batch`].
pub fn upsert(conn: &Connection, id: i64, source: Source, delta: &Doc, now_ms: i64) -> Result<Upserted> {
    let mut writer = Writer::new(conn);
    let upserted = writer.upsert_delivered(id, source, Delta::Parsed(delta), None, None, now_ms)?;
    writer.finish()?;
    search_index::write(conn, &upserted.search)?;
    Ok(upserted)
}

/// What the calls row, the turns and the search indexes hold about a call, computed from its
/// document alone. For a delta that may be a call's first delivery it can be prepared before the
/// write, away from the single writer ([`crate::ingest`]'s parser does).
#[derive(Debug, PartialEq)]
pub struct Derived {
    fields: payload::CallFields,
    turns: Vec<payload::Turn>,
    offsets: Vec<Option<f64>>,
    /// The turns' texts, one per line, as the transcript index holds them.
    transcript: String,
    variables: String,
    phones: String,
    /// The tokens with a digit in them (ids, references, phones), for the trigram index.
    fragments: String,
}

impl Derived {
    pub fn of(id: i64, view: &Doc) -> Self {
        Self::with_turns(id, view, payload::turns(view).unwrap_or_default())
    }

    /// [`Derived::of`] a document parsed for indexing ([`payload::lean`]).
    pub fn of_lean(id: i64, mut lean: payload::lean::Lean) -> Self {
        let turns = lean.take_turns().unwrap_or_default();
        Self::with_turns(id, &lean.doc, turns)
    }

    fn with_turns(id: i64, view: &Doc, turns: Vec<payload::Turn>) -> Self {
        let fields = payload::derive_fields(view);
        let offsets = payload::turn_offsets(&turns, fields.created_ms, fields.duration);
        let transcript = super::turns::transcript_text(&turns);
        let phones = [fields.customer_phone.as_deref(), fields.assistant_phone.as_deref()]
            .into_iter()
            .flatten()
            .map(|p| format!("{p} {}", p.trim_start_matches('+')))
            .collect::<Vec<_>>()
            .join(" ");
        let variables = payload::variables_text(view);
        let mut fragments = id.to_string();
        let texts = turns.iter().map(|t| t.text.as_str()).chain([variables.as_str(), phones.as_str()]);
        // Most turns hold no digit at all: only those that do are split into tokens.
        for text in texts.filter(|t| t.bytes().any(|b| b.is_ascii_digit())) {
            for token in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '(' | ')')) {
                let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?'));
                if token.len() >= 3 && token.bytes().any(|b| b.is_ascii_digit()) {
                    fragments.push(' ');
                    fragments.push_str(token);
                }
            }
        }
        Self { fields, turns, offsets, transcript, variables, phones, fragments }
    }

    /// The search rows of call `id` as derived. `fresh`: the call had none; `with_transcript`:
    /// its transcript row is (re)written, else the indexed one stays.
    pub fn search_rows(&self, id: i64, fresh: bool, with_transcript: bool) -> SearchRows {
        SearchRows {
            id,
            fresh,
            transcript: with_transcript.then(|| self.transcript.clone()),
            summary: self.fields.summary.clone(),
            variables: self.variables.clone(),
            phones: self.phones.clone(),
            fragments: self.fragments.clone(),
        }
    }
}

/// A delivery's document: parsed, or the raw body it is parsed from only if need be.
#[derive(Clone, Copy)]
pub enum Delta<'a> {
    Parsed(&'a Doc),
    Raw(&'a [u8]),
}

/// Writes calls on one connection, inside its transaction, and counts the new ones into the
/// insights' per-day tallies ([`Tally`]): call [`Writer::finish`] before committing.
pub struct Writer<'c> {
    conn: &'c Connection,
    tally: Tally,
}

impl<'c> Writer<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        Writer { conn, tally: Tally::default() }
    }

    /// Adds the new calls written so far to the tallies.
    pub fn finish(mut self) -> Result<()> {
        self.tally.flush(self.conn)
    }

    /// [`upsert`] of a delta from journal delivery `delivery`, whose raw body is exactly the delta's
    /// JSON text: if the delta is the call's whole document (its first webhook or import), the call
    /// refers to the delivery instead of storing the document a second time. `first`: [`Derived::of`]
    /// the delta, used when the call turns out to be new. A first webhook or import with both is
    /// written from them alone, so a [`Delta::Raw`] is parsed only for a call seen before.
    pub fn upsert_delivered(
        &mut self,
        id: i64,
        source: Source,
        delta: Delta<'_>,
        delivery: Option<i64>,
        first: Option<&Derived>,
        now_ms: i64,
    ) -> Result<Upserted> {
        let conn = self.conn;
        let old = existing(conn, id)?;
        let (parsed, unread);
        let delta: &Doc = match delta {
            Delta::Parsed(doc) => doc,
            Delta::Raw(_) if old.is_none() && first.is_some() && delivery.is_some() && source != Source::Api => {
                // Below, a new call's document is only looked at to be stored, and it is stored as
                // the reference to `delivery`: everything else comes from `first`.
                unread = Doc::new();
                &unread
            }
            Delta::Raw(raw) => {
                parsed = payload::parse_body(raw)
                    .map_err(|e| super::StoreError::Parse(format!("delivery {delivery:?} no longer parses: {e}")))?
                    .1;
                &parsed
            }
        };
        let duplicate = old.is_some();
        // A call added in this transaction is in the tallies before it changes: the update
        // triggers take its old row out of them.
        if duplicate && self.tally.holds(id) {
            self.tally.flush(conn)?;
        }
        let (old_doc, old_api, old_sources, first_seen_ms) = match old {
            Some(e) => (e.doc, e.api_doc, e.sources, e.first_seen_ms),
            None => (None, None, 0, now_ms),
        };
        let before = duplicate.then(|| effective(old_doc.as_ref(), old_api.as_ref()));
        let (doc, api_doc) = match source {
            Source::Api => (old_doc.map(Cow::Owned), Some(merge(old_api, delta))),
            Source::Webhook | Source::Import => (Some(merge(old_doc, delta)), old_api.map(Cow::Owned)),
        };
        let view = match (&doc, &api_doc) {
            (Some(only), None) | (None, Some(only)) => Cow::Borrowed(only.as_ref()),
            _ => Cow::Owned(effective(doc.as_deref(), api_doc.as_deref())),
        };
        let sources = old_sources | source_bit(source);
        // A first sighting's view is the delta itself, so what was derived from the delta holds.
        let derived;
        let d = match first {
            Some(d) if !duplicate => d,
            _ => {
                derived = Derived::of(id, &view);
                &derived
            }
        };
        let f = &d.fields;
        // A map of JSON values always serializes.
        let to_text = |d: &Option<Cow<Doc>>| d.as_deref().map(|d| serde_json::to_string(d).unwrap_or_default());
        let (doc_text, doc_delivery) = match (&doc, delivery) {
            (Some(Cow::Borrowed(_)), Some(delivery)) => (None, Some(delivery)),
            _ => (to_text(&doc), None),
        };
        // Two statements rather than an upsert: `ON CONFLICT DO UPDATE` compiles in the update and
        // its triggers, and with them the statement journal of migration 0014 for every new call.
        // The update leaves ?18, the first sighting, as it was.
        let sql = if duplicate {
            "UPDATE calls SET status = ?2, customer_phone = ?3, assistant_phone = ?4, duration = ?5,
                created_at = ?6, finished_at = ?7, created_ms = ?8, finished_ms = ?9, summary = ?10,
                objective = ?11, campaign = ?12, recording_url = ?13, has_recording = ?14, doc = ?15,
                api_doc = ?16, sources = ?17, updated_ms = ?19, sort_ms = ?20, doc_delivery = ?21
             WHERE id = ?1"
        } else {
            "INSERT INTO calls (id, status, customer_phone, assistant_phone, duration, created_at, finished_at,
                created_ms, finished_ms, summary, objective, campaign, recording_url, has_recording,
                doc, api_doc, sources, first_seen_ms, updated_ms, sort_ms, doc_delivery)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
        };
        conn.prepare_cached(sql)?.execute(params![
            id,
            f.status,
            f.customer_phone,
            f.assistant_phone,
            f.duration,
            f.created_at,
            f.finished_at,
            f.created_ms,
            f.finished_ms,
            f.summary,
            f.objective,
            f.campaign,
            f.recording_url,
            f.recording_url.is_some(),
            doc_text,
            to_text(&api_doc),
            sources,
            first_seen_ms,
            now_ms,
            f.created_ms.unwrap_or(first_seen_ms),
            doc_delivery,
        ])?;
        if !duplicate {
            self.tally.add(id, f, f.created_ms.unwrap_or(first_seen_ms));
        }

        if let Some(url) = &f.recording_url {
            super::recordings::note_url(conn, id, url, now_ms)?;
        }

        let turns_changed = before.as_ref().map(turn_inputs) != Some(turn_inputs(&view));
        if turns_changed {
            super::turns::replace(conn, id, &d.turns, &d.offsets, !duplicate)?;
        }
        Ok(Upserted { duplicate, search: d.search_rows(id, !duplicate, turns_changed) })
    }
}

/// The stored documents of a call: (webhook doc, API doc, sources bits).
pub type Docs = (Option<Doc>, Option<Doc>, i64);

pub fn docs(conn: &Connection, id: i64) -> Result<Option<Docs>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {DOC_SQL}, api_doc, sources FROM calls WHERE id = ?1"))?
        .query_row([id], |r| Ok((parse_doc(r.get(0)?), parse_doc(r.get(1)?), r.get(2)?)))
        .optional()?)
}

/// How many calls are stored, from the insights' running totals, kept in the transaction that
/// writes the calls: `count(*)` would walk a million rows (and keep their pages cached)
/// for every status the window asks for.
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT ifnull(sum(calls), 0) FROM assistant_total", [], |r| r.get(0))?)
}

/// The newest `sort_ms` held, used to pick where an API backfill starts.
pub fn newest_ms(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT max(sort_ms) FROM calls", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_in_memory;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn a_repeated_id_updates_instead_of_duplicating() {
        let conn = open_in_memory().expect("db");
        let first = doc(json!({"id": 5, "status": "in-progress", "duration": 10,
            "transcript": [{"text": "hello", "sender": "bot", "timestamp": 1.0}]}));
        assert!(!upsert(&conn, 5, Source::Webhook, &first, 100).expect("first").duplicate);
        let second = doc(json!({"id": 5, "status": "completed", "custom": {"x": 1}}));
        assert!(upsert(&conn, 5, Source::Webhook, &second, 200).expect("second").duplicate);
        assert_eq!(count(&conn).expect("count"), 1);
        let (status, duration): (String, i64) = conn
            .query_row("SELECT status, duration FROM calls WHERE id = 5", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("row");
        assert_eq!((status.as_str(), duration), ("completed", 10), "latest wins for the fields it carries");
        let turns = crate::store::turns::for_call(&conn, 5).expect("turns");
        assert_eq!(turns.len(), 1, "a delivery without a transcript keeps the turns");
        let (d, _, _) = docs(&conn, 5).expect("docs").expect("row");
        assert_eq!(d.expect("doc")["custom"], json!({"x": 1}), "unknown fields are kept");
    }

    #[test]
    fn a_first_delivery_refers_to_the_journal_and_merges_are_serialized() {
        let conn = open_in_memory().expect("db");
        let raw = "{\n  \"id\": 8,\n  \"status\": \"queued\"\n}";
        let delivery =
            crate::store::deliveries::insert(&conn, 1, Source::Webhook, None, raw.as_bytes(), Ok(8)).expect("journal");
        let first = doc(serde_json::from_str(raw).expect("json"));
        let mut writer = Writer::new(&conn);
        writer.upsert_delivered(8, Source::Webhook, Delta::Parsed(&first), Some(delivery), None, 1).expect("first");
        let stored = || -> (Option<String>, Option<i64>, String) {
            conn.query_row(&format!("SELECT doc, doc_delivery, {DOC_SQL} FROM calls WHERE id = 8"), [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("doc")
        };
        assert_eq!(stored(), (None, Some(delivery), raw.to_string()), "no second copy of the body");
        let (d, _, _) = docs(&conn, 8).expect("docs").expect("row");
        assert_eq!(d.expect("doc")["status"], json!("queued"));

        let second = doc(json!({"id": 8, "duration": 5}));
        writer
            .upsert_delivered(8, Source::Webhook, Delta::Parsed(&second), Some(delivery + 1), None, 2)
            .expect("second");
        writer.finish().expect("tallies");
        let merged = r#"{"id":8,"status":"queued","duration":5}"#.to_string();
        assert_eq!(stored(), (Some(merged.clone()), None, merged), "a merge is serialized from the merged document");
    }

    #[test]
    fn webhook_fields_win_over_the_api_whichever_came_first() {
        let conn = open_in_memory().expect("db");
        let api = doc(json!({"id": 9, "status": "ended", "summary_api": "x", "total_cost": 0.08,
            "extracted_variables": {"summary": "api summary"}}));
        let hook = doc(json!({"id": 9, "status": "completed", "extracted_variables": {"summary": "hook summary"}}));
        upsert(&conn, 9, Source::Api, &api, 1).expect("api");
        upsert(&conn, 9, Source::Webhook, &hook, 2).expect("hook");
        upsert(&conn, 9, Source::Api, &api, 3).expect("api again");
        let (status, summary, sources): (String, String, i64) = conn
            .query_row("SELECT status, summary, sources FROM calls WHERE id = 9", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("row");
        assert_eq!((status.as_str(), summary.as_str()), ("completed", "hook summary"));
        assert_eq!(source_names(sources), vec!["webhook", "api"]);
        let (d, a, _) = docs(&conn, 9).expect("docs").expect("row");
        assert_eq!(effective(d.as_ref(), a.as_ref())["total_cost"], json!(0.08), "API extras fill in");
    }

    #[test]
    fn fragments_and_phones_are_indexed() {
        let conn = open_in_memory().expect("db");
        let d = doc(json!({"id": 31, "customer_phone": "+15551234567",
            "transcript": "Customer: my order is ZX-4471-QQ."}));
        upsert(&conn, 31, Source::Webhook, &d, 1).expect("upsert");
        let hit = |q: &str| -> i64 {
            conn.query_row("SELECT count(*) FROM fragments_fts WHERE fragments_fts MATCH ?1", [q], |r| r.get(0))
                .expect("q")
        };
        assert_eq!(hit("\"4471\""), 1);
        assert_eq!(hit("\"5551234\""), 1);
        assert_eq!(hit("\"9999\""), 0);
    }
}
