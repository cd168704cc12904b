//! The recording vault in the window: where a call's recording stands, its waveform, fetching it
//! now, the transcript offset, saving a copy elsewhere, and the vault's totals and retention.

use std::sync::{Arc, OnceLock};

use postcall_core::contract::shell::Peaks;
use postcall_core::contract::CallDetail;
use postcall_core::media::MediaServer;
use postcall_core::recordings::{self, PruneReport, Status};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use super::{blocking, AppState};
use crate::error::{AppError, CmdResult, ErrorCode};

/// The loopback media listener, started with the window.
#[derive(Default)]
pub struct MediaState {
    pub server: OnceLock<MediaServer>,
}

/// Points a call detail's `recording.media_url` at the media listener once the file is in the
/// vault (the remote URL stays in `recording.url`).
pub fn localize<D>(detail: &mut CallDetail<D>, media: &MediaState) {
    let r = &mut detail.recording;
    if r.state == "ready" {
        if let Some(server) = media.server.get() {
            r.media_url = Some(server.url(detail.id));
            r.local = true;
        }
    }
}

#[tauri::command]
pub async fn recording_peaks(state: State<'_, AppState>, id: i64) -> CmdResult<Option<Peaks>> {
    let store = state.service.store.clone();
    let found = blocking(move || store.read(|c| recordings::peaks(c, id))).await?;
    Ok(found.map(|(p, duration_seconds)| Peaks {
        duration_seconds,
        peaks: p.into_iter().map(|v| f32::from(v) / 255.0).collect(),
    }))
}

#[tauri::command]
pub async fn recording_fetch(state: State<'_, AppState>, id: i64) -> CmdResult<()> {
    let vault = state.service.vault.clone();
    let found = blocking(move || vault.request(id)).await?;
    if found {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::NotFound, format!("call {id} has no recording URL to download")))
    }
}

#[tauri::command]
pub async fn recording_set_offset(state: State<'_, AppState>, id: i64, seconds: f64) -> CmdResult<()> {
    let vault = state.service.vault.clone();
    blocking(move || vault.set_offset(id, seconds).map(drop)).await
}

/// Asks where to save the call's recording and copies it there. `None` when the user cancels.
#[tauri::command]
pub async fn recording_save(app: AppHandle, state: State<'_, AppState>, id: i64) -> CmdResult<Option<String>> {
    let store = state.service.store.clone();
    let dir = state.service.vault.dir().to_path_buf();
    let found = blocking(move || store.read(|c| recordings::ready_file(c, &dir, id))).await?;
    let Some((src, _)) = found else {
        return Err(AppError::new(ErrorCode::NotReady, "the recording is not in the vault yet; download it first"));
    };
    let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("audio").to_string();
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the recording")
        .set_file_name(format!("call-{id}.{ext}"))
        .add_filter("Audio", &[ext.as_str()])
        .save_file(move |path| {
            let _ = tx.send(path);
        });
    let Some(dest) = rx.await.ok().flatten() else { return Ok(None) };
    let dest = dest.into_path().map_err(|e| AppError::new(ErrorCode::Save, format!("cannot save there: {e}")))?;
    tokio::fs::copy(&src, &dest)
        .await
        .map_err(|e| AppError::new(ErrorCode::Save, format!("cannot write {}: {e}", dest.display())))?;
    Ok(Some(dest.display().to_string()))
}

#[tauri::command]
pub async fn recordings_status(state: State<'_, AppState>) -> CmdResult<Status> {
    let store = state.service.store.clone();
    let dir = state.service.vault.dir().to_path_buf();
    blocking(move || store.read(|c| recordings::status(c, &dir))).await
}

#[tauri::command]
pub async fn recordings_prune(state: State<'_, AppState>) -> CmdResult<PruneReport> {
    let vault = state.service.vault.clone();
    blocking(move || vault.prune(false)).await
}

/// Vault progress → `recordings-changed` events for the window.
pub fn forward_progress(app: AppHandle, vault: Arc<recordings::Vault>) {
    let mut rx = vault.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(p) => {
                    let _ = super::emit(&app, &p);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
