//! The three ways of reading the figures agree: the tallies without a day (a whole range), the
//! per-day tallies (any range, as before them), and the rows of the selected calls (a search),
//! over a realistic generated folder with later deliveries that change values, statuses and days.

use rusqlite::Connection;
use serde_json::json;

use super::stats::{stats, stats_from_calls, stats_per_day, Stats, StatsQuery};
use super::{catch_up_on, test_support::deliver};
use crate::ingest::Source;
use crate::sample::{self, Rng};

/// 2025-03-01T00:00:00Z.
const BASE_MS: i64 = 1_740_787_200_000;

fn folder() -> Connection {
    folder_in("UTC")
}

/// The folder's deliveries: 2,000 calls, one every 11 minutes (about 15 days), then later
/// deliveries in which values change (a label, a number, a number that becomes text), a status
/// moves, a call moves to another day, a variable disappears. `true`: the later ones.
fn deliveries() -> Vec<(Source, serde_json::Value, bool)> {
    let mut rng = Rng::new(7);
    let mut out: Vec<_> = (1..=2_000_i64)
        .map(|id| (Source::Import, sample::call(id, &mut rng, BASE_MS + id * 11 * 60_000), false))
        .collect();
    for id in (5..=2_000_i64).step_by(37) {
        let mut v = sample::call(id, &mut rng, BASE_MS + id * 11 * 60_000);
        v["status"] = json!("completed");
        v["extracted_variables"]["lead_quality"] = json!(if id % 2 == 0 { "high" } else { "unsure" });
        v["extracted_variables"]["monthly_bill"] = if id % 3 == 0 { json!("not said") } else { json!(id % 500) };
        if id % 5 == 0 {
            v["created_at"] = json!(crate::time::ms_to_rfc3339(BASE_MS + 20 * 86_400_000 + id * 1000));
        }
        if id % 7 == 0 {
            v["extracted_variables"].as_object_mut().expect("variables").remove("next_action");
        }
        out.push((Source::Webhook, v, true));
    }
    out
}

/// The folder, with its tallies keyed by `zone` from the first call, written a call at a time.
fn folder_in(zone: &str) -> Connection {
    let mut conn = crate::store::open_in_memory().expect("db");
    conn.execute("UPDATE tally_zone SET zone = ?1", [zone]).expect("zone");
    let mut caught_up = false;
    for (received, (source, body, later)) in (1..).zip(deliveries()) {
        if later && !caught_up {
            catch_up_on(&mut conn).expect("pass");
            caught_up = true;
        }
        deliver(&conn, source, &body, received);
    }
    catch_up_on(&mut conn).expect("pass");
    conn
}

fn queries() -> Vec<(&'static str, StatsQuery)> {
    let q = StatsQuery::default;
    vec![
        ("everything", q()),
        ("one status", StatsQuery { statuses: vec!["completed".into()], ..q() }),
        ("two statuses", StatsQuery { statuses: vec!["busy".into(), "failed".into()], ..q() }),
        ("a campaign", StatsQuery { campaign: Some("Win-back".into()), ..q() }),
        ("a week", StatsQuery { from: Some("2025-03-04".into()), to: Some("2025-03-10".into()), ..q() }),
        ("from before the first day", StatsQuery { from: Some("2025-01-01".into()), ..q() }),
        ("up to after the last day", StatsQuery { to: Some("2026-01-01".into()), ..q() }),
        (
            "a week, a campaign, a status",
            StatsQuery {
                from: Some("2025-03-04".into()),
                to: Some("2025-03-10".into()),
                campaign: Some("Spring solar".into()),
                statuses: vec!["completed".into()],
                ..q()
            },
        ),
    ]
}

fn check(conn: &Connection, name: &str, q: &StatsQuery) -> Stats {
    let s = stats(conn, q).expect("stats");
    assert_eq!(s, stats_per_day(conn, q).expect("per day"), "{name}: tallies without a day vs per day");
    assert_eq!(s, stats_from_calls(conn, q).expect("rows"), "{name}: tallies vs the calls' rows");
    s
}

#[test]
fn every_way_of_reading_gives_the_same_figures() {
    let conn = folder();
    for (name, q) in queries() {
        let s = check(&conn, name, &q);
        assert!(s.calls > 0, "{name}: the query selects calls");
        if name == "everything" {
            assert_eq!(s.calls, 2_000);
            let names: Vec<&str> = s.variables.iter().map(|v| v.name.as_str()).collect();
            for v in ["lead_quality", "monthly_bill", "next_action", "order_reference", "status", "summary"] {
                assert!(names.contains(&v), "{v} in {names:?}");
            }
            let lq = s.variables.iter().find(|v| v.name == "lead_quality").expect("lead_quality");
            assert!(lq.top.iter().any(|t| t.value == "unsure"), "a re-delivered value is counted: {:?}", lq.top);
            let bill = s.variables.iter().find(|v| v.name == "monthly_bill").expect("monthly_bill");
            assert!(bill.numbers.is_some() && bill.free_text, "numeric free text");
            assert!(s.by_day.len() > 15, "a call moved to a later day: {}", s.by_day.len());
        }
    }
}

#[test]
fn tallies_rebuilt_for_another_zone_are_those_kept_in_it_from_the_start() {
    for zone in ["America/New_York", "Asia/Kolkata"] {
        let mut moved = folder();
        super::zone::rebuild(&mut moved, zone).expect("rebuild");
        let kept = folder_in(zone);
        for (name, q) in queries() {
            let s = check(&moved, name, &q);
            assert_eq!(s, check(&kept, name, &q), "{zone}, {name}: rebuilt vs kept by the triggers");
        }
        let utc = stats(&folder(), &StatsQuery::default()).expect("stats");
        let local = stats(&moved, &StatsQuery::default()).expect("stats");
        assert_ne!(utc.by_day, local.by_day, "{zone}: calls near midnight move to another day");
        assert_ne!(utc.by_hour, local.by_hour, "{zone}: the heat map moves");
    }
}

#[test]
fn an_upgraded_folder_fills_the_tallies_without_a_day_once() {
    let conn = folder();
    let before: Vec<Stats> = queries().iter().map(|(_, q)| stats(&conn, q).expect("stats")).collect();
    // As a folder tallied before migration 0011: the new tables empty, then its filling part.
    conn.execute_batch(
        "DELETE FROM duration_total; DELETE FROM hour_total; DELETE FROM assistant_total;
         DELETE FROM variable_fill_total; DELETE FROM variable_value_total; DELETE FROM variable_number_total;
         DELETE FROM variable_course;",
    )
    .expect("empty");
    let empty = stats(&conn, &StatsQuery::default()).expect("stats");
    assert!(empty.duration.histogram.is_empty() && empty.by_hour.is_empty(), "the whole range reads the new tables");
    let sql = include_str!("../../migrations/main/0011_range_totals.sql");
    let (_, fill) = sql.split_once("-- What was tallied before this upgrade.").expect("the filling part");
    conn.execute_batch(fill).expect("fill");
    for ((name, q), was) in queries().iter().zip(before) {
        assert_eq!(check(&conn, name, q), was, "{name}");
    }
}

/// The indexer writes a batch's new calls into the tallies once, as the batch ends: the same
/// deliveries replayed from the journal in one batch (a call new in it and changed later in it,
/// its day and status moved) give the figures written a call at a time.
#[tokio::test]
async fn a_batch_tallies_its_new_calls_as_calls_written_one_at_a_time() {
    let zone = "America/New_York";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.sqlite");
    {
        let store = crate::store::Store::open(&path).expect("store");
        let conn = store.connect().expect("connect");
        conn.execute("UPDATE tally_zone SET zone = ?1", [zone]).expect("zone");
        for (received, (source, body, _)) in (1..).zip(deliveries()) {
            let id = crate::payload::call_id(body.as_object().expect("object")).expect("id");
            let raw = serde_json::to_vec(&body).expect("json");
            crate::store::deliveries::insert(&conn, received, source, None, &raw, Ok(id)).expect("journal");
        }
    }
    let store = std::sync::Arc::new(crate::store::Store::open(&path).expect("reopen"));
    // Starting replays the journal: 2,054 deliveries, one batch.
    let _ingest = crate::ingest::Ingestor::start(store.clone()).expect("start");
    let mut batched = store.connect().expect("connect");
    catch_up_on(&mut batched).expect("pass");
    let one_at_a_time = folder_in(zone);
    for (name, q) in queries() {
        let s = check(&batched, name, &q);
        assert_eq!(s, check(&one_at_a_time, name, &q), "{name}: a batch vs a call at a time");
    }
    let rows: i64 = batched.query_row("SELECT sum(calls) FROM call_tally", [], |r| r.get(0)).expect("tally");
    assert_eq!(rows, 2_000);
}
