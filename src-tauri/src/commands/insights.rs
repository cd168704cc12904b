//! Insights for the window: the dashboard's figures and the payload changes. Each first brings
//! the insights tables up to date with the journal (the deliveries since the last read), then
//! reads them.

use postcall_core::insights::{self, drift::Drift, stats::Stats, stats::StatsQuery};
use tauri::State;

use super::{blocking, AppState};
use crate::error::{AppError, CmdResult, ErrorCode};

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

/// What an export carries: text (CSV, SVG) as it is, or a PNG as base64 (a canvas' data URL body).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportEncoding {
    Text,
    Base64,
}

/// Asks where to save a chart or table the dashboard exported and writes it there, readable by
/// the user only (like every export). `None` when the user cancels. With
/// `POSTCALL_EXPORT_DIR` set (scripted runs), the file goes into that folder without asking.
#[tauri::command]
pub async fn save_export(
    app: tauri::AppHandle,
    file_name: String,
    content: String,
    encoding: ExportEncoding,
) -> CmdResult<Option<String>> {
    use base64::Engine;
    use tauri_plugin_dialog::DialogExt;

    let name = std::path::Path::new(&file_name)
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.starts_with('.'))
        .ok_or_else(|| AppError::new(ErrorCode::Invalid, format!("{file_name:?} is not a file name")))?
        .to_string();
    let bytes = match encoding {
        ExportEncoding::Text => content.into_bytes(),
        ExportEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(content.trim())
            .map_err(|_| AppError::new(ErrorCode::Invalid, "the exported image is not valid base64"))?,
    };
    let dest = match std::env::var_os("POSTCALL_EXPORT_DIR") {
        Some(dir) => std::path::PathBuf::from(dir).join(&name),
        None => {
            let ext = name.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default();
            let (tx, rx) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .set_title("Export")
                .set_file_name(&name)
                .add_filter(ext.to_uppercase(), &[ext.as_str()])
                .save_file(move |path| {
                    let _ = tx.send(path);
                });
            let Some(dest) = rx.await.ok().flatten() else { return Ok(None) };
            dest.into_path().map_err(|e| AppError::new(ErrorCode::Save, format!("cannot save there: {e}")))?
        }
    };
    let shown = dest.display().to_string();
    let written = dest.clone();
    tauri::async_runtime::spawn_blocking(move || postcall_core::permissions::write_private(&written, &bytes))
        .await
        .map_err(|e| AppError::new(ErrorCode::App, format!("background task failed: {e}")))?
        .map_err(|e| AppError::new(ErrorCode::Save, format!("cannot write {shown}: {e}; choose another folder")))?;
    Ok(Some(dest.display().to_string()))
}
