//! The SQL functions the insights tallies' triggers key calls by (migration `0012_local_days`):
//! `local_day(ms, zone)` and `local_hour(ms, zone)`, the day (`YYYY-MM-DD`) and hour of an instant
//! in a named zone, DST included. Registered on every connection, since any connection that
//! changes `calls` runs the triggers; new calls are keyed the same way by [`super::tally`]. Which
//! zone, and rebuilding the tallies when it changes, is `insights::zone`'s.

use std::str::FromStr;

use chrono::{DateTime, Datelike, TimeZone, Timelike};
use chrono_tz::Tz;
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

/// The named zone (UTC for a name the zone database does not know).
pub fn zone(name: &str) -> Tz {
    Tz::from_str(name).unwrap_or(Tz::UTC)
}

/// `YYYY-MM-DD`, as the tallies key a day.
fn day_text(t: &DateTime<Tz>) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
}

/// The local day (`YYYY-MM-DD`) of the instant `ms` in zone `name` (UTC for an unknown name).
pub fn local_day(ms: i64, name: &str) -> Option<String> {
    zone(name).timestamp_millis_opt(ms).single().map(|t| day_text(&t))
}

/// The local hour (0–23) of the instant `ms` in zone `name`.
pub fn local_hour(ms: i64, name: &str) -> Option<u32> {
    zone(name).timestamp_millis_opt(ms).single().map(|t| t.hour())
}

/// [`local_day`] and [`local_hour`] of `ms` in `zone` at once.
pub fn day_and_hour(ms: i64, zone: Tz) -> Option<(String, u32)> {
    zone.timestamp_millis_opt(ms).single().map(|t| (day_text(&t), t.hour()))
}

/// Registers `local_day(ms, zone)` and `local_hour(ms, zone)` on `conn` (NULL for a NULL `ms`).
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("local_day", 2, flags, |ctx| {
        let (ms, name): (Option<i64>, Option<String>) = (ctx.get(0)?, ctx.get(1)?);
        Ok(ms.and_then(|ms| local_day(ms, name.as_deref().unwrap_or("UTC"))))
    })?;
    conn.create_scalar_function("local_hour", 2, flags, |ctx| {
        let (ms, name): (Option<i64>, Option<String>) = (ctx.get(0)?, ctx.get(1)?);
        Ok(ms.and_then(|ms| local_hour(ms, name.as_deref().unwrap_or("UTC"))))
    })?;
    Ok(())
}
