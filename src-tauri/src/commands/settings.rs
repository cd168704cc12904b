use postcall_core::Settings;
use tauri::State;

use super::AppState;
use crate::error::{AppError, CmdResult, ErrorCode};

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> CmdResult<Settings> {
    Ok(state.service.data.settings()?)
}

/// Saves the toggles; the port is changed through `set_listener_port`, which checks it binds.
#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, settings: Settings) -> CmdResult<Settings> {
    if postcall_core::contract::names::Theme::parse(&settings.theme).is_none() {
        return Err(AppError::new(ErrorCode::Invalid, "theme must be system, light or dark"));
    }
    let current = state.service.data.settings()?;
    // The reviewer changes only through `set_reviewer`; the team is joined and left through
    // `postcall team`, not through this screen's toggles.
    let next = Settings { port: current.port, reviewer: current.reviewer, team: current.team, ..settings };
    state.service.data.save_settings(&next)?;
    // Automatic download switched on, or retention tightened: act on it now.
    state.service.vault.wake();
    Ok(next)
}

#[tauri::command]
pub fn load_view_state(state: State<'_, AppState>) -> Option<serde_json::Value> {
    state.service.data.view_state()
}

#[tauri::command]
pub fn save_view_state(app_state: State<'_, AppState>, state: serde_json::Value) -> CmdResult<()> {
    Ok(app_state.service.data.save_view_state(&state)?)
}

/// Opens the data folder in the file manager (through the desktop's default handler).
#[tauri::command]
pub fn reveal_data_dir(app: tauri::AppHandle, state: State<'_, AppState>) -> CmdResult<()> {
    use tauri_plugin_opener::OpenerExt;
    let dir = state.service.data.root().to_path_buf();
    app.opener().open_path(dir.to_string_lossy(), None::<&str>).map_err(|e| {
        AppError::new(ErrorCode::Open, format!("cannot open {}: {e}; open it from your file manager", dir.display()))
    })
}
