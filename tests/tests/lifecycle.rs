//! The server's lifecycle: a 2xx survives `kill -9`, SIGTERM finishes the requests in flight and
//! exits 0, and the webhook secret is generated once, kept, and validated.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postcall_tests::{call_ids_in_db, cli, cli_json, command, data_dir, post_json, secret, small_call, Server};
use serde_json::json;

/// Fires webhooks with distinct ids from `tasks` concurrent clients until `stop`; returns the ids
/// that were acknowledged with a 2xx.
async fn hammer(url: String, round: i64, tasks: i64, stop: Arc<AtomicBool>) -> BTreeSet<i64> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut set = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let (client, url, stop, acked) = (client.clone(), url.clone(), stop.clone(), acked.clone());
        set.spawn(async move {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                seq += 1;
                let id = round * 10_000_000 + t * 100_000 + seq;
                let body = serde_json::to_vec(&small_call(id)).expect("json");
                match client.post(&url).header("content-type", "application/json").body(body).send().await {
                    Ok(resp) if resp.status().is_success() => {
                        // Only a complete 2xx counts as an acknowledgement.
                        if resp.bytes().await.is_ok() {
                            acked.lock().expect("lock").insert(id);
                        }
                    }
                    Ok(resp) => panic!("unexpected status {} for call {id}", resp.status()),
                    // The server was killed: requests fail from here on.
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("client task");
    }
    let out = acked.lock().expect("lock").clone();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_webhook_survives_kill_9() {
    let dir = data_dir();
    let secret = secret();
    let mut all_acked = BTreeSet::new();
    for round in 1..=5i64 {
        let mut server = Server::start(dir.path(), &secret, &[]);
        let stop = Arc::new(AtomicBool::new(false));
        let load = tokio::spawn(hammer(server.url.clone(), round, 16, stop.clone()));
        // Kill at a slightly different moment each round, mid-load.
        tokio::time::sleep(Duration::from_millis(1100 + 150 * round as u64)).await;
        server.kill9();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, Ordering::Relaxed);
        let acked = load.await.expect("load task");
        assert!(acked.len() > 20, "round {round}: the load got going ({} acknowledged)", acked.len());
        all_acked.extend(acked.iter().copied());
        eprintln!("round {round}: {} webhooks acknowledged before kill -9", acked.len());

        // Restart on the same folder: it opens, recovers, and holds every acknowledged call.
        let server = Server::start(dir.path(), &secret, &[]);
        let stored = call_ids_in_db(dir.path());
        let lost: Vec<&i64> = all_acked.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} acknowledged calls are missing after kill -9, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(10)]
        );
        // And it keeps working.
        let probe = round * 10_000_000 + 9_999_999;
        let url = server.url.clone();
        let (status, _) =
            tokio::task::spawn_blocking(move || post_json(&url, &small_call(probe))).await.expect("probe");
        assert_eq!(status, 200, "round {round}: the restarted server accepts webhooks");
        drop(server);
    }
    // The CLI agrees with the database on a sample of them.
    for id in all_acked.iter().step_by((all_acked.len() / 5).max(1)) {
        let d = cli_json(dir.path(), &["show", &id.to_string()]);
        assert_eq!(d["id"], *id);
    }
}

/// Starts a request whose body is only half sent, so it is in flight for certain.
fn half_sent(port: u16, secret: &str, id: i64) -> std::net::TcpStream {
    let body = serde_json::to_vec(&small_call(id)).expect("json");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let head = format!(
        "POST /hooks/{secret} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write head");
    s.write_all(&body[..body.len() / 2]).expect("write half");
    s.flush().expect("flush");
    // Keep the second half for later: stash it in the stream's peer by writing it after SIGTERM.
    s
}

#[test]
fn sigterm_finishes_requests_in_flight_and_exits_0() {
    let dir = data_dir();
    let mut server = Server::start(dir.path(), &secret(), &[]);
    let ids: Vec<i64> = (1..=8).map(|i| 500 + i).collect();
    let streams: Vec<(i64, std::net::TcpStream)> =
        ids.iter().map(|&id| (id, half_sent(server.port, &server.secret, id))).collect();
    // Let the server read the heads, then ask it to stop.
    std::thread::sleep(Duration::from_millis(300));
    server.sigterm();
    std::thread::sleep(Duration::from_millis(300));
    let mut answers = Vec::new();
    for (id, mut s) in streams {
        let body = serde_json::to_vec(&small_call(id)).expect("json");
        s.write_all(&body[body.len() / 2..]).expect("write the rest after SIGTERM");
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("read the answer");
        answers.push((id, resp));
    }
    for (id, resp) in &answers {
        assert!(resp.starts_with("HTTP/1.1 200"), "call {id}: the request in flight was answered: {resp:?}");
    }
    let started = Instant::now();
    let status = server.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "graceful exit 0; stderr:\n{}", server.stderr());
    assert!(started.elapsed() < Duration::from_secs(12));
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
    let stored = call_ids_in_db(dir.path());
    for id in ids {
        assert!(stored.contains(&id), "call {id} answered 200 and is stored");
    }
}

#[test]
fn the_secret_is_generated_once_and_reused() {
    let dir = data_dir();
    let first = Server::start_with(dir.path(), &[]);
    let s = first.secret.clone();
    assert!(s.len() >= 22, "at least 128 bits: {s:?}");
    assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe: {s:?}");
    assert_eq!(post_json(&first.url, &small_call(1)).0, 200, "the printed URL works");
    drop(first);
    let kept = std::fs::read_dir(dir.path())
        .expect("read data dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(&s)));
    assert!(kept, "the secret is stored in the data folder");

    let second = Server::start_with(dir.path(), &[]);
    assert_eq!(second.secret, s, "the stored secret is reused on the next run");
    assert_eq!(post_json(&second.url, &small_call(2)).0, 200);
    drop(second);

    // --secret overrides it for that run; the old URL is not accepted then.
    let other = secret();
    let third = Server::start(dir.path(), &other, &[]);
    assert_eq!(third.secret, other);
    let old_url = format!("{}/hooks/{s}", third.base());
    assert_eq!(post_json(&old_url, &small_call(3)).0, 404);
    drop(third);

    // So does POSTCALL_SECRET.
    let env_secret = secret();
    let mut cmd = command();
    cmd.env("POSTCALL_SECRET", &env_secret).args(["serve", "--bind", "127.0.0.1:0", "--data-dir"]).arg(dir.path());
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn");
    let mut line = String::new();
    {
        use std::io::BufRead;
        let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        while reader.read_line(&mut line).expect("read") > 0 && !line.contains("Webhook URL") {
            line.clear();
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.trim_end().ends_with(&format!("/hooks/{env_secret}")), "POSTCALL_SECRET is used: {line:?}");
}

#[test]
fn a_short_secret_is_refused_clearly() {
    let dir = data_dir();
    let r = {
        let out = command()
            .args(["serve", "--bind", "127.0.0.1:0", "--secret", "short", "--data-dir"])
            .arg(dir.path())
            .output()
            .expect("run");
        postcall_tests::Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    r.fails();
    assert!(r.stderr.contains("secret"), "the message names the problem: {}", r.stderr);
    let r = cli(dir.path(), &["serve", "--bind", "127.0.0.1:0", "--secret", "has spaces and is long enough!!"]);
    r.fails();
}

#[test]
fn healthz_answers_while_serving() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    let resp = postcall_tests::http().get(format!("{}/healthz", server.base())).send().expect("healthz");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(post_json(&server.url, &json!({"id": 1})).0, 200, "a bare id is enough");
}

#[test]
fn a_second_writer_names_the_process_holding_the_folder_and_readers_keep_working() {
    let dir = data_dir();
    let server = Server::start(dir.path(), &secret(), &[]);
    assert_eq!(post_json(&server.url, &small_call(71)).0, 200);
    let files = data_dir();
    let file = files.path().join("import.json");
    std::fs::write(&file, serde_json::to_vec(&small_call(72)).expect("json")).expect("write");
    // Another writer (an import, a second serve) is refused, with who holds the folder.
    let import = cli(dir.path(), &["import", file.to_str().expect("path")]);
    import.fails();
    assert_eq!(import.status.code(), Some(75), "EX_TEMPFAIL: {}", import.stderr);
    assert!(import.stderr.contains(&format!("pid {}", server.pid())), "{}", import.stderr);
    assert!(import.stderr.contains("serve"), "the holder's command: {}", import.stderr);
    let second = cli(dir.path(), &["serve", "--bind", "127.0.0.1:0", "--secret", &secret()]);
    assert_eq!(second.status.code(), Some(75), "{}", second.stderr);
    assert!(second.stderr.contains("in use by another Postcall"), "{}", second.stderr);
    assert!(!second.stderr.contains(&server.secret), "no secret in the message");
    // Readers work beside the writer.
    let calls = cli_json(dir.path(), &["calls"]);
    assert_eq!(calls.as_array().map(Vec::len), Some(1), "{calls}");
    cli(dir.path(), &["show", "71"]).ok();
    cli(dir.path(), &["search", "test"]).ok();
    cli(dir.path(), &["export"]).ok();
    // Once the holder is gone, the folder is free again.
    drop(server);
    cli(dir.path(), &["import", file.to_str().expect("path")]).ok();
    assert_eq!(call_ids_in_db(dir.path()), [71, 72].into_iter().collect());
}

#[test]
fn a_dead_indexer_makes_healthz_and_webhooks_answer_503() {
    let dir = data_dir();
    let secret = secret();
    let server =
        Server::start_env(dir.path(), &["--secret".into(), secret.clone()], &[("POSTCALL_FAULT_INDEX", "panic:81")]);
    assert_eq!(post_json(&server.url, &small_call(80)).0, 200);
    // The indexer dies on call 81 (journaled and acknowledged before it is indexed).
    assert_eq!(post_json(&server.url, &small_call(81)).0, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    let health = loop {
        let resp = postcall_tests::http().get(format!("{}/healthz", server.base())).send().expect("healthz");
        let status = resp.status().as_u16();
        if status != 200 || Instant::now() > deadline {
            break (status, resp.json::<serde_json::Value>().expect("json"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(health.0, 503, "{}", health.1);
    assert!(health.1["error"].as_str().unwrap_or("").contains("indexer thread stopped"), "{}", health.1);
    let (status, body) = post_json(&server.url, &small_call(82));
    assert_eq!(status, 503, "not acknowledged into a pipeline that cannot index: {body}");
    drop(server);
    // Restarted without the fault, the journaled call 81 is replayed; 82 was never taken.
    let server = Server::start(dir.path(), &secret, &[]);
    assert_eq!(call_ids_in_db(dir.path()), [80, 81].into_iter().collect());
    drop(server);
}

#[test]
fn the_secret_can_come_from_a_file_and_a_damaged_stored_secret_is_not_replaced() {
    let dir = data_dir();
    let files = data_dir();
    let file = files.path().join("secret");
    let s = secret();
    std::fs::write(&file, format!("{s}\n")).expect("write");
    let server = Server::start_with(dir.path(), &["--secret-file".into(), file.display().to_string()]);
    assert_eq!(server.secret, s, "--secret-file");
    drop(server);
    let server = Server::start_env(dir.path(), &[], &[("POSTCALL_SECRET_FILE", file.to_str().expect("path"))]);
    assert_eq!(server.secret, s, "POSTCALL_SECRET_FILE");
    drop(server);
    // A stored secret that is damaged or unreadable: an error naming the file, never a new secret.
    let stored = dir.path().join("webhook-secret");
    std::fs::write(&stored, "not a secret!").expect("damage the stored secret");
    let r = cli(dir.path(), &["serve", "--bind", "127.0.0.1:0"]);
    r.fails();
    assert!(r.stderr.contains(&stored.display().to_string()), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&stored).expect("kept"), "not a secret!", "left as it was");
    std::fs::remove_file(&stored).expect("rm");
    std::fs::create_dir(&stored).expect("a folder where the secret should be");
    let r = cli(dir.path(), &["serve", "--bind", "127.0.0.1:0"]);
    r.fails();
    assert!(r.stderr.contains(&stored.display().to_string()), "{}", r.stderr);
    assert!(stored.is_dir(), "left as it was");
}
