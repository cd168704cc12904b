//! Bounded fuzzing on the stable toolchain, run by `cargo test`: the three readers of untrusted
//! input get arbitrary bytes and structured near-payloads for a few seconds each. The
//! coverage-guided targets of `src-tauri/core/fuzz` (`make fuzz`) check the same properties for
//! longer.
//!
//! - The payload parsers: [`payload::parse_body`], [`payload::body_call_id`] (which answers the
//!   webhook) and [`payload::lean::parse`] (which indexes) accept the same bodies, with the same
//!   call id, and the lean document derives exactly what the full one does.
//! - The search query builder: no input makes SQLite or FTS5 fail, and snippets carry only the
//!   matcher's marks.
//! - The import reader: any bytes read without a panic; payloads written as one JSON array or as
//!   JSON Lines come back byte for byte.

use postcall_core::ingest::Source;
use postcall_core::payload;
use postcall_core::store::calls::{self, Derived};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A JSON value like the ones payloads carry, nested a few levels.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        prop_oneof![Just("AI: hi\nCustomer: yes"), Just("2025-01-15T10:30:00Z"), Just("+15551234567"), Just("77")]
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// The keys the parsers look at, and some they do not.
fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "id",
        "transcript",
        "formatted_transcript",
        "status",
        "customer_phone",
        "assistant_phone",
        "duration",
        "created_at",
        "finished_at",
        "updated_at",
        "extracted_variables",
        "input_variables",
        "summary",
        "campaign",
        "campaign_name",
        "lead",
        "name",
        "recording_url",
        "text",
        "message",
        "content",
        "sender",
        "role",
        "speaker",
        "timestamp",
        "time",
        "other",
    ])
}

/// A body written key by key, so keys can repeat (the last one wins, in every parser).
fn object_body() -> impl Strategy<Value = Vec<u8>> {
    let id = prop_oneof![
        (1..i64::MAX).prop_map(Value::from),
        (1..100_000_i64).prop_map(|n| Value::String(n.to_string())),
        value(),
    ];
    (id, prop::collection::vec((key(), value()), 0..10), any::<bool>(), any::<bool>()).prop_map(
        |(id, pairs, id_first, bom)| {
            let mut parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{}:{v}", json!(k))).collect();
            let id = format!("\"id\":{id}");
            if id_first {
                parts.insert(0, id);
            } else {
                parts.push(id);
            }
            let text = format!("{}{{ {} }}\n", if bom { "\u{feff}" } else { "" }, parts.join(",\n"));
            text.into_bytes()
        },
    )
}

/// A realistic payload, then cut short or with a few bytes changed.
fn mutated_sample() -> impl Strategy<Value = Vec<u8>> {
    (1..500_i64, any::<u64>(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4), any::<bool>())
        .prop_map(|(id, seed, edits, cut)| {
            let mut rng = postcall_core::sample::Rng::new(seed);
            let mut body = serde_json::to_vec(&postcall_core::sample::call(id, &mut rng, 1_704_067_200_000))
                .expect("a sample serializes");
            for (at, byte) in &edits {
                let i = at.index(body.len());
                body[i] = *byte;
            }
            if cut {
                let keep = edits.first().map(|(at, _)| at.index(body.len())).unwrap_or(body.len() / 2);
                body.truncate(keep);
            }
            body
        })
}

/// Every parser's view of `body` agrees.
fn parsers_agree(body: &[u8]) -> Result<(), TestCaseError> {
    let full = payload::parse_body(body);
    let quick = payload::body_call_id(body);
    prop_assert_eq!(full.as_ref().map(|(id, _)| *id).map_err(Clone::clone), quick, "parse_body vs body_call_id");
    match (payload::lean::parse(body), full) {
        (Some((id, lean)), Ok((full_id, doc))) => {
            prop_assert_eq!(id, full_id);
            prop_assert_eq!(Derived::of_lean(id, lean), Derived::of(full_id, &doc));
        }
        (None, Err(_)) => {}
        (lean, full) => {
            return Err(TestCaseError::fail(format!(
                "lean {:?} but full {:?}",
                lean.map(|(id, _)| id),
                full.map(|(id, _)| id)
            )))
        }
    }
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(2000))]
    #[test]
    fn payload_parsers_agree_on_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..256)) {
        parsers_agree(&body)?;
    }
}

proptest! {
    #![proptest_config(config(1500))]
    #[test]
    fn payload_parsers_agree_on_near_payloads(body in prop_oneof![object_body(), mutated_sample()]) {
        parsers_agree(&body)?;
    }
}

fn search_db() -> rusqlite::Connection {
    let conn = postcall_core::store::open_in_memory().expect("db");
    let mut rng = postcall_core::sample::Rng::new(3);
    for id in 1..=40 {
        let doc = postcall_core::sample::call(id, &mut rng, 1_704_067_200_000 + id * 60_000);
        calls::upsert(&conn, id, Source::Import, doc.as_object().expect("object"), 1).expect("upsert");
    }
    let marked = json!({"id": 41, "transcript": "AI: \u{2}fake\u{3} refund 4471\nCustomer: \u{3}refund\u{2}"});
    calls::upsert(&conn, 41, Source::Import, marked.as_object().expect("object"), 1).expect("upsert");
    conn
}

/// Search box input: FTS5 syntax, quotes, digits and words from the sample calls, or anything.
fn query() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "\"", "*", "(", ")", "-", "+", "^", ":", "AND", "OR", "NOT", "NEAR", "NEAR(", "{", "}", "'", ";", "refund",
        "ref*", "4471", "555", "+1555", "demo", "Bună", "é", "\u{2}", "\u{3}", "\0", "col:x", " ", " ", " ",
    ]);
    prop_oneof![prop::collection::vec(piece, 0..12).prop_map(|p| p.concat()), any::<String>(), "[ -~]{0,40}",]
}

#[test]
fn search_input_never_makes_sql_fail() {
    // One database for every case: building it is most of the cost.
    let conn = search_db();
    let mut runner = proptest::test_runner::TestRunner::new(config(1000));
    let outcome = runner.run(&query(), |q| {
        let hits = postcall_core::search::search(&conn, &q, 20);
        prop_assert!(hits.is_ok(), "search {:?}: {:?}", q, hits.err());
        for h in hits.unwrap_or_default() {
            for p in &h.snippet_parts {
                prop_assert!(!p.text.contains(['\u{2}', '\u{3}']), "a mark in snippet text: {:?}", h.snippet_parts);
            }
        }
        let ids = postcall_core::search::matching_call_ids(&conn, &q, 100);
        prop_assert!(ids.is_ok(), "matching_call_ids {:?}: {:?}", q, ids.err());
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

fn read(bytes: &[u8], jsonl: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    postcall_core::import::payloads(bytes, jsonl, |b| out.push(b)).expect("reading from memory cannot fail");
    out
}

proptest! {
    #![proptest_config(config(2000))]
    #[test]
    fn the_import_reader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let lines = read(&bytes, true);
        let non_blank = bytes.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
        prop_assert_eq!(lines.len(), non_blank, "one payload per non-blank line");
        let whole = read(&bytes, false);
        if !matches!(serde_json::from_slice::<Value>(&bytes), Ok(Value::Array(_))) {
            prop_assert_eq!(whole, vec![bytes.clone()], "anything but an array is one payload, as it is");
        }
    }
}

proptest! {
    #![proptest_config(config(400))]
    #[test]
    fn imported_arrays_and_json_lines_read_back_as_written(
        items in prop::collection::vec(prop::collection::vec((key(), value()), 0..5), 0..8),
    ) {
        let items: Vec<Value> = items
            .into_iter()
            .map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
            .collect();
        // Each item comes back byte for byte as the file wrote it.
        let texts: Vec<String> = items.iter().map(Value::to_string).collect();
        let array = format!("[\n  {}\n]\n", texts.join(",\n  "));
        let want: Vec<Vec<u8>> = texts.iter().map(|t| t.clone().into_bytes()).collect();
        prop_assert_eq!(read(array.as_bytes(), false), want);
        let jsonl: String = texts.iter().map(|t| format!("{t}\r\n\n")).collect();
        let want: Vec<Vec<u8>> = texts.iter().map(|t| format!("{t}\r").into_bytes()).collect();
        prop_assert_eq!(read(jsonl.as_bytes(), true), want);
    }
}
