//! A body read for indexing a new call: the document without its `transcript`, which is read
//! straight into turns. Built as JSON values, a transcript is a map and a string per key of every
//! turn, copied out again into the turns: most of the cost of parsing a call. The turns read here
//! are the ones [`super::turns`] finds in the same document (`lean_turns_match_the_document`).

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{split_transcript, turn_from_fields, Doc, Turn};

/// A payload parsed for indexing.
pub struct Lean {
    /// Every top-level key but `transcript`.
    pub doc: Doc,
    /// The `transcript` value, `None` when there is none.
    transcript: Option<Transcript>,
}

enum Transcript {
    /// An array: the turns its items make.
    Items(Vec<Turn>),
    /// One string of `AI: …` / `Customer: …` lines.
    Text(String),
    /// Anything else: as if there were no transcript.
    Other,
}

impl Lean {
    /// The conversation, as [`super::turns`] reads it from the whole document.
    pub fn take_turns(&mut self) -> Option<Vec<Turn>> {
        match self.transcript.take() {
            Some(Transcript::Items(turns)) => Some(turns),
            Some(Transcript::Text(s)) => Some(split_transcript(&s)),
            Some(Transcript::Other) | None => {
                self.doc.get("formatted_transcript").and_then(Value::as_str).map(split_transcript)
            }
        }
    }
}

/// Parses a body that [`super::parse_body`] accepts into its call id and [`Lean`] document;
/// `None` for any other body (ask `parse_body` why).
pub fn parse(body: &[u8]) -> Option<(i64, Lean)> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let lean: LeanDoc = super::from_json(body).ok()?;
    let id = super::call_id(&lean.0.doc).ok()?;
    Some((id, lean.0))
}

struct LeanDoc(Lean);

impl<'de> serde::Deserialize<'de> for LeanDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TopLevel)
    }
}

struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = LeanDoc;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LeanDoc, A::Error> {
        let (mut doc, mut transcript) = (Doc::new(), None);
        while let Some(key) = map.next_key::<String>()? {
            // A repeated key: the last value counts, as in a parsed document.
            if key == "transcript" {
                transcript = Some(map.next_value_seed(TranscriptSeed)?);
            } else {
                doc.insert(key, map.next_value::<Value>()?);
            }
        }
        Ok(LeanDoc(Lean { doc, transcript }))
    }
}

struct TranscriptSeed;

impl<'de> DeserializeSeed<'de> for TranscriptSeed {
    type Value = Transcript;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Transcript, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TranscriptSeed {
    type Value = Transcript;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a transcript")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Transcript, A::Error> {
        let mut turns = Vec::with_capacity(seq.size_hint().unwrap_or(32));
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            turns.extend(item);
        }
        Ok(Transcript::Items(turns))
    }
    fn visit_str<E>(self, s: &str) -> Result<Transcript, E> {
        Ok(Transcript::Text(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Transcript, E> {
        Ok(Transcript::Text(s))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Transcript, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Transcript::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Transcript, E> {
        Ok(Transcript::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Transcript, E> {
        Ok(Transcript::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Transcript, E> {
        Ok(Transcript::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Transcript, E> {
        Ok(Transcript::Other)
    }
    fn visit_unit<E>(self) -> Result<Transcript, E> {
        Ok(Transcript::Other)
    }
}

/// The keys a turn is made of ([`turn_from_fields`]); the others are skipped unread.
const TURN_KEYS: [&str; 8] = ["text", "message", "content", "sender", "role", "speaker", "timestamp", "time"];

/// One item of a transcript array: the turn it makes, if any.
struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<Turn>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Turn>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Option<Turn>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a transcript item")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Turn>, A::Error> {
        let mut fields: [Option<Value>; TURN_KEYS.len()] = Default::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match TURN_KEYS.iter().position(|k| *k == key) {
                Some(i) => fields[i] = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let get = |k: &str| TURN_KEYS.iter().position(|t| *t == k).and_then(|i| fields[i].as_ref());
        Ok(Some(turn_from_fields(get)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Option<Turn>, E> {
        Ok(split_transcript(s).into_iter().next())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Turn>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<Turn>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<Turn>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<Turn>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<Turn>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Turn>, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::calls::Derived;

    /// Bodies whose transcripts take every shape the parser knows, and some it does not.
    fn bodies() -> Vec<Vec<u8>> {
        let mut rng = crate::sample::Rng::new(7);
        let mut out: Vec<Vec<u8>> = (1..=200)
            .map(|id| serde_json::to_vec(&crate::sample::call(id, &mut rng, 1_704_067_200_000 + id * 60_000)))
            .chain([serde_json::to_vec(&crate::sample::test_call(9))])
            .map(|b| b.expect("sample"))
            .collect();
        let created = json!("2025-01-15T10:30:00.000000Z");
        let transcripts = [
            json!([{"text": "Hello", "sender": "bot", "timestamp": 1736937001.5, "type": "speech"},
                   {"message": "Hi there", "role": "customer", "time": "2025-01-15T10:30:05Z"},
                   {"content": 42, "speaker": "Agent", "timestamp": "1736937010"},
                   {"text": null, "message": true, "sender": {"nested": 1}, "role": "user"},
                   {"text": ["no"], "content": "fallback", "timestamp": null, "time": 1736937020},
                   {"text": "first", "text": "last wins", "sender": "ai", "sender": "human"},
                   {"text": "ms epoch", "sender": "bot", "timestamp": 1736937030123i64},
                   "AI: a string item\nwith a second line",
                   "no speaker here", "Customer: an item of two turns\nAI: the second is dropped", 7, null, [1, 2], {}, true]),
            json!("AI: Bună ziua\nCustomer: Bună!\n  continued\n\nAI: 4471 ZX-4471-QQ"),
            json!(null),
            json!({"not": "a transcript"}),
            json!(3.5),
            json!([]),
        ];
        for t in transcripts {
            for formatted in [None, Some("AI: from formatted\nCustomer: yes")] {
                let mut v = json!({"id": 77, "status": "completed", "created_at": created, "duration": 60,
                    "extracted_variables": {"summary": "s", "status": "achieved", "ref": "ZX-4471"},
                    "input_variables": {"name": "Ana", "n": [1, {"k": false}]}, "transcript": t});
                if let Some(f) = formatted {
                    v["formatted_transcript"] = json!(f);
                }
                out.push(serde_json::to_vec(&v).expect("json"));
            }
        }
        out.extend(
            [
                &br#"{"id": 5, "transcript": [{"text": "one"}], "transcript": "AI: two"}"#[..],
                br#"{"id": 5, "transcript": "AI: one", "transcript": [{"text": "two", "sender": "bot"}]}"#,
                br#"{"transcript": [{"text": "before the id"}], "id": "0012"}"#,
                b"\xEF\xBB\xBF{\"id\": 6, \"transcript\": [{\"text\": \"after a BOM\"}]}",
                br#"{"id": 8}"#,
                br#"{"id": 10, "transcript": [{"te\u0078t": "escaped key", "sender": "b\u006ft"}]}"#,
                br#"{"id": 0, "transcript": []}"#,
                br#"{"id": "x"}"#,
                br#"{"transcript": []}"#,
                br#"[{"id": 1}]"#,
                br#""a string""#,
                br#"{"id": 9, "transcript": [{"text": "unterminated"}"#,
                b"",
            ]
            .map(<[u8]>::to_vec),
        );
        out
    }

    #[test]
    fn lean_turns_match_the_document() {
        for body in bodies() {
            let shown = String::from_utf8_lossy(&body).chars().take(120).collect::<String>();
            match (parse(&body), super::super::parse_body(&body)) {
                (Some((id, lean)), Ok((doc_id, doc))) => {
                    assert_eq!(id, doc_id, "{shown}");
                    assert_eq!(Derived::of_lean(id, lean), Derived::of(doc_id, &doc), "{shown}");
                }
                (None, Err(_)) => {}
                (lean, full) => panic!("lean {} but full {:?}: {shown}", lean.is_some(), full.map(|(id, _)| id)),
            }
        }
    }
}
