use postcall_core::contract::names::DeliveryOutcome;
use postcall_core::contract::shell::ReprocessResult;
use postcall_core::ingest::IngestOutcome;
use postcall_core::store::deliveries::{self, Delivery};
use postcall_core::store::StoreError;
use tauri::State;

use super::{blocking, AppState};
use crate::error::{AppError, CmdResult, ErrorCode};

#[tauri::command]
pub async fn list_deliveries(state: State<'_, AppState>, failed_only: bool) -> CmdResult<Vec<Delivery>> {
    let store = state.service.store.clone();
    blocking(move || store.read(|c| deliveries::list(c, failed_only, 500))).await
}

/// One delivery with its raw body: the detail view loads a body when it is opened.
#[tauri::command]
pub async fn get_delivery(state: State<'_, AppState>, id: i64) -> CmdResult<Delivery> {
    let store = state.service.store.clone();
    blocking(move || {
        store.read(|c| deliveries::get(c, id))?.ok_or_else(|| StoreError::NotFound(format!("delivery {id}")))
    })
    .await
}

#[tauri::command]
pub async fn reprocess_delivery(state: State<'_, AppState>, id: i64) -> CmdResult<ReprocessResult> {
    let o: IngestOutcome = state.service.ingest.reprocess(id).await?;
    Ok(ReprocessResult {
        delivery_id: o.delivery_id,
        outcome: if o.stored() { DeliveryOutcome::Stored } else { DeliveryOutcome::Failed },
        call_id: o.call_id,
        error: o.error,
    })
}

#[tauri::command]
pub async fn curl_for_delivery(state: State<'_, AppState>, id: i64) -> CmdResult<String> {
    let service = state.service.clone();
    let url = service
        .status()
        .webhook_url
        .ok_or_else(|| AppError::new(ErrorCode::Listener, "the listener is not running; start it in Settings first"))?;
    let delivery = blocking(move || {
        service.store.read(|c| deliveries::get(c, id))?.ok_or_else(|| StoreError::NotFound(format!("delivery {id}")))
    })
    .await?;
    Ok(postcall_core::service::curl_command(&delivery, &url))
}
