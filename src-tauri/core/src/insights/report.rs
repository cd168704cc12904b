//! The human-readable output of `postcall stats` and `postcall drift` (`--json` prints the
//! structures themselves).

use super::drift::Drift;
use super::stats::Stats;
use crate::cli::{fmt_duration, print_table};

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn seconds(s: f64) -> String {
    fmt_duration(s.round() as i64)
}

pub fn print_stats(s: &Stats) {
    let range = match (s.by_day.first(), s.by_day.last()) {
        (Some(a), Some(b)) => format!(" ({} to {})", a.day, b.day),
        _ => String::new(),
    };
    println!("Calls: {}{range}", s.calls);
    let r = &s.objective_rate;
    match (r.rate, r.low, r.high) {
        (Some(rate), Some(low), Some(high)) => println!(
            "Objective achieved: {} (95% interval {}–{}; {} of {} calls with a known objective)",
            percent(rate),
            percent(low),
            percent(high),
            r.achieved,
            r.judged
        ),
        _ => println!("Objective achieved: no call with a known objective"),
    }
    match (s.duration.median, s.duration.p90) {
        (Some(m), Some(p)) => println!("Duration: median {}, p90 {}", seconds(m), seconds(p)),
        _ => println!("Duration: no call with a duration"),
    }
    println!();
    let days: Vec<Vec<String>> = s
        .by_day
        .iter()
        .map(|d| {
            let statuses: Vec<String> = d.by_status.iter().map(|(k, v)| format!("{k} {v}")).collect();
            vec![d.day.clone(), d.calls.to_string(), d.achieved.to_string(), statuses.join(", ")]
        })
        .collect();
    print_table(&["DAY", "CALLS", "ACHIEVED", "BY STATUS"], &days);
    println!();
    let campaigns: Vec<Vec<String>> = s
        .by_campaign
        .iter()
        .map(|c| {
            vec![
                c.campaign.clone().unwrap_or_else(|| "(no campaign)".into()),
                c.calls.to_string(),
                c.achieved.to_string(),
                c.rate.map(percent).unwrap_or_default(),
            ]
        })
        .collect();
    print_table(&["CAMPAIGN", "CALLS", "ACHIEVED", "RATE"], &campaigns);
    println!();
    let assistants: Vec<Vec<String>> = s
        .by_assistant
        .iter()
        .map(|a| {
            vec![
                a.assistant.clone().unwrap_or_else(|| "(unknown)".into()),
                a.calls.to_string(),
                a.achieved.to_string(),
                a.rate.map(percent).unwrap_or_default(),
            ]
        })
        .collect();
    print_table(&["ASSISTANT", "CALLS", "ACHIEVED", "RATE"], &assistants);
    println!();
    if let Some(peak) = s.by_hour.iter().max_by_key(|c| c.calls) {
        const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
        println!(
            "Busiest hour: {} {:02}:00–{:02}:00 local time ({} calls)",
            DAYS[usize::from(peak.weekday.min(6))],
            peak.hour,
            (peak.hour + 1) % 24,
            peak.calls
        );
        println!();
    }
    let variables: Vec<Vec<String>> = s
        .variables
        .iter()
        .map(|v| {
            let top = if let Some(n) = &v.numbers {
                // Three significant digits, whole numbers from 100 up.
                let fig = |x: Option<f64>| {
                    x.map(|x| {
                        let places = if x == 0.0 { 0 } else { (2 - x.abs().log10().floor() as i32).max(0) };
                        format!("{}", (x * 10f64.powi(places)).round() / 10f64.powi(places))
                    })
                };
                format!(
                    "numbers: median ~{}, p90 ~{}, mean {}",
                    fig(n.median).unwrap_or_default(),
                    fig(n.p90).unwrap_or_default(),
                    fig(Some(n.mean)).unwrap_or_default()
                )
            } else if v.free_text {
                "(free text)".to_string()
            } else {
                v.top.iter().map(|t| format!("{} {}", t.value, t.count)).collect::<Vec<_>>().join(", ")
            };
            vec![v.name.clone(), percent(v.fill_rate), top]
        })
        .collect();
    print_table(&["VARIABLE", "FILLED", "TOP VALUES / NUMBERS"], &variables);
}

pub fn print_drift(list: &[Drift]) {
    if list.is_empty() {
        println!("No change in the payloads' shape.");
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            let what = match d.change.as_str() {
                "added" => format!("added ({})", d.to.as_deref().unwrap_or("")),
                "missing" => "missing".to_string(),
                _ => format!("type {} → {}", d.from.as_deref().unwrap_or(""), d.to.as_deref().unwrap_or("")),
            };
            vec![
                d.first_seen.clone(),
                d.path.clone(),
                what,
                d.example_call_id.map(|c| c.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    print_table(&["SINCE", "FIELD", "CHANGE", "EXAMPLE CALL"], &rows);
}
