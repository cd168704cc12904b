//! Which team server a data folder joined, and how it signs in.
//!
//! The address, the user name and the credentials file's path live in `settings.json` (the same
//! [`crate::config::Settings`] the Settings screen edits); a password lives in the secret store
//! (keyring, else a private file) under [`PASSWORD_SECRET`]. A credentials file stays where the
//! team's administrator put it: it is a secret file of its own, and we only keep its path.
//! No `Debug` here prints a password.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::TeamError;
use crate::config::DataDir;
use crate::secrets::SecretStore;

/// The secret store's name for the team password.
pub const PASSWORD_SECRET: &str = "team-password";

/// What `settings.json` keeps about the team.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct TeamSettings {
    /// `nats://HOST:PORT` (or `tls://…`).
    pub server: String,
    /// A NATS credentials file (JWT + NKey seed), if the team uses them.
    pub creds_file: Option<PathBuf>,
    /// A user name, whose password is in the secret store.
    pub user: Option<String>,
}

/// A password held in memory; printed as `***`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Creds(PathBuf),
    UserPassword { user: String, password: Password },
}

/// A server and how to sign in to it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub server: String,
    pub auth: Auth,
}

/// Accepts the addresses NATS clients take: `nats://`, `tls://`, `ws://`, `wss://`.
pub fn check_url(url: &str) -> Result<(), TeamError> {
    let ok = ["nats://", "tls://", "ws://", "wss://"]
        .iter()
        .any(|p| url.strip_prefix(p).is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace)));
    if ok {
        Ok(())
    } else {
        Err(TeamError::BadUrl(url.to_string()))
    }
}

/// The team settings of this data folder, if it joined one.
pub fn load(data: &DataDir) -> Result<Option<TeamSettings>, TeamError> {
    Ok(data.settings()?.team.filter(|t| !t.server.is_empty()))
}

/// The endpoint of the joined team, with its password from the secret store.
pub fn endpoint(data: &DataDir) -> Result<Option<Endpoint>, TeamError> {
    let Some(t) = load(data)? else { return Ok(None) };
    let auth = if let Some(path) = t.creds_file {
        Auth::Creds(path)
    } else if let Some(user) = t.user {
        let password = SecretStore::new(data).get(PASSWORD_SECRET).unwrap_or_default();
        Auth::UserPassword { user, password: Password::new(password) }
    } else {
        Auth::None
    };
    Ok(Some(Endpoint { server: t.server, auth }))
}

/// Saves the team settings (and the password, if any) for this data folder.
pub fn join(data: &DataDir, team: TeamSettings, password: Option<&Password>) -> Result<(), TeamError> {
    check_url(&team.server)?;
    if let Some(path) = &team.creds_file {
        std::fs::metadata(path)
            .map_err(|e| TeamError::Creds { path: path.display().to_string(), reason: e.to_string() })?;
    }
    let secrets = SecretStore::new(data);
    match password {
        Some(p) => {
            secrets.set(PASSWORD_SECRET, p.expose())?;
        }
        None => secrets.delete(PASSWORD_SECRET)?,
    }
    let mut settings = data.settings()?;
    settings.team = Some(team);
    data.save_settings(&settings)?;
    Ok(())
}

/// Forgets the team (settings and password); the local calls and review work stay.
pub fn leave(data: &DataDir) -> Result<bool, TeamError> {
    let mut settings = data.settings()?;
    let was = settings.team.take().is_some();
    data.save_settings(&settings)?;
    SecretStore::new(data).delete(PASSWORD_SECRET)?;
    Ok(was)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("nats://127.0.0.1:4222").is_ok());
        assert!(check_url("tls://team.example.org:4222").is_ok());
        assert!(check_url("http://x").is_err());
        assert!(check_url("nats://").is_err());
        assert!(check_url("127.0.0.1:4222").is_err());
    }

    #[test]
    fn password_is_never_printed() {
        let e = Endpoint {
            server: "nats://h:1".into(),
            auth: Auth::UserPassword { user: "ann".into(), password: Password::new("hunter2") },
        };
        let shown = format!("{e:?}");
        assert!(!shown.contains("hunter2") && shown.contains("***"), "{shown}");
    }

    #[test]
    fn join_saves_and_leave_forgets_keeping_other_settings() {
        std::env::set_var(crate::secrets::ENV_SECRET_STORE, "file");
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("resolve");
        let mut s = data.settings().expect("settings");
        s.port = 9001;
        data.save_settings(&s).expect("save");
        let team = TeamSettings { server: "nats://127.0.0.1:4222".into(), creds_file: None, user: Some("ann".into()) };
        join(&data, team.clone(), Some(&Password::new("pw-1"))).expect("join");
        assert_eq!(load(&data).expect("load"), Some(team));
        let settings_text = std::fs::read_to_string(dir.path().join("settings.json")).expect("read");
        assert!(!settings_text.contains("pw-1"), "the password is not in settings.json");
        match endpoint(&data).expect("endpoint").expect("joined").auth {
            Auth::UserPassword { user, password } => assert_eq!((user.as_str(), password.expose()), ("ann", "pw-1")),
            other => panic!("unexpected {other:?}"),
        }
        assert!(leave(&data).expect("leave"));
        assert_eq!(load(&data).expect("load"), None);
        assert_eq!(data.settings().expect("settings").port, 9001, "other settings are kept");
        assert!(SecretStore::new(&data).get(PASSWORD_SECRET).is_none());
    }
}
