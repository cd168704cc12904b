//! What the benchmark measures of insights (`postcall-bench`): the pass over the journal once,
//! then `stats` with the dashboard's usual filters, against a baseline that computes the same
//! call figures straight from `calls` (what the summary tables save), each with its p50/p95 and
//! the CPU one query takes, and beside each the same figures read from the per-day tallies only
//! (as before the tallies without a day), with whether both agree. The search cases are the
//! dashboard following the log's search (the matching calls' rows, see `source.rs`), and a whole
//! range is broken down by statement, per day and without the day.

use std::time::Instant;

use rusqlite::Connection;
use serde_json::{json, Value};

use super::stats::{stats, stats_per_day, StatsQuery};
use crate::store::Result;

fn percentiles(mut ms: Vec<f64>) -> Value {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms.get(((p * (ms.len().max(1) - 1) as f64).round()) as usize).copied().unwrap_or(f64::NAN);
    json!({"p50_ms": (at(0.5) * 1000.0).round() / 1000.0, "p95_ms": (at(0.95) * 1000.0).round() / 1000.0})
}

/// CPU time this thread has run, in nanoseconds (Linux; `None` elsewhere).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

fn timed(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Value> {
    let mut ms = Vec::with_capacity(runs);
    let cpu_before = thread_cpu_ns();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let cpu_us = cpu_before
        .zip(thread_cpu_ns())
        .map(|(a, b)| ((b.saturating_sub(a)) as f64 / 1000.0 / runs.max(1) as f64).round());
    let mut out = percentiles(ms);
    out["cpu_us"] = json!(cpu_us);
    Ok(out)
}

/// The call figures (per day and status, per campaign, duration median and p90) of the calls
/// `ids`, read from their rows by primary key.
fn figures_of(conn: &Connection, ids: &[i64]) -> Result<()> {
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let run = |sql: &str| -> Result<()> {
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query([&list])?;
        while rows.next()?.is_some() {}
        Ok(())
    };
    run("SELECT local_day(sort_ms, (SELECT zone FROM tally_zone)), status, count(*), count(*) FILTER (WHERE objective IS 1),
                count(objective) FROM calls WHERE id IN (SELECT value FROM json_each(?1)) GROUP BY 1, 2")?;
    run("SELECT campaign, count(*), count(*) FILTER (WHERE objective IS 1) FROM calls
         WHERE id IN (SELECT value FROM json_each(?1)) GROUP BY 1")?;
    run("SELECT duration FROM calls WHERE id IN (SELECT value FROM json_each(?1)) AND duration IS NOT NULL
         ORDER BY duration")?;
    Ok(())
}

/// The calls-per-day, objective, duration and campaign figures computed from `calls` itself.
fn baseline(conn: &Connection, q: &StatsQuery) -> Result<()> {
    let mut w = vec!["1".to_string()];
    let mut p: Vec<String> = Vec::new();
    let zone = super::zone::recorded(conn)?;
    if let Some(from) = q.from.as_deref().and_then(|d| super::zone::day_start_ms(d, &zone)) {
        w.push(format!("sort_ms >= {from}"));
    }
    if let Some(to) = q.to.as_deref().and_then(|d| super::zone::day_end_ms(d, &zone)) {
        w.push(format!("sort_ms < {to}"));
    }
    if let Some(c) = &q.campaign {
        w.push("campaign = ?1".into());
        p.push(c.clone());
    }
    let w = w.join(" AND ");
    let run = |sql: String| -> Result<()> {
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(p.iter()))?;
        while rows.next()?.is_some() {}
        Ok(())
    };
    run(format!(
        "SELECT local_day(sort_ms, (SELECT zone FROM tally_zone)), status, count(*), count(*) FILTER (WHERE objective IS 1),
                count(objective) FROM calls WHERE {w} GROUP BY 1, 2"
    ))?;
    run(format!("SELECT campaign, count(*), count(*) FILTER (WHERE objective IS 1) FROM calls WHERE {w} GROUP BY 1"))?;
    let n: i64 = conn.query_row(
        &format!("SELECT count(duration) FROM calls WHERE {w}"),
        rusqlite::params_from_iter(p.iter()),
        |r| r.get(0),
    )?;
    for q in [0.5, 0.9] {
        run(format!(
            "SELECT duration FROM calls WHERE {w} AND duration IS NOT NULL ORDER BY duration LIMIT 1 OFFSET {}",
            ((n as f64 * q) as i64).max(0)
        ))?;
    }
    Ok(())
}

/// Each statement of the whole range's figures, read per day and without the day: where a
/// whole-range query's time goes.
fn parts(conn: &Connection, runs: usize) -> Result<Value> {
    const PARTS: &[(&str, &str, &str)] = &[
        ("calls per day and status", "SELECT day, status, sum(calls) FROM call_tally GROUP BY 1, 2", ""),
        ("campaigns", "SELECT campaign, sum(calls) FROM call_tally GROUP BY 1", ""),
        (
            "durations",
            "SELECT bucket, sum(calls) FROM duration_tally GROUP BY 1",
            "SELECT bucket, sum(calls) FROM duration_total GROUP BY 1",
        ),
        (
            "assistants",
            "SELECT assistant, sum(calls), sum(achieved) FROM assistant_tally GROUP BY 1",
            "SELECT assistant, sum(calls), sum(achieved) FROM assistant_total GROUP BY 1",
        ),
        (
            "weekday × hour",
            "SELECT (CAST(strftime('%w', day) AS INTEGER) + 6) % 7, hour, sum(calls) FROM hour_tally GROUP BY 1, 2",
            "SELECT weekday, hour, sum(calls) FROM hour_total GROUP BY 1, 2",
        ),
        (
            "variables filled",
            "SELECT name, sum(calls) FROM variable_fill GROUP BY 1",
            "SELECT name, sum(calls) FROM variable_fill_total GROUP BY 1",
        ),
        (
            "top values",
            "SELECT name, value, sum(calls) FROM variable_values GROUP BY 1, 2",
            "SELECT name, value, sum(calls) FROM variable_value_total GROUP BY 1, 2",
        ),
        (
            "numbers",
            "SELECT name, bucket, sum(calls), sum(total) FROM variable_numbers GROUP BY 1, 2",
            "SELECT name, bucket, sum(calls), sum(total) FROM variable_number_total GROUP BY 1, 2",
        ),
        (
            "variables per day",
            "SELECT f.name, f.day, f.filled, n.calls FROM (SELECT name, day, sum(calls) AS filled FROM variable_fill
             GROUP BY 1, 2) f LEFT JOIN (SELECT name, day, sum(calls) AS calls FROM variable_numbers GROUP BY 1, 2) n
             ON n.name = f.name AND n.day = f.day",
            "SELECT name, day, filled, numbers FROM variable_course",
        ),
    ];
    let mut out = Vec::new();
    for (part, per_day, total) in PARTS {
        let run = |sql: &str| -> Result<Value> {
            let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0))?;
            let mut t = timed(runs, || {
                let mut stmt = conn.prepare_cached(sql)?;
                let mut rows = stmt.query([])?;
                while rows.next()?.is_some() {}
                Ok(())
            })?;
            t["groups"] = json!(rows);
            Ok(t)
        };
        out.push(json!({"part": part, "per_day": run(per_day)?,
            "without_day": if total.is_empty() { Value::Null } else { run(total)? }}));
    }
    Ok(Value::Array(out))
}

/// What a change of the machine's zone costs (see `zone.rs`): the tallies rebuilt for another
/// zone, timed once (wall and this thread's CPU), then rebuilt back.
fn zone_rebuild(conn: &mut Connection) -> Result<Value> {
    let zone = super::zone::recorded(conn)?;
    let other = if zone == "Asia/Kolkata" { "America/New_York" } else { "Asia/Kolkata" };
    let calls: i64 = conn.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?;
    let cpu = thread_cpu_ns();
    let started = Instant::now();
    super::zone::rebuild(conn, other)?;
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let cpu_ms = cpu.zip(thread_cpu_ns()).map(|(a, b)| (b.saturating_sub(a) / 1_000_000) as f64);
    super::zone::rebuild(conn, &zone)?;
    Ok(json!({"calls": calls, "from": zone, "to": other, "wall_ms": wall_ms.round(), "cpu_ms": cpu_ms}))
}

/// Runs the pass (timed once), then each query kind `runs` times with both methods.
pub fn measure(conn: &mut Connection, runs: usize) -> Result<Value> {
    let started = Instant::now();
    let read = super::catch_up_on(conn)?;
    let pass_s = started.elapsed().as_secs_f64();
    let (first, last): (Option<String>, Option<String>) =
        conn.query_row("SELECT min(day), max(day) FROM call_tally", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let campaign: Option<String> = conn
        .query_row(
            "SELECT campaign FROM call_tally WHERE campaign <> '' GROUP BY 1 ORDER BY sum(calls) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok();
    // A month at the end of the data, as a dashboard would show by default.
    let month_from = last
        .as_deref()
        .and_then(crate::time::day_start_ms)
        .map(|ms| crate::time::ms_to_rfc3339(ms - 29 * 86_400_000).chars().take(10).collect::<String>());
    let status: Option<String> = conn
        .query_row(
            "SELECT status FROM call_tally WHERE status <> '' GROUP BY 1 ORDER BY sum(calls) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok();
    let kinds = [
        ("everything", StatsQuery::default()),
        ("one status", StatsQuery { statuses: status.into_iter().collect(), ..Default::default() }),
        ("last 30 days", StatsQuery { from: month_from.clone(), to: last.clone(), ..Default::default() }),
        ("one campaign", StatsQuery { campaign: campaign.clone(), ..Default::default() }),
        (
            "30 days, one campaign, completed",
            StatsQuery {
                from: month_from,
                to: last.clone(),
                campaign,
                statuses: vec!["completed".into()],
                ..Default::default()
            },
        ),
    ];
    let mut out = Vec::new();
    for (kind, q) in kinds {
        let s = stats(conn, &q)?;
        let same = s == stats_per_day(conn, &q)?;
        let with_tables = timed(runs, || stats(conn, &q).map(drop))?;
        let per_day = timed(runs, || stats_per_day(conn, &q).map(drop))?;
        let plain = timed(runs.min(10), || baseline(conn, &q))?;
        let ratio =
            plain["p95_ms"].as_f64().zip(with_tables["p95_ms"].as_f64()).map(|(b, t)| (b / t * 10.0).round() / 10.0);
        out.push(json!({"kind": kind, "calls": s.calls, "days": s.by_day.len(), "variables": s.variables.len(),
            "stats": with_tables, "stats_per_day_tallies": per_day, "same_figures": same,
            "baseline_from_calls": plain, "baseline_over_stats_p95": ratio}));
    }
    // The log's search filter: the dashboard's figures of the calls it matches (as many as the
    // log considers), beside what the same figures cost read from those calls' rows by hand.
    for word in ["warranty", "postcode"] {
        let q = StatsQuery { search: Some(word.to_string()), ..Default::default() };
        let s = stats(conn, &q)?;
        let following = timed(runs, || stats(conn, &q).map(drop))?;
        let lookup_and_figures = timed(runs, || {
            let ids = crate::search::matching_call_ids(conn, word, crate::query::SEARCH_FILTER_CAP)?;
            figures_of(conn, &ids)
        })?;
        out.push(json!({"kind": format!("search {word:?}"), "calls": s.calls, "stats": following,
            "lookup_and_call_figures_only": lookup_and_figures}));
    }
    out.push(json!({"kind": "whole range, by part", "parts": parts(conn, runs)?}));
    let count = |tables: &[&str]| -> Result<i64> {
        let sql = tables.iter().map(|t| format!("(SELECT count(*) FROM {t})")).collect::<Vec<_>>().join(" + ");
        Ok(conn.query_row(&format!("SELECT {sql}"), [], |r| r.get(0))?)
    };
    let per_day = count(&[
        "call_tally",
        "duration_tally",
        "hour_tally",
        "assistant_tally",
        "variable_fill",
        "variable_values",
        "variable_numbers",
    ])?;
    let without_day = count(&[
        "duration_total",
        "hour_total",
        "assistant_total",
        "variable_fill_total",
        "variable_value_total",
        "variable_number_total",
        "variable_course",
    ])?;
    Ok(json!({"pass": {"deliveries": read, "seconds": (pass_s * 1000.0).round() / 1000.0},
        "days": [first, last], "summary_rows": {"per_day": per_day, "without_day_and_course": without_day},
        "zone_rebuild": zone_rebuild(conn)?, "queries": out}))
}
