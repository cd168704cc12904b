//! Payloads that only the window's shell sends: event payloads and a few command results. They
//! are defined here, not in the shell, so that the TypeScript bindings are generated (and
//! checked) without building the window.

use serde::Serialize;
use ts_rs::TS;

use crate::backfill::LastSync;
use crate::secrets::Backend;
use crate::startup::Step;
use crate::store::names::DeliveryOutcome;
use crate::tunnel::TunnelOverview as Overview;

/// Payload of the `calls-changed` event, coalesced over bursts of webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CallsChanged {
    pub ids: Vec<i64>,
    pub total: i64,
}

/// Payload of the `review-changed` event.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReviewChanged {
    pub call_ids: Vec<i64>,
    /// The team's tag list or scorecards changed (here or on another reviewer's machine).
    pub definitions: bool,
}

impl ReviewChanged {
    /// From what a review write touched: call ids, with [`crate::review::DEFINITIONS`] standing
    /// for the definitions. `None` when nothing changed.
    pub fn from_touched(touched: &[i64]) -> Option<Self> {
        let definitions = touched.contains(&crate::review::DEFINITIONS);
        let mut call_ids: Vec<i64> = touched.iter().copied().filter(|&c| c != crate::review::DEFINITIONS).collect();
        call_ids.sort_unstable();
        call_ids.dedup();
        (definitions || !call_ids.is_empty()).then_some(Self { call_ids, definitions })
    }
}

/// Payload of the `open-call-link` event (from `postcall://call/<id>?t=<s>`): `t` is `null`
/// when the link names no time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct OpenCallLink {
    pub id: i64,
    pub t: Option<f64>,
}

/// What `reprocess_delivery` did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReprocessResult {
    pub delivery_id: i64,
    pub outcome: DeliveryOutcome,
    pub call_id: Option<i64>,
    pub error: Option<String>,
}

/// The recording's loudness envelope.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Peaks {
    pub duration_seconds: f64,
    /// 0..1, evenly spaced over the duration.
    pub peaks: Vec<f32>,
}

/// Backfill settings as the UI sees them; the key itself never goes back to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncSettings {
    pub api_base: String,
    /// Minutes between automatic syncs; 0 turns them off.
    pub interval_minutes: u32,
    pub has_api_key: bool,
    /// Where the stored key is kept; `null` when no key is stored (one may still come from
    /// `POSTCALL_INTELLIXENT_API_KEY`).
    pub api_key_storage: Option<Backend>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SyncStatus {
    pub running: bool,
    pub last: Option<LastSync>,
}

/// What the tunnel panel shows, plus where the saved bore secret or ngrok authtoken is kept.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TunnelOverview {
    #[serde(flatten)]
    pub overview: Overview,
    /// `null` when no bore secret or ngrok authtoken is saved.
    pub secret_storage: Option<Backend>,
}

/// Where opening the data folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum StartupState {
    Opening,
    Ready,
    Failed,
}

/// `opening` (with the step under way, if a slow one is), `ready`, or `failed` with the reason.
/// The window opens before the data folder is open.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Startup {
    pub state: StartupState,
    pub step: Option<Step>,
    pub error: Option<String>,
}

/// A search hit as the window paints it: the marked snippet once (as parts), without the
/// bracketed copy, the summary and the rank that `postcall search --json` also prints.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PaintedHit {
    pub call_id: i64,
    /// 0-based index into the transcript, for a transcript hit.
    pub turn_index: Option<i64>,
    pub sender: Option<String>,
    #[ts(as = "crate::store::names::SearchField")]
    pub field: &'static str,
    pub snippet_parts: Vec<crate::search::SnippetPart>,
    pub created_at_ms: Option<i64>,
    pub customer_phone: Option<String>,
    pub status: Option<String>,
}

impl From<crate::search::SearchHit> for PaintedHit {
    fn from(h: crate::search::SearchHit) -> Self {
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
