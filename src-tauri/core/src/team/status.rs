//! What `postcall team status` and the window show: the server, whether it answers, how far this
//! node got, and what is still waiting to go out.

use serde::Serialize;

use super::state::{TeamState, PUBLISHED};
use super::TeamError;
use crate::config::DataDir;
use crate::store::Store;

#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
pub struct TeamStatus {
    /// The joined server's address; `null` when this data folder has not joined a team.
    pub server: Option<String>,
    /// Whether the server answered (and took the credentials) just now.
    pub connected: bool,
    /// The last calls-stream sequence applied here.
    #[ts(type = "number")]
    pub calls_seq: u64,
    /// The last reviews-stream sequence applied here.
    #[ts(type = "number")]
    pub reviews_seq: u64,
    /// What this node still has to publish: its review events not acknowledged by the stream yet,
    /// plus, on the receiver, stored deliveries likewise.
    pub pending: i64,
    /// Review events made here (edits) that wait to be shared.
    pub pending_reviews: i64,
    /// On the receiver, stored deliveries not yet in the calls stream.
    pub pending_calls: i64,
    /// On the receiver, recordings in its vault not yet in the object store.
    pub pending_recordings: i64,
    /// Edits made here that the team server refused (this machine's NATS user may not publish as
    /// their author): kept aside, not shared, listed by `postcall team refused`.
    pub refused_edits: i64,
    /// Review events of the team's stream not applied here because they were published in
    /// another author's name.
    pub rejected_events: i64,
    /// Since when the server could not be reached (RFC 3339), while it cannot.
    pub offline_since: Option<String>,
    /// When this node last reached the server (RFC 3339).
    pub last_connected: Option<String>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// `receiver` when this data folder publishes calls (`postcall serve --team`), else `member`.
    #[ts(type = "\"receiver\" | \"member\"")]
    pub role: &'static str,
}

/// Reads the status; with `probe`, connects to the server to tell whether it answers, else
/// reports the connection this process keeps (the window's).
pub async fn status(data: &DataDir, store: &Store, probe: bool) -> Result<TeamStatus, TeamError> {
    let state = TeamState::open(data)?;
    // The server from the settings; the secret store is read only to dial it (the window polls).
    let server = super::settings::load(data)?.map(|t| t.server);
    let receiver = state.mark(PUBLISHED)?.is_some();
    let pending_calls = if receiver { super::publisher::unpublished(store, &state)? } else { 0 };
    let pending_reviews = super::reviews::pending(store)?;
    let pending_recordings = if receiver { super::recordings::pending_count(store, &state)? } else { 0 };
    let (connected, probe_error) = match (&server, probe) {
        (Some(_), true) => match super::settings::endpoint(data)? {
            Some(e) => match super::connect(&e).await {
                Ok(c) => {
                    let _ = c.client.flush().await;
                    (true, None)
                }
                Err(e) => (false, Some(e.to_string())),
            },
            None => (false, None),
        },
        (Some(_), false) => (super::live::connected(data).unwrap_or(false), None),
        _ => (false, None),
    };
    let time = |key: &str| -> Result<Option<String>, TeamError> {
        Ok(state.info(key)?.and_then(|v| v.parse::<i64>().ok()).map(crate::time::ms_to_rfc3339))
    };
    let offline_since = if connected || server.is_none() { None } else { time("offline_since_ms")? };
    Ok(TeamStatus {
        server,
        connected,
        calls_seq: state.calls_seq()?,
        reviews_seq: state.reviews_seq()?,
        pending: pending_calls + pending_reviews,
        pending_reviews,
        pending_calls,
        pending_recordings,
        refused_edits: super::reviews::refused(store)?,
        rejected_events: state.rejected_count()?,
        offline_since,
        last_connected: time("last_connected_ms")?,
        last_error: probe_error.or(state.info("last_error")?),
        role: if receiver { "receiver" } else { "member" },
    })
}
