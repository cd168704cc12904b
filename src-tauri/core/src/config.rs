//! Where Postcall keeps its things, and the few settings that outlive a run.
//!
//! The data folder is `--data-dir`, else `POSTCALL_DATA_DIR`, else the OS user-data folder
//! (`~/.local/share/postcall` on Linux). It holds the database, the webhook secret (a file only
//! the user can read) and `settings.json`. Nothing here is ever logged in full: the secret appears
//! only in the webhook URL shown to the user. Opening the folder makes it and everything in it
//! private to the user ([`crate::permissions`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub const DEFAULT_PORT: u16 = 8787;
pub const ENV_DATA_DIR: &str = "POSTCALL_DATA_DIR";
pub const ENV_BIND: &str = "POSTCALL_BIND";
pub const ENV_SECRET: &str = "POSTCALL_SECRET";
/// A file holding the webhook secret, so that it never appears in a process listing.
pub const ENV_SECRET_FILE: &str = "POSTCALL_SECRET_FILE";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no user data folder could be found; pass --data-dir or set POSTCALL_DATA_DIR")]
    NoDataDir,
    #[error("cannot use the data folder {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the webhook secret must be at least 22 URL-safe characters (A-Z a-z 0-9 - _), for 128 bits or more")]
    WeakSecret,
    #[error("cannot read settings {path}: {message}; fix or delete the file")]
    Settings { path: String, message: String },
    #[error("cannot use the webhook secret in {path}: {message}; fix the file, or delete it to make a new secret (the webhook URL then changes)")]
    SecretFile { path: String, message: String },
}

#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ConfigError + '_ {
    move |source| ConfigError::Io { path: path.display().to_string(), source }
}

impl DataDir {
    /// Resolves the folder (flag, then environment, then the OS default) and creates it.
    pub fn resolve(flag: Option<&Path>) -> Result<Self, ConfigError> {
        let root = match flag {
            Some(p) => p.to_path_buf(),
            None => match std::env::var_os(ENV_DATA_DIR).filter(|v| !v.is_empty()) {
                Some(p) => PathBuf::from(p),
                None => directories::ProjectDirs::from("", "", "postcall")
                    .ok_or(ConfigError::NoDataDir)?
                    .data_dir()
                    .to_path_buf(),
            },
        };
        std::fs::create_dir_all(&root).map_err(io(&root))?;
        // Calls are private: an older version, a copy or a restore may have left them readable.
        crate::permissions::tighten(&root);
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join("postcall.sqlite")
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.root.join("recordings")
    }

    fn secret_path(&self) -> PathBuf {
        self.root.join("webhook-secret")
    }

    fn settings_path(&self) -> PathBuf {
        self.root.join("settings.json")
    }

    /// The webhook secret: an override (`flag`, else `POSTCALL_SECRET`, else the file named by
    /// `POSTCALL_SECRET_FILE`), else the stored one, else a new one (stored). Only a stored secret
    /// that does not exist is made anew: one that cannot be read or is not a secret is an error
    /// naming the file, since a new secret silently breaks the URL Intellixent posts to.
    pub fn secret(&self, flag: Option<&str>) -> Result<String, ConfigError> {
        if let Some(s) = flag.map(str::to_string).or_else(|| std::env::var(ENV_SECRET).ok()).filter(|s| !s.is_empty()) {
            return validate_secret(&s).map(|_| s);
        }
        if let Some(file) = std::env::var_os(ENV_SECRET_FILE).filter(|v| !v.is_empty()) {
            return secret_from_file(Path::new(&file));
        }
        let path = self.secret_path();
        match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.rotate_secret(),
            _ => secret_from_file(&path),
        }
    }

    /// Makes, stores and returns a new secret. The old URL stops working at once.
    pub fn rotate_secret(&self) -> Result<String, ConfigError> {
        let secret = new_secret();
        write_private(&self.secret_path(), secret.as_bytes())?;
        Ok(secret)
    }

    pub fn settings(&self) -> Result<Settings, ConfigError> {
        let path = self.settings_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| ConfigError::Settings { path: path.display().to_string(), message: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<(), ConfigError> {
        let bytes = serde_json::to_vec_pretty(settings).unwrap_or_default();
        write_private(&self.settings_path(), &bytes)
    }

    /// Opaque UI state (filters, sort) kept across restarts.
    pub fn view_state(&self) -> Option<serde_json::Value> {
        std::fs::read(self.root.join("view-state.json")).ok().and_then(|b| serde_json::from_slice(&b).ok())
    }

    pub fn save_view_state(&self, state: &serde_json::Value) -> Result<(), ConfigError> {
        write_private(&self.root.join("view-state.json"), state.to_string().as_bytes())
    }
}

/// Writes atomically (temp file + rename), readable by the user only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), ConfigError> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// 192 random bits, URL-safe base64 (32 characters).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    // getrandom only fails when the OS has no randomness source at all; there is no safe fallback.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator is unavailable");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A webhook secret read from `path` (surrounding white space ignored).
pub fn secret_from_file(path: &Path) -> Result<String, ConfigError> {
    let fail = |message: String| ConfigError::SecretFile { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let secret = text.trim();
    validate_secret(secret).map_err(|e| fail(e.to_string()))?;
    Ok(secret.to_string())
}

fn validate_secret(s: &str) -> Result<(), ConfigError> {
    let url_safe = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if s.len() >= 22 && url_safe {
        Ok(())
    } else {
        Err(ConfigError::WeakSecret)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(default)]
pub struct Settings {
    /// "system", "light" or "dark".
    #[ts(as = "crate::store::names::Theme")]
    pub theme: String,
    pub notifications: bool,
    pub close_to_tray: bool,
    /// Reopen the saved tunnel when the app starts.
    pub tunnel_on_start: bool,
    /// Listener port; 0 picks a free port.
    pub port: u16,
    /// Download each call's recording into the vault as soon as the call arrives.
    pub recordings_auto_download: bool,
    /// Retention: remove recordings fetched more than this many days ago (the calls stay).
    pub recordings_keep_days: Option<u32>,
    /// Retention: keep at most this many gigabytes of recordings, removing the oldest first.
    pub recordings_max_gb: Option<f64>,
    /// Hosts, IPs or CIDRs recordings may be downloaded from although they are loopback or
    /// private (added to `POSTCALL_ALLOW_PRIVATE_HOSTS`).
    pub recordings_allow_private_hosts: Vec<String>,
    /// Hosts besides the Intellixent API base's that may receive the API key (over https only)
    /// when a recording download is refused with 401/403.
    pub recordings_key_hosts: Vec<String>,
    /// Who annotates calls from this data folder (asked once; changed through its own command).
    #[ts(optional = nullable)]
    pub reviewer: Option<crate::review::Reviewer>,
    /// The team server this data folder replays calls from (see `team`), if it joined one.
    /// Not in the UI's type: joined and left through the team commands only.
    #[ts(skip)]
    pub team: Option<crate::team::TeamSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: "system".into(),
            notifications: false,
            close_to_tray: true,
            tunnel_on_start: false,
            port: DEFAULT_PORT,
            recordings_auto_download: true,
            recordings_keep_days: None,
            recordings_max_gb: None,
            recordings_allow_private_hosts: Vec::new(),
            recordings_key_hosts: Vec::new(),
            reviewer: None,
            team: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_generated_once_stored_privately_and_rotatable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("resolve");
        let first = data.secret(None).expect("secret");
        assert!(first.len() >= 22);
        assert_eq!(data.secret(None).expect("again"), first, "stable across runs");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("webhook-secret")).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the user can read the secret");
        }
        let rotated = data.rotate_secret().expect("rotate");
        assert_ne!(rotated, first);
        assert_eq!(data.secret(None).expect("after"), rotated);
        assert!(matches!(data.secret(Some("short")), Err(ConfigError::WeakSecret)));
    }

    #[test]
    fn a_stored_secret_that_cannot_be_used_is_an_error_naming_the_file_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("resolve");
        let path = dir.path().join("webhook-secret");
        std::fs::write(&path, "not a secret!").expect("write");
        let e = data.secret(None).expect_err("a damaged secret is not replaced");
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "not a secret!", "the file is left alone");
        // A folder in its place cannot be read at all (as a file without permission cannot).
        std::fs::remove_file(&path).expect("rm");
        std::fs::create_dir(&path).expect("dir");
        let e = data.secret(None).expect_err("an unreadable secret is not replaced");
        assert!(matches!(e, ConfigError::SecretFile { .. }) && e.to_string().contains("webhook-secret"), "{e}");
    }

    #[test]
    fn a_secret_can_come_from_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s");
        std::fs::write(&path, "  0123456789abcdefghijklmnop\n").expect("write");
        assert_eq!(secret_from_file(&path).expect("read"), "0123456789abcdefghijklmnop");
        let missing = secret_from_file(&dir.path().join("none")).expect_err("missing");
        assert!(missing.to_string().contains("none"), "{missing}");
    }

    #[test]
    fn settings_default_and_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("resolve");
        assert_eq!(data.settings().expect("default").port, DEFAULT_PORT);
        let s = Settings { port: 9000, ..Settings::default() };
        data.save_settings(&s).expect("save");
        assert_eq!(data.settings().expect("load"), s);
    }
}
