use std::net::SocketAddr;

use postcall_core::service::ListenerStatus;
use tauri::{AppHandle, State};

use postcall_core::tunnel::{TunnelControl, TunnelState};

use super::AppState;
use crate::error::CmdResult;

#[tauri::command]
pub async fn send_test_call(state: State<'_, AppState>) -> CmdResult<i64> {
    Ok(state.service.send_test_call().await?)
}

/// Moves the listener to another port and remembers it.
#[tauri::command]
pub async fn set_listener_port(
    app: AppHandle,
    state: State<'_, AppState>,
    control: State<'_, TunnelControl>,
    port: u16,
) -> CmdResult<ListenerStatus> {
    let result = state.service.listen(SocketAddr::from(([127, 0, 0, 1], port))).await;
    let _ = super::emit(&app, &state.service.status());
    let status = result?;
    follow_listener(&app, &state, &control).await;
    let mut settings = state.service.data.settings()?;
    settings.port = port;
    state.service.data.save_settings(&settings)?;
    Ok(status)
}

#[tauri::command]
pub async fn rotate_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    control: State<'_, TunnelControl>,
) -> CmdResult<ListenerStatus> {
    let result = state.service.rotate_secret().await;
    let _ = super::emit(&app, &state.service.status());
    let status = result?;
    follow_listener(&app, &state, &control).await;
    Ok(status)
}

/// A running tunnel forwards to the old port and shows the old secret: start it again.
async fn follow_listener(app: &AppHandle, state: &AppState, control: &TunnelControl) {
    if control.status().await.state != TunnelState::Off {
        super::tunnel::restart_saved(app, &state.service, control).await;
    }
}
