//! Numeric extracted variables (`budget`, `seats`, `score`): their distribution over the chosen
//! period and how their mean moved day by day.
//!
//! A value counts as a number when its tallied text reads as a JSON number (`1200`, `12.5`,
//! `"1200"` sent as a string; not `1,200` or `$1200`). Values are kept in logarithmic buckets, ten
//! per decade (each about 26% wider than the last), with each bucket's exact sum, per day × status
//! × campaign like the other tallies (`variable_numbers`, migration `0010`): a range's histogram,
//! mean (exact) and median / p90 (interpolated within a bucket, so within 26% of the exact value)
//! are a `GROUP BY` over a few hundred rows, whatever the number of calls.

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use super::source::{Source, Tally};
use crate::store::Result;

/// Buckets per decade.
const PER_DECADE: f64 = 10.0;
/// Offset that keeps every non-zero bucket's key away from 0 (the key of zero itself).
const OFFSET: i64 = 1000;
/// A variable is shown as numeric when at least this share of its filled values are numbers.
const NUMERIC_SHARE: f64 = 0.8;
/// Bars at most in a histogram: neighbours are merged beyond it.
const MAX_BINS: usize = 30;

/// The number a tallied value reads as, if any.
pub fn number(text: &str) -> Option<f64> {
    serde_json::from_str::<f64>(text.trim()).ok().filter(|x| x.is_finite())
}

/// The bucket of `x`: 0 for zero, else ±(OFFSET + ⌊10·log10|x|⌋), so keys sort like the values
/// within each sign.
pub fn bucket(x: f64) -> i64 {
    if x == 0.0 || !x.is_finite() {
        return 0;
    }
    let k = ((x.abs().log10() * PER_DECADE).floor() as i64).clamp(1 - OFFSET, OFFSET * 10);
    (OFFSET + k) * if x < 0.0 { -1 } else { 1 }
}

/// The values bucket `b` holds, as `[from, to)` in value order.
pub fn bounds(b: i64) -> (f64, f64) {
    if b == 0 {
        return (0.0, 0.0);
    }
    let k = (b.abs() - OFFSET) as f64;
    let (lo, hi) = (10f64.powf(k / PER_DECADE), 10f64.powf((k + 1.0) / PER_DECADE));
    if b > 0 {
        (lo, hi)
    } else {
        (-hi, -lo)
    }
}

/// Adds `by` (1 or -1) to the tally of `value` under a key, when it is a number.
pub(super) fn count(tx: &Connection, key: [&str; 3], name: &str, value: &str, by: i64) -> Result<()> {
    let Some(x) = number(value) else { return Ok(()) };
    let [day, status, campaign] = key;
    let b = bucket(x);
    tx.prepare_cached(
        "INSERT INTO variable_numbers (day, status, campaign, name, bucket, calls, total)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, total = total + excluded.total",
    )?
    .execute(params![day, status, campaign, name, b, by, x * by as f64])?;
    if by < 0 {
        tx.prepare_cached(
            "DELETE FROM variable_numbers WHERE day = ?1 AND status = ?2 AND campaign = ?3 AND name = ?4
             AND bucket = ?5 AND calls <= 0",
        )?
        .execute(params![day, status, campaign, name, b])?;
    }
    Ok(())
}

/// Fills `variable_numbers` once from the variables tallied before it existed (a data folder
/// upgraded to migration `0010`). Returns how many values it read.
pub(super) fn backfill(conn: &mut Connection) -> Result<usize> {
    let done = conn
        .prepare_cached("SELECT 1 FROM insights_state WHERE name = 'numbers'")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some();
    if done {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let mut n = 0;
    {
        let mut read =
            tx.prepare("SELECT day, status, campaign, name, value FROM call_variables WHERE value IS NOT NULL")?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let (day, status, campaign, name, value): (String, String, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            count(&tx, [&day, &status, &campaign], &name, &value, 1)?;
            n += 1;
        }
    }
    tx.execute("INSERT INTO insights_state (name, delivery_id) VALUES ('numbers', 0)", [])?;
    tx.commit()?;
    Ok(n)
}

/// How a numeric variable's values spread over the range.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Numbers {
    /// Calls whose value is a number.
    pub count: i64,
    pub mean: f64,
    /// Interpolated within a bucket (within about 26% of the exact figure).
    pub median: Option<f64>,
    pub p90: Option<f64>,
    /// Calls per range of values, in value order.
    pub histogram: Vec<NumberBin>,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct NumberBin {
    pub from: f64,
    pub to: f64,
    pub calls: i64,
}

/// One day of a variable: how many calls had it filled, and the mean of its numeric values.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct VariableDay {
    pub day: String,
    pub filled: i64,
    pub mean: Option<f64>,
}

/// The numeric summary of each variable with numbers in the range (`w`/`p`: the stats filters).
/// `filled` gives each variable's filled calls, to tell numeric variables from text ones.
pub(super) fn distributions(
    conn: &Connection,
    source: &Source,
    filled: &BTreeMap<String, i64>,
) -> Result<BTreeMap<String, Numbers>> {
    let mut bins: BTreeMap<String, Vec<(i64, i64, f64)>> = BTreeMap::new();
    let (from, w, p) = source.read(Tally::Numbers);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT name, bucket, sum(calls), sum(total) FROM {from} WHERE {w}
         GROUP BY name, bucket HAVING sum(calls) > 0"
    ))?;
    let mut rows = stmt.query(params_from_iter(p.iter()))?;
    while let Some(r) = rows.next()? {
        bins.entry(r.get(0)?).or_default().push((r.get(1)?, r.get(2)?, r.get(3)?));
    }
    Ok(bins
        .into_iter()
        .filter_map(|(name, b)| {
            let numbers = of_bins(filled.get(&name).copied().unwrap_or(0), b)?;
            Some((name, numbers))
        })
        .collect())
}

/// The summary of a variable with `filled` calls from its `(bucket, calls, total)` rows (any
/// order); `None` unless enough of its values are numbers.
pub(super) fn of_bins(filled: i64, mut b: Vec<(i64, i64, f64)>) -> Option<Numbers> {
    let count: i64 = b.iter().map(|x| x.1).sum();
    let numeric = filled > 0 && count as f64 >= NUMERIC_SHARE * filled as f64;
    numeric.then(|| {
        b.sort_by(|x, y| bounds(x.0).0.total_cmp(&bounds(y.0).0));
        summarise(&b)
    })
}

/// Mean, quantiles and histogram from `(bucket, calls, total)` rows in value order.
fn summarise(b: &[(i64, i64, f64)]) -> Numbers {
    let count: i64 = b.iter().map(|x| x.1).sum();
    let total: f64 = b.iter().map(|x| x.2).sum();
    let quantile = |q: f64| -> Option<f64> {
        let rank = ((q * count as f64).ceil() as i64).max(1);
        let mut before = 0;
        for &(key, calls, sum) in b {
            if before + calls >= rank {
                let (from, to) = bounds(key);
                if calls == 1 || from == to {
                    // One value, or all zero: the bucket's own mean is exact.
                    return Some(sum / calls as f64);
                }
                let k = (rank - before - 1) as f64 / (calls - 1) as f64;
                return Some(from + k * (to - from));
            }
            before += calls;
        }
        None
    };
    let mut histogram: Vec<NumberBin> = b
        .iter()
        .map(|&(key, calls, _)| {
            let (from, to) = bounds(key);
            NumberBin { from, to, calls }
        })
        .collect();
    while histogram.len() > MAX_BINS {
        histogram = histogram
            .chunks(2)
            .map(|pair| NumberBin {
                from: pair[0].from,
                to: pair[pair.len() - 1].to,
                calls: pair.iter().map(|x| x.calls).sum(),
            })
            .collect();
    }
    Numbers {
        count,
        mean: if count > 0 { total / count as f64 } else { 0.0 },
        median: (count > 0).then(|| quantile(0.5)).flatten(),
        p90: (count > 0).then(|| quantile(0.9)).flatten(),
        histogram,
    }
}

/// Each variable's filled calls and numeric mean per day, oldest first.
pub(super) fn by_day(conn: &Connection, source: &Source) -> Result<BTreeMap<String, Vec<VariableDay>>> {
    let mut out: BTreeMap<String, Vec<VariableDay>> = BTreeMap::new();
    let (sql, params): (String, Vec<SqlValue>) = match source.course() {
        // A row per variable and day already.
        Some((w, p)) => (
            format!(
                "SELECT name, day, filled, numbers, total FROM variable_course WHERE {w} AND filled > 0
                 ORDER BY name, day"
            ),
            p,
        ),
        None => {
            let (fill, fw, fp) = source.read_by_day(Tally::Fill);
            let (numbers, nw, np) = source.read_by_day(Tally::Numbers);
            (
                format!(
                    "SELECT f.name, f.day, f.filled, n.calls, n.total FROM
                         (SELECT name, day, sum(calls) AS filled FROM {fill} WHERE {fw} GROUP BY name, day) f
                     LEFT JOIN
                         (SELECT name, day, sum(calls) AS calls, sum(total) AS total FROM {numbers} WHERE {nw}
                          GROUP BY name, day) n
                     ON n.name = f.name AND n.day = f.day
                     WHERE f.filled > 0 ORDER BY f.name, f.day"
                ),
                fp.into_iter().chain(np).collect(),
            )
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    while let Some(r) = rows.next()? {
        let (calls, total): (Option<i64>, Option<f64>) = (r.get(3)?, r.get(4)?);
        out.entry(r.get(0)?).or_default().push(VariableDay {
            day: r.get(1)?,
            filled: r.get(2)?,
            mean: match (calls, total) {
                (Some(c), Some(t)) if c > 0 => Some(t / c as f64),
                _ => None,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_sort_like_values_and_hold_them() {
        let xs = [-5000.0, -12.5, -1.0, -0.02, 0.0, 0.003, 1.0, 9.99, 10.0, 1200.0, 1e12];
        let keys: Vec<i64> = xs.iter().map(|&x| bucket(x)).collect();
        for (&x, &k) in xs.iter().zip(&keys) {
            let (from, to) = bounds(k);
            assert!(from <= x && (x < to || from == to || (x < 0.0 && x <= to)), "{x} not in {from}..{to}");
        }
        let mut by_value = keys.clone();
        by_value.sort_by(|a, b| bounds(*a).0.total_cmp(&bounds(*b).0));
        assert_eq!(by_value, keys, "bucket order is value order");
        assert_eq!(number("1200"), Some(1200.0));
        assert_eq!(number(" 12.5 "), Some(12.5));
        for not in ["1,200", "$5", "NaN", "1e999", "true", "", "12 seats"] {
            assert_eq!(number(not), None, "{not}");
        }
    }

    #[test]
    fn quantiles_fall_within_their_bucket_and_the_mean_is_exact() {
        // 1..=1000: median 500, p90 900, mean 500.5.
        let mut tally: BTreeMap<i64, (i64, f64)> = BTreeMap::new();
        for x in 1..=1000 {
            let e = tally.entry(bucket(f64::from(x))).or_default();
            e.0 += 1;
            e.1 += f64::from(x);
        }
        let mut rows: Vec<(i64, i64, f64)> = tally.into_iter().map(|(k, (c, t))| (k, c, t)).collect();
        rows.sort_by(|x, y| bounds(x.0).0.total_cmp(&bounds(y.0).0));
        let n = summarise(&rows);
        assert_eq!(n.count, 1000);
        assert!((n.mean - 500.5).abs() < 1e-9, "{}", n.mean);
        let median = n.median.expect("median");
        let p90 = n.p90.expect("p90");
        assert!((median / 500.0 - 1.0).abs() < 0.26, "{median}");
        assert!((p90 / 900.0 - 1.0).abs() < 0.26, "{p90}");
        assert!(n.histogram.len() <= MAX_BINS);
        assert_eq!(n.histogram.iter().map(|b| b.calls).sum::<i64>(), 1000);
        assert!(n.histogram.windows(2).all(|w| w[0].to <= w[1].from + 1e-9), "bins in order, not overlapping");
    }
}
