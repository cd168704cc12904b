use postcall_core::query::{self, CallPage, CallQuery, Facets};
use postcall_core::search::{self, SearchHit, SnippetPart};
use postcall_core::service::AppStatus;
use serde::Serialize;
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

/// A search hit as the window paints it: the marked snippet once (as parts), without the
/// bracketed copy, the summary and the rank that `postcall search --json` also prints.
#[derive(Serialize)]
pub struct PaintedHit {
    call_id: i64,
    turn_index: Option<i64>,
    sender: Option<String>,
    field: &'static str,
    snippet_parts: Vec<SnippetPart>,
    created_at_ms: Option<i64>,
    customer_phone: Option<String>,
    status: Option<String>,
}

impl From<SearchHit> for PaintedHit {
    fn from(h: SearchHit) -> Self {
        PaintedHit {
            call_id: h.call_id,
            turn_index: h.turn_index,
            sender: h.sender,
            field: h.field,
            snippet_parts: h.snippet_parts,
            created_at_ms: h.created_at_ms,
            customer_phone: h.customer_phone,
            status: h.status,
        }
    }
}

#[tauri::command]
pub async fn search_calls(
    state: State<'_, AppState>,
    query: String,
    limit: Option<usize>,
) -> CmdResult<Vec<PaintedHit>> {
    let store = state.service.store.clone();
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let hits = blocking(move || store.read(|c| search::search(c, &query, limit))).await?;
    Ok(hits.into_iter().map(PaintedHit::from).collect())
}

#[tauri::command]
pub async fn get_call(
    state: State<'_, AppState>,
    media: State<'_, super::recordings::MediaState>,
    id: i64,
) -> CmdResult<serde_json::Value> {
    let store = state.service.store.clone();
    let mut detail = blocking(move || store.read(|c| query::detail_lean(c, id))).await?;
    super::recordings::localize(&mut detail, &media);
    Ok(detail)
}
