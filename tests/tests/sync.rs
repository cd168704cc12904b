//! `postcall sync` against a local stand-in of Intellixent's calls API (axum, in this test): the
//! documented shapes (both `evaluation` forms, string and array transcripts, string costs, naive
//! timestamps), several pages with the calls in shuffled order, a 429 on one page, and a 401.
//! The merge rules are checked with the same call delivered by webhook before and after the API.
//!
//! The real Intellixent API cannot be reached from here; everything up to the HTTP request is the
//! same code path.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use postcall_tests::{cli, cli_json, command, data_dir, post_json, secret, show, small_call, Run, Server};
use serde_json::{json, Value};

const KEY: &str = "test-api-key-5f1d2c";
/// The stand-in's page size, whatever `per_page` asks (a server may cap it lower).
const PAGE_SIZE: usize = 3;

#[derive(Default)]
struct ApiState {
    calls: Vec<Value>,
    /// Pages that answer 429 once before succeeding.
    rate_limit_once: HashSet<usize>,
    limited: HashSet<usize>,
    /// Pages that hang (for cancelling a run mid-walk).
    hang: HashSet<usize>,
    /// Every request's query, in order, and its status.
    log: Vec<(BTreeMap<String, String>, u16)>,
}

type Shared = Arc<Mutex<ApiState>>;

async fn list_calls(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let hang = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        let hang = s.hang.contains(&page);
        if hang {
            s.log.push((q.clone().into_iter().collect(), 0));
        }
        hang
    };
    if hang {
        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    answer(&mut state.lock().unwrap_or_else(|e| e.into_inner()), &headers, &q, page)
}

fn answer(s: &mut ApiState, headers: &HeaderMap, q: &HashMap<String, String>, page: usize) -> Response {
    let query: BTreeMap<String, String> = q.clone().into_iter().collect();
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    if auth != format!("Bearer {KEY}") {
        s.log.push((query, 401));
        return (StatusCode::UNAUTHORIZED, Json(json!({"message": "Unauthenticated."}))).into_response();
    }
    if s.rate_limit_once.contains(&page) && s.limited.insert(page) {
        s.log.push((query, 429));
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], Json(json!({"message": "Too Many Attempts."})))
            .into_response();
    }
    s.log.push((query, 200));
    let last_page = s.calls.len().div_ceil(PAGE_SIZE).max(1);
    let data: Vec<Value> = s.calls.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE).cloned().collect();
    Json(json!({"current_page": page, "last_page": last_page, "per_page": PAGE_SIZE,
        "total": s.calls.len(), "data": data}))
    .into_response()
}

/// The stand-in, served on 127.0.0.1 by its own runtime for as long as it lives.
struct FakeApi {
    state: Shared,
    base: String,
    _rt: tokio::runtime::Runtime,
}

impl FakeApi {
    fn start(calls: Vec<Value>, rate_limit_once: &[usize]) -> FakeApi {
        let state: Shared = Arc::new(Mutex::new(ApiState {
            calls,
            rate_limit_once: rate_limit_once.iter().copied().collect(),
            ..ApiState::default()
        }));
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let app = Router::new().route("/api/user/calls", get(list_calls)).with_state(state.clone());
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind the stand-in");
        let port = listener.local_addr().expect("addr").port();
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeApi { state, base: format!("http://127.0.0.1:{port}/api"), _rt: rt }
    }

    fn log(&self) -> Vec<(BTreeMap<String, String>, u16)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).log.clone()
    }
}

/// `postcall --data-dir DATA sync ARGS…` with the API key in the environment (if any).
fn sync(data: &Path, key: Option<&str>, args: &[&str]) -> Run {
    let mut c = command();
    c.arg("--data-dir").arg(data).arg("sync").args(args);
    match key {
        Some(k) => c.env("POSTCALL_INTELLIXENT_API_KEY", k),
        None => c.env_remove("POSTCALL_INTELLIXENT_API_KEY"),
    };
    let out = c.output().expect("run postcall sync");
    Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An API call object as Intellixent's calls API documents it.
fn api_call(id: i64, created_at: &str) -> Value {
    json!({
        "id": id, "assistant_name": "Sarah", "campaign_name": "Spring promo", "type": "outbound",
        "duration": 42, "assistant_phone_number": "+15550000000",
        "client_phone_number": format!("+1555{:07}", id), "status": "ended",
        "transcript": format!("AI: Hello, this is call {id}.\nCustomer: Who is this?"),
        "variables": {"first_name": "Ann"},
        "evaluation": {"status": false, "summary": format!("api summary {id}")},
        "webhook_response": "{\"ok\":true}", "carrier_cost": "0.01500000", "total_cost": "0.08000000",
        "answered_by": "human", "recording_url": format!("https://example.test/rec/{id}.mp3"),
        "created_at": created_at, "updated_at": created_at, "api_only_field": {"x": 1}
    })
}

/// The calls the stand-in serves: 8 calls over 3 pages, deliberately not in id or time order.
fn api_calls() -> Vec<Value> {
    let mut array_form = api_call(102, "2025-08-04 09:00:00");
    array_form["evaluation"] = json!([
        {"name": "status", "type": "boolean", "value": true, "description": "objective met"},
        {"name": "summary", "type": "string", "value": "booked a demo", "description": "short summary"},
        {"name": "budget", "type": "number", "value": 1200, "description": ""}
    ]);
    array_form["transcript"] = json!([
        {"text": "Hi from the array.", "sender": "bot", "timestamp": 1754298000.5},
        {"text": "Hello array.", "sender": "human", "timestamp": 1754298003.0}
    ]);
    array_form["total_cost"] = json!(0.12);
    let mut hooked_before = api_call(200, "2025-01-15 10:30:00");
    hooked_before["status"] = json!("completed-by-api");
    let mut hooked_after = api_call(300, "2025-01-15 10:30:00");
    hooked_after["status"] = json!("ended");
    vec![
        api_call(105, "2025-08-02 12:00:00"),
        hooked_before,
        api_call(101, "2025-08-05 10:00:00"),
        api_call(107, "2025-08-01 08:00:00"),
        array_form,
        api_call(103, "2025-08-03 16:45:00"),
        hooked_after,
        api_call(104, "2025-07-30 11:11:00"),
    ]
}

/// Delivers `payload` by webhook through a short-lived `postcall serve`, stopped cleanly after.
fn webhook(data: &Path, payload: &Value) {
    let mut server = Server::start(data, &secret(), &[]);
    let (status, body) = post_json(&server.url, payload);
    assert_eq!(status, 200, "the webhook is accepted: {body}");
    server.sigterm();
    assert!(server.wait_exit(std::time::Duration::from_secs(30)).success(), "serve stops cleanly");
}

/// `show --json` without what legitimately differs with the route a call took (the delivery
/// history, the API's extras, and the recording the API's URL adds).
fn comparable(mut d: Value) -> Value {
    if let Value::Object(m) = &mut d {
        for k in ["sources", "deliveries", "raw", "other_fields", "recording"] {
            m.remove(k);
        }
    }
    d
}

#[test]
fn sync_backfills_every_page_and_never_overrides_a_webhook() {
    let dir = data_dir();
    let data = dir.path();
    let api = FakeApi::start(api_calls(), &[2]);

    // Call 200 arrives by webhook before any sync.
    webhook(data, &small_call(200));

    let run = sync(data, Some(KEY), &["--api-base", &api.base, "--since", "2025-01-01", "--json"]);
    let report = run.json();
    assert_eq!(report["state"], "completed");
    assert_eq!(report["pages"], 3, "every page is walked: {report}");
    assert_eq!(report["calls"], 8);
    assert_eq!(report["added"], 7, "seven calls were new");
    assert_eq!(report["updated"], 1, "call 200 was known from its webhook");
    assert_eq!(report["date_from"], "2025-01-01", "--since picks the first day");
    assert!(run.stderr.contains("page"), "progress goes to stderr: {}", run.stderr);

    let log = api.log();
    let statuses: Vec<(String, u16)> =
        log.iter().map(|(q, s)| (q.get("page").cloned().unwrap_or_default(), *s)).collect();
    assert_eq!(
        statuses,
        vec![("1".into(), 200), ("2".into(), 429), ("2".into(), 200), ("3".into(), 200)],
        "a 429 is waited out and the walk goes on"
    );
    for (q, _) in &log {
        assert_eq!(q.get("per_page").map(String::as_str), Some("100"));
        assert_eq!(q.get("date_from").map(String::as_str), Some("2025-01-01"));
        assert!(q.get("date_to").is_some_and(|d| d.len() == 10), "date_to is a whole day: {q:?}");
    }

    // Mapping: object evaluation, string transcript, string costs, naive timestamps.
    let d = show(data, 101);
    assert_eq!(d["customer_phone"], "+15550000101");
    assert_eq!(d["assistant_phone"], "+15550000000");
    assert_eq!(d["status"], "ended");
    assert_eq!(d["summary"], "api summary 101");
    assert_eq!(d["objective_achieved"], false);
    assert_eq!(d["input_variables"], json!({"first_name": "Ann"}));
    assert_eq!(d["created_at"], "2025-08-05 10:00:00", "the original string is kept");
    assert_eq!(d["created_at_ms"], 1_754_388_000_000i64, "a naive API time is UTC");
    assert_eq!(d["finished_at"], "2025-08-05 10:00:00", "updated_at stands in for finished_at");
    let turns = d["transcript"].as_array().expect("turns");
    assert_eq!(turns.len(), 2, "the string transcript is split into turns: {turns:?}");
    assert_eq!(d["sources"], json!(["api"]));
    let extras = &d["other_fields"];
    assert_eq!(extras["total_cost"], json!(0.08), "string costs become numbers");
    assert_eq!(extras["carrier_cost"], json!(0.015));
    for (k, v) in [
        ("answered_by", json!("human")),
        ("type", json!("outbound")),
        ("assistant_name", json!("Sarah")),
        ("campaign_name", json!("Spring promo")),
        ("webhook_response", json!("{\"ok\":true}")),
        ("api_only_field", json!({"x": 1})),
    ] {
        assert_eq!(extras[k], v, "the API's {k} is kept");
    }

    // Array evaluation and array transcript.
    let d = show(data, 102);
    assert_eq!(d["extracted_variables"], json!({"status": true, "summary": "booked a demo", "budget": 1200}));
    assert_eq!(d["summary"], "booked a demo");
    assert_eq!(d["objective_achieved"], true);
    let turns = d["transcript"].as_array().expect("turns");
    assert_eq!(turns[0]["text"], "Hi from the array.");
    assert_eq!(turns[1]["sender"], "human");

    // Webhook first, API second: every webhook field stands; the API fills costs and names.
    let hook = small_call(200);
    let d = show(data, 200);
    assert_eq!(d["status"], "completed", "the webhook's status is kept");
    assert_eq!(d["summary"], "test call 200");
    assert_eq!(d["extracted_variables"], hook["extracted_variables"]);
    assert_eq!(d["input_variables"], hook["input_variables"]);
    assert_eq!(d["finished_at"], hook["finished_at"]);
    assert_eq!(d["created_at"], hook["created_at"]);
    assert_eq!(d["transcript"][0]["text"], "Hello, this is call 200.", "the webhook's transcript is kept");
    assert_eq!(d["transcript"].as_array().map(Vec::len), Some(2));
    assert_eq!(d["sources"], json!(["webhook", "api"]));
    assert_eq!(d["other_fields"]["total_cost"], json!(0.08), "the API fills what the webhook lacks");
    assert_eq!(d["other_fields"]["answered_by"], "human");

    // Recovered: only the calls seen through the API alone.
    let calls = cli_json(data, &["calls"]);
    let calls = calls.as_array().expect("calls");
    assert_eq!(calls.len(), 8);
    for c in calls {
        assert_eq!(c["recovered"], c["id"] != 200, "recovered flag of {}", c["id"]);
    }

    // API first, webhook second: the same as the webhook alone, plus the API's extras.
    webhook(data, &small_call(300));
    let alone = data_dir();
    webhook(alone.path(), &small_call(300));
    let both = show(data, 300);
    let alone = comparable(show(alone.path(), 300));
    for (k, v) in alone.as_object().expect("object") {
        // What the webhook alone left empty (recording_url, say) the API may fill.
        if !v.is_null() {
            assert_eq!(&both[k], v, "{k} is as if the webhook came alone");
        }
    }
    assert_eq!(both["recording_url"], "https://example.test/rec/300.mp3", "the API fills the missing recording");
    assert_eq!(both["sources"], json!(["webhook", "api"]));
    assert_eq!(both["other_fields"]["assistant_name"], "Sarah");

    // A later sync starts a day before the newest call held, and stores nothing new.
    let again = sync(data, Some(KEY), &["--api-base", &api.base, "--json"]).json();
    assert_eq!(again["date_from"], "2025-08-04", "one day before the newest call (2025-08-05)");
    assert_eq!(
        (again["added"].clone(), again["updated"].clone(), again["unchanged"].clone()),
        (json!(0), json!(0), json!(8))
    );
    assert_eq!(show(data, 300)["status"], "completed", "still the webhook's status after another sync");
}

#[test]
fn a_rejected_key_fails_with_a_clear_message() {
    let dir = data_dir();
    let api = FakeApi::start(api_calls(), &[]);
    // The stored key (the file the app writes) is used when the environment has none.
    std::fs::write(dir.path().join("intellixent-api-key"), "wrong-key\n").expect("write the key");
    let run = sync(dir.path(), None, &["--api-base", &api.base, "--since", "2025-01-01"]);
    run.fails();
    assert!(run.stderr.contains("API key rejected"), "stderr: {}", run.stderr);
    assert!(!run.stderr.contains("wrong-key"), "the key is never printed");
    assert_eq!(api.log().iter().map(|(_, s)| *s).collect::<Vec<_>>(), vec![401], "a 401 is not retried");
    assert!(cli_json(dir.path(), &["calls"]).as_array().is_some_and(Vec::is_empty));
}

#[test]
fn no_key_or_no_server_fails_without_a_panic() {
    let dir = data_dir();
    let run = sync(dir.path(), None, &["--api-base", "http://127.0.0.1:9/api"]);
    run.fails();
    assert!(run.stderr.contains("API key"), "stderr: {}", run.stderr);

    // Nothing listens on port 9: retried a few times, then a clear failure.
    let run = sync(dir.path(), Some(KEY), &["--api-base", "http://127.0.0.1:9/api", "--since", "2025-01-01"]);
    run.fails();
    assert!(run.stderr.contains("cannot reach the Intellixent API"), "stderr: {}", run.stderr);

    let run = cli(dir.path(), &["sync", "--since", "yesterday"]);
    run.fails();
    assert!(run.stderr.contains("YYYY-MM-DD"), "stderr: {}", run.stderr);
}

#[test]
fn a_cancelled_run_keeps_the_calls_it_fetched() {
    let dir = data_dir();
    let api = FakeApi::start(api_calls(), &[]);
    api.state.lock().unwrap_or_else(|e| e.into_inner()).hang.insert(2);
    let mut c = command();
    c.arg("--data-dir").arg(dir.path()).args(["sync", "--api-base", &api.base, "--since", "2025-01-01"]);
    c.env("POSTCALL_INTELLIXENT_API_KEY", KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().expect("start postcall sync");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !api.log().iter().any(|(q, _)| q.get("page").map(String::as_str) == Some("2")) {
        assert!(std::time::Instant::now() < deadline, "page 2 was never requested");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SIGTERM to this child only: the run stops and says so.
    let killed = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    let run = Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    run.fails();
    assert!(run.stderr.contains("cancelled"), "stderr: {}", run.stderr);
    let calls = cli_json(dir.path(), &["calls"]);
    assert_eq!(calls.as_array().map(Vec::len), Some(PAGE_SIZE), "the first page's calls are kept");
}

#[test]
fn serve_syncs_from_the_calls_api_at_start_like_the_window() {
    let dir = data_dir();
    let data = dir.path();
    let api = FakeApi::start(api_calls(), &[]);
    std::fs::write(
        data.join("sync-settings.json"),
        serde_json::to_vec(&json!({"api_base": api.base, "interval_minutes": 60})).expect("settings"),
    )
    .expect("write the sync settings");

    let _server = Server::start_env(data, &["--secret".into(), secret()], &[("POSTCALL_INTELLIXENT_API_KEY", KEY)]);
    // No webhook and no `postcall sync`: the receiver fetches what the API has on its own.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let listed = cli_json(data, &["calls", "--limit", "100"]);
        let n = listed.as_array().map(Vec::len).unwrap_or(0);
        if n == api_calls().len() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "serve fetched {n} of {} calls within 30 s", api_calls().len());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(api.log().iter().all(|(_, s)| *s == 200), "{:?}", api.log());
}
