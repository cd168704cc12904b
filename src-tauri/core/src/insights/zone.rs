//! The days of the dashboard and of `postcall stats` are this computer's local days, the days the
//! call log filters by: a bar of calls per day counts exactly the calls the log shows for that day.
//!
//! The tallies (migrations `0008`–`0012`) are keyed by a call's day and hour in one named zone,
//! recorded in the database (`tally_zone`), not in whatever zone the machine has when a call is
//! written: their triggers call [`local_day`] and [`local_hour`] (registered on every connection
//! by the store) with the recorded zone, so every writer in every process (the window, a command
//! line, an import, a replay, the team bootstrap) keys calls alike, and the tallies are never a
//! mix of zones. Daylight saving time is the zone's own: a call at 23:30 on the evening of a
//! change is counted on that evening's day and hour.
//!
//! When the machine's zone ([`machine`]: `TZ`, else the system's zone) is not the recorded one (a
//! laptop that travelled, or the upgrade from UTC days), [`ensure`] rebuilds the tallies for it in
//! one transaction that also records the new zone: opening the service (window, `serve`, `import`)
//! does it, and so does every read of the figures ([`super::catch_up`]), so a zone changed while the window runs
//! rebuilds before the next figures and readers wait for it rather than read a mix. Named zones
//! come from `chrono-tz` (the zone database compiled in, so the same on every system).

use std::str::FromStr;
use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, OptionalExtension};

use crate::store::zone::zone;
pub use crate::store::zone::{local_day, local_hour};
use crate::store::Result;

/// Names of zones without offsets, recorded as `UTC` (so a machine on `Etc/UTC` rebuilds nothing).
const UTC_NAMES: &[&str] = &["UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"];

/// A zone name as recorded: the zone database's spelling, `UTC` for its aliases; `None` for a
/// name the database does not know.
pub fn canonical(name: &str) -> Option<String> {
    let name = name.trim().trim_start_matches(':');
    // `TZ=/usr/share/zoneinfo/Europe/Paris` names the file of a zone.
    let name = name.rsplit_once("zoneinfo/").map_or(name, |(_, n)| n);
    if name.is_empty() || UTC_NAMES.contains(&name) {
        return Some("UTC".into());
    }
    Tz::from_str(name).ok().map(|tz| tz.name().to_string())
}

/// This machine's zone: `TZ` when it names a zone, else the system's (`/etc/localtime` on Linux),
/// else UTC.
pub fn machine() -> String {
    std::env::var("TZ")
        .ok()
        .and_then(|tz| canonical(&tz))
        .or_else(|| iana_time_zone::get_timezone().ok().and_then(|n| canonical(&n)))
        .unwrap_or_else(|| "UTC".into())
}

/// The instant local day `day` (`YYYY-MM-DD`) starts in zone `name`: its midnight, or the first
/// instant after it where a change of offset skips midnight.
pub fn day_start_ms(day: &str, name: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    start_of(date, zone(name))
}

/// The instant the local day after `day` starts: the end (exclusive) of `day`, 23 or 25 hours
/// after its start on a change of daylight saving time.
pub fn day_end_ms(day: &str, name: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    start_of(date.succ_opt()?, zone(name))
}

fn start_of(date: NaiveDate, tz: Tz) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    // A gap at midnight (a few zones change there) is at most a couple of hours.
    (0..=8).find_map(|quarter| {
        let t = midnight + chrono::Duration::minutes(15 * quarter);
        tz.from_local_datetime(&t).earliest().map(|t| t.with_timezone(&Utc).timestamp_millis())
    })
}

/// The zone the tallies are keyed by.
pub fn recorded(conn: &Connection) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT zone FROM tally_zone WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| "UTC".into()))
}

/// [`ensure`] for the machine's zone on a new connection of `store`.
pub fn ensure_machine(store: &crate::store::Store) -> Result<bool> {
    ensure(&mut store.connect()?, &machine())
}

/// Rebuilds the tallies for zone `machine` unless they are keyed by it already. Returns whether
/// it rebuilt.
pub fn ensure(conn: &mut Connection, machine: &str) -> Result<bool> {
    if recorded(conn)? == machine {
        return Ok(false);
    }
    rebuild(conn, machine)?;
    Ok(true)
}

/// The statements of a rebuild, in order; `?1` is the new zone. The calls are read once, into a
/// narrow table of their keys in the new zone (a call's row is large: reading them once per tally
/// was most of the time). Deleting a per-day tally's rows runs its totals' triggers (migration
/// `0011`), so the totals are emptied after them and then built again by the same triggers as the
/// per-day rows are inserted.
const REBUILD: &[&str] = &[
    "UPDATE tally_zone SET zone = ?1 WHERE id = 1",
    "DROP TABLE IF EXISTS temp.zone_calls",
    "CREATE TEMP TABLE zone_calls (id INTEGER PRIMARY KEY, day TEXT, hour INTEGER, status TEXT, campaign TEXT,
                                   objective INTEGER, duration INTEGER, assistant TEXT)",
    "INSERT INTO zone_calls
     SELECT id, local_day(sort_ms, ?1), local_hour(sort_ms, ?1), ifnull(status, ''), ifnull(campaign, ''), objective,
            duration, ifnull(assistant_phone, '') FROM calls",
    "DELETE FROM call_tally",
    "DELETE FROM duration_tally",
    "DELETE FROM hour_tally",
    "DELETE FROM assistant_tally",
    "DELETE FROM variable_fill",
    "DELETE FROM variable_values",
    "DELETE FROM variable_numbers",
    "DELETE FROM duration_total",
    "DELETE FROM hour_total",
    "DELETE FROM assistant_total",
    "DELETE FROM variable_fill_total",
    "DELETE FROM variable_value_total",
    "DELETE FROM variable_number_total",
    "DELETE FROM variable_course",
    "INSERT INTO call_tally (day, status, campaign, calls, achieved, judged)
     SELECT day, status, campaign, count(*), count(*) FILTER (WHERE objective IS 1), count(objective)
     FROM zone_calls GROUP BY 1, 2, 3",
    "INSERT INTO duration_tally (day, status, campaign, bucket, calls)
     SELECT day, status, campaign,
            CASE WHEN duration IS NULL THEN -1
                 WHEN duration < 60 THEN max(duration, 0)
                 WHEN duration < 600 THEN duration - duration % 5
                 WHEN duration < 3600 THEN duration - duration % 30
                 ELSE duration - duration % 300 END, count(*)
     FROM zone_calls GROUP BY 1, 2, 3, 4",
    "INSERT INTO hour_tally (day, status, campaign, hour, calls)
     SELECT day, status, campaign, hour, count(*) FROM zone_calls GROUP BY 1, 2, 3, 4",
    "INSERT INTO assistant_tally (day, status, campaign, assistant, calls, achieved, judged)
     SELECT day, status, campaign, assistant, count(*), count(*) FILTER (WHERE objective IS 1), count(objective)
     FROM zone_calls GROUP BY 1, 2, 3, 4",
    // The variables keep the keys they were counted under: their day moves to the new zone's.
    "UPDATE call_variables SET day = z.day FROM zone_calls z WHERE z.id = call_variables.call_id AND call_variables.day IS NOT z.day",
    "INSERT INTO variable_fill (day, status, campaign, name, calls)
     SELECT day, status, campaign, name, count(*) FROM call_variables WHERE value IS NOT NULL
     GROUP BY 1, 2, 3, 4",
    // Values of free text are not counted (see variables.rs).
    "INSERT INTO variable_values (name, value, day, status, campaign, calls)
     SELECT name, value, day, status, campaign, count(*) FROM call_variables
     WHERE value IS NOT NULL AND name NOT IN (SELECT name FROM variable_names WHERE free_text)
     GROUP BY 1, 2, 3, 4, 5",
    // As numbers::count, every value that reads as a number.
    "INSERT INTO variable_numbers (day, status, campaign, name, bucket, calls, total)
     SELECT day, status, campaign, name, insights_bucket(x), count(*), sum(x) FROM (
         SELECT day, status, campaign, name, insights_number(value) AS x FROM call_variables
         WHERE value GLOB '*[0-9]*')
     WHERE x IS NOT NULL GROUP BY 1, 2, 3, 4, 5",
    // The numbers are now counted from every variable: no backfill is left to do.
    "INSERT OR IGNORE INTO insights_state (name, delivery_id) SELECT 'numbers', 0",
    "DROP TABLE temp.zone_calls",
];

/// Rebuilds every tally keyed by day or hour for zone `name`, in one transaction (readers see
/// the old zone's figures until it commits, never a mix). Reports its progress as a startup step
/// and on stderr when it takes over a second.
pub fn rebuild(conn: &mut Connection, name: &str) -> Result<()> {
    super::source::register(conn)?;
    let was = recorded(conn)?;
    let started = Instant::now();
    let mut progress =
        crate::startup::Progress::start("Rebuilding the dashboard's days", "steps", REBUILD.len() as u64);
    let mut said = false;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (i, sql) in REBUILD.iter().enumerate() {
        if sql.contains("?1") {
            tx.execute(sql, [name])?;
        } else {
            tx.execute(sql, [])?;
        }
        progress.set(i as u64 + 1);
        if !said && started.elapsed().as_secs() >= 1 {
            eprintln!("Rebuilding the dashboard's days for the time zone {name} (they were {was} days)…");
            said = true;
        }
    }
    tx.commit()?;
    if said {
        eprintln!("Rebuilt the dashboard's days in {:.1} s.", started.elapsed().as_secs_f64());
    }
    Ok(())
}

#[cfg(test)]
#[path = "zone_tests.rs"]
mod tests;
