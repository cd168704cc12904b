//! `postcall stats` and the dashboard's figures: calls per day by status, the objective rate with
//! its Wilson 95% interval, duration median and p90, calls by campaign, and for each extracted
//! variable its fill rate, most frequent values, numeric distribution and day-by-day course.
//!
//! Every figure is a `GROUP BY` over the summary tables of migration `0008_insights` (a row per
//! day × status × campaign, not per call), so the cost follows the number of days in the range,
//! not the number of calls. Durations are kept in buckets (exact seconds under a minute, then
//! 5 s, 30 s, 5 min): median and p90 are interpolated within their bucket, within its width of
//! the exact figure. Days and hours are this computer's local ones, DST included, the days the
//! log's date filter uses (see [`super::zone`]): the tallies are keyed by them.

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::numbers::{Numbers, VariableDay};
use super::source::{Source, Tally};
use crate::store::{Result, StoreError};

/// The filters, as the call log's: days inclusive (`YYYY-MM-DD`, local days of the zone the tallies
/// are keyed by: the machine's).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct StatsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub campaign: Option<String>,
    #[ts(as = "Option<Vec<String>>", optional)]
    pub statuses: Vec<String>,
    /// The log's other filters, as in [`crate::query::CallQuery`]: with any of them the figures are
    /// those of the calls the log shows (the search: its most recent 5,000 matches per index, as
    /// the log's), read from those calls' rows.
    pub search: Option<String>,
    #[ts(as = "Option<Vec<String>>", optional)]
    pub tags: Vec<String>,
    pub review_state: Option<crate::review::ReviewState>,
    pub reviewer: Option<String>,
    pub objective: Option<bool>,
    pub has_recording: Option<bool>,
    pub phone: Option<String>,
    pub recovered: Option<bool>,
    #[ts(as = "Option<Vec<crate::review::filter::VarFilter>>", optional)]
    pub vars: Vec<crate::review::filter::VarFilter>,
}

impl StatsQuery {
    /// Whether a filter the summary tables have no key for is set.
    pub fn follows_calls(&self) -> bool {
        let set = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        set(&self.search)
            || self.tags.iter().any(|t| !t.trim().is_empty())
            || self.review_state.is_some()
            || self.objective.is_some()
            || self.has_recording.is_some()
            || set(&self.phone)
            || self.recovered.is_some()
            || !self.vars.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Stats {
    pub calls: i64,
    pub by_day: Vec<Day>,
    pub objective_rate: Rate,
    pub duration: Durations,
    pub by_campaign: Vec<Campaign>,
    /// Calls per assistant phone, most calls first.
    pub by_assistant: Vec<Assistant>,
    /// Calls per weekday × hour of the day, local time (cells without calls left out).
    pub by_hour: Vec<HourCell>,
    /// Review progress: calls marked reviewed or flagged per day (the day of the mark).
    pub review: Vec<ReviewDay>,
    pub variables: Vec<Variable>,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Assistant {
    /// `None` for calls without an assistant phone.
    pub assistant: Option<String>,
    pub calls: i64,
    pub achieved: i64,
    pub rate: Option<f64>,
}

/// `weekday` 0 = Monday … 6 = Sunday; `hour` 0–23.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct HourCell {
    pub weekday: u8,
    pub hour: u8,
    pub calls: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct ReviewDay {
    pub day: String,
    /// Calls marked reviewed on that day (by anyone; a call counts once per day).
    pub reviewed: i64,
    pub flagged: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Day {
    pub day: String,
    pub calls: i64,
    pub achieved: i64,
    /// Calls per status; `unknown` for calls without one.
    pub by_status: BTreeMap<String, i64>,
}

/// The share of calls with a known objective that achieved it, with its Wilson score interval
/// at 95%. `None` when no call in the range has a known objective.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Rate {
    pub rate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub achieved: i64,
    pub judged: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Durations {
    /// Seconds; `None` without any call with a duration.
    pub median: Option<f64>,
    pub p90: Option<f64>,
    /// Calls per duration bucket, `[from, to)` seconds.
    pub histogram: Vec<Bucket>,
    /// Calls without a duration.
    pub unknown: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Bucket {
    pub from: i64,
    pub to: i64,
    pub calls: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Campaign {
    /// `None` for calls outside any campaign.
    pub campaign: Option<String>,
    pub calls: i64,
    pub achieved: i64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct Variable {
    pub name: String,
    pub filled: i64,
    /// Filled calls over calls in the range.
    pub fill_rate: f64,
    /// The most frequent values; empty for a variable counted as free text.
    pub top: Vec<TopValue>,
    /// The variable takes too many distinct values for its values to be counted (names,
    /// references, free text).
    pub free_text: bool,
    /// For a variable whose values are (at least 80%) numbers: their distribution.
    pub numbers: Option<Numbers>,
    /// Filled calls (and the numeric mean) per day, oldest first: how it moved over the range.
    pub by_day: Vec<VariableDay>,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct TopValue {
    pub value: String,
    pub count: i64,
}

/// Values listed per variable.
pub(super) const TOP: i64 = 5;

/// The range's days, checked: `from`, `to` (`YYYY-MM-DD`), `None` where open.
fn days(q: &StatsQuery) -> Result<[Option<&str>; 2]> {
    let mut out = [None, None];
    for (i, day) in [&q.from, &q.to].into_iter().enumerate() {
        if let Some(d) = day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            if crate::time::day_start_ms(d).is_none() {
                return Err(StoreError::NotFound(format!("{d:?} is not a date; use YYYY-MM-DD")));
            }
            out[i] = Some(d);
        }
    }
    Ok(out)
}

/// The WHERE clause over a summary table's `day` (unless `with_days` is false), `status`,
/// `campaign` columns.
fn filters(q: &StatsQuery, with_days: bool) -> Result<(String, Vec<SqlValue>)> {
    let mut w = vec!["1".to_string()];
    let mut p = Vec::new();
    let range = days(q)?;
    for (day, op) in range.into_iter().zip([">=", "<="]) {
        if let Some(d) = day.filter(|_| with_days) {
            w.push(format!("day {op} ?"));
            p.push(SqlValue::Text(d.to_string()));
        }
    }
    if let Some(c) = q.campaign.as_deref().filter(|c| !c.is_empty()) {
        w.push("campaign = ?".into());
        p.push(SqlValue::Text(c.to_string()));
    }
    let statuses: Vec<&String> = q.statuses.iter().filter(|s| !s.is_empty()).collect();
    if !statuses.is_empty() {
        w.push(format!("status IN ({})", vec!["?"; statuses.len()].join(", ")));
        p.extend(statuses.into_iter().map(|s| SqlValue::Text(if s == "unknown" { String::new() } else { s.clone() })));
    }
    Ok((w.join(" AND "), p))
}

/// The figures for `q`. Run [`super::catch_up`] first for the variables to include the latest
/// deliveries.
pub fn stats(conn: &Connection, q: &StatsQuery) -> Result<Stats> {
    let source = source(conn, q, true)?;
    figures(conn, q, &source)
}

/// The figures for `q` read from the per-day tallies only, as before the tallies without a day
/// (migration `0011`): what those must agree with, for the tests and the benchmark.
#[doc(hidden)]
pub fn stats_per_day(conn: &Connection, q: &StatsQuery) -> Result<Stats> {
    let source = source(conn, q, false)?;
    figures(conn, q, &source)
}

/// The figures for `q` read from the rows of the calls it selects, as for a search, whatever
/// its filters: what the tallies must agree with, for the tests.
#[doc(hidden)]
pub fn stats_from_calls(conn: &Connection, q: &StatsQuery) -> Result<Stats> {
    let source = calls_source(conn, q)?;
    figures(conn, q, &source)
}

/// Where `q`'s figures come from (see [`super::source`]); `totals`: the tallies without a day and
/// the variables' course may be used.
fn source(conn: &Connection, q: &StatsQuery, totals: bool) -> Result<Source> {
    if q.follows_calls() {
        return calls_source(conn, q);
    }
    let (w, p) = filters(q, true)?;
    let (keys_w, keys_p) = filters(q, false)?;
    let [from, to] = days(q)?;
    let whole = totals && {
        // Every per-day tally's days are days of `call_tally` (its rows are never deleted).
        let (first, last): (Option<String>, Option<String>) = conn
            .prepare_cached("SELECT min(day), max(day) FROM call_tally")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let before = |d: Option<&str>, first: &Option<String>| match (d, first) {
            (None, _) | (_, None) => true,
            (Some(d), Some(f)) => d <= f.as_str(),
        };
        before(from, &first) && (to.is_none() || last.is_none() || to >= last.as_deref())
    };
    let course = totals && q.campaign.as_deref().is_none_or(str::is_empty) && q.statuses.iter().all(|s| s.is_empty());
    Ok(Source::Tallies { w, p, keys_w, keys_p, whole, course })
}

/// The ids of the calls `q` selects, with the log's own filters (days as local days, like the
/// tallies'; statuses with `unknown` for none and the campaign as in the tallies).
fn calls_source(conn: &Connection, q: &StatsQuery) -> Result<Source> {
    super::source::register(conn)?;
    let [from, to] = days(q)?;
    let zone = super::zone::recorded(conn)?;
    let call_query = crate::query::CallQuery {
        search: q.search.clone(),
        from_ms: from.and_then(|d| super::zone::day_start_ms(d, &zone)),
        to_ms: to.and_then(|d| super::zone::day_end_ms(d, &zone)),
        objective: q.objective,
        has_recording: q.has_recording,
        phone: q.phone.clone(),
        recovered: q.recovered,
        tags: q.tags.clone(),
        review_state: q.review_state,
        reviewer: q.reviewer.clone(),
        vars: q.vars.clone(),
        ..Default::default()
    };
    let (mut w, mut p) = crate::query::conditions(conn, &call_query)?;
    if let Some(c) = q.campaign.as_deref().filter(|c| !c.is_empty()) {
        w.push("ifnull(campaign, '') = ?".into());
        p.push(SqlValue::Text(c.to_string()));
    }
    let statuses: Vec<&String> = q.statuses.iter().filter(|s| !s.is_empty()).collect();
    if !statuses.is_empty() {
        w.push(format!("ifnull(status, '') IN ({})", vec!["?"; statuses.len()].join(", ")));
        p.extend(statuses.into_iter().map(|s| SqlValue::Text(if s == "unknown" { String::new() } else { s.clone() })));
    }
    let where_sql = if w.is_empty() { String::new() } else { format!("WHERE {}", w.join(" AND ")) };
    let ids: Vec<i64> = conn
        .prepare_cached(&format!("SELECT id FROM calls {where_sql}"))?
        .query_map(params_from_iter(p), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Source::Calls { ids: serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()) })
}

fn figures(conn: &Connection, q: &StatsQuery, source: &Source) -> Result<Stats> {
    let mut by_day: Vec<Day> = Vec::new();
    let (mut achieved, mut judged) = (0, 0);
    {
        let (from, w, p) = source.read(Tally::Call);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT day, status, sum(calls), sum(achieved), sum(judged) FROM {from} WHERE {w}
             GROUP BY day, status HAVING sum(calls) > 0 ORDER BY day, status"
        ))?;
        let mut rows = stmt.query(params_from_iter(p.iter()))?;
        while let Some(r) = rows.next()? {
            let (day, status, calls, a, j): (String, String, i64, i64, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            achieved += a;
            judged += j;
            if by_day.last().map(|d| d.day != day).unwrap_or(true) {
                by_day.push(Day { day, calls: 0, achieved: 0, by_status: BTreeMap::new() });
            }
            if let Some(d) = by_day.last_mut() {
                d.calls += calls;
                d.achieved += a;
                let status = if status.is_empty() { "unknown".to_string() } else { status };
                *d.by_status.entry(status).or_default() += calls;
            }
        }
    }
    let calls: i64 = by_day.iter().map(|d| d.calls).sum();

    let buckets: Vec<(i64, i64)> = {
        let (from, w, p) = source.read(Tally::Duration);
        conn.prepare_cached(&format!(
            "SELECT bucket, sum(calls) FROM {from} WHERE {w} GROUP BY bucket HAVING sum(calls) > 0 ORDER BY bucket"
        ))?
        .query_map(params_from_iter(p.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?
    };

    let by_campaign: Vec<Campaign> = {
        let (from, w, p) = source.read(Tally::Call);
        conn.prepare_cached(&format!(
            "SELECT campaign, sum(calls), sum(achieved), sum(judged) FROM {from} WHERE {w}
             GROUP BY campaign HAVING sum(calls) > 0 ORDER BY sum(calls) DESC, campaign"
        ))?
        .query_map(params_from_iter(p.iter()), |r| {
            let campaign: String = r.get(0)?;
            let judged: i64 = r.get(3)?;
            let achieved: i64 = r.get(2)?;
            Ok(Campaign {
                campaign: (!campaign.is_empty()).then_some(campaign),
                calls: r.get(1)?,
                achieved,
                rate: (judged > 0).then(|| achieved as f64 / judged as f64),
            })
        })?
        .collect::<rusqlite::Result<_>>()?
    };

    let variables = match source.ids() {
        Some(ids) => super::matching::variables(conn, ids, calls)?,
        None => tally_variables(conn, source, calls)?,
    };

    let by_assistant: Vec<Assistant> = {
        let (from, w, p) = source.read(Tally::Assistant);
        conn.prepare_cached(&format!(
            "SELECT assistant, sum(calls), sum(achieved), sum(judged) FROM {from} WHERE {w}
             GROUP BY assistant HAVING sum(calls) > 0 ORDER BY sum(calls) DESC, assistant"
        ))?
        .query_map(params_from_iter(p.iter()), |r| {
            let assistant: String = r.get(0)?;
            let (achieved, judged): (i64, i64) = (r.get(2)?, r.get(3)?);
            Ok(Assistant {
                assistant: (!assistant.is_empty()).then_some(assistant),
                calls: r.get(1)?,
                achieved,
                rate: (judged > 0).then(|| achieved as f64 / judged as f64),
            })
        })?
        .collect::<rusqlite::Result<_>>()?
    };

    Ok(Stats {
        calls,
        by_day,
        objective_rate: wilson(achieved, judged),
        duration: durations(&buckets),
        by_campaign,
        by_assistant,
        by_hour: by_hour(conn, source)?,
        review: review_days(conn, q, source)?,
        variables,
    })
}

/// The variables' figures from the tallies.
fn tally_variables(conn: &Connection, source: &Source, calls: i64) -> Result<Vec<Variable>> {
    let mut variables: Vec<Variable> = {
        let (from, w, p) = source.read(Tally::Fill);
        conn.prepare_cached(&format!(
            "SELECT name, sum(calls), ifnull((SELECT free_text FROM variable_names n WHERE n.name = f.name), 0)
             FROM {from} f WHERE {w} GROUP BY name HAVING sum(calls) > 0 ORDER BY sum(calls) DESC, name"
        ))?
        .query_map(params_from_iter(p.iter()), |r| {
            let filled: i64 = r.get(1)?;
            Ok(Variable {
                name: r.get(0)?,
                filled,
                fill_rate: if calls > 0 { filled as f64 / calls as f64 } else { 0.0 },
                top: Vec::new(),
                free_text: r.get(2)?,
                numbers: None,
                by_day: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    {
        let (from, w, p) = source.read(Tally::Values);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT name, value, n FROM (
                 SELECT name, value, sum(calls) AS n,
                        row_number() OVER (PARTITION BY name ORDER BY sum(calls) DESC, value) AS rank
                 FROM {from} WHERE {w} GROUP BY name, value HAVING sum(calls) > 0)
             WHERE rank <= {TOP} ORDER BY name, rank"
        ))?;
        let mut rows = stmt.query(params_from_iter(p.iter()))?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            if let Some(v) = variables.iter_mut().find(|v| v.name == name) {
                v.top.push(TopValue { value: r.get(1)?, count: r.get(2)? });
            }
        }
    }

    let filled: BTreeMap<String, i64> = variables.iter().map(|v| (v.name.clone(), v.filled)).collect();
    let mut numbers = super::numbers::distributions(conn, source, &filled)?;
    let mut days = super::numbers::by_day(conn, source)?;
    for v in &mut variables {
        v.numbers = numbers.remove(&v.name);
        v.by_day = days.remove(&v.name).unwrap_or_default();
    }
    Ok(variables)
}

/// The heat map: calls per local weekday and local hour (the tallies' own keys, so right on both
/// sides of a change of daylight saving time).
fn by_hour(conn: &Connection, source: &Source) -> Result<Vec<HourCell>> {
    let (from, w, p) = source.read(Tally::Hour);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT weekday, hour, sum(calls) FROM {from} WHERE {w} GROUP BY 1, 2 HAVING sum(calls) > 0"
    ))?;
    let mut cells = [[0_i64; 24]; 7];
    let mut rows = stmt.query(params_from_iter(p.iter()))?;
    while let Some(r) = rows.next()? {
        let (weekday, hour, calls): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        if let (Some(row), true) = (cells.get_mut(weekday as usize), (0..24).contains(&hour)) {
            row[hour as usize] += calls;
        }
    }
    Ok(cells
        .iter()
        .enumerate()
        .flat_map(|(d, hours)| {
            hours.iter().enumerate().filter(|(_, &c)| c > 0).map(move |(h, &calls)| HourCell {
                weekday: d as u8,
                hour: h as u8,
                calls,
            })
        })
        .collect())
}

/// Reviewed and flagged calls per local day of the mark, among the calls the filters select. Reads the
/// review file's state table (one row per call and reviewer, so small) joined to the calls.
fn review_days(conn: &Connection, q: &StatsQuery, source: &Source) -> Result<Vec<ReviewDay>> {
    let attached: bool = conn
        .query_row("SELECT 1 FROM pragma_database_list WHERE name = 'review'", [], |_| Ok(()))
        .map(|_| true)
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(false) } else { Err(e) })?;
    if !attached {
        return Ok(Vec::new());
    }
    let (w, p) = match source.ids() {
        Some(ids) => ("c.id IN (SELECT value FROM json_each(?))".to_string(), vec![SqlValue::Text(ids.to_string())]),
        None => {
            let (w, p) = filters(q, true)?;
            let w = w
                .replace("day ", "local_day(c.sort_ms, (SELECT zone FROM tally_zone)) ")
                .replace("campaign = ?", "ifnull(c.campaign, '') = ?")
                .replace("status IN", "ifnull(c.status, '') IN");
            (w, p)
        }
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT local_day(CAST(strftime('%s', s.at) AS INTEGER) * 1000, (SELECT zone FROM tally_zone)),
                count(DISTINCT s.call_id) FILTER (WHERE s.state = 'reviewed'),
                count(DISTINCT s.call_id) FILTER (WHERE s.state = 'flagged')
         FROM review.review_states s JOIN calls c ON c.id = s.call_id
         WHERE s.state IN ('reviewed', 'flagged') AND {w} GROUP BY 1 ORDER BY 1"
    ))?;
    let days = stmt
        .query_map(params_from_iter(p.iter()), |r| {
            Ok(ReviewDay { day: r.get(0)?, reviewed: r.get(1)?, flagged: r.get(2)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(days)
}

/// The achieved share with its Wilson score interval at 95% (z = 1.96): unlike the normal
/// approximation it stays within [0, 1] and is honest for a handful of calls.
pub fn wilson(achieved: i64, judged: i64) -> Rate {
    if judged <= 0 {
        return Rate { rate: None, low: None, high: None, achieved, judged };
    }
    let (x, n, z) = (achieved as f64, judged as f64, 1.96_f64);
    let p = x / n;
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Rate { rate: Some(p), low: Some((center - half).max(0.0)), high: Some((center + half).min(1.0)), achieved, judged }
}

/// The width of the duration bucket that starts at `from` (see the migration).
fn bucket_width(from: i64) -> i64 {
    match from {
        f if f < 60 => 1,
        f if f < 600 => 5,
        f if f < 3600 => 30,
        _ => 300,
    }
}

fn durations(buckets: &[(i64, i64)]) -> Durations {
    let unknown = buckets.iter().filter(|b| b.0 < 0).map(|b| b.1).sum();
    let known: Vec<Bucket> = buckets
        .iter()
        .filter(|b| b.0 >= 0)
        .map(|&(from, calls)| Bucket { from, to: from + bucket_width(from), calls })
        .collect();
    let total: i64 = known.iter().map(|b| b.calls).sum();
    let quantile = |q: f64| -> Option<f64> {
        if total == 0 {
            return None;
        }
        // The nearest rank (the ⌈q·total⌉-th shortest call), its calls taken as spread evenly
        // from the start of their bucket.
        let rank = ((q * total as f64).ceil() as i64).max(1);
        let mut before = 0;
        for b in &known {
            if before + b.calls >= rank {
                if b.to - b.from == 1 {
                    return Some(b.from as f64);
                }
                let k = (rank - before - 1) as f64 / b.calls as f64;
                return Some(((b.from as f64 + k * (b.to - b.from) as f64) * 10.0).round() / 10.0);
            }
            before += b.calls;
        }
        known.last().map(|b| b.to as f64)
    };
    Durations { median: quantile(0.5), p90: quantile(0.9), histogram: known, unknown }
}

#[cfg(test)]
mod tests {
    use super::super::{catch_up_on, test_support::deliver};
    use super::*;
    use crate::ingest::Source;
    use serde_json::json;

    #[test]
    fn wilson_matches_the_textbook_figures() {
        // 8 of 10: 0.8, Wilson 95% interval 0.490–0.943.
        let r = wilson(8, 10);
        assert_eq!(r.rate, Some(0.8));
        assert!((r.low.expect("low") - 0.4902).abs() < 1e-3, "{r:?}");
        assert!((r.high.expect("high") - 0.9433).abs() < 1e-3, "{r:?}");
        let all = wilson(5, 5);
        assert_eq!(all.high, Some(1.0));
        assert!(all.low.expect("low") > 0.5 && all.low.expect("low") < 0.6, "{all:?}");
        assert_eq!(wilson(0, 0).rate, None);
    }

    #[test]
    fn quantiles_stay_within_a_bucket_of_the_exact_figure() {
        // 1..=1000 s: median 500, p90 900.
        let mut buckets: BTreeMap<i64, i64> = BTreeMap::new();
        for d in 1..=1000_i64 {
            let b = match d {
                d if d < 60 => d,
                d if d < 600 => d - d % 5,
                d if d < 3600 => d - d % 30,
                d => d - d % 300,
            };
            *buckets.entry(b).or_default() += 1;
        }
        let d = durations(&buckets.into_iter().collect::<Vec<_>>());
        assert!((d.median.expect("median") - 500.0).abs() <= 5.0, "{:?}", d.median);
        assert!((d.p90.expect("p90") - 900.0).abs() <= 30.0, "{:?}", d.p90);
        let short = durations(&[(12, 3), (40, 1)]);
        assert_eq!(short.median, Some(12.0), "exact seconds under a minute");
    }

    fn call(
        id: i64,
        day: &str,
        status: &str,
        campaign: Option<&str>,
        achieved: Option<bool>,
        duration: i64,
    ) -> serde_json::Value {
        let mut v = json!({"id": id, "status": status, "duration": duration,
            "created_at": format!("{day}T10:00:00Z"),
            "extracted_variables": {"lead_quality": if id % 2 == 0 { "high" } else { "low" }}});
        if let Some(a) = achieved {
            v["extracted_variables"]["status"] = json!(a);
        }
        if let Some(c) = campaign {
            v["campaign"] = json!({"name": c});
        }
        v
    }

    #[test]
    fn hours_follow_the_local_zone_and_assistants_and_reviews_are_counted() {
        let mut conn = crate::store::open_in_memory().expect("db");
        let at = |id: i64, when: &str, assistant: Option<&str>| {
            json!({"id": id, "status": "completed", "created_at": when, "assistant_phone": assistant,
                   "extracted_variables": {"status": id != 3}})
        };
        // Saturday 10:00 and 10:20 UTC by one assistant; Sunday 23:30 UTC without one.
        deliver(&conn, Source::Webhook, &at(1, "2025-03-01T10:00:00Z", Some("+15550001")), 1);
        deliver(&conn, Source::Webhook, &at(2, "2025-03-01T10:20:00Z", Some("+15550001")), 2);
        deliver(&conn, Source::Webhook, &at(3, "2025-03-02T23:30:00Z", None), 3);
        catch_up_on(&mut conn).expect("pass");
        let mut cells = |zone: &str| {
            super::super::zone::rebuild(&mut conn, zone).expect("rebuild");
            let s = stats(&conn, &StatsQuery::default()).expect("stats");
            s.by_hour.iter().map(|c| (c.weekday, c.hour, c.calls)).collect::<Vec<_>>()
        };
        // An hour east: Sunday 23:30 UTC is Monday 00:30 there.
        assert_eq!(cells("Europe/Paris"), [(0, 0, 1), (5, 11, 2)]);
        // Five and a half hours east: 10:00 and 10:20 UTC are 15:30 and 15:50, Sunday 23:30 UTC is
        // Monday 05:00.
        assert_eq!(cells("Asia/Kolkata"), [(0, 5, 1), (5, 15, 2)]);
        assert_eq!(cells("UTC"), [(5, 10, 2), (6, 23, 1)]);

        let s = stats(&conn, &StatsQuery::default()).expect("stats");
        let by: Vec<_> = s.by_assistant.iter().map(|a| (a.assistant.as_deref(), a.calls, a.rate)).collect();
        assert_eq!(by, [(Some("+15550001"), 2, Some(1.0)), (None, 1, Some(0.0))]);
        // A later delivery moves call 2 to another assistant and hour.
        deliver(&conn, Source::Webhook, &at(2, "2025-03-01T14:00:00Z", Some("+15550002")), 4);
        catch_up_on(&mut conn).expect("pass");
        let s = stats(&conn, &StatsQuery::default()).expect("stats");
        assert_eq!(s.by_assistant.iter().map(|a| a.calls).collect::<Vec<_>>(), [1, 1, 1]);
        assert_eq!(
            s.by_hour.iter().map(|c| (c.weekday, c.hour, c.calls)).collect::<Vec<_>>(),
            [(5, 10, 1), (5, 14, 1), (6, 23, 1)]
        );

        // Review progress: two reviewers marking the same call count it once; filters apply.
        for (call, reviewer, state, at) in [
            (1, "a@x", "reviewed", "2025-03-04T09:00:00Z"),
            (1, "b@x", "reviewed", "2025-03-04T10:00:00Z"),
            (2, "a@x", "flagged", "2025-03-04T11:00:00Z"),
            (3, "a@x", "in_review", "2025-03-05T11:00:00Z"),
        ] {
            conn.execute(
                "INSERT INTO review.review_states (call_id, reviewer, reviewer_name, state, at) VALUES (?1, ?2, '', ?3, ?4)",
                rusqlite::params![call, reviewer, state, at],
            )
            .expect("state");
        }
        let s = stats(&conn, &StatsQuery::default()).expect("stats");
        assert_eq!(s.review, [ReviewDay { day: "2025-03-04".into(), reviewed: 1, flagged: 1 }]);
        let later = StatsQuery { from: Some("2025-03-02".into()), ..Default::default() };
        assert!(stats(&conn, &later).expect("stats").review.is_empty(), "calls 1 and 2 are from March 1");
    }

    #[test]
    fn figures_follow_the_filters_and_later_deliveries() {
        let mut conn = crate::store::open_in_memory().expect("db");
        deliver(&conn, Source::Webhook, &call(1, "2025-03-01", "completed", Some("Spring"), Some(true), 30), 1);
        deliver(&conn, Source::Webhook, &call(2, "2025-03-01", "busy", None, None, 0), 2);
        deliver(&conn, Source::Webhook, &call(3, "2025-03-02", "completed", Some("Spring"), Some(false), 90), 3);
        deliver(&conn, Source::Webhook, &call(4, "2025-03-03", "completed", Some("Autumn"), Some(true), 45), 4);
        catch_up_on(&mut conn).expect("pass");

        let all = stats(&conn, &StatsQuery::default()).expect("stats");
        assert_eq!(all.calls, 4);
        assert_eq!(all.by_day.len(), 3);
        assert_eq!(all.by_day[0].by_status, BTreeMap::from([("busy".into(), 1), ("completed".into(), 1)]));
        assert_eq!((all.objective_rate.achieved, all.objective_rate.judged), (2, 3));
        assert_eq!(all.by_campaign[0].campaign.as_deref(), Some("Spring"));
        assert_eq!(all.by_campaign.iter().find(|c| c.campaign.is_none()).map(|c| c.calls), Some(1));
        assert_eq!(all.duration.median, Some(30.0));
        let lq = all.variables.iter().find(|v| v.name == "lead_quality").expect("variable");
        assert_eq!(lq.fill_rate, 1.0);
        assert_eq!(lq.top, [TopValue { value: "high".into(), count: 2 }, TopValue { value: "low".into(), count: 2 }]);

        let spring =
            StatsQuery { campaign: Some("Spring".into()), from: Some("2025-03-02".into()), ..Default::default() };
        let s = stats(&conn, &spring).expect("stats");
        assert_eq!(s.calls, 1);
        assert_eq!(s.by_day[0].day, "2025-03-02");
        assert_eq!(s.objective_rate.rate, Some(0.0));
        assert_eq!(s.duration.median, Some(90.0));
        assert_eq!(s.variables[0].top, [TopValue { value: "low".into(), count: 1 }]);

        // Call 2 is delivered again, completed and achieved: it moves in every tally.
        deliver(
            &conn,
            Source::Webhook,
            &json!({"id": 2, "status": "completed", "duration": 50,
            "extracted_variables": {"status": true, "lead_quality": "low"}}),
            5,
        );
        catch_up_on(&mut conn).expect("pass");
        let done =
            stats(&conn, &StatsQuery { statuses: vec!["completed".into()], ..Default::default() }).expect("stats");
        assert_eq!(done.calls, 4);
        assert_eq!((done.objective_rate.achieved, done.objective_rate.judged), (3, 4));
        assert_eq!(done.duration.unknown, 0);
        let lq = done.variables.iter().find(|v| v.name == "lead_quality").expect("variable");
        assert_eq!(lq.top, [TopValue { value: "low".into(), count: 3 }, TopValue { value: "high".into(), count: 1 }]);

        let bad = stats(&conn, &StatsQuery { from: Some("March".into()), ..Default::default() });
        assert!(bad.expect_err("bad day").to_string().contains("YYYY-MM-DD"));
    }

    fn budget_call(id: i64, day: &str, budget: serde_json::Value) -> serde_json::Value {
        json!({"id": id, "status": "completed", "created_at": format!("{day}T10:00:00Z"),
            "extracted_variables": {"budget": budget, "lead_quality": "high"}})
    }

    #[test]
    fn numeric_variables_get_a_distribution_and_a_course_by_day() {
        let mut conn = crate::store::open_in_memory().expect("db");
        // 100 calls over two days: budgets 10, 20, … 1000, some sent as strings.
        for id in 1..=100 {
            let day = if id <= 50 { "2025-03-01" } else { "2025-03-02" };
            let budget = if id % 3 == 0 { json!((id * 10).to_string()) } else { json!(id * 10) };
            deliver(&conn, Source::Webhook, &budget_call(id, day, budget), id);
        }
        catch_up_on(&mut conn).expect("pass");
        let s = stats(&conn, &StatsQuery::default()).expect("stats");
        let b = s.variables.iter().find(|v| v.name == "budget").expect("budget");
        assert!(b.free_text, "100 distinct values: too many to list, still a distribution");
        let n = b.numbers.as_ref().expect("numeric");
        assert_eq!(n.count, 100);
        assert!((n.mean - 505.0).abs() < 1e-9, "{}", n.mean);
        let (median, p90) = (n.median.expect("median"), n.p90.expect("p90"));
        assert!((median / 500.0 - 1.0).abs() < 0.26, "{median}");
        assert!((p90 / 900.0 - 1.0).abs() < 0.26, "{p90}");
        assert_eq!(n.histogram.iter().map(|h| h.calls).sum::<i64>(), 100);
        assert_eq!(b.by_day.len(), 2);
        assert_eq!((b.by_day[0].filled, b.by_day[1].filled), (50, 50));
        assert!((b.by_day[0].mean.expect("mean") - 255.0).abs() < 1e-9);
        assert!((b.by_day[1].mean.expect("mean") - 755.0).abs() < 1e-9);
        let lq = s.variables.iter().find(|v| v.name == "lead_quality").expect("lead_quality");
        assert!(lq.numbers.is_none(), "text is not numeric");
        assert_eq!(lq.by_day.len(), 2);

        // A later delivery changes a value: the old one leaves the tallies.
        deliver(&conn, Source::Webhook, &budget_call(100, "2025-03-02", json!("unknown")), 101);
        catch_up_on(&mut conn).expect("pass");
        let day2 = StatsQuery { from: Some("2025-03-02".into()), ..Default::default() };
        let s = stats(&conn, &day2).expect("stats");
        let b = s.variables.iter().find(|v| v.name == "budget").expect("budget");
        let n = b.numbers.as_ref().expect("49 of 50 are numbers");
        assert_eq!(n.count, 49);
        assert!((n.mean - (755.0 * 50.0 - 1000.0) / 49.0).abs() < 1e-9, "{}", n.mean);

        // A folder tallied before the numbers existed fills them once from its variables.
        conn.execute_batch("DELETE FROM variable_numbers; DELETE FROM insights_state WHERE name = 'numbers';")
            .expect("as before the upgrade");
        assert!(stats(&conn, &day2).expect("stats").variables.iter().all(|v| v.numbers.is_none()));
        catch_up_on(&mut conn).expect("pass");
        let again = stats(&conn, &day2).expect("stats");
        assert_eq!(again.variables, s.variables);
    }
}
