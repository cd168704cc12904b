use std::time::Instant;

use postcall_core::contract::shell::PaintedHit;
use postcall_core::query::{self, CallPage, CallQuery, Facets};
use postcall_core::search;
use postcall_core::service::AppStatus;
use tauri::State;

use super::{blocking, AppState};
use crate::error::CmdResult;

#[tauri::command]
pub async fn get_status(state: State<'_, AppState>) -> CmdResult<AppStatus> {
    let service = state.service.clone();
    blocking(move || service.app_status()).await
}

#[tauri::command]
pub async fn list_calls(state: State<'_, AppState>, mut query: CallQuery) -> CmdResult<CallPage> {
    // The rows show the current reviewer's own review state.
    query.me = state.service.data.settings()?.reviewer.map(|r| r.email);
    let store = state.service.store.clone();
    blocking(move || store.read(|c| query::list(c, &query))).await
}

#[tauri::command]
pub async fn count_calls(state: State<'_, AppState>, query: CallQuery) -> CmdResult<i64> {
    let store = state.service.store.clone();
    blocking(move || store.read(|c| query::count(c, &query))).await
}

#[tauri::command]
pub async fn call_facets(state: State<'_, AppState>) -> CmdResult<Facets> {
    let store = state.service.store.clone();
    blocking(move || store.read(query::facets)).await
}

#[tauri::command]
pub async fn search_calls(
    state: State<'_, AppState>,
    query: String,
    limit: Option<usize>,
) -> CmdResult<Vec<PaintedHit>> {
    let store = state.service.store.clone();
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let t = Instant::now();
    let hits = blocking(move || store.read(|c| search::search(c, &query, limit))).await?;
    let hits: Vec<PaintedHit> = hits.into_iter().map(PaintedHit::from).collect();
    timed("search_calls", t, &hits);
    Ok(hits)
}

/// With `POSTCALL_LOG=postcall_app=debug`: a command's time and the size of its JSON answer, so
/// the window's latency can be split between the core, the IPC and the page.
fn timed<T: serde::Serialize>(what: &str, t: Instant, answer: &T) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let us = t.elapsed().as_micros();
        let bytes = serde_json::to_vec(answer).map(|v| v.len()).unwrap_or(0);
        tracing::debug!(us, bytes, "{what}");
    }
}

#[tauri::command]
pub async fn get_call(
    state: State<'_, AppState>,
    media: State<'_, super::recordings::MediaState>,
    id: i64,
) -> CmdResult<postcall_core::contract::CallDetail<postcall_core::store::deliveries::DeliveryHead>> {
    let store = state.service.store.clone();
    let t = Instant::now();
    let mut detail = blocking(move || store.read(|c| query::detail_lean(c, id))).await?;
    super::recordings::localize(&mut detail, &media);
    timed("get_call", t, &detail);
    Ok(detail)
}
