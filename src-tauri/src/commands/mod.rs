//! Tauri commands, one module per domain. Each unpacks its arguments, calls core, maps the error.

pub mod bench;
pub mod calls;
pub mod deliveries;
pub mod insights;
pub mod listener;
pub mod recordings;
pub mod review;
pub mod settings;
pub mod startup;
pub mod sync;
pub mod team;
pub mod tunnel;

use std::sync::Arc;

use postcall_core::service::Service;

use crate::error::{AppError, CmdResult, ErrorCode};

/// Shared by every command.
pub struct AppState {
    pub service: Arc<Service>,
}

/// Sends `payload` to the UI under its own event's name (see `postcall_core::contract::events`).
pub fn emit<E: postcall_core::contract::Event>(app: &tauri::AppHandle, payload: &E) -> tauri::Result<()> {
    use tauri::Emitter;
    app.emit(E::NAME, payload)
}

/// Runs a blocking database read off the async runtime's worker threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, postcall_core::store::StoreError> + Send + 'static,
) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorCode::App, format!("background task failed: {e}")))?
        .map_err(AppError::from)
}
