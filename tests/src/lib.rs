//! Shared pieces of the black-box tests: the real `postcall` binary, run headless.
//!
//! [`Server`] runs `postcall serve` on `127.0.0.1:0` with its own data folder and learns the port
//! from the `Webhook URL (local): …` line it prints; it is killed when dropped. [`Cli`] runs one
//! subcommand against a data folder and parses its `--json` output. Every process runs without a
//! display and without the `POSTCALL_*` variables of the calling environment, so a test sees only
//! what it set up itself.
//!
//! The binary is `$POSTCALL_BIN`, else `target/debug/postcall` of this workspace (the headless
//! binary: build it first with `cargo build -p postcall-cli`). The end-to-end tests drive the
//! window's binary, [`desktop_bin`].

pub mod audio;
pub mod keyring;
pub mod nats;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The headless `postcall` binary under test: `$POSTCALL_BIN`, else `target/debug/postcall`.
pub fn bin() -> PathBuf {
    built("POSTCALL_BIN", "postcall", "postcall-cli")
}

/// The window's binary, `postcall-desktop`: `$POSTCALL_DESKTOP_BIN`, else
/// `target/debug/postcall-desktop`.
pub fn desktop_bin() -> PathBuf {
    built("POSTCALL_DESKTOP_BIN", "postcall-desktop", "postcall-desktop")
}

fn built(var: &str, name: &str, package: &str) -> PathBuf {
    let path = match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("debug").join(name),
    };
    assert!(
        path.is_file(),
        "the {name} binary is missing at {}: run `cargo build -p {package}` first (or set {var})",
        path.display()
    );
    path
}

/// A `postcall` command with a clean environment: no display, no inherited `POSTCALL_*`. The
/// recording hosts of the tests live on loopback, so `POSTCALL_ALLOW_PRIVATE_HOSTS=127.0.0.1` is
/// set; a test of the address rules overrides it (an empty value allows nothing).
pub fn command() -> Command {
    let mut c = Command::new(bin());
    for var in [
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "POSTCALL_DATA_DIR",
        "POSTCALL_BIND",
        "POSTCALL_SECRET",
        "POSTCALL_SECRET_FILE",
        "POSTCALL_FAULT_INDEX",
        "POSTCALL_PROGRESS",
        "POSTCALL_INTELLIXENT_API_KEY",
        "POSTCALL_RECORDING_MAX_BYTES",
        "POSTCALL_RECORDING_RETRY_MS",
        "POSTCALL_NGROK_AUTHTOKEN",
    ] {
        c.env_remove(var);
    }
    c.env("POSTCALL_ALLOW_PRIVATE_HOSTS", "127.0.0.1");
    c.env("RUST_BACKTRACE", "0");
    // Never touch the developer's own keyring from a test (tests that want one set it up).
    c.env("POSTCALL_SECRET_STORE", "file");
    c.stdin(Stdio::null());
    c
}

/// A fixture file of `tests/fixtures`, as bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// A fixture file parsed as JSON.
pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

/// A fresh temporary data folder.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("postcall-test-").tempdir().expect("create a temporary data folder")
}

/// A webhook secret valid for `--secret` (≥ 22 URL-safe characters), distinct per call.
pub fn secret() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("test-{}-{}-{}", std::process::id(), nanos, N.fetch_add(1, Ordering::Relaxed))
}

/// A running `postcall serve`. Killed (SIGKILL) when dropped unless already stopped.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub secret: String,
    /// `http://127.0.0.1:PORT/hooks/SECRET`, as the server printed it.
    pub url: String,
    pub data: PathBuf,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

impl Server {
    /// `postcall serve --data-dir DATA --bind 127.0.0.1:0 --secret SECRET [extra…]`.
    pub fn start(data: &Path, secret: &str, extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec!["--secret".into(), secret.into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::start_with(data, &args)
    }

    /// `postcall serve --data-dir DATA --bind 127.0.0.1:0 [args…]` (no `--secret` unless given).
    pub fn start_with(data: &Path, args: &[String]) -> Server {
        Self::start_env(data, args, &[])
    }

    /// Like [`Server::start_with`], with extra environment variables.
    pub fn start_env(data: &Path, args: &[String], env: &[(&str, &str)]) -> Server {
        let mut cmd = command();
        cmd.envs(env.iter().copied());
        cmd.arg("serve").arg("--data-dir").arg(data).arg("--bind").arg("127.0.0.1:0").args(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", bin().display()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout_text = Arc::new(Mutex::new(String::new()));
        drain(child.stderr.take().expect("stderr"), stderr.clone());
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let all = stdout_text.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                all.lock().unwrap_or_else(|e| e.into_inner()).push_str(&format!("{line}\n"));
                if let Some(url) = line.strip_prefix("Webhook URL (local): ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(url) => break url,
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "postcall serve exited ({status}) before printing its URL.\nstdout:\n{}\nstderr:\n{}",
                            stdout_text.lock().unwrap_or_else(|e| e.into_inner()),
                            stderr.lock().unwrap_or_else(|e| e.into_inner())
                        );
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        panic!(
                            "postcall serve printed no `Webhook URL (local):` line within 30 s.\nstderr:\n{}",
                            stderr.lock().unwrap_or_else(|e| e.into_inner())
                        );
                    }
                }
            }
        };
        let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("unexpected webhook URL {url:?}"));
        let (port, path_secret) =
            rest.split_once("/hooks/").unwrap_or_else(|| panic!("unexpected webhook URL {url:?}"));
        let port: u16 = port.parse().unwrap_or_else(|_| panic!("no port in {url:?}"));
        assert_ne!(port, 0, "the real port is reported, not 0");
        Server {
            child: Some(child),
            port,
            secret: path_secret.to_string(),
            url,
            data: data.to_path_buf(),
            stderr,
            stdout: stdout_text,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// What the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// SIGKILL, and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM (to this server's own process id only).
    pub fn sigterm(&self) {
        let status = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status().expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit on its own, up to `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("postcall serve did not exit within {limit:?}; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn drain(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => into.lock().unwrap_or_else(|e| e.into_inner()).push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
    });
}

/// The result of one CLI run.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and no panic; returns stdout parsed as JSON.
    pub fn json(&self) -> Value {
        self.ok();
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Asserts a zero exit status and no panic.
    pub fn ok(&self) -> &Self {
        self.no_panic();
        assert!(
            self.status.success(),
            "expected success, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts a non-zero exit status, a message on stderr, and no panic.
    pub fn fails(&self) -> &Self {
        self.no_panic();
        assert!(
            !self.status.success(),
            "expected failure, got success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(!self.stderr.trim().is_empty(), "a failure must say why on stderr");
        self
    }

    pub fn no_panic(&self) -> &Self {
        for text in [&self.stdout, &self.stderr] {
            assert!(
                !text.contains("panicked") && !text.contains("RUST_BACKTRACE") && !text.contains("stack backtrace"),
                "a panic or stack trace was printed:\nstdout:\n{}\nstderr:\n{}",
                self.stdout,
                self.stderr
            );
        }
        self
    }
}

/// Runs `postcall --data-dir DATA ARGS…` to completion.
pub fn cli(data: &Path, args: &[&str]) -> Run {
    cli_env(data, args, &[])
}

/// [`cli`] with extra environment variables.
pub fn cli_env(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out: Output =
        command().envs(env.iter().copied()).arg("--data-dir").arg(data).args(args).output().expect("run postcall");
    Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a subcommand with `--json` appended and returns its parsed output (asserting success).
pub fn cli_json(data: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    cli(data, &a).json()
}

/// `show ID --json`.
pub fn show(data: &Path, id: i64) -> Value {
    cli_json(data, &["show", &id.to_string()])
}

/// A blocking HTTP client for single requests.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client")
}

/// POSTs `body` with `content_type` (if any) and returns the status and the body (as JSON when it is).
pub fn post(url: &str, body: impl Into<Vec<u8>>, content_type: Option<&str>) -> (u16, Value) {
    let mut req = http().post(url).body(body.into());
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = resp.status().as_u16();
    let text = resp.text().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// POSTs a JSON payload as `application/json`.
pub fn post_json(url: &str, payload: &Value) -> (u16, Value) {
    post(url, serde_json::to_vec(payload).expect("serialize"), Some("application/json"))
}

/// The ids of every call in the data folder's database, read directly (works while a server
/// runs, thanks to WAL).
pub fn call_ids_in_db(data: &Path) -> std::collections::BTreeSet<i64> {
    let path = data.join("postcall.sqlite");
    let conn = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    let mut stmt = conn.prepare("SELECT id FROM calls").expect("prepare");
    let ids = stmt.query_map([], |r| r.get::<_, i64>(0)).expect("query").collect::<Result<_, _>>().expect("rows");
    ids
}

/// A minimal valid payload (newer doc format) for `id`, with a unique word in its transcript.
pub fn small_call(id: i64) -> Value {
    serde_json::json!({
        "id": id,
        "customer_phone": format!("+1555{:07}", id % 10_000_000),
        "assistant_phone": "+15550000000",
        "duration": 30,
        "status": "completed",
        "extracted_variables": {"status": true, "summary": format!("test call {id}")},
        "input_variables": {},
        "transcript": [
            {"text": format!("Hello, this is call {id}."), "sender": "bot", "timestamp": 1756812511.3},
            {"text": "Fine, thanks.", "sender": "human", "timestamp": 1756812514.1}
        ],
        "created_at": "2025-01-15T10:30:00.000000Z",
        "finished_at": "2025-01-15T10:30:30.000000Z"
    })
}
