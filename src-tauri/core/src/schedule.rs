//! Work on a timer, shared by the window and `postcall serve`: the backfill from Intellixent's
//! calls API at start and every `interval_minutes` (Settings → Sync, `sync.json`).
//!
//! Webhooks sent while the listener or its tunnel was down are lost upstream; the periodic sync
//! fetches them from the calls API. It lives here rather than in the window so a headless
//! receiver catches up on the same schedule.

use std::sync::Arc;
use std::time::Duration;

use crate::backfill::{self, Progress, SyncRunner};
use crate::service::Service;

/// Syncs at start and then every `interval_minutes` (re-read before each run, so a change in the
/// settings applies at the next tick; 0 pauses), when an API key is set and no other sync runs.
/// A failure is kept in the runner's `last` for the window and retried at the next tick.
/// `progress` sees every page of every run. Ends when the returned task is aborted.
pub fn spawn_periodic_sync(
    service: Arc<Service>,
    runner: Arc<SyncRunner>,
    progress: impl Fn(&Progress) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // A key file from an older version goes into the system keyring, when there is one.
        let data = service.data.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || backfill::migrate_api_key(&data)).await {
            tracing::warn!(error = %e, "cannot move the API key into the system keyring");
        }
        loop {
            let interval = backfill::load_settings(&service.data).map(|s| s.interval_minutes).unwrap_or(0);
            if interval > 0 && backfill::api_key(&service.data).is_some() && !runner.is_running() {
                match runner.run(&service.data, &service.ingest, None, &progress).await {
                    Ok(r) => {
                        tracing::info!(calls = r.calls, added = r.added, updated = r.updated, "automatic sync done")
                    }
                    Err(e) => tracing::warn!(error = %e, "automatic sync failed"),
                }
            }
            let minutes = u64::from(interval.max(1));
            tokio::time::sleep(Duration::from_secs(minutes * 60)).await;
        }
    })
}

/// One sync now, in the background, when an API key is set and no other sync runs: what a
/// receiver does when its tunnel is reachable again after an outage.
pub fn sync_soon(
    service: Arc<Service>,
    runner: Arc<SyncRunner>,
    progress: impl Fn(&Progress) + Send + Sync + 'static,
) -> Option<tokio::task::JoinHandle<()>> {
    if backfill::api_key(&service.data).is_none() || runner.is_running() {
        return None;
    }
    Some(tokio::spawn(async move {
        if let Err(e) = runner.run(&service.data, &service.ingest, None, &progress).await {
            tracing::warn!(error = %e, "sync after the tunnel came back failed");
        }
    }))
}
