//! Team mode: a review event's author is bound to the NATS user that published it. A real
//! `nats-server` with the shipped per-user permissions (`alice` may publish review events only as
//! alice@example.com, `bob` only as bob@example.com), the real `postcall` binary as receiver and
//! laptops, everything on 127.0.0.1.

use std::path::Path;
use std::time::{Duration, Instant};

use postcall_tests::nats::{self as nats, serve_team_args, shipped_config, NatsServer};
use postcall_tests::{cli, cli_json, data_dir, post_json, small_call, Server};
use serde_json::{json, Value};

const ALICE: &str = "Ana Pop <alice@example.com>";
const BOB: &str = "Bob Ionescu <bob@example.com>";
const ENV: &[(&str, &str)] = &[("RECEIVER_PW", "receiver-pw")];

/// Joins as `user` and signs this laptop's review work as `reviewer`.
fn join_as(laptop: &Path, url: &str, user: &str, password: &str, reviewer: &str) {
    nats::join_as(laptop, url, user, password);
    cli(laptop, &["review", "whoami", "--set", reviewer]).ok();
}

fn status(data: &Path) -> Value {
    cli_json(data, &["team", "status"])
}

fn sync_once(laptop: &Path) -> Value {
    cli_json(laptop, &["team", "sync", "--once"])
}

/// Each reviewer's state of a call, as `(email, state)`.
fn states(data: &Path, call: i64) -> Vec<(String, String)> {
    let review = postcall_tests::show(data, call)["review"].clone();
    review["states"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| (s["reviewer"].as_str().unwrap_or("").into(), s["state"].as_str().unwrap_or("").into()))
                .collect()
        })
        .unwrap_or_default()
}

fn notes(data: &Path, call: i64) -> Vec<String> {
    let review = postcall_tests::show(data, call)["review"].clone();
    review["notes"]
        .as_array()
        .map(|a| a.iter().map(|n| n["text"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A receiver with three calls, published.
fn receiver(nats: &NatsServer) -> (tempfile::TempDir, Server) {
    let dir = data_dir();
    let server = Server::start_env(dir.path(), &serve_team_args(&nats.url(), "receiver", "RECEIVER_PW"), ENV);
    for id in 1..=3 {
        assert_eq!(post_json(&server.url, &small_call(id)).0, 200);
    }
    wait_for("the receiver published its calls", Duration::from_secs(30), || status(dir.path())["pending"] == 0);
    (dir, server)
}

/// Publishes `body` on `subject` as a NATS user, by hand, and waits for the stream to store it.
fn publish_as(url: &str, user: &str, password: &str, messages: &[(&str, String)]) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = async_nats::ConnectOptions::with_user_and_password(user.into(), password.into())
            .connect(url)
            .await
            .expect("connect");
        let js = async_nats::jetstream::new(client);
        for (subject, body) in messages {
            js.publish(subject.to_string(), body.clone().into()).await.expect("publish").await.expect("stored");
        }
    });
}

fn event(id: &str, call: i64, email: &str, name: &str, state: &str) -> String {
    json!({
        "event_id": id,
        "call_id": call,
        "author_email": email,
        "author_name": name,
        "kind": "review.state",
        "body": {"state": state},
        "created_at": "2026-12-01T10:00:00Z",
        "schema_version": 1
    })
    .to_string()
}

#[test]
fn an_edit_signed_as_a_colleague_is_refused_and_kept_aside_while_later_edits_go_out() {
    let nats = NatsServer::start_with_config(Some(&shipped_config()));
    let (server_dir, _server) = receiver(&nats);
    let (a, b) = (data_dir(), data_dir());
    let (a, b) = (a.path(), b.path());
    join_as(a, &nats.url(), "alice", "alice-pw", ALICE);
    join_as(b, &nats.url(), "bob", "bob-pw", BOB);
    assert_eq!(
        cli(a, &["team", "token", "alice@example.com"]).ok().stdout.trim(),
        "alice_40example_2ecom",
        "the token the shipped configuration gives alice"
    );

    sync_once(a);
    // Before her next sync: her own edit, one signed as Bob and more of her own wait in order.
    cli(a, &["review", "1", "--state", "reviewed"]).ok();
    cli(a, &["review", "2", "--state", "flagged", "--as", BOB]).ok();
    cli(a, &["note", "add", "2", "Ana, after the refused one"]).ok();
    cli(a, &["review", "3", "--state", "reviewed"]).ok();
    assert_eq!(status(a)["pending"], 4);

    let t = Instant::now();
    let r = sync_once(a);
    let took = t.elapsed();
    assert_eq!(r["reviews_published"], 3, "Ana's three edits went out past the refused one: {r}");
    let st = status(a);
    assert_eq!((st["pending"].as_i64(), st["refused_edits"].as_i64()), (Some(0), Some(1)), "{st}");
    let listed = cli_json(a, &["team", "refused"]);
    let refused = &listed["refused"][0];
    assert_eq!((refused["author_email"].as_str(), refused["call_id"].as_i64()), (Some("bob@example.com"), Some(2)));
    assert!(
        refused["reason"].as_str().is_some_and(
            |r| r.contains("Permissions Violation") && r.contains("postcall.reviews.2.bob_40example_2ecom")
        ),
        "the server's reason is kept: {listed}"
    );
    eprintln!("sync with one refused edit: {:.2} s", took.as_secs_f64());

    // Her later edits reached the receiver and Bob; the one in Bob's name reached nobody.
    wait_for("the receiver applied Ana's edits", Duration::from_secs(30), || {
        notes(server_dir.path(), 2) == ["Ana, after the refused one"]
    });
    sync_once(b);
    for node in [server_dir.path(), b] {
        assert_eq!(states(node, 1), [("alice@example.com".to_string(), "reviewed".to_string())]);
        assert!(states(node, 2).is_empty(), "nothing in Bob's name from Ana's laptop");
        assert_eq!(states(node, 3), [("alice@example.com".to_string(), "reviewed".to_string())]);
    }
    // Another sync does not send it again; a retry queues it and it is refused again, kept.
    assert_eq!(sync_once(a)["reviews_published"], 0);
    let retried = cli_json(a, &["team", "refused", "--retry"]);
    assert_eq!(retried["requeued"], 1, "{retried}");
    assert_eq!(status(a)["pending"], 1);
    assert_eq!(sync_once(a)["reviews_published"], 0);
    let st = status(a);
    assert_eq!((st["pending"].as_i64(), st["refused_edits"].as_i64()), (Some(0), Some(1)), "{st}");
}

#[test]
fn an_event_published_in_another_authors_name_is_applied_nowhere_and_older_events_still_apply() {
    let nats = NatsServer::start_with_config(Some(&shipped_config()));
    let url = nats.url();
    // A stream made by an older Postcall (its settings then), holding a review event in the old
    // subject form `postcall.reviews.<call>` (the receiver may still publish it; reviewers no
    // longer can).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let client = async_nats::ConnectOptions::with_user_and_password("receiver".into(), "receiver-pw".into())
            .connect(url.as_str())
            .await
            .expect("connect");
        async_nats::jetstream::new(client)
            .create_stream(async_nats::jetstream::stream::Config {
                name: "POSTCALL_REVIEWS".into(),
                subjects: vec!["postcall.reviews.>".into()],
                storage: async_nats::jetstream::stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                allow_direct: true,
                ..Default::default()
            })
            .await
            .expect("the older version's stream");
    });
    publish_as(
        &url,
        "receiver",
        "receiver-pw",
        &[(
            "postcall.reviews.1",
            event("01900000-0000-7000-8000-000000000001", 1, "carol@example.com", "Carol", "flagged"),
        )],
    );
    let (server_dir, _server) = receiver(&nats);
    let a = data_dir();
    let a = a.path();
    join_as(a, &url, "alice", "alice-pw", ALICE);
    sync_once(a);
    cli(a, &["review", "1", "--state", "reviewed"]).ok();
    sync_once(a);

    // Bob publishes by hand on the subject his user may publish on, an event signed as Alice.
    let bob_subject = "postcall.reviews.2.bob_40example_2ecom";
    publish_as(
        &url,
        "bob",
        "bob-pw",
        &[
            (bob_subject, event("01900000-0000-7000-8000-0000000000f0", 2, "alice@example.com", "Ana Pop", "flagged")),
            (bob_subject, event("01900000-0000-7000-8000-0000000000f1", 2, "bob@example.com", "Bob", "reviewed")),
        ],
    );
    // And cannot publish on Alice's subject, nor on the old form.
    rt.block_on(async {
        let client = async_nats::ConnectOptions::with_user_and_password("bob".into(), "bob-pw".into())
            .connect(url.as_str())
            .await
            .expect("connect");
        let js = async_nats::jetstream::ContextBuilder::new().timeout(Duration::from_secs(2)).build(client);
        for subject in ["postcall.reviews.2.alice_40example_2ecom", "postcall.reviews.2"] {
            let stored = match js.publish(subject, "{}".into()).await {
                Ok(ack) => ack.await.is_ok(),
                Err(_) => false,
            };
            assert!(!stored, "bob published on {subject}");
        }
    });

    // The receiver (following) and Ana's laptop apply Bob's own event, not the forged one.
    let bob_state = ("bob@example.com".to_string(), "reviewed".to_string());
    wait_for("the receiver applied Bob's own event", Duration::from_secs(30), || {
        states(server_dir.path(), 2).contains(&bob_state)
    });
    let r = sync_once(a);
    assert_eq!((r["reviews_applied"].as_u64(), r["reviews_rejected"].as_u64()), (Some(1), Some(1)), "{r}");
    let fresh = data_dir();
    let fresh = fresh.path();
    join_as(fresh, &url, "bob", "bob-pw", BOB);
    sync_once(fresh);
    for node in [server_dir.path(), a, fresh] {
        assert_eq!(
            states(node, 2),
            std::slice::from_ref(&bob_state),
            "the event signed as Alice by Bob is not applied"
        );
        let st = status(node);
        assert_eq!(st["rejected_events"], 1, "counted where it was refused: {st}");
        // The event published by an older version, in the old subject form, still applies.
        assert_eq!(
            states(node, 1),
            [
                ("alice@example.com".to_string(), "reviewed".to_string()),
                ("carol@example.com".to_string(), "flagged".to_string())
            ]
        );
    }
    let listed = cli_json(a, &["team", "refused"]);
    assert_eq!(listed["rejected"][0]["subject"], bob_subject, "{listed}");
    assert_eq!(listed["rejected"][0]["author_email"], "alice@example.com");
    let hashes: Vec<Value> = [server_dir.path(), a, fresh].iter().map(|n| cli_json(n, &["review", "hash"])).collect();
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "every node holds the same review work: {hashes:?}");
}
