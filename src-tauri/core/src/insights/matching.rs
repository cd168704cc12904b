//! The extracted variables of the calls a search (or another filter without a tally) selects, in
//! one read: each variable × value × day of those calls counted by SQLite, then folded here into
//! fill counts, top values, numeric distributions and the course per day. Read as tallies (one
//! statement each, as for the summary tables) the same figures scanned the calls' variables five
//! times.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

use super::numbers::{self, VariableDay};
use super::stats::{TopValue, Variable, TOP};
use crate::store::Result;

#[derive(Default)]
struct Fold {
    filled: i64,
    values: BTreeMap<String, i64>,
    /// bucket → (calls, total)
    bins: BTreeMap<i64, (i64, f64)>,
    /// day → (filled, numbers, total)
    days: BTreeMap<String, (i64, i64, f64)>,
}

/// The variables of the calls `ids` (a JSON array), `calls` of them.
pub(super) fn variables(conn: &Connection, ids: &str, calls: i64) -> Result<Vec<Variable>> {
    let free: BTreeSet<String> = conn
        .prepare_cached("SELECT name FROM variable_names WHERE free_text")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut folds: BTreeMap<String, Fold> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT name, value, day, count(*) FROM call_variables
         WHERE call_id IN (SELECT value FROM json_each(?1)) AND value IS NOT NULL GROUP BY name, value, day",
    )?;
    let mut rows = stmt.query([ids])?;
    while let Some(r) = rows.next()? {
        let (name, value, day, n): (String, String, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let number = numbers::number(&value);
        let free_text = free.contains(&name);
        let f = folds.entry(name).or_default();
        f.filled += n;
        let d = f.days.entry(day).or_insert((0, 0, 0.0));
        d.0 += n;
        if let Some(x) = number {
            let b = f.bins.entry(numbers::bucket(x)).or_insert((0, 0.0));
            b.0 += n;
            b.1 += x * n as f64;
            d.1 += n;
            d.2 += x * n as f64;
        }
        if !free_text {
            *f.values.entry(value).or_default() += n;
        }
    }
    let mut out: Vec<Variable> = folds
        .into_iter()
        .map(|(name, f)| {
            let mut top: Vec<TopValue> = f.values.into_iter().map(|(value, count)| TopValue { value, count }).collect();
            top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            top.truncate(TOP as usize);
            Variable {
                free_text: free.contains(&name),
                fill_rate: if calls > 0 { f.filled as f64 / calls as f64 } else { 0.0 },
                top,
                numbers: numbers::of_bins(f.filled, f.bins.into_iter().map(|(k, (c, t))| (k, c, t)).collect()),
                by_day: f
                    .days
                    .into_iter()
                    .map(|(day, (filled, numbers, total))| VariableDay {
                        day,
                        filled,
                        mean: (numbers > 0).then(|| total / numbers as f64),
                    })
                    .collect(),
                filled: f.filled,
                name,
            }
        })
        .collect();
    out.sort_by(|a, b| b.filled.cmp(&a.filled).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}
