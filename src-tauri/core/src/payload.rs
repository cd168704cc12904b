//! The Intellixent post-call payload, parsed tolerantly.
//!
//! Both documented versions are accepted: the newer one with `transcript` as an array of
//! `{text, sender, timestamp}` plus `formatted_transcript` and `transfers`, the older one with the
//! transcript as a single `AI: …` / `Customer: …` string and `campaign` beside `lead`. The payload
//! is kept as the JSON object it arrived as ([`Doc`]); this module only *derives* what Postcall
//! indexes from it (normalized columns and transcript turns), so no field is ever dropped. The
//! only hard requirements are a JSON object and a usable `id`.

use serde::Serialize;
use serde_json::{Map, Value};

pub mod lean;

/// A payload as received: a JSON object with every key it carried, known or not.
pub type Doc = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the body is empty; expected a JSON object with the call's `id`")]
    Empty,
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the body must be a JSON object, got {0}")]
    NotObject(&'static str),
    #[error("the payload has no `id` field; every Intellixent call payload carries its call id")]
    MissingId,
    #[error("the payload's `id` must be a positive integer or a string of digits, got {0}")]
    BadId(String),
    #[error("the payload's `id` {0} is above 9007199254740991 (2^53-1), the largest id Postcall keeps exactly; Intellixent call ids are smaller")]
    IdTooLarge(String),
}

/// The largest call id accepted: 2^53-1, the largest integer a JavaScript number (the window, a
/// script reading `--json`) holds exactly. A larger id would be shown and looked up as another.
pub const MAX_CALL_ID: i64 = (1 << 53) - 1;

/// Whether a body that parsed is, as text, exactly its JSON document (no byte-order mark to strip).
pub fn is_verbatim(body: &[u8]) -> bool {
    !body.starts_with(b"\xEF\xBB\xBF")
}

/// Reads JSON as `serde_json::from_slice` does (the same value, or the same error at the same
/// line and column), checking UTF-8 once over the whole body instead of string by string: a
/// webhook's body is mostly strings, and checking them one at a time was a sixth of the work of
/// reading it. A body that is not UTF-8 is read by `from_slice` itself, for its error.
pub(crate) fn from_json<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

/// Parses a raw body into the payload object and its call id.
pub fn parse_body(body: &[u8]) -> Result<(i64, Doc), PayloadError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(PayloadError::Empty);
    }
    let value: Value = from_json(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let doc = match value {
        Value::Object(map) => map,
        other => return Err(PayloadError::NotObject(json_kind(&other))),
    };
    let id = call_id(&doc)?;
    Ok((id, doc))
}

/// The call id of a raw body, with every check [`parse_body`] makes (the same errors for the same
/// bytes), but without building the document: only the `id` value is kept, the rest is skipped.
/// This answers a webhook; the document itself is parsed once, later, for indexing.
pub fn body_call_id(body: &[u8]) -> Result<i64, PayloadError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(PayloadError::Empty);
    }
    let kind: Kind = from_json(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    match kind {
        Kind::Object(id) => {
            let mut doc = Doc::new();
            if let Some(id) = id {
                doc.insert("id".into(), id);
            }
            call_id(&doc)
        }
        Kind::Other(kind) => Err(PayloadError::NotObject(kind)),
    }
}

/// Any JSON value, read with every check building a [`Value`] makes (strings decoded, so invalid
/// UTF-8 and lone surrogates fail the same way), but kept nowhere. serde's `IgnoredAny` would skip
/// strings without decoding them and accept bodies that [`parse_body`] refuses.
struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Walk(|_| Checked))
    }
}

/// A JSON body as far as [`body_call_id`] needs it.
enum Kind {
    /// An object, with its last `id` value.
    Object(Option<Value>),
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Walk(|kind| kind))
    }
}

/// Walks one JSON value, checking all of it, and hands what it was to `F`.
struct Walk<F>(F);

impl<'de, T, F: FnOnce(Kind) -> T> serde::de::Visitor<'de> for Walk<F> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "id" {
                id = Some(map.next_value::<Value>()?);
            } else {
                map.next_value::<Checked>()?;
            }
        }
        Ok(self.0(Kind::Object(id)))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(self.0(Kind::Other("an array")))
    }
    fn visit_str<E>(self, _: &str) -> Result<T, E> {
        Ok(self.0(Kind::Other("a string")))
    }
    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok(self.0(Kind::Other("a boolean")))
    }
    fn visit_i64<E>(self, _: i64) -> Result<T, E> {
        Ok(self.0(Kind::Other("a number")))
    }
    fn visit_u64<E>(self, _: u64) -> Result<T, E> {
        Ok(self.0(Kind::Other("a number")))
    }
    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok(self.0(Kind::Other("a number")))
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(self.0(Kind::Other("null")))
    }
}

pub fn call_id(doc: &Doc) -> Result<i64, PayloadError> {
    match doc.get("id") {
        None | Some(Value::Null) => Err(PayloadError::MissingId),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(id) if id > MAX_CALL_ID => Err(PayloadError::IdTooLarge(n.to_string())),
            Some(id) if id > 0 => Ok(id),
            None if n.is_u64() => Err(PayloadError::IdTooLarge(n.to_string())),
            _ => Err(PayloadError::BadId(n.to_string())),
        },
        Some(Value::String(s)) => {
            let t = s.trim();
            let digits = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            match t.parse::<i64>() {
                Ok(id) if id > MAX_CALL_ID && digits => Err(PayloadError::IdTooLarge(t.to_string())),
                Ok(id) if id > 0 && digits => Ok(id),
                Err(_) if digits && t.trim_start_matches('0').len() >= 19 => {
                    Err(PayloadError::IdTooLarge(t.to_string()))
                }
                _ => Err(PayloadError::BadId(format!("{s:?}"))),
            }
        }
        Some(other) => Err(PayloadError::BadId(json_kind(other).to_string())),
    }
}

pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    /// `bot` or `human` as Intellixent names them; other senders are kept as given.
    pub sender: String,
    pub text: String,
    /// The payload's own timestamp, epoch seconds.
    pub timestamp: Option<f64>,
}

/// What Postcall indexes about a call, derived from its (merged) payload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallFields {
    pub status: Option<String>,
    pub customer_phone: Option<String>,
    pub assistant_phone: Option<String>,
    pub duration: Option<i64>,
    pub created_at: Option<String>,
    pub finished_at: Option<String>,
    pub created_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub summary: Option<String>,
    pub objective: Option<bool>,
    pub campaign: Option<String>,
    pub recording_url: Option<String>,
}

pub fn derive_fields(doc: &Doc) -> CallFields {
    let vars = doc.get("extracted_variables").and_then(Value::as_object);
    let created_at = text(doc.get("created_at"));
    let finished_at = text(doc.get("finished_at")).or_else(|| text(doc.get("updated_at")));
    CallFields {
        status: text(doc.get("status")),
        customer_phone: text(doc.get("customer_phone")),
        assistant_phone: text(doc.get("assistant_phone")),
        duration: integer(doc.get("duration")),
        created_ms: created_at.as_deref().and_then(crate::time::parse_ms),
        finished_ms: finished_at.as_deref().and_then(crate::time::parse_ms),
        created_at,
        finished_at,
        summary: vars.and_then(|v| text(v.get("summary"))),
        objective: vars.and_then(|v| boolean(v.get("status"))),
        campaign: campaign(doc).and_then(|c| text(c.get("name"))).or_else(|| text(doc.get("campaign_name"))),
        recording_url: text(doc.get("recording_url")).filter(|u| !u.trim().is_empty()),
    }
}

/// The campaign object: at the top level (older doc) or nested in `lead` (sister platforms).
pub fn campaign(doc: &Doc) -> Option<&Doc> {
    doc.get("campaign").and_then(Value::as_object).or_else(|| doc.get("lead")?.get("campaign")?.as_object())
}

/// The conversation, from `transcript` (array or string), else from `formatted_transcript`.
/// `None` when the payload carries neither, so a delivery without a transcript leaves the stored
/// turns alone.
pub fn turns(doc: &Doc) -> Option<Vec<Turn>> {
    match doc.get("transcript") {
        Some(Value::Array(items)) => Some(items.iter().filter_map(turn_from_item).collect()),
        Some(Value::String(s)) => Some(split_transcript(s)),
        _ => doc.get("formatted_transcript").and_then(Value::as_str).map(split_transcript),
    }
}

fn turn_from_item(item: &Value) -> Option<Turn> {
    match item {
        Value::Object(o) => Some(turn_from_fields(|k| o.get(k))),
        Value::String(s) => split_transcript(s).into_iter().next(),
        _ => None,
    }
}

/// The turn an object item makes, given its value of each key.
fn turn_from_fields<'v>(get: impl Fn(&str) -> Option<&'v Value>) -> Turn {
    let body = ["text", "message", "content"].iter().find_map(|k| text(get(k))).unwrap_or_default();
    let sender = ["sender", "role", "speaker"]
        .iter()
        .find_map(|k| text(get(k)))
        .map(|s| normalize_sender(&s))
        .unwrap_or_else(|| "unknown".to_string());
    let timestamp = match get("timestamp").or_else(|| get("time")) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => {
            s.trim().parse::<f64>().ok().or_else(|| crate::time::parse_ms(s).map(|ms| ms as f64 / 1000.0))
        }
        _ => None,
    }
    .and_then(|t| crate::time::epoch_to_ms(t).map(|ms| ms as f64 / 1000.0));
    Turn { sender, text: body, timestamp }
}

/// Maps the names seen across sister platforms onto Intellixent's `bot` / `human`.
fn normalize_sender(s: &str) -> String {
    match s.trim().to_ascii_lowercase().as_str() {
        "bot" | "ai" | "assistant" | "agent" => "bot".into(),
        "human" | "customer" | "user" | "caller" | "client" => "human".into(),
        other => other.to_string(),
    }
}

/// Splits a string transcript into turns. A line starting with a speaker prefix (`AI:`,
/// `Customer:`, …) starts a turn; any other line continues the previous turn.
pub fn split_transcript(s: &str) -> Vec<Turn> {
    let mut turns: Vec<Turn> = Vec::new();
    for line in s.lines() {
        if let Some((sender, rest)) = speaker_prefix(line) {
            turns.push(Turn { sender: sender.into(), text: rest.trim().to_string(), timestamp: None });
        } else if let Some(last) = turns.last_mut() {
            if !line.trim().is_empty() {
                if !last.text.is_empty() {
                    last.text.push('\n');
                }
                last.text.push_str(line.trim());
            }
        } else if !line.trim().is_empty() {
            turns.push(Turn { sender: "unknown".into(), text: line.trim().to_string(), timestamp: None });
        }
    }
    turns
}

fn speaker_prefix(line: &str) -> Option<(&'static str, &str)> {
    let (head, rest) = line.split_once(':')?;
    let sender = match head.trim().to_ascii_lowercase().as_str() {
        "ai" | "assistant" | "bot" | "agent" => "bot",
        "customer" | "user" | "human" | "caller" | "client" => "human",
        _ => return None,
    };
    Some((sender, rest))
}

/// Seconds from the call start for each turn: relative to `created_at` when the turn times fall
/// within the call, else relative to the first turn.
pub fn turn_offsets(turns: &[Turn], created_ms: Option<i64>, duration: Option<i64>) -> Vec<Option<f64>> {
    let first = turns.iter().find_map(|t| t.timestamp);
    let base = match (first, created_ms) {
        (Some(first), Some(created)) => {
            let created = created as f64 / 1000.0;
            let end = created + duration.unwrap_or(0).max(0) as f64 + 120.0;
            if first >= created - 5.0 && first <= end {
                Some(created.min(first))
            } else {
                Some(first)
            }
        }
        (Some(first), None) => Some(first),
        _ => None,
    };
    turns
        .iter()
        .map(|t| match (t.timestamp, base) {
            (Some(ts), Some(b)) => Some(((ts - b).max(0.0) * 10.0).round() / 10.0),
            _ => None,
        })
        .collect()
}

/// The text of a scalar: strings as they are, numbers and booleans printed; null, arrays and
/// objects are not text.
pub fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn integer(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f.round() as i64),
        _ => None,
    }
}

pub fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "achieved" => Some(true),
            "false" | "no" | "0" | "not achieved" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Flattens variable values into searchable text: `key value` pairs, nested values included.
pub fn variables_text(doc: &Doc) -> String {
    let mut out = String::new();
    for key in ["extracted_variables", "input_variables"] {
        if let Some(v) = doc.get(key) {
            flatten_into(v, &mut out);
        }
    }
    out
}

fn flatten_into(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                out.push_str(k);
                out.push(' ');
                flatten_into(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| flatten_into(v, out)),
        Value::Null => {}
        other => {
            if let Some(t) = text(Some(other)) {
                out.push_str(&t);
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        v.as_object().cloned().expect("object")
    }

    const NEWER: &str = r#"{
      "id": 12345, "customer_phone": "+1234567890", "assistant_phone": "+1987654321",
      "duration": 125, "status": "completed",
      "extracted_variables": {"status": true, "summary": "Customer interested in product demo",
        "lead_quality": "high", "next_action": "schedule_demo"},
      "input_variables": {"customer_name": "John Doe", "product_interest": "Pro Plan"},
      "transcript": [
        {"text": "Hello, this is Sarah from Intellixent.", "sender": "bot", "timestamp": 1756812511.3},
        {"text": "Hi, thanks for calling.", "sender": "human", "timestamp": 1756812514.1}
      ],
      "formatted_transcript": "AI: Hello, this is Sarah from Intellixent.\nCustomer: Hi, thanks for calling.",
      "recording_url": "https://portal.intellixent.ai/storage/recordings/call-12345.mp4",
      "created_at": "2025-01-15T10:30:00.000000Z", "finished_at": "2025-01-15T10:32:05.000000Z"
    }"#;

    /// Bodies at the edges of what parses: duplicate and escaped keys, odd ids, bad escapes,
    /// lone surrogates, invalid UTF-8 inside and outside strings, truncation, deep nesting.
    fn awkward_bodies() -> Vec<Vec<u8>> {
        let deep = format!("{{\"id\": 1, \"x\": {}{}}}", "[".repeat(200), "]".repeat(200));
        let mut bodies: Vec<Vec<u8>> = [
            NEWER,
            r#"{"id": 7}"#,
            "\u{feff}{\"id\": \"42\"}",
            r#"{"id": 1, "id": 2}"#,
            r#"{"i\u0064": 9, "x": "\u00e9"}"#,
            r#"{"nested": {"id": 5}}"#,
            r#"{"id": -3}"#,
            r#"{"id": 1.5}"#,
            r#"{"id": " 12 "}"#,
            r#"{"id": null}"#,
            r#"{"id": [1]}"#,
            r#"{"id": 1, "note": "lone \ud800 surrogate"}"#,
            r#"{"id": 1, "note": "bad \q escape"}"#,
            r#"{"id": 1, "n": 1e999}"#,
            r#"{"id": 1,}"#,
            r#"{"id": 1} trailing"#,
            r#"{"id": 1"#,
            "[1, 2]",
            "\"text\"",
            "12",
            "true",
            "null",
            "",
            "  \n",
            &deep,
        ]
        .iter()
        .map(|b| b.as_bytes().to_vec())
        .collect();
        bodies.push(b"{\"id\": 1, \"note\": \"\xff\xfe\"}".to_vec());
        bodies.push(b"{\"id\": 1, \"\xc3\": 2}".to_vec());
        bodies.push(b"{\"id\": 1}\xff".to_vec());
        bodies.push(b"{\"id\": 1,\n \xe2\x80 \"x\": 2}".to_vec());
        bodies
    }

    #[test]
    fn the_quick_id_check_agrees_with_the_full_parse() {
        for body in &awkward_bodies() {
            let full = parse_body(body).map(|(id, _)| id);
            assert_eq!(body_call_id(body), full, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn json_is_read_as_from_slice_reads_it_with_the_same_errors() {
        let mut bodies = awkward_bodies();
        bodies.push(b"{\"id\": 1, \"note\": \"caf\xc3\xa9 \xe5\x8d\x81\xe7\x82\xb9\"}".to_vec());
        bodies.push(b"{\"id\": 1,\n\"a\": [1, 2,\n  }".to_vec());
        for body in &bodies {
            let ours = from_json::<Value>(body).map_err(|e| e.to_string());
            let theirs = serde_json::from_slice::<Value>(body).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(body));
        }
        // Both ways of reading are taken: a UTF-8 body and one that is not.
        assert!(from_json::<Value>(br#"{"id": 1}"#).is_ok());
        assert!(from_json::<Value>(b"{\"id\": \"\xff\"}")
            .expect_err("not UTF-8")
            .to_string()
            .contains("invalid unicode"));
    }

    #[test]
    fn newer_doc_example_parses_every_field() {
        let (id, d) = parse_body(NEWER.as_bytes()).expect("parses");
        assert_eq!(id, 12345);
        let f = derive_fields(&d);
        assert_eq!(f.customer_phone.as_deref(), Some("+1234567890"));
        assert_eq!(f.assistant_phone.as_deref(), Some("+1987654321"));
        assert_eq!(f.duration, Some(125));
        assert_eq!(f.status.as_deref(), Some("completed"));
        assert_eq!(f.summary.as_deref(), Some("Customer interested in product demo"));
        assert_eq!(f.objective, Some(true));
        assert_eq!(f.created_ms, Some(1_736_937_000_000));
        assert_eq!(f.finished_ms, Some(1_736_937_125_000));
        assert!(f.recording_url.is_some());
        let t = turns(&d).expect("turns");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].sender, "bot");
        assert_eq!(t[1].sender, "human");
        assert_eq!(t[1].timestamp, Some(1756812514.1));
        // The example's turn times are not within the call: offsets count from the first turn.
        let offsets = turn_offsets(&t, f.created_ms, f.duration);
        assert_eq!(offsets, vec![Some(0.0), Some(2.8)]);
    }

    #[test]
    fn older_doc_string_transcript_and_top_level_campaign() {
        let d = doc(json!({
            "id": "77", "customer_phone": null, "assistant_phone": null, "duration": 61,
            "status": "busy",
            "extracted_variables": {"status": false, "summary": "No answer"},
            "transcript": "AI: Hello there\nCustomer: Who is this?\nI did not call you\nAI: Sorry!",
            "lead": {"id": 3, "phone_number": "+40700000000", "status": "contacted"},
            "campaign": {"id": 9, "name": "Spring promo", "allowed_days": ["mon"]},
            "created_at": "2025-01-15 10:30:00"
        }));
        assert_eq!(call_id(&d), Ok(77));
        let f = derive_fields(&d);
        assert_eq!(f.customer_phone, None);
        assert_eq!(f.campaign.as_deref(), Some("Spring promo"));
        assert_eq!(f.objective, Some(false));
        assert_eq!(f.created_ms, Some(1_736_937_000_000));
        let t = turns(&d).expect("turns");
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].text, "Who is this?\nI did not call you");
        assert_eq!(t[2].sender, "bot");
        assert!(t.iter().all(|t| t.timestamp.is_none()));
    }

    #[test]
    fn campaign_nested_in_lead() {
        let d = doc(json!({"id": 1, "lead": {"id": 2, "campaign": {"id": 4, "name": "Renewals"}}}));
        assert_eq!(derive_fields(&d).campaign.as_deref(), Some("Renewals"));
    }

    #[test]
    fn transcript_items_with_extra_keys_and_string_timestamps() {
        let d = doc(json!({"id": 1, "transcript": [
            {"type": "transcript", "text": "Bună ziua", "sender": "bot", "timestamp": "1756812511.5"},
            {"type": "transcript", "text": "Salut", "sender": "human"}
        ]}));
        let t = turns(&d).expect("turns");
        assert_eq!(t[0].timestamp, Some(1756812511.5));
        assert_eq!(t[1].timestamp, None);
    }

    #[test]
    fn formatted_transcript_is_used_when_transcript_is_missing() {
        let d = doc(json!({"id": 1, "formatted_transcript": "AI: Hi\nCustomer: Hello"}));
        assert_eq!(turns(&d).map(|t| t.len()), Some(2));
        assert_eq!(turns(&doc(json!({"id": 1}))), None);
    }

    #[test]
    fn offsets_relative_to_call_start_when_within_the_call() {
        let t = vec![
            Turn { sender: "bot".into(), text: "a".into(), timestamp: Some(1_736_937_002.0) },
            Turn { sender: "human".into(), text: "b".into(), timestamp: Some(1_736_937_010.5) },
        ];
        assert_eq!(turn_offsets(&t, Some(1_736_937_000_000), Some(60)), vec![Some(2.0), Some(10.5)]);
    }

    #[test]
    fn rejects_unusable_bodies_with_reasons() {
        assert_eq!(parse_body(b"  "), Err(PayloadError::Empty));
        assert!(matches!(parse_body(b"{\"id\": 1,"), Err(PayloadError::NotJson(_))));
        assert_eq!(parse_body(b"[1,2]"), Err(PayloadError::NotObject("an array")));
        assert_eq!(parse_body(b"{\"status\":\"completed\"}"), Err(PayloadError::MissingId));
        assert!(matches!(parse_body(b"{\"id\":\"12a\"}"), Err(PayloadError::BadId(_))));
        assert!(matches!(parse_body(b"{\"id\":-4}"), Err(PayloadError::BadId(_))));
        assert!(matches!(parse_body(b"{\"id\":1.5}"), Err(PayloadError::BadId(_))));
        // Above 2^53-1 a JavaScript number cannot hold the id exactly: refused, as number or string.
        assert_eq!(parse_body(b"{\"id\":9007199254740991}").map(|p| p.0), Ok(MAX_CALL_ID));
        for body in [
            &b"{\"id\":9007199254740993}"[..],
            b"{\"id\":\"9007199254740992\"}",
            b"{\"id\":18446744073709551615}",
            b"{\"id\":\"99999999999999999999\"}",
        ] {
            assert!(matches!(parse_body(body), Err(PayloadError::IdTooLarge(_))), "{body:?}");
            assert!(matches!(body_call_id(body), Err(PayloadError::IdTooLarge(_))), "{body:?}");
        }
        let msg = parse_body(b"{\"id\": 1,").expect_err("truncated").to_string();
        assert!(msg.starts_with("the body is not valid JSON: EOF"), "{msg}");
    }

    #[test]
    fn scalars_of_any_type_in_variables() {
        let d = doc(json!({"id": 1, "extracted_variables": {"status": "true", "score": 4.5,
            "nested": {"order": "ZX-4471-QQ", "tags": ["vip", null]}}}));
        assert_eq!(derive_fields(&d).objective, Some(true));
        let text = variables_text(&d);
        assert!(text.contains("ZX-4471-QQ") && text.contains("4.5") && text.contains("vip"), "{text}");
    }
}
