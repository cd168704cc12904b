//! The running parts shared by `postcall serve` and the desktop app: the data folder, the store,
//! the ingest writer and the webhook listener, with the listener restartable on another port or
//! with a rotated secret. Opening a service takes the data folder's writer lock ([`crate::lock`])
//! for as long as it lives.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

use crate::config::{ConfigError, DataDir};
use crate::ingest::Ingestor;
use crate::listener::{self, BindError, Listener, ListenerConfig};
use crate::lock::{LockError, WriterLock};
use crate::recordings::{Vault, VaultLimits};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// What the UI and `serve` report about the listener.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct ListenerStatus {
    /// `starting`, `running`, `failed` or `stopped`.
    #[ts(as = "crate::store::names::ListenerState")]
    pub state: &'static str,
    pub bind: String,
    pub port: Option<u16>,
    pub webhook_url: Option<String>,
    pub error: Option<String>,
}

pub struct Service {
    pub data: DataDir,
    pub store: Arc<Store>,
    pub ingest: Ingestor,
    /// The recording vault; its worker runs once [`Service::start_vault`] is called.
    pub vault: Arc<Vault>,
    secret_override: Option<String>,
    secret: Mutex<String>,
    config: ListenerConfig,
    listener: tokio::sync::Mutex<Option<Listener>>,
    status: Mutex<ListenerStatus>,
    _lock: WriterLock,
}

impl Service {
    /// Opens the data folder and the database and starts the writer. Does not listen yet.
    pub fn open(
        data: DataDir,
        secret_flag: Option<&str>,
        body_limit: Option<usize>,
    ) -> Result<Arc<Self>, ServiceError> {
        let lock = WriterLock::acquire(data.root())?;
        let secret = data.secret(secret_flag)?;
        let store = Arc::new(Store::open(&data.db_path())?);
        // Tallies keyed by another zone's days (the machine moved, or the upgrade that made them
        // local) are rebuilt before the writer starts, with progress (see insights::zone).
        crate::insights::zone::ensure_machine(&store)?;
        let ingest = Ingestor::start(store.clone())?;
        let vault = Vault::open(store.clone(), data.clone(), VaultLimits::from_env())?;
        let mut config = ListenerConfig::new(secret.clone());
        if let Some(limit) = body_limit {
            config.body_limit = limit;
        }
        Ok(Arc::new(Self {
            data,
            store,
            ingest,
            vault,
            secret_override: secret_flag
                .map(str::to_string)
                .or_else(|| std::env::var(crate::config::ENV_SECRET).ok())
                .or_else(|| std::env::var(crate::config::ENV_SECRET_FILE).ok())
                .filter(|s| !s.is_empty()),
            secret: Mutex::new(secret),
            config,
            listener: tokio::sync::Mutex::new(None),
            status: Mutex::new(ListenerStatus {
                state: "stopped",
                bind: String::new(),
                port: None,
                webhook_url: None,
                error: None,
            }),
            _lock: lock,
        }))
    }

    pub fn secret(&self) -> String {
        self.secret.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn status(&self) -> ListenerStatus {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_status(&self, s: ListenerStatus) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }

    /// (Re)starts the listener on `addr`. On failure the status says why and the old listener, if
    /// any, has been stopped.
    pub async fn listen(&self, addr: SocketAddr) -> Result<ListenerStatus, ServiceError> {
        let mut slot = self.listener.lock().await;
        if let Some(old) = slot.take() {
            old.shutdown(Duration::from_secs(5)).await;
        }
        let mut config = self.config.clone();
        config.secret = self.secret();
        let app = listener::router(self.ingest.clone(), &config);
        match Listener::start_with(addr, app, config.accept) {
            Ok(l) => {
                let status = ListenerStatus {
                    state: "running",
                    bind: addr.to_string(),
                    port: Some(l.addr.port()),
                    webhook_url: Some(l.webhook_url(&config.secret)),
                    error: None,
                };
                tracing::info!(addr = %l.addr, "webhook listener running");
                *slot = Some(l);
                self.set_status(status.clone());
                Ok(status)
            }
            Err(e) => {
                self.set_status(ListenerStatus {
                    state: "failed",
                    bind: addr.to_string(),
                    port: None,
                    webhook_url: None,
                    error: Some(e.to_string()),
                });
                Err(e.into())
            }
        }
    }

    /// A new secret; the listener restarts on the same port so the old URL stops working at once.
    pub async fn rotate_secret(&self) -> Result<ListenerStatus, ServiceError> {
        if self.secret_override.is_some() {
            return Err(ConfigError::Settings {
                path: "POSTCALL_SECRET / --secret".into(),
                message: "the secret is set from outside Postcall and cannot be rotated here".into(),
            }
            .into());
        }
        let secret = self.data.rotate_secret()?;
        *self.secret.lock().unwrap_or_else(|e| e.into_inner()) = secret;
        let status = self.status();
        let addr = match status.port {
            Some(port) => SocketAddr::from(([127, 0, 0, 1], port)),
            None => listener::parse_bind(&status.bind)?,
        };
        self.listen(addr).await
    }

    /// Starts downloading recordings in the background (needs a Tokio runtime): those queued
    /// now and those of every call that arrives from here on.
    pub fn start_vault(&self) {
        let events = self.ingest.subscribe();
        tokio::spawn(self.vault.clone().run(Some(events)));
    }

    pub async fn shutdown(&self) {
        self.vault.stop();
        if let Some(l) = self.listener.lock().await.take() {
            l.shutdown(Duration::from_secs(10)).await;
        }
        self.set_status(ListenerStatus { state: "stopped", ..self.status() });
    }
}

/// What the desktop app shows at a glance.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    pub version: &'static str,
    pub data_dir: String,
    pub db_path: String,
    pub listener: ListenerStatus,
    pub calls_total: i64,
    pub failed_deliveries: i64,
    /// Deliveries whose call could not be built (retried at start and by `postcall reindex`).
    pub indexing_errors: i64,
    /// Why calls cannot be indexed any more (a writer thread stopped); restart to recover.
    pub pipeline_error: Option<String>,
    pub last_call: Option<crate::query::CallSummary>,
}

#[derive(Debug, thiserror::Error)]
pub enum TestCallError {
    #[error("the listener is not running; start it on a free port first")]
    NotListening,
    #[error("the test call could not reach the listener: {0}")]
    Unreachable(String),
    #[error("the listener answered {status}: {body}")]
    Rejected { status: u16, body: String },
}

impl Service {
    pub fn app_status(&self) -> Result<AppStatus, StoreError> {
        let (calls_total, failed_deliveries, indexing_errors, last_call) = self.store.read(|c| {
            Ok((
                crate::store::calls::count(c)?,
                crate::store::deliveries::count_failed(c)?,
                crate::store::index_errors::count(c)?,
                crate::query::latest(c)?,
            ))
        })?;
        Ok(AppStatus {
            version: env!("CARGO_PKG_VERSION"),
            data_dir: self.data.root().display().to_string(),
            db_path: self.data.db_path().display().to_string(),
            listener: self.status(),
            calls_total,
            failed_deliveries,
            indexing_errors,
            pipeline_error: self.ingest.problem(),
            last_call,
        })
    }

    /// Posts a sample payload through the real listener over HTTP, exactly as Intellixent would,
    /// so the whole path (socket, secret, parse, store, UI event) is exercised. Returns the call id.
    pub async fn send_test_call(&self) -> Result<i64, TestCallError> {
        let url = self.status().webhook_url.ok_or(TestCallError::NotListening)?;
        let id = 900_000_000 + crate::time::now_ms() / 1000 % 100_000_000;
        let body = crate::sample::test_call(id);
        let resp = reqwest::Client::new()
            .post(&url)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| TestCallError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if status != 200 {
            return Err(TestCallError::Rejected { status, body: text });
        }
        Ok(id)
    }
}

/// A shell command that re-sends a stored delivery to the local listener, byte for byte. A text
/// body goes as `--data-raw`, so one starting with `@` is sent as it is rather than naming a file
/// for curl to read (and post); a binary body, or one with a NUL byte no argument can carry, is
/// piped in from base64.
pub fn curl_command(delivery: &crate::store::deliveries::Delivery, webhook_url: &str) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let content_type = delivery.content_type.as_deref().unwrap_or("application/json");
    if delivery.body_encoding == "utf8" && delivery.body.contains('\0') {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(delivery.body.as_bytes());
        let as_binary =
            crate::store::deliveries::Delivery { body: encoded, body_encoding: "base64", ..delivery.clone() };
        return curl_command(&as_binary, webhook_url);
    }
    if delivery.body_encoding == "base64" {
        format!(
            "printf %s {} | base64 -d | curl -sS -X POST -H {} --data-binary @- {}",
            quote(&delivery.body),
            quote(&format!("Content-Type: {content_type}")),
            quote(webhook_url)
        )
    } else {
        format!(
            "curl -sS -X POST -H {} --data-raw {} {}",
            quote(&format!("Content-Type: {content_type}")),
            quote(&delivery.body),
            quote(webhook_url)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_command_quotes_single_quotes() {
        let d = crate::store::deliveries::Delivery {
            id: 1,
            received_at: String::new(),
            source: "webhook".into(),
            content_type: None,
            outcome: "stored".into(),
            error: None,
            call_id: Some(1),
            body: r#"{"id":1,"summary":"it's fine"}"#.into(),
            body_encoding: "utf8",
        };
        let cmd = curl_command(&d, "http://127.0.0.1:8787/hooks/s");
        assert_eq!(
            cmd,
            r#"curl -sS -X POST -H 'Content-Type: application/json' --data-raw '{"id":1,"summary":"it'\''s fine"}' 'http://127.0.0.1:8787/hooks/s'"#
        );
    }

    fn delivery(body: &str, encoding: &'static str) -> crate::store::deliveries::Delivery {
        crate::store::deliveries::Delivery {
            id: 1,
            received_at: String::new(),
            source: "webhook".into(),
            content_type: Some("application/json".into()),
            outcome: "stored".into(),
            error: None,
            call_id: Some(1),
            body: body.into(),
            body_encoding: encoding,
        }
    }

    /// Runs `cmd` with bash against a one-request listener on loopback; returns the body it got.
    fn body_received(cmd_for: impl FnOnce(&str) -> String) -> Vec<u8> {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hooks/s", listener.local_addr().expect("addr"));
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("header");
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().expect("length");
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let mut stream = stream;
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").expect("answer");
            body
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(cmd_for(&url))
            .current_dir(dir.path())
            .stdin(std::process::Stdio::null())
            .status()
            .expect("run bash");
        assert!(status.success(), "the command failed: {status}");
        server.join().expect("listener")
    }

    #[test]
    fn copy_as_curl_sends_a_body_starting_with_at_as_it_is() {
        let body = "@/etc/hostname";
        let cmd = curl_command(&delivery(body, "utf8"), "http://127.0.0.1:1/hooks/s");
        assert!(cmd.contains("--data-raw '@/etc/hostname'"), "{cmd}");
        assert!(!cmd.contains("--data-binary '@"), "{cmd}");
        let curl = std::process::Command::new("curl").arg("--version").output();
        if !curl.is_ok_and(|o| o.status.success()) {
            eprintln!("curl is not installed: checked the command's form only");
            return;
        }
        for body in ["@/etc/hostname", "@-", "{\"id\": 1, \"q\": \"it's $HOME `x` \\n\"}\n", "line\r\nbreaks\n"] {
            let got = body_received(|url| curl_command(&delivery(body, "utf8"), url));
            assert_eq!(String::from_utf8_lossy(&got), body, "the exact body is sent");
        }
        let got = body_received(|url| curl_command(&delivery("a\0b", "utf8"), url));
        assert_eq!(got, b"a\0b", "a NUL byte goes through base64");
    }
}
