//! The connection this process holds to the team server, per data folder, so the status the
//! window polls says "connected" or "offline" from the live client without dialling the server
//! at every poll.

use std::path::PathBuf;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::Connection;
use crate::config::DataDir;

static LIVE: Mutex<Vec<(PathBuf, Connection)>> = Mutex::new(Vec::new());

pub fn register(data: &DataDir, conn: &Connection) {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    live.retain(|(p, _)| p != data.root());
    live.push((data.root().to_path_buf(), conn.clone()));
}

pub fn unregister(data: &DataDir) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).retain(|(p, _)| p != data.root());
}

/// `Some(connected)` when this process follows the team for `data`; `None` when it does not.
pub fn connected(data: &DataDir) -> Option<bool> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(p, _)| p == data.root()).map(|(_, c)| c.connected())
}

static RUNNING: Mutex<Vec<(PathBuf, CancellationToken)>> = Mutex::new(Vec::new());

/// Records what stops this process's team sync for `data`, stopping the one it replaces.
pub fn set_running(data: &DataDir, cancel: CancellationToken) {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    for (_, old) in running.iter().filter(|(p, _)| p == data.root()) {
        old.cancel();
    }
    running.retain(|(p, _)| p != data.root());
    running.push((data.root().to_path_buf(), cancel));
}

/// Stops this process's team sync for `data` (leaving the team).
pub fn stop(data: &DataDir) {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    for (_, c) in running.iter().filter(|(p, _)| p == data.root()) {
        c.cancel();
    }
    running.retain(|(p, _)| p != data.root());
    drop(running);
    unregister(data);
}
