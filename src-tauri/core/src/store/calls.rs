//! `calls`: one row per call id, merged from every delivery.
//!
//! Merge rules: webhook and import deliveries merge into `doc` (the latest delivery wins for each
//! top-level key it carries); API objects merge into `api_doc`. The call seen by the user is
//! `api_doc` overlaid with `doc`, so what a webhook delivered is authoritative whichever came
//! first, and the API only fills what the webhook lacks. Derived columns, turns and the search
//! indexes are recomputed from that view on every upsert.

use std::borrow::Cow;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::Result;
use crate::ingest::Source;
use crate::payload::{self, Doc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upserted {
    /// The call existed before this delivery.
    pub duplicate: bool,
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

fn existing(conn: &Connection, id: i64) -> Result<Option<Existing>> {
    Ok(conn
        .prepare_cached("SELECT doc, api_doc, sources, first_seen_ms FROM calls WHERE id = ?1")?
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

pub fn upsert(conn: &Connection, id: i64, source: Source, delta: &Doc, now_ms: i64) -> Result<Upserted> {
    upsert_raw(conn, id, source, delta, None, now_ms)
}

/// [`upsert`] of a delta that was parsed from `raw`: when the delta is the call's whole document
/// (its first webhook or import), `raw` is stored as it is instead of serializing the delta again.
pub fn upsert_raw(
    conn: &Connection,
    id: i64,
    source: Source,
    delta: &Doc,
    raw: Option<&str>,
    now_ms: i64,
) -> Result<Upserted> {
    let old = existing(conn, id)?;
    let duplicate = old.is_some();
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
    let f = payload::derive_fields(&view);
    let sources = old_sources | source_bit(source);
    // A map of JSON values always serializes.
    let to_text = |d: &Option<Cow<Doc>>| d.as_deref().map(|d| serde_json::to_string(d).unwrap_or_default());
    let doc_text = match (&doc, raw) {
        (Some(Cow::Borrowed(_)), Some(raw)) => Some(Cow::Borrowed(raw)),
        _ => to_text(&doc).map(Cow::Owned),
    };

    conn.prepare_cached(
        "INSERT INTO calls (id, status, customer_phone, assistant_phone, duration, created_at, finished_at,
            created_ms, finished_ms, summary, objective, campaign, recording_url, has_recording,
            doc, api_doc, sources, first_seen_ms, updated_ms, sort_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT (id) DO UPDATE SET
            status = excluded.status, customer_phone = excluded.customer_phone,
            assistant_phone = excluded.assistant_phone, duration = excluded.duration,
            created_at = excluded.created_at, finished_at = excluded.finished_at,
            created_ms = excluded.created_ms, finished_ms = excluded.finished_ms,
            summary = excluded.summary, objective = excluded.objective, campaign = excluded.campaign,
            recording_url = excluded.recording_url, has_recording = excluded.has_recording,
            doc = excluded.doc, api_doc = excluded.api_doc, sources = excluded.sources,
            updated_ms = excluded.updated_ms, sort_ms = excluded.sort_ms",
    )?
    .execute(params![
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
    ])?;

    if let Some(url) = &f.recording_url {
        crate::recordings::note_url(conn, id, url, now_ms)?;
    }

    let turns = payload::turns(&view).unwrap_or_default();
    if before.as_ref().map(turn_inputs) != Some(turn_inputs(&view)) {
        let offsets = payload::turn_offsets(&turns, f.created_ms, f.duration);
        super::turns::replace(conn, id, &turns, &offsets, !duplicate)?;
    }

    let phones = [f.customer_phone.as_deref(), f.assistant_phone.as_deref()]
        .into_iter()
        .flatten()
        .map(|p| format!("{p} {}", p.trim_start_matches('+')))
        .collect::<Vec<_>>()
        .join(" ");
    let variables = payload::variables_text(&view);
    if duplicate {
        conn.prepare_cached("DELETE FROM calls_fts WHERE rowid = ?1")?.execute([id])?;
    }
    conn.prepare_cached("INSERT INTO calls_fts (rowid, summary, variables, phones) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, f.summary, variables, phones])?;

    let mut fragments = id.to_string();
    let texts = turns.iter().map(|t| t.text.as_str()).chain([variables.as_str(), phones.as_str()]);
    for text in texts {
        for token in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '(' | ')')) {
            let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?'));
            if token.len() >= 3 && token.bytes().any(|b| b.is_ascii_digit()) {
                fragments.push(' ');
                fragments.push_str(token);
            }
        }
    }
    if duplicate {
        conn.prepare_cached("DELETE FROM fragments_fts WHERE rowid = ?1")?.execute([id])?;
    }
    conn.prepare_cached("INSERT INTO fragments_fts (rowid, tokens) VALUES (?1, ?2)")?
        .execute(params![id, fragments])?;

    Ok(Upserted { duplicate })
}

/// The stored documents of a call: (webhook doc, API doc, sources bits).
pub type Docs = (Option<Doc>, Option<Doc>, i64);

pub fn docs(conn: &Connection, id: i64) -> Result<Option<Docs>> {
    Ok(conn
        .prepare_cached("SELECT doc, api_doc, sources FROM calls WHERE id = ?1")?
        .query_row([id], |r| Ok((parse_doc(r.get(0)?), parse_doc(r.get(1)?), r.get(2)?)))
        .optional()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?)
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
    fn a_first_delivery_is_stored_as_it_came_and_merges_are_serialized() {
        let conn = open_in_memory().expect("db");
        let raw = "{\n  \"id\": 8,\n  \"status\": \"queued\"\n}";
        let first = doc(serde_json::from_str(raw).expect("json"));
        upsert_raw(&conn, 8, Source::Webhook, &first, Some(raw), 1).expect("first");
        let stored =
            || -> String { conn.query_row("SELECT doc FROM calls WHERE id = 8", [], |r| r.get(0)).expect("doc") };
        assert_eq!(stored(), raw, "the body itself, not a copy serialized again");
        let second = doc(json!({"id": 8, "duration": 5}));
        upsert_raw(&conn, 8, Source::Webhook, &second, Some(r#"{"id":8,"duration":5}"#), 2).expect("second");
        assert_eq!(
            stored(),
            r#"{"id":8,"status":"queued","duration":5}"#,
            "a merge is serialized from the merged document"
        );
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
