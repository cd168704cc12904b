//! Insights for the window: the dashboard's figures and the payload changes. Each first brings
//! the insights tables up to date with the journal (the deliveries since the last read), then
//! reads them.

use postcall_core::insights::{self, drift::Drift, stats::Stats, stats::StatsQuery};
use tauri::State;

use super::{blocking, AppState};
use crate::error::CmdResult;

#[tauri::command]
pub async fn get_stats(state: State<'_, AppState>, query: StatsQuery) -> CmdResult<Stats> {
    let store = state.service.store.clone();
    blocking(move || {
        insights::catch_up(&store)?;
        store.read(|c| insights::stats::stats(c, &query))
    })
    .await
}

#[tauri::command]
pub async fn list_drift(state: State<'_, AppState>) -> CmdResult<Vec<Drift>> {
    let store = state.service.store.clone();
    blocking(move || {
        insights::catch_up(&store)?;
        store.read(|c| insights::drift::list(c, 500))
    })
    .await
}
