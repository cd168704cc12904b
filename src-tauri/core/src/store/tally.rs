//! The insights' per-day tallies (`call_tally`, `duration_tally`, `hour_tally` and
//! `assistant_tally`, migrations 0008, 0009 and 0012) of the calls a transaction inserts: counted
//! in memory as the calls are written, then added to the tables once, before the commit.
//!
//! Triggers on `calls` used to add each new call as it was inserted. That cost the indexer about
//! half its time per call: SQLite gives a statement that writes several rows (the call and,
//! through the triggers, seven tally and total rows) and may abort halfway (any SQL function call
//! may, and the tallies are keyed by `local_day(…)`) a statement journal, a copy of every page it
//! changes, about 230 KB per call. A batch of 4,096 calls changes a few hundred tally rows, which
//! are written here once each. Changing or deleting a call keeps its triggers: that is rare, and
//! needs the old row (migration 0014).

use std::collections::{BTreeMap, HashSet};

use rusqlite::types::ToSql;
use rusqlite::{params_from_iter, Connection};

use super::{Result, StoreError};
use crate::payload::CallFields;

/// What the tallies key a call by, from its row as inserted.
struct NewCall {
    sort_ms: i64,
    status: String,
    campaign: String,
    objective: Option<bool>,
    duration: Option<i64>,
    assistant: String,
}

/// The new calls of one transaction, not yet in the tallies: [`super::calls::Writer`] keeps one,
/// and flushes it when it finishes, before the commit.
#[derive(Default)]
pub struct Tally {
    ids: HashSet<i64>,
    calls: Vec<NewCall>,
}

/// The duration tally's bucket of a duration: each second under a minute, then 5 s, 30 s, 5 min.
pub fn duration_bucket(duration: Option<i64>) -> i64 {
    match duration {
        None => -1,
        Some(d) if d < 60 => d.max(0),
        Some(d) if d < 600 => d - d % 5,
        Some(d) if d < 3600 => d - d % 30,
        Some(d) => d - d % 300,
    }
}

type Counts = (i64, i64, i64);

fn count(c: &mut Counts, objective: Option<bool>) {
    c.0 += 1;
    c.1 += i64::from(objective == Some(true));
    c.2 += i64::from(objective.is_some());
}

/// The most tally rows one statement adds.
const ROWS_PER_STATEMENT: usize = 64;

/// Adds `rows` (each one value per column of `columns`) to `table`, `ON CONFLICT DO UPDATE SET
/// {update}` adding a row to the one already there: one statement per [`ROWS_PER_STATEMENT`]
/// rows, not one per row. An upsert's `DO UPDATE` may abort, so SQLite copies every page a
/// statement changes into a statement journal first, to undo that statement alone; a page that
/// several rows of one statement change (their tally row's leaf, the totals the triggers keep) is
/// copied once. The rows come in the tables' key order, so a statement's rows share leaves.
fn add(conn: &Connection, table: &str, columns: &str, update: &str, rows: &[Vec<&dyn ToSql>]) -> Result<()> {
    let width = columns.split(',').count();
    let row = format!("({})", vec!["?"; width].join(", "));
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO {table} ({columns}) VALUES {} ON CONFLICT DO UPDATE SET {update}",
            vec![row.as_str(); chunk.len()].join(", ")
        );
        let values = params_from_iter(chunk.iter().flatten());
        // A full chunk's statement is kept for the next batch; a last, shorter one is not.
        if chunk.len() == ROWS_PER_STATEMENT {
            conn.prepare_cached(&sql)?.execute(values)?;
        } else {
            conn.prepare(&sql)?.execute(values)?;
        }
    }
    Ok(())
}

impl Tally {
    /// Counts the call `id` just inserted with `fields` at `sort_ms`.
    pub(crate) fn add(&mut self, id: i64, fields: &CallFields, sort_ms: i64) {
        self.ids.insert(id);
        self.calls.push(NewCall {
            sort_ms,
            status: fields.status.clone().unwrap_or_default(),
            campaign: fields.campaign.clone().unwrap_or_default(),
            objective: fields.objective,
            duration: fields.duration,
            assistant: fields.assistant_phone.clone().unwrap_or_default(),
        });
    }

    /// Whether call `id` is counted here and not yet in the tallies: it must be before the call
    /// changes again, since the update triggers take its old row out of them.
    pub(crate) fn holds(&self, id: i64) -> bool {
        self.ids.contains(&id)
    }

    /// Adds the calls counted so far to the tallies, in the zone the tallies hold, and forgets them.
    pub fn flush(&mut self, conn: &Connection) -> Result<()> {
        if self.calls.is_empty() {
            return Ok(());
        }
        let name: String = conn.query_row("SELECT zone FROM tally_zone", [], |r| r.get(0))?;
        let zone = super::zone::zone(&name);
        let mut calls: BTreeMap<(String, &str, &str), Counts> = BTreeMap::new();
        let mut durations: BTreeMap<(String, &str, &str, i64), i64> = BTreeMap::new();
        let mut hours: BTreeMap<(String, &str, &str, i64), i64> = BTreeMap::new();
        let mut assistants: BTreeMap<(String, &str, &str, &str), Counts> = BTreeMap::new();
        for c in &self.calls {
            let (day, hour) = super::zone::day_and_hour(c.sort_ms, zone)
                .ok_or_else(|| StoreError::Parse(format!("the call time {} ms is out of range", c.sort_ms)))?;
            let (status, campaign) = (c.status.as_str(), c.campaign.as_str());
            count(calls.entry((day.clone(), status, campaign)).or_default(), c.objective);
            *durations.entry((day.clone(), status, campaign, duration_bucket(c.duration))).or_default() += 1;
            *hours.entry((day.clone(), status, campaign, i64::from(hour))).or_default() += 1;
            count(assistants.entry((day, status, campaign, c.assistant.as_str())).or_default(), c.objective);
        }
        const COUNTED: &str = "calls = calls + excluded.calls, achieved = achieved + excluded.achieved,
                               judged = judged + excluded.judged";
        let rows: Vec<Vec<&dyn ToSql>> = calls
            .iter()
            .map(|((day, status, campaign), (n, achieved, judged))| {
                vec![day as &dyn ToSql, status, campaign, n, achieved, judged]
            })
            .collect();
        add(conn, "call_tally", "day, status, campaign, calls, achieved, judged", COUNTED, &rows)?;
        for (table, column, counts) in [("duration_tally", "bucket", &durations), ("hour_tally", "hour", &hours)] {
            let rows: Vec<Vec<&dyn ToSql>> = counts
                .iter()
                .map(|((day, status, campaign, key), n)| vec![day as &dyn ToSql, status, campaign, key, n])
                .collect();
            let columns = format!("day, status, campaign, {column}, calls");
            add(conn, table, &columns, "calls = calls + excluded.calls", &rows)?;
        }
        let rows: Vec<Vec<&dyn ToSql>> = assistants
            .iter()
            .map(|((day, status, campaign, assistant), (n, achieved, judged))| {
                vec![day as &dyn ToSql, status, campaign, assistant, n, achieved, judged]
            })
            .collect();
        add(conn, "assistant_tally", "day, status, campaign, assistant, calls, achieved, judged", COUNTED, &rows)?;
        self.ids.clear();
        self.calls.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::duration_bucket;

    #[test]
    fn durations_bucket_as_the_tallies_sql_does() {
        let conn = rusqlite::Connection::open_in_memory().expect("db");
        for d in [None, Some(-5), Some(0), Some(59), Some(60), Some(64), Some(599), Some(600), Some(629), Some(3599)]
            .into_iter()
            .chain([Some(3600), Some(3899), Some(3900), Some(86_401)])
        {
            let sql: i64 = conn
                .query_row(
                    "SELECT CASE WHEN ?1 IS NULL THEN -1 WHEN ?1 < 60 THEN max(?1, 0)
                                 WHEN ?1 < 600 THEN ?1 - ?1 % 5 WHEN ?1 < 3600 THEN ?1 - ?1 % 30
                                 ELSE ?1 - ?1 % 300 END",
                    [d],
                    |r| r.get(0),
                )
                .expect("bucket");
            assert_eq!(duration_bucket(d), sql, "{d:?}");
        }
    }
}
