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
pub mod tunnel;

use std::sync::Arc;

use postcall_core::service::Service;

use crate::error::{AppError, CmdResult};

/// Shared by every command.
pub struct AppState {
    pub service: Arc<Service>,
}

/// Runs a blocking database read off the async runtime's worker threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, postcall_core::store::StoreError> + Send + 'static,
) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new("app", format!("background task failed: {e}")))?
        .map_err(AppError::from)
}
