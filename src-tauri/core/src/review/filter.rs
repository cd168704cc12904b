//! The call log's review filters (tags, review state) and typed variable filters.
//!
//! Tag and review-state filters are driven from the small review tables' indexes: when few calls
//! match (a rare tag, or a tag and a state together), their ids are looked up there and the page
//! is fetched by id. When many match, the page is a range of one review index that keeps the
//! log's order beside each row (`log_ms` for time order, `log_dur` for duration order, see
//! [`super::keys`]), from the cursor on, joined to `calls` by primary key: a page reads about as
//! many index entries as it shows, however common the tag, whichever way the log is sorted.
//! Otherwise (a key not filled in yet) the log is walked in its own order and each row is probed
//! by primary key; both give the same pages, cursors included. Variable
//! filters read the call's document (`json_extract`), so they scan; they are meant to narrow
//! other filters.

use std::str::FromStr;

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::ReviewState;
use crate::query::CallQuery;
use crate::store::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VarOp {
    Eq,
    Contains,
    Gt,
    Gte,
    Lt,
    Lte,
    IsTrue,
    IsFalse,
    Missing,
}

/// One variable condition: `name` is looked up in the extracted variables, then the input ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VarFilter {
    pub name: String,
    pub op: VarOp,
    #[serde(default)]
    #[ts(optional = nullable)]
    pub value: Option<String>,
}

/// How many matching ids drive a page by id; past this, the log is walked in order.
const DRIVE_BY_IDS: i64 = 500;

impl VarFilter {
    /// Checks the name and that a range has a number.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let name = self.name.trim();
        if name.is_empty() || name.len() > 200 || name.chars().any(|c| c == '"' || c.is_control()) {
            return Err(format!("{:?} is not a variable name", self.name));
        }
        match self.op {
            VarOp::Gt | VarOp::Gte | VarOp::Lt | VarOp::Lte => {
                let v = self.value.as_deref().unwrap_or("").trim();
                v.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(|_| ())
                    .ok_or_else(|| format!("{v:?} is not a number; a range on {name} needs one (e.g. {name}>1000)"))
            }
            VarOp::Eq | VarOp::Contains if self.value.is_none() => Err(format!("a value is needed for {name}")),
            _ => Ok(()),
        }
    }
}

/// The command-line form: `NAME=VALUE`, `NAME~TEXT` (contains), `NAME>N`, `NAME>=N`, `NAME<N`,
/// `NAME<=N`, `NAME=true` / `NAME=false` (booleans, also yes/no), `NAME?` (missing or empty).
impl FromStr for VarFilter {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let help = "write NAME=VALUE, NAME~TEXT, NAME>N, NAME>=N, NAME<N, NAME<=N or NAME? (missing)";
        if let Some(name) = s.strip_suffix('?') {
            let f = Self { name: name.trim().to_string(), op: VarOp::Missing, value: None };
            return f.validate().map(|_| f).map_err(|e| format!("{e}; {help}"));
        }
        let at = s.find(['=', '~', '>', '<']).ok_or_else(|| format!("{s:?} has no operator; {help}"))?;
        let (name, rest) = s.split_at(at);
        let (op, value) = if let Some(v) = rest.strip_prefix(">=") {
            (VarOp::Gte, v)
        } else if let Some(v) = rest.strip_prefix("<=") {
            (VarOp::Lte, v)
        } else if let Some(v) = rest.strip_prefix('>') {
            (VarOp::Gt, v)
        } else if let Some(v) = rest.strip_prefix('<') {
            (VarOp::Lt, v)
        } else if let Some(v) = rest.strip_prefix('~') {
            (VarOp::Contains, v)
        } else {
            let v = &rest[1..];
            match v.trim().to_lowercase().as_str() {
                "true" | "yes" => (VarOp::IsTrue, ""),
                "false" | "no" => (VarOp::IsFalse, ""),
                _ => (VarOp::Eq, v),
            }
        };
        let value = (!matches!(op, VarOp::IsTrue | VarOp::IsFalse)).then(|| value.trim().to_string());
        let f = Self { name: name.trim().to_string(), op, value };
        f.validate().map(|_| f).map_err(|e| format!("{e}; {help}"))
    }
}

/// A review condition a call must meet: the ids that meet it (looked up in the review file), the
/// same condition as a probe of one row, and as a condition on a row of the review table whose
/// indexes (condition columns, then `log_ms` or `log_dur`, then `call_id`) list the matching
/// calls in the log's time or duration order.
struct Positive {
    ids_sql: &'static str,
    exists: &'static str,
    /// The table and the condition on its row `{t}`.
    in_order: (&'static str, &'static str),
    args: Vec<SqlValue>,
}

/// A page read from a review index in the log's order: the FROM clause (`d`, the review row,
/// joined to its call) and the columns to order and continue by instead of the call's (the
/// copies of the same values, so a cursor from either continues the other).
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    pub from: String,
    pub key: &'static str,
    pub id: &'static str,
}

/// Adds the review and variable conditions of `q` to a WHERE clause. With `in_order` (a page),
/// a common review condition may drive the page instead: then the page is read from the
/// returned [`Driver`], whose conditions are in `w`.
pub fn push(
    conn: &Connection,
    q: &CallQuery,
    in_order: bool,
    w: &mut Vec<String>,
    p: &mut Vec<SqlValue>,
) -> Result<Option<Driver>> {
    let mut positives = Vec::new();
    for tag in q.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !super::store::tag_defined(conn, "review.", tag)? {
            // A deleted tag: calls keep nothing of it.
            w.push("0".into());
            return Ok(None);
        }
        positives.push(Positive {
            ids_sql: "SELECT call_id FROM review.call_tags WHERE tag = ?",
            exists: "EXISTS (SELECT 1 FROM review.call_tags t WHERE t.tag = ? AND t.call_id = calls.id)",
            in_order: ("call_tags", "{t}.tag = ?"),
            args: vec![SqlValue::Text(tag.to_string())],
        });
    }
    if let Some(state) = q.review_state {
        let reviewer = q.reviewer.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_lowercase);
        match (reviewer, state) {
            // Not reviewed or flagged by that reviewer (in review counts as not yet).
            (Some(r), ReviewState::Unreviewed) => {
                w.push(
                    "NOT EXISTS (SELECT 1 FROM review.review_states s WHERE s.call_id = calls.id AND s.reviewer = ? \
                     AND s.state IN ('reviewed', 'flagged'))"
                        .into(),
                );
                p.push(SqlValue::Text(r));
            }
            (Some(r), state) => positives.push(Positive {
                ids_sql: "SELECT call_id FROM review.review_states WHERE reviewer = ? AND state = ?",
                exists: "EXISTS (SELECT 1 FROM review.review_states s WHERE s.call_id = calls.id AND s.reviewer = ? AND s.state = ?)",
                in_order: ("review_states", "{t}.reviewer = ? AND {t}.state = ?"),
                args: vec![SqlValue::Text(r), SqlValue::Text(state.as_str().into())],
            }),
            // Nobody reviewed or flagged it.
            (None, ReviewState::Unreviewed) => w.push(
                "NOT EXISTS (SELECT 1 FROM review.review_states s WHERE s.call_id = calls.id \
                 AND s.state IN ('reviewed', 'flagged'))"
                    .into(),
            ),
            (None, state) => positives.push(Positive {
                ids_sql: "SELECT call_id FROM review.review_states WHERE state = ?",
                exists: "EXISTS (SELECT 1 FROM review.review_states s WHERE s.call_id = calls.id AND s.state = ?)",
                in_order: ("review_any", "{t}.state = ?"),
                args: vec![SqlValue::Text(state.as_str().into())],
            }),
        }
    }
    let mut driver = None;
    if !positives.is_empty() {
        // The calls meeting every positive condition, intersected in the review file's indexes:
        // when they are few (a tag, "flagged", or a tag and a state together), the page is
        // fetched by id; otherwise the log is walked in order, probing each row.
        let sql = positives.iter().map(|c| c.ids_sql).collect::<Vec<_>>().join(" INTERSECT ");
        let args: Vec<&SqlValue> = positives.iter().flat_map(|c| c.args.iter()).collect();
        let ids: Vec<i64> = conn
            .prepare_cached(&format!("SELECT call_id FROM ({sql}) LIMIT {}", DRIVE_BY_IDS + 1))?
            .query_map(rusqlite::params_from_iter(args), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if ids.len() as i64 <= DRIVE_BY_IDS {
            crate::query::one_of(conn, q, &ids, in_order, w, p)?;
        } else {
            let mut rest = positives.into_iter();
            if in_order {
                if let Some(first) = rest.next() {
                    let (table, cond) = first.in_order;
                    if super::keys::unkeyed(conn, table, &cond.replace("{t}", "t"), &first.args)? {
                        w.push(first.exists.into());
                    } else {
                        w.push(cond.replace("{t}", "d"));
                        driver = Some(Driver {
                            from: format!("review.{table} d CROSS JOIN calls ON calls.id = d.call_id"),
                            key: match q.sort {
                                crate::query::SortKey::Time => "d.log_ms",
                                crate::query::SortKey::Duration => "d.log_dur",
                            },
                            id: "d.call_id",
                        });
                    }
                    p.extend(first.args);
                }
            }
            for c in rest {
                w.push(c.exists.into());
                p.extend(c.args);
            }
        }
    }
    if let (Some(me), Some(done)) = (q.me.as_deref(), q.mine_done) {
        w.push(format!(
            "{} EXISTS (SELECT 1 FROM review.review_states s WHERE s.call_id = calls.id AND s.reviewer = ? \
             AND s.state IN ('reviewed', 'flagged'))",
            if done { "" } else { "NOT" }
        ));
        p.push(SqlValue::Text(me.to_string()));
    }
    for v in &q.vars {
        // Bad filters from the window are refused by `validate` before; here they match nothing.
        if v.validate().is_err() {
            w.push("0".into());
            continue;
        }
        var_condition(v, w, p);
    }
    Ok(driver)
}

/// The variable's value for the row: extracted variables first, then input variables, each from
/// the webhook document, then the calls API's.
fn var_value_sql() -> String {
    let doc = crate::store::calls::DOC_SQL;
    format!(
        "coalesce(json_extract({doc}, ?), json_extract(calls.api_doc, ?), json_extract({doc}, ?), json_extract(calls.api_doc, ?))"
    )
}

fn var_condition(v: &VarFilter, w: &mut Vec<String>, p: &mut Vec<SqlValue>) {
    let name = v.name.trim();
    let value = var_value_sql();
    let extracted = format!("$.extracted_variables.\"{name}\"");
    let input = format!("$.input_variables.\"{name}\"");
    let paths = [&extracted, &extracted, &input, &input].map(|s| SqlValue::Text(s.to_string()));
    let text = v.value.clone().unwrap_or_default();
    let num = "CASE WHEN typeof(v) IN ('integer', 'real') THEN v \
               WHEN typeof(v) = 'text' AND trim(v) != '' AND trim(v) NOT GLOB '*[^0-9.eE+-]*' THEN CAST(trim(v) AS REAL) END";
    let (cond, arg): (String, Option<SqlValue>) = match v.op {
        VarOp::Missing => {
            w.push(format!("NOT EXISTS (SELECT 1 FROM (SELECT {value} AS v) WHERE v IS NOT NULL AND v != '')"));
            p.extend(paths);
            return;
        }
        VarOp::Eq => match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => {
                (format!("({num}) = ? OR lower(CAST(v AS TEXT)) = lower(?)"), Some(SqlValue::Real(n)))
            }
            _ => ("lower(CAST(v AS TEXT)) = lower(?)".into(), Some(SqlValue::Text(text.trim().to_string()))),
        },
        VarOp::Contains => ("instr(lower(CAST(v AS TEXT)), lower(?)) > 0".into(), Some(SqlValue::Text(text.clone()))),
        VarOp::Gt | VarOp::Gte | VarOp::Lt | VarOp::Lte => {
            let op = match v.op {
                VarOp::Gt => ">",
                VarOp::Gte => ">=",
                VarOp::Lt => "<",
                _ => "<=",
            };
            let n = text.trim().parse::<f64>().unwrap_or(0.0);
            (format!("({num}) {op} ?"), Some(SqlValue::Real(n)))
        }
        VarOp::IsTrue => {
            ("(typeof(v) = 'integer' AND v = 1) OR lower(CAST(v AS TEXT)) IN ('true', 'yes')".into(), None)
        }
        VarOp::IsFalse => {
            ("(typeof(v) = 'integer' AND v = 0) OR lower(CAST(v AS TEXT)) IN ('false', 'no')".into(), None)
        }
    };
    w.push(format!("EXISTS (SELECT 1 FROM (SELECT {value} AS v) WHERE v IS NOT NULL AND ({cond}))"));
    p.extend(paths);
    if let Some(a) = arg {
        p.push(a.clone());
        if v.op == VarOp::Eq && matches!(a, SqlValue::Real(_)) {
            p.push(SqlValue::Text(text.trim().to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_forms_parse() {
        let f = |s: &str| VarFilter::from_str(s).expect(s);
        assert_eq!(
            f("lead_quality=high"),
            VarFilter { name: "lead_quality".into(), op: VarOp::Eq, value: Some("high".into()) }
        );
        assert_eq!(f("budget>1000").op, VarOp::Gt);
        assert_eq!(f("budget>=1000").op, VarOp::Gte);
        assert_eq!(f("budget<=10.5").value.as_deref(), Some("10.5"));
        assert_eq!(f("budget<3").op, VarOp::Lt);
        assert_eq!(f("notes~refund").op, VarOp::Contains);
        assert_eq!(f("status=true").op, VarOp::IsTrue);
        assert_eq!(f("status=No").op, VarOp::IsFalse);
        assert_eq!(f("email?").op, VarOp::Missing);
        for bad in ["budget>lots", "=x", "nothing", "a\"b=1", "budget<"] {
            assert!(VarFilter::from_str(bad).is_err(), "{bad}");
        }
    }
}
