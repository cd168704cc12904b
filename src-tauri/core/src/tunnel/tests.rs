use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::ingest::Ingestor;
use crate::listener::{self, Listener, ListenerConfig};
use crate::store::Store;

const SECRET: &str = "tunnel-test-secret-0123456789";

/// cloudflared's real stderr at a quick-tunnel start (2024/2025 releases).
const CLOUDFLARED_LINES: &[&str] = &[
    "2025-01-15T10:30:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/do-more-with-tunnels/trycloudflare",
    "2025-01-15T10:30:00Z INF Requesting new quick Tunnel on trycloudflare.com...",
    "2025-01-15T10:30:01Z INF +--------------------------------------------------------------------------------------------+",
    "2025-01-15T10:30:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |",
    "2025-01-15T10:30:01Z INF |  https://example-words-here.trycloudflare.com                                              |",
    "2025-01-15T10:30:01Z INF +--------------------------------------------------------------------------------------------+",
    "2025-01-15T10:30:01Z INF Registered tunnel connection connIndex=0 connection=5b5e0b5a event=0 ip=198.41.200.13 location=ams01 protocol=quic",
];

fn fast() -> TunnelOptions {
    TunnelOptions {
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_millis(400),
        stable_after: Duration::from_secs(30),
        recheck_every: Duration::from_millis(200),
        retry_probe_every: Duration::from_millis(100),
        probe_timeout: Duration::from_secs(2),
    }
}

/// Waits until `pred` holds for the status, up to `limit`; returns the matching status.
async fn wait_for(
    rx: &mut watch::Receiver<TunnelStatus>,
    limit: Duration,
    pred: impl Fn(&TunnelStatus) -> bool,
) -> TunnelStatus {
    let found = tokio::time::timeout(limit, async {
        loop {
            let s = rx.borrow_and_update().clone();
            if pred(&s) {
                return s;
            }
            if rx.changed().await.is_err() {
                panic!("the supervisor ended while waiting; last status {s:?}");
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no matching status within {limit:?}; last {:?}", rx.borrow().clone()))
}

#[test]
fn the_quick_tunnel_url_is_read_from_cloudflared_lines() {
    let found: Vec<String> = CLOUDFLARED_LINES.iter().filter_map(|l| parse_quick_tunnel_url(l)).collect();
    assert_eq!(found, vec!["https://example-words-here.trycloudflare.com".to_string()], "exactly the tunnel URL");
    assert_eq!(
        parse_quick_tunnel_url(
            r#"2025-01-15T10:30:00Z ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp"#
        ),
        None,
        "the API endpoint in an error line is not a tunnel"
    );
    assert_eq!(parse_quick_tunnel_url("INF https://developers.cloudflare.com/x"), None);
}

#[test]
fn backoff_doubles_and_is_capped() {
    let o = TunnelOptions::default();
    assert_eq!(o.backoff(0), Duration::from_secs(1));
    assert_eq!(o.backoff(1), Duration::from_secs(2));
    assert_eq!(o.backoff(3), Duration::from_secs(8));
    assert_eq!(o.backoff(40), o.backoff_max, "capped, no overflow");
}

#[test]
fn bore_server_parsing_and_config_never_shows_the_secret() {
    assert!(bore::Bore::parse("bore.pub", None).is_ok());
    assert!(bore::Bore::parse("127.0.0.1:4000", None).is_ok());
    assert!(bore::Bore::parse("host:notaport", None).is_err());
    assert!(bore::Bore::parse("", None).is_err());
    let c = TunnelConfig::Bore { server: "bore.pub".into(), secret: Some("very-secret-value".into()) };
    assert!(!format!("{c:?}").contains("very-secret-value"), "Debug must redact the bore secret");
}

#[test]
fn config_round_trips_in_a_private_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = DataDir::resolve(Some(dir.path())).expect("data");
    assert_eq!(load_config(&data), None);
    let c = TunnelConfig::Bore { server: "example.org:9000".into(), secret: Some("s3cret".into()) };
    save_config(&data, &c).expect("save");
    assert_eq!(load_config(&data), Some(c));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tunnel.json")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the user can read the bore secret");
    }
}

#[test]
fn ngrok_config_parses_and_never_shows_the_authtoken() {
    let c: TunnelConfig =
        serde_json::from_str(r#"{"provider":"ngrok","domain":"calls.ngrok.app","authtoken":"2abcNgrokToken_xyz"}"#)
            .expect("parse");
    assert_eq!(
        c,
        TunnelConfig::Ngrok { domain: Some("calls.ngrok.app".into()), authtoken: Some("2abcNgrokToken_xyz".into()) }
    );
    assert_eq!(c.provider(), "ngrok");
    let shown = format!("{c:?}");
    assert!(!shown.contains("2abcNgrokToken_xyz"), "Debug must redact the ngrok authtoken: {shown}");
    assert!(shown.contains("calls.ngrok.app"), "the domain is not a secret: {shown}");
    let bare: TunnelConfig = serde_json::from_str(r#"{"provider":"ngrok"}"#).expect("parse bare");
    assert_eq!(bare, TunnelConfig::Ngrok { domain: None, authtoken: None });
    assert!(!c.clone().without_secret().has_secret(), "without_secret drops it");
    let json = serde_json::to_value(c.without_secret()).expect("json");
    assert_eq!(json, serde_json::json!({"provider": "ngrok", "domain": "calls.ngrok.app", "authtoken": null}));
}

#[test]
fn the_ngrok_authtoken_is_saved_apart_and_a_blank_one_keeps_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = DataDir::resolve(Some(dir.path())).expect("data");
    let c = TunnelConfig::Ngrok { domain: Some("calls.ngrok.app".into()), authtoken: Some("ngrok-tok-123".into()) };
    save_config(&data, &c).expect("save");
    let file = std::fs::read_to_string(dir.path().join("tunnel.json")).expect("tunnel.json");
    assert!(!file.contains("ngrok-tok-123"), "the authtoken is not in tunnel.json: {file}");
    assert_eq!(load_config(&data), Some(c.clone()), "read back from the secret store");
    assert!(secret_storage(&data).is_some(), "its storage is reported");

    let mut blank = TunnelConfig::Ngrok { domain: None, authtoken: Some(String::new()) };
    blank.keep_secret_from(load_config(&data));
    assert_eq!(blank, TunnelConfig::Ngrok { domain: None, authtoken: Some("ngrok-tok-123".into()) });
    let mut bore = TunnelConfig::Bore { server: "bore.pub".into(), secret: None };
    bore.keep_secret_from(load_config(&data));
    assert_eq!(bore, TunnelConfig::Bore { server: "bore.pub".into(), secret: None }, "never across providers");

    // Switching provider removes the authtoken.
    save_config(&data, &TunnelConfig::None).expect("save none");
    assert_eq!(secret_storage(&data), None);
    save_config(&data, &c).expect("save again");
    save_config(&data, &TunnelConfig::Ngrok { domain: None, authtoken: None }).expect("save without");
    assert_eq!(load_config(&data), Some(TunnelConfig::Ngrok { domain: None, authtoken: None }));
}

fn ngrok_at(authtoken: Option<&str>, server_addr: Option<String>, connect_timeout: Duration) -> ngrok::Ngrok {
    ngrok::Ngrok { authtoken: authtoken.map(String::from), domain: None, server_addr, connect_timeout }
}

#[tokio::test]
async fn ngrok_without_an_authtoken_fails_with_the_instruction_and_no_retry() {
    let provider = ngrok_at(None, None, Duration::from_secs(20));
    match provider.connect(1).await {
        Err(ConnectError::Fatal(reason)) => {
            assert!(reason.contains("POSTCALL_NGROK_AUTHTOKEN") && reason.contains("dashboard.ngrok.com"), "{reason}")
        }
        Err(other) => panic!("expected Fatal, got {other:?}"),
        Ok(_) => panic!("connected without an authtoken"),
    }
}

/// ngrok itself cannot be reached from here: the session is pointed at a closed local port, and at
/// a port that accepts but never answers. Both must come back quickly as "retry".
#[tokio::test]
async fn ngrok_unreachable_is_retried_not_fatal() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let provider = ngrok_at(Some("secret-ngrok-token"), Some(format!("127.0.0.1:{closed}")), Duration::from_secs(20));
    let attempt = tokio::time::timeout(Duration::from_secs(25), provider.connect(1)).await.expect("no hang");
    match attempt {
        Err(ConnectError::Retry(reason)) => {
            assert!(reason.starts_with("cannot reach ngrok:"), "{reason}");
            assert!(!reason.contains("secret-ngrok-token"), "{reason}");
        }
        Err(other) => panic!("expected Retry, got {other:?}"),
        Ok(_) => panic!("connected to a closed port"),
    }

    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let provider = ngrok_at(Some("secret-ngrok-token"), Some(format!("127.0.0.1:{port}")), Duration::from_millis(500));
    let attempt = tokio::time::timeout(Duration::from_secs(10), provider.connect(1)).await.expect("no hang");
    assert!(matches!(&attempt, Err(ConnectError::Retry(r)) if r.contains("no answer")), "{:?}", attempt.err());
    hold.abort();
}

#[test]
fn ngrok_transport_errors_are_retried() {
    let e = ::ngrok::session::ConnectError::Tcp(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    assert!(matches!(ngrok::explain_connect(&e), ConnectError::Retry(r) if r.starts_with("cannot reach ngrok")));
}

#[test]
fn serve_args_build_an_ngrok_config() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct A {
        #[command(flatten)]
        t: TunnelArgs,
    }
    let a = A::try_parse_from(["x", "--tunnel", "ngrok", "--ngrok-domain", "calls.ngrok.app"]).expect("args");
    assert_eq!(
        a.t.config().expect("config"),
        TunnelConfig::Ngrok { domain: Some("calls.ngrok.app".into()), authtoken: None }
    );
}

#[tokio::test]
async fn a_missing_cloudflared_fails_with_install_instructions_and_no_retry() {
    let config = TunnelConfig::Cloudflared { binary: Some("/nonexistent/cloudflared".into()) };
    let tunnel = Tunnel::start(&config, 1, SECRET.into(), fast()).expect("start");
    let mut rx = tunnel.subscribe();
    let s = wait_for(&mut rx, Duration::from_secs(5), |s| matches!(s.state, TunnelState::Failed { .. })).await;
    match s.state {
        TunnelState::Failed { reason, next_retry_ms } => {
            assert!(reason.contains("not installed") && reason.contains("brew install cloudflared"), "{reason}");
            assert_eq!(next_retry_ms, None, "no point retrying until it is installed");
        }
        other => panic!("{other:?}"),
    }
    tunnel.stop().await;
}

/// cloudflared itself cannot be reached from here: a stand-in script prints its real output, then
/// exits, and the supervisor must parse the URL, go online, notice the exit and restart it.
#[cfg(unix)]
#[tokio::test]
async fn cloudflared_is_supervised_and_restarted_with_backoff() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let runs = dir.path().join("runs");
    let script = dir.path().join("cloudflared");
    let mut body = format!("#!/bin/sh\necho \"$@\" >> '{}'\n", runs.display());
    for line in CLOUDFLARED_LINES {
        body.push_str(&format!("echo '{line}' >&2\n"));
    }
    body.push_str("sleep 0.3\nexit 1\n");
    std::fs::write(&script, body).expect("write stand-in");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let config = TunnelConfig::Cloudflared { binary: Some(script) };
    let tunnel = Tunnel::start(&config, 4321, SECRET.into(), fast()).expect("start");
    let mut rx = tunnel.subscribe();
    let online = wait_for(&mut rx, Duration::from_secs(10), |s| matches!(s.state, TunnelState::Online { .. })).await;
    match online.state {
        TunnelState::Online { public_url, .. } => {
            assert_eq!(public_url, format!("https://example-words-here.trycloudflare.com/hooks/{SECRET}"))
        }
        other => panic!("{other:?}"),
    }
    let r = wait_for(&mut rx, Duration::from_secs(10), |s| matches!(s.state, TunnelState::Reconnecting { .. })).await;
    assert!(matches!(&r.state, TunnelState::Reconnecting { reason } if reason.contains("cloudflared exited")), "{r:?}");
    wait_for(&mut rx, Duration::from_secs(10), |s| matches!(s.state, TunnelState::Online { .. })).await;
    tokio::time::timeout(Duration::from_secs(10), async {
        while std::fs::read_to_string(&runs).unwrap_or_default().lines().count() < 3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("cloudflared restarted at least twice");
    let args = std::fs::read_to_string(&runs).expect("runs");
    assert!(args.lines().all(|l| l == "tunnel --url http://127.0.0.1:4321"), "forwards to the listener only: {args}");
    tunnel.stop().await;
    let count = std::fs::read_to_string(&runs).expect("runs").lines().count();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(std::fs::read_to_string(&runs).expect("runs").lines().count(), count, "no restart after stop");
}

async fn real_listener() -> (tempfile::TempDir, Listener) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("p.sqlite")).expect("store"));
    let ingest = Ingestor::start(store).expect("ingest");
    let app = listener::router(ingest, &ListenerConfig::new(SECRET.into()));
    let l = Listener::start("127.0.0.1:0".parse().expect("addr"), app).expect("listen");
    (dir, l)
}

#[tokio::test]
async fn a_custom_url_is_reachable_only_when_the_probe_reaches_this_listener() {
    let (_dir, l) = real_listener().await;
    let base = format!("http://127.0.0.1:{}", l.addr.port());
    let tunnel = Tunnel::start(&TunnelConfig::Custom { url: format!("{base}/") }, l.addr.port(), SECRET.into(), fast())
        .expect("start");
    let mut rx = tunnel.subscribe();
    let s =
        wait_for(&mut rx, Duration::from_secs(10), |s| matches!(s.state, TunnelState::Online { reachable: true, .. }))
            .await;
    assert!(matches!(&s.state, TunnelState::Online { public_url, checked_at_ms: Some(_), .. }
        if *public_url == format!("{base}/hooks/{SECRET}")));
    assert!(s.warning.is_some(), "plain HTTP is flagged");
    tunnel.stop().await;

    // A URL where nothing (or something else) answers is online but not reachable.
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let tunnel = Tunnel::start(
        &TunnelConfig::Custom { url: format!("http://127.0.0.1:{free}") },
        l.addr.port(),
        SECRET.into(),
        fast(),
    )
    .expect("start");
    let mut rx = tunnel.subscribe();
    let s = wait_for(&mut rx, Duration::from_secs(10), |s| {
        matches!(s.state, TunnelState::Online { checked_at_ms: Some(_), .. })
    })
    .await;
    assert!(matches!(s.state, TunnelState::Online { reachable: false, check_error: Some(_), .. }), "{s:?}");
    tunnel.stop().await;
    l.shutdown(Duration::from_secs(2)).await;
}

#[test]
fn a_bad_custom_url_is_refused() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let _guard = rt.enter();
    assert!(Tunnel::start(&TunnelConfig::Custom { url: "not a url".into() }, 1, SECRET.into(), fast()).is_err());
    assert!(Tunnel::start(&TunnelConfig::Custom { url: "ftp://x.org".into() }, 1, SECRET.into(), fast()).is_err());
    let off = Tunnel::start(&TunnelConfig::None, 1, SECRET.into(), fast()).expect("none");
    assert_eq!(off.status().state, TunnelState::Off);
}

#[tokio::test]
async fn healthz_echoes_only_a_well_formed_probe_nonce() {
    let (_dir, l) = real_listener().await;
    let base = format!("http://127.0.0.1:{}", l.addr.port());
    let get = |q: &str| {
        let url = format!("{base}/healthz{q}");
        async move { reqwest::get(url).await.expect("get").json::<serde_json::Value>().await.expect("json") }
    };
    assert_eq!(get("?probe=abc-DEF_123").await, serde_json::json!({"ok": true, "probe": "abc-DEF_123"}));
    assert_eq!(get("").await, serde_json::json!({"ok": true}), "no probe, no echo");
    assert_eq!(get("?probe=%3Cscript%3E").await, serde_json::json!({"ok": true}), "only URL-safe nonces are echoed");
    assert_eq!(get(&format!("?probe={}", "a".repeat(65))).await, serde_json::json!({"ok": true}), "bounded length");
    l.shutdown(Duration::from_secs(2)).await;
}
