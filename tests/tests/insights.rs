//! Insights through the real binary: `postcall stats`, the `evidence` of `postcall show --json`,
//! and `postcall drift`, on calls imported from files and delivered to a running listener.

use std::collections::BTreeSet;
use std::path::Path;

use postcall_tests::{cli, cli_json, data_dir, fixture, fixture_json, post, secret, show, Server};
use serde_json::{json, Value};

fn call(
    id: i64,
    day: &str,
    status: &str,
    campaign: Option<&str>,
    achieved: bool,
    duration: i64,
    quality: &str,
) -> Value {
    let mut v = json!({"id": id, "status": status, "duration": duration,
        "created_at": format!("{day}T09:30:00Z"),
        "extracted_variables": {"status": achieved, "summary": "A call", "lead_quality": quality,
                                "order_reference": format!("ZX-{id}-QQ")},
        "transcript": [{"sender": "bot", "text": "Hello", "timestamp": 1.0}]});
    if let Some(c) = campaign {
        v["campaign"] = json!({"id": 1, "name": c});
    }
    v
}

fn import(data: &Path, calls: &[Value]) {
    let files = data_dir();
    let path = files.path().join("calls.json");
    std::fs::write(&path, serde_json::to_vec(&calls).expect("json")).expect("write");
    let r = cli_json(data, &["import", path.to_str().expect("utf-8 path")]);
    assert_eq!(r["stored"], calls.len(), "{r}");
}

fn seeded() -> tempfile::TempDir {
    let data = data_dir();
    import(
        data.path(),
        &[
            call(1, "2025-03-01", "completed", Some("Spring"), true, 30, "high"),
            call(2, "2025-03-01", "completed", Some("Spring"), true, 60, "high"),
            call(3, "2025-03-01", "busy", None, false, 5, "low"),
            call(4, "2025-03-02", "completed", Some("Autumn"), false, 120, "medium"),
            call(5, "2025-03-03", "completed", Some("Spring"), true, 240, "high"),
        ],
    );
    data
}

#[test]
fn stats_has_the_documented_shape_and_figures() {
    let data = seeded();
    let s = cli_json(data.path(), &["stats"]);
    assert_eq!(s["calls"], 5);
    assert_eq!(
        s["by_day"][0],
        json!({"day": "2025-03-01", "calls": 3, "achieved": 2, "by_status": {"busy": 1, "completed": 2}})
    );
    assert_eq!(s["by_day"].as_array().map(Vec::len), Some(3));
    // 3 of 5 achieved: Wilson 95% interval 0.231–0.882.
    let rate = &s["objective_rate"];
    assert_eq!(rate["rate"], 0.6);
    assert!((rate["low"].as_f64().expect("low") - 0.2307).abs() < 1e-3, "{rate}");
    assert!((rate["high"].as_f64().expect("high") - 0.8824).abs() < 1e-3, "{rate}");
    assert_eq!(s["duration"]["median"], 60.0, "{}", s["duration"]);
    assert!(s["duration"]["p90"].as_f64().expect("p90") >= 120.0, "{}", s["duration"]);
    assert_eq!(s["by_campaign"][0]["campaign"], "Spring");
    assert_eq!(s["by_campaign"][0]["calls"], 3);
    let vars = s["variables"].as_array().expect("variables");
    let quality = vars.iter().find(|v| v["name"] == "lead_quality").expect("lead_quality");
    assert_eq!(quality["fill_rate"], 1.0);
    assert_eq!(quality["top"][0], json!({"value": "high", "count": 3}));
    for key in ["name", "fill_rate", "top"] {
        assert!(quality.get(key).is_some(), "variables[].{key}");
    }

    let spring =
        cli_json(data.path(), &["stats", "--campaign", "Spring", "--from", "2025-03-02", "--to", "2025-03-03"]);
    assert_eq!(spring["calls"], 1);
    assert_eq!(spring["by_day"][0]["day"], "2025-03-03");
    assert_eq!(spring["objective_rate"]["rate"], 1.0);

    let text = cli(data.path(), &["stats"]);
    text.ok();
    for needle in ["Calls: 5", "Objective achieved: 60.0%", "2025-03-01", "Spring", "lead_quality", "high 3"] {
        assert!(text.stdout.contains(needle), "{needle:?} in:\n{}", text.stdout);
    }
    let bad = cli(data.path(), &["stats", "--from", "yesterday"]);
    bad.fails();
    assert!(bad.stderr.contains("YYYY-MM-DD"), "{}", bad.stderr);
}

#[test]
fn stats_follow_calls_delivered_to_a_running_listener() {
    let data = seeded();
    let server = Server::start(data.path(), &secret(), &[]);
    assert_eq!(cli_json(data.path(), &["stats"])["calls"], 5);
    // Call 3 completes with its objective achieved; a new call comes in.
    let (status, _) = post(
        &server.url,
        serde_json::to_vec(
            &json!({"id": 3, "status": "completed", "extracted_variables": {"status": true, "lead_quality": "high"}}),
        )
        .expect("json"),
        Some("application/json"),
    );
    assert_eq!(status, 200);
    let (status, _) = post(
        &server.url,
        serde_json::to_vec(&call(6, "2025-03-04", "completed", None, false, 10, "low")).expect("json"),
        Some("application/json"),
    );
    assert_eq!(status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let s = cli_json(data.path(), &["stats"]);
        let quality = s["variables"].as_array().and_then(|v| v.iter().find(|v| v["name"] == "lead_quality").cloned());
        if s["calls"] == 6
            && quality.as_ref().map(|q| q["top"][0].clone()) == Some(json!({"value": "high", "count": 4}))
        {
            assert_eq!(s["by_day"][0]["by_status"], json!({"completed": 3}), "the busy call moved");
            assert_eq!(s["objective_rate"]["achieved"], 4);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "stats never caught up: {s}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn stats_follow_the_search_and_tags_as_the_log_does() {
    let data = seeded();
    let d = data.path();
    // Three of five more calls mention a refund, in their transcript or their summary.
    let mut more = Vec::new();
    for (id, day, status, quality, text) in [
        (11, "2025-03-01", "completed", "high", "I would like a refund please"),
        (12, "2025-03-02", "busy", "low", "Hello"),
        (13, "2025-03-02", "completed", "low", "Where is my refund?"),
        (14, "2025-03-04", "completed", "high", "Refund the order"),
        (15, "2025-03-04", "completed", "medium", "Goodbye"),
    ] {
        let mut v = call(id, day, status, Some("Winter"), id != 13, 45, quality);
        v["transcript"] = json!([{"sender": "human", "text": text, "timestamp": 1.0}]);
        more.push(v);
    }
    import(d, &more);
    let all = cli_json(d, &["stats"]);
    assert_eq!(all["calls"], 10);
    let refund = cli_json(d, &["stats", "--search", "refund"]);
    // By hand: calls 11, 13 and 14.
    assert_eq!(refund["calls"], 3, "{refund}");
    assert_ne!(refund["calls"], all["calls"]);
    let days: Vec<(String, i64)> = refund["by_day"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| (d["day"].as_str().expect("day").to_string(), d["calls"].as_i64().expect("calls")))
        .collect();
    assert_eq!(days, [("2025-03-01".into(), 1), ("2025-03-02".into(), 1), ("2025-03-04".into(), 1)]);
    assert_eq!(
        (refund["objective_rate"]["achieved"].as_i64(), refund["objective_rate"]["judged"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(refund["by_campaign"], json!([{"campaign": "Winter", "calls": 3, "achieved": 2, "rate": 2.0 / 3.0}]));
    let quality =
        refund["variables"].as_array().expect("variables").iter().find(|v| v["name"] == "lead_quality").cloned();
    assert_eq!(
        quality.expect("lead_quality")["top"],
        json!([{"value": "high", "count": 2}, {"value": "low", "count": 1}])
    );
    // The other filters combine with it; the date range is still a range of UTC days.
    let later = cli_json(d, &["stats", "--search", "refund", "--from", "2025-03-02"]);
    assert_eq!(later["calls"], 2);
    let nothing = cli_json(d, &["stats", "--search", "zebra"]);
    assert_eq!(nothing["calls"], 0);
    assert_eq!(nothing["variables"], json!([]));

    // Tags, as the log's tag filter: every tag given.
    cli(d, &["review", "whoami", "--set", "Ana Pop <ana@example.com>"]).ok();
    cli(d, &["tag", "define", "callback"]).ok();
    cli(d, &["tag", "define", "vip"]).ok();
    cli(d, &["tag", "add", "1", "callback", "vip"]).ok();
    cli(d, &["tag", "add", "13", "callback"]).ok();
    cli(d, &["tag", "add", "14", "callback"]).ok();
    assert_eq!(cli_json(d, &["stats", "--tag", "callback"])["calls"], 3);
    assert_eq!(cli_json(d, &["stats", "--tag", "callback", "--tag", "vip"])["calls"], 1);
    let both = cli_json(d, &["stats", "--tag", "callback", "--search", "refund"]);
    assert_eq!(both["calls"], 2, "calls 13 and 14: {both}");
    let text = cli(d, &["stats", "--search", "refund"]);
    text.ok();
    assert!(text.stdout.contains("Calls: 3"), "{}", text.stdout);
}

#[test]
fn show_json_has_evidence_for_both_payload_versions() {
    let data = data_dir();
    let files = data_dir();
    for name in ["older_doc.json", "newer_doc.json"] {
        std::fs::write(files.path().join(name), fixture(name)).expect("write");
    }
    cli_json(data.path(), &["import", files.path().to_str().expect("utf-8 path")]);

    let older = show(data.path(), 23456);
    let callback = &older["evidence"]["callback_day"];
    assert_eq!(
        callback.as_array().map(|a| a.iter().map(|e| e["turn"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(1), json!(2)])
    );
    assert!(callback[0]["quote"].as_str().expect("quote").contains("Thursday"), "{callback}");
    assert_eq!(callback[0]["score"], 1.0);
    assert_eq!(older["evidence"]["score"], json!([]), "7 is never said: an empty list");
    assert!(
        older["evidence"].get("summary").is_none() && older["evidence"].get("status").is_none(),
        "{}",
        older["evidence"]
    );

    let newer = show(data.path(), 12345);
    assert_eq!(newer["evidence"]["lead_quality"], json!([]), "{}", newer["evidence"]);
    assert_eq!(newer["evidence"]["next_action"], json!([]));
}

type Event = (String, String, Option<String>, Option<String>);

fn drift(data: &Path) -> BTreeSet<Event> {
    cli_json(data, &["drift"])
        .as_array()
        .expect("array")
        .iter()
        .map(|d| {
            for key in ["path", "change", "from", "to", "first_seen", "example_call_id"] {
                assert!(d.get(key).is_some(), "{key} in {d}");
            }
            let s = |k: &str| d[k].as_str().map(str::to_string);
            (s("change").expect("change"), s("path").expect("path"), s("from"), s("to"))
        })
        .collect()
}

fn event(change: &str, path: &str, from: Option<&str>, to: Option<&str>) -> Event {
    (change.into(), path.into(), from.map(Into::into), to.map(Into::into))
}

fn import_fixture(data: &Path, name: &str) {
    let files = data_dir();
    let path = files.path().join(name);
    std::fs::write(&path, fixture(name)).expect("write");
    cli_json(data, &["import", path.to_str().expect("utf-8 path")]);
}

#[test]
fn drift_reports_exactly_the_changes_between_the_two_payload_versions() {
    let data = data_dir();
    import_fixture(data.path(), "older_doc.json");
    assert!(drift(data.path()).is_empty(), "the first payload is the baseline");
    let none = cli(data.path(), &["drift"]);
    assert!(none.ok().stdout.contains("No change"), "{}", none.stdout);

    import_fixture(data.path(), "newer_doc.json");
    let expected = BTreeSet::from([
        event("added", "extracted_variables.lead_quality", None, Some("string")),
        event("added", "extracted_variables.next_action", None, Some("string")),
        event("added", "input_variables.product_interest", None, Some("string")),
        event("added", "formatted_transcript", None, Some("string")),
        event("type", "transcript", Some("string"), Some("array")),
        event("missing", "extracted_variables.callback_day", Some("string"), None),
        event("missing", "extracted_variables.score", Some("integer"), None),
        event("missing", "extracted_variables.consent", Some("boolean"), None),
        event("missing", "extracted_variables.address", Some("object"), None),
        event("missing", "extracted_variables.notes", Some("null"), None),
        event("missing", "input_variables.attempt", Some("integer"), None),
        event("missing", "lead", Some("object"), None),
        event("missing", "campaign", Some("object"), None),
        event("missing", "x_vendor_extension", Some("object"), None),
    ]);
    assert_eq!(drift(data.path()), expected);
    let list = cli_json(data.path(), &["drift"]);
    assert!(list.as_array().expect("array").iter().all(|d| d["example_call_id"] == 12345), "{list}");
    let text = cli(data.path(), &["drift"]);
    assert!(text.ok().stdout.contains("type string → array"), "{}", text.stdout);

    // The same payload again is no news.
    let mut again = fixture_json("newer_doc.json");
    again["id"] = json!(777);
    let files = data_dir();
    let path = files.path().join("again.json");
    std::fs::write(&path, serde_json::to_vec(&again).expect("json")).expect("write");
    cli_json(data.path(), &["import", path.to_str().expect("utf-8 path")]);
    assert_eq!(drift(data.path()).len(), expected.len());
}

#[test]
fn drift_the_other_way_round() {
    let data = data_dir();
    import_fixture(data.path(), "newer_doc.json");
    import_fixture(data.path(), "older_doc.json");
    let got = drift(data.path());
    assert!(got.contains(&event("type", "transcript", Some("array"), Some("string"))), "{got:?}");
    assert!(got.contains(&event("missing", "formatted_transcript", Some("string"), None)), "{got:?}");
    assert!(got.contains(&event("added", "lead", None, Some("object"))), "{got:?}");
    assert_eq!(got.len(), 14, "{got:?}");
}
