//! Timestamps as Intellixent sends them: ISO 8601 with or without a fraction or an offset
//! (`2025-01-15T10:30:00.000000Z`), the API's naive `2025-08-04 14:30:00` (taken as UTC), and
//! transcript times as epoch seconds. Callers keep the original string; this module only gives
//! the instant, and never fails loudly: an unreadable time is `None`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch, UTC.
pub fn parse_ms(s: &str) -> Option<i64> {
    parse(s).map(|t| t.timestamp_millis())
}

pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // An offset without a colon (`+0200`) or a space before it.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = s.trim_end_matches(['Z', 'z']);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    }
    // Epoch seconds (or milliseconds) as a string.
    s.parse::<f64>().ok().and_then(epoch_to_ms).and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

/// Epoch seconds as sent in transcript items (floats); values that can only be milliseconds are
/// scaled. Returns milliseconds.
pub fn epoch_to_ms(v: f64) -> Option<i64> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    // 1e11 seconds is the year 5138: anything larger is milliseconds.
    let ms = if v > 1e11 { v } else { v * 1000.0 };
    Some(ms.round() as i64)
}

/// A `YYYY-MM-DD` day as given on the command line, as the UTC instant it starts.
pub fn day_start_ms(day: &str) -> Option<i64> {
    NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t).timestamp_millis())
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn ms_to_rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_iso_with_microseconds() {
        assert_eq!(parse_ms("2025-01-15T10:30:00.000000Z"), Some(1_736_937_000_000));
    }

    #[test]
    fn iso_without_fraction_and_with_offset() {
        assert_eq!(parse_ms("2025-01-15T10:30:00Z"), Some(1_736_937_000_000));
        assert_eq!(parse_ms("2025-01-15T12:30:00+02:00"), Some(1_736_937_000_000));
        assert_eq!(parse_ms("2025-01-15T12:30:00+0200"), Some(1_736_937_000_000));
    }

    #[test]
    fn api_naive_time_is_utc() {
        assert_eq!(parse_ms("2025-01-15 10:30:00"), Some(1_736_937_000_000));
        assert_eq!(parse_ms("2025-01-15T10:30:00"), Some(1_736_937_000_000));
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(parse_ms("yesterday"), None);
        assert_eq!(parse_ms(""), None);
    }

    #[test]
    fn epoch_seconds_and_millis() {
        assert_eq!(epoch_to_ms(1_756_812_511.3), Some(1_756_812_511_300));
        assert_eq!(epoch_to_ms(1_756_812_511_300.0), Some(1_756_812_511_300));
        assert_eq!(epoch_to_ms(-1.0), None);
    }
}
