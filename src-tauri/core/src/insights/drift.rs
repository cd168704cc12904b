//! Payload drift: the shape of the webhook payloads seen so far, and the changes to it.
//!
//! The schema (`payload_fields`) holds every field path of webhook and import bodies: `a.b` for a
//! key of an object, `a[]` for an array's items, `a[].b` for a key of the items. For each: the
//! JSON types seen, how many deliveries had it, how many had its parent (so "always there" means
//! present whenever its parent was), when first and last seen, and an example call. The insights
//! pass ([`super::catch_up`]) observes each delivery in journal order, so the events follow the
//! order in which Intellixent sent them.
//!
//! A drift event (`payload_drift`) is recorded when a delivery
//! - has a field never seen before (`added`),
//! - lacks a field that every earlier delivery with its parent had (`missing`),
//! - carries a field with a JSON type it never had (`type`; integer and float count as one type,
//!   and `null` is compatible with any type: a field that is sometimes empty has not changed).
//!
//! Only the topmost change is reported: a new object's fields, the items of a `transcript` that
//! became an array, the keys of a `lead` that stopped coming are implied by the change above them.
//! The very first delivery sets the baseline and records nothing. API objects (a different shape
//! altogether) are not observed.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::payload::Doc;
use crate::store::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Object,
    Array,
}

#[derive(Debug, Clone)]
struct Field {
    types: Vec<String>,
    deliveries: i64,
    parent_seen: i64,
    first_seen_ms: i64,
    last_seen_ms: i64,
    example_call_id: Option<i64>,
    dirty: bool,
}

/// The schema as loaded for one batch of the pass; [`Schema::save`] writes back what changed.
pub struct Schema {
    fields: BTreeMap<String, Field>,
    /// Deliveries observed so far (the top level's "parent").
    total: i64,
}

/// The row that counts deliveries observed.
const ROOT: &str = "";

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a value of type `t` is a change for a field that had `known` types.
fn is_new_type(known: &[String], t: &str) -> bool {
    let numeric = |s: &str| matches!(s, "integer" | "number");
    let mut concrete = known.iter().filter(|k| *k != "null").peekable();
    t != "null" && concrete.peek().is_some() && !concrete.any(|k| k == t || (numeric(k) && numeric(t)))
}

/// The types a field had, for an event's `from`.
fn had(f: &Field) -> String {
    let concrete: Vec<&str> = f.types.iter().map(String::as_str).filter(|t| *t != "null").collect();
    if concrete.is_empty() {
        "null".to_string()
    } else {
        concrete.join("|")
    }
}

/// The path a field's presence depends on, and what it must be: `a` (an array) for `a[]`,
/// `a` (an object) for `a.b`, the top level for `b`.
fn parent(path: &str) -> (&str, Kind) {
    if let Some(p) = path.strip_suffix("[]") {
        return (p, Kind::Array);
    }
    match path.rfind('.') {
        Some(i) => (&path[..i], Kind::Object),
        None => (ROOT, Kind::Object),
    }
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| (!p.is_empty()).then(|| parent(p).0)).skip(1).filter(|p| !p.is_empty())
}

/// What one delivery holds: each path with its types, and the containers whose keys or items
/// were listed.
#[derive(Default)]
struct Seen {
    types: BTreeMap<String, BTreeSet<&'static str>>,
    containers: BTreeSet<(String, Kind)>,
}

fn walk(v: &Value, path: &str, seen: &mut Seen) {
    match v {
        Value::Object(map) => {
            seen.containers.insert((path.to_string(), Kind::Object));
            for (k, child) in map {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                seen.types.entry(p.clone()).or_default().insert(type_name(child));
                walk(child, &p, seen);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            seen.containers.insert((path.to_string(), Kind::Array));
            let p = format!("{path}[]");
            for item in items {
                seen.types.entry(p.clone()).or_default().insert(type_name(item));
                walk(item, &p, seen);
            }
        }
        _ => {}
    }
}

struct Change {
    path: String,
    change: &'static str,
    from: Option<String>,
    to: Option<String>,
}

impl Schema {
    pub fn load(conn: &Connection) -> Result<Self> {
        let mut fields = BTreeMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT path, types, deliveries, parent_seen, first_seen_ms, last_seen_ms, example_call_id FROM payload_fields",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let types: String = r.get(1)?;
            fields.insert(
                r.get(0)?,
                Field {
                    types: types.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
                    deliveries: r.get(2)?,
                    parent_seen: r.get(3)?,
                    first_seen_ms: r.get(4)?,
                    last_seen_ms: r.get(5)?,
                    example_call_id: r.get(6)?,
                    dirty: false,
                },
            );
        }
        let total = fields.remove(ROOT).map(|f| f.deliveries).unwrap_or(0);
        Ok(Self { fields, total })
    }

    /// Takes one delivery's document into the schema, recording its drift events.
    pub fn observe(&mut self, conn: &Connection, doc: &Doc, ms: i64, delivery: i64, call_id: i64) -> Result<()> {
        let mut seen = Seen::default();
        seen.containers.insert((ROOT.to_string(), Kind::Object));
        for (k, child) in doc {
            seen.types.entry(k.clone()).or_default().insert(type_name(child));
            walk(child, k, &mut seen);
        }
        let baseline = self.total == 0;
        let mut changes: Vec<Change> = Vec::new();
        for (path, types) in &seen.types {
            match self.fields.get_mut(path) {
                Some(f) => {
                    let new: Vec<&str> = types.iter().copied().filter(|t| is_new_type(&f.types, t)).collect();
                    if !new.is_empty() {
                        changes.push(Change {
                            path: path.clone(),
                            change: "type",
                            from: Some(had(f)),
                            to: Some(new.join("|")),
                        });
                    }
                    for t in types {
                        if !f.types.iter().any(|k| k == t) {
                            f.types.push(t.to_string());
                        }
                    }
                    f.deliveries += 1;
                    f.parent_seen += 1;
                    f.last_seen_ms = ms;
                    f.dirty = true;
                }
                None => {
                    changes.push(Change {
                        path: path.clone(),
                        change: "added",
                        from: None,
                        to: Some(types.iter().copied().collect::<Vec<_>>().join("|")),
                    });
                    self.fields.insert(
                        path.clone(),
                        Field {
                            types: types.iter().map(|t| t.to_string()).collect(),
                            deliveries: 1,
                            parent_seen: 1,
                            first_seen_ms: ms,
                            last_seen_ms: ms,
                            example_call_id: Some(call_id),
                            dirty: true,
                        },
                    );
                }
            }
        }
        for (path, f) in self.fields.iter_mut().filter(|(p, _)| !seen.types.contains_key(*p)) {
            let (parent, kind) = parent(path);
            if !seen.containers.contains(&(parent.to_string(), kind)) {
                continue;
            }
            if f.deliveries == f.parent_seen {
                changes.push(Change { path: path.clone(), change: "missing", from: Some(had(f)), to: None });
            }
            f.parent_seen += 1;
            f.dirty = true;
        }
        self.total += 1;
        if baseline {
            return Ok(());
        }
        let changed: BTreeSet<String> = changes.iter().map(|c| c.path.clone()).collect();
        let mut insert = conn.prepare_cached(
            "INSERT INTO payload_drift (path, change, from_type, to_type, seen_ms, delivery_id, call_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for c in changes.iter().filter(|c| !ancestors(&c.path).any(|a| changed.contains(a))) {
            insert.execute(params![c.path, c.change, c.from, c.to, ms, delivery, call_id])?;
        }
        Ok(())
    }

    pub fn save(&mut self, conn: &Connection) -> Result<()> {
        let mut upsert = conn.prepare_cached(
            "INSERT INTO payload_fields (path, types, deliveries, parent_seen, first_seen_ms, last_seen_ms, example_call_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (path) DO UPDATE SET types = excluded.types, deliveries = excluded.deliveries,
                 parent_seen = excluded.parent_seen, last_seen_ms = excluded.last_seen_ms",
        )?;
        upsert.execute(params![ROOT, "object", self.total, self.total, 0, 0, None::<i64>])?;
        for (path, f) in self.fields.iter_mut().filter(|(_, f)| f.dirty) {
            upsert.execute(params![
                path,
                f.types.join(","),
                f.deliveries,
                f.parent_seen,
                f.first_seen_ms,
                f.last_seen_ms,
                f.example_call_id
            ])?;
            f.dirty = false;
        }
        Ok(())
    }
}

/// One drift event, as `postcall drift --json` prints it.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Drift {
    pub path: String,
    /// `added`, `missing` or `type`.
    #[ts(as = "crate::store::names::DriftChange")]
    pub change: String,
    /// The types the field had (`missing`, `type`), `|`-separated.
    pub from: Option<String>,
    /// The types it has now (`added`, `type`).
    pub to: Option<String>,
    /// When the delivery that showed the change was received (RFC 3339, UTC).
    pub first_seen: String,
    pub example_call_id: Option<i64>,
}

/// Every drift event, newest first. Run [`super::catch_up`] first.
pub fn list(conn: &Connection, limit: i64) -> Result<Vec<Drift>> {
    let rows = conn
        .prepare_cached(
            "SELECT path, change, from_type, to_type, seen_ms, call_id FROM payload_drift ORDER BY id DESC LIMIT ?1",
        )?
        .query_map([limit], |r| {
            Ok(Drift {
                path: r.get(0)?,
                change: r.get(1)?,
                from: r.get(2)?,
                to: r.get(3)?,
                first_seen: crate::time::ms_to_rfc3339(r.get(4)?),
                example_call_id: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A field of the payload schema, for the "Payload changes" view.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchemaField {
    pub path: String,
    pub types: Vec<String>,
    pub deliveries: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub example_call_id: Option<i64>,
}

pub fn schema(conn: &Connection) -> Result<Vec<SchemaField>> {
    let rows = conn
        .prepare_cached(
            "SELECT path, types, deliveries, first_seen_ms, last_seen_ms, example_call_id FROM payload_fields
             WHERE path <> '' ORDER BY path",
        )?
        .query_map([], |r| {
            let types: String = r.get(1)?;
            Ok(SchemaField {
                path: r.get(0)?,
                types: types.split(',').map(str::to_string).collect(),
                deliveries: r.get(2)?,
                first_seen: crate::time::ms_to_rfc3339(r.get(3)?),
                last_seen: crate::time::ms_to_rfc3339(r.get(4)?),
                example_call_id: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::super::{catch_up_on, test_support::deliver};
    use super::*;
    use crate::ingest::Source;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
    }

    fn events(conn: &Connection) -> BTreeSet<(String, String, Option<String>, Option<String>)> {
        list(conn, 1000).expect("list").into_iter().map(|d| (d.change, d.path, d.from, d.to)).collect()
    }

    fn e(
        change: &str,
        path: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> (String, String, Option<String>, Option<String>) {
        (change.into(), path.into(), from.map(Into::into), to.map(Into::into))
    }

    #[test]
    fn the_older_then_the_newer_payload_reports_exactly_their_differences() {
        let mut conn = crate::store::open_in_memory().expect("db");
        deliver(&conn, Source::Import, &fixture("older_doc.json"), 1_000);
        catch_up_on(&mut conn).expect("pass");
        assert!(events(&conn).is_empty(), "the first delivery is the baseline");
        deliver(&conn, Source::Import, &fixture("newer_doc.json"), 2_000);
        catch_up_on(&mut conn).expect("pass");
        let expected = BTreeSet::from([
            e("added", "extracted_variables.lead_quality", None, Some("string")),
            e("added", "extracted_variables.next_action", None, Some("string")),
            e("added", "input_variables.product_interest", None, Some("string")),
            e("added", "formatted_transcript", None, Some("string")),
            e("type", "transcript", Some("string"), Some("array")),
            e("missing", "extracted_variables.callback_day", Some("string"), None),
            e("missing", "extracted_variables.score", Some("integer"), None),
            e("missing", "extracted_variables.consent", Some("boolean"), None),
            e("missing", "extracted_variables.address", Some("object"), None),
            e("missing", "extracted_variables.notes", Some("null"), None),
            e("missing", "input_variables.attempt", Some("integer"), None),
            e("missing", "lead", Some("object"), None),
            e("missing", "campaign", Some("object"), None),
            e("missing", "x_vendor_extension", Some("object"), None),
        ]);
        assert_eq!(events(&conn), expected);
        let first = list(&conn, 1).expect("list").remove(0);
        assert_eq!(first.example_call_id, Some(12345), "the call that showed the change");
        // The same shape again changes nothing.
        let mut again = fixture("newer_doc.json");
        again["id"] = serde_json::json!(12346);
        deliver(&conn, Source::Webhook, &again, 3_000);
        catch_up_on(&mut conn).expect("pass");
        assert_eq!(events(&conn).len(), expected.len());
    }

    #[test]
    fn the_newer_then_the_older_payload_reports_the_reverse() {
        let mut conn = crate::store::open_in_memory().expect("db");
        deliver(&conn, Source::Import, &fixture("newer_doc.json"), 1_000);
        deliver(&conn, Source::Import, &fixture("older_doc.json"), 2_000);
        catch_up_on(&mut conn).expect("pass");
        let expected = BTreeSet::from([
            e("added", "extracted_variables.callback_day", None, Some("string")),
            e("added", "extracted_variables.score", None, Some("integer")),
            e("added", "extracted_variables.consent", None, Some("boolean")),
            e("added", "extracted_variables.address", None, Some("object")),
            e("added", "extracted_variables.notes", None, Some("null")),
            e("added", "input_variables.attempt", None, Some("integer")),
            e("added", "lead", None, Some("object")),
            e("added", "campaign", None, Some("object")),
            e("added", "x_vendor_extension", None, Some("object")),
            e("type", "transcript", Some("array"), Some("string")),
            e("missing", "extracted_variables.lead_quality", Some("string"), None),
            e("missing", "extracted_variables.next_action", Some("string"), None),
            e("missing", "input_variables.product_interest", Some("string"), None),
            e("missing", "formatted_transcript", Some("string"), None),
        ]);
        assert_eq!(events(&conn), expected);
    }

    #[test]
    fn a_field_missing_once_is_reported_once_and_ids_changing_type_are_caught() {
        let mut conn = crate::store::open_in_memory().expect("db");
        let body = |id: Value, extra: bool| {
            let mut v = serde_json::json!({"id": id, "status": "completed", "duration": 12});
            if extra {
                v["recording_url"] = serde_json::json!("https://x/1.mp3");
            }
            v
        };
        deliver(&conn, Source::Webhook, &body(serde_json::json!(1), true), 1);
        deliver(&conn, Source::Webhook, &body(serde_json::json!(2), false), 2);
        deliver(&conn, Source::Webhook, &body(serde_json::json!(3), false), 3);
        deliver(&conn, Source::Webhook, &body(serde_json::json!("4"), true), 4);
        // Floats where integers were, and a null, are not changes.
        deliver(&conn, Source::Webhook, &serde_json::json!({"id": 5, "status": null, "duration": 12.5}), 5);
        catch_up_on(&mut conn).expect("pass");
        assert_eq!(
            events(&conn),
            BTreeSet::from([
                e("missing", "recording_url", Some("string"), None),
                e("type", "id", Some("integer"), Some("string")),
            ])
        );
        let fields = schema(&conn).expect("schema");
        let id = fields.iter().find(|f| f.path == "id").expect("id");
        assert_eq!((id.types.clone(), id.deliveries), (vec!["integer".to_string(), "string".to_string()], 5));
    }
}
