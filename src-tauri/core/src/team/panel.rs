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
/// No `Debug`: it holds a password.
#[derive(Clone, Default, Deserialize, ts_rs::TS)]
#[ts(rename = "TeamJoinInput", optional_fields = nullable)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DataDir;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn join_checks_the_form_then_saves_and_leave_forgets() {
        std::env::set_var(crate::secrets::ENV_SECRET_STORE, "file");
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("data");
        let service = Service::open(data.clone(), None, None).expect("service");
        let input = |server: &str, creds: Option<&str>, user: Option<&str>, password: Option<&str>| JoinInput {
            server: server.into(),
            creds_file: creds.map(Into::into),
            user: user.map(Into::into),
            password: password.map(Into::into),
        };
        let err = |i| async { panel_err(join(&service, i, |_| {}).await) };
        assert!(err(input("nats://h:1", Some("/x.creds"), Some("ann"), Some("pw"))).await.contains("not both"));
        assert!(err(input("nats://h:1", None, Some("ann"), None)).await.contains("needs its password"));
        assert!(err(input("http://h", None, None, None)).await.contains("not a team server address"));
        assert_eq!(settings::load(&data).expect("load"), None, "nothing saved from a bad form");

        // A server nobody answers on: saved all the same, and the status says why it is offline.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let url = format!("nats://127.0.0.1:{port}");
        let st =
            join(&service, input(&format!(" {url} "), None, Some("ann"), Some("pw-1")), |_| {}).await.expect("joined");
        assert_eq!((st.server.as_deref(), st.connected), (Some(url.as_str()), false));
        assert!(st.last_error.as_deref().is_some_and(|e| e.contains("cannot reach")), "{st:?}");
        let text = std::fs::read_to_string(dir.path().join("settings.json")).expect("settings");
        assert!(!text.contains("pw-1"), "the password is not in settings.json");
        let st = leave(&service).await.expect("left");
        assert_eq!(st.server, None);
        assert_eq!(settings::load(&data).expect("load"), None);
        service.shutdown().await;
    }

    fn panel_err(r: Result<TeamStatus, TeamError>) -> String {
        match r {
            Ok(s) => panic!("accepted: {s:?}"),
            Err(e) => e.to_string(),
        }
    }
}
