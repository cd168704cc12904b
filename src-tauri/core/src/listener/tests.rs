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

/// Descriptors this process has open.
/// Sockets this process holds open (only sockets: tests running beside this one open files).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:")))
                .count()
        })
        .unwrap_or(0)
}

async fn start_with(f: &Fixture, limits: AcceptLimits) -> Listener {
    Listener::start_with(SocketAddr::from(([127, 0, 0, 1], 0)), f.app.clone(), limits).expect("listen")
}

/// Whether the peer closed `stream` within `within` (a read returns end of file or an error).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_silent_sockets_neither_exhaust_descriptors_nor_delay_a_webhook() {
    let f = fixture(DEFAULT_BODY_LIMIT);
    let limits = AcceptLimits { max_connections: 512, header_timeout: Duration::from_secs(3) };
    let l = start_with(&f, limits).await;
    let before = open_fds();
    // 2,000 sockets opened at once, and left silent.
    let mut connecting = tokio::task::JoinSet::new();
    for _ in 0..2_000 {
        let addr = l.addr;
        connecting.spawn(async move { tokio::net::TcpStream::connect(addr).await });
    }
    let mut silent = Vec::new();
    while let Some(c) = connecting.join_next().await {
        silent.push(c.expect("join").expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server_side = open_fds().saturating_sub(before + silent.len());
    assert!(l.open_connections() <= 512, "{} connections held", l.open_connections());
    assert!(server_side <= 512 + 32, "the listener holds {server_side} descriptors for 2,000 silent sockets");
    // Meanwhile a real webhook is answered at once, not after the silent sockets time out.
    let started = std::time::Instant::now();
    let resp = reqwest::Client::new()
        .post(format!("http://{}{}", l.addr, hook()))
        .body(r#"{"id": 2000, "status": "completed"}"#)
        .send()
        .await
        .expect("the webhook is answered");
    let took = started.elapsed();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    assert!(took < limits.header_timeout, "answered after {took:?}");
    assert_eq!(f.store.read(calls::count).expect("count"), 1);
    // The silent sockets the listener kept are cut once their headers are overdue.
    tokio::time::sleep(limits.header_timeout + Duration::from_secs(1)).await;
    assert_eq!(l.open_connections(), 0, "every silent socket was closed");
    let closed = open_fds().saturating_sub(before + silent.len());
    assert!(closed <= 32, "{closed} descriptors still held after the header timeout");
    println!("2,000 silent sockets: {server_side} descriptors held by the listener; a webhook answered in {took:?}");
    l.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_socket_sending_its_headers_byte_by_byte_is_cut() {
    use tokio::io::AsyncWriteExt;
    let f = fixture(DEFAULT_BODY_LIMIT);
    let limits = AcceptLimits { max_connections: 16, header_timeout: Duration::from_secs(1) };
    let l = start_with(&f, limits).await;
    let stream = tokio::net::TcpStream::connect(l.addr).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let started = std::time::Instant::now();
    let trickle = tokio::spawn(async move {
        let head = format!("POST {} HTTP/1.1\r\nHost: localhost\r\nX-Padding: {}\r\n", hook(), "p".repeat(200));
        for b in head.bytes() {
            if write.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = Vec::new();
    let cut = tokio::time::timeout(Duration::from_secs(5), tokio::io::AsyncReadExt::read_to_end(&mut read, &mut buf))
        .await
        .is_ok();
    let took = started.elapsed();
    trickle.abort();
    assert!(cut, "a socket trickling its headers for 10 s was not cut");
    assert!(took < Duration::from_millis(2_500), "cut only after {took:?}");
    l.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = fixture(DEFAULT_BODY_LIMIT);
    let limits = AcceptLimits { max_connections: 16, header_timeout: Duration::from_secs(1) };
    let l = start_with(&f, limits).await;
    let mut stream = tokio::net::TcpStream::connect(l.addr).await.expect("connect");
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("request");
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).await.expect("response");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    // Kept alive, then closed once idle for the header timeout.
    assert!(closed_within(&mut stream, Duration::from_millis(2_500)).await, "an idle connection stays open");
    l.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_stopped_indexer_turns_webhooks_away_with_503_and_healthz_says_why() {
    const CALL: i64 = 31_337_001;
    let f = fixture(DEFAULT_BODY_LIMIT);
    assert_eq!(send(&f.app, "GET", "/healthz", None, Body::empty()).await.0, StatusCode::OK);
    crate::ingest::fault::inject(CALL, Some(crate::ingest::fault::Fault::Panic));
    // Journaled, then the indexer dies on it (it is replayed at the next start).
    let (s, _) = send(&f.app, "POST", &hook(), None, format!(r#"{{"id": {CALL}}}"#)).await;
    crate::ingest::fault::inject(CALL, None);
    assert_eq!(s, StatusCode::OK);
    // Generous: the dying thread's panic report (a backtrace when RUST_BACKTRACE is set) can take
    // seconds on a loaded machine; the loop ends as soon as the health check changes.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (s, v) = loop {
        let (s, v) = send(&f.app, "GET", "/healthz?probe=abc", None, Body::empty()).await;
        if s != StatusCode::OK || std::time::Instant::now() > deadline {
            break (s, v);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(v["error"].as_str().unwrap_or("").contains("indexer thread stopped"), "{v}");
    assert_eq!(v["probe"], "abc", "the tunnel probe still finds its listener");
    let (s, v) = send(&f.app, "POST", &hook(), None, r#"{"id": 31337002}"#).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "not acknowledged: {v}");
    assert!(f.store.read(|c| deliveries::for_call(c, 31_337_002)).expect("read").is_empty(), "nothing journaled");
}

#[tokio::test]
async fn ids_above_2_pow_53_are_refused_with_422() {
    let f = fixture(DEFAULT_BODY_LIMIT);
    for body in [r#"{"id": 9007199254740993}"#, r#"{"id": "12345678901234567890"}"#] {
        let (s, v) = send(&f.app, "POST", &hook(), None, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v["error"].as_str().unwrap_or("").contains("2^53-1"), "{v}");
    }
    let (s, _) = send(&f.app, "POST", &hook(), None, r#"{"id": 9007199254740991}"#).await;
    assert_eq!(s, StatusCode::OK, "2^53-1 itself is a call id");
}
