use rusqlite::Connection;
use serde_json::json;

use super::super::stats::{stats, StatsQuery};
use super::super::{catch_up_on, test_support::deliver};
use super::*;
use crate::ingest::Source;

const HOUR: i64 = 3_600_000;

#[test]
fn a_dst_day_is_23_or_25_hours_long() {
    let ny = "America/New_York";
    let len = |d: &str| (day_end_ms(d, ny).expect("end") - day_start_ms(d, ny).expect("start")) / HOUR;
    assert_eq!((len("2025-03-08"), len("2025-03-09"), len("2025-11-02")), (24, 23, 25));
    assert_eq!(day_start_ms("2025-03-09", ny), crate::time::parse_ms("2025-03-09T05:00:00Z"));
    assert_eq!(day_start_ms("2025-03-10", ny), crate::time::parse_ms("2025-03-10T04:00:00Z"));
    // Santiago moves its clocks at midnight: 2025-09-07 starts at 01:00 local.
    assert_eq!(day_start_ms("2025-09-07", "America/Santiago"), crate::time::parse_ms("2025-09-07T04:00:00Z"));
    assert_eq!(
        local_day(crate::time::parse_ms("2025-03-10T03:30:00Z").expect("ms"), ny).as_deref(),
        Some("2025-03-09")
    );
    assert_eq!(local_hour(crate::time::parse_ms("2025-03-10T03:30:00Z").expect("ms"), ny), Some(23));
    assert_eq!(canonical("Etc/UTC").as_deref(), Some("UTC"));
    assert_eq!(canonical(":/usr/share/zoneinfo/Asia/Kolkata").as_deref(), Some("Asia/Kolkata"));
    assert_eq!(canonical("Mars/Olympus"), None);
}

/// A call at each of these instants, in a folder whose tallies are keyed by `zone`.
fn folder(zone: &str, times: &[&str]) -> Connection {
    let mut conn = crate::store::open_in_memory().expect("db");
    ensure(&mut conn, zone).expect("zone");
    for (i, at) in times.iter().enumerate() {
        let id = i as i64 + 1;
        let body = json!({"id": id, "status": "completed", "created_at": at,
                          "extracted_variables": {"status": id % 2 == 0, "budget": id * 10}});
        deliver(&conn, Source::Webhook, &body, id);
    }
    catch_up_on(&mut conn).expect("pass");
    conn
}

const NEAR_MIDNIGHT: &[&str] = &[
    "2025-03-09T04:30:00Z",
    "2025-03-09T05:10:00Z",
    "2025-03-10T03:30:00Z",
    "2025-03-10T04:10:00Z",
    "2025-11-02T03:30:00Z",
    "2025-11-02T04:10:00Z",
    "2025-11-03T04:30:00Z",
    "2025-11-03T05:10:00Z",
    "2025-06-15T17:45:00Z",
    "2025-06-15T18:40:00Z",
];

/// Every day's calls, variables' course and single-day range are the calls the log lists between
/// that local day's bounds.
fn check_days(conn: &Connection, zone: &str) {
    let s = stats(conn, &StatsQuery::default()).expect("stats");
    assert_eq!(s.calls, NEAR_MIDNIGHT.len() as i64);
    let budget = s.variables.iter().find(|v| v.name == "budget").expect("budget");
    for d in &s.by_day {
        let q = crate::query::CallQuery {
            from_ms: day_start_ms(&d.day, zone),
            to_ms: day_end_ms(&d.day, zone),
            limit: Some(500),
            ..Default::default()
        };
        let listed = crate::query::list(conn, &q).expect("list").items.len() as i64;
        assert_eq!(d.calls, listed, "{zone} {}: the bar vs the log", d.day);
        let one = StatsQuery { from: Some(d.day.clone()), to: Some(d.day.clone()), ..Default::default() };
        assert_eq!(stats(conn, &one).expect("stats").calls, listed, "{zone} {}: the range", d.day);
        let course = budget.by_day.iter().find(|c| c.day == d.day).map(|c| c.filled);
        assert_eq!(course, Some(listed), "{zone} {}: the variable's course", d.day);
        // From the calls' rows (a search-like filter) the same.
        let rows = StatsQuery { objective: Some(true), ..one };
        let achieved = stats(conn, &rows).expect("rows");
        assert_eq!(achieved.calls, d.achieved, "{zone} {}: achieved, from the rows", d.day);
    }
}

#[test]
fn days_are_the_logs_local_days_near_midnight_and_across_dst() {
    for zone in ["America/New_York", "Asia/Kolkata"] {
        let conn = folder(zone, NEAR_MIDNIGHT);
        check_days(&conn, zone);
    }
    let ny = folder("America/New_York", NEAR_MIDNIGHT);
    let days: Vec<(String, i64)> =
        stats(&ny, &StatsQuery::default()).expect("stats").by_day.into_iter().map(|d| (d.day, d.calls)).collect();
    let expected = [("2025-03-08", 1), ("2025-03-09", 2), ("2025-03-10", 1), ("2025-06-15", 2), ("2025-11-01", 1)];
    let expected: Vec<(String, i64)> =
        expected.iter().chain(&[("2025-11-02", 2), ("2025-11-03", 1)]).map(|(d, n)| (d.to_string(), *n)).collect();
    assert_eq!(days, expected);
}

#[test]
fn the_heat_map_is_local_time_on_both_sides_of_a_dst_change() {
    // 23:30 in New York on Saturday March 8 (EST) and Sunday March 9 (EDT, the day of the change).
    let conn = folder("America/New_York", &["2025-03-09T04:30:00Z", "2025-03-10T03:30:00Z"]);
    let cells: Vec<(u8, u8, i64)> = stats(&conn, &StatsQuery::default())
        .expect("stats")
        .by_hour
        .iter()
        .map(|c| (c.weekday, c.hour, c.calls))
        .collect();
    assert_eq!(cells, [(5, 23, 1), (6, 23, 1)]);
}

#[test]
fn a_zone_change_rebuilds_the_tallies_and_later_writes_follow_it() {
    let mut conn = folder("UTC", NEAR_MIDNIGHT);
    assert!(!ensure(&mut conn, "UTC").expect("same zone"), "nothing to rebuild");
    assert!(ensure(&mut conn, "Asia/Kolkata").expect("rebuild"));
    assert_eq!(recorded(&conn).expect("zone"), "Asia/Kolkata");
    check_days(&conn, "Asia/Kolkata");
    // A later delivery moves a call by a few minutes over local midnight: it is counted on the
    // recorded zone's day, as a folder kept in that zone from the start.
    let moved = json!({"id": 1, "status": "completed", "created_at": "2025-03-09T18:20:00Z",
                       "extracted_variables": {"status": false, "budget": 10}});
    deliver(&conn, Source::Webhook, &moved, 100);
    catch_up_on(&mut conn).expect("pass");
    let mut times = NEAR_MIDNIGHT.to_vec();
    times[0] = "2025-03-09T18:20:00Z";
    let fresh = folder("Asia/Kolkata", &times);
    assert_eq!(
        stats(&conn, &StatsQuery::default()).expect("stats"),
        stats(&fresh, &StatsQuery::default()).expect("stats")
    );
}
