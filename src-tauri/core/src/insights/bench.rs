//! What the benchmark measures of insights (`postcall-bench`): the pass over the journal once,
//! then `stats` with the dashboard's usual filters, against a baseline that computes the same
//! call figures straight from `calls` (what the summary tables save), each with its p50/p95 and
//! the CPU one query takes. The dashboard does not follow the log's search (the summary tables
//! have no words); the search case measures what following it would cost: the search's matching
//! calls (capped as the log's search filter is), then the call figures from those rows.

use std::time::Instant;

use rusqlite::Connection;
use serde_json::{json, Value};

use super::stats::{stats, StatsQuery};
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
    run("SELECT date(sort_ms / 1000, 'unixepoch'), status, count(*), count(*) FILTER (WHERE objective IS 1),
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
    if let Some(from) = q.from.as_deref().and_then(crate::time::day_start_ms) {
        w.push(format!("sort_ms >= {from}"));
    }
    if let Some(to) = q.to.as_deref().and_then(crate::time::day_start_ms) {
        w.push(format!("sort_ms < {}", to + 86_400_000));
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
        "SELECT date(sort_ms / 1000, 'unixepoch'), status, count(*), count(*) FILTER (WHERE objective IS 1),
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
        let with_tables = timed(runs, || stats(conn, &q).map(drop))?;
        let plain = timed(runs.min(10), || baseline(conn, &q))?;
        let ratio =
            plain["p95_ms"].as_f64().zip(with_tables["p95_ms"].as_f64()).map(|(b, t)| (b / t * 10.0).round() / 10.0);
        out.push(json!({"kind": kind, "calls": s.calls, "days": s.by_day.len(), "variables": s.variables.len(),
            "stats": with_tables, "baseline_from_calls": plain, "baseline_over_stats_p95": ratio}));
    }
    // The log's search filter: the matching calls (as many as the log considers), then their
    // figures from `calls`.
    for word in ["warranty", "postcode"] {
        let ids = crate::search::matching_call_ids(conn, word, crate::query::SEARCH_FILTER_CAP)?;
        let lookup_and_figures = timed(runs, || {
            let ids = crate::search::matching_call_ids(conn, word, crate::query::SEARCH_FILTER_CAP)?;
            figures_of(conn, &ids)
        })?;
        out.push(json!({"kind": format!("search {word:?} (matching calls, then their figures from calls)"),
            "calls": ids.len(), "stats": lookup_and_figures}));
    }
    let rows: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM call_tally) + (SELECT count(*) FROM duration_tally)
              + (SELECT count(*) FROM variable_fill) + (SELECT count(*) FROM variable_values)",
        [],
        |r| r.get(0),
    )?;
    Ok(json!({"pass": {"deliveries": read, "seconds": (pass_s * 1000.0).round() / 1000.0},
        "days": [first, last], "summary_rows": rows, "queries": out}))
}
