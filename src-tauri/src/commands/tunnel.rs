//! The tunnel panel: start, stop, status. Every change is pushed as `tunnel-changed`; the UI
//! re-queries `get_tunnel_status` on it (the payload is the status, for convenience).

use postcall_core::tunnel::{TunnelConfig, TunnelControl, TunnelOverview, TunnelStatus};
use tauri::{AppHandle, Emitter, State};

use super::AppState;
use crate::error::{AppError, CmdResult};

#[tauri::command]
pub async fn get_tunnel_status(
    state: State<'_, AppState>,
    control: State<'_, TunnelControl>,
) -> CmdResult<TunnelOverview> {
    Ok(control.overview(&state.service.data).await)
}

#[tauri::command]
pub async fn start_tunnel(
    app: AppHandle,
    state: State<'_, AppState>,
    control: State<'_, TunnelControl>,
    config: TunnelConfig,
) -> CmdResult<TunnelStatus> {
    let mut rx = control.start(&state.service, config).await.map_err(|e| AppError::new("tunnel", e))?;
    let status = rx.borrow_and_update().clone();
    let _ = app.emit("tunnel-changed", &status);
    // Ends by itself when this tunnel stops (its sender is dropped).
    tauri::async_runtime::spawn(async move {
        while rx.changed().await.is_ok() {
            let s = rx.borrow_and_update().clone();
            let _ = app.emit("tunnel-changed", s);
        }
    });
    Ok(status)
}

#[tauri::command]
pub async fn stop_tunnel(app: AppHandle, control: State<'_, TunnelControl>) -> CmdResult<TunnelStatus> {
    let status = control.stop().await;
    let _ = app.emit("tunnel-changed", &status);
    Ok(status)
}
