//! The webhook listener: the only thing the tunnel exposes.
//!
//! Routes: `POST /hooks/<secret>` and `GET /healthz`, nothing else (no UI API, no recordings, no
//! CORS), because requests through a tunnel also arrive from 127.0.0.1. The secret is compared in
//! constant time; a wrong one is a plain 404 and nothing is read or stored. Limits: body size
//! (413), a request timeout, a cap on requests in flight, and a rate limit on failed
//! authentications; per connection, a cap on open sockets and a deadline for headers and idle
//! keep-alive ([`accept`]). While the ingest pipeline cannot index (a writer thread died), a
//! webhook gets 503 instead of an acknowledgement and `/healthz` says why. [`router`] is a plain
//! function so tests drive it without a socket; [`Listener`] adds the lifecycle: bind (reporting
//! "port in use"), serve, graceful shutdown.

mod accept;
mod limits;

pub use accept::AcceptLimits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

use crate::ingest::{Ingestor, Source};

pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;
const LISTEN_BACKLOG: u32 = 1024;

#[derive(Clone)]
pub struct ListenerConfig {
    pub secret: String,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub max_in_flight: usize,
    pub accept: AcceptLimits,
}

impl ListenerConfig {
    pub fn new(secret: String) -> Self {
        Self {
            secret,
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 512,
            accept: AcceptLimits::default(),
        }
    }
}

#[derive(Clone)]
struct AppState {
    ingest: Ingestor,
    secret: Arc<str>,
    body_limit: usize,
    auth_failures: Arc<limits::FailureLimiter>,
}

/// The listener's routes, without a socket.
pub fn router(ingest: Ingestor, config: &ListenerConfig) -> Router {
    let state = AppState {
        ingest,
        secret: Arc::from(config.secret.as_str()),
        body_limit: config.body_limit,
        auth_failures: Arc::new(limits::FailureLimiter::new(60, Duration::from_secs(60))),
    };
    Router::new()
        .route("/hooks/{secret}", post(receive))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(state)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(tower::limit::ConcurrencyLimitLayer::new(config.max_in_flight))
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// `GET /healthz`; with `?probe=NONCE` (up to 64 URL-safe characters) the nonce is echoed back,
/// so the tunnel can prove that a request through its public URL reached this listener. /healthz
/// is public anyway and the echo reveals nothing. While the pipeline cannot index, 503 with why.
async fn healthz(State(state): State<AppState>, axum::extract::RawQuery(query): axum::extract::RawQuery) -> Response {
    let probe = query.as_deref().unwrap_or("").split('&').find_map(|pair| pair.strip_prefix("probe=")).filter(|p| {
        !p.is_empty() && p.len() <= 64 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let mut body = match state.ingest.problem() {
        Some(problem) => json!({"ok": false, "error": broken(&problem)}),
        None => json!({"ok": true}),
    };
    if let Some(p) = probe {
        body["probe"] = json!(p);
    }
    let status = if body["ok"] == json!(true) { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    reply(status, body)
}

fn broken(problem: &str) -> String {
    format!("Postcall cannot index calls ({problem}); restart it")
}

async fn not_found() -> Response {
    reply(StatusCode::NOT_FOUND, json!({"ok": false, "error": "not found"}))
}

async fn receive(State(state): State<AppState>, Path(secret): Path<String>, request: Request) -> Response {
    let secret_ok: bool = secret.as_bytes().ct_eq(state.secret.as_bytes()).into();
    if !secret_ok {
        if !state.auth_failures.allow() {
            return reply(StatusCode::TOO_MANY_REQUESTS, json!({"ok": false, "error": "too many requests"}));
        }
        return not_found().await;
    }
    // Nothing is acknowledged into a pipeline that cannot index it: the sender keeps the call.
    if let Some(problem) = state.ingest.problem() {
        return reply(StatusCode::SERVICE_UNAVAILABLE, json!({"ok": false, "error": broken(&problem)}));
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = match axum::body::to_bytes(request.into_body(), state.body_limit).await {
        Ok(b) => b,
        Err(e) => {
            // The only read error with a limit set that is not a broken connection is the limit.
            let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            return if too_large {
                reply(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    json!({"ok": false, "error": format!("the body is larger than the limit of {} bytes", state.body_limit)}),
                )
            } else {
                reply(StatusCode::BAD_REQUEST, json!({"ok": false, "error": "the request body could not be read"}))
            };
        }
    };
    match state.ingest.deliver(Source::Webhook, content_type, body.to_vec()).await {
        Ok(o) => match (o.call_id, o.error) {
            (Some(id), None) => {
                tracing::info!(call_id = id, duplicate = o.duplicate, delivery = o.delivery_id, "webhook stored");
                reply(StatusCode::OK, json!({"ok": true, "call_id": id, "duplicate": o.duplicate}))
            }
            (_, error) => {
                tracing::warn!(delivery = o.delivery_id, "webhook body unusable; kept as a failed delivery");
                reply(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"ok": false, "error": error, "delivery_id": o.delivery_id}),
                )
            }
        },
        Err(crate::ingest::IngestError::Broken(problem)) => {
            reply(StatusCode::SERVICE_UNAVAILABLE, json!({"ok": false, "error": broken(&problem)}))
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook could not be stored");
            reply(StatusCode::SERVICE_UNAVAILABLE, json!({"ok": false, "error": "storage is unavailable, retry later"}))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "Port {port} is already in use by another program; choose another port (Settings, --bind or POSTCALL_BIND)"
    )]
    InUse { port: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Other { addr: String, source: std::io::Error },
    #[error("{0:?} is not an address to listen on; use HOST:PORT such as 127.0.0.1:8787")]
    BadAddress(String),
}

/// Parses `HOST:PORT` or a bare port (taken as 127.0.0.1).
pub fn parse_bind(s: &str) -> Result<SocketAddr, BindError> {
    let s = s.trim();
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse().map_err(|_| BindError::BadAddress(s.to_string()))
}

/// A running listener. Dropping it does not stop it: call [`Listener::shutdown`].
pub struct Listener {
    pub addr: SocketAddr,
    token: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    connections: Arc<accept::Connections>,
}

impl Listener {
    /// [`Listener::start_with`] the default connection limits.
    pub fn start(addr: SocketAddr, app: Router) -> Result<Self, BindError> {
        Self::start_with(addr, app, AcceptLimits::default())
    }

    /// Binds first (so "port in use" is an error, not a panic), then serves on the current runtime.
    pub fn start_with(addr: SocketAddr, app: Router, limits: AcceptLimits) -> Result<Self, BindError> {
        crate::startup::raise_open_file_limit();
        let other = |source| BindError::Other { addr: addr.to_string(), source };
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }
            .map_err(other)?;
        #[cfg(unix)]
        socket.set_reuseaddr(true).map_err(other)?;
        socket.bind(addr).map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => BindError::InUse { port: addr.port() },
            _ => BindError::Other { addr: addr.to_string(), source },
        })?;
        // A deep backlog: a burst of connections waits in the kernel for the accept loop rather
        // than being refused.
        let listener = socket.listen(LISTEN_BACKLOG).map_err(other)?;
        let bound = listener.local_addr().map_err(other)?;
        let token = CancellationToken::new();
        let connections = Arc::new(accept::Connections::new(limits.max_connections));
        let task = tokio::spawn(accept::serve(listener, app, limits, connections.clone(), token.clone()));
        Ok(Self { addr: bound, token, task, connections })
    }

    /// Connections open now (at most the cap).
    pub fn open_connections(&self) -> usize {
        self.connections.len()
    }

    /// Stops accepting, lets requests in flight finish (up to `grace`), then returns.
    pub async fn shutdown(self, grace: Duration) {
        self.token.cancel();
        if tokio::time::timeout(grace, self.task).await.is_err() {
            tracing::warn!("listener did not finish its requests in time");
        }
    }

    pub fn webhook_url(&self, secret: &str) -> String {
        webhook_url(self.addr, secret)
    }
}

pub fn webhook_url(addr: SocketAddr, secret: &str) -> String {
    format!("http://{addr}/hooks/{secret}")
}

#[cfg(test)]
mod tests;
