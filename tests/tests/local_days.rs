//! `postcall stats` counts the machine's local days, the days `postcall calls --from/--to` and the
//! window's log filter by, through the real binary run with `TZ` set: calls near local midnight,
//! on both sides of a change of daylight saving time, and a zone that changes between two runs.

use std::collections::BTreeMap;
use std::path::Path;

use postcall_tests::{cli_env, data_dir};
use serde_json::{json, Value};

fn run(data: &Path, zone: &str, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    cli_env(data, &a, &[("TZ", zone)]).json()
}

/// Calls around local midnight in New York: before and after the spring change (Sunday
/// 2025-03-09, a 23-hour day) and the autumn one (Sunday 2025-11-02, 25 hours), as UTC instants.
const TIMES: &[&str] = &[
    "2025-03-08T04:30:00Z", // Fri 23:30 EST
    "2025-03-08T05:10:00Z", // Sat 00:10 EST
    "2025-03-09T04:30:00Z", // Sat 23:30 EST
    "2025-03-09T05:10:00Z", // Sun 00:10 EST
    "2025-03-10T03:30:00Z", // Sun 23:30 EDT
    "2025-03-10T04:10:00Z", // Mon 00:10 EDT
    "2025-11-02T03:30:00Z", // Sat 23:30 EDT
    "2025-11-02T04:10:00Z", // Sun 00:10 EDT
    "2025-11-03T04:30:00Z", // Sun 23:30 EST
    "2025-11-03T05:10:00Z", // Mon 00:10 EST
    "2025-06-15T18:00:00Z", // Sun 14:00 EDT, 23:30 in Kolkata
];

fn import_calls(data: &Path, zone: &str) {
    let calls: Vec<Value> = TIMES
        .iter()
        .enumerate()
        .map(|(i, at)| {
            json!({"id": i + 1, "status": if i % 3 == 0 { "busy" } else { "completed" }, "duration": 30,
                   "created_at": at, "extracted_variables": {"status": i % 2 == 0, "lead_quality": "high"}})
        })
        .collect();
    let files = data_dir();
    let path = files.path().join("calls.json");
    std::fs::write(&path, serde_json::to_vec(&calls).expect("json")).expect("write");
    let r = run(data, zone, &["import", path.to_str().expect("utf-8 path")]);
    assert_eq!(r["stored"], calls.len(), "{r}");
}

/// The calls per day of `postcall stats`, each checked against `postcall calls --from D --to D`.
fn days(data: &Path, zone: &str) -> BTreeMap<String, i64> {
    let s = run(data, zone, &["stats"]);
    let days: BTreeMap<String, i64> = s["by_day"]
        .as_array()
        .expect("by_day")
        .iter()
        .map(|d| (d["day"].as_str().expect("day").to_string(), d["calls"].as_i64().expect("calls")))
        .collect();
    assert_eq!(days.values().sum::<i64>(), TIMES.len() as i64, "{zone}: {s}");
    for (day, calls) in &days {
        let listed = run(data, zone, &["calls", "--from", day, "--to", day]);
        assert_eq!(listed.as_array().expect("calls").len() as i64, *calls, "{zone}: {day}: the bar vs the log");
        let one = run(data, zone, &["stats", "--from", day, "--to", day]);
        assert_eq!(one["calls"].as_i64(), Some(*calls), "{zone}: {day}: the range's edges");
    }
    days
}

fn cells(data: &Path, zone: &str) -> Vec<(i64, i64, i64)> {
    let s = run(data, zone, &["stats"]);
    s["by_hour"]
        .as_array()
        .expect("by_hour")
        .iter()
        .map(|c| (c["weekday"].as_i64().expect("w"), c["hour"].as_i64().expect("h"), c["calls"].as_i64().expect("n")))
        .collect()
}

#[test]
fn stats_days_are_local_days_across_dst_and_follow_a_zone_change() {
    let data = data_dir();
    let d = data.path();
    import_calls(d, "America/New_York");
    let ny = days(d, "America/New_York");
    let expected: BTreeMap<String, i64> = [
        ("2025-03-07", 1),
        ("2025-03-08", 2),
        ("2025-03-09", 2),
        ("2025-03-10", 1),
        ("2025-06-15", 1),
        ("2025-11-01", 1),
        ("2025-11-02", 2),
        ("2025-11-03", 1),
    ]
    .into_iter()
    .map(|(d, n)| (d.to_string(), n))
    .collect();
    assert_eq!(ny, expected, "New York days");
    // 23:30 local is hour 23 of the local weekday on both sides of each change (0 = Monday):
    // Fridays 1, Saturdays 2 (March 8, November 1), Sundays 2 (March 9, November 2).
    let ny_cells = cells(d, "America/New_York");
    for cell in [(4, 23, 1), (5, 23, 2), (6, 23, 2), (5, 0, 1), (6, 0, 2), (0, 0, 2), (6, 14, 1)] {
        assert!(ny_cells.contains(&cell), "{cell:?} in {ny_cells:?}");
    }

    // The laptop travels: the next run rebuilds the tallies for its zone.
    let kolkata = days(d, "Asia/Kolkata");
    assert_ne!(kolkata, ny);
    assert_eq!(kolkata.get("2025-06-15"), Some(&1));
    assert!(cells(d, "Asia/Kolkata").contains(&(6, 23, 1)), "Sunday 18:00 UTC is Sunday 23:30 in Kolkata");
    // And back.
    assert_eq!(days(d, "America/New_York"), ny);
}
