//! Backfill from Intellixent's calls API: "Sync now", cancel, the sync settings and the API key,
//! plus the sync that runs at start and every N minutes. The logic is in
//! `postcall_core::backfill`; progress reaches the UI as `sync-progress` events.

use std::sync::Arc;

use postcall_core::backfill::{self, Progress, SyncError, SyncReport, SyncRunner, SyncSettings};
use postcall_core::contract::shell::{SyncSettings as SyncSettingsView, SyncStatus};
use postcall_core::service::Service;
use serde::Deserialize;
use tauri::{AppHandle, State};

use super::AppState;
use crate::error::{AppError, CmdResult, ErrorCode};

/// Managed beside `AppState`: the one sync runner of the app.
#[derive(Default)]
pub struct SyncState {
    pub runner: Arc<SyncRunner>,
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        AppError::new(e.code(), e)
    }
}

#[derive(Debug, Deserialize)]
pub struct SyncSettingsInput {
    pub api_base: String,
    pub interval_minutes: u32,
}

fn view(service: &Service) -> CmdResult<SyncSettingsView> {
    let s = backfill::load_settings(&service.data)?;
    let has_api_key = backfill::api_key(&service.data).is_some();
    let api_key_storage = backfill::api_key_storage(&service.data);
    Ok(SyncSettingsView { api_base: s.api_base, interval_minutes: s.interval_minutes, has_api_key, api_key_storage })
}

/// Runs one sync, emitting `sync-progress` after every page and at the end.
async fn sync_with_events(app: &AppHandle, service: &Service, runner: &SyncRunner) -> Result<SyncReport, SyncError> {
    runner
        .run(&service.data, &service.ingest, None, |p: &Progress| {
            let _ = super::emit(app, p);
        })
        .await
}

#[tauri::command]
pub async fn sync_now(app: AppHandle, state: State<'_, AppState>, sync: State<'_, SyncState>) -> CmdResult<SyncReport> {
    let (service, runner) = (state.service.clone(), sync.runner.clone());
    Ok(sync_with_events(&app, &service, &runner).await?)
}

#[tauri::command]
pub fn cancel_sync(sync: State<'_, SyncState>) -> bool {
    sync.runner.cancel()
}

#[tauri::command]
pub fn get_sync_status(sync: State<'_, SyncState>) -> SyncStatus {
    SyncStatus { running: sync.runner.is_running(), last: sync.runner.last() }
}

// Off the main thread: the system keyring may take a moment to answer.
#[tauri::command(async)]
pub fn get_sync_settings(state: State<'_, AppState>) -> CmdResult<SyncSettingsView> {
    view(&state.service)
}

// Off the main thread: the system keyring may take a moment to answer.
#[tauri::command(async)]
pub fn save_sync_settings(state: State<'_, AppState>, settings: SyncSettingsInput) -> CmdResult<SyncSettingsView> {
    let api_base = settings.api_base.trim().trim_end_matches('/').to_string();
    if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
        return Err(AppError::new(
            ErrorCode::Invalid,
            "the API base URL must start with https:// (or http:// for tests)",
        ));
    }
    let next = SyncSettings { api_base, interval_minutes: settings.interval_minutes.min(24 * 60) };
    backfill::save_settings(&state.service.data, &next)?;
    view(&state.service)
}

/// Stores the API key in the system keyring, else a private file (an empty one removes it). The
/// key is never logged nor sent back; the view says where it went (`api_key_storage`).
// Off the main thread: the system keyring may take a moment to answer.
#[tauri::command(async)]
pub fn set_api_key(state: State<'_, AppState>, key: String) -> CmdResult<SyncSettingsView> {
    backfill::set_api_key(&state.service.data, &key)?;
    view(&state.service)
}

/// Starts a sync in the background when a key is set and none is running: used when the tunnel
/// comes back, since webhooks sent while it was down are lost upstream.
pub fn sync_in_background(app: &AppHandle) {
    use tauri::Manager;
    let service = app.state::<AppState>().service.clone();
    let runner = app.state::<SyncState>().runner.clone();
    if backfill::api_key(&service.data).is_none() || runner.is_running() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = sync_with_events(&app, &service, &runner).await {
            tracing::warn!(error = %e, "sync after the tunnel came back failed");
        }
    });
}

/// The periodic sync (`postcall_core::schedule`), its progress sent to the window.
pub fn spawn_periodic(app: AppHandle, service: Arc<Service>, runner: Arc<SyncRunner>) {
    // On Tauri's runtime: the task outlives this call and the setup hook.
    tauri::async_runtime::spawn(async move {
        let task = postcall_core::schedule::spawn_periodic_sync(service, runner, move |p: &Progress| {
            let _ = super::emit(&app, p);
        });
        let _ = task.await;
    });
}
