//! What `postcall team status` and the window show: the server, whether it answers, how far this
//! node got, and what is still waiting to go out.

use serde::Serialize;

use super::state::{TeamState, PUBLISHED};
use super::TeamError;
use crate::config::DataDir;
use crate::store::Store;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TeamStatus {
    /// The joined server's address; `null` when this data folder has not joined a team.
    pub server: Option<String>,
    /// Whether the server answered (and took the credentials) just now.
    pub connected: bool,
    /// The last calls-stream sequence applied here.
    pub calls_seq: u64,
    /// The last reviews-stream sequence applied here.
    pub reviews_seq: u64,
    /// What this node still has to publish: on the receiver, stored deliveries the stream has not
    /// acknowledged yet.
    pub pending: i64,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// `receiver` when this data folder publishes calls (`postcall serve --team`), else `member`.
    pub role: &'static str,
}

/// Reads the status; with `probe`, connects to the server to tell whether it answers.
pub async fn status(data: &DataDir, store: &Store, probe: bool) -> Result<TeamStatus, TeamError> {
    let state = TeamState::open(data)?;
    let endpoint = super::settings::endpoint(data)?;
    let receiver = state.mark(PUBLISHED)?.is_some();
    let pending = if receiver { super::publisher::unpublished(store, &state)? } else { 0 };
    let (connected, probe_error) = match (&endpoint, probe) {
        (Some(e), true) => match super::connect(e).await {
            Ok(c) => {
                let _ = c.client.flush().await;
                (true, None)
            }
            Err(e) => (false, Some(e.to_string())),
        },
        _ => (false, None),
    };
    Ok(TeamStatus {
        server: endpoint.map(|e| e.server),
        connected,
        calls_seq: state.calls_seq()?,
        reviews_seq: state.reviews_seq()?,
        pending,
        last_error: probe_error.or(state.info("last_error")?),
        role: if receiver { "receiver" } else { "member" },
    })
}
