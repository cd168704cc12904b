//! The one error shape the UI receives: `{code, message}`. The message says what to do.

pub use postcall_core::contract::ErrorCode;
use serde::Serialize;

/// [`postcall_core::contract::AppError`] (the type the UI's is generated from), wrapped so that
/// the shell can convert Tauri's and core's errors into it.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct AppError(pub postcall_core::contract::AppError);

impl AppError {
    pub fn new(code: ErrorCode, message: impl std::fmt::Display) -> Self {
        Self(postcall_core::contract::AppError::new(code, message))
    }
}

pub type CmdResult<T> = Result<T, AppError>;

impl From<postcall_core::store::StoreError> for AppError {
    fn from(e: postcall_core::store::StoreError) -> Self {
        use postcall_core::store::StoreError::*;
        match e {
            NotFound(what) => AppError::new(ErrorCode::NotFound, format!("{what} does not exist")),
            other => {
                tracing::error!(error = %other, "database error");
                AppError::new(ErrorCode::Storage, other)
            }
        }
    }
}

impl From<postcall_core::service::ServiceError> for AppError {
    fn from(e: postcall_core::service::ServiceError) -> Self {
        use postcall_core::listener::BindError;
        use postcall_core::service::ServiceError;
        match e {
            ServiceError::Bind(b @ BindError::InUse { .. }) => AppError::new(ErrorCode::PortInUse, b),
            ServiceError::Bind(b) => AppError::new(ErrorCode::Listener, b),
            ServiceError::Config(c) => AppError::new(ErrorCode::Config, c),
            ServiceError::Store(s) => s.into(),
            ServiceError::Lock(l) => AppError::new(ErrorCode::FolderInUse, l),
        }
    }
}

impl From<postcall_core::config::ConfigError> for AppError {
    fn from(e: postcall_core::config::ConfigError) -> Self {
        AppError::new(ErrorCode::Config, e)
    }
}

impl From<postcall_core::ingest::IngestError> for AppError {
    fn from(e: postcall_core::ingest::IngestError) -> Self {
        AppError::new(ErrorCode::Ingest, e)
    }
}

impl From<postcall_core::service::TestCallError> for AppError {
    fn from(e: postcall_core::service::TestCallError) -> Self {
        AppError::new(ErrorCode::TestCall, e)
    }
}

impl From<tauri::Error> for AppError {
    fn from(e: tauri::Error) -> Self {
        AppError::new(ErrorCode::App, e)
    }
}
