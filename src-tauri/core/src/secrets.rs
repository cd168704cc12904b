//! Secrets (the Intellixent API key, the bore tunnel secret, the ngrok authtoken): in the OS
//! keyring where there is one, else in a file of the data folder that only the user can read.
//!
//! The keyring is the Secret Service on Linux (GNOME Keyring, KWallet…, over the D-Bus session
//! bus), the Keychain on macOS and the Credential Manager on Windows. Each secret is one entry of
//! service `postcall` whose account is `<name>:<data folder>`, so two data folders (and the
//! tests' temporary ones) never share a secret.
//!
//! - Reads ask the keyring first, then the file (`<data folder>/<name>`, as older versions wrote).
//! - A write that reaches the keyring removes the file copy; when the keyring is unavailable (no
//!   session bus, no Secret Service provider, locked, any error) the secret goes to the file, with
//!   only a debug-level log line that never contains the secret.
//! - A keyring call never blocks for long: it runs on a helper thread and is given up after
//!   [`KEYRING_TIMEOUT`] (a locked collection may otherwise wait on an unlock prompt nobody sees);
//!   after such a timeout the keyring is not tried again by this process.
//! - `POSTCALL_SECRET_STORE=file` forces the file (headless servers, tests);
//!   `POSTCALL_SECRET_STORE=keyring` tries the keyring even where Postcall would not (e.g. in
//!   this crate's own unit tests, which use the file by default).
//!
//! Secret values are never logged, and no `Debug` impl here prints one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

use crate::config::{write_private, ConfigError, DataDir};

/// Chooses the store: `file` (always the private file), `keyring` (always try the keyring
/// first), anything else or unset: the keyring when one is reachable.
pub const ENV_SECRET_STORE: &str = "POSTCALL_SECRET_STORE";
/// The keyring service every Postcall entry is filed under.
pub const SERVICE: &str = "postcall";
/// The longest a keyring call may take before the file is used instead.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(2);

/// Set once a keyring call timed out: later ones go straight to the file.
static KEYRING_STUCK: AtomicBool = AtomicBool::new(false);

/// Where a secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "SecretStorage")]
pub enum Backend {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// A file in the data folder that only the user can read.
    File,
}

impl Backend {
    /// `"keyring"` or `"file"`, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Keyring => "keyring",
            Backend::File => "file",
        }
    }

    /// A phrase for the user: "stored in the system keyring" and so on.
    pub fn describe(self) -> &'static str {
        match self {
            Backend::Keyring => "stored in the system keyring",
            Backend::File => "stored in a private file (no system keyring available)",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The secrets of one data folder. Cheap to make; holds no secret itself.
#[derive(Debug, Clone)]
pub struct SecretStore {
    root: PathBuf,
    /// The data folder as it appears in keyring accounts.
    folder: String,
    keyring: bool,
}

impl SecretStore {
    /// The store of `data`, using the keyring when one is reachable (see the module doc).
    pub fn new(data: &DataDir) -> Self {
        Self::at(data.root(), keyring_wanted())
    }

    /// The store of `data` that never touches the keyring.
    pub fn file_only(data: &DataDir) -> Self {
        Self::at(data.root(), false)
    }

    fn at(root: &Path, keyring: bool) -> Self {
        let folder = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()).display().to_string();
        Self { root: root.to_path_buf(), folder, keyring }
    }

    /// Whether this store tries the keyring at all.
    pub fn uses_keyring(&self) -> bool {
        self.keyring && !KEYRING_STUCK.load(Ordering::Relaxed)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn account(&self, name: &str) -> String {
        format!("{name}:{}", self.folder)
    }

    /// The secret `name`, from the keyring, else from the file; `None` when neither has it.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_with_backend(name).map(|(value, _)| value)
    }

    /// Where `name` is stored now, if anywhere.
    pub fn where_stored(&self, name: &str) -> Option<Backend> {
        self.get_with_backend(name).map(|(_, backend)| backend)
    }

    /// Alias of [`SecretStore::where_stored`].
    pub fn backend_for(&self, name: &str) -> Option<Backend> {
        self.where_stored(name)
    }

    /// Moves a secret kept in the file (by an older version, or while no keyring answered) into
    /// the keyring when it takes it; returns where the secret is now.
    pub fn migrate(&self, name: &str) -> Result<Option<Backend>, ConfigError> {
        match self.get_with_backend(name) {
            Some((value, Backend::File)) if self.uses_keyring() => self.set(name, &value),
            found => Ok(found.map(|(_, backend)| backend)),
        }
    }

    fn get_with_backend(&self, name: &str) -> Option<(String, Backend)> {
        if let Some(value) = self.keyring_get(name) {
            return Some((value, Backend::Keyring));
        }
        let value = std::fs::read_to_string(self.file(name)).ok()?;
        let value = value.trim();
        (!value.is_empty()).then(|| (value.to_string(), Backend::File))
    }

    /// Stores `value` (trimmed) under `name`: in the keyring when it takes it (removing any file
    /// copy), else in the private file. An empty value deletes the secret and returns `None`.
    pub fn set(&self, name: &str, value: &str) -> Result<Option<Backend>, ConfigError> {
        let value = value.trim();
        if value.is_empty() {
            self.delete(name)?;
            return Ok(None);
        }
        if self.uses_keyring() {
            let (account, v) = (self.account(name), value.to_string());
            match keyring_call(move || entry(&account)?.set_password(&v)) {
                Some(Ok(())) => {
                    remove_file(&self.file(name))?;
                    return Ok(Some(Backend::Keyring));
                }
                Some(Err(e)) => {
                    tracing::debug!(secret = name, reason = %describe(&e), "the keyring refused the secret; using a private file");
                    // Whatever an older keyring entry holds would shadow the file: drop it.
                    let account = self.account(name);
                    let _ = keyring_call(move || entry(&account)?.delete_credential());
                }
                None => {}
            }
        }
        write_private(&self.file(name), value.as_bytes())?;
        Ok(Some(Backend::File))
    }

    /// Removes `name` from the keyring and the file; removing a missing secret is fine.
    pub fn delete(&self, name: &str) -> Result<(), ConfigError> {
        if self.uses_keyring() {
            let account = self.account(name);
            match keyring_call(move || entry(&account)?.delete_credential()) {
                Some(Ok(())) | Some(Err(keyring::Error::NoEntry)) | None => {}
                Some(Err(e)) => {
                    tracing::debug!(secret = name, reason = %describe(&e), "cannot delete from the keyring")
                }
            }
        }
        remove_file(&self.file(name))
    }

    fn keyring_get(&self, name: &str) -> Option<String> {
        if !self.uses_keyring() {
            return None;
        }
        let account = self.account(name);
        match keyring_call(move || entry(&account)?.get_password())? {
            Ok(value) => Some(value.trim().to_string()).filter(|v| !v.is_empty()),
            Err(keyring::Error::NoEntry) => None,
            Err(e) => {
                tracing::debug!(secret = name, reason = %describe(&e), "cannot read the keyring; trying the private file");
                None
            }
        }
    }
}

fn remove_file(path: &Path) -> Result<(), ConfigError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(ConfigError::Io { path: path.display().to_string(), source: e })
        }
        _ => Ok(()),
    }
}

fn entry(account: &str) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, account)
}

/// A keyring error in words that never carry a secret (`BadEncoding` holds the stored bytes,
/// `Ambiguous` the credentials: neither is printed).
fn describe(e: &keyring::Error) -> String {
    match e {
        keyring::Error::PlatformFailure(inner) => format!("keyring failure: {inner}"),
        keyring::Error::NoStorageAccess(inner) => format!("keyring not accessible: {inner}"),
        keyring::Error::NoEntry => "no such entry".into(),
        keyring::Error::BadEncoding(_) => "the stored value is not UTF-8".into(),
        keyring::Error::TooLong(attr, max) => format!("{attr} is longer than {max}"),
        keyring::Error::Invalid(attr, why) => format!("{attr} is invalid: {why}"),
        keyring::Error::Ambiguous(found) => format!("{} matching entries", found.len()),
        _ => "unknown keyring error".into(),
    }
}

/// Runs one keyring operation on a helper thread; `None` when it did not finish within
/// [`KEYRING_TIMEOUT`] (the keyring is then skipped for the rest of the process) or could not start.
fn keyring_call<T: Send + 'static>(
    op: impl FnOnce() -> keyring::Result<T> + Send + 'static,
) -> Option<keyring::Result<T>> {
    if KEYRING_STUCK.load(Ordering::Relaxed) {
        return None;
    }
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new().name("postcall-keyring".into()).spawn(move || {
        let _ = tx.send(op());
    });
    if spawned.is_err() {
        tracing::debug!("cannot start a keyring thread; using a private file");
        return None;
    }
    match rx.recv_timeout(KEYRING_TIMEOUT) {
        Ok(result) => Some(result),
        Err(_) => {
            KEYRING_STUCK.store(true, Ordering::Relaxed);
            tracing::debug!(
                timeout_ms = KEYRING_TIMEOUT.as_millis() as u64,
                "the keyring did not answer in time; using private files from now on"
            );
            None
        }
    }
}

/// Whether to try the keyring: [`ENV_SECRET_STORE`], else (on Linux and the BSDs) only when a
/// D-Bus session bus is there to reach a Secret Service.
fn keyring_wanted() -> bool {
    match std::env::var(ENV_SECRET_STORE).unwrap_or_default().trim().to_ascii_lowercase().as_str() {
        "file" => return false,
        "keyring" => return true,
        _ => {}
    }
    if cfg!(test) {
        // This crate's unit tests never touch the user's keyring unless asked to.
        return false;
    }
    session_bus_present()
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn session_bus_present() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    // libdbus also finds the bus at $XDG_RUNTIME_DIR/bus (systemd user sessions).
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(|| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").ok().map(|m| PathBuf::from(format!("/run/user/{}", m.uid())))
    });
    let present = runtime.is_some_and(|dir| dir.join("bus").exists());
    if !present {
        tracing::debug!("no D-Bus session bus: secrets go to private files");
    }
    present
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn session_bus_present() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, DataDir, SecretStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::resolve(Some(dir.path())).expect("data");
        let store = SecretStore::file_only(&data);
        (dir, data, store)
    }

    #[test]
    fn the_file_fallback_is_private_and_deletable() {
        let (dir, _data, store) = store();
        assert_eq!(store.get("a-secret"), None);
        assert_eq!(store.where_stored("a-secret"), None);
        assert_eq!(store.set("a-secret", "  v4lue \n").expect("set"), Some(Backend::File));
        assert_eq!(store.get("a-secret").as_deref(), Some("v4lue"));
        assert_eq!(store.backend_for("a-secret"), Some(Backend::File));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("a-secret")).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the user can read the secret");
        }
        store.delete("a-secret").expect("delete");
        assert_eq!(store.get("a-secret"), None);
        store.delete("a-secret").expect("deleting twice is fine");
        store.set("a-secret", "x").expect("set");
        assert_eq!(store.set("a-secret", "   ").expect("clear"), None, "an empty value deletes");
        assert!(!dir.path().join("a-secret").exists());
        // Without a keyring, migrating leaves the file where it is.
        store.set("a-secret", "y").expect("set");
        assert_eq!(store.migrate("a-secret").expect("migrate"), Some(Backend::File));
        assert_eq!(store.get("a-secret").as_deref(), Some("y"));
    }

    #[test]
    fn the_default_store_in_unit_tests_is_the_file() {
        // Unit tests (and POSTCALL_SECRET_STORE=file) never reach the user's keyring.
        let (dir, data, _) = store();
        let s = SecretStore::new(&data);
        if std::env::var(ENV_SECRET_STORE).as_deref() != Ok("keyring") {
            assert!(!s.uses_keyring());
            assert_eq!(s.set("k", "v").expect("set"), Some(Backend::File));
            assert!(dir.path().join("k").is_file());
        }
    }

    #[test]
    fn accounts_are_per_data_folder_and_debug_shows_no_secret() {
        let (_dir, data, store) = store();
        let (_dir2, data2, _) = self::store();
        let (a, b) = (SecretStore::new(&data), SecretStore::new(&data2));
        assert_ne!(a.account("k"), b.account("k"));
        assert!(a.account("k").starts_with("k:"));
        store.set("k", "hunter2-very-secret").expect("set");
        let shown = format!("{store:?} {:?} {}", Backend::File, Backend::Keyring.describe());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(serde_json::to_value(Backend::Keyring).expect("json"), "keyring");
        assert_eq!(serde_json::to_value(Backend::File).expect("json"), "file");
        let e = keyring::Error::BadEncoding(b"hunter2".to_vec());
        assert!(!describe(&e).contains("hunter2"));
    }

    #[test]
    fn the_api_key_keeps_its_old_file_and_env_wins() {
        let (dir, data, _) = store();
        // A key written by an older version is still read.
        std::fs::write(dir.path().join(crate::backfill::API_KEY_SECRET), "sk-old\n").expect("write");
        assert_eq!(crate::backfill::stored_api_key(&data).as_deref(), Some("sk-old"));
        assert_eq!(crate::backfill::api_key_storage(&data), Some(Backend::File));
    }

    #[test]
    fn the_bore_secret_leaves_tunnel_json_and_old_files_migrate() {
        use crate::tunnel::{load_config, save_config, secret_storage, TunnelConfig, BORE_SECRET};
        let (dir, data, _) = store();
        let json = dir.path().join("tunnel.json");
        // An older version kept the secret inside tunnel.json: still read.
        std::fs::write(&json, r#"{"provider":"bore","server":"example.org","secret":"old-bore-secret"}"#)
            .expect("write");
        let old = TunnelConfig::Bore { server: "example.org".into(), secret: Some("old-bore-secret".into()) };
        assert_eq!(load_config(&data), Some(old.clone()));
        assert_eq!(secret_storage(&data), Some(Backend::File));
        // The next save moves it to the secret store.
        save_config(&data, &old).expect("save");
        let text = std::fs::read_to_string(&json).expect("read");
        assert!(!text.contains("old-bore-secret"), "{text}");
        assert_eq!(load_config(&data), Some(old));
        assert_eq!(secret_storage(&data), Some(Backend::File));
        assert!(dir.path().join(BORE_SECRET).is_file());
        // Another provider, or no secret: the bore secret goes.
        save_config(&data, &TunnelConfig::Bore { server: "example.org".into(), secret: None }).expect("save");
        assert_eq!(secret_storage(&data), None);
        assert!(!dir.path().join(BORE_SECRET).exists());
    }

    /// Runs the ignored test `name` of this binary in a child process with `env`.
    fn run_child(name: &str, env: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
        let mut c = std::process::Command::new(std::env::current_exe().expect("test binary"));
        c.args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"]);
        c.env_remove("DBUS_SESSION_BUS_ADDRESS").env_remove(ENV_SECRET_STORE);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run the child test")
    }

    #[test]
    fn keyring_round_trip_on_a_private_secret_service() {
        // A private session bus with an unlocked GNOME Keyring, shared with the black-box tests.
        if !postcall_tests::keyring::tools_present() {
            return;
        }
        let keyring = postcall_tests::keyring::Bus::start().with_unlocked_keyring();
        let dir = tempfile::tempdir().expect("tempdir");
        let out = run_child(
            "secrets::tests::keyring_child",
            &[
                ("DBUS_SESSION_BUS_ADDRESS", keyring.address.as_ref()),
                (ENV_SECRET_STORE, "keyring".as_ref()),
                ("POSTCALL_TEST_KEYRING_DIR", dir.path().as_os_str()),
            ],
        );
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.contains("KEYRING-CHILD-OK"), "{text}");
    }

    #[test]
    fn an_unreachable_keyring_falls_back_to_the_file_quickly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let started = std::time::Instant::now();
        let out = run_child(
            "secrets::tests::unreachable_child",
            &[
                ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/postcall-test-bus".as_ref()),
                (ENV_SECRET_STORE, "keyring".as_ref()),
                ("POSTCALL_TEST_KEYRING_DIR", dir.path().as_os_str()),
            ],
        );
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.contains("UNREACHABLE-CHILD-OK"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    }

    #[test]
    #[ignore = "run through an_unreachable_keyring_falls_back_to_the_file_quickly"]
    fn unreachable_child() {
        let dir = std::env::var_os("POSTCALL_TEST_KEYRING_DIR").expect("POSTCALL_TEST_KEYRING_DIR");
        let data = DataDir::resolve(Some(Path::new(&dir))).expect("data");
        let store = SecretStore::new(&data);
        assert!(store.uses_keyring(), "forced by POSTCALL_SECRET_STORE=keyring");
        let started = std::time::Instant::now();
        assert_eq!(store.set("s", "value-9").expect("set"), Some(Backend::File));
        assert_eq!(store.get("s").as_deref(), Some("value-9"));
        assert_eq!(store.where_stored("s"), Some(Backend::File));
        store.delete("s").expect("delete");
        assert_eq!(store.get("s"), None);
        assert!(started.elapsed() < KEYRING_TIMEOUT * 3, "took {:?}", started.elapsed());
        println!("UNREACHABLE-CHILD-OK");
    }

    /// Run by `keyring_round_trip_on_a_private_secret_service` in a child process whose
    /// environment points at a private session bus; ignored otherwise.
    #[test]
    #[ignore = "needs a Secret Service; run through keyring_round_trip_on_a_private_secret_service"]
    fn keyring_child() {
        let dir = std::env::var_os("POSTCALL_TEST_KEYRING_DIR").expect("POSTCALL_TEST_KEYRING_DIR");
        let data = DataDir::resolve(Some(Path::new(&dir))).expect("data");
        let store = SecretStore::new(&data);
        assert!(store.uses_keyring());
        assert_eq!(store.set("kr-secret", "keyring-value-123").expect("set"), Some(Backend::Keyring));
        assert_eq!(store.get("kr-secret").as_deref(), Some("keyring-value-123"));
        assert_eq!(store.where_stored("kr-secret"), Some(Backend::Keyring));
        for f in std::fs::read_dir(&dir).expect("list").flatten() {
            let bytes = std::fs::read(f.path()).unwrap_or_default();
            assert!(!String::from_utf8_lossy(&bytes).contains("keyring-value-123"), "{:?} holds it", f.path());
        }
        // A file left by an older version is removed once the keyring holds the secret.
        std::fs::write(Path::new(&dir).join("kr-old"), "file-value").expect("write");
        assert_eq!(store.where_stored("kr-old"), Some(Backend::File));
        assert_eq!(store.set("kr-old", "moved").expect("set"), Some(Backend::Keyring));
        assert!(!Path::new(&dir).join("kr-old").exists());
        // …or moved there as it is.
        std::fs::write(Path::new(&dir).join("kr-moved"), "old-file-value\n").expect("write");
        assert_eq!(store.migrate("kr-moved").expect("migrate"), Some(Backend::Keyring));
        assert!(!Path::new(&dir).join("kr-moved").exists());
        assert_eq!(store.get("kr-moved").as_deref(), Some("old-file-value"));
        assert_eq!(store.migrate("kr-moved").expect("again"), Some(Backend::Keyring));
        assert_eq!(store.migrate("kr-none").expect("none"), None);
        // The API key and the bore secret take the same path.
        crate::backfill::set_api_key(&data, "sk-in-keyring").expect("set key");
        assert_eq!(crate::backfill::api_key_storage(&data), Some(Backend::Keyring));
        assert!(!Path::new(&dir).join(crate::backfill::API_KEY_SECRET).exists());
        let bore = crate::tunnel::TunnelConfig::Bore { server: "example.org".into(), secret: Some("bore-kr".into()) };
        crate::tunnel::save_config(&data, &bore).expect("save");
        assert_eq!(crate::tunnel::load_config(&data), Some(bore));
        assert_eq!(crate::tunnel::secret_storage(&data), Some(Backend::Keyring));
        // Another data folder sees none of it.
        let other = tempfile::tempdir().expect("tempdir");
        let other = SecretStore::new(&DataDir::resolve(Some(other.path())).expect("data"));
        assert_eq!(other.get("kr-secret"), None);
        // Deleting removes it from the keyring.
        for name in ["kr-secret", "kr-old", "kr-moved", crate::backfill::API_KEY_SECRET, crate::tunnel::BORE_SECRET] {
            store.delete(name).expect("delete");
            assert_eq!(store.get(name), None);
        }
        println!("KEYRING-CHILD-OK");
    }
}
