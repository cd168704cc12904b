//! Export: JSON Lines (one call per line, the merged payload with every field it carried, which
//! `postcall import` reads back losslessly) or CSV (the call log's columns, for spreadsheets).
//! A reviewed call also carries its review (`review` in JSON Lines; tags and states in CSV), which
//! is informational here: review work moves between machines with `postcall review export`.

use std::io::Write;

use rusqlite::Connection;
use serde_json::Value;

use crate::store::{calls, Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::NotFound(format!("write failed: {e}"))
}

/// Writes every call, oldest first; returns how many.
pub fn export(conn: &Connection, format: Format, out: &mut dyn Write) -> Result<u64> {
    let mut n = 0;
    if format == Format::Csv {
        writeln!(out, "id,created_at,finished_at,status,customer_phone,assistant_phone,duration,objective_achieved,summary,campaign,recording_url,tags,review_states")
            .map_err(io_err)?;
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT id, {}, api_doc, created_at, finished_at, status, customer_phone, assistant_phone, duration,
                objective, summary, campaign, recording_url FROM calls ORDER BY sort_ms, id",
        calls::DOC_SQL
    ))?;
    let reviewed = crate::review::ops::reviews_for_export(conn)?;
    let review_of = |id: i64| -> Result<crate::review::CallReview> {
        if reviewed.contains(&id) {
            crate::review::store::call_review(conn, id, "review.")
        } else {
            Ok(Default::default())
        }
    };
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        match format {
            Format::Jsonl => {
                let parse = |s: Option<String>| {
                    s.and_then(|s| serde_json::from_str::<Value>(&s).ok()).and_then(|v| v.as_object().cloned())
                };
                let mut view = calls::effective(parse(r.get(1)?).as_ref(), parse(r.get(2)?).as_ref());
                // Only reviewed calls carry it, so that an export of calls nobody reviewed
                // re-imports byte for byte as before.
                let id: i64 = r.get(0)?;
                if reviewed.contains(&id) {
                    view.insert("review".into(), serde_json::to_value(review_of(id)?).unwrap_or(Value::Null));
                }
                writeln!(out, "{}", Value::Object(view)).map_err(io_err)?;
            }
            Format::Csv => {
                let cells: Vec<String> = (0..13)
                    .filter(|i| ![1, 2].contains(i))
                    .map(|i| match r.get_ref(i) {
                        Ok(rusqlite::types::ValueRef::Integer(v)) if i == 9 => {
                            (if v != 0 { "true" } else { "false" }).to_string()
                        }
                        Ok(rusqlite::types::ValueRef::Integer(v)) => v.to_string(),
                        Ok(rusqlite::types::ValueRef::Text(t)) => csv_cell(&String::from_utf8_lossy(t)),
                        _ => String::new(),
                    })
                    .collect();
                let review = review_of(r.get(0)?)?;
                let states: Vec<String> =
                    review.states.iter().map(|s| format!("{}:{}", s.reviewer, s.state.as_str())).collect();
                let mut cells = cells;
                cells.push(csv_cell(&review.tags.join(";")));
                cells.push(csv_cell(&states.join(";")));
                writeln!(out, "{}", cells.join(",")).map_err(io_err)?;
            }
        }
        n += 1;
    }
    Ok(n)
}

/// Quotes a CSV cell when needed, and defuses cells a spreadsheet would run as a formula.
pub(crate) fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && !s.starts_with('+') { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("+15551234567"), "+15551234567", "phone numbers stay as they are");
    }
}
