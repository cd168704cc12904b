//! The listener over a real socket: both payload versions end up complete in the CLI's `--json`
//! output, and every kind of request gets the answer the contract promises, with nothing stored
//! where nothing may be.

use postcall_tests::{
    cli_json, data_dir, fixture, fixture_json, http, post, post_json, secret, show, small_call, Server,
};
use serde_json::{json, Value};

fn deliveries(data: &std::path::Path, failed: bool) -> Vec<Value> {
    let args: &[&str] = if failed { &["deliveries", "--failed"] } else { &["deliveries"] };
    cli_json(data, args).as_array().cloned().expect("deliveries is an array")
}

#[test]
fn both_payload_versions_are_stored_with_every_field() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);

    let (status, body) = post(&server.url, fixture("newer_doc.json"), Some("application/json"));
    assert_eq!((status, body.clone()), (200, json!({"ok": true, "call_id": 12345, "duplicate": false})));
    let (status, body) = post(&server.url, fixture("older_doc.json"), Some("application/json"));
    assert_eq!((status, body), (200, json!({"ok": true, "call_id": 23456, "duplicate": false})));

    let calls = cli_json(dir.path(), &["calls"]);
    let calls = calls.as_array().expect("calls is an array");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["id"], 23456, "newest first: the older doc's call started a day later");
    for c in calls {
        for key in [
            "id",
            "status",
            "customer_phone",
            "assistant_phone",
            "duration",
            "created_at",
            "finished_at",
            "summary",
            "objective_achieved",
        ] {
            assert!(c.get(key).is_some(), "calls --json lacks {key}: {c}");
        }
    }
    let newer = calls.iter().find(|c| c["id"] == 12345).expect("call 12345 listed");
    assert_eq!(newer["status"], "completed");
    assert_eq!(newer["customer_phone"], "+1234567890");
    assert_eq!(newer["assistant_phone"], "+1987654321");
    assert_eq!(newer["duration"], 125);
    assert_eq!(newer["created_at"], "2025-01-15T10:30:00.000000Z", "the original timestamp string is kept");
    assert_eq!(newer["finished_at"], "2025-01-15T10:32:05.000000Z");
    assert_eq!(newer["summary"], "Customer interested in product demo");
    assert_eq!(newer["objective_achieved"], true);
    let older = &calls[0];
    assert_eq!(older["assistant_phone"], Value::Null, "a null phone stays null");
    assert_eq!(older["objective_achieved"], false);
    assert_eq!(older["created_at"], "2025-01-16 09:00:00");

    // The newer doc: transcript array, variables, formatted transcript, recording.
    let d = show(dir.path(), 12345);
    let payload = fixture_json("newer_doc.json");
    let turns = d["transcript"].as_array().expect("transcript is an array");
    assert_eq!(turns.len(), 2);
    assert_eq!(
        (turns[0]["sender"].as_str(), turns[0]["text"].as_str()),
        (Some("bot"), Some("Hello, this is Sarah from Intellixent."))
    );
    assert_eq!(turns[0]["timestamp"].as_f64(), Some(1756812511.3));
    assert_eq!(
        (turns[1]["sender"].as_str(), turns[1]["text"].as_str()),
        (Some("human"), Some("Hi, thanks for calling."))
    );
    assert_eq!(d["extracted_variables"], payload["extracted_variables"]);
    assert_eq!(d["input_variables"], payload["input_variables"]);
    assert_eq!(d["formatted_transcript"], payload["formatted_transcript"]);
    assert_eq!(d["recording_url"], payload["recording_url"]);
    for key in ["lead", "campaign", "transfers", "deliveries", "raw"] {
        assert!(d.get(key).is_some(), "show --json lacks {key}");
    }
    assert_eq!(d["raw"], payload, "raw is the payload as delivered");
    assert_eq!(d["deliveries"].as_array().map(Vec::len), Some(1));

    // The older doc: a string transcript split into turns (an unprefixed line continues the
    // previous turn), top-level campaign, lead, nested variable values, unknown fields.
    let d = show(dir.path(), 23456);
    let payload = fixture_json("older_doc.json");
    let turns = d["transcript"].as_array().expect("transcript is an array");
    let pairs: Vec<(&str, &str)> =
        turns.iter().map(|t| (t["sender"].as_str().unwrap_or(""), t["text"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        pairs,
        vec![
            ("bot", "Bună ziua, vă sunăm de la Brightline."),
            ("human", "Da, bună ziua.\nCan you call back on Thursday?"),
            ("bot", "Sure, we will call you back on Thursday."),
        ]
    );
    assert!(
        turns.iter().all(|t| t.get("timestamp") == Some(&Value::Null)),
        "timestamp is null when unknown: {turns:?}"
    );
    assert_eq!(d["campaign"], payload["campaign"]);
    assert_eq!(d["lead"], payload["lead"]);
    assert_eq!(
        d["extracted_variables"], payload["extracted_variables"],
        "nested objects, arrays, numbers, booleans, null kept"
    );
    assert_eq!(d["input_variables"], payload["input_variables"]);
    assert_eq!(
        d["raw"]["x_vendor_extension"],
        json!({"trace": "abc-123", "flags": [1, 2, 3]}),
        "unknown fields are kept in raw"
    );
    assert_eq!(d["raw"], payload);
}

#[test]
fn a_repeated_id_is_one_call_with_two_deliveries() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    let mut p = small_call(4242);
    assert_eq!(post_json(&server.url, &p), (200, json!({"ok": true, "call_id": 4242, "duplicate": false})));
    p["status"] = json!("ended_by_customer");
    assert_eq!(post_json(&server.url, &p), (200, json!({"ok": true, "call_id": 4242, "duplicate": true})));

    let calls = cli_json(dir.path(), &["calls"]);
    assert_eq!(calls.as_array().map(Vec::len), Some(1), "never a second call: {calls}");
    assert_eq!(calls[0]["status"], "ended_by_customer", "the latest delivery wins");
    let d = show(dir.path(), 4242);
    let history = d["deliveries"].as_array().expect("deliveries");
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|x| x["outcome"] == "stored" && x["source"] == "webhook"), "{history:?}");
}

#[test]
fn wrong_secret_unknown_path_and_wrong_method_store_nothing() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    let payload = serde_json::to_vec(&small_call(1)).expect("json");

    let wrong = format!("{}/hooks/{}x", server.base(), server.secret);
    assert_eq!(post(&wrong, payload.clone(), Some("application/json")).0, 404, "wrong secret");
    assert_eq!(post(&format!("{}/hooks/", server.base()), payload.clone(), None).0, 404, "missing secret");
    assert_eq!(post(&format!("{}/hooks", server.base()), payload.clone(), None).0, 404, "no secret segment");
    assert_eq!(post(&format!("{}/elsewhere", server.base()), payload.clone(), None).0, 404, "unknown path");

    let get = http().get(&server.url).send().expect("GET hook");
    assert_eq!(get.status().as_u16(), 405, "GET on the hook");

    let health = http().get(format!("{}/healthz", server.base())).send().expect("GET healthz");
    assert_eq!(health.status().as_u16(), 200);

    assert_eq!(deliveries(dir.path(), false), Vec::<Value>::new(), "nothing stored");
    assert_eq!(cli_json(dir.path(), &["calls"]), json!([]));
}

#[test]
fn a_body_over_the_limit_is_413_and_not_stored() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &["--body-limit", "1024"]);
    let mut big = small_call(77);
    big["extracted_variables"]["notes"] = json!("x".repeat(4000));
    let (status, _) = post_json(&server.url, &big);
    assert_eq!(status, 413);
    assert_eq!(deliveries(dir.path(), false), Vec::<Value>::new(), "nothing stored");
    // A body under the limit still goes through.
    assert_eq!(post_json(&server.url, &small_call(78)).0, 200);
}

#[test]
fn unusable_bodies_are_422_and_kept_byte_for_byte() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"hello, this is not json".to_vec()),
        ("truncated JSON", br#"{"id": 5, "status": "compl"#.to_vec()),
        ("an array", br#"[{"id": 5}]"#.to_vec()),
        ("no id", br#"{"status": "completed", "duration": 3}"#.to_vec()),
        ("a bad id", br#"{"id": "12ab"}"#.to_vec()),
        ("empty", Vec::new()),
        ("not UTF-8", vec![0xff, 0xfe, b'{', 0x00, 0x80]),
    ];
    for (what, body) in &bodies {
        let (status, answer) = post(&server.url, body.clone(), Some("application/json"));
        assert_eq!(status, 422, "{what}: {answer}");
        assert_eq!(answer["ok"], false, "{what}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{what}: the error says what is wrong: {answer}"
        );
    }
    let failed = deliveries(dir.path(), true);
    assert_eq!(failed.len(), bodies.len(), "every unusable body is kept: {failed:?}");
    // Newest first.
    for ((what, body), d) in bodies.iter().rev().zip(&failed) {
        let stored: Vec<u8> = match d["body_encoding"].as_str() {
            Some("base64") => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(d["body"].as_str().expect("body")).expect("base64")
            }
            _ => d["body"].as_str().expect("body").as_bytes().to_vec(),
        };
        assert_eq!(&stored, body, "{what}: raw body kept byte for byte");
        assert_eq!(d["outcome"], "failed", "{what}");
        assert_eq!(d["source"], "webhook", "{what}");
        assert!(d["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: the reason is kept: {d}");
        assert_eq!(d["call_id"], Value::Null, "{what}");
        for key in ["id", "received_at"] {
            assert!(d.get(key).is_some(), "{what}: delivery lacks {key}");
        }
    }
    assert_eq!(cli_json(dir.path(), &["calls"]), json!([]), "no call was made from them");
}

#[test]
fn a_string_id_and_any_content_type_are_accepted() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    let mut p = small_call(0);
    p["id"] = json!("777");
    let (status, body) = post(&server.url, serde_json::to_vec(&p).expect("json"), Some("text/plain"));
    assert_eq!((status, body), (200, json!({"ok": true, "call_id": 777, "duplicate": false})));
    let (status, _) = post(&server.url, serde_json::to_vec(&small_call(778)).expect("json"), None);
    assert_eq!(status, 200, "no content type at all");
    let (status, _) = post(
        &server.url,
        serde_json::to_vec(&small_call(779)).expect("json"),
        Some("application/x-www-form-urlencoded"),
    );
    assert_eq!(status, 200, "a wrong content type with a JSON object body");
    assert_eq!(show(dir.path(), 777)["id"], 777);
    let d = show(dir.path(), 777);
    assert_eq!(d["deliveries"][0]["content_type"], "text/plain");
}

#[test]
fn an_id_above_2_pow_53_is_refused_with_a_clear_422() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    for body in [r#"{"id": 9007199254740993}"#, r#"{"id": "9007199254740993"}"#] {
        let (status, answer) = post(&server.url, body, Some("application/json"));
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains("2^53-1")), "{answer}");
    }
    assert_eq!(post(&server.url, r#"{"id": 9007199254740991}"#, None).0, 200, "2^53-1 itself is fine");
    assert_eq!(show(dir.path(), 9_007_199_254_740_991)["id"], json!(9_007_199_254_740_991_i64));
}

/// The soft limit on open files of this (test) process.
fn open_file_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(target_os = "linux")]
#[test]
fn two_thousand_silent_sockets_neither_stop_the_server_nor_exhaust_its_descriptors() {
    if open_file_limit() < 2_200 {
        eprintln!("skipped: this test process may open only {} files; raise `ulimit -n`", open_file_limit());
        return;
    }
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    let fds = || std::fs::read_dir(format!("/proc/{}/fd", server.pid())).map(|d| d.count()).unwrap_or(usize::MAX);
    let before = fds();
    let silent: Vec<std::net::TcpStream> =
        (0..2_000).map(|_| std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect")).collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let held = fds().saturating_sub(before);
    assert!(held <= 512 + 32, "the server holds {held} more descriptors for 2,000 silent sockets");
    // A webhook sent meanwhile is answered well within the 10 s header timeout.
    let started = std::time::Instant::now();
    let (status, answer) = post_json(&server.url, &small_call(2_001));
    let took = started.elapsed();
    assert_eq!(status, 200, "{answer}");
    assert!(took < std::time::Duration::from_secs(5), "answered after {took:?}");
    assert_eq!(post_json(&server.url, &small_call(2_002)).0, 200, "and the next one");
    println!("2,000 silent sockets: the server held {held} more descriptors; a webhook was answered in {took:?}");
    drop(silent);
    assert_eq!(
        http().get(format!("{}/healthz", server.base())).send().expect("healthz").status().as_u16(),
        200,
        "still serving"
    );
}
