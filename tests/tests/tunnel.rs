//! The tunnel, end to end, over loopback only.
//!
//! bore: a real bore server runs inside this test process (crate `bore-cli`) on 127.0.0.1, and
//! the real `postcall serve --tunnel bore` connects to it. bore's control port is fixed (7835),
//! so every bore scenario lives in ONE test function and runs in sequence.
//!
//! cloudflared and ngrok themselves cannot be reached from here (no internet), so cloudflared is
//! replaced by a stand-in shell script that prints cloudflared's real output lines and exits; ngrok
//! is tested up to the network call (a missing authtoken, then an unreachable service).

use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use postcall_tests::{call_ids_in_db, data_dir, post_json, secret, show, small_call, Server};

const BORE_CONTROL_PORT: u16 = 7835;
const BORE_SECRET: &str = "bore-server-secret-for-tests";

/// A bore server on its own runtime, so that killing it (dropping the runtime) closes every socket
/// it holds, like a crashed server would.
struct BoreServer {
    rt: Option<tokio::runtime::Runtime>,
}

impl BoreServer {
    fn start(secret: Option<&str>) -> BoreServer {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let mut server = bore_cli::server::Server::new(20_000..=40_000, secret);
        server.set_bind_addr("127.0.0.1".parse().expect("ip"));
        server.set_bind_tunnels("127.0.0.1".parse().expect("ip"));
        let task = rt.spawn(server.listen());
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", BORE_CONTROL_PORT)).is_err() {
            assert!(!task.is_finished(), "the bore server could not start (is port {BORE_CONTROL_PORT} taken?)");
            assert!(Instant::now() < deadline, "the bore server did not listen on {BORE_CONTROL_PORT}");
            std::thread::sleep(Duration::from_millis(20));
        }
        BoreServer { rt: Some(rt) }
    }

    fn kill(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", BORE_CONTROL_PORT)).is_ok() {
            assert!(Instant::now() < deadline, "the bore server is still listening after being killed");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for BoreServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Waits until `pred` holds for the server's (stdout, stderr), up to `limit`.
fn wait_until(server: &Server, limit: Duration, what: &str, pred: impl Fn(&str, &str) -> bool) {
    let deadline = Instant::now() + limit;
    while !pred(&server.stdout(), &server.stderr()) {
        assert!(
            Instant::now() < deadline,
            "{what}: not seen within {limit:?}\nstdout:\n{}\nstderr:\n{}",
            server.stdout(),
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn public_urls(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.strip_prefix("Public webhook URL: ")).map(|u| u.trim().to_string()).collect()
}

fn serve_args(webhook_secret: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--secret".to_string(), webhook_secret.to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn bore_tunnel_forwards_webhooks_rejects_a_wrong_secret_and_reconnects() {
    let mut bore = BoreServer::start(Some(BORE_SECRET));

    // (b) A wrong bore secret: a clear error, and `serve` stops instead of retrying forever.
    let dir = data_dir();
    let mut wrong = Server::start_with(
        dir.path(),
        &serve_args(
            &secret(),
            &["--tunnel", "bore", "--tunnel-server", "127.0.0.1", "--tunnel-secret", "not-the-right-secret"],
        ),
    );
    let status = wrong.wait_exit(Duration::from_secs(30));
    assert!(!status.success(), "a refused secret is an error");
    assert!(
        wrong.stderr().contains("refused the tunnel secret"),
        "the error says the secret was refused:\n{}",
        wrong.stderr()
    );
    assert!(!wrong.stderr().contains("not-the-right-secret"), "the secret is never printed");

    // (a) The right secret: the public URL is printed once verified, and a webhook posted to the
    // tunnel's public port lands in the database.
    let dir = data_dir();
    let hook_secret = secret();
    let server = Server::start_with(
        dir.path(),
        &serve_args(
            &hook_secret,
            &["--tunnel", "bore", "--tunnel-server", "127.0.0.1", "--tunnel-secret", BORE_SECRET],
        ),
    );
    wait_until(&server, Duration::from_secs(30), "Public webhook URL", |out, _| !public_urls(out).is_empty());
    let url = public_urls(&server.stdout()).remove(0);
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.split_once("/hooks/"))
        .filter(|(_, s)| *s == hook_secret)
        .and_then(|(p, _)| p.parse().ok())
        .unwrap_or_else(|| panic!("the public URL is http://127.0.0.1:PORT/hooks/<webhook secret>, got {url:?}"));
    assert_ne!(port, server.port, "the public port is bore's, not the listener's");
    assert!(server.stderr().contains("plain HTTP"), "bore's plain-HTTP warning is shown:\n{}", server.stderr());
    assert!(!server.stderr().contains(BORE_SECRET), "the bore secret is never printed");
    let (code, body) = post_json(&url, &small_call(5_100_001));
    assert_eq!(code, 200, "the webhook is accepted through the tunnel: {body}");
    assert_eq!(show(dir.path(), 5_100_001)["id"], 5_100_001, "the call landed in the database");

    // (c) The bore server dies: reconnecting. It returns: online and reachable again.
    bore.kill();
    wait_until(&server, Duration::from_secs(30), "reconnecting", |_, err| err.contains("tunnel: reconnecting"));
    let mut bore = BoreServer::start(Some(BORE_SECRET));
    wait_until(&server, Duration::from_secs(60), "online again", |_, err| {
        err.matches("tunnel: online, reachable").count() >= 2
    });
    let url = public_urls(&server.stdout()).pop().expect("a public URL");
    let (code, body) = post_json(&url, &small_call(5_100_002));
    assert_eq!(code, 200, "the webhook is accepted through the new tunnel: {body}");
    assert!(call_ids_in_db(dir.path()).contains(&5_100_002), "the second call landed too");
    drop(server);
    bore.kill();
}

fn write_stand_in(dir: &Path, runs: &Path, exit_after: &str) {
    use std::os::unix::fs::PermissionsExt;
    // cloudflared's real stderr at a quick-tunnel start.
    let script = format!(
        r#"#!/bin/sh
echo "$(date +%s.%N) $*" >> '{runs}'
echo '2025-01-15T10:30:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out.' >&2
echo '2025-01-15T10:30:00Z INF Requesting new quick Tunnel on trycloudflare.com...' >&2
echo '2025-01-15T10:30:01Z INF +--------------------------------------------------------------------------------------------+' >&2
echo '2025-01-15T10:30:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |' >&2
echo '2025-01-15T10:30:01Z INF |  https://example-words-here.trycloudflare.com                                              |' >&2
echo '2025-01-15T10:30:01Z INF +--------------------------------------------------------------------------------------------+' >&2
echo '2025-01-15T10:30:01Z INF Registered tunnel connection connIndex=0 event=0 ip=198.41.200.13 location=ams01 protocol=quic' >&2
sleep {exit_after}
exit 1
"#,
        runs = runs.display()
    );
    let path = dir.join("cloudflared");
    std::fs::write(&path, script).expect("write the stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn run_times(runs: &Path) -> Vec<f64> {
    std::fs::read_to_string(runs)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn cloudflared_is_supervised_and_restarted_with_backoff() {
    let bin = tempfile::tempdir().expect("tempdir");
    let runs = bin.path().join("runs.txt");
    write_stand_in(bin.path(), &runs, "0.3");
    let dir = data_dir();
    let stand_in = bin.path().join("cloudflared");
    let cmd_args =
        serve_args(&secret(), &["--tunnel", "cloudflared", "--cloudflared-path", &stand_in.display().to_string()]);
    let server = Server::start_with(dir.path(), &cmd_args);
    wait_until(&server, Duration::from_secs(30), "online", |_, err| {
        err.contains("tunnel: online, checking that it is reachable")
    });
    wait_until(&server, Duration::from_secs(30), "reconnecting after the exit", |_, err| {
        err.contains("tunnel: reconnecting: cloudflared exited")
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while run_times(&runs).len() < 3 {
        assert!(Instant::now() < deadline, "cloudflared was not restarted twice:\n{}", server.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    let t = run_times(&runs);
    let (first_gap, second_gap) = (t[1] - t[0], t[2] - t[1]);
    assert!(second_gap > first_gap + 0.5, "the restart delay grows (backoff): {first_gap:.2} s then {second_gap:.2} s");
    let args = std::fs::read_to_string(&runs).expect("runs");
    assert!(
        args.lines().all(|l| l.ends_with(&format!("tunnel --url http://127.0.0.1:{}", server.port))),
        "cloudflared forwards to the webhook listener only:\n{args}"
    );
    assert!(public_urls(&server.stdout()).is_empty(), "an unverified URL is never announced as the public URL");
}

#[test]
fn a_missing_cloudflared_ends_serve_with_install_instructions() {
    let dir = data_dir();
    let mut server = Server::start_with(
        dir.path(),
        &serve_args(&secret(), &["--tunnel", "cloudflared", "--cloudflared-path", "/nonexistent/cloudflared"]),
    );
    let status = server.wait_exit(Duration::from_secs(30));
    assert!(!status.success());
    assert!(server.stderr().contains("brew install cloudflared"), "install instructions:\n{}", server.stderr());
}

#[test]
fn a_custom_tunnel_needs_its_url() {
    let dir = data_dir();
    let run = postcall_tests::cli(dir.path(), &["serve", "--tunnel", "custom"]);
    run.fails();
    assert!(run.stderr.contains("--tunnel-url"), "says which flag is missing:\n{}", run.stderr);
}

#[test]
fn ngrok_without_an_authtoken_ends_serve_with_the_instruction() {
    let dir = data_dir();
    let mut server = Server::start_with(
        dir.path(),
        &serve_args(&secret(), &["--tunnel", "ngrok", "--ngrok-domain", "calls.ngrok.app"]),
    );
    let status = server.wait_exit(Duration::from_secs(30));
    assert!(!status.success(), "serve stops instead of retrying without a token");
    let stderr = server.stderr();
    assert!(
        stderr.contains("ngrok needs an authtoken") && stderr.contains("POSTCALL_NGROK_AUTHTOKEN"),
        "says how to give the authtoken:\n{stderr}"
    );
    assert!(public_urls(&server.stdout()).is_empty());
}

/// ngrok's service cannot be reached from here: with a token from the environment, `serve` gets
/// as far as the network call, reports it in plain words and keeps retrying; the token never shows.
#[test]
fn ngrok_reads_the_authtoken_from_the_environment_and_retries_when_unreachable() {
    const TOKEN: &str = "ngrok-authtoken-from-env-for-tests";
    let dir = data_dir();
    let server = Server::start_env(
        dir.path(),
        &serve_args(&secret(), &["--tunnel", "ngrok"]),
        &[("POSTCALL_NGROK_AUTHTOKEN", TOKEN)],
    );
    wait_until(&server, Duration::from_secs(60), "an unreachable ngrok is retried", |_, err| {
        err.contains("tunnel: failed: cannot reach ngrok") && err.contains("retrying in")
    });
    assert!(!server.stderr().contains("ngrok needs an authtoken"), "the token was read from the environment");
    assert!(!server.stderr().contains(TOKEN) && !server.stdout().contains(TOKEN), "the token is never printed");
    assert!(public_urls(&server.stdout()).is_empty());
}
