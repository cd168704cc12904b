//! Team mode, black-box: the real `postcall` binary and a real `nats-server` with JetStream on
//! 127.0.0.1 (see `postcall_tests::nats`). Webhooks go into the receiver (`serve --team`), laptops
//! replay them with `team sync --once`, and what each node holds is compared through the CLI.

use std::path::Path;
use std::time::{Duration, Instant};

use postcall_tests::nats::{free_port, join_as, serve_team_args, NatsServer};
use postcall_tests::{cli, cli_json, data_dir, post_json, secret, small_call, Server};
use serde_json::{json, Value};

/// The receiver's team status (read from its data folder while it runs).
fn status(data: &Path) -> Value {
    cli_json(data, &["team", "status"])
}

/// Waits until the receiver has published every stored delivery.
fn wait_published(data: &Path, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let s = status(data);
        if s["pending"] == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the receiver did not publish everything in {limit:?}: {s}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn export(data: &Path) -> String {
    let run = cli(data, &["export"]);
    run.ok();
    run.stdout
}

fn join(laptop: &Path, url: &str, extra: &[&str]) {
    let mut args = vec!["team", "join", url];
    args.extend_from_slice(extra);
    cli(laptop, &args).ok();
}

fn sync_once(laptop: &Path) -> Value {
    cli_json(laptop, &["team", "sync", "--once"])
}

fn deliveries_of(data: &Path, call: i64) -> usize {
    cli_json(data, &["show", &call.to_string()])["deliveries"].as_array().map(Vec::len).unwrap_or(0)
}

#[test]
fn webhooks_reach_every_laptop_identically_and_duplicates_stay_one_call() {
    let nats = NatsServer::start();
    let server_dir = data_dir();
    let server = Server::start(server_dir.path(), &secret(), &["--team", &nats.url()]);
    for id in 1..=5 {
        assert_eq!(post_json(&server.url, &small_call(id)).0, 200);
    }
    // A later delivery of call 3 with more in it, and the same delivery of call 2 twice.
    let mut updated = small_call(3);
    updated["extracted_variables"]["summary"] = json!("call 3, second delivery");
    assert_eq!(post_json(&server.url, &updated).0, 200);
    assert_eq!(post_json(&server.url, &small_call(2)).0, 200);
    wait_published(server_dir.path(), Duration::from_secs(30));

    let (a, b) = (data_dir(), data_dir());
    for laptop in [a.path(), b.path()] {
        join(laptop, &nats.url(), &[]);
        let report = sync_once(laptop);
        assert_eq!(report["calls_seq"], 6, "six stored messages: the repeated bytes of call 2 are one: {report}");
    }
    let (ea, eb, es) = (export(a.path()), export(b.path()), export(server_dir.path()));
    assert_eq!(ea.lines().count(), 5, "five calls:\n{ea}");
    assert_eq!(ea, eb, "both laptops hold the same calls");
    assert_eq!(ea, es, "and the same as the receiver");
    assert!(ea.contains("call 3, second delivery"), "the later delivery won:\n{ea}");
    assert_eq!(deliveries_of(a.path(), 3), 2, "call 3's delivery history came along");
    let shown = cli_json(a.path(), &["show", "1"]);
    assert_eq!(shown["deliveries"][0]["source"], "webhook", "the original source is kept: {shown}");
    let hits = cli_json(a.path(), &["search", "second delivery"]);
    assert!(hits.as_array().is_some_and(|h| !h.is_empty()), "replayed calls are searchable: {hits}");

    // A repeated publish (the receiver's mark lost, as after a crash before it was saved) is
    // dropped by the stream, and a laptop syncing again gets nothing twice.
    drop(server);
    rusqlite::Connection::open(server_dir.path().join("team.sqlite"))
        .and_then(|c| c.execute("UPDATE marks SET value = 0 WHERE name = 'published'", []))
        .expect("reset the receiver's mark");
    let server = Server::start(server_dir.path(), &secret(), &["--team", &nats.url()]);
    wait_published(server_dir.path(), Duration::from_secs(30));
    assert_eq!(post_json(&server.url, &small_call(6)).0, 200);
    wait_published(server_dir.path(), Duration::from_secs(30));
    let report = sync_once(a.path());
    assert_eq!(report["calls_seq"], 7, "the republished messages were dropped, one new call: {report}");
    assert_eq!(report["applied"], 1, "{report}");
    assert_eq!(deliveries_of(a.path(), 2), 1, "call 2 arrived once");
    assert_eq!(export(a.path()).lines().count(), 6);
    let st = cli_json(a.path(), &["team", "status"]);
    assert_eq!(st["server"], nats.url());
    assert_eq!(st["connected"], true);
    assert_eq!(st["calls_seq"], 7);
    assert_eq!(st["pending"], 0);
}

#[test]
fn killing_nats_mid_publish_loses_nothing_acknowledged() {
    let mut nats = NatsServer::start();
    let server_dir = data_dir();
    let server = Server::start(server_dir.path(), &secret(), &["--team", &nats.url()]);
    let url = server.url.clone();
    let sender = std::thread::spawn(move || {
        for id in 1..=400 {
            assert_eq!(post_json(&url, &small_call(id)).0, 200, "the receiver journals whatever NATS does");
        }
    });
    // Kill JetStream while the receiver is publishing, then bring it back on the same store.
    let deadline = Instant::now() + Duration::from_secs(30);
    while postcall_tests::call_ids_in_db(server_dir.path()).len() < 50 {
        assert!(Instant::now() < deadline, "no webhook arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    nats.kill9();
    std::thread::sleep(Duration::from_millis(1500));
    nats.restart();
    sender.join().expect("sender");
    wait_published(server_dir.path(), Duration::from_secs(90));

    let laptop = data_dir();
    join(laptop.path(), &nats.url(), &[]);
    sync_once(laptop.path());
    let on_server = postcall_tests::call_ids_in_db(server_dir.path());
    assert_eq!(on_server.len(), 400);
    assert_eq!(postcall_tests::call_ids_in_db(laptop.path()), on_server, "every call reached the laptop");
    assert_eq!(export(laptop.path()), export(server_dir.path()));
    for id in [1, 200, 400] {
        assert_eq!(deliveries_of(laptop.path(), id), 1, "call {id} applied once");
    }
}

#[test]
fn sync_once_fails_with_the_reason_when_the_server_is_unreachable() {
    let laptop = data_dir();
    let url = format!("nats://127.0.0.1:{}", free_port());
    join(laptop.path(), &url, &[]);
    let run = cli(laptop.path(), &["team", "sync", "--once"]);
    run.fails();
    assert!(run.stderr.contains("cannot reach the team server") && run.stderr.contains(&url), "{}", run.stderr);
    let st = cli_json(laptop.path(), &["team", "status"]);
    assert_eq!(st["connected"], false);
    assert!(st["last_error"].as_str().is_some_and(|e| e.contains("cannot reach")), "{st}");

    let no_team = data_dir();
    let run = cli(no_team.path(), &["team", "sync", "--once"]);
    run.fails();
    assert!(run.stderr.contains("team join"), "{}", run.stderr);
}

#[test]
fn join_saves_the_team_and_leave_keeps_the_calls() {
    let nats = NatsServer::start();
    let server_dir = data_dir();
    let server = Server::start(server_dir.path(), &secret(), &["--team", &nats.url()]);
    assert_eq!(post_json(&server.url, &small_call(11)).0, 200);
    wait_published(server_dir.path(), Duration::from_secs(30));

    let laptop = data_dir();
    join(laptop.path(), &nats.url(), &[]);
    let settings: Value =
        serde_json::from_slice(&std::fs::read(laptop.path().join("settings.json")).expect("settings")).expect("json");
    assert_eq!(settings["team"]["server"], nats.url());
    sync_once(laptop.path());
    cli(laptop.path(), &["team", "leave"]).ok();
    let st = cli_json(laptop.path(), &["team", "status"]);
    assert_eq!(st["server"], Value::Null);
    assert_eq!(postcall_tests::call_ids_in_db(laptop.path()).len(), 1, "the local calls are kept");
    cli(laptop.path(), &["team", "join", "http://example"]).fails();
}

#[test]
fn a_reviewer_cannot_publish_calls_and_wrong_credentials_are_refused() {
    let nats = NatsServer::start_with_config(Some(&postcall_tests::nats::shipped_config()));
    let env = [("RECEIVER_PW", "receiver-pw"), ("ALICE_PW", "alice-pw")];
    let receiver_dir = data_dir();
    let receiver =
        Server::start_env(receiver_dir.path(), &serve_team_args(&nats.url(), "receiver", "RECEIVER_PW"), &env);
    assert_eq!(post_json(&receiver.url, &small_call(21)).0, 200);
    wait_published(receiver_dir.path(), Duration::from_secs(30));

    // Alice runs a receiver of her own with her reviewer credentials: nothing of it is applied.
    let rogue_dir = data_dir();
    let rogue = Server::start_env(rogue_dir.path(), &serve_team_args(&nats.url(), "alice", "ALICE_PW"), &env);
    assert_eq!(post_json(&rogue.url, &small_call(22)).0, 200);
    let deadline = Instant::now() + Duration::from_secs(60);
    let refused = loop {
        let s = status(rogue_dir.path());
        if let Some(e) = s["last_error"].as_str().filter(|e| e.to_lowercase().contains("permission")) {
            break e.to_string();
        }
        assert!(Instant::now() < deadline, "no permission error reported: {s}\n{}", rogue.stderr());
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(refused.contains("postcall.calls"), "{refused}");
    assert!(rogue.stderr().contains("publishing failed"), "{}", rogue.stderr());
    assert_eq!(status(rogue_dir.path())["pending"], 1, "the call stays queued on that node");

    // Alice's laptop reads the team's calls with the same credentials, and only the receiver's.
    let laptop = data_dir();
    let mut join_cmd = postcall_tests::command();
    join_cmd.env("ALICE_PW", "alice-pw").arg("--data-dir").arg(laptop.path()).args([
        "team",
        "join",
        &nats.url(),
        "--user",
        "alice",
        "--password-env",
        "ALICE_PW",
    ]);
    assert!(join_cmd.status().expect("join").success());
    let settings = std::fs::read_to_string(laptop.path().join("settings.json")).expect("settings");
    assert!(!settings.contains("alice-pw"), "the password is not in the settings file");
    let report = sync_once(laptop.path());
    assert_eq!(report["calls_seq"], 1, "{report}");
    assert_eq!(
        postcall_tests::call_ids_in_db(laptop.path()).into_iter().collect::<Vec<_>>(),
        vec![21],
        "the reviewer's call was not applied anywhere"
    );

    // A wrong password is refused, with the reason, and never printed.
    let wrong = data_dir();
    let mut join_cmd = postcall_tests::command();
    join_cmd.env("BAD_PW", "not-the-password").arg("--data-dir").arg(wrong.path()).args([
        "team",
        "join",
        &nats.url(),
        "--user",
        "alice",
        "--password-env",
        "BAD_PW",
    ]);
    assert!(join_cmd.status().expect("join").success());
    let run = cli(wrong.path(), &["team", "sync", "--once"]);
    run.fails();
    assert!(run.stderr.contains("refused the credentials"), "{}", run.stderr);
    assert!(!run.stderr.contains("not-the-password") && !run.stdout.contains("not-the-password"));
}

/// `cargo test --release -p postcall-tests --test team -- --ignored --nocapture bench_bootstrap`
/// (with POSTCALL_BIN pointing at a release build): 10,000 calls through the receiver, then a
/// fresh laptop's `team sync --once`, timed until the calls are searchable.
#[test]
#[ignore]
fn bench_bootstrap_ten_thousand_calls() {
    let n: i64 = std::env::var("POSTCALL_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let nats = NatsServer::start();
    let server_dir = data_dir();
    let file = server_dir.path().join("calls.jsonl");
    let mut text = String::new();
    for id in 1..=n {
        let mut call = small_call(id);
        call["transcript"][1]["text"] = json!(format!("Fine, thanks, marker{id}."));
        text.push_str(&call.to_string());
        text.push('\n');
    }
    std::fs::write(&file, text).expect("write calls");
    cli(server_dir.path(), &["import", file.to_str().expect("utf-8 path")]).ok();
    let t = Instant::now();
    let _server = Server::start(server_dir.path(), &secret(), &["--team", &nats.url()]);
    wait_published(server_dir.path(), Duration::from_secs(600));
    eprintln!("receiver published {n} calls in {:.1} s", t.elapsed().as_secs_f64());

    let laptop = data_dir();
    join(laptop.path(), &nats.url(), &[]);
    let cpu_before = children_cpu_seconds();
    let t = Instant::now();
    let report = sync_once(laptop.path());
    let secs = t.elapsed().as_secs_f64();
    let cpu = children_cpu_seconds() - cpu_before;
    assert_eq!(report["calls_seq"], n, "{report}");
    let hits = cli_json(laptop.path(), &["search", &format!("marker{n}")]);
    assert!(hits.as_array().is_some_and(|h| !h.is_empty()), "the last call is searchable: {hits}");
    eprintln!("bootstrap: {n} calls synced and searchable in {secs:.1} s wall, {cpu:.1} s CPU (user+system)");
    assert!(secs < 60.0, "bootstrap took {secs:.1} s");
}

/// CPU time of the waited-for child processes so far (Linux: /proc/self/stat cutime + cstime).
fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields after the command name start at 3 (state); cutime and cstime are 16 and 17.
    let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(16) + ticks(17)) / 100.0
}

/// `postcall review hash --json`: a digest of the review projection and the events held.
fn review_hash(data: &Path) -> Value {
    cli_json(data, &["review", "hash"])
}

fn review_of(data: &Path, call: i64) -> Value {
    postcall_tests::show(data, call)["review"].clone()
}

fn tags_of(data: &Path, call: i64) -> Vec<String> {
    serde_json::from_value(review_of(data, call)["tags"].clone()).expect("tags")
}

/// Waits until `data` (a running node that follows the team in the background) holds the same
/// review work as `like`.
fn wait_same_reviews(data: &Path, like: &Value, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let h = review_hash(data);
        if &h == like {
            return;
        }
        assert!(Instant::now() < deadline, "the node did not converge in {limit:?}: {h} vs {like}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn review_work_done_offline_on_two_laptops_converges_on_every_node() {
    let started = Instant::now();
    let mut nats = NatsServer::start_with_config(Some(&postcall_tests::nats::shipped_config()));
    let url = nats.url();
    let server_dir = data_dir();
    let server = Server::start_env(
        server_dir.path(),
        &serve_team_args(&url, "receiver", "RECEIVER_PW"),
        &[("RECEIVER_PW", "receiver-pw")],
    );
    for id in 1..=3 {
        assert_eq!(post_json(&server.url, &small_call(id)).0, 200);
    }
    wait_published(server_dir.path(), Duration::from_secs(30));

    // Two reviewers, each on a laptop of their own with their own NATS user (the shipped
    // permissions: a reviewer publishes review events only). The team's tag list is shared too:
    // Ana defines it on her laptop and Bob's gets it from the stream.
    let (a, b, a2) = (data_dir(), data_dir(), data_dir());
    let (a, b, a2) = (a.path(), b.path(), a2.path());
    join_as(a, &url, "alice", "alice-pw");
    join_as(b, &url, "bob", "bob-pw");
    join_as(a2, &url, "alice", "alice-pw");
    cli(a, &["review", "whoami", "--set", "Ana Pop <alice@example.com>"]).ok();
    cli(b, &["review", "whoami", "--set", "Bob Ionescu <bob@example.com>"]).ok();
    cli(a2, &["review", "whoami", "--set", "Ana Pop <alice@example.com>"]).ok();
    cli(a, &["tag", "define", "urgent", "--color", "#cc3300"]).ok();
    cli(a, &["tag", "define", "vip"]).ok();
    for laptop in [a, b, a2] {
        assert_eq!(sync_once(laptop)["calls_seq"], 3);
    }
    let listed = cli_json(b, &["tags"]);
    let names: Vec<(&str, &str)> = listed
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or(""), t["color"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(names.len(), 2, "Bob has Ana's tag list: {listed}");
    assert_eq!(names[0], ("urgent", "#cc3300"), "{listed}");

    // Online: Ana tags call 1; it reaches Bob.
    cli(a, &["tag", "add", "1", "urgent"]).ok();
    assert_eq!(cli_json(a, &["team", "status"])["pending"], 1, "the edit waits until it is shared");
    let r = sync_once(a);
    assert_eq!((r["reviews_published"].as_u64(), r["reviews_seq"].as_u64()), (Some(1), Some(3)), "{r}");
    assert_eq!(cli_json(a, &["team", "status"])["pending"], 0);
    sync_once(b);
    assert_eq!(tags_of(b, 1), ["urgent"]);

    // The team server goes away; both reviewers keep working, on the same calls.
    nats.kill9();
    let ana = ["--as", "Ana Pop <alice@example.com>"];
    let on = |node: &Path, args: &[&str]| cli(node, args).ok().stdout.clone();
    on(a, &["review", "1", "--state", "reviewed"]);
    on(a, &["note", "add", "1", "heard a refund promise", "--turn", "0", "--at", "1.5"]);
    on(a, &["tag", "remove", "1", "urgent"]);
    on(a, &["tag", "add", "2", "vip"]);
    on(a, &["tag", "remove", "2", "vip"]);
    on(a, &[&["review", "2", "--state", "flagged"][..], &ana[..]].concat());
    on(b, &["review", "1", "--state", "flagged"]);
    on(b, &["note", "add", "1", "customer sounded upset"]);
    on(b, &["tag", "add", "2", "vip"]);
    on(b, &["tag", "add", "1", "vip"]);
    // The same reviewer on a second laptop of hers (her own NATS user), later: the latest state
    // wins.
    std::thread::sleep(Duration::from_millis(5));
    on(a2, &[&["review", "2", "--state", "reviewed"][..], &ana[..]].concat());

    // Offline edits show at once, are counted as pending, and a sync says why it cannot run.
    assert_eq!(review_of(a, 1)["states"][0]["state"], "reviewed");
    assert!(tags_of(a, 1).is_empty() && tags_of(a, 2).is_empty(), "A's own view before the merge");
    let st = cli_json(a, &["team", "status"]);
    assert_eq!((st["connected"].as_bool(), st["pending"].as_i64()), (Some(false), Some(6)), "{st}");
    assert_eq!(st["pending_reviews"], 6);
    let run = cli(b, &["team", "sync", "--once"]);
    run.fails();
    assert!(run.stderr.contains("cannot reach the team server"), "{}", run.stderr);
    let st = cli_json(b, &["team", "status"]);
    assert_eq!(st["pending"], 4, "nothing is lost by a failed sync: {st}");
    assert!(st["offline_since"].is_string(), "{st}");

    // Back on the same store: both laptops sync; the receiver follows the stream by itself.
    let outage = Instant::now();
    nats.restart();
    let ra = sync_once(a);
    let rb = sync_once(b);
    let rc = sync_once(a2);
    let ra2 = sync_once(a);
    sync_once(b);
    let published = |r: &Value| r["reviews_published"].as_u64();
    assert_eq!((published(&ra), published(&rb), published(&rc)), (Some(6), Some(4), Some(1)));
    assert_eq!(ra2["reviews_applied"], 5, "A received the five events of the two other laptops: {ra2}");
    let ha = review_hash(a);
    assert_eq!(ha["events"], 14, "twelve annotations and two definitions: {ha}");
    assert_eq!(review_hash(b), ha, "both laptops hold the same review work");
    assert_eq!(review_hash(a2), ha);
    wait_same_reviews(server_dir.path(), &ha, Duration::from_secs(60));
    eprintln!("receiver converged {:.1} s after the server came back", outage.elapsed().as_secs_f64());
    for node in [a, b] {
        let st = cli_json(node, &["team", "status"]);
        assert_eq!((st["pending"].as_i64(), st["reviews_seq"].as_u64()), (Some(0), Some(14)), "{st}");
        assert_eq!((st["refused_edits"].as_i64(), st["rejected_events"].as_i64()), (Some(0), Some(0)), "{st}");
    }

    // What every node shows: per-reviewer states, both notes, an add-wins tag set.
    for node in [a, b, server_dir.path()] {
        let r1 = review_of(node, 1);
        let states: Vec<(String, String)> = r1["states"]
            .as_array()
            .expect("states")
            .iter()
            .map(|s| (s["reviewer"].as_str().unwrap_or("").into(), s["state"].as_str().unwrap_or("").into()))
            .collect();
        assert_eq!(
            states,
            [("alice@example.com".into(), "reviewed".into()), ("bob@example.com".into(), "flagged".into())]
        );
        assert_eq!(r1["notes"].as_array().map(Vec::len), Some(2), "{r1}");
        assert_eq!(r1["notes"][0]["text"], "heard a refund promise");
        assert_eq!(r1["notes"][0]["turn"], 0);
        assert_eq!(tags_of(node, 1), ["vip"], "urgent removed by Ana, vip added by Bob");
        assert_eq!(tags_of(node, 2), ["vip"], "Bob's add survives Ana's remove of her own add");
        assert_eq!(
            review_of(node, 2)["states"][0]["state"],
            "reviewed",
            "Ana's later state, made on her second laptop"
        );
    }

    // A newer Postcall publishes a kind this one does not know, and something that is not an
    // event at all: the first is stored and ignored (kept for later), the second skipped.
    let newer = json!({
        "event_id": "01900000-0000-7000-8000-00000000beef",
        "call_id": 3,
        "author_email": "bob@example.com",
        "author_name": "Bob Ionescu",
        "kind": "sentiment.set",
        "body": {"value": -0.4, "model": "v9"},
        "created_at": "2026-12-01T10:00:00Z",
        "schema_version": 3
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = async_nats::ConnectOptions::with_user_and_password("bob".into(), "bob-pw".into())
            .connect(url.as_str())
            .await
            .expect("connect as bob");
        let js = async_nats::jetstream::new(client);
        let subject = "postcall.reviews.3.bob_40example_2ecom";
        for (subject, body) in [(subject, newer.to_string()), (subject, "not json".into())] {
            js.publish(subject, body.into()).await.expect("publish").await.expect("stored");
        }
    });
    let r = sync_once(a);
    assert_eq!((r["reviews_applied"].as_u64(), r["reviews_ignored"].as_u64()), (Some(1), Some(1)), "{r}");
    let exported = cli(a, &["review", "export"]).ok().stdout.clone();
    let kept =
        exported.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|e| e["kind"] == "sentiment.set");
    assert_eq!(kept.as_ref().map(|e| &e["body"]), Some(&newer["body"]), "kept as it came:\n{exported}");
    let r3 = review_of(a, 3);
    assert!(r3["states"].as_array().is_some_and(Vec::is_empty) && r3["notes"].as_array().is_some_and(Vec::is_empty));
    sync_once(b);
    let ha = review_hash(a);
    assert_eq!(ha["events"], 15);
    assert_eq!(review_hash(b), ha);
    wait_same_reviews(server_dir.path(), &ha, Duration::from_secs(30));
    eprintln!("review convergence test: {:.1} s", started.elapsed().as_secs_f64());
}
