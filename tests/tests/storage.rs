//! The journal's bodies compressed behind a running Postcall: a folder whose bodies were all
//! stored raw (as before compression, or with it switched off) is compressed in the background,
//! shows its progress in `postcall storage`, and every body still reads byte for byte.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use postcall_tests::{cli_json, command, data_dir, secret, Server};
use serde_json::Value;

/// Payload lines with whitespace and key order no serializer would produce, so a body that came
/// back re-encoded instead of exact would show.
fn lines(n: i64) -> Vec<String> {
    (1..=n)
        .map(|id| {
            let turns: Vec<String> = (0..12)
                .map(|t| {
                    format!(
                        r#"{{ "sender" :"{}",  "text": "turn {t} of call {id}: the engineer can come on Tuesday, order ZX-{id:04}-QQ" }}"#,
                        if t % 2 == 0 { "bot" } else { "human" }
                    )
                })
                .collect();
            format!(
                r#"{{"status": "completed" ,"id":{id}, "duration": {},  "extracted_variables": {{"status": true, "summary": "call {id} \u00e9t\u00e9"}}, "transcript": [{}]}}"#,
                30 + id % 300,
                turns.join(" ,")
            )
        })
        .collect()
}

fn storage(data: &std::path::Path) -> Value {
    cli_json(data, &["storage", "--tables"])
}

#[test]
fn raw_bodies_are_compressed_in_the_background_and_read_back_exactly() {
    let dir = data_dir();
    let data = dir.path();
    let sent = lines(1_200);
    let file = data.join("calls.jsonl");
    std::fs::write(&file, sent.join("\n")).expect("write");
    // Imported with compression off: every body raw, as an older Postcall left them.
    let out = command()
        .env("POSTCALL_JOURNAL_COMPRESSION", "off")
        .arg("--data-dir")
        .arg(data)
        .arg("import")
        .arg(&file)
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let before = storage(data);
    assert_eq!(before["bodies"]["compressed"], 0, "{before}");
    assert_eq!(before["compressing"], Value::Null, "no dictionary yet: {before}");
    let raw_bytes = before["bodies"]["raw_bytes"].as_i64().expect("raw bytes");
    assert_eq!(before["bodies"]["stored_bytes"].as_i64(), Some(raw_bytes));

    // A running Postcall trains a dictionary and compresses them behind its writers.
    let server = Server::start(data, &secret(), &[]);
    let started = Instant::now();
    let after = loop {
        let s = storage(data);
        if s["bodies"]["compressed"] == 1_200 && s["compressing"].is_null() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "not compressed in time: {s}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(server.stderr().contains("trained a dictionary"), "{}", server.stderr());
    drop(server);
    let stored = after["bodies"]["stored_bytes"].as_i64().expect("stored");
    assert_eq!(after["bodies"]["raw_bytes"].as_i64(), Some(raw_bytes), "the received length is kept");
    assert!(stored * 3 < raw_bytes, "{raw_bytes} → {stored} bytes");
    assert!(after["files"][0]["objects"].as_array().expect("objects").iter().any(|o| o["name"] == "deliveries"));

    // Every body, as shown and as a call's document, is the exact line imported.
    let list = cli_json(data, &["deliveries", "--limit", "5000"]);
    let bodies: BTreeMap<i64, String> = list
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| (d["call_id"].as_i64().expect("call"), d["body"].as_str().expect("utf-8 body").to_string()))
        .collect();
    assert_eq!(bodies.len(), sent.len());
    for (i, line) in sent.iter().enumerate() {
        assert!(bodies[&(i as i64 + 1)] == *line, "call {} byte-identical", i + 1);
    }
    let shown = postcall_tests::show(data, 77);
    assert_eq!(shown["deliveries"][0]["body"].as_str(), Some(sent[76].as_str()));
    let hits = cli_json(data, &["search", "ZX-0077-QQ"]);
    assert!(hits.as_array().is_some_and(|h| h.iter().any(|h| h["call_id"] == 77)), "{hits}");
}
