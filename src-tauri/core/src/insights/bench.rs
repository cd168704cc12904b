//! What the benchmark measures of insights (`postcall-bench`): the pass over the journal once,
//! then `stats` with the dashboard's usual filters, against a baseline that computes the same
//! call figures straight from `calls` (what the summary tables save).

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

fn timed(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Value> {
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(percentiles(ms))
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
    let kinds = [
        ("everything", StatsQuery::default()),
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
        out.push(json!({"kind": kind, "calls": s.calls, "days": s.by_day.len(), "variables": s.variables.len(),
            "stats": with_tables, "baseline_from_calls": plain}));
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
