//! Downloads against real recording hosts on loopback that misbehave on purpose: a host fishing
//! for the API key with 401, private addresses and redirects into them, silent and trickling
//! hosts, wrong `Content-Range` answers to a resumed download, and a queue with bad URLs in it.
//! The hosts are raw HTTP/1.1 on tokio sockets so each can misbehave exactly and log what it got.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::fetch::{self, Job, Outcome, Timeouts};
use super::guard::HostPolicy;
use super::{Vault, VaultLimits};
use crate::config::DataDir;
use crate::store::Store;

/// A request as the host saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    range: Option<String>,
    authorization: Option<String>,
}

enum Reply {
    /// Read the request, then say nothing, forever.
    Hang,
    /// A status line and headers (no final blank line), then the body; the connection closes.
    Answer(String, Vec<u8>),
    /// `200` with the full `Content-Length`, then one byte of `body` every `every`.
    Trickle(Vec<u8>, Duration),
}

type Script = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

struct Host {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Host {
    async fn start(ip: &str, script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Host {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind a loopback recording host");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, script.clone(), log.clone()));
            }
        });
        Host { base: format!("http://{addr}"), seen }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

async fn serve(mut sock: tokio::net::TcpStream, script: Script, log: Arc<Mutex<Vec<Seen>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("/").to_string();
    let header = |name: &str| {
        head.split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let seen = Seen { path, range: header("range"), authorization: header("authorization") };
    log.lock().unwrap_or_else(|e| e.into_inner()).push(seen.clone());
    match script(&seen) {
        Reply::Hang => std::future::pending::<()>().await,
        Reply::Answer(head, body) => {
            let head = format!("{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
            let _ = sock.shutdown().await;
        }
        Reply::Trickle(body, every) => {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: {}\r\n\r\n", body.len());
            let _ = sock.write_all(head.as_bytes()).await;
            for b in body {
                if sock.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        }
    }
}

/// A real (if silent-sounding) PCM WAV file of about `len` bytes, every byte position distinct
/// enough that a misplaced range shows.
fn wav(len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 44);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&((36 + len) as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // PCM
    v.extend_from_slice(&1u16.to_le_bytes()); // mono
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&16000u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v.extend((0..len).map(|i| (i.wrapping_mul(31) % 251) as u8));
    v
}

fn ok(body: &[u8]) -> Reply {
    Reply::Answer("HTTP/1.1 200 OK\r\nContent-Type: audio/wav".into(), body.to_vec())
}

/// What a host that honours ranges answers.
fn ranged(body: &[u8], seen: &Seen) -> Reply {
    let start = seen.range.as_deref().and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
    match start {
        Some(s) if s < body.len() => Reply::Answer(
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Type: audio/wav\r\nContent-Range: bytes {s}-{}/{}",
                body.len() - 1,
                body.len()
            ),
            body[s..].to_vec(),
        ),
        _ => ok(body),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    data: DataDir,
    vault: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = DataDir::resolve(Some(dir.path())).expect("data folder");
    let vault = data.recordings_dir();
    std::fs::create_dir_all(vault.join(".partial")).expect("vault");
    Fixture { _dir: dir, data, vault }
}

fn loopback_allowed() -> HostPolicy {
    HostPolicy::new(&["127.0.0.1"], &[] as &[&str])
}

fn quick() -> Timeouts {
    Timeouts { idle: Duration::from_secs(10), deadline: Duration::from_secs(20), yield_slot: Duration::from_secs(5) }
}

async fn download(f: &Fixture, call_id: i64, url: &str, policy: &HostPolicy, timeouts: Timeouts) -> Outcome {
    let job = Job { call_id, url, dir: &f.vault, max_bytes: 10_000_000, data: &f.data, policy, timeouts };
    // Bounded here too, so a download that never ends fails the test instead of hanging it.
    tokio::time::timeout(Duration::from_secs(30), fetch::download(&job, &CancellationToken::new(), |_, _| {}, || {}))
        .await
        .unwrap_or_else(|_| panic!("the download of {url} did not end within 30 s"))
}

fn done_bytes(outcome: &Outcome) -> Vec<u8> {
    match outcome {
        Outcome::Done { path, .. } => std::fs::read(path).expect("the vault copy"),
        other => panic!("expected the recording in the vault, got {other:?}"),
    }
}

fn partial_file(f: &Fixture, call_id: i64, url: &str) -> std::path::PathBuf {
    fetch::partial_path(&f.vault, call_id, url)
}

#[tokio::test]
async fn the_api_key_never_goes_over_http_even_to_the_configured_api_host() {
    let f = fixture();
    crate::backfill::set_api_key(&f.data, "sk-never-leaves").expect("store the key");
    let host =
        Host::start("127.0.0.1", |_| Reply::Answer("HTTP/1.1 401 Unauthorized".into(), b"sign in".to_vec())).await;
    // The loopback host is even configured as an Intellixent host: http still gets no key.
    let policy = HostPolicy::new(&["127.0.0.1"], &["127.0.0.1"]);
    let url = host.url("/rec/1.mp3");
    let outcome = download(&f, 1, &url, &policy, quick()).await;
    let Outcome::Fail(why) = outcome else { panic!("a 401 without a key to send fails: {outcome:?}") };
    assert!(why.contains("401") && why.contains("only sent over https") && why.contains("Settings"), "{why}");
    let seen = host.seen();
    assert_eq!(seen.len(), 1, "asked once, never again with a key: {seen:?}");
    assert!(seen.iter().all(|s| s.authorization.is_none()), "no Authorization header reached the host: {seen:?}");

    // A host that is not configured gets no key either, and the reason says how to add it.
    let other = Host::start("127.0.0.1", |_| Reply::Answer("HTTP/1.1 403 Forbidden".into(), Vec::new())).await;
    let outcome = download(&f, 2, &other.url("/x"), &loopback_allowed(), quick()).await;
    assert!(matches!(&outcome, Outcome::Fail(w) if w.contains("403") && w.contains("none configured")), "{outcome:?}");
    assert!(other.seen().iter().all(|s| s.authorization.is_none()));
}

#[tokio::test]
async fn private_addresses_are_refused_before_connecting_unless_allowed() {
    let f = fixture();
    let body = wav(50_000);
    let served = body.clone();
    let host = Host::start("127.0.0.1", move |s| ranged(&served, s)).await;
    let url = host.url("/rec/a.wav");

    let outcome = download(&f, 1, &url, &HostPolicy::default(), quick()).await;
    let Outcome::Fail(why) = outcome else { panic!("loopback is refused by default: {outcome:?}") };
    assert!(
        why.starts_with("refused: the recording host resolves to a private address 127.0.0.1")
            && why.contains("Settings → Recordings")
            && why.contains("POSTCALL_ALLOW_PRIVATE_HOSTS"),
        "{why}"
    );
    assert!(host.seen().is_empty(), "nothing was sent to a refused address");
    let by_name = url.replace("127.0.0.1", "localhost");
    assert!(
        matches!(download(&f, 1, &by_name, &HostPolicy::default(), quick()).await, Outcome::Fail(w) if w.starts_with("refused")),
        "a name is checked after it resolves"
    );

    assert_eq!(done_bytes(&download(&f, 1, &url, &loopback_allowed(), quick()).await), body, "allowed: downloaded");

    // A redirect is checked again: 127.0.0.1 is allowed, 127.0.0.2 is not.
    let inner_body = body.clone();
    let inner = Host::start("127.0.0.2", move |s| ranged(&inner_body, s)).await;
    let target = inner.url("/rec/b.wav");
    let hop = Host::start("127.0.0.1", move |_| {
        Reply::Answer(format!("HTTP/1.1 302 Found\r\nLocation: {target}"), Vec::new())
    })
    .await;
    let outcome = download(&f, 2, &hop.url("/go"), &loopback_allowed(), quick()).await;
    assert!(
        matches!(&outcome, Outcome::Fail(w) if w.contains("private address 127.0.0.2")),
        "the redirect target is checked: {outcome:?}"
    );
    assert_eq!(hop.seen().iter().map(|s| s.path.as_str()).collect::<Vec<_>>(), ["/go"]);
    assert!(inner.seen().is_empty(), "the refused redirect target was never contacted");
    let both = HostPolicy::new(&["127.0.0.0/8"], &[] as &[&str]);
    assert_eq!(done_bytes(&download(&f, 2, &hop.url("/go"), &both, quick()).await), body, "allowed: followed");
}

#[tokio::test]
async fn a_silent_host_is_cut_after_the_idle_timeout() {
    let f = fixture();
    let host = Host::start("127.0.0.1", |_| Reply::Hang).await;
    let t = Timeouts { idle: Duration::from_millis(400), ..quick() };
    let started = Instant::now();
    let outcome = download(&f, 1, &host.url("/r"), &loopback_allowed(), t).await;
    assert!(matches!(&outcome, Outcome::Retry(w) if w.contains("did not answer")), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "cut after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_trickling_host_is_cut_at_the_deadline_and_the_partial_file_kept() {
    let f = fixture();
    let body = wav(100_000);
    let host = Host::start("127.0.0.1", move |_| Reply::Trickle(body.clone(), Duration::from_millis(20))).await;
    let t = Timeouts {
        idle: Duration::from_secs(5),
        deadline: Duration::from_millis(800),
        yield_slot: Duration::from_secs(5),
    };
    let url = host.url("/slow");
    let started = Instant::now();
    let outcome = download(&f, 1, &url, &loopback_allowed(), t).await;
    assert!(matches!(&outcome, Outcome::Retry(w) if w.contains("took longer than")), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "cut after {:?}", started.elapsed());
    let kept = std::fs::metadata(partial_file(&f, 1, &url)).map(|m| m.len()).unwrap_or(0);
    assert!(kept > 0, "what arrived is kept for the next attempt to resume");
}

#[tokio::test]
async fn a_resumed_download_appends_only_a_range_that_starts_where_the_file_ends() {
    let f = fixture();
    let body = wav(120_000);
    let half = body.len() / 2;

    // An honest host: resumed from the partial file's length.
    let served = body.clone();
    let host = Host::start("127.0.0.1", move |s| ranged(&served, s)).await;
    let url = host.url("/rec/honest.wav");
    std::fs::write(partial_file(&f, 1, &url), &body[..half]).expect("partial");
    assert_eq!(done_bytes(&download(&f, 1, &url, &loopback_allowed(), quick()).await), body);
    assert_eq!(host.seen()[0].range.as_deref(), Some(format!("bytes={half}-").as_str()));

    // A 206 from the wrong place (the whole file, labelled as such): not appended; started over.
    let served = body.clone();
    let host = Host::start("127.0.0.1", move |s| match s.range {
        Some(_) => Reply::Answer(
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Type: audio/wav\r\nContent-Range: bytes 0-{}/{}",
                served.len() - 1,
                served.len()
            ),
            served.clone(),
        ),
        None => ok(&served),
    })
    .await;
    let url = host.url("/rec/wrong-start.wav");
    std::fs::write(partial_file(&f, 2, &url), &body[..half]).expect("partial");
    let outcome = download(&f, 2, &url, &loopback_allowed(), quick()).await;
    assert_eq!(done_bytes(&outcome), body, "the file is whole, not half + whole");
    let ranges: Vec<_> = host.seen().into_iter().map(|s| s.range).collect();
    assert_eq!(ranges, [Some(format!("bytes={half}-")), None], "restarted from zero");

    // A 206 without any Content-Range: same.
    let served = body.clone();
    let host = Host::start("127.0.0.1", move |s| match s.range {
        Some(_) => {
            Reply::Answer("HTTP/1.1 206 Partial Content\r\nContent-Type: audio/wav".into(), served[10..].to_vec())
        }
        None => ok(&served),
    })
    .await;
    let url = host.url("/rec/no-range.wav");
    std::fs::write(partial_file(&f, 3, &url), &body[..half]).expect("partial");
    assert_eq!(done_bytes(&download(&f, 3, &url, &loopback_allowed(), quick()).await), body);

    // A 200 to the Range request (a host that ignores ranges): the whole file, from zero.
    let served = body.clone();
    let host = Host::start("127.0.0.1", move |_| ok(&served)).await;
    let url = host.url("/rec/no-ranges.wav");
    std::fs::write(partial_file(&f, 4, &url), &body[..half]).expect("partial");
    assert_eq!(done_bytes(&download(&f, 4, &url, &loopback_allowed(), quick()).await), body);
    assert_eq!(host.seen().len(), 1);
}

fn state(store: &Store, id: i64) -> super::Row {
    store.read(|c| super::get(c, id)).expect("read").expect("row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_silent_hosts_do_not_hold_up_a_good_recording() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = DataDir::resolve(Some(dir.path())).expect("data folder");
    let store = Arc::new(Store::open(&data.db_path()).expect("store"));
    let body = wav(40_000);
    let good = Host::start("127.0.0.1", move |s| ranged(&body, s)).await;
    let silent_a = Host::start("127.0.0.1", |_| Reply::Hang).await;
    let silent_b = Host::start("127.0.0.1", |_| Reply::Hang).await;
    {
        let conn = store.connect().expect("connect");
        // Newest calls are fetched first: both silent hosts take the two slots before the good one.
        super::note_url(&conn, 1, &good.url("/rec/good.wav"), 0).expect("queue");
        super::note_url(&conn, 2, &silent_a.url("/rec/a.wav"), 0).expect("queue");
        super::note_url(&conn, 3, &silent_b.url("/rec/b.wav"), 0).expect("queue");
    }
    let limits = VaultLimits {
        concurrency: 2,
        retry_base: Duration::from_secs(30),
        timeouts: Timeouts {
            idle: Duration::from_secs(3),
            deadline: Duration::from_secs(60),
            yield_slot: Duration::from_millis(300),
        },
        allow_private_hosts: vec!["127.0.0.1".into()],
        ..VaultLimits::default()
    };
    let vault = Vault::open(store.clone(), data.clone(), limits).expect("vault");
    let worker = tokio::spawn(vault.clone().run(None));

    let started = Instant::now();
    while state(&store, 1).state != "ready" {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the good recording waited behind silent hosts: {:?}",
            state(&store, 1)
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let ready_after = started.elapsed();
    assert_eq!(silent_a.seen().len() + silent_b.seen().len(), 2, "both silent hosts were asked first");

    // The silent ones are cut at the idle timeout and queued again with back-off.
    while [2, 3].iter().any(|id| state(&store, *id).state == "downloading") {
        assert!(started.elapsed() < Duration::from_secs(8), "silent hosts were never cut");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in [2, 3] {
        let r = state(&store, id);
        assert_eq!(r.state, "queued", "{r:?}");
        assert!(r.error.as_deref().is_some_and(|e| e.contains("did not answer") && e.contains("retrying in")), "{r:?}");
        assert!(r.next_attempt_ms > crate::time::now_ms() + 20_000, "retried later, with back-off: {r:?}");
    }
    vault.stop();
    let _ = worker.await;
    eprintln!("good recording ready after {ready_after:?} behind two silent hosts");
}
