//! The recording vault through the real `postcall serve`: webhooks carry `recording_url`s that
//! point at a local recording host serving speech generated here (espeak-ng → MP3 and AAC/M4A).
//! Checked: the download lands whole and is described by its bytes, a broken connection is
//! resumed with a Range request, 404 / HTML / oversized / non-http URLs fail with the reason,
//! the Intellixent API key never goes to a host over http, private hosts are refused unless
//! allowed, a repeated URL is not downloaded twice, a changed URL is, `recordings fetch` retries,
//! and retention removes files but never calls. (The tests' helpers allow 127.0.0.1 by default.)

use std::path::Path;
use std::time::{Duration, Instant};

use postcall_tests::audio::{probe_duration, speech, Behaviour, RecordingHost};
use postcall_tests::{cli, cli_json, data_dir, post_json, secret, show, small_call, Server};
use serde_json::Value;

/// Fast retries so a resumed download does not wait for the production back-off.
const ENV: &[(&str, &str)] = &[("POSTCALL_RECORDING_RETRY_MS", "200")];

fn serve(data: &Path, env: &[(&str, &str)]) -> Server {
    let mut all = ENV.to_vec();
    all.extend_from_slice(env);
    Server::start_env(data, &["--secret".into(), secret()], &all)
}

fn deliver(server: &Server, id: i64, url: &str) {
    let mut call = small_call(id);
    call["recording_url"] = url.into();
    let (status, body) = post_json(&server.url, &call);
    assert_eq!(status, 200, "{body}");
}

/// Polls `show ID --json` until the recording reaches a settled state (ready / failed / none).
fn settled(data: &Path, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = show(data, id)["recording"].clone();
        if ["ready", "failed", "none"].contains(&r["state"].as_str().unwrap_or("")) {
            return r;
        }
        assert!(Instant::now() < deadline, "call {id}'s recording did not settle: {r}");
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn downloads_describes_and_never_fetches_the_same_url_twice() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "a", "Hello, this is the assistant calling about your order.", "mp3", 4.0);
    let m4a = speech(media.path(), "b", "Thanks for calling. Goodbye.", "m4a", 3.0);
    let host = RecordingHost::start();
    let mp3_bytes = std::fs::read(&mp3).expect("mp3");
    let m4a_bytes = std::fs::read(&m4a).expect("m4a");
    // Served as octet-stream, named .bin: the format must come from the bytes.
    let mp3_url = host.put("a.bin", mp3_bytes.clone(), "application/octet-stream", Behaviour::Serve);
    let m4a_url = host.put("b.mp4", m4a_bytes.clone(), "audio/mp4", Behaviour::Serve);

    let data = data_dir();
    let server = serve(data.path(), &[]);
    deliver(&server, 1, &mp3_url);
    deliver(&server, 2, &m4a_url);

    let r = settled(data.path(), 1);
    assert_eq!(r["state"], "ready", "{r}");
    assert_eq!(r["content_type"], "audio/mpeg");
    assert_eq!(r["format"], "MP3");
    assert_eq!(r["bytes"], mp3_bytes.len());
    assert_eq!(r["has_peaks"], true);
    let d = r["duration_seconds"].as_f64().expect("duration");
    assert!((d - probe_duration(&mp3)).abs() < 0.15, "duration {d} vs ffprobe {}", probe_duration(&mp3));
    let path = r["path"].as_str().expect("path");
    assert!(path.starts_with(&data.path().join("recordings").display().to_string()), "{path}");
    assert_eq!(std::fs::read(path).expect("vault copy"), mp3_bytes, "the vault holds the exact bytes");

    let r = settled(data.path(), 2);
    assert_eq!((r["state"].as_str(), r["content_type"].as_str()), (Some("ready"), Some("audio/mp4")), "{r}");
    assert_eq!(r["format"], "AAC (M4A)");
    assert!(r["path"].as_str().expect("path").ends_with(".m4a"));
    let d = r["duration_seconds"].as_f64().expect("duration");
    assert!((d - probe_duration(&m4a)).abs() < 0.15, "m4a duration {d}");

    // The same URL again (a repeated delivery): nothing is downloaded.
    deliver(&server, 1, &mp3_url);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(host.requests("a.bin").len(), 1, "a repeated delivery with the same URL does not download again");
    assert_eq!(show(data.path(), 1)["recording"]["state"], "ready");

    // A changed URL fetches the new file; the old copy goes.
    let m4a_for_1 = host.put("a2.m4a", m4a_bytes.clone(), "audio/mp4", Behaviour::Serve);
    deliver(&server, 1, &m4a_for_1);
    let deadline = Instant::now() + Duration::from_secs(30);
    let r = loop {
        let r = show(data.path(), 1)["recording"].clone();
        if r["state"] == "ready" && r["url"] == m4a_for_1.as_str() {
            break r;
        }
        assert!(Instant::now() < deadline, "the changed URL was not fetched: {r}");
        std::thread::sleep(Duration::from_millis(150));
    };
    assert_eq!(host.requests("a2.m4a").len(), 1);
    assert_eq!(std::fs::read(r["path"].as_str().expect("path")).expect("new copy"), m4a_bytes);
    assert!(!Path::new(path).exists(), "the old MP3 copy was removed");

    let status = cli_json(data.path(), &["recordings", "status"]);
    assert_eq!((status["ready"].as_i64(), status["failed"].as_i64()), (Some(2), Some(0)), "{status}");
    assert_eq!(status["bytes"].as_u64(), Some((m4a_bytes.len() * 2) as u64));
}

#[test]
fn a_broken_download_resumes_with_a_range_request() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "r", "This recording is cut in half the first time it is sent.", "mp3", 20.0);
    let bytes = std::fs::read(&mp3).expect("mp3");
    let host = RecordingHost::start();
    let url = host.put("r.mp3", bytes.clone(), "audio/mpeg", Behaviour::BreakFirst);
    let data = data_dir();
    let server = serve(data.path(), &[]);
    deliver(&server, 7, &url);
    let r = settled(data.path(), 7);
    assert_eq!(r["state"], "ready", "{r}");
    let log = host.requests("r.mp3");
    assert!(log.len() >= 2, "{log:?}");
    assert_eq!(log[0].range, None);
    let resumed_from: usize = log[1]
        .range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the second request resumes with a Range: {log:?}"));
    assert!(resumed_from > 0 && resumed_from <= bytes.len() / 2, "resumed from {resumed_from}");
    assert_eq!(log[1].status, 206);
    assert_eq!(std::fs::read(r["path"].as_str().expect("path")).expect("copy"), bytes, "resumed file is whole");
    assert!(r["attempts"].as_i64().expect("attempts") >= 2);
}

#[test]
fn failures_say_why_and_can_be_retried() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "f", "One two three four five six seven eight nine ten.", "mp3", 8.0);
    let bytes = std::fs::read(&mp3).expect("mp3");
    let host = RecordingHost::start();
    let missing = host.put("gone.mp3", Vec::new(), "audio/mpeg", Behaviour::Missing);
    let html = host.put("login.mp3", Vec::new(), "text/html", Behaviour::Html);
    let big = host.put("big.mp3", bytes.clone(), "audio/mpeg", Behaviour::Serve);
    let data = data_dir();
    let limit = (bytes.len() / 2).to_string();
    let server = serve(data.path(), &[("POSTCALL_RECORDING_MAX_BYTES", &limit)]);
    deliver(&server, 11, &missing);
    deliver(&server, 12, &html);
    deliver(&server, 13, &big);
    deliver(&server, 14, "ftp://example.test/r.mp3");

    let why = |id| {
        let r = settled(data.path(), id);
        assert_eq!(r["state"], "failed", "call {id}: {r}");
        assert_eq!(r["path"], Value::Null);
        r["error"].as_str().expect("a reason").to_string()
    };
    let e = why(11);
    assert!(e.contains("does not exist") && e.contains("404"), "{e}");
    let e = why(12);
    assert!(e.to_lowercase().contains("html"), "{e}");
    let e = why(13);
    assert!(e.contains("limit"), "{e}");
    let e = why(14);
    assert!(e.contains("http"), "{e}");
    assert_eq!(host.requests("gone.mp3").len(), 1, "a 404 is not retried on its own");
    let listing = std::fs::read_dir(data.path().join("recordings")).expect("vault").flatten().count();
    assert_eq!(listing, 1, "only the .partial folder: nothing half-written in the vault");

    let status = cli(data.path(), &["recordings", "status"]);
    status.ok();
    assert!(
        status.stdout.contains("failed       4") && status.stdout.contains("postcall recordings fetch"),
        "{}",
        status.stdout
    );

    // The host has it now: `recordings fetch ID` retries and waits for it.
    host.put("gone.mp3", bytes.clone(), "audio/mpeg", Behaviour::Serve);
    drop(server);
    let run = cli(data.path(), &["recordings", "fetch", "11"]);
    run.ok();
    assert!(run.stdout.contains("call 11: ready, MP3"), "{}", run.stdout);
    assert_eq!(show(data.path(), 11)["recording"]["state"], "ready");
    let run = cli(data.path(), &["recordings", "fetch", "12"]);
    run.fails();
    assert!(run.stderr.contains("could not be downloaded"), "{}", run.stderr);
}

#[test]
fn the_api_key_never_goes_to_a_recording_host_over_http() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "k", "This one needs signing in.", "mp3", 3.0);
    let host = RecordingHost::start();
    let url = host.put("k.mp3", std::fs::read(&mp3).expect("mp3"), "audio/mpeg", Behaviour::Bearer("sk-rec-42".into()));
    let data = data_dir();
    // The recording host is even the configured Intellixent API host: over http it gets no key.
    let sync = serde_json::json!({ "api_base": format!("{}/api", host.base) });
    std::fs::write(data.path().join("sync-settings.json"), sync.to_string()).expect("sync settings");
    let server = serve(data.path(), &[("POSTCALL_INTELLIXENT_API_KEY", "sk-rec-42")]);
    deliver(&server, 21, &url);
    let r = settled(data.path(), 21);
    assert_eq!(r["state"], "failed", "{r}");
    let why = r["error"].as_str().expect("reason");
    assert!(why.contains("401") && why.contains("only sent over https"), "{why}");
    let log = host.requests("k.mp3");
    assert_eq!(log.iter().map(|l| l.status).collect::<Vec<_>>(), [401], "{log:?}");
    assert!(log.iter().all(|l| l.authorization.is_none()), "the key never reached the host: {log:?}");
    let stderr = server.stderr();
    assert!(!stderr.contains("sk-rec-42"), "the key never reaches the log: {stderr}");
    drop(server);

    // An arbitrary host answering 401 gets no key either, and the reason says what to do.
    let data = data_dir();
    let server = serve(data.path(), &[("POSTCALL_INTELLIXENT_API_KEY", "sk-rec-42")]);
    let url = host.put("k2.mp3", std::fs::read(&mp3).expect("mp3"), "audio/mpeg", Behaviour::Bearer("x".into()));
    deliver(&server, 22, &url);
    let r = settled(data.path(), 22);
    let why = r["error"].as_str().expect("reason");
    assert!(why.contains("API key") && why.contains("Settings → Recordings"), "{r}");
    assert!(host.requests("k2.mp3").iter().all(|l| l.authorization.is_none()));
}

#[test]
fn private_recording_hosts_are_refused_unless_allowed() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "p", "A recording on a private address.", "mp3", 2.0);
    let host = RecordingHost::start();
    let url = host.put("p.mp3", std::fs::read(&mp3).expect("mp3"), "audio/mpeg", Behaviour::Serve);
    let data = data_dir();
    // An empty allow-list: nothing private is allowed.
    let server = serve(data.path(), &[("POSTCALL_ALLOW_PRIVATE_HOSTS", "")]);
    deliver(&server, 51, &url);
    let r = settled(data.path(), 51);
    assert_eq!(r["state"], "failed", "{r}");
    let why = r["error"].as_str().expect("reason");
    assert!(
        why.contains("refused")
            && why.contains("private address 127.0.0.1")
            && why.contains("Settings → Recordings")
            && why.contains("POSTCALL_ALLOW_PRIVATE_HOSTS"),
        "{why}"
    );
    assert!(host.requests("p.mp3").is_empty(), "nothing was sent to the refused host");
    drop(server);

    // Allowed in Settings (and still not in the environment): `recordings fetch` gets it.
    std::fs::write(data.path().join("settings.json"), r#"{"recordings_allow_private_hosts": ["127.0.0.1"]}"#)
        .expect("settings");
    let out = postcall_tests::command()
        .env("POSTCALL_ALLOW_PRIVATE_HOSTS", "")
        .arg("--data-dir")
        .arg(data.path())
        .args(["recordings", "fetch", "51"])
        .output()
        .expect("run postcall");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(show(data.path(), 51)["recording"]["state"], "ready");
    assert_eq!(host.requests("p.mp3").len(), 1);
}

#[test]
fn retention_removes_recordings_but_keeps_calls() {
    let media = tempfile::tempdir().expect("tempdir");
    let host = RecordingHost::start();
    let data = data_dir();
    let server = serve(data.path(), &[]);
    let mut paths = Vec::new();
    for id in 31..=33 {
        let f = speech(media.path(), &format!("p{id}"), &format!("Call number {id}."), "mp3", 2.0);
        let url = host.put(&format!("p{id}.mp3"), std::fs::read(&f).expect("mp3"), "audio/mpeg", Behaviour::Serve);
        deliver(&server, id, &url);
        let r = settled(data.path(), id);
        assert_eq!(r["state"], "ready", "{r}");
        paths.push(r["path"].as_str().expect("path").to_string());
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(server);
    let run = cli(data.path(), &["recordings", "prune"]);
    run.fails();
    assert!(run.stderr.contains("--max-gb"), "without a setting it says how: {}", run.stderr);
    // Room for one recording: the two oldest go.
    let one = std::fs::metadata(&paths[2]).expect("meta").len() as f64 * 1.5 / 1e9;
    let report = cli_json(data.path(), &["recordings", "prune", "--max-gb", &format!("{one:.12}"), "--dry-run"]);
    assert_eq!(report["removed"], 2);
    assert!(Path::new(&paths[0]).exists(), "a dry run removes nothing");
    let report = cli_json(data.path(), &["recordings", "prune", "--max-gb", &format!("{one:.12}")]);
    assert_eq!(report["removed"], 2, "{report}");
    assert!(!Path::new(&paths[0]).exists() && !Path::new(&paths[1]).exists() && Path::new(&paths[2]).exists());
    for id in [31, 32] {
        let call = show(data.path(), id);
        assert_eq!(call["id"], id, "the call is kept");
        assert_eq!(call["recording"]["state"], "none");
        assert!(call["recording"]["error"].as_str().expect("why").contains("retention"));
        assert!(call["recording"]["media_url"].as_str().is_some(), "the remote URL can still be played");
    }
    assert_eq!(show(data.path(), 33)["recording"]["state"], "ready");
}

#[test]
fn an_unreachable_host_pauses_the_queue_without_using_up_attempts() {
    // A loopback port nothing listens on refuses every connection, as any host does for a
    // computer that is offline.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let data = data_dir();
    // Retries from 200 ms: the pauses are 0.2, 0.4, 0.8, 1.6 s…
    let server = serve(data.path(), &[]);
    let ids: Vec<i64> = (501..=530).collect();
    for &id in &ids {
        deliver(&server, id, &format!("http://127.0.0.1:{port}/rec/r{id}.mp3"));
    }
    std::thread::sleep(Duration::from_secs(3));
    let db = rusqlite::Connection::open_with_flags(
        data.path().join("postcall.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the database");
    let (tried, attempts, failed): (i64, i64, i64) = db
        .query_row(
            "SELECT count(error), ifnull(sum(attempts), 0), count(*) FILTER (WHERE state = 'failed') FROM recordings",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("recordings");
    // Each recording failing on its own would have tried all 30 within milliseconds, and again
    // after each one's back-off, using up their attempts towards "gave up".
    assert!((1..=12).contains(&tried), "{tried} of 30 recordings were tried while the host was unreachable");
    assert_eq!((attempts, failed), (0, 0), "an unreachable host is not the recordings' fault");
    let note: String =
        db.query_row("SELECT error FROM recordings WHERE error IS NOT NULL LIMIT 1", [], |r| r.get(0)).expect("a note");
    assert!(note.contains("cannot be reached") && note.contains("trying again in"), "{note}");

    // The host comes back: every recording arrives without anyone asking.
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = std::fs::read(speech(media.path(), "u", "Back online.", "mp3", 1.0)).expect("mp3");
    let host = RecordingHost::start_on(port);
    for &id in &ids {
        host.put(&format!("r{id}.mp3"), mp3.clone(), "audio/mpeg", Behaviour::Serve);
    }
    for &id in &ids {
        let r = settled(data.path(), id);
        assert_eq!(r["state"], "ready", "call {id}: {r}");
    }
    drop(server);
}

#[test]
fn with_automatic_download_off_nothing_is_fetched_until_asked() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "o", "Only when asked.", "mp3", 2.0);
    let host = RecordingHost::start();
    let url = host.put("o.mp3", std::fs::read(&mp3).expect("mp3"), "audio/mpeg", Behaviour::Serve);
    let data = data_dir();
    std::fs::write(data.path().join("settings.json"), r#"{"recordings_auto_download": false}"#).expect("settings");
    // An imported call feeds the vault like a webhook does.
    let mut call = small_call(41);
    call["recording_url"] = url.as_str().into();
    let file = media.path().join("calls.json");
    std::fs::write(&file, serde_json::to_vec(&call).expect("json")).expect("write");
    cli(data.path(), &["import", file.to_str().expect("path")]).ok();

    let server = serve(data.path(), &[]);
    let r = settled(data.path(), 41);
    assert_eq!(r["state"], "none", "not downloaded while automatic download is off: {r}");
    assert_eq!(r["media_url"].as_str(), Some(url.as_str()), "the remote URL can still be played");
    std::thread::sleep(Duration::from_millis(500));
    assert!(host.requests("o.mp3").is_empty(), "nothing was fetched");
    drop(server);

    let run = cli(data.path(), &["recordings", "fetch", "41"]);
    run.ok();
    assert_eq!(show(data.path(), 41)["recording"]["state"], "ready");
    assert_eq!(host.requests("o.mp3").len(), 1);
}

#[test]
fn a_silent_host_is_cut_after_the_configured_idle_time() {
    // A host that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for conn in silent.incoming().take(4).flatten() {
            open.push(conn);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let data = data_dir();
    let server = serve(data.path(), &[("POSTCALL_RECORDING_IDLE_SECS", "1")]);
    let started = Instant::now();
    deliver(&server, 21, &format!("http://127.0.0.1:{port}/r.mp3"));
    let error = loop {
        let r = show(data.path(), 21)["recording"].clone();
        if let Some(e) = r["error"].as_str() {
            break e.to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no error after {:?}: {r}", started.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    };
    // The default would wait 30 s before cutting the attempt.
    assert!(started.elapsed() < Duration::from_secs(10), "cut after {:?}", started.elapsed());
    assert!(error.contains("1 s"), "the reason names the wait: {error}");
    drop(server);
    drop(held);
}
