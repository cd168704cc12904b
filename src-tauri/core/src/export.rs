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
    StoreError::Io { what: "the export".into(), source: e }
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

/// Whether a spreadsheet could read the cell as a formula: it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return. A phone number (`+` then only digits, spaces and `( ) . / -`) is the
/// one such text left as it is, so phones stay searchable and dialable in the sheet.
fn is_formula_like(s: &str) -> bool {
    let is_phone = |s: &str| {
        s.strip_prefix('+').is_some_and(|rest| {
            rest.chars().count() >= 3 && rest.chars().all(|c| c.is_ascii_digit() || " ()./-".contains(c))
        })
    };
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_phone(s)
}

/// Quotes a CSV cell when needed, and defuses cells a spreadsheet would run as a formula (a `'`
/// in front, which spreadsheets show as text).
pub(crate) fn csv_cell(s: &str) -> String {
    let s = if is_formula_like(s) { format!("'{s}") } else { s.to_string() };
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

    #[test]
    fn every_formula_prefix_is_defused_but_phone_numbers_are_not() {
        for cell in ["=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "+", "+12", "+1 555 x", "+=1"]
        {
            assert!(csv_cell(cell).trim_start_matches('"').starts_with('\''), "{cell:?} -> {:?}", csv_cell(cell));
        }
        for phone in ["+15551234567", "+44 (20) 7946-0958", "+1.555.123.4567", "+123", "+49/30/1234"] {
            assert_eq!(csv_cell(phone), phone, "{phone}");
        }
        assert_eq!(csv_cell("\r=1"), "\"'\r=1\"", "defused and still quoted");
        assert_eq!(csv_cell("plain text"), "plain text");
        assert_eq!(csv_cell("a=b"), "a=b", "only the first character counts");
    }

    #[test]
    fn a_failed_write_is_reported_as_a_write_error() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let conn = crate::store::open_in_memory().expect("db");
        let e = export(&conn, Format::Csv, &mut Closed).expect_err("the write fails");
        assert!(
            matches!(&e, StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("cannot write the export: "), "{e}");
    }

    #[test]
    fn a_csv_export_defuses_formulas_in_every_text_column() {
        use crate::ingest::Source;
        use crate::store::open_in_memory;
        let conn = open_in_memory().expect("db");
        let doc = serde_json::json!({"id": 5, "status": "=cmd", "customer_phone": "+15551234567",
            "assistant_phone": "@evil", "extracted_variables": {"summary": "-1+1"}, "recording_url": "+x"});
        calls::upsert(&conn, 5, Source::Import, doc.as_object().expect("obj"), 1).expect("upsert");
        let mut out = Vec::new();
        export(&conn, Format::Csv, &mut out).expect("export");
        let text = String::from_utf8(out).expect("utf8");
        let row = text.lines().nth(1).expect("a row");
        assert!(row.contains(",'=cmd,+15551234567,'@evil,"), "{row}");
        assert!(row.contains(",'-1+1,") && row.contains(",'+x") && !row.contains(",+x"), "{row}");
    }
}
