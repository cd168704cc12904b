//! Review commands (the contract is REVIEW_CONTRACT.md): each unpacks its arguments, calls one
//! `postcall_core::review` function off the async workers, and maps the error. Writes announce
//! the calls they touched with one `review-changed` event.

use std::collections::BTreeMap;

use postcall_core::contract::shell::ReviewChanged;
use postcall_core::query::{CallQuery, CallSummary};
use postcall_core::review::{
    self, CallReview, Note, ReviewError, ReviewProgress, ReviewState, Reviewer, Score, ScoreAnswer, Scorecard, TagDef,
    VariableName,
};
use tauri::{AppHandle, State};

use super::AppState;
use crate::error::{AppError, CmdResult, ErrorCode};

impl From<ReviewError> for AppError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Store(s) => s.into(),
            other => AppError::new(other.code(), other),
        }
    }
}

/// Announces what a write touched (call ids, and `review::DEFINITIONS` for the definitions).
fn changed(app: &AppHandle, touched: Vec<i64>) {
    if let Some(changed) = ReviewChanged::from_touched(&touched) {
        let _ = super::emit(app, &changed);
    }
}

/// Runs a review operation off the async runtime's worker threads.
async fn run<T: Send + 'static>(f: impl FnOnce() -> Result<T, ReviewError> + Send + 'static) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorCode::App, format!("background task failed: {e}")))?
        .map_err(AppError::from)
}

fn me(state: &AppState) -> Result<Reviewer, ReviewError> {
    review::reviewer(&state.service.data, None)
}

#[tauri::command]
pub fn get_reviewer(state: State<'_, AppState>) -> CmdResult<Option<Reviewer>> {
    Ok(state.service.data.settings()?.reviewer)
}

#[tauri::command]
pub fn set_reviewer(state: State<'_, AppState>, reviewer: Reviewer) -> CmdResult<Reviewer> {
    Ok(review::set_reviewer(&state.service.data, &reviewer.name, &reviewer.email)?)
}

#[tauri::command]
pub async fn get_call_review(state: State<'_, AppState>, id: i64) -> CmdResult<CallReview> {
    let store = state.service.store.clone();
    run(move || review::call_review(&store, id)).await
}

#[tauri::command]
pub async fn set_review_state(
    app: AppHandle,
    app_state: State<'_, AppState>,
    ids: Vec<i64>,
    state: ReviewState,
) -> CmdResult<()> {
    let me = me(&app_state)?;
    let store = app_state.service.store.clone();
    let touched = run(move || review::set_state(&store, &me, &ids, state)).await?;
    changed(&app, touched);
    Ok(())
}

#[tauri::command]
pub async fn add_note(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    text: String,
    turn: Option<i64>,
    at_seconds: Option<f64>,
) -> CmdResult<Note> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    let note = run(move || review::add_note(&store, &me, id, &text, turn, at_seconds)).await?;
    changed(&app, vec![id]);
    Ok(note)
}

#[tauri::command]
pub async fn edit_note(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    note_id: String,
    text: String,
) -> CmdResult<Note> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    let note = run(move || review::edit_note(&store, &me, id, &note_id, &text)).await?;
    changed(&app, vec![id]);
    Ok(note)
}

#[tauri::command]
pub async fn delete_note(app: AppHandle, state: State<'_, AppState>, id: i64, note_id: String) -> CmdResult<()> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    run(move || review::delete_note(&store, &me, id, &note_id)).await?;
    changed(&app, vec![id]);
    Ok(())
}

#[tauri::command]
pub async fn add_tags(app: AppHandle, state: State<'_, AppState>, ids: Vec<i64>, tags: Vec<String>) -> CmdResult<()> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    let touched = run(move || review::add_tags(&store, &me, &ids, &tags)).await?;
    changed(&app, touched);
    Ok(())
}

#[tauri::command]
pub async fn remove_tags(
    app: AppHandle,
    state: State<'_, AppState>,
    ids: Vec<i64>,
    tags: Vec<String>,
) -> CmdResult<()> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    let touched = run(move || review::remove_tags(&store, &me, &ids, &tags)).await?;
    changed(&app, touched);
    Ok(())
}

#[tauri::command]
pub async fn list_tags(state: State<'_, AppState>) -> CmdResult<Vec<TagDef>> {
    let store = state.service.store.clone();
    run(move || review::list_tags(&store)).await
}

#[tauri::command]
pub async fn save_tag(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    color: String,
) -> CmdResult<Vec<TagDef>> {
    let store = state.service.store.clone();
    let author = me(&state).ok();
    let (defs, ids) = run(move || {
        let defs = review::save_tag(&store, author.as_ref(), &name, &color)?;
        Ok((defs, review::calls_with_tag(&store, &name)?))
    })
    .await?;
    changed(&app, [ids, vec![review::DEFINITIONS]].concat());
    Ok(defs)
}

#[tauri::command]
pub async fn delete_tag(app: AppHandle, state: State<'_, AppState>, name: String) -> CmdResult<Vec<TagDef>> {
    let store = state.service.store.clone();
    let author = me(&state).ok();
    let (defs, ids) = run(move || {
        let ids = review::calls_with_tag(&store, &name)?;
        Ok((review::delete_tag(&store, author.as_ref(), &name)?, ids))
    })
    .await?;
    changed(&app, [ids, vec![review::DEFINITIONS]].concat());
    Ok(defs)
}

#[tauri::command]
pub async fn list_scorecards(state: State<'_, AppState>) -> CmdResult<Vec<Scorecard>> {
    let store = state.service.store.clone();
    run(move || review::list_scorecards(&store)).await
}

#[tauri::command]
pub async fn save_scorecard(
    app: AppHandle,
    state: State<'_, AppState>,
    scorecard: Scorecard,
) -> CmdResult<Vec<Scorecard>> {
    let store = state.service.store.clone();
    let author = me(&state).ok();
    let list = run(move || review::save_scorecard(&store, author.as_ref(), &scorecard)).await?;
    changed(&app, vec![review::DEFINITIONS]);
    Ok(list)
}

#[tauri::command]
pub async fn delete_scorecard(app: AppHandle, state: State<'_, AppState>, id: String) -> CmdResult<Vec<Scorecard>> {
    let store = state.service.store.clone();
    let author = me(&state).ok();
    let list = run(move || review::delete_scorecard(&store, author.as_ref(), &id)).await?;
    changed(&app, vec![review::DEFINITIONS]);
    Ok(list)
}

#[tauri::command]
pub async fn set_score(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    scorecard: String,
    answers: BTreeMap<String, ScoreAnswer>,
) -> CmdResult<Score> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    let score = run(move || review::set_score(&store, &me, id, &scorecard, &answers)).await?;
    changed(&app, vec![id]);
    Ok(score)
}

#[tauri::command]
pub async fn prefill_score(
    state: State<'_, AppState>,
    id: i64,
    scorecard: String,
) -> CmdResult<BTreeMap<String, ScoreAnswer>> {
    let store = state.service.store.clone();
    run(move || review::prefill_score(&store, id, &scorecard)).await
}

#[tauri::command]
pub async fn number_history(state: State<'_, AppState>, id: i64) -> CmdResult<Vec<CallSummary>> {
    let me = me(&state).ok().map(|r| r.email);
    let store = state.service.store.clone();
    run(move || review::number_history(&store, id, me.as_deref())).await
}

#[tauri::command]
pub async fn review_progress(state: State<'_, AppState>, query: CallQuery) -> CmdResult<ReviewProgress> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    run(move || review::review_progress(&store, &query, &me.email)).await
}

#[tauri::command]
pub async fn next_unreviewed(
    state: State<'_, AppState>,
    query: CallQuery,
    after: Option<i64>,
) -> CmdResult<Option<i64>> {
    let me = me(&state)?;
    let store = state.service.store.clone();
    run(move || review::next_unreviewed(&store, &query, after, &me.email)).await
}

#[tauri::command]
pub async fn variable_names(state: State<'_, AppState>) -> CmdResult<Vec<VariableName>> {
    let store = state.service.store.clone();
    run(move || review::variable_names(&store)).await
}
