//! Team mode: one always-on receiver, every reviewer's laptop a full local copy, on NATS JetStream.
//!
//! Intellixent posts each call to one URL, so one node (`postcall serve --team`) receives the
//! webhooks and every other node replays what it received. We do not run a sync protocol of our
//! own: JetStream gives ordered, replayable streams with duplicate suppression (`Nats-Msg-Id`),
//! per-user subject permissions, TLS and clustering, and SQLite + FTS5 on every node stay exactly
//! as they are — each node is a projection of the streams.
//!
//! - [`publisher`]: on the server, tails the delivery journal by its row id with a mark of its own
//!   in `team.sqlite`, publishes each stored delivery's exact bytes to `POSTCALL_CALLS` and moves
//!   the mark only after JetStream acknowledged. The journal is the outbox: a publish that fails
//!   is retried with back-off, never lost, and the ingest path knows nothing of it.
//! - [`consumer`]: on a laptop, replays `POSTCALL_CALLS` from the last applied stream sequence
//!   (kept in `team.sqlite`) through the normal ingest path, with the original source.
//! - [`reviews`]: on every node, publishes the review events made there from an outbox in
//!   `review.sqlite` to `POSTCALL_REVIEWS` and applies everyone's from the stream through the
//!   same projection as local edits (idempotent per event id).
//! - [`authors`]: a review event's author bound to the NATS user that published it (per-author
//!   subjects the server's permissions guard; every node refuses an event on another's subject).
//! - [`recordings`]: the receiver puts its vault's recordings into the object store
//!   `POSTCALL_RECORDINGS` (key = call id, digest checked); a laptop's vault fetches them from
//!   there before trying the recording URL.
//! - `replay`: a stream replayed from a sequence in chunks, for the two above.
//! - [`settings`]: the team server a data folder joined and its credentials (secrets in the
//!   secret store, never in logs).
//! - [`status`]: what `postcall team status` and the window report.

pub mod authors;
pub mod cli;
pub mod consumer;
pub mod live;
pub mod panel;
pub mod publisher;
pub mod recordings;
mod replay;
pub mod reviews;
pub mod settings;
pub mod state;
pub mod status;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream;
use sha2::{Digest, Sha256};

pub use cli::start_member_sync;
pub use settings::{Auth, Endpoint, TeamSettings};
pub use state::TeamState;

/// The stream of stored deliveries, one message per journal row, published by the server only.
pub const CALLS_STREAM: &str = "POSTCALL_CALLS";
/// Subjects of [`CALLS_STREAM`]: `postcall.calls.<call_id>`.
pub const CALLS_SUBJECTS: &str = "postcall.calls.>";
/// The stream of review events, published by every reviewer.
pub const REVIEWS_STREAM: &str = "POSTCALL_REVIEWS";
/// Subjects of [`REVIEWS_STREAM`]: `postcall.reviews.<call_id>.<author token>` (see [`authors`]),
/// and `postcall.reviews.<call_id>` from versions before authors were bound.
pub const REVIEWS_SUBJECTS: &str = "postcall.reviews.>";

/// Message headers a call message carries beside the journal's exact bytes.
pub mod headers {
    pub const MSG_ID: &str = "Nats-Msg-Id";
    /// `webhook`, `import` or `api`: where the server got the delivery.
    pub const SOURCE: &str = "Postcall-Source";
    /// When the server journaled it, in Unix milliseconds.
    pub const RECEIVED_MS: &str = "Postcall-Received-Ms";
    /// The delivery's id in the server's journal.
    pub const DELIVERY_ID: &str = "Postcall-Delivery-Id";
    pub const CONTENT_TYPE: &str = "Postcall-Content-Type";
    /// The message layout version (1).
    pub const FORMAT: &str = "Postcall-Format";
}

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("{0} is not a team server address: use nats://HOST:PORT (or tls://HOST:PORT)")]
    BadUrl(String),
    #[error("cannot reach the team server at {server}: {reason}. Check the address, that nats-server runs there and that this machine can reach it")]
    Unreachable { server: String, reason: String },
    #[error("the team server at {server} refused the credentials ({reason}); check the user and password or the credentials file (postcall team join)")]
    Refused { server: String, reason: String },
    #[error("cannot read the credentials file {path}: {reason}")]
    Creds { path: String, reason: String },
    #[error("the team server has no stream {stream}: start `postcall serve --team` against it first")]
    NoStream { stream: &'static str },
    #[error("the team server refused: {0}")]
    Permission(String),
    #[error("the team server: {0}")]
    Nats(String),
    /// Input that cannot be used (the join form's), with what to change.
    #[error("{0}")]
    Invalid(String),
    #[error("this data folder has not joined a team: run `postcall team join nats://HOST:PORT` first")]
    NotJoined,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
}

impl TeamError {
    /// The `{code}` the window receives.
    pub fn code(&self) -> crate::contract::ErrorCode {
        use crate::contract::ErrorCode;
        match self {
            Self::BadUrl(_) | Self::Invalid(_) | Self::Creds { .. } => ErrorCode::Invalid,
            Self::Unreachable { .. } => ErrorCode::Unreachable,
            Self::Refused { .. } | Self::Permission(_) => ErrorCode::Refused,
            Self::NotJoined => ErrorCode::NotJoined,
            Self::NoStream { .. } | Self::Nats(_) => ErrorCode::Team,
            Self::Store(_) | Self::Ingest(_) => ErrorCode::Storage,
            Self::Config(_) => ErrorCode::Config,
        }
    }
}

/// How long connecting may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to the team server, with what the server said about it since.
#[derive(Clone)]
pub struct Connection {
    pub client: async_nats::Client,
    pub jetstream: jetstream::Context,
    /// The last error the server sent (a permissions violation, say), for messages and status.
    pub server_error: Arc<Mutex<Option<String>>>,
    /// Publishes the server refused (permissions violations), by subject, not yet claimed.
    refusals: Arc<Refusals>,
}

/// The subjects the server refused publishing to, as it reported them (asynchronously: a refused
/// publish gets no answer, only an error on the side).
#[derive(Default)]
struct Refusals {
    by_subject: Mutex<std::collections::HashMap<String, (u32, String)>>,
    /// Bumped at each refusal, so a waiter wakes.
    seen: tokio::sync::watch::Sender<u64>,
}

impl Refusals {
    fn record(&self, message: &str) {
        let Some(subject) = refused_subject(message) else { return };
        {
            let mut map = self.by_subject.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() > 10_000 {
                map.clear();
            }
            let entry = map.entry(subject).or_insert((0, String::new()));
            entry.0 += 1;
            entry.1 = message.to_string();
        }
        self.seen.send_modify(|n| *n += 1);
    }

    fn take(&self, subject: &str) -> Option<String> {
        let mut map = self.by_subject.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.get_mut(subject)?;
        let message = entry.1.clone();
        entry.0 -= 1;
        if entry.0 == 0 {
            map.remove(subject);
        }
        Some(message)
    }
}

/// The subject of a `Permissions Violation for Publish to "…"` error.
fn refused_subject(message: &str) -> Option<String> {
    const MARK: &str = "permissions violation for publish to \"";
    let at = message.to_ascii_lowercase().find(MARK)? + MARK.len();
    let rest = &message[at..];
    Some(rest[..rest.find('"')?].to_string())
}

impl Connection {
    pub fn last_server_error(&self) -> Option<String> {
        self.server_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until the server reports that it refused a publish to `subject` and returns its
    /// message (claimed: one report answers one publish). Never returns otherwise.
    pub async fn refused(&self, subject: &str) -> String {
        let mut seen = self.refusals.seen.subscribe();
        loop {
            if let Some(message) = self.refusals.take(subject) {
                return message;
            }
            if seen.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// A refusal of `subject` already reported, claimed.
    pub fn take_refusal(&self, subject: &str) -> Option<String> {
        self.refusals.take(subject)
    }

    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Turns a failed JetStream call into the error a person can act on: a permissions violation
    /// the server reported on the side wins over the timeout it caused.
    pub fn explain(&self, e: impl std::fmt::Display) -> TeamError {
        match self.last_server_error() {
            Some(s) if s.to_ascii_lowercase().contains("permission") => TeamError::Permission(s),
            _ => TeamError::Nats(e.to_string()),
        }
    }
}

/// Connects to the team server. Fails fast (after [`CONNECT_TIMEOUT`]) with the reason when the
/// server cannot be reached or refuses the credentials; once connected the client reconnects by
/// itself after an outage.
pub async fn connect(endpoint: &Endpoint) -> Result<Connection, TeamError> {
    let server = endpoint.server.clone();
    settings::check_url(&server)?;
    let server_error = Arc::new(Mutex::new(None::<String>));
    let seen = server_error.clone();
    let refusals = Arc::new(Refusals::default());
    let refused = refusals.clone();
    let mut opts = async_nats::ConnectOptions::new()
        .name("postcall")
        .connection_timeout(CONNECT_TIMEOUT)
        .request_timeout(Some(Duration::from_secs(10)))
        .event_callback(move |event| {
            let seen = seen.clone();
            let refused = refused.clone();
            async move {
                match event {
                    async_nats::Event::ServerError(e) => {
                        tracing::warn!(error = %e, "the team server reported an error");
                        refused.record(&e.to_string());
                        *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    }
                    async_nats::Event::Disconnected => tracing::info!("disconnected from the team server"),
                    async_nats::Event::Connected => tracing::debug!("connected to the team server"),
                    _ => {}
                }
            }
        });
    match &endpoint.auth {
        Auth::None => {}
        Auth::Creds(path) => {
            opts = opts
                .credentials_file(path)
                .await
                .map_err(|e| TeamError::Creds { path: path.display().to_string(), reason: e.to_string() })?;
        }
        Auth::UserPassword { user, password } => {
            opts = opts.user_and_password(user.clone(), password.expose().to_string());
        }
    }
    let client = opts.connect(server.as_str()).await.map_err(|e| {
        use async_nats::ConnectErrorKind as K;
        let reason = e.to_string();
        match e.kind() {
            K::AuthorizationViolation | K::Authentication => TeamError::Refused { server: server.clone(), reason },
            _ => TeamError::Unreachable { server: server.clone(), reason },
        }
    })?;
    let jetstream = jetstream::ContextBuilder::new().timeout(Duration::from_secs(10)).build(client.clone());
    Ok(Connection { client, jetstream, server_error, refusals })
}

/// Returns once the connection was lost and is back: a restarted server has forgotten the
/// ephemeral consumers a pass was reading from, so the pass should start again at once rather
/// than wait for the consumer to time out.
pub async fn reconnected(conn: &Connection) {
    let mut was_down = false;
    loop {
        if !conn.connected() {
            was_down = true;
        } else if was_down {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The streams' settings: file storage, kept forever, a two-minute duplicate window.
pub fn stream_config(name: &str, subjects: &str) -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: name.to_string(),
        subjects: vec![subjects.to_string()],
        storage: jetstream::stream::StorageType::File,
        retention: jetstream::stream::RetentionPolicy::Limits,
        duplicate_window: Duration::from_secs(120),
        allow_direct: true,
        ..Default::default()
    }
}

/// Creates the streams where they are missing (the server's user may; a reviewer's may not and
/// needs not, since the server made them).
pub async fn ensure_streams(conn: &Connection) -> Result<(), TeamError> {
    for (name, subjects) in [(CALLS_STREAM, CALLS_SUBJECTS), (REVIEWS_STREAM, REVIEWS_SUBJECTS)] {
        conn.jetstream.get_or_create_stream(stream_config(name, subjects)).await.map_err(|e| conn.explain(e))?;
    }
    Ok(())
}

/// The de-duplication id of a delivery: its call id and a hash of its bytes, so a publish retried
/// after a crash or a lost acknowledgement is dropped by the stream (and by every node).
pub fn call_msg_id(call_id: i64, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{call_id}-{hex}")
}

/// Grows a retry delay: 0.5 s, 1 s, 2 s… up to 30 s.
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).clamp(Duration::from_millis(500), Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_id_depends_on_call_and_bytes() {
        let a = call_msg_id(7, b"{\"id\":7}");
        assert_eq!(a, call_msg_id(7, b"{\"id\":7}"));
        assert_ne!(a, call_msg_id(8, b"{\"id\":7}"));
        assert_ne!(a, call_msg_id(7, b"{\"id\":7 }"));
        assert!(a.starts_with("7-") && a.len() == 2 + 32);
    }

    #[test]
    fn a_refused_publish_is_told_by_its_subject() {
        let r = Refusals::default();
        r.record("nats: Permissions Violation for Publish to \"postcall.reviews.7.bob_40x\"");
        r.record("nats: Permissions Violation for Publish to \"postcall.reviews.7.bob_40x\"");
        r.record("nats: authorization violation");
        assert!(r.take("postcall.reviews.7").is_none());
        assert!(r.take("postcall.reviews.7.bob_40x").is_some_and(|m| m.contains("Permissions Violation")));
        assert!(r.take("postcall.reviews.7.bob_40x").is_some(), "one report per refused publish");
        assert!(r.take("postcall.reviews.7.bob_40x").is_none());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut d = Duration::ZERO;
        let mut seen = vec![];
        for _ in 0..10 {
            d = next_backoff(d);
            seen.push(d);
        }
        assert_eq!(seen[0], Duration::from_millis(500));
        assert_eq!(seen[1], Duration::from_secs(1));
        assert_eq!(*seen.last().expect("some"), Duration::from_secs(30));
    }
}
