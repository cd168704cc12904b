//! Where each of the dashboard's figures is read from, for one query.
//!
//! - A range that holds every day (no `from`/`to`, or one past both ends of the data): the
//!   tallies without their day (migration `0011`). Read per day, the whole range of 200,000 calls
//!   was 400,000 rows (most of them durations, assistants and hours, then variables), growing with
//!   the days; without the day it is a few thousand rows whatever the number of calls.
//! - Any other range: the per-day tallies (`0008`–`0010`), a row per day × status × campaign × …,
//!   so the cost follows the days in the range.
//! - Filters the tallies have no key for (the log's search, tags, review state, objective,
//!   recording, phone, recovered, variables): the rows of the calls the log's own filter matches
//!   ([`crate::query::conditions`]), each tally replaced by a subquery of the same shape over those
//!   calls' rows, so every figure is the same `GROUP BY` whatever it reads. (The variables' figures
//!   of those calls are read in one statement instead, `matching.rs`: as tallies they scanned the
//!   calls' variables five times. Their tally-shaped subqueries stay, so that every tally can be
//!   read from rows.)
//!
//! Days are local days of the zone the tallies are keyed by ([`super::zone`]), the calls' rows
//! included.
//!
//! The variables' course day by day reads `variable_course` (a row per variable × day) when
//! neither status nor campaign is filtered, the per-day tallies otherwise.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

use super::numbers;
use crate::store::Result;

/// The summary tables a figure reads; each has the same columns in every form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tally {
    /// day, status, campaign, calls, achieved, judged
    Call,
    /// (day,) status, campaign, bucket, calls
    Duration,
    /// (day,) status, campaign, weekday, hour, calls: `weekday` is computed from `day` per day
    Hour,
    /// (day,) status, campaign, assistant, calls, achieved, judged
    Assistant,
    /// (day,) status, campaign, name, calls
    Fill,
    /// name, value, (day,) status, campaign, calls
    Values,
    /// (day,) status, campaign, name, bucket, calls, total
    Numbers,
}

/// How a query reads its figures.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// The tallies: per day, or without the day (`whole`) where the range holds every day.
    Tallies {
        w: String,
        p: Vec<SqlValue>,
        /// The filters without the days, for the tallies without a day.
        keys_w: String,
        keys_p: Vec<SqlValue>,
        whole: bool,
        /// Neither status nor campaign filtered: the variables' course from `variable_course`.
        course: bool,
    },
    /// The rows of the matching calls (a JSON array of their ids).
    Calls { ids: String },
}

/// The `weekday` expression of a per-day tally (0 = Monday).
const WEEKDAY_OF_DAY: &str = "(CAST(strftime('%w', day) AS INTEGER) + 6) % 7";

impl Source {
    /// `FROM` and `WHERE` for `t`, and the parameters (those of `FROM` first).
    pub(super) fn read(&self, t: Tally) -> (String, String, Vec<SqlValue>) {
        self.read_as(t, true)
    }

    /// As [`Self::read`], with a `day` column.
    pub(super) fn read_by_day(&self, t: Tally) -> (String, String, Vec<SqlValue>) {
        self.read_as(t, false)
    }

    fn read_as(&self, t: Tally, totals: bool) -> (String, String, Vec<SqlValue>) {
        match self {
            Source::Tallies { w, p, keys_w, keys_p, whole, .. } => {
                let whole = *whole && totals;
                let total = match t {
                    Tally::Call => None,
                    Tally::Duration => Some("duration_total"),
                    Tally::Hour => Some("hour_total"),
                    Tally::Assistant => Some("assistant_total"),
                    Tally::Fill => Some("variable_fill_total"),
                    Tally::Values => Some("variable_value_total"),
                    Tally::Numbers => Some("variable_number_total"),
                };
                match total {
                    Some(table) if whole => (table.to_string(), keys_w.clone(), keys_p.clone()),
                    _ => {
                        let table = match t {
                            Tally::Call => "call_tally".to_string(),
                            Tally::Duration => "duration_tally".to_string(),
                            Tally::Hour => format!("(SELECT *, {WEEKDAY_OF_DAY} AS weekday FROM hour_tally)"),
                            Tally::Assistant => "assistant_tally".to_string(),
                            Tally::Fill => "variable_fill".to_string(),
                            Tally::Values => "variable_values".to_string(),
                            Tally::Numbers => "variable_numbers".to_string(),
                        };
                        (table, w.clone(), p.clone())
                    }
                }
            }
            Source::Calls { ids } => (rows_of(t), "1".to_string(), vec![SqlValue::Text(ids.clone())]),
        }
    }

    /// The course of the variables per day without status and campaign, with its filters.
    pub(super) fn course(&self) -> Option<(String, Vec<SqlValue>)> {
        match self {
            Source::Tallies { w, p, course: true, .. } => Some((w.clone(), p.clone())),
            _ => None,
        }
    }

    /// The matching calls' ids, for figures read from other files (review progress).
    pub(super) fn ids(&self) -> Option<&str> {
        match self {
            Source::Calls { ids } => Some(ids),
            Source::Tallies { .. } => None,
        }
    }
}

/// The duration bucket of `d` (see migration `0008`).
fn bucket_sql(d: &str) -> String {
    format!(
        "CASE WHEN {d} IS NULL THEN -1 WHEN {d} < 60 THEN max({d}, 0) WHEN {d} < 600 THEN {d} - {d} % 5
              WHEN {d} < 3600 THEN {d} - {d} % 30 ELSE {d} - {d} % 300 END"
    )
}

/// A subquery with the columns of tally `t`, a row per matching call (or call × variable).
fn rows_of(t: Tally) -> String {
    const IDS: &str = "(SELECT value FROM json_each(?))";
    let keys = "local_day(sort_ms, (SELECT zone FROM tally_zone)) AS day, ifnull(status, '') AS status,
                ifnull(campaign, '') AS campaign";
    match t {
        Tally::Call => format!(
            "(SELECT {keys}, 1 AS calls, objective IS 1 AS achieved, objective IS NOT NULL AS judged
              FROM calls WHERE id IN {IDS})"
        ),
        Tally::Duration => {
            format!("(SELECT {keys}, {} AS bucket, 1 AS calls FROM calls WHERE id IN {IDS})", bucket_sql("duration"))
        }
        Tally::Hour => format!(
            "(SELECT *, {WEEKDAY_OF_DAY} AS weekday FROM (
                  SELECT {keys}, local_hour(sort_ms, (SELECT zone FROM tally_zone)) AS hour, 1 AS calls
                  FROM calls WHERE id IN {IDS}))"
        ),
        Tally::Assistant => format!(
            "(SELECT {keys}, ifnull(assistant_phone, '') AS assistant, 1 AS calls, objective IS 1 AS achieved,
                     objective IS NOT NULL AS judged FROM calls WHERE id IN {IDS})"
        ),
        Tally::Fill => format!(
            "(SELECT day, status, campaign, name, 1 AS calls FROM call_variables
              WHERE call_id IN {IDS} AND value IS NOT NULL)"
        ),
        // The values of free text are not tallied (see variables.rs).
        Tally::Values => format!(
            "(SELECT name, value, day, status, campaign, 1 AS calls FROM call_variables
              WHERE call_id IN {IDS} AND value IS NOT NULL
                AND name NOT IN (SELECT name FROM variable_names WHERE free_text))"
        ),
        // Each value read as a number once (a number has a digit: the others are not parsed).
        Tally::Numbers => format!(
            "(WITH n AS MATERIALIZED (
                  SELECT day, status, campaign, name, insights_number(value) AS x FROM call_variables
                  WHERE call_id IN {IDS} AND value GLOB '*[0-9]*')
              SELECT day, status, campaign, name, insights_bucket(x) AS bucket, 1 AS calls, x AS total
              FROM n WHERE x IS NOT NULL)"
        ),
    }
}

/// The functions the rows' subqueries use: a value's number and a number's bucket, as the
/// insights pass tallies them ([`numbers::number`], [`numbers::bucket`]).
pub(super) fn register(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("insights_number", 1, flags, |ctx| {
        Ok(ctx.get::<Option<String>>(0)?.as_deref().and_then(numbers::number))
    })?;
    conn.create_scalar_function("insights_bucket", 1, flags, |ctx| {
        Ok(ctx.get::<Option<f64>>(0)?.map(numbers::bucket))
    })?;
    Ok(())
}
