//! The one error shape every command rejects with: `{code, message}`. The UI switches on the
//! code (never on the message); the message says what to do and is shown as it is.

use serde::Serialize;
use ts_rs::TS;

/// What went wrong, in words the UI can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The window itself failed (a Tauri error).
    App,
    /// The settings or data folder could not be read or written.
    Config,
    /// Another process holds the data folder.
    FolderInUse,
    /// A delivery could not be journaled or parsed.
    Ingest,
    /// Bad input: the message says which.
    Invalid,
    /// The webhook listener could not start.
    Listener,
    /// The listener's port is taken by another program.
    PortInUse,
    NotFound,
    /// The data folder is still opening.
    NotReady,
    /// A file or folder could not be opened.
    Open,
    /// A file could not be saved.
    Save,
    /// The database failed.
    Storage,
    /// The sample call could not be sent.
    TestCall,
    /// The tunnel could not start or stop.
    Tunnel,
    /// Sync: no Intellixent API key is set.
    NoApiKey,
    /// Sync: Intellixent rejected the API key.
    ApiKeyRejected,
    /// Sync: Intellixent could not be reached.
    Network,
    /// Sync: Intellixent answered with an error.
    Api,
    /// Sync: cancelled by the user.
    Cancelled,
    /// Sync: one is already running.
    SyncRunning,
    /// Review: no reviewer name and email are set yet.
    NoReviewer,
    /// Review: the tag is not defined.
    UnknownTag,
    /// Team: the team server cannot be reached.
    Unreachable,
    /// Team: the server refused the credentials or the permission.
    Refused,
    /// Team: this data folder has not joined a team.
    NotJoined,
    /// Team: the server answered with an error (a missing stream, a protocol failure).
    Team,
    /// Only in the UI: no back end answers (a plain browser).
    NoBackend,
    /// Only in the UI: the clipboard refused.
    Clipboard,
    /// Only in the UI: something threw that is not an `AppError`.
    Unexpected,
}

/// A command's failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl std::fmt::Display) -> Self {
        Self { code, message: message.to_string() }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
