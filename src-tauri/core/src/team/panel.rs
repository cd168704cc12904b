//! What the window's Settings → Team screen does, so the desktop shell stays a thin layer:
//! join (save the server and credentials, then start following it at once), leave (stop and
//! forget; the local calls and review work stay), and the status it polls.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use super::settings::{self, Password, TeamSettings};
use super::status::TeamStatus;
use super::TeamError;
use crate::service::Service;

/// What the join form sends: a server and either a credentials file or a user and password.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JoinInput {
    pub server: String,
    #[serde(default)]
    pub creds_file: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Saves the team settings (the password in the secret store), restarts the background sync on
/// them and returns the status after one connection attempt, so a wrong address or password
/// shows at once.
pub async fn join(
    service: &Arc<Service>,
    input: JoinInput,
    reviews_changed: impl FnMut(&[i64]) + Send + 'static,
) -> Result<TeamStatus, TeamError> {
    let server = input.server.trim().to_string();
    let creds_file = non_empty(input.creds_file).map(PathBuf::from);
    let user = non_empty(input.user);
    let password = input.password.filter(|p| !p.is_empty()).map(Password::new);
    if creds_file.is_some() && user.is_some() {
        return Err(TeamError::Invalid("give either a credentials file or a user and password, not both".into()));
    }
    if user.is_some() != password.is_some() {
        return Err(TeamError::Invalid("a user needs its password (and a password its user)".into()));
    }
    settings::join(&service.data, TeamSettings { server, creds_file, user }, password.as_ref())?;
    super::cli::start_member_sync_with(service, reviews_changed).map_err(TeamError::Nats)?;
    status(service, true).await
}

/// Stops following the team and forgets it; the calls and review work stay.
pub async fn leave(service: &Arc<Service>) -> Result<TeamStatus, TeamError> {
    super::live::stop(&service.data);
    settings::leave(&service.data)?;
    status(service, false).await
}

/// The status the screen shows; with `probe`, one connection attempt decides "connected".
pub async fn status(service: &Arc<Service>, probe: bool) -> Result<TeamStatus, TeamError> {
    super::status::status(&service.data, &service.store, probe).await
}
