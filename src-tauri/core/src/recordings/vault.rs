//! The vault's worker: picks queued recordings (newest calls first, two at a time), downloads
//! them, decodes each once for its duration and waveform, and applies the retention settings.
//! A download waiting on a silent host gives its slot to the next recording after a few seconds
//! (at most eight times the slots are in flight at once), so a few bad URLs never hold the queue.
//! Transient failures are retried with growing back-off; the state of every recording is in the
//! `recordings` table, so the desktop app, `postcall serve` and `postcall recordings fetch` all
//! share it and a restart picks up where the last run stopped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tokio::sync::{broadcast, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::fetch::{self, Job, Outcome, Timeouts};
use super::guard::{self, HostPolicy};
use super::{analyze, PruneReport};
use crate::config::DataDir;
use crate::ingest::StoreEvent;
use crate::store::{Store, StoreError};
use crate::time::now_ms;

pub const ENV_MAX_BYTES: &str = "POSTCALL_RECORDING_MAX_BYTES";
pub const ENV_RETRY_MS: &str = "POSTCALL_RECORDING_RETRY_MS";
/// Seconds without a byte before an attempt is cut (default 30).
pub const ENV_IDLE_SECS: &str = "POSTCALL_RECORDING_IDLE_SECS";
/// Seconds one attempt may take in all (default 1800).
pub const ENV_DEADLINE_SECS: &str = "POSTCALL_RECORDING_DEADLINE_SECS";

#[derive(Debug, Clone)]
pub struct VaultLimits {
    /// Largest recording accepted (default 512 MiB; a one-hour call is 30–60 MB).
    pub max_bytes: u64,
    /// Attempts before a recording is marked failed.
    pub max_attempts: i64,
    /// First back-off; each retry waits four times longer (capped at an hour).
    pub retry_base: Duration,
    pub concurrency: usize,
    /// How long a download may wait on a host, and take in all.
    pub timeouts: Timeouts,
    /// Hosts, IPs or CIDRs allowed although private (`POSTCALL_ALLOW_PRIVATE_HOSTS`); the
    /// Settings field adds to these.
    pub allow_private_hosts: Vec<String>,
}

impl Default for VaultLimits {
    fn default() -> Self {
        Self {
            max_bytes: 512 * 1024 * 1024,
            max_attempts: 6,
            retry_base: Duration::from_secs(5),
            concurrency: 2,
            timeouts: Timeouts::default(),
            allow_private_hosts: Vec::new(),
        }
    }
}

impl VaultLimits {
    /// The defaults, with `POSTCALL_RECORDING_MAX_BYTES`, `POSTCALL_RECORDING_RETRY_MS` and
    /// `POSTCALL_ALLOW_PRIVATE_HOSTS` applied.
    pub fn from_env() -> Self {
        let mut l = Self::default();
        let num = |k: &str| std::env::var(k).ok().and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(n) = num(ENV_MAX_BYTES).filter(|n| *n > 0) {
            l.max_bytes = n;
        }
        if let Some(ms) = num(ENV_RETRY_MS) {
            l.retry_base = Duration::from_millis(ms);
        }
        // A slow link (a phone hotspot, a satellite uplink) may need longer; zero is ignored.
        if let Some(s) = num(ENV_IDLE_SECS).filter(|s| *s > 0) {
            l.timeouts.idle = Duration::from_secs(s);
        }
        if let Some(s) = num(ENV_DEADLINE_SECS).filter(|s| *s > 0) {
            l.timeouts.deadline = Duration::from_secs(s);
        }
        if let Ok(hosts) = std::env::var(guard::ENV_ALLOW_PRIVATE_HOSTS) {
            l.allow_private_hosts = guard::split_list(&hosts);
        }
        l
    }

    fn backoff(&self, attempts: i64) -> Duration {
        let factor = 4u32.saturating_pow(attempts.clamp(1, 8) as u32 - 1);
        self.retry_base.saturating_mul(factor).min(Duration::from_secs(3600))
    }
}

/// A recording's state changed, or a download moved on (a few times a second at most).
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
#[ts(rename = "RecordingProgress")]
pub struct Progress {
    pub id: i64,
    #[ts(as = "crate::store::names::RecordingState")]
    pub state: String,
    pub bytes: Option<i64>,
    pub total_bytes: Option<i64>,
    pub error: Option<String>,
}

pub struct Vault {
    store: Arc<Store>,
    data: DataDir,
    dir: PathBuf,
    limits: VaultLimits,
    writer: Mutex<Connection>,
    wake: Notify,
    events: broadcast::Sender<Progress>,
    cancel: CancellationToken,
    /// The joined team server, asked first (see [`crate::team::recordings`]).
    team: crate::team::recordings::TeamSource,
    offline: Mutex<Offline>,
}

/// Set while recording hosts cannot be reached at all (no address, no connection): most likely
/// this computer is offline, and every queued recording would fail the same way. Until it ends
/// only recordings someone asked for are tried, so a backlog of thousands is not run through at
/// full speed (a lookup, a failure and a row written for each) on a laptop without a network.
#[derive(Debug, Default)]
struct Offline {
    until: Option<Instant>,
    /// Failures in a row: each pause is twice the last, from `retry_base` up to five minutes.
    level: u32,
}

/// The longest pause while hosts cannot be reached.
const OFFLINE_MAX: Duration = Duration::from_secs(300);

type VResult<T> = Result<T, StoreError>;

impl Vault {
    /// Opens the vault folder. Downloads that a killed run left "downloading" are queued again.
    pub fn open(store: Arc<Store>, data: DataDir, limits: VaultLimits) -> VResult<Arc<Self>> {
        let dir = data.recordings_dir();
        if let Err(e) = std::fs::create_dir_all(dir.join(".partial")) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot create the recordings folder");
        }
        let writer = store.connect()?;
        writer.execute(REQUEUE_STALE, [now_ms() - 30_000])?;
        let (events, _) = broadcast::channel(256);
        Ok(Arc::new(Self {
            store,
            data: data.clone(),
            dir,
            limits,
            writer: Mutex::new(writer),
            wake: Notify::new(),
            events,
            cancel: CancellationToken::new(),
            team: crate::team::recordings::TeamSource::new(data.clone()),
            offline: Mutex::new(Offline::default()),
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn limits(&self) -> &VaultLimits {
        &self.limits
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Progress> {
        self.events.subscribe()
    }

    /// Looks for work now (a call arrived, a setting changed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// How much longer the pause for unreachable hosts lasts, if one is on.
    fn offline_for(&self) -> Option<Duration> {
        let o = self.offline.lock().unwrap_or_else(|e| e.into_inner());
        o.until.and_then(|t| t.checked_duration_since(Instant::now())).filter(|d| !d.is_zero())
    }

    /// A host could not be reached: starts (or lengthens) the pause and returns it.
    fn unreachable(&self) -> Duration {
        let mut o = self.offline.lock().unwrap_or_else(|e| e.into_inner());
        let base = self.limits.retry_base.max(Duration::from_millis(1));
        let wait = base.saturating_mul(1 << o.level.min(20)).min(OFFLINE_MAX.max(base));
        o.level = o.level.saturating_add(1);
        o.until = Some(Instant::now() + wait);
        wait
    }

    /// A host answered (or was never asked): the pause is over.
    fn reachable(&self) {
        *self.offline.lock().unwrap_or_else(|e| e.into_inner()) = Offline::default();
    }

    fn write<T>(&self, f: impl FnOnce(&Connection) -> VResult<T>) -> VResult<T> {
        let conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    fn emit(&self, id: i64) {
        let row = self.store.read(|c| super::get(c, id));
        if let Ok(Some(r)) = row {
            let _ = self.events.send(Progress {
                id,
                state: r.state,
                bytes: r.bytes,
                total_bytes: r.total_bytes,
                error: r.error,
            });
        }
    }

    /// Asks for this call's recording now (Retry, Download, `recordings fetch ID`). False when
    /// the call has no recording URL.
    pub fn request(&self, call_id: i64) -> VResult<bool> {
        let found = self.write(|c| super::request(c, call_id, now_ms()))?;
        if found {
            self.emit(call_id);
            self.wake();
        }
        Ok(found)
    }

    /// The transcript offset for this call's recording (the "nudge" in the player).
    pub fn set_offset(&self, call_id: i64, seconds: f64) -> VResult<bool> {
        self.write(|c| super::set_offset(c, call_id, seconds))
    }

    /// Queues every failed recording (and, with `include_none`, every one not in the vault).
    pub fn request_all(&self, include_none: bool) -> VResult<usize> {
        let n = self.write(|c| {
            Ok(c.execute(
                "UPDATE recordings SET state = 'queued', requested = 1, attempts = 0, next_attempt_ms = 0, error = NULL
                 WHERE state = 'failed' OR (?1 AND state = 'none') OR state = 'queued'",
                [include_none],
            )?)
        })?;
        self.wake();
        Ok(n)
    }

    /// Applies the retention settings now.
    pub fn prune(&self, dry_run: bool) -> VResult<PruneReport> {
        let s = self.data.settings().unwrap_or_default();
        self.prune_with(s.recordings_keep_days, s.recordings_max_gb.map(super::gb_to_bytes), dry_run)
    }

    pub fn prune_with(&self, keep_days: Option<u32>, max_bytes: Option<u64>, dry_run: bool) -> VResult<PruneReport> {
        if keep_days.is_none() && max_bytes.is_none() {
            return Ok(PruneReport::default());
        }
        let report = self.write(|c| {
            let tx = c.unchecked_transaction()?;
            // The write lock first (see the indexer): reading first could fail the later writes.
            tx.execute("UPDATE main.recordings SET call_id = call_id WHERE call_id = -1", [])?;
            let r = super::prune(&tx, &self.dir, keep_days, max_bytes, now_ms(), dry_run)?;
            tx.commit()?;
            Ok(r)
        })?;
        if report.removed > 0 && !dry_run {
            tracing::info!(removed = report.removed, freed_bytes = report.freed_bytes, "retention removed recordings");
        }
        Ok(report)
    }

    /// Works until stopped. New calls (`events`) and [`Vault::wake`] start downloads at once;
    /// retries wait for their time.
    pub async fn run(self: Arc<Self>, events: Option<broadcast::Receiver<StoreEvent>>) {
        self.work(events, false).await;
    }

    /// Works until nothing is queued or downloading any more (for `postcall recordings fetch`).
    pub async fn run_until_idle(self: Arc<Self>) {
        self.work(None, true).await;
    }

    async fn work(self: Arc<Self>, mut events: Option<broadcast::Receiver<StoreEvent>>, until_idle: bool) {
        let slot_count = self.limits.concurrency.max(1);
        let slots = Arc::new(Semaphore::new(slot_count));
        // Downloads that gave their slot up while waiting on a silent host still count here.
        let flight_count = slot_count * 8;
        let in_flight = Arc::new(Semaphore::new(flight_count));
        let done = Arc::new(Notify::new());
        let _ = self.prune(false);
        loop {
            if self.cancel.is_cancelled() {
                break;
            }
            let auto = self.data.settings().map(|s| s.recordings_auto_download).unwrap_or(true);
            if !auto && self.store.read(|c| next_due(c, true)).ok().flatten().is_some() {
                // Off: what arrives is shown as "not downloaded" until someone asks for it. (Only
                // written when there is something to mark, so the indexer is not held up.)
                let _ = self.write(|c| {
                    Ok(c.execute("UPDATE recordings SET state = 'none' WHERE state = 'queued' AND requested = 0", [])?)
                });
            }
            // While hosts cannot be reached, only what someone asked for is tried.
            let offline = self.offline_for();
            let take_queued = auto && offline.is_none();
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                let Ok(flight) = in_flight.clone().try_acquire_owned() else { break };
                let job = match self.write(|c| claim(c, now_ms(), take_queued)) {
                    Ok(Some(job)) => job,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "the recording vault cannot read its queue");
                        break;
                    }
                };
                let me = self.clone();
                let done = done.clone();
                tokio::spawn(async move {
                    me.attempt(job, permit, &done).await;
                    drop(flight);
                    done.notify_one();
                });
            }
            let running = flight_count - in_flight.available_permits();
            if until_idle && running == 0 && self.store.read(|c| next_due(c, auto)).ok().flatten().is_none() {
                break;
            }
            let next_due = self.store.read(|c| next_due(c, take_queued)).ok().flatten();
            let mut wait = next_due.map_or(Duration::from_secs(3600), |due| {
                Duration::from_millis((due - now_ms()).clamp(0, 3_600_000) as u64)
            });
            if let Some(pause) = offline {
                wait = wait.min(pause);
            }
            let event = async {
                match events.as_mut() {
                    Some(rx) => match rx.recv().await {
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
                    },
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = done.notified() => {}
                () = event => {}
                () = tokio::time::sleep(wait.max(Duration::from_millis(20))) => {}
                () = self.cancel.cancelled() => break,
            }
        }
    }

    /// The address and API-key rules as the settings stand now: the allowed private hosts from
    /// the environment and Settings; the API base's host and the extra hosts from Settings.
    fn policy(&self) -> HostPolicy {
        let settings = self.data.settings().unwrap_or_default();
        let mut allow = self.limits.allow_private_hosts.clone();
        allow.extend(settings.recordings_allow_private_hosts.iter().flat_map(|e| guard::split_list(e)));
        let api_base = crate::backfill::load_settings(&self.data).unwrap_or_default().api_base;
        let mut key_hosts: Vec<String> = guard::host_of(&api_base).into_iter().collect();
        key_hosts.extend(settings.recordings_key_hosts.iter().flat_map(|e| guard::split_list(e)));
        HostPolicy::new(&allow, &key_hosts)
    }

    async fn attempt(self: &Arc<Self>, job: Claimed, slot: OwnedSemaphorePermit, done: &Notify) {
        let id = job.call_id;
        self.emit(id);
        let policy = self.policy();
        let fetch_job = Job {
            call_id: id,
            url: &job.url,
            dir: &self.dir,
            max_bytes: self.limits.max_bytes,
            data: &self.data,
            policy: &policy,
            timeouts: self.limits.timeouts,
        };
        let mut slot = Some(slot);
        let release = || {
            if slot.take().is_some() {
                done.notify_one();
            }
        };
        let mut last_db = std::time::Instant::now();
        let from_team = self.team.fetch(id, &job.url, &self.dir, self.limits.max_bytes, &self.cancel).await;
        // Not polled (so nothing is downloaded) when the team server had the recording.
        let download = fetch::download(
            &fetch_job,
            &self.cancel,
            |bytes, total| {
                let (bytes, total) = (bytes as i64, total.map(|t| t as i64));
                let _ = self.events.send(Progress {
                    id,
                    state: "downloading".into(),
                    bytes: Some(bytes),
                    total_bytes: total,
                    error: None,
                });
                if last_db.elapsed() >= Duration::from_secs(1) {
                    last_db = std::time::Instant::now();
                    let _ = self.write(|c| {
                        Ok(c.execute(
                            "UPDATE recordings SET bytes = ?2, total_bytes = ?3, updated_ms = ?4
                         WHERE call_id = ?1 AND state = 'downloading'",
                            params![id, bytes, total, now_ms()],
                        )?)
                    });
                }
            },
            release,
        );
        let outcome = from_team.or_url(download).await;
        if !matches!(outcome, Outcome::Unreachable(_)) {
            self.reachable();
        }
        let result = match outcome {
            Outcome::Done { path, bytes, format } => self.finish(&job, &path, bytes, format).await.map(|()| 1),
            Outcome::Retry(_) | Outcome::Unreachable(_) if self.cancel.is_cancelled() => {
                self.write(|c| set_queued(c, &job, None, 0, false))
            }
            Outcome::Unreachable(why) => {
                // Not counted against the recording: nothing is wrong with it.
                let wait = self.unreachable();
                let note = format!(
                    "{why}; the recording host cannot be reached (is this computer offline?), trying again in {}",
                    human_wait(wait)
                );
                tracing::info!(
                    call_id = id,
                    pause_ms = wait.as_millis() as u64,
                    "recording host unreachable, pausing downloads"
                );
                self.write(|c| set_queued(c, &job, Some(&note), now_ms() + wait.as_millis() as i64, false))
            }
            Outcome::Retry(why) if job.attempts >= self.limits.max_attempts => {
                tracing::info!(call_id = id, attempts = job.attempts, "recording download gave up");
                self.write(|c| set_failed(c, &job, &format!("{why} (gave up after {} attempts)", job.attempts)))
            }
            Outcome::Retry(why) => {
                let wait = self.limits.backoff(job.attempts);
                let note = format!("{why}; retrying in {}", human_wait(wait));
                self.write(|c| set_queued(c, &job, Some(&note), now_ms() + wait.as_millis() as i64, true))
            }
            Outcome::Fail(why) => {
                tracing::info!(call_id = id, "recording download failed");
                self.write(|c| set_failed(c, &job, &why))
            }
        };
        if let Err(e) = result {
            tracing::warn!(call_id = id, error = %e, "cannot record a recording's state");
        }
        self.emit(id);
    }

    async fn finish(self: &Arc<Self>, job: &Claimed, path: &Path, bytes: u64, format: analyze::Format) -> VResult<()> {
        let file = fetch::final_name(job.call_id, format);
        let analysed = {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || analyze::analyze(&path, format)).await
        };
        let (duration, peaks, note) = match analysed {
            Ok(Ok(a)) => (Some(a.duration_seconds), Some(a.peaks), None),
            Ok(Err(e)) => (None, None, Some(format!("no waveform: {e}"))),
            Err(e) => (None, None, Some(format!("no waveform: {e}"))),
        };
        let updated = self.write(|c| {
            let old: Option<String> = c
                .query_row("SELECT file FROM recordings WHERE call_id = ?1", [job.call_id], |r| r.get(0))
                .optional()?
                .flatten();
            let n = c.execute(
                "UPDATE recordings SET state = 'ready', requested = 0, bytes = ?3, total_bytes = ?3, content_type = ?4,
                    format = ?5, duration_s = ?6, peaks = ?7, file = ?8, error = ?9, fetched_ms = ?10, updated_ms = ?10
                 WHERE call_id = ?1 AND url = ?2 AND state = 'downloading'",
                params![
                    job.call_id,
                    job.url,
                    bytes as i64,
                    format.content_type(),
                    format.label(),
                    duration,
                    peaks,
                    file,
                    note,
                    now_ms()
                ],
            )?;
            Ok((n, old))
        })?;
        match updated {
            (0, _) => {
                // The URL changed while this one downloaded: the new one is queued; drop this copy.
                let _ = std::fs::remove_file(path);
            }
            (_, Some(old)) if old != file => {
                let _ = std::fs::remove_file(self.dir.join(old));
            }
            _ => {}
        }
        fetch::remove_partials(&self.dir, job.call_id);
        self.prune(false)?;
        Ok(())
    }
}

fn human_wait(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{} ms", d.as_millis())
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else {
        format!("{:.0} min", s / 60.0)
    }
}

struct Claimed {
    call_id: i64,
    url: String,
    attempts: i64,
}

/// Takes the next due recording (newest call first) and marks it downloading.
fn claim(conn: &Connection, now: i64, auto: bool) -> VResult<Option<Claimed>> {
    Ok(conn
        .prepare_cached(if auto { CLAIM_QUEUED } else { CLAIM_REQUESTED })?
        .query_row([now], |r| Ok(Claimed { call_id: r.get(0)?, url: r.get(1)?, attempts: r.get(2)? }))
        .optional()?)
}

/// When the next queued recording is due, if any.
fn next_due(conn: &Connection, auto: bool) -> VResult<Option<i64>> {
    Ok(conn.prepare_cached(if auto { DUE_QUEUED } else { DUE_REQUESTED })?.query_row([], |r| r.get(0))?)
}

// The queue's queries, each answered by a partial index (migrations 0002 and 0013): a folder
// holds a recording per call, and these run at every turn of the vault's loop. The requested-only
// ones spell `requested = 1` out so that SQLite can use the index of requested recordings.
const CLAIM_QUEUED: &str = "UPDATE recordings SET state = 'downloading', attempts = attempts + 1, updated_ms = ?1,
        bytes = NULL, total_bytes = NULL
     WHERE call_id = (SELECT call_id FROM recordings WHERE state = 'queued' AND next_attempt_ms <= ?1
                      ORDER BY next_attempt_ms, call_id DESC LIMIT 1)
     RETURNING call_id, url, attempts";
const CLAIM_REQUESTED: &str = "UPDATE recordings SET state = 'downloading', attempts = attempts + 1, updated_ms = ?1,
        bytes = NULL, total_bytes = NULL
     WHERE call_id = (SELECT call_id FROM recordings WHERE state = 'queued' AND requested = 1 AND next_attempt_ms <= ?1
                      ORDER BY next_attempt_ms, call_id DESC LIMIT 1)
     RETURNING call_id, url, attempts";
const DUE_QUEUED: &str = "SELECT min(next_attempt_ms) FROM recordings WHERE state = 'queued'";
const DUE_REQUESTED: &str = "SELECT min(next_attempt_ms) FROM recordings WHERE state = 'queued' AND requested = 1";
/// Downloads a killed run left "downloading" are queued again when the vault opens.
const REQUEUE_STALE: &str =
    "UPDATE recordings SET state = 'queued', next_attempt_ms = 0 WHERE state = 'downloading' AND updated_ms < ?1";

/// `counted`: false when the attempt does not count towards giving up (stopped by shutdown, or
/// the host could not be reached).
fn set_queued(c: &Connection, job: &Claimed, note: Option<&str>, at: i64, counted: bool) -> VResult<usize> {
    let undo = i64::from(!counted);
    Ok(c.execute(
        "UPDATE recordings SET state = 'queued', next_attempt_ms = ?3, error = ?4, attempts = attempts - ?5,
            updated_ms = ?6
         WHERE call_id = ?1 AND url = ?2 AND state = 'downloading'",
        params![job.call_id, job.url, at, note, undo, now_ms()],
    )?)
}

fn set_failed(c: &Connection, job: &Claimed, why: &str) -> VResult<usize> {
    Ok(c.execute(
        "UPDATE recordings SET state = 'failed', requested = 0, error = ?3, updated_ms = ?4
         WHERE call_id = ?1 AND url = ?2 AND state = 'downloading'",
        params![job.call_id, job.url, why, now_ms()],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_fourfold_and_is_capped() {
        let l = VaultLimits { retry_base: Duration::from_secs(5), ..VaultLimits::default() };
        assert_eq!(l.backoff(1), Duration::from_secs(5));
        assert_eq!(l.backoff(2), Duration::from_secs(20));
        assert_eq!(l.backoff(3), Duration::from_secs(80));
        assert_eq!(l.backoff(9), Duration::from_secs(3600));
    }

    #[test]
    fn the_queue_is_read_through_indexes_not_by_walking_every_recording() {
        let conn = crate::store::open_in_memory().expect("db");
        for sql in [CLAIM_QUEUED, CLAIM_REQUESTED, DUE_QUEUED, DUE_REQUESTED, REQUEUE_STALE] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("plan");
            let params = vec![0; stmt.parameter_count()];
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(params), |r| r.get::<_, String>(3))
                .expect("rows")
                .collect::<rusqlite::Result<_>>()
                .expect("plan rows");
            assert!(plan.iter().all(|step| !step.starts_with("SCAN recordings")), "{sql}\n{plan:?}");
            assert!(plan.iter().any(|step| step.contains("INDEX recordings_")), "{sql}\n{plan:?}");
            assert!(plan.iter().all(|step| !step.contains("TEMP B-TREE")), "{sql}\n{plan:?}");
        }
    }

    #[test]
    fn claim_takes_newest_due_and_respects_the_auto_setting() {
        let conn = crate::store::open_in_memory().expect("db");
        for id in [1, 2, 3] {
            super::super::note_url(&conn, id, "https://x/r.mp3", 0).expect("note");
        }
        conn.execute("UPDATE recordings SET next_attempt_ms = 500 WHERE call_id = 3", []).expect("later");
        let first = claim(&conn, 100, true).expect("claim").expect("one due");
        assert_eq!((first.call_id, first.attempts), (2, 1), "newest due call first; 3 is not due yet");
        assert!(claim(&conn, 100, false).expect("claim").is_none(), "auto off: only requested ones");
        super::super::request(&conn, 1, 100).expect("request");
        assert_eq!(claim(&conn, 100, false).expect("claim").expect("requested").call_id, 1);
        assert_eq!(next_due(&conn, true).expect("due"), Some(500));
    }
}
