//! The extracted-variable tallies (`call_variables`, `variable_fill`, `variable_values`,
//! `variable_names`), kept by the insights pass one delivery at a time.
//!
//! A call's variables follow the call's own merge rule: a webhook's or an import's
//! `extracted_variables` replace what was there; the calls API's only fill a call that has none
//! from a webhook. Each row remembers the day, status and campaign it was counted under, so a
//! later delivery that moves the call (a status going from `in-progress` to `completed`) moves its
//! counts with it.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::ingest::Source;
use crate::payload::Doc;
use crate::store::Result;

/// Distinct values a variable may take before it counts as free text and its values are no
/// longer tallied (only whether it is filled).
pub const FREE_TEXT_AFTER: i64 = 50;
/// Values are tallied on their first characters.
const VALUE_CHARS: usize = 200;

#[derive(Clone, PartialEq)]
struct Key {
    day: String,
    status: String,
    campaign: String,
}

/// The tallied text of a variable's value: scalars as text, arrays and objects as compact JSON;
/// `None` for null and blank strings (not filled).
pub fn value_text(v: &Value) -> Option<String> {
    let text = match v {
        Value::Null => return None,
        Value::Array(_) | Value::Object(_) => v.to_string(),
        other => crate::payload::text(Some(other))?,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(VALUE_CHARS).collect())
}

pub(super) fn note(tx: &Connection, call_id: i64, source: Source, doc: &Doc) -> Result<()> {
    let key = tx
        .prepare_cached(
            "SELECT local_day(sort_ms, (SELECT zone FROM tally_zone)), ifnull(status, ''), ifnull(campaign, '')
             FROM calls WHERE id = ?1",
        )?
        .query_row([call_id], |r| Ok(Key { day: r.get(0)?, status: r.get(1)?, campaign: r.get(2)? }))
        .optional()?;
    let Some(key) = key else { return Ok(()) };
    let old: Vec<(String, Option<String>, Key, bool)> = tx
        .prepare_cached("SELECT name, value, day, status, campaign, api FROM call_variables WHERE call_id = ?1")?
        .query_map([call_id], |r| {
            Ok((r.get(0)?, r.get(1)?, Key { day: r.get(2)?, status: r.get(3)?, campaign: r.get(4)? }, r.get(5)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let old_from_api = old.first().map(|o| o.3);
    let delivered = doc.get("extracted_variables").and_then(Value::as_object);
    let replace = delivered.is_some() && (source != Source::Api || old_from_api != Some(false));
    let (vars, api): (Vec<(String, Option<String>)>, bool) = match delivered {
        Some(map) if replace => (map.iter().map(|(k, v)| (k.clone(), value_text(v))).collect(), source == Source::Api),
        _ => {
            let unchanged = old.iter().all(|o| o.2 == key);
            if unchanged {
                return Ok(());
            }
            (old.iter().map(|o| (o.0.clone(), o.1.clone())).collect(), old_from_api.unwrap_or(false))
        }
    };
    for (name, value, at, _) in &old {
        count(tx, name, value.as_deref(), at, -1)?;
    }
    tx.prepare_cached("DELETE FROM call_variables WHERE call_id = ?1")?.execute([call_id])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO call_variables (call_id, name, value, day, status, campaign, api) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (name, value) in &vars {
        insert.execute(params![call_id, name, value, key.day, key.status, key.campaign, api])?;
        count(tx, name, value.as_deref(), &key, 1)?;
    }
    Ok(())
}

/// Adds `by` (1 or -1) to the tallies of one variable's value under `key`.
fn count(tx: &Connection, name: &str, value: Option<&str>, key: &Key, by: i64) -> Result<()> {
    let Some(value) = value else { return Ok(()) };
    tx.prepare_cached(
        "INSERT INTO variable_fill (day, status, campaign, name, calls) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    )?
    .execute(params![key.day, key.status, key.campaign, name, by])?;
    super::numbers::count(tx, [&key.day, &key.status, &key.campaign], name, value, by)?;
    let free_text: bool = tx
        .prepare_cached("SELECT free_text FROM variable_names WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    if free_text {
        return Ok(());
    }
    if by > 0 {
        let known = tx
            .prepare_cached("SELECT 1 FROM variable_values WHERE name = ?1 AND value = ?2 LIMIT 1")?
            .exists(params![name, value])?;
        if !known {
            let distinct: i64 = tx
                .prepare_cached(
                    "INSERT INTO variable_names (name, distinct_values, free_text) VALUES (?1, 1, 0)
                     ON CONFLICT DO UPDATE SET distinct_values = distinct_values + 1 RETURNING distinct_values",
                )?
                .query_row([name], |r| r.get(0))?;
            if distinct > FREE_TEXT_AFTER {
                tx.prepare_cached("UPDATE variable_names SET free_text = 1 WHERE name = ?1")?.execute([name])?;
                tx.prepare_cached("DELETE FROM variable_values WHERE name = ?1")?.execute([name])?;
                return Ok(());
            }
        }
    }
    tx.prepare_cached(
        "INSERT INTO variable_values (name, value, day, status, campaign, calls) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    )?
    .execute(params![name, value, key.day, key.status, key.campaign, by])?;
    if by < 0 {
        tx.prepare_cached(
            "DELETE FROM variable_values WHERE name = ?1 AND value = ?2 AND day = ?3 AND status = ?4
             AND campaign = ?5 AND calls <= 0",
        )?
        .execute(params![name, value, key.day, key.status, key.campaign])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{catch_up_on, test_support::deliver};
    use super::*;
    use serde_json::json;

    fn tally(conn: &Connection, name: &str) -> Vec<(String, String, i64)> {
        conn.prepare(
            "SELECT value, status, sum(calls) FROM variable_values WHERE name = ?1 GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .expect("sql")
        .query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<rusqlite::Result<_>>()
        .expect("collect")
    }

    #[test]
    fn a_later_delivery_replaces_values_and_moves_counts() {
        let mut conn = crate::store::open_in_memory().expect("db");
        deliver(
            &conn,
            Source::Webhook,
            &json!({"id": 1, "status": "in-progress",
            "extracted_variables": {"lead_quality": "high", "notes": null}}),
            1,
        );
        deliver(
            &conn,
            Source::Webhook,
            &json!({"id": 2, "status": "completed",
            "extracted_variables": {"lead_quality": "high"}}),
            2,
        );
        catch_up_on(&mut conn).expect("pass");
        assert_eq!(
            tally(&conn, "lead_quality"),
            [("high".into(), "completed".into(), 1), ("high".into(), "in-progress".into(), 1)]
        );
        let notes: i64 =
            conn.query_row("SELECT count(*) FROM variable_fill WHERE name = 'notes'", [], |r| r.get(0)).expect("fill");
        assert_eq!(notes, 0, "a null value is not filled");
        // Call 1 completes (no variables in that delivery): its counts follow it.
        deliver(&conn, Source::Webhook, &json!({"id": 1, "status": "completed"}), 3);
        // Call 2's variables change.
        deliver(&conn, Source::Webhook, &json!({"id": 2, "extracted_variables": {"lead_quality": "low"}}), 4);
        // The API does not overwrite a webhook's variables.
        deliver(&conn, Source::Api, &json!({"id": 2, "extracted_variables": {"lead_quality": "medium"}}), 5);
        catch_up_on(&mut conn).expect("pass");
        assert_eq!(
            tally(&conn, "lead_quality"),
            [("high".into(), "completed".into(), 1), ("low".into(), "completed".into(), 1)]
        );
    }

    #[test]
    fn a_variable_with_many_values_counts_as_free_text() {
        let mut conn = crate::store::open_in_memory().expect("db");
        for id in 1..=(FREE_TEXT_AFTER + 5) {
            deliver(
                &conn,
                Source::Webhook,
                &json!({"id": id, "extracted_variables": {"reference": format!("R-{id}"), "tier": "gold"}}),
                id,
            );
        }
        catch_up_on(&mut conn).expect("pass");
        assert!(tally(&conn, "reference").is_empty(), "values of free text are not tallied");
        assert_eq!(tally(&conn, "tier"), [("gold".into(), "".into(), FREE_TEXT_AFTER + 5)]);
        let filled: i64 = conn
            .query_row("SELECT sum(calls) FROM variable_fill WHERE name = 'reference'", [], |r| r.get(0))
            .expect("fill");
        assert_eq!(filled, FREE_TEXT_AFTER + 5, "still counted as filled");
    }
}
