//! One call in full, as `postcall show --json` prints it and the window's detail view reads it.
//! The field names are the payload's own; the order is the printed order (and must stay: scripts
//! diff this output).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::insights::evidence::Evidence;
use crate::review::CallReview;
use crate::store::deliveries::{Delivery, Source};
use crate::store::turns::StoredTurn;

use crate::store::names::RecordingState;

/// `D`: the deliveries as `show --json` prints them ([`Delivery`], with their bodies) or as the
/// window lists them (`DeliveryHead`, bodies loaded when opened).
/// The UI only ever receives the window's form, so its TypeScript type is that one.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(concrete(D = crate::store::deliveries::DeliveryHead))]
pub struct CallDetail<D = Delivery> {
    pub id: i64,
    pub customer_phone: Option<String>,
    pub assistant_phone: Option<String>,
    /// Seconds.
    pub duration: Option<i64>,
    pub status: Option<String>,
    pub summary: Option<String>,
    pub objective_achieved: Option<bool>,
    pub extracted_variables: Map<String, Value>,
    pub input_variables: Map<String, Value>,
    /// For each quotable extracted variable, the turns where its value was said (empty: never).
    pub evidence: BTreeMap<String, Vec<Evidence>>,
    pub transcript: Vec<StoredTurn>,
    pub formatted_transcript: Option<String>,
    pub recording_url: Option<String>,
    /// The payload's own strings.
    pub created_at: Option<String>,
    pub finished_at: Option<String>,
    /// Parsed, Unix milliseconds UTC.
    pub created_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
    pub lead: Value,
    pub campaign: Option<Map<String, Value>>,
    pub transfers: Option<Vec<Value>>,
    #[ts(as = "Vec<Source>")]
    pub sources: Vec<&'static str>,
    pub deliveries: Vec<D>,
    /// The latest raw payload (`null` in the window's lean detail).
    pub raw: Value,
    pub recording: Recording,
    pub review: CallReview,
    /// Fields the API adds (costs, answered_by, names) and anything unknown, kept visible.
    pub other_fields: Map<String, Value>,
}

/// A call's recording: where it is in the vault, and what the player plays.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Recording {
    #[ts(as = "RecordingState")]
    pub state: String,
    /// The remote `recording_url` from the payload.
    pub url: Option<String>,
    /// Bytes downloaded so far, or the file size when ready.
    pub bytes: Option<i64>,
    /// Expected size when known.
    pub total_bytes: Option<i64>,
    /// `audio/mpeg`, `audio/mp4`, `audio/wav`…
    pub content_type: Option<String>,
    /// Short label: `MP3`, `AAC (M4A)`, `WAV`, `Ogg`, `FLAC`, `WebM`.
    pub format: Option<String>,
    pub duration_seconds: Option<f64>,
    /// Why it failed (plain words), or why it was removed.
    pub error: Option<String>,
    /// Absolute path of the vault copy when ready.
    pub path: Option<String>,
    pub attempts: i64,
    /// Nudge added to every turn's time to line the transcript up with the audio.
    pub offset_seconds: f64,
    pub has_peaks: bool,
    /// What the player plays: the vault copy's loopback URL when ready (set by the window),
    /// else the remote http(s) URL, else `null`.
    pub media_url: Option<String>,
    /// `media_url` is the vault copy.
    pub local: bool,
}
