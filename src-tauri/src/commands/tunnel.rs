//! The tunnel panel: start, stop, status. Every change is pushed as `tunnel-changed`; the UI
//! re-queries `get_tunnel_status` on it (the payload is the status, for convenience).

use postcall_core::contract::shell::TunnelOverview;
use postcall_core::tunnel::{follow, TunnelConfig, TunnelControl, TunnelStatus};
use tauri::{AppHandle, State};

use super::AppState;
use crate::error::{AppError, CmdResult, ErrorCode};

#[tauri::command]
pub async fn get_tunnel_status(
    state: State<'_, AppState>,
    control: State<'_, TunnelControl>,
) -> CmdResult<TunnelOverview> {
    let overview = control.overview(&state.service.data).await;
    let secret_storage = postcall_core::tunnel::secret_storage(&state.service.data);
    Ok(TunnelOverview { overview, secret_storage })
}

#[tauri::command]
pub async fn start_tunnel(
    app: AppHandle,
    state: State<'_, AppState>,
    control: State<'_, TunnelControl>,
    config: TunnelConfig,
) -> CmdResult<TunnelStatus> {
    let rx = control.start(&state.service, config).await.map_err(|e| AppError::new(ErrorCode::Tunnel, e))?;
    Ok(watch(app, rx))
}

/// Forwards a tunnel's changes to the UI and the tray, and syncs from the calls API when it is
/// reachable again after an outage (`postcall_core::tunnel::follow`); ends by itself when that
/// tunnel stops (its sender is dropped). Returns the status at the start.
pub fn watch(app: AppHandle, rx: tokio::sync::watch::Receiver<TunnelStatus>) -> TunnelStatus {
    let status = rx.borrow().clone();
    tauri::async_runtime::spawn(async move {
        let back = app.clone();
        follow::follow(rx, |s| publish(&app, s), || super::sync::sync_in_background(&back)).await;
    });
    status
}

fn publish(app: &AppHandle, status: &TunnelStatus) {
    let _ = super::emit(app, status);
    crate::desktop::show_tunnel_in_tray(app, status);
}

/// Starts the saved tunnel again (after the listener moved or its secret changed, or at launch),
/// so the public URL forwards to the listener as it is now. Does nothing when none is saved.
pub async fn restart_saved(app: &AppHandle, service: &postcall_core::service::Service, control: &TunnelControl) {
    let Some(config) = postcall_core::tunnel::load_config(&service.data) else { return };
    if matches!(config, TunnelConfig::None) {
        return;
    }
    match control.start(service, config).await {
        Ok(rx) => {
            watch(app.clone(), rx);
        }
        Err(e) => tracing::warn!(error = %e, "the tunnel could not be started"),
    }
}

#[tauri::command]
pub async fn stop_tunnel(app: AppHandle, control: State<'_, TunnelControl>) -> CmdResult<TunnelStatus> {
    let status = control.stop().await;
    publish(&app, &status);
    Ok(status)
}
