//! Intellixent's REST API, as far as the backfill needs it: one page of `GET /user/calls`, and the
//! mapping of an API call object onto the webhook's field names.
//!
//! The mapping exists so that an API call goes through the one ingest path like any webhook: the
//! store merges API objects into their own document and overlays the webhook's on top, so the
//! names must match for a webhook to win over the API field by field. Nothing is dropped: fields
//! the webhook does not know (`answered_by`, `assistant_name`, costs, …) are kept as they are.
//!
//! The client never logs the API key, not even at debug level, and its `Debug` output hides it.
//! It does not retry: deciding when to back off belongs to [`crate::backfill`].

use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{Map, Number, Value};

use crate::payload::Doc;

/// Intellixent's own API; white-label instances and tests use another base.
pub const DEFAULT_API_BASE: &str = "https://portal.intellixent.ai/api";
/// The most calls the API returns per page.
pub const PER_PAGE: u32 = 100;

/// Renames from the API's call object to the webhook's names.
const RENAMES: [(&str, &str); 3] = [
    ("client_phone_number", "customer_phone"),
    ("assistant_phone_number", "assistant_phone"),
    ("variables", "input_variables"),
];

/// Maps one API call object to a webhook-shaped payload. Returns `None` if it is not an object.
///
/// - `client_phone_number` → `customer_phone`, `assistant_phone_number` → `assistant_phone`,
///   `variables` → `input_variables`, `evaluation` → `extracted_variables` (object form as is;
///   the array of `{name, type, value, description}` becomes `{name: value}`);
/// - costs (`carrier_cost`, `total_cost`, any `*_cost`) given as numeric strings become numbers;
/// - `transcript` (string or array), naive timestamps and every other field are kept as given
///   (the naive `2025-08-04 14:30:00` is read as UTC by [`crate::time`]).
///
/// A key the object already carries under the webhook's name is never overwritten.
pub fn map_call(call: &Value) -> Option<Doc> {
    let src = call.as_object()?;
    let mut out = Map::new();
    for (k, v) in src {
        let target = match k.as_str() {
            "evaluation" => "extracted_variables",
            other => RENAMES.iter().find(|(from, _)| *from == other).map(|(_, to)| *to).unwrap_or(other),
        };
        let value = match k.as_str() {
            "evaluation" => evaluation(v),
            "variables" => decode_json_string(v),
            key if key.ends_with("cost") => cost(v),
            _ => v.clone(),
        };
        if target != k.as_str() && src.contains_key(target) {
            // The webhook's own name is present as well: keep both as given.
            out.insert(k.clone(), v.clone());
        } else {
            out.insert(target.to_string(), value);
        }
    }
    Some(out)
}

/// `evaluation` as an object of variables, whichever form it came in.
fn evaluation(v: &Value) -> Value {
    match decode_json_string(v) {
        Value::Array(items) => {
            let mut vars = Map::new();
            for item in &items {
                if let Some(name) = item.get("name").and_then(Value::as_str) {
                    vars.insert(name.to_string(), item.get("value").cloned().unwrap_or(Value::Null));
                }
            }
            // An array that is not of named items is kept rather than lost.
            if vars.is_empty() && !items.is_empty() {
                Value::Array(items)
            } else {
                Value::Object(vars)
            }
        }
        other => other,
    }
}

/// Some sister platforms send objects JSON-encoded in a string.
fn decode_json_string(v: &Value) -> Value {
    if let Value::String(s) = v {
        let t = s.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                return parsed;
            }
        }
    }
    v.clone()
}

/// `"0.08000000"` → `0.08`; anything that is not a numeric string is kept.
fn cost(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            s.trim().parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number).unwrap_or_else(|| v.clone())
        }
        _ => v.clone(),
    }
}

/// One page of `GET /user/calls`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsPage {
    pub current_page: u32,
    pub last_page: u32,
    pub total: Option<u64>,
    pub data: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("API key rejected (HTTP 401): check the Intellixent API key in Settings")]
    Unauthorized,
    #[error("the Intellixent API is rate limiting (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the Intellixent API answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("cannot reach the Intellixent API: {0}")]
    Network(String),
    #[error("the Intellixent API sent a response Postcall cannot read: {0}")]
    BadResponse(String),
}

impl ApiError {
    /// Worth trying again later: rate limits, server errors and network failures.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::RateLimited { .. } | ApiError::Network(_) => true,
            ApiError::Status { status, .. } => *status >= 500 || *status == 408,
            ApiError::Unauthorized | ApiError::BadResponse(_) => false,
        }
    }
}

/// The query of one page. Dates are whole days, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsQuery {
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub page: u32,
}

pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    auth: HeaderValue,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient").field("base", &self.base).field("auth", &"<hidden>").finish()
    }
}

impl ApiClient {
    pub fn new(base: &str, key: &str) -> Result<Self, ApiError> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", key.trim()))
            .map_err(|_| ApiError::BadResponse("the API key contains characters a header cannot carry".into()))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("postcall/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok(Self { http, base: base.trim().trim_end_matches('/').to_string(), auth })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Fetches one page. Never retries.
    pub async fn calls_page(&self, q: &CallsQuery) -> Result<CallsPage, ApiError> {
        let mut params: Vec<(&str, String)> = vec![("per_page", PER_PAGE.to_string()), ("page", q.page.to_string())];
        if let Some(d) = &q.date_from {
            params.push(("date_from", d.clone()));
        }
        if let Some(d) = &q.date_to {
            params.push(("date_to", d.clone()));
        }
        let resp = self
            .http
            .get(format!("{}/user/calls", self.base))
            .header(AUTHORIZATION, self.auth.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&params)
            .send()
            .await
            .map_err(|e| ApiError::Network(without_url(&e)))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(ApiError::Unauthorized);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(ApiError::RateLimited { retry_after });
        }
        let body = resp.bytes().await.map_err(|e| ApiError::Network(without_url(&e)))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
            return Err(ApiError::Status { status: status.as_u16(), message });
        }
        parse_page(&body, q.page)
    }
}

/// A short, stable description of a transport failure and its causes.
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else if e.is_decode() || e.is_body() {
        "the response was cut short".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// Reads `{current_page, last_page, per_page, total, data}`; page numbers may come as strings.
pub fn parse_page(body: &[u8], requested: u32) -> Result<CallsPage, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ApiError::BadResponse(format!("not JSON: {e}")))?;
    let data = match v.get("data") {
        Some(Value::Array(items)) => items.clone(),
        _ => return Err(ApiError::BadResponse("no `data` array in the calls page".into())),
    };
    let num = |k: &str| -> Option<u64> {
        match v.get(k)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let current_page = num("current_page").map(|n| n as u32).unwrap_or(requested);
    let last_page = num("last_page").map(|n| n as u32).unwrap_or(current_page).max(1);
    Ok(CallsPage { current_page, last_page, total: num("total"), data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_names_become_webhook_names_and_extras_are_kept() {
        let api = json!({
            "id": 77, "assistant_name": "Sarah", "campaign_name": "Spring", "type": "outbound",
            "duration": 42, "assistant_phone_number": "+15550000000", "client_phone_number": "+15551112222",
            "status": "completed", "transcript": "AI: Hi\nCustomer: Hello",
            "variables": {"first_name": "Ann"}, "evaluation": {"status": true, "summary": "booked"},
            "webhook_response": "{\"ok\":true}", "carrier_cost": "0.01500000", "total_cost": 0.08,
            "answered_by": "human", "recording_url": "https://x/r.mp3",
            "created_at": "2025-08-04 14:30:00", "updated_at": "2025-08-04 14:31:00", "brand_new": [1]
        });
        let d = map_call(&api).expect("object");
        assert_eq!(d["customer_phone"], "+15551112222");
        assert_eq!(d["assistant_phone"], "+15550000000");
        assert_eq!(d["input_variables"], json!({"first_name": "Ann"}));
        assert_eq!(d["extracted_variables"], json!({"status": true, "summary": "booked"}));
        assert_eq!(d["carrier_cost"], json!(0.015), "numeric strings become numbers");
        assert_eq!(d["total_cost"], json!(0.08));
        for key in ["client_phone_number", "assistant_phone_number", "variables", "evaluation"] {
            assert!(!d.contains_key(key), "{key} is renamed, not duplicated");
        }
        for key in ["answered_by", "type", "assistant_name", "campaign_name", "webhook_response", "brand_new"] {
            assert_eq!(d[key], api[key], "{key} is kept as given");
        }
        assert_eq!(d["transcript"], api["transcript"]);
        let f = crate::payload::derive_fields(&d);
        assert_eq!(f.created_ms, crate::time::parse_ms("2025-08-04T14:30:00Z"), "naive times are UTC");
        assert_eq!(f.finished_at.as_deref(), Some("2025-08-04 14:31:00"), "updated_at stands in for finished_at");
        assert_eq!(f.summary.as_deref(), Some("booked"));
        assert_eq!(f.campaign.as_deref(), Some("Spring"));
    }

    #[test]
    fn the_array_form_of_evaluation_becomes_an_object() {
        let api = json!({"id": 1, "evaluation": [
            {"name": "status", "type": "boolean", "value": false, "description": "goal met"},
            {"name": "summary", "type": "string", "value": "no answer", "description": ""},
            {"name": "budget", "type": "number", "value": 1200}
        ], "transcript": [{"text": "Hi", "sender": "bot", "timestamp": 1.0}]});
        let d = map_call(&api).expect("object");
        assert_eq!(d["extracted_variables"], json!({"status": false, "summary": "no answer", "budget": 1200}));
        assert!(d["transcript"].is_array(), "the array transcript is kept");
        let f = crate::payload::derive_fields(&d);
        assert_eq!((f.objective, f.summary.as_deref()), (Some(false), Some("no answer")));
    }

    #[test]
    fn odd_values_are_kept_rather_than_lost() {
        let d = map_call(&json!({"id": 2, "total_cost": "n/a", "carrier_cost": null,
            "evaluation": "{\"summary\":\"encoded\"}", "customer_phone": "+1", "client_phone_number": "+2"}))
        .expect("object");
        assert_eq!(d["total_cost"], "n/a");
        assert_eq!(d["carrier_cost"], Value::Null);
        assert_eq!(d["extracted_variables"], json!({"summary": "encoded"}));
        assert_eq!(d["customer_phone"], "+1", "an existing webhook-named key is not overwritten");
        assert_eq!(d["client_phone_number"], "+2");
        assert!(map_call(&json!([1])).is_none());
    }

    #[test]
    fn pages_are_read_tolerantly() {
        let p = parse_page(br#"{"current_page":"2","last_page":3,"per_page":100,"total":250,"data":[{"id":1}]}"#, 2)
            .expect("page");
        assert_eq!((p.current_page, p.last_page, p.total, p.data.len()), (2, 3, Some(250), 1));
        assert!(matches!(parse_page(b"{}", 1), Err(ApiError::BadResponse(_))));
        assert!(matches!(parse_page(b"<html>", 1), Err(ApiError::BadResponse(_))));
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let c = ApiClient::new("https://example.test/api/", "sk-secret-123").expect("client");
        assert!(!format!("{c:?}").contains("sk-secret-123"));
        assert_eq!(c.base(), "https://example.test/api");
    }
}
