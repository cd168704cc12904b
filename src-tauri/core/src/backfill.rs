//! Backfill: fills the gaps webhooks left by walking Intellixent's calls API.
//!
//! A run asks `GET /user/calls` for every page from one day before the newest call held (or a
//! chosen day, for a first import) to today, and hands each call, mapped to the webhook's names
//! ([`crate::api::map_call`]), to the one ingest path with [`Source::Api`]. The store keeps API
//! objects apart from webhook ones and overlays the webhook's, so a sync never overwrites what a
//! webhook delivered; it only fills what the webhook lacks.
//!
//! Guarantees: every page is walked (`last_page` is re-read on each page, and no order of calls
//! is assumed); each call is stored as soon as its page arrives, so a run that fails or is
//! cancelled keeps what it fetched; 429 backs off (`Retry-After` when given, else exponential,
//! bounded) and continues; network and server errors are retried a few times, then the run fails
//! with a clear message; a 401 fails at once ("API key rejected"). A call whose API object did not
//! change since the last sync is not delivered again, so periodic syncs do not grow the journal.
//!
//! The API key lives in a file only the user can read (`intellixent-api-key` in the data folder).
//! The OS keyring is deliberately not used: it is unavailable on headless machines, where
//! `postcall serve` and `postcall sync` run, and one storage everywhere is simpler to reason about.
//! The key is never logged, at any level.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::api::{self, ApiClient, ApiError, CallsQuery};
use crate::config::{write_private, ConfigError, DataDir};
use crate::ingest::{IngestError, Ingestor, Source};
use crate::secrets::{Backend, SecretStore};
use crate::store::{calls, StoreError};

use crate::contract::ErrorCode;

/// Overrides the stored API key (for scripts and tests).
pub const ENV_API_KEY: &str = "POSTCALL_INTELLIXENT_API_KEY";
/// The API key's name in the [`SecretStore`] (and its file name where there is no keyring).
pub const API_KEY_SECRET: &str = "intellixent-api-key";
const SETTINGS_FILE: &str = "sync-settings.json";
pub const DEFAULT_INTERVAL_MINUTES: u32 = 15;

/// The most a run waits on one rate limit, whatever `Retry-After` says.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Rate limits tolerated on one page before the run gives up.
const MAX_RATE_LIMITS: u32 = 8;
/// Network or server failures tolerated on one page before the run fails.
const MAX_NETWORK_RETRIES: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SyncSettings {
    pub api_base: String,
    /// Minutes between automatic syncs in the desktop app; 0 turns them off.
    pub interval_minutes: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self { api_base: api::DEFAULT_API_BASE.into(), interval_minutes: DEFAULT_INTERVAL_MINUTES }
    }
}

pub fn load_settings(data: &DataDir) -> Result<SyncSettings, ConfigError> {
    let path = data.root().join(SETTINGS_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| ConfigError::Settings { path: path.display().to_string(), message: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SyncSettings::default()),
        Err(e) => Err(ConfigError::Io { path: path.display().to_string(), source: e }),
    }
}

pub fn save_settings(data: &DataDir, s: &SyncSettings) -> Result<(), ConfigError> {
    let bytes = serde_json::to_vec_pretty(s).unwrap_or_default();
    write_private(&data.root().join(SETTINGS_FILE), &bytes)
}

/// The API key: `POSTCALL_INTELLIXENT_API_KEY` if set, else the stored one.
pub fn api_key(data: &DataDir) -> Option<String> {
    std::env::var(ENV_API_KEY).ok().filter(|k| !k.trim().is_empty()).or_else(|| stored_api_key(data))
}

/// The stored key: from the OS keyring, else from the private file (see [`crate::secrets`]).
pub fn stored_api_key(data: &DataDir) -> Option<String> {
    SecretStore::new(data).get(API_KEY_SECRET)
}

/// Where the stored key is kept (`None`: no key stored; one in the environment is not counted).
pub fn api_key_storage(data: &DataDir) -> Option<Backend> {
    SecretStore::new(data).where_stored(API_KEY_SECRET)
}

/// Moves a key file left by an older version into the OS keyring, when there is one; returns
/// where the stored key is now.
pub fn migrate_api_key(data: &DataDir) -> Result<Option<Backend>, ConfigError> {
    SecretStore::new(data).migrate(API_KEY_SECRET)
}

/// Stores the key in the OS keyring, else in a file readable by the user only, and says where;
/// an empty key removes it (and returns `None`). The key is never logged.
pub fn set_api_key(data: &DataDir, key: &str) -> Result<Option<Backend>, ConfigError> {
    SecretStore::new(data).set(API_KEY_SECRET, key)
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no Intellixent API key: add one in Settings, or set {ENV_API_KEY}")]
    NoApiKey,
    #[error("API key rejected (HTTP 401): check the Intellixent API key in Settings")]
    Unauthorized,
    #[error("{0}")]
    Api(ApiError),
    #[error("the sync was cancelled")]
    Cancelled,
    #[error("a sync is already running")]
    AlreadyRunning,
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ApiError> for SyncError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized => SyncError::Unauthorized,
            other => SyncError::Api(other),
        }
    }
}

impl SyncError {
    /// A stable code for the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            SyncError::NoApiKey => ErrorCode::NoApiKey,
            SyncError::Unauthorized => ErrorCode::ApiKeyRejected,
            SyncError::Api(ApiError::Network(_)) => ErrorCode::Network,
            SyncError::Api(_) => ErrorCode::Api,
            SyncError::Cancelled => ErrorCode::Cancelled,
            SyncError::AlreadyRunning => ErrorCode::SyncRunning,
            SyncError::Ingest(_) | SyncError::Store(_) => ErrorCode::Storage,
        }
    }
}

/// Where the run is; sent to the progress callback after every page and at the end.
#[derive(Debug, Clone, Default, Serialize, PartialEq, TS)]
#[ts(rename = "SyncProgress")]
pub struct Progress {
    /// `running`, `completed`, `failed` or `cancelled`.
    #[ts(as = "crate::store::names::SyncState")]
    pub state: &'static str,
    pub pages: u32,
    pub last_page: u32,
    /// Calls new to Postcall.
    pub added: u64,
    /// Known calls whose API object brought something new.
    pub updated: u64,
    /// Known calls the API had nothing new about (not stored again).
    pub unchanged: u64,
    /// API objects that could not be used (kept as failed deliveries).
    pub failed: u64,
}

/// The outcome of a completed run.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct SyncReport {
    #[ts(type = "\"completed\"")]
    pub state: &'static str,
    pub date_from: Option<String>,
    pub date_to: String,
    pub pages: u32,
    pub calls: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub api_base: String,
    pub api_key: String,
    /// First day to ask for; default: one day before the newest call held, or everything.
    pub since: Option<NaiveDate>,
}

/// The first day to ask for: `since`, else one day before the newest call held (so calls that
/// arrived late or in another time zone are not missed), else none (everything the API holds).
pub fn date_from(since: Option<NaiveDate>, newest_ms: Option<i64>) -> Option<NaiveDate> {
    since.or_else(|| {
        newest_ms
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .map(|t| t.date_naive() - chrono::Duration::days(1))
    })
}

/// How long to wait before retry number `attempt` (1-based): `Retry-After` when the server gave
/// one, else 1 s, 2 s, 4 s… — bounded by [`MAX_BACKOFF`] either way.
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    retry_after
        .unwrap_or_else(|| Duration::from_millis(500u64.saturating_mul(1u64 << attempt.min(10))))
        .min(MAX_BACKOFF)
}

async fn sleep_or_cancel(d: Duration, cancel: &CancellationToken) -> Result<(), SyncError> {
    tokio::select! {
        _ = cancel.cancelled() => Err(SyncError::Cancelled),
        _ = tokio::time::sleep(d) => Ok(()),
    }
}

/// One page, with the retry policy applied.
async fn fetch_page(
    client: &ApiClient,
    q: &CallsQuery,
    cancel: &CancellationToken,
) -> Result<api::CallsPage, SyncError> {
    let (mut limited, mut failed) = (0u32, 0u32);
    loop {
        let result = tokio::select! {
            _ = cancel.cancelled() => return Err(SyncError::Cancelled),
            r = client.calls_page(q) => r,
        };
        match result {
            Ok(page) => return Ok(page),
            Err(ApiError::RateLimited { retry_after }) if limited < MAX_RATE_LIMITS => {
                limited += 1;
                let wait = backoff(limited, retry_after);
                tracing::info!(page = q.page, wait_ms = wait.as_millis() as u64, "rate limited by the API; waiting");
                sleep_or_cancel(wait, cancel).await?;
            }
            Err(e)
                if e.is_transient() && !matches!(e, ApiError::RateLimited { .. }) && failed < MAX_NETWORK_RETRIES =>
            {
                failed += 1;
                let wait = backoff(failed, None);
                tracing::warn!(page = q.page, error = %e, "calls API request failed; retrying");
                sleep_or_cancel(wait, cancel).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Runs one sync to completion. `progress` is called after every page and once at the end.
pub async fn run(
    ingest: &Ingestor,
    opts: &SyncOptions,
    cancel: &CancellationToken,
    mut progress: impl FnMut(&Progress),
) -> Result<SyncReport, SyncError> {
    let mut p = Progress { state: "running", ..Progress::default() };
    let result = walk(ingest, opts, cancel, &mut p, &mut progress).await;
    if result.is_err() {
        // Whatever was fetched before the failure is kept: make sure it is indexed too.
        let _ = ingest.flush().await;
    }
    p.state = match &result {
        Ok(_) => "completed",
        Err(SyncError::Cancelled) => "cancelled",
        Err(_) => "failed",
    };
    progress(&p);
    result
}

async fn walk(
    ingest: &Ingestor,
    opts: &SyncOptions,
    cancel: &CancellationToken,
    p: &mut Progress,
    progress: &mut impl FnMut(&Progress),
) -> Result<SyncReport, SyncError> {
    if opts.api_key.trim().is_empty() {
        return Err(SyncError::NoApiKey);
    }
    let store = ingest.store().clone();
    let newest = store.read(calls::newest_ms)?;
    let from = date_from(opts.since, newest).map(|d| d.format("%Y-%m-%d").to_string());
    // One day past today (UTC): the account's own time zone may already be there.
    let to = (Utc::now().date_naive() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let client = ApiClient::new(&opts.api_base, &opts.api_key)?;
    tracing::info!(base = client.base(), date_from = ?from, date_to = %to, "sync started");

    let mut page = 1u32;
    let mut seen = 0u64;
    loop {
        let q = CallsQuery { date_from: from.clone(), date_to: Some(to.clone()), page };
        let got = fetch_page(&client, &q, cancel).await?;
        for call in &got.data {
            seen += 1;
            deliver_one(ingest, call, p).await?;
        }
        p.pages += 1;
        p.last_page = got.last_page;
        progress(p);
        // `last_page` is re-read on every page: calls made during the walk can add pages.
        if page >= got.last_page || got.data.is_empty() {
            break;
        }
        page += 1;
    }
    ingest.flush().await?;
    tracing::info!(pages = p.pages, added = p.added, updated = p.updated, "sync completed");
    Ok(SyncReport {
        state: "completed",
        date_from: from,
        date_to: to,
        pages: p.pages,
        calls: seen,
        added: p.added,
        updated: p.updated,
        unchanged: p.unchanged,
        failed: p.failed,
    })
}

/// Stores one API call object unless the API has told us exactly this before.
async fn deliver_one(ingest: &Ingestor, call: &serde_json::Value, p: &mut Progress) -> Result<(), SyncError> {
    let body = match api::map_call(call) {
        Some(doc) => {
            if let Ok(id) = crate::payload::call_id(&doc) {
                let known = ingest.store().read(|c| calls::docs(c, id))?;
                if let Some((_, Some(api_doc), _)) = known {
                    if doc.iter().all(|(k, v)| api_doc.get(k) == Some(v)) {
                        p.unchanged += 1;
                        return Ok(());
                    }
                }
            }
            serde_json::Value::Object(doc).to_string().into_bytes()
        }
        // Not an object: kept as a failed delivery, like any unusable body.
        None => call.to_string().into_bytes(),
    };
    let outcome = ingest.deliver(Source::Api, Some("application/json".into()), body).await?;
    match (outcome.error, outcome.duplicate) {
        (Some(e), _) => {
            tracing::warn!(delivery = outcome.delivery_id, error = %e, "an API call object could not be used");
            p.failed += 1;
        }
        (None, true) => p.updated += 1,
        (None, false) => p.added += 1,
    }
    Ok(())
}

/// What the desktop app shows about the last run.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct LastSync {
    pub finished_ms: i64,
    pub ok: bool,
    pub code: Option<ErrorCode>,
    pub message: Option<String>,
    pub report: Option<SyncReport>,
}

/// One sync at a time, cancellable, remembering the last outcome. Shared by "Sync now" and the
/// periodic sync.
#[derive(Default)]
pub struct SyncRunner {
    running: Mutex<Option<CancellationToken>>,
    last: Mutex<Option<LastSync>>,
}

impl SyncRunner {
    pub fn is_running(&self) -> bool {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    pub fn last(&self) -> Option<LastSync> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Cancels the running sync, if any. Returns whether one was running.
    pub fn cancel(&self) -> bool {
        match self.running.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    /// Runs a sync with the stored settings and key; fails with `AlreadyRunning` if one is.
    pub async fn run(
        &self,
        data: &DataDir,
        ingest: &Ingestor,
        since: Option<NaiveDate>,
        progress: impl FnMut(&Progress),
    ) -> Result<SyncReport, SyncError> {
        let cancel = {
            let mut slot = self.running.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_some() {
                return Err(SyncError::AlreadyRunning);
            }
            let t = CancellationToken::new();
            *slot = Some(t.clone());
            t
        };
        let result = async {
            let settings = load_settings(data).unwrap_or_default();
            let api_key = api_key(data).ok_or(SyncError::NoApiKey)?;
            run(ingest, &SyncOptions { api_base: settings.api_base, api_key, since }, &cancel, progress).await
        }
        .await;
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(LastSync {
            finished_ms: crate::time::now_ms(),
            ok: result.is_ok(),
            code: result.as_ref().err().map(SyncError::code),
            message: result.as_ref().err().map(ToString::to_string),
            report: result.as_ref().ok().cloned(),
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_starts_a_day_before_the_newest_call_unless_told() {
        let newest = crate::time::parse_ms("2025-08-04T00:30:00Z");
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(date_from(None, newest), day("2025-08-03"));
        assert_eq!(date_from(day("2025-01-01"), newest), day("2025-01-01"), "--since wins");
        assert_eq!(date_from(None, None), None, "a first import without --since asks for everything");
    }

    #[test]
    fn backoff_respects_retry_after_and_is_bounded() {
        assert_eq!(backoff(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(backoff(1, Some(Duration::from_secs(3600))), MAX_BACKOFF);
        assert_eq!(backoff(1, None), Duration::from_secs(1));
        assert_eq!(backoff(2, None), Duration::from_secs(2));
        assert_eq!(backoff(30, None), MAX_BACKOFF);
    }

    #[test]
    fn the_key_is_stored_privately_and_removable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("data");
        assert_eq!(stored_api_key(&data), None);
        set_api_key(&data, "  sk-123 \n").expect("set");
        assert_eq!(stored_api_key(&data).as_deref(), Some("sk-123"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(API_KEY_SECRET)).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the user can read the key");
        }
        set_api_key(&data, "").expect("clear");
        assert_eq!(stored_api_key(&data), None);
        set_api_key(&data, "").expect("clearing twice is fine");
    }

    #[test]
    fn settings_default_and_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("data");
        let s = load_settings(&data).expect("default");
        assert_eq!((s.api_base.as_str(), s.interval_minutes), (api::DEFAULT_API_BASE, 15));
        let s = SyncSettings { api_base: "http://127.0.0.1:1/api".into(), interval_minutes: 5 };
        save_settings(&data, &s).expect("save");
        assert_eq!(load_settings(&data).expect("load"), s);
    }

    /// The rule: first seen through the API and later by webhook ends up the same as seen
    /// by webhook alone, plus the API's extras; and a sync after a webhook changes none of its fields.
    #[test]
    fn the_api_only_fills_what_the_webhook_lacks_whichever_came_first() {
        use crate::store::{calls, open_in_memory};
        use serde_json::json;
        let hook = json!({"id": 5, "customer_phone": "+15551112222", "status": "completed", "duration": 30,
            "extracted_variables": {"status": true, "summary": "booked"}, "input_variables": {"a": 1},
            "transcript": [{"text": "Hi", "sender": "bot", "timestamp": 1756812511.3}],
            "formatted_transcript": "AI: Hi", "lead": {"id": 3}, "transfers": [],
            "created_at": "2025-08-04T14:30:00.000000Z", "finished_at": "2025-08-04T14:30:30.000000Z"});
        let api = crate::api::map_call(&json!({"id": 5, "client_phone_number": "+15551112222", "status": "ended",
            "duration": 31, "evaluation": [{"name": "summary", "type": "string", "value": "api says"}],
            "variables": {"b": 2}, "transcript": "AI: Hi there", "total_cost": "0.08000000",
            "answered_by": "human", "type": "outbound", "assistant_name": "Sarah",
            "created_at": "2025-08-04 14:30:00", "updated_at": "2025-08-04 14:31:00"}))
        .expect("object");
        let hook = hook.as_object().cloned().expect("object");
        let view = |first: (Source, &crate::payload::Doc), then: (Source, &crate::payload::Doc)| {
            let conn = open_in_memory().expect("db");
            calls::upsert(&conn, 5, first.0, first.1, 1).expect("first");
            calls::upsert(&conn, 5, then.0, then.1, 2).expect("then");
            let (d, a, _) = calls::docs(&conn, 5).expect("docs").expect("row");
            calls::effective(d.as_ref(), a.as_ref())
        };
        let api_first = view((Source::Api, &api), (Source::Webhook, &hook));
        let hook_first = view((Source::Webhook, &hook), (Source::Api, &api));
        assert_eq!(api_first, hook_first, "the order of arrival does not matter");
        for (k, v) in &hook {
            assert_eq!(api_first.get(k), Some(v), "the webhook's {k} is kept");
        }
        assert_eq!(api_first["total_cost"], json!(0.08));
        assert_eq!(api_first["answered_by"], "human");
        assert_eq!(api_first["assistant_name"], "Sarah");
        let f = crate::payload::derive_fields(&api_first);
        assert_eq!(f.finished_at.as_deref(), Some("2025-08-04T14:30:30.000000Z"), "the webhook's finished_at wins");
    }

    #[tokio::test]
    async fn no_key_fails_before_any_request() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = std::sync::Arc::new(crate::Store::open(&dir.path().join("postcall.sqlite")).expect("store"));
        let ingest = Ingestor::start(store).expect("ingest");
        let opts = SyncOptions { api_base: "http://127.0.0.1:9".into(), api_key: " ".into(), since: None };
        let mut states = Vec::new();
        let r = run(&ingest, &opts, &CancellationToken::new(), |p| states.push(p.state)).await;
        assert!(matches!(r, Err(SyncError::NoApiKey)));
        assert_eq!(states, vec!["failed"]);
    }
}
