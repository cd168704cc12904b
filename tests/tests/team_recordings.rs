//! Recordings in team mode, black-box: the receiver (`postcall serve --team`) downloads a
//! call's recording from a loopback recording host into its vault and puts it into the object
//! store `POSTCALL_RECORDINGS` of a real `nats-server` running the shipped permission model (an
//! upload that fails while the server is down waits in the outbox and goes up when it is back).
//! With the recording host gone, a reviewer's laptop gets the same bytes from the object store,
//! digest checked, analysed for playback; a copy whose digest does not match is refused with the
//! reason.

use std::path::Path;
use std::time::{Duration, Instant};

use postcall_tests::audio::{speech, Behaviour, RecordingHost};
use postcall_tests::nats::{serve_team_args, shipped_config, NatsServer};
use postcall_tests::{cli_json, data_dir, post_json, show, small_call, Server};
use serde_json::Value;

const CALL: i64 = 31;
/// The passwords of the shipped configuration's users, as the tests set them.
const ENV: &[(&str, &str)] = &[("RECEIVER_PW", "receiver-pw"), ("ALICE_PW", "alice-pw")];

/// Polls `what` until `done` holds for it, or panics with the last value after `limit`.
fn wait_for(limit: Duration, mut what: impl FnMut() -> Value, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let v = what();
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "not reached within {limit:?}: {v}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `postcall --data-dir DATA ARGS…` on a laptop, whose downloads retry at once and give up
/// fast: a recording that only the (gone) recording host has fails within a second.
fn on_laptop(data: &Path, args: &[&str]) -> postcall_tests::Run {
    let mut env = ENV.to_vec();
    env.push(("POSTCALL_RECORDING_RETRY_MS", "1"));
    postcall_tests::cli_env(data, args, &env)
}

fn team_status(data: &Path) -> Value {
    cli_json(data, &["team", "status"])
}

/// Alice's laptop, joined to the team and with its calls replayed.
fn laptop(nats: &NatsServer) -> tempfile::TempDir {
    let dir = data_dir();
    on_laptop(dir.path(), &["team", "join", &nats.url(), "--user", "alice", "--password-env", "ALICE_PW"]).ok();
    let report = cli_json(dir.path(), &["team", "sync", "--once"]);
    assert_eq!(report["calls_seq"], 1, "{report}");
    dir
}

/// Rewrites the object's metadata in the store with another digest (as the receiver, the one
/// user that may write there), as a damaged copy would look to a reader.
fn corrupt_digest(nats: &NatsServer, call: i64) {
    use base64::Engine as _;
    let name = base64::engine::general_purpose::URL_SAFE.encode(call.to_string());
    let subject = format!("$O.POSTCALL_RECORDINGS.M.{name}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = async_nats::ConnectOptions::with_user_and_password("receiver".into(), "receiver-pw".into())
            .connect(nats.url())
            .await
            .expect("connect as the receiver");
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream("OBJ_POSTCALL_RECORDINGS").await.expect("the object store's stream");
        let meta = stream.get_last_raw_message_by_subject(&subject).await.expect("the object's metadata");
        let mut info: Value = serde_json::from_slice(&meta.payload).expect("metadata JSON");
        info["digest"] = "SHA-256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Rollup", "sub");
        js.publish_with_headers(subject, headers, info.to_string().into())
            .await
            .expect("publish")
            .await
            .expect("stored");
    });
}

#[test]
fn a_recording_reaches_a_laptop_from_the_object_store_with_its_digest_checked() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "team", "This call's recording travels through the team server.", "mp3", 3.0);
    let audio = std::fs::read(&mp3).expect("mp3");
    let host = RecordingHost::start();
    let url = host.put("team.mp3", audio.clone(), "audio/mpeg", Behaviour::Serve);

    // JetStream is down when the receiver has the recording: the upload waits, counted.
    let mut nats = NatsServer::start_with_config(Some(&shipped_config()));
    nats.kill9();
    let server_dir = data_dir();
    let server = Server::start_env(
        server_dir.path(),
        &serve_team_args(&nats.url(), "receiver", "RECEIVER_PW"),
        &[ENV, &[("POSTCALL_RECORDING_RETRY_MS", "200")]].concat(),
    );
    let mut call = small_call(CALL);
    call["recording_url"] = url.as_str().into();
    assert_eq!(post_json(&server.url, &call).0, 200);
    let r = wait_for(
        Duration::from_secs(60),
        || show(server_dir.path(), CALL)["recording"].clone(),
        |r| r["state"] == "ready",
    );
    assert_eq!(r["bytes"], audio.len(), "{r}");
    let st = team_status(server_dir.path());
    assert_eq!((st["role"].as_str(), st["pending_recordings"].as_i64()), (Some("receiver"), Some(1)), "{st}");

    nats.restart();
    let st = wait_for(
        Duration::from_secs(90),
        || team_status(server_dir.path()),
        |s| s["pending_recordings"] == 0 && s["pending"] == 0,
    );
    assert_eq!(st["pending_calls"], 0, "{st}");
    assert_eq!(host.requests("team.mp3").len(), 1, "only the receiver asked the recording host");
    // The recording host goes away (the laptop could not reach it anyway).
    drop(host);

    let a = laptop(&nats);
    let before = show(a.path(), CALL)["recording"].clone();
    assert_eq!(before["state"], "queued", "replayed with its recording URL, not fetched yet: {before}");
    let fetched = on_laptop(a.path(), &["recordings", "fetch", &CALL.to_string(), "--json"]).json();
    assert_eq!(fetched[0]["state"], "ready", "{fetched}");
    let r = show(a.path(), CALL)["recording"].clone();
    assert_eq!((r["state"].as_str(), r["format"].as_str()), (Some("ready"), Some("MP3")), "{r}");
    assert_eq!(r["bytes"], audio.len());
    assert_eq!(r["has_peaks"], true, "analysed for the player: {r}");
    let on_server = show(server_dir.path(), CALL)["recording"].clone();
    assert_eq!(r["duration_seconds"], on_server["duration_seconds"], "the same duration as on the receiver");
    let path = r["path"].as_str().expect("a path in the vault");
    assert!(path.starts_with(&a.path().join("recordings").display().to_string()), "{path}");
    assert_eq!(std::fs::read(path).expect("the laptop's copy"), audio, "byte for byte the recording");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private like every recording");
    }
    let vault = cli_json(a.path(), &["recordings", "status"]);
    assert_eq!((vault["ready"].as_i64(), vault["failed"].as_i64()), (Some(1), Some(0)), "{vault}");

    // A copy whose digest does not match its bytes is refused, with the reason on the recording.
    corrupt_digest(&nats, CALL);
    let b = laptop(&nats);
    let run = on_laptop(b.path(), &["recordings", "fetch", &CALL.to_string()]);
    run.fails();
    let r = show(b.path(), CALL)["recording"].clone();
    assert_eq!(r["state"], "failed", "{r}");
    let why = r["error"].as_str().unwrap_or("");
    assert!(why.contains("digest check"), "the error says why: {r}");
    assert_eq!(r["path"], Value::Null, "{r}");
    let kept: Vec<_> = std::fs::read_dir(b.path().join("recordings"))
        .expect("vault folder")
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name())
        .collect();
    assert!(kept.is_empty(), "no file is kept: {kept:?}");
    drop(server);
}
