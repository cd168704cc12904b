//! The recording vault: Postcall's own copy of every call's recording.
//!
//! Recording URLs can expire, need auth, or be deleted upstream, so each call's `recording_url`
//! is downloaded into `<data>/recordings/` in the background ([`vault`]), checked to be audio by
//! its bytes ([`analyze::sniff`]), decoded once for its duration and waveform peaks, and served to
//! the window by a separate loopback listener ([`crate::media`]). The table `recordings` says
//! where each one stands; the indexer queues a row whenever a call arrives with a new URL
//! ([`note_url`]), so webhook, import and backfill all feed the vault the same way.

pub mod analyze;
pub(crate) mod fetch;
#[cfg(test)]
mod fetch_tests;
pub mod guard;
pub mod vault;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::contract::Recording;
use crate::store::Result;

pub use fetch::Timeouts;
pub use guard::ENV_ALLOW_PRIVATE_HOSTS;
pub use vault::{Vault, VaultLimits};

pub use crate::store::recordings::note_url;

/// One row of `recordings`, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub call_id: i64,
    pub url: String,
    pub state: String,
    pub requested: bool,
    pub bytes: Option<i64>,
    pub total_bytes: Option<i64>,
    pub content_type: Option<String>,
    pub format: Option<String>,
    pub duration_seconds: Option<f64>,
    pub file: Option<String>,
    pub error: Option<String>,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub offset_seconds: f64,
    pub fetched_ms: Option<i64>,
    pub has_peaks: bool,
}

const ROW_COLUMNS: &str = "call_id, url, state, requested, bytes, total_bytes, content_type, format, duration_s,
    file, error, attempts, next_attempt_ms, offset_s, fetched_ms, peaks IS NOT NULL";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        call_id: r.get(0)?,
        url: r.get(1)?,
        state: r.get(2)?,
        requested: r.get(3)?,
        bytes: r.get(4)?,
        total_bytes: r.get(5)?,
        content_type: r.get(6)?,
        format: r.get(7)?,
        duration_seconds: r.get(8)?,
        file: r.get(9)?,
        error: r.get(10)?,
        attempts: r.get(11)?,
        next_attempt_ms: r.get(12)?,
        offset_seconds: r.get(13)?,
        fetched_ms: r.get(14)?,
        has_peaks: r.get(15)?,
    })
}

pub fn get(conn: &Connection, call_id: i64) -> Result<Option<Row>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM recordings WHERE call_id = ?1"))?
        .query_row([call_id], row)
        .optional()?)
}

/// Rows in a given state, oldest call first.
pub fn in_state(conn: &Connection, state: &str, limit: i64) -> Result<Vec<Row>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM recordings WHERE state = ?1 ORDER BY call_id LIMIT ?2"))?;
    let rows = stmt.query_map(params![state, limit], row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The stored waveform: one value per bucket, 0..=255.
pub fn peaks(conn: &Connection, call_id: i64) -> Result<Option<(Vec<u8>, f64)>> {
    Ok(conn
        .prepare_cached("SELECT peaks, ifnull(duration_s, 0) FROM recordings WHERE call_id = ?1 AND peaks IS NOT NULL")?
        .query_row([call_id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, f64>(1)?)))
        .optional()?)
}

/// Asks for a download now (Retry / Download / `recordings fetch`), whatever the automatic
/// download setting says. A recording already in the vault or on its way is left alone.
/// Returns false when the call has no recording URL.
pub fn request(conn: &Connection, call_id: i64, now_ms: i64) -> Result<bool> {
    let exists = get(conn, call_id)?.is_some();
    if !exists {
        return Ok(false);
    }
    conn.prepare_cached(
        "UPDATE recordings SET state = 'queued', requested = 1, attempts = 0, next_attempt_ms = 0, error = NULL,
            updated_ms = ?2
         WHERE call_id = ?1 AND state IN ('failed', 'none', 'queued')",
    )?
    .execute(params![call_id, now_ms])?;
    Ok(true)
}

pub fn set_offset(conn: &Connection, call_id: i64, seconds: f64) -> Result<bool> {
    let seconds = if seconds.is_finite() { seconds.clamp(-3600.0, 3600.0) } else { 0.0 };
    Ok(conn.execute("UPDATE recordings SET offset_s = ?2 WHERE call_id = ?1", params![call_id, seconds])? > 0)
}

/// Counts per state and the bytes held, for `recordings status` and Settings.
#[derive(Debug, Clone, Default, Serialize, PartialEq, TS)]
#[ts(rename = "VaultStatus")]
pub struct Status {
    pub dir: String,
    pub ready: i64,
    pub queued: i64,
    pub downloading: i64,
    pub failed: i64,
    pub none: i64,
    pub bytes: i64,
}

pub fn status(conn: &Connection, dir: &Path) -> Result<Status> {
    let mut s = Status { dir: dir.display().to_string(), ..Status::default() };
    let mut stmt = conn.prepare_cached(
        "SELECT state, count(*), sum(CASE WHEN state = 'ready' THEN bytes ELSE 0 END) FROM recordings GROUP BY state",
    )?;
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?)))?;
    for r in rows {
        let (state, n, bytes) = r?;
        s.bytes += bytes.unwrap_or(0);
        match state.as_str() {
            "ready" => s.ready = n,
            "queued" => s.queued = n,
            "downloading" => s.downloading = n,
            "failed" => s.failed = n,
            _ => s.none = n,
        }
    }
    Ok(s)
}

/// The `recording` object of a call's detail (`postcall show --json`, the detail view).
/// `media_url` is the remote URL when it is http(s); the desktop app swaps in its loopback media
/// listener's URL once the file is in the vault.
pub fn detail(conn: &Connection, dir: &Path, call_id: i64, remote: Option<&str>) -> Result<Recording> {
    let playable = remote.filter(|u| is_http(u)).map(str::to_string);
    let Some(r) = get(conn, call_id)? else {
        return Ok(Recording {
            state: "none".into(),
            url: remote.map(str::to_string),
            bytes: None,
            total_bytes: None,
            content_type: None,
            format: None,
            duration_seconds: None,
            error: None,
            path: None,
            attempts: 0,
            offset_seconds: 0.0,
            has_peaks: false,
            media_url: playable,
            local: false,
        });
    };
    let path = r.file.as_deref().filter(|_| r.state == "ready").map(|f| dir.join(f).display().to_string());
    Ok(Recording {
        state: r.state,
        url: Some(r.url),
        bytes: r.bytes,
        total_bytes: r.total_bytes,
        content_type: r.content_type,
        format: r.format,
        duration_seconds: r.duration_seconds,
        error: r.error,
        path,
        attempts: r.attempts,
        offset_seconds: r.offset_seconds,
        has_peaks: r.has_peaks,
        media_url: playable,
        local: false,
    })
}

pub fn is_http(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Where a ready recording's file is, by call id only.
pub fn ready_file(conn: &Connection, dir: &Path, call_id: i64) -> Result<Option<(PathBuf, String)>> {
    Ok(conn
        .prepare_cached("SELECT file, content_type FROM recordings WHERE call_id = ?1 AND state = 'ready'")?
        .query_row([call_id], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?)))
        .optional()?
        .and_then(|(file, ct)| {
            let file = file?;
            // Names are written by the vault ("<id>.<ext>"); refuse anything else outright.
            let safe = !file.is_empty() && file.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            safe.then(|| (dir.join(file), ct.unwrap_or_else(|| "application/octet-stream".into())))
        }))
}

/// What a retention pass removed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, TS)]
pub struct PruneReport {
    pub removed: i64,
    pub freed_bytes: i64,
}

/// Removes recordings (never calls) fetched more than `keep_days` ago, then the oldest until at
/// most `max_bytes` remain. The rows go back to `none` with the reason, so the remote URL can
/// still be played or fetched again by hand.
pub fn prune(
    conn: &Connection,
    dir: &Path,
    keep_days: Option<u32>,
    max_bytes: Option<u64>,
    now_ms: i64,
    dry_run: bool,
) -> Result<PruneReport> {
    let mut victims: Vec<(i64, Option<String>, i64, &'static str)> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT call_id, file, ifnull(bytes, 0), ifnull(fetched_ms, 0) FROM recordings WHERE state = 'ready'
             ORDER BY fetched_ms DESC, call_id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
        })?;
        let cutoff = keep_days.map(|d| now_ms - i64::from(d) * 86_400_000);
        let mut kept: u64 = 0;
        for r in rows {
            let (id, file, bytes, fetched) = r?;
            if cutoff.is_some_and(|c| fetched < c) {
                victims.push((id, file, bytes, "older than the retention period"));
                continue;
            }
            kept += bytes.max(0) as u64;
            if max_bytes.is_some_and(|m| kept > m) {
                victims.push((id, file, bytes, "over the storage limit"));
            }
        }
    }
    let mut report = PruneReport::default();
    for (id, file, bytes, why) in victims {
        report.removed += 1;
        report.freed_bytes += bytes;
        if dry_run {
            continue;
        }
        if let Some(f) = file {
            match std::fs::remove_file(dir.join(&f)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(call_id = id, error = %e, "could not remove a recording"),
            }
        }
        let when = crate::time::ms_to_rfc3339(now_ms);
        conn.prepare_cached(
            "UPDATE recordings SET state = 'none', requested = 0, file = NULL, peaks = NULL, bytes = NULL,
                total_bytes = NULL, error = ?2, updated_ms = ?3 WHERE call_id = ?1",
        )?
        .execute(params![
            id,
            format!("Removed by retention on {} ({why}); the call is kept", &when[..10]),
            now_ms
        ])?;
    }
    Ok(report)
}

/// Gigabytes (as in the settings) to bytes.
pub fn gb_to_bytes(gb: f64) -> u64 {
    if gb.is_finite() && gb > 0.0 {
        (gb * 1_000_000_000.0) as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_in_memory;

    #[test]
    fn a_new_url_queues_and_the_same_url_does_not() {
        let conn = open_in_memory().expect("db");
        note_url(&conn, 1, "https://x/a.mp3", 10).expect("first");
        conn.execute("UPDATE recordings SET state = 'ready', file = '1.mp3', bytes = 5", []).expect("ready");
        note_url(&conn, 1, "https://x/a.mp3", 20).expect("same");
        assert_eq!(get(&conn, 1).expect("get").expect("row").state, "ready", "same URL: nothing to do");
        note_url(&conn, 1, "https://x/b.mp3", 30).expect("changed");
        let r = get(&conn, 1).expect("get").expect("row");
        assert_eq!((r.state.as_str(), r.url.as_str(), r.bytes), ("queued", "https://x/b.mp3", None));
    }

    #[test]
    fn prune_removes_old_then_oldest_over_the_limit_and_keeps_calls() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open_in_memory().expect("db");
        let day = 86_400_000;
        let now = 100 * day;
        for (id, age_days, bytes) in [(1, 40, 100), (2, 10, 100), (3, 5, 100), (4, 1, 100)] {
            note_url(&conn, id, "https://x/r.mp3", 0).expect("note");
            let file = format!("{id}.mp3");
            std::fs::write(dir.path().join(&file), b"x").expect("file");
            conn.execute(
                "UPDATE recordings SET state = 'ready', file = ?2, bytes = ?3, fetched_ms = ?4 WHERE call_id = ?1",
                params![id, file, bytes, now - age_days * day],
            )
            .expect("ready");
        }
        let dry = prune(&conn, dir.path(), Some(30), Some(250), now, true).expect("dry run");
        assert_eq!(dry, PruneReport { removed: 2, freed_bytes: 200 });
        assert!(dir.path().join("1.mp3").exists(), "a dry run removes nothing");
        let done = prune(&conn, dir.path(), Some(30), Some(250), now, false).expect("prune");
        assert_eq!(done, dry);
        let state = |id| get(&conn, id).expect("get").expect("row").state;
        assert_eq!([state(1), state(2), state(3), state(4)], ["none", "none", "ready", "ready"]);
        assert!(!dir.path().join("1.mp3").exists() && !dir.path().join("2.mp3").exists());
        assert!(dir.path().join("4.mp3").exists());
        let why = get(&conn, 1).expect("get").expect("row").error.expect("reason");
        assert!(why.contains("retention") && why.contains("call is kept"), "{why}");
    }

    #[test]
    fn ready_file_refuses_names_the_vault_did_not_write() {
        let conn = open_in_memory().expect("db");
        note_url(&conn, 7, "https://x/r.mp3", 0).expect("note");
        conn.execute("UPDATE recordings SET state = 'ready', file = '../../etc/passwd'", []).expect("tamper");
        assert_eq!(ready_file(&conn, Path::new("/v"), 7).expect("query"), None);
        conn.execute("UPDATE recordings SET file = '7.mp3', content_type = 'audio/mpeg'", []).expect("fix");
        assert_eq!(
            ready_file(&conn, Path::new("/v"), 7).expect("query"),
            Some((PathBuf::from("/v/7.mp3"), "audio/mpeg".to_string()))
        );
    }
}
