//! The one error shape the UI receives: `{code, message}`. The message says what to do.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AppError {
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    pub fn new(code: &'static str, message: impl std::fmt::Display) -> Self {
        Self { code, message: message.to_string() }
    }
}

pub type CmdResult<T> = Result<T, AppError>;

impl From<postcall_core::store::StoreError> for AppError {
    fn from(e: postcall_core::store::StoreError) -> Self {
        use postcall_core::store::StoreError::*;
        match e {
            NotFound(what) => AppError::new("not_found", format!("{what} does not exist")),
            other => {
                tracing::error!(error = %other, "database error");
                AppError::new("storage", other)
            }
        }
    }
}

impl From<postcall_core::service::ServiceError> for AppError {
    fn from(e: postcall_core::service::ServiceError) -> Self {
        use postcall_core::listener::BindError;
        use postcall_core::service::ServiceError;
        match e {
            ServiceError::Bind(b @ BindError::InUse { .. }) => AppError::new("port_in_use", b),
            ServiceError::Bind(b) => AppError::new("listener", b),
            ServiceError::Config(c) => AppError::new("config", c),
            ServiceError::Store(s) => s.into(),
            ServiceError::Lock(l) => AppError::new("folder_in_use", l),
        }
    }
}

impl From<postcall_core::config::ConfigError> for AppError {
    fn from(e: postcall_core::config::ConfigError) -> Self {
        AppError::new("config", e)
    }
}

impl From<postcall_core::ingest::IngestError> for AppError {
    fn from(e: postcall_core::ingest::IngestError) -> Self {
        AppError::new("ingest", e)
    }
}

impl From<postcall_core::service::TestCallError> for AppError {
    fn from(e: postcall_core::service::TestCallError) -> Self {
        AppError::new("test_call", e)
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> Self {
        AppError::new("app", e)
    }
}
