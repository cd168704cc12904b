//! Settings → Team: join a team server, leave it, and the status the screen polls. The logic is
//! in `postcall_core::team::panel`; review work arriving from the team is announced with the same
//! `review-changed` event as local edits, so open views refresh.

use std::sync::Arc;

use postcall_core::contract::shell::ReviewChanged;
use postcall_core::service::Service;
use postcall_core::team::panel::{self, JoinInput};
use postcall_core::team::status::TeamStatus;
use postcall_core::team::TeamError;
use tauri::{AppHandle, State};

use super::AppState;
use crate::error::{AppError, CmdResult};

impl From<TeamError> for AppError {
    fn from(e: TeamError) -> Self {
        AppError::new(e.code(), e)
    }
}

/// Tells the window which calls' review the team changed.
fn announce(app: AppHandle) -> impl FnMut(&[i64]) + Send + 'static {
    move |ids| {
        if let Some(changed) = ReviewChanged::from_touched(ids) {
            let _ = super::emit(&app, &changed);
        }
    }
}

/// Starts following the joined team, if any (at start-up; needs the async runtime).
pub fn start(app: &AppHandle, service: &Arc<Service>) -> Result<(), String> {
    postcall_core::team::cli::start_member_sync_with(service, announce(app.clone())).map(drop)
}

#[tauri::command]
pub async fn get_team_status(state: State<'_, AppState>) -> CmdResult<TeamStatus> {
    Ok(panel::status(&state.service, false).await?)
}

#[tauri::command]
pub async fn join_team(app: AppHandle, state: State<'_, AppState>, input: JoinInput) -> CmdResult<TeamStatus> {
    Ok(panel::join(&state.service, input, announce(app)).await?)
}

#[tauri::command]
pub async fn leave_team(state: State<'_, AppState>) -> CmdResult<TeamStatus> {
    Ok(panel::leave(&state.service).await?)
}
