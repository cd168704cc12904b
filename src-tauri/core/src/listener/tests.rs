use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;
use crate::store::{calls, deliveries, Store};

const SECRET: &str = "test-secret-0123456789abcdef";

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    app: Router,
}

fn fixture(body_limit: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("p.sqlite")).expect("store"));
    let ingest = Ingestor::start(store.clone()).expect("ingest");
    let mut config = ListenerConfig::new(SECRET.into());
    config.body_limit = body_limit;
    Fixture { _dir: dir, store, app: router(ingest, &config) }
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = app.clone().oneshot(req.body(body.into()).expect("request")).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn hook() -> String {
    format!("/hooks/{SECRET}")
}

#[tokio::test]
async fn stores_a_call_and_reports_duplicates() {
    let f = fixture(DEFAULT_BODY_LIMIT);
    let body = r#"{"id": 42, "status": "completed"}"#;
    let (s, v) = send(&f.app, "POST", &hook(), Some("application/json"), body).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({"ok": true, "call_id": 42, "duplicate": false}));
    let (_, v) = send(&f.app, "POST", &hook(), Some("text/plain"), body).await;
    assert_eq!(v["duplicate"], json!(true), "any content type is accepted for a JSON object");
    assert_eq!(f.store.read(calls::count).expect("count"), 1);
    assert_eq!(f.store.read(|c| deliveries::for_call(c, 42)).expect("deliveries").len(), 2);
}

#[tokio::test]
async fn wrong_secret_and_unknown_paths_are_404_and_store_nothing() {
    let f = fixture(DEFAULT_BODY_LIMIT);
    let body = r#"{"id": 1}"#;
    for uri in ["/hooks/wrong-secret-0123456789abcdef", "/hooks/", "/hooks", "/", "/api/calls"] {
        let (s, _) = send(&f.app, "POST", uri, None, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
    }
    assert_eq!(f.store.read(|c| deliveries::list(c, false, 10)).expect("list").len(), 0);
}

#[tokio::test]
async fn wrong_method_is_405_and_healthz_is_200() {
    let f = fixture(DEFAULT_BODY_LIMIT);
    assert_eq!(send(&f.app, "GET", &hook(), None, Body::empty()).await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(send(&f.app, "GET", "/healthz", None, Body::empty()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn unusable_bodies_are_422_with_the_reason_and_kept() {
    let f = fixture(DEFAULT_BODY_LIMIT);
    let cases: [(&str, &str); 4] = [
        ("not json at all", "not valid JSON"),
        (r#"{"id": 5, "status": "compl"#, "not valid JSON"),
        ("[1, 2, 3]", "must be a JSON object"),
        (r#"{"status": "completed"}"#, "no `id`"),
    ];
    for (body, reason) in cases {
        let (s, v) = send(&f.app, "POST", &hook(), Some("application/json"), body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(v["ok"], json!(false));
        assert!(v["error"].as_str().expect("error").contains(reason), "{v}");
    }
    let failed = f.store.read(|c| deliveries::list(c, true, 10)).expect("failed");
    assert_eq!(failed.len(), 4, "every unusable body is kept");
    assert_eq!(failed[3].body, "not json at all", "byte for byte");
}

#[tokio::test]
async fn oversized_bodies_are_413_and_not_stored() {
    let f = fixture(64);
    let body = format!(r#"{{"id": 1, "pad": "{}"}}"#, "x".repeat(100));
    let (s, v) = send(&f.app, "POST", &hook(), None, body).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(f.store.read(|c| deliveries::list(c, false, 10)).expect("list").len(), 0);
}

#[tokio::test]
async fn failed_authentications_are_rate_limited() {
    let f = fixture(DEFAULT_BODY_LIMIT);
    let mut last = StatusCode::OK;
    for _ in 0..100 {
        last = send(&f.app, "POST", "/hooks/guess-0123456789abcdefghij", None, "{}").await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // The right secret still works.
    assert_eq!(send(&f.app, "POST", &hook(), None, r#"{"id": 3}"#).await.0, StatusCode::OK);
}

#[test]
fn bind_reports_a_port_in_use() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let f = fixture(DEFAULT_BODY_LIMIT);
        let err = Listener::start(SocketAddr::from(([127, 0, 0, 1], port)), f.app.clone()).err().expect("in use");
        assert!(err.to_string().contains(&format!("Port {port} is already in use")), "{err}");
        let l = Listener::start(SocketAddr::from(([127, 0, 0, 1], 0)), f.app).expect("port 0");
        assert_ne!(l.addr.port(), 0, "the real port is reported");
        l.shutdown(Duration::from_secs(1)).await;
    });
}
