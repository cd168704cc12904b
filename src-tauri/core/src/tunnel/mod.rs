//! The tunnel: a public URL for the webhook listener, so Intellixent can reach a laptop behind NAT.
//!
//! One [`TunnelProvider`] per way of getting a public URL (bore or ngrok in process, a supervised
//! `cloudflared` quick tunnel, or the user's own URL). [`Tunnel::start`] runs a supervisor task
//! that connects, restarts with exponential backoff when the provider drops, and stops on
//! [`Tunnel::stop`] (a `CancellationToken`). Being online is not trusted: the supervisor asks
//! `GET <public URL>/healthz?probe=<nonce>` and reports `reachable` only when its own listener
//! echoes the nonce back, and re-checks periodically.
//!
//! The tunnel forwards only to the webhook listener (which serves nothing but `/hooks/<secret>`
//! and `/healthz`). Secrets (the bore secret, the ngrok authtoken, the webhook secret in the public
//! URL) are never logged; the tunnel settings live in `tunnel.json`, readable only by the user, and
//! the bore secret and ngrok authtoken in the OS keyring or a private file ([`crate::secrets`]).

mod bore;
mod cloudflared;
mod control;
pub mod follow;
mod ngrok;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::config::{ConfigError, DataDir};
use crate::secrets::{Backend, SecretStore};

pub use cloudflared::parse_quick_tunnel_url;
pub use control::{TunnelControl, TunnelOverview};
pub use ngrok::NGROK_AUTHTOKEN_ENV;

pub const DEFAULT_BORE_SERVER: &str = "bore.pub";

/// Shown whenever bore is the provider: its public side is plain HTTP.
pub const BORE_WARNING: &str = "bore is plain HTTP: the webhook payloads (phone numbers, transcripts) cross the \
     internet unencrypted. Prefer cloudflared or your own HTTPS URL for real calls.";

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which tunnel to run, with its settings. Saved by [`save_config`] (the bore secret and the
/// ngrok authtoken apart).
#[derive(Clone, Serialize, Deserialize, PartialEq, TS)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum TunnelConfig {
    None,
    Bore {
        /// `HOST[:PORT]`: the bore server, and optionally the public port to ask for.
        #[serde(default = "default_bore_server")]
        server: String,
        #[serde(default)]
        #[ts(optional = nullable)]
        secret: Option<String>,
    },
    Ngrok {
        /// A domain reserved on the user's ngrok account, for a stable URL; default: ngrok picks.
        #[serde(default)]
        #[ts(optional = nullable)]
        domain: Option<String>,
        /// The ngrok authtoken; [`NGROK_AUTHTOKEN_ENV`] wins over it.
        #[serde(default)]
        #[ts(optional = nullable)]
        authtoken: Option<String>,
    },
    Cloudflared {
        /// The `cloudflared` executable; default: found on PATH.
        #[serde(default)]
        #[ts(optional = nullable)]
        binary: Option<PathBuf>,
    },
    Custom {
        /// The user's own public base URL that reaches the listener (Tailscale Funnel, a proxy).
        url: String,
    },
}

fn default_bore_server() -> String {
    DEFAULT_BORE_SERVER.into()
}

// Hand-written so the bore secret and the ngrok authtoken never reach a log line through `{:?}`.
impl std::fmt::Debug for TunnelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TunnelConfig::None => f.write_str("None"),
            TunnelConfig::Bore { server, secret } => f
                .debug_struct("Bore")
                .field("server", server)
                .field("secret", &secret.as_ref().map(|_| "<redacted>"))
                .finish(),
            TunnelConfig::Ngrok { domain, authtoken } => f
                .debug_struct("Ngrok")
                .field("domain", domain)
                .field("authtoken", &authtoken.as_ref().map(|_| "<redacted>"))
                .finish(),
            TunnelConfig::Cloudflared { binary } => f.debug_struct("Cloudflared").field("binary", binary).finish(),
            TunnelConfig::Custom { url } => f.debug_struct("Custom").field("url", url).finish(),
        }
    }
}

impl TunnelConfig {
    pub fn provider(&self) -> &'static str {
        match self {
            TunnelConfig::None => "none",
            TunnelConfig::Bore { .. } => "bore",
            TunnelConfig::Ngrok { .. } => "ngrok",
            TunnelConfig::Cloudflared { .. } => "cloudflared",
            TunnelConfig::Custom { .. } => "custom",
        }
    }
}

/// Where the tunnel is. Serialized as `{"state": "online", "public_url": …}` and so on.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum TunnelState {
    Off,
    Starting,
    Online {
        /// The full public webhook URL, secret path included.
        public_url: String,
        /// True only when a probe through `public_url` reached this Postcall's listener.
        reachable: bool,
        /// When the last probe ran (ms since the epoch).
        checked_at_ms: Option<i64>,
        /// Why the last probe failed, if it did.
        check_error: Option<String>,
    },
    Reconnecting {
        reason: String,
    },
    Failed {
        reason: String,
        /// When the next attempt starts (ms since the epoch); `None`: no retry, fix the settings.
        next_retry_ms: Option<i64>,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct TunnelStatus {
    #[ts(as = "crate::store::names::TunnelProvider")]
    pub provider: &'static str,
    #[serde(flatten)]
    pub state: TunnelState,
    /// A standing caution about this provider (bore is plain HTTP).
    pub warning: Option<String>,
}

impl TunnelStatus {
    pub fn off() -> Self {
        Self { provider: "none", state: TunnelState::Off, warning: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("{0}")]
    Config(String),
    #[error("the tunnel failed: {0}")]
    Failed(String),
}

/// A connect attempt that did not work: worth retrying, or not until the settings change.
#[derive(Debug)]
pub(crate) enum ConnectError {
    Retry(String),
    Fatal(String),
}

/// A connected tunnel: its public base URL and a future that resolves (with a reason) when it drops.
pub(crate) struct Session {
    pub base: String,
    pub ended: BoxFuture<'static, String>,
}

/// One way of getting a public URL for the local listener.
pub(crate) trait TunnelProvider: Send + Sync {
    fn name(&self) -> &'static str;
    fn warning(&self) -> Option<String> {
        None
    }
    /// Opens the tunnel to `127.0.0.1:local_port`.
    fn connect(&self, local_port: u16) -> BoxFuture<'_, Result<Session, ConnectError>>;
}

/// The user's own public URL: nothing to run, but it is verified like the others.
struct Custom {
    url: String,
}

impl TunnelProvider for Custom {
    fn name(&self) -> &'static str {
        "custom"
    }
    fn warning(&self) -> Option<String> {
        self.url.starts_with("http://").then(|| {
            "this public URL is plain HTTP: payloads (phone numbers, transcripts) travel unencrypted".to_string()
        })
    }
    fn connect(&self, _local_port: u16) -> BoxFuture<'_, Result<Session, ConnectError>> {
        let base = self.url.clone();
        Box::pin(async move { Ok(Session { base, ended: Box::pin(std::future::pending()) }) })
    }
}

/// Checks a configuration and builds its provider; `Ok(None)` for "none".
fn provider(config: &TunnelConfig) -> Result<Option<Box<dyn TunnelProvider>>, TunnelError> {
    Ok(match config {
        TunnelConfig::None => None,
        TunnelConfig::Bore { server, secret } => {
            Some(Box::new(bore::Bore::parse(server, secret.clone().filter(|s| !s.is_empty()))?))
        }
        TunnelConfig::Ngrok { domain, authtoken } => {
            Some(Box::new(ngrok::Ngrok::new(domain.clone(), authtoken.clone().filter(|s| !s.is_empty()))))
        }
        TunnelConfig::Cloudflared { binary } => Some(Box::new(cloudflared::Cloudflared { binary: binary.clone() })),
        TunnelConfig::Custom { url } => {
            let url = url.trim().trim_end_matches('/');
            let parsed = reqwest::Url::parse(url)
                .map_err(|_| TunnelError::Config(format!("{url:?} is not a URL; use https://host[/path]")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(TunnelError::Config(format!("{url:?} must be an http:// or https:// URL with a host")));
            }
            Some(Box::new(Custom { url: url.to_string() }))
        }
    })
}

/// Timings of the supervisor; tests shorten them.
#[derive(Debug, Clone)]
pub struct TunnelOptions {
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// A session that lasted this long resets the backoff.
    pub stable_after: Duration,
    /// How often a reachable tunnel is probed again.
    pub recheck_every: Duration,
    /// How often an unreachable one is probed again.
    pub retry_probe_every: Duration,
    pub probe_timeout: Duration,
}

impl Default for TunnelOptions {
    fn default() -> Self {
        Self {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            stable_after: Duration::from_secs(30),
            recheck_every: Duration::from_secs(60),
            retry_probe_every: Duration::from_secs(3),
            probe_timeout: Duration::from_secs(10),
        }
    }
}

impl TunnelOptions {
    /// `base · 2^failures`, capped.
    pub fn backoff(&self, failures: u32) -> Duration {
        self.backoff_base.saturating_mul(1u32 << failures.min(16)).min(self.backoff_max)
    }
}

/// A running tunnel supervisor. Dropping it does not stop it: call [`Tunnel::stop`].
pub struct Tunnel {
    status: watch::Receiver<TunnelStatus>,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Tunnel {
    /// Starts the supervisor on the current runtime for the listener on `127.0.0.1:local_port`,
    /// whose webhook path is `/hooks/<webhook_secret>`.
    pub fn start(
        config: &TunnelConfig,
        local_port: u16,
        webhook_secret: String,
        options: TunnelOptions,
    ) -> Result<Tunnel, TunnelError> {
        let cancel = CancellationToken::new();
        let Some(provider) = provider(config)? else {
            let (_tx, rx) = watch::channel(TunnelStatus::off());
            return Ok(Tunnel { status: rx, cancel, task: None });
        };
        let (tx, rx) = watch::channel(TunnelStatus {
            provider: provider.name(),
            state: TunnelState::Starting,
            warning: provider.warning(),
        });
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            supervise(provider, local_port, webhook_secret, options, &tx, &stop).await;
            tx.send_modify(|s| s.state = TunnelState::Off);
        });
        Ok(Tunnel { status: rx, cancel, task: Some(task) })
    }

    pub fn status(&self) -> TunnelStatus {
        self.status.borrow().clone()
    }

    /// Every change of status, from now on.
    pub fn subscribe(&self) -> watch::Receiver<TunnelStatus> {
        self.status.clone()
    }

    /// Closes the tunnel (killing cloudflared, dropping the bore or ngrok session) and waits for it.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(10), task).await.is_err() {
                tracing::warn!("the tunnel did not stop in time");
            }
        }
    }
}

fn deadline_ms(wait: Duration) -> i64 {
    crate::time::now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2)
}

async fn supervise(
    provider: Box<dyn TunnelProvider>,
    local_port: u16,
    webhook_secret: String,
    opts: TunnelOptions,
    tx: &watch::Sender<TunnelStatus>,
    cancel: &CancellationToken,
) {
    let set = |state: TunnelState| tx.send_modify(|s| s.state = state);
    let name = provider.name();
    let mut failures: u32 = 0;
    loop {
        let attempt = tokio::select! {
            _ = cancel.cancelled() => return,
            r = provider.connect(local_port) => r,
        };
        let (wait, reason) = match attempt {
            Err(ConnectError::Fatal(reason)) => {
                tracing::warn!(provider = name, %reason, "tunnel failed; not retrying");
                set(TunnelState::Failed { reason, next_retry_ms: None });
                // Stay failed (not off) until stopped, so the UI and `serve` can show why.
                cancel.cancelled().await;
                return;
            }
            Err(ConnectError::Retry(reason)) => {
                let wait = opts.backoff(failures);
                failures = failures.saturating_add(1);
                tracing::warn!(provider = name, %reason, retry_in_ms = wait.as_millis() as u64, "tunnel failed");
                set(TunnelState::Failed { reason: reason.clone(), next_retry_ms: Some(deadline_ms(wait)) });
                (wait, reason)
            }
            Ok(session) => {
                let started = Instant::now();
                let public_url = format!("{}/hooks/{}", session.base.trim_end_matches('/'), webhook_secret);
                tracing::info!(provider = name, base = %session.base, "tunnel online");
                let Some(reason) = run_session(session, public_url, &opts, tx, cancel).await else { return };
                if started.elapsed() >= opts.stable_after {
                    failures = 0;
                }
                let wait = opts.backoff(failures);
                failures = failures.saturating_add(1);
                tracing::warn!(provider = name, %reason, retry_in_ms = wait.as_millis() as u64, "tunnel dropped");
                set(TunnelState::Reconnecting { reason: reason.clone() });
                (wait, reason)
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        set(TunnelState::Reconnecting { reason });
    }
}

/// Online until the session ends (returns why) or the tunnel is stopped (returns `None`),
/// probing the public URL meanwhile.
async fn run_session(
    session: Session,
    public_url: String,
    opts: &TunnelOptions,
    tx: &watch::Sender<TunnelStatus>,
    cancel: &CancellationToken,
) -> Option<String> {
    let Session { base, mut ended } = session;
    tx.send_modify(|s| {
        s.state = TunnelState::Online {
            public_url: public_url.clone(),
            reachable: false,
            checked_at_ms: None,
            check_error: None,
        }
    });
    let client = match reqwest::Client::builder().timeout(opts.probe_timeout).build() {
        Ok(c) => c,
        Err(e) => return Some(format!("cannot make an HTTP client: {e}")),
    };
    loop {
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return None,
            reason = &mut ended => return Some(reason),
            o = probe(&client, &base) => o,
        };
        let reachable = outcome.is_ok();
        tx.send_modify(|s| {
            s.state = TunnelState::Online {
                public_url: public_url.clone(),
                reachable,
                checked_at_ms: Some(crate::time::now_ms()),
                check_error: outcome.err(),
            }
        });
        let next = if reachable { opts.recheck_every } else { opts.retry_probe_every };
        tokio::select! {
            _ = cancel.cancelled() => return None,
            reason = &mut ended => return Some(reason),
            _ = tokio::time::sleep(next) => {}
        }
    }
}

/// `GET <base>/healthz?probe=<nonce>` through the public side; only our own listener echoes the nonce.
async fn probe(client: &reqwest::Client, base: &str) -> Result<(), String> {
    let nonce = crate::config::new_secret();
    let url = format!("{}/healthz?probe={nonce}", base.trim_end_matches('/'));
    let resp =
        client.get(&url).send().await.map_err(|e| format!("the public URL did not answer: {}", e.without_url()))?;
    let status = resp.status();
    let body: serde_json::Value = resp
        .json()
        .await
        .map_err(|_| format!("the public URL answered {status}, but not from this Postcall's listener"))?;
    if body.get("probe").and_then(|v| v.as_str()) == Some(nonce.as_str()) {
        Ok(())
    } else {
        Err(format!("the public URL answered {status}, but not from this Postcall's listener"))
    }
}

fn config_path(data: &DataDir) -> PathBuf {
    data.root().join("tunnel.json")
}

/// The bore secret's name in the [`SecretStore`] (and its file name where there is no keyring).
pub const BORE_SECRET: &str = "bore-secret";
/// The ngrok authtoken's name in the [`SecretStore`].
pub const NGROK_AUTHTOKEN: &str = "ngrok-authtoken";

impl TunnelConfig {
    /// The provider's secret (bore secret, ngrok authtoken) and its name in the [`SecretStore`].
    fn secret_mut(&mut self) -> Option<(&'static str, &mut Option<String>)> {
        match self {
            TunnelConfig::Bore { secret, .. } => Some((BORE_SECRET, secret)),
            TunnelConfig::Ngrok { authtoken, .. } => Some((NGROK_AUTHTOKEN, authtoken)),
            _ => None,
        }
    }

    /// Whether this config carries a non-empty secret (bore secret or ngrok authtoken).
    pub fn has_secret(&self) -> bool {
        match self {
            TunnelConfig::Bore { secret: s, .. } | TunnelConfig::Ngrok { authtoken: s, .. } => {
                s.as_deref().is_some_and(|s| !s.is_empty())
            }
            _ => false,
        }
    }

    /// Drops the secret (bore secret, ngrok authtoken), for showing the settings.
    pub fn without_secret(mut self) -> Self {
        if let Some((_, s)) = self.secret_mut() {
            *s = None;
        }
        self
    }

    /// Fills a blank secret from `saved` when it is the same provider (a blank field keeps the saved one).
    pub fn keep_secret_from(&mut self, saved: Option<TunnelConfig>) {
        let Some(mut saved) = saved else { return };
        if std::mem::discriminant(self) != std::mem::discriminant(&saved) {
            return;
        }
        if let (Some((_, mine)), Some((_, theirs))) = (self.secret_mut(), saved.secret_mut()) {
            if mine.as_deref().is_none_or(str::is_empty) {
                *mine = theirs.take();
            }
        }
    }
}

/// The saved tunnel settings, the bore secret or ngrok authtoken filled in from the secret store;
/// `None` when none were saved. A `tunnel.json` from an older version that still holds the bore
/// secret is read as is.
pub fn load_config(data: &DataDir) -> Option<TunnelConfig> {
    let mut config: TunnelConfig =
        std::fs::read(config_path(data)).ok().and_then(|b| serde_json::from_slice(&b).ok())?;
    if let Some((name, secret)) = config.secret_mut() {
        if secret.as_deref().is_none_or(str::is_empty) {
            *secret = SecretStore::new(data).get(name);
        }
    }
    Some(config)
}

/// Saves the settings in `tunnel.json` (readable by the user only) and the bore secret or ngrok
/// authtoken apart, in the OS keyring or a private file ([`crate::secrets`]); a config without
/// one removes it.
pub fn save_config(data: &DataDir, config: &TunnelConfig) -> Result<(), ConfigError> {
    let mut config = config.clone();
    let (name, secret) = match config.secret_mut() {
        Some((name, secret)) => (Some(name), secret.take()),
        None => (None, None),
    };
    let store = SecretStore::new(data);
    for n in [BORE_SECRET, NGROK_AUTHTOKEN] {
        let value = if Some(n) == name { secret.as_deref().unwrap_or("") } else { "" };
        store.set(n, value)?;
    }
    let bytes = serde_json::to_vec_pretty(&config).unwrap_or_default();
    crate::config::write_private(&config_path(data), &bytes)
}

/// Where the saved secret (bore secret or ngrok authtoken) is kept; `None` when there is none.
/// A bore secret still inside an older `tunnel.json` (until the next save moves it) counts as a
/// private file.
pub fn secret_storage(data: &DataDir) -> Option<Backend> {
    let store = SecretStore::new(data);
    store.where_stored(BORE_SECRET).or_else(|| store.where_stored(NGROK_AUTHTOKEN)).or_else(|| {
        let saved: TunnelConfig = serde_json::from_slice(&std::fs::read(config_path(data)).ok()?).ok()?;
        matches!(saved, TunnelConfig::Bore { secret: Some(s), .. } if !s.is_empty()).then_some(Backend::File)
    })
}

/// `postcall serve`'s tunnel flags.
#[derive(Debug, Clone, clap::Args)]
pub struct TunnelArgs {
    /// Expose the listener through a public URL.
    #[arg(long, value_enum, default_value = "none")]
    pub tunnel: TunnelKind,
    /// bore: the server, HOST[:PORT] (PORT: the public port to ask for). Default: bore.pub.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub tunnel_server: Option<String>,
    /// bore: the server's secret.
    #[arg(long, env = "POSTCALL_TUNNEL_SECRET", hide_env_values = true, value_name = "S")]
    pub tunnel_secret: Option<String>,
    /// custom: your own public base URL that reaches this listener.
    #[arg(long, value_name = "URL")]
    pub tunnel_url: Option<String>,
    /// cloudflared: the executable (default: `cloudflared` on PATH).
    #[arg(long, value_name = "PATH")]
    pub cloudflared_path: Option<PathBuf>,
    /// ngrok: a domain reserved on your ngrok account, for a stable URL (the authtoken comes
    /// from POSTCALL_NGROK_AUTHTOKEN).
    #[arg(long, value_name = "DOMAIN")]
    pub ngrok_domain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TunnelKind {
    None,
    Cloudflared,
    Bore,
    Ngrok,
    Custom,
}

impl TunnelArgs {
    pub fn config(&self) -> Result<TunnelConfig, TunnelError> {
        Ok(match self.tunnel {
            TunnelKind::None => TunnelConfig::None,
            TunnelKind::Bore => TunnelConfig::Bore {
                server: self.tunnel_server.clone().unwrap_or_else(default_bore_server),
                secret: self.tunnel_secret.clone(),
            },
            // The authtoken is read from POSTCALL_NGROK_AUTHTOKEN when the tunnel starts.
            TunnelKind::Ngrok => TunnelConfig::Ngrok { domain: self.ngrok_domain.clone(), authtoken: None },
            TunnelKind::Cloudflared => TunnelConfig::Cloudflared { binary: self.cloudflared_path.clone() },
            TunnelKind::Custom => TunnelConfig::Custom {
                url: self
                    .tunnel_url
                    .clone()
                    .ok_or_else(|| TunnelError::Config("--tunnel custom needs --tunnel-url URL".into()))?,
            },
        })
    }
}

/// For `postcall serve`: describes every change of state on stderr and prints
/// `Public webhook URL: …` on stdout, on a line of its own, each time a new URL is verified
/// reachable. Returns only when the tunnel fails for good.
pub async fn print_changes(mut rx: watch::Receiver<TunnelStatus>) -> TunnelError {
    use std::io::Write;
    let mut last_line = String::new();
    let mut announced: Option<String> = None;
    let mut warned = false;
    loop {
        let status = rx.borrow_and_update().clone();
        if let (Some(w), false) = (&status.warning, warned) {
            eprintln!("tunnel: warning: {w}");
            warned = true;
        }
        let line = match &status.state {
            TunnelState::Off => "tunnel: off".to_string(),
            TunnelState::Starting => format!("tunnel: starting ({})", status.provider),
            TunnelState::Online { public_url, reachable: true, .. } => {
                if announced.as_deref() != Some(public_url.as_str()) {
                    println!("Public webhook URL: {public_url}");
                    println!("Paste it into Intellixent (assistant → Post-Call Actions).");
                    let _ = std::io::stdout().flush();
                    announced = Some(public_url.clone());
                }
                "tunnel: online, reachable".to_string()
            }
            TunnelState::Online { check_error, .. } => format!(
                "tunnel: online, checking that it is reachable{}",
                check_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
            ),
            TunnelState::Reconnecting { reason } => format!("tunnel: reconnecting: {reason}"),
            TunnelState::Failed { reason, next_retry_ms: Some(at) } => {
                format!("tunnel: failed: {reason}; retrying in {} s", (at - crate::time::now_ms()).max(0) / 1000)
            }
            TunnelState::Failed { reason, next_retry_ms: None } => return TunnelError::Failed(reason.clone()),
        };
        if line != last_line {
            eprintln!("{line}");
            last_line = line;
        }
        if rx.changed().await.is_err() {
            return TunnelError::Failed("the tunnel stopped".into());
        }
    }
}

#[cfg(test)]
mod tests;
