//! The review store, its filters and operations on real SQLite files in a temporary folder.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use super::projection::{project_all, tests::sample_events};
use super::*;
use crate::ingest::Source;
use crate::query::{self, CallQuery};
use crate::Store;

fn store_with_calls(n: i64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("postcall.sqlite")).expect("open");
    let conn = store.connect().expect("writer");
    let tx = conn.unchecked_transaction().expect("tx");
    for id in 1..=n {
        let d = json!({"id": id, "status": "completed", "duration": id,
            "customer_phone": format!("+1555000{:04}", id % 7),
            "created_at": crate::time::ms_to_rfc3339(1_700_000_000_000 + id * 60_000),
            "extracted_variables": {"status": id % 2 == 0, "budget": id * 100, "lead_quality": if id % 3 == 0 { "High" } else { "low" }},
            "input_variables": {"customer_name": format!("Customer {id}"), "budget": "1"}});
        crate::store::calls::upsert(&tx, id, Source::Webhook, d.as_object().expect("obj"), 1).expect("upsert");
    }
    tx.commit().expect("commit");
    (dir, store)
}

fn ana() -> Reviewer {
    Reviewer::new("Ana", "ana@example.com").expect("reviewer")
}

fn bo() -> Reviewer {
    Reviewer::new("Bo", "bo@example.com").expect("reviewer")
}

/// Every page of `q`, following the cursors.
pub(super) fn ids(store: &Store, q: &CallQuery) -> Vec<i64> {
    let mut q = q.clone();
    let mut out = Vec::new();
    loop {
        let page = store.read(|c| query::list(c, &q)).expect("list");
        out.extend(page.items.iter().map(|c| c.id));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

fn insert(store: &Store, events: &[Event]) {
    store
        .review_write(|c| {
            let tx = c.transaction()?;
            store::insert_events(&tx, events)?;
            tx.commit()?;
            Ok::<_, ReviewError>(())
        })
        .expect("insert");
}

fn stored_state(store: &Store, calls: &[i64]) -> BTreeMap<i64, CallReview> {
    calls.iter().map(|&id| (id, store.read(|c| store::call_review(c, id, "review.")).expect("read"))).collect()
}

fn define_sample_tags(store: &Store) {
    for t in ["upsell", "angry"] {
        save_tag(store, None, t, "#aa0000").expect("define");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    /// Applying events one at a time, in any order, with repeats, gives what the pure
    /// projection gives, and what a rebuild from scratch gives.
    #[test]
    fn incremental_apply_equals_the_projection_and_a_rebuild(
        order in Just((0..sample_events().len()).collect::<Vec<_>>()).prop_shuffle(),
        dups in proptest::collection::vec(0usize..1000, 0..8),
    ) {
        let (_dir, store) = store_with_calls(0);
        define_sample_tags(&store);
        let events = sample_events();
        let mut feed: Vec<Event> = order.iter().map(|&i| events[i].clone()).collect();
        for d in &dups {
            feed.insert(d % (feed.len() + 1), events[d % events.len()].clone());
        }
        for chunk in feed.chunks(3) {
            insert(&store, chunk);
        }
        let expected: BTreeMap<i64, CallReview> = project_all(&events).into_iter().map(|(k, p)| (k, p.review)).collect();
        let incremental = stored_state(&store, &[1, 2]);
        prop_assert_eq!(&incremental, &expected);
        rebuild(&store).expect("rebuild");
        prop_assert_eq!(stored_state(&store, &[1, 2]), expected);
        let n: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM review.review_events WHERE call_id <> 0", [], |r| r.get(0))?)).expect("count");
        prop_assert_eq!(n as usize, events.len(), "each event once");
    }
}

#[test]
fn operations_validate_and_write_nothing_on_bad_input() {
    let (_dir, store) = store_with_calls(3);
    save_tag(&store, None, "upsell", "#00AA00").expect("define");
    assert!(matches!(save_tag(&store, None, "x", "green"), Err(ReviewError::Invalid(_))));
    let err = add_tags(&store, &ana(), &[1], &["upsell".into(), "nope".into()]).expect_err("unknown tag");
    assert!(matches!(err, ReviewError::UnknownTag(ref t) if t == "nope"), "{err}");
    assert!(matches!(add_note(&store, &ana(), 99, "hi", None, None), Err(ReviewError::NotFound(_))));
    assert!(matches!(set_state(&store, &ana(), &[1, 98], ReviewState::Reviewed), Err(ReviewError::NotFound(_))));
    let events: i64 =
        store.read(|c| Ok(c.query_row("SELECT count(*) FROM review.review_events", [], |r| r.get(0))?)).expect("n");
    assert_eq!(events, 1, "nothing half-written: the tag's definition only");

    add_tags(&store, &ana(), &[1, 2], &["upsell".into()]).expect("tag");
    add_tags(&store, &bo(), &[1], &["upsell".into()]).expect("again: no new event");
    assert_eq!(list_tags(&store).expect("tags")[0].count, 2);
    remove_tags(&store, &bo(), &[1], &["upsell".into()]).expect("untag");
    assert!(call_review(&store, 1).expect("review").tags.is_empty());
    assert_eq!(call_review(&store, 2).expect("review").tags, ["upsell"]);
    delete_tag(&store, None, "upsell").expect("delete");
    assert!(call_review(&store, 2).expect("review").tags.is_empty(), "a deleted tag shows nowhere");

    let note = add_note(&store, &ana(), 1, "  refund asked  ", Some(2), Some(14.5)).expect("note");
    assert_eq!((note.text.as_str(), note.turn, note.at_seconds), ("refund asked", Some(2), Some(14.5)));
    assert!(matches!(edit_note(&store, &bo(), 1, &note.id, "mine now"), Err(ReviewError::Invalid(_))));
    let edited = edit_note(&store, &ana(), 1, &note.id, "refund asked twice").expect("edit");
    assert_eq!(edited.text, "refund asked twice");
    assert!(edited.edited_at.is_some());
    delete_note(&store, &ana(), 1, &note.id).expect("delete");
    assert!(call_review(&store, 1).expect("review").notes.is_empty());
    let history: i64 =
        store.read(|c| Ok(c.query_row("SELECT count(*) FROM review.note_history", [], |r| r.get(0))?)).expect("n");
    assert_eq!(history, 3, "add, edit and delete are kept");
}

#[test]
fn scorecards_total_and_prefill_from_variables() {
    let (_dir, store) = store_with_calls(2);
    let card: Scorecard = serde_json::from_value(json!({"id": "qa", "name": "QA", "questions": [
        {"id": "objective", "label": "Objective achieved", "kind": "yes_no", "weight": 2, "variable": "status"},
        {"id": "tone", "label": "Tone", "kind": "scale", "weight": 1},
        {"id": "lead", "label": "Lead", "kind": "choice", "choices": ["high", "medium", "low"], "weight": 1, "variable": "lead_quality"}
    ]}))
    .expect("card");
    save_scorecard(&store, None, &card).expect("save");
    let pre = prefill_score(&store, 2, "qa").expect("prefill");
    assert_eq!(pre["objective"], ScoreAnswer { value: Some(json!(true)), prefilled: true });
    assert_eq!(pre["lead"].value, Some(json!("low")), "matched case-insensitively");
    let mut answers = pre.clone();
    answers.insert("tone".into(), ScoreAnswer { value: Some(json!(3)), prefilled: false });
    // 2*1 + 1*0.5 + 1*0 of 4 = 62.5%
    let s = set_score(&store, &ana(), 2, "qa", &answers).expect("score");
    assert_eq!(s.total, Some(62.5));
    answers.insert("tone".into(), ScoreAnswer { value: Some(json!(9)), prefilled: false });
    assert!(matches!(set_score(&store, &ana(), 2, "qa", &answers), Err(ReviewError::Invalid(_))));
    let page = store
        .read(|c| query::list(c, &CallQuery { me: Some("ana@example.com".into()), ..CallQuery::default() }))
        .expect("list");
    assert_eq!(page.items.iter().find(|c| c.id == 2).and_then(|c| c.review.score), Some(62.5));
}

#[test]
fn log_filters_by_tag_state_and_variables() {
    let (_dir, store) = store_with_calls(1200);
    save_tag(&store, None, "few", "#111111").expect("define");
    save_tag(&store, None, "many", "#222222").expect("define");
    let few: Vec<i64> = (1..=1200).filter(|i| i % 100 == 0).collect();
    let many: Vec<i64> = (1..=1200).filter(|i| i % 2 == 0).collect();
    add_tags(&store, &ana(), &few, &["few".into()]).expect("tag");
    add_tags(&store, &ana(), &many, &["many".into()]).expect("tag");
    let newest_first = |mut v: Vec<i64>| {
        v.reverse();
        v
    };
    // Few matches drive the page by id; many walk the log: both page in order.
    for (tags, want) in [
        (vec!["few"], few.clone()),
        (vec!["many"], many.clone()),
        (vec!["many", "few"], few.clone()),
        (vec!["few", "many"], few.clone()),
    ] {
        let q =
            CallQuery { tags: tags.iter().map(|t| t.to_string()).collect(), limit: Some(50), ..CallQuery::default() };
        assert_eq!(ids(&store, &q), newest_first(want.clone()), "{tags:?}");
        assert_eq!(store.read(|c| query::count(c, &q)).expect("count"), want.len() as i64);
    }

    set_state(&store, &ana(), &[10, 20, 30], ReviewState::Reviewed).expect("state");
    set_state(&store, &bo(), &[20], ReviewState::Flagged).expect("state");
    set_state(&store, &bo(), &[40], ReviewState::InReview).expect("state");
    let by = |state: ReviewState, reviewer: Option<&str>| {
        ids(
            &store,
            &CallQuery {
                review_state: Some(state),
                reviewer: reviewer.map(str::to_string),
                to_ms: Some(1_700_000_000_000 + 50 * 60_000),
                ..CallQuery::default()
            },
        )
    };
    assert_eq!(by(ReviewState::Flagged, None), [20]);
    assert_eq!(by(ReviewState::Reviewed, None), [30, 20, 10]);
    assert_eq!(by(ReviewState::Reviewed, Some("bo@example.com")), Vec::<i64>::new());
    assert_eq!(by(ReviewState::InReview, Some("BO@example.com")), [40]);
    let unreviewed = by(ReviewState::Unreviewed, None);
    assert_eq!(unreviewed.len(), 49 - 3);
    assert!(unreviewed.contains(&40), "in review is not reviewed yet");
    assert_eq!(by(ReviewState::Unreviewed, Some("bo@example.com")).len(), 48);

    let page = store
        .read(|c| {
            query::list(
                c,
                &CallQuery {
                    me: Some("bo@example.com".into()),
                    to_ms: Some(1_700_000_000_000 + 21 * 60_000),
                    limit: Some(1),
                    ..CallQuery::default()
                },
            )
        })
        .expect("list");
    let row = &page.items[0].review;
    assert_eq!(page.items[0].id, 20);
    assert_eq!((row.my_state, row.any_flagged, row.reviewed_by), (ReviewState::Flagged, true, 1));
    assert_eq!(row.tags, ["many"]);

    let q = |vars: &[&str]| {
        let vars = vars.iter().map(|v| v.parse().expect("var")).collect();
        ids(&store, &CallQuery { vars, to_ms: Some(1_700_000_000_000 + 13 * 60_000), ..CallQuery::default() })
    };
    assert_eq!(q(&["budget>1000"]), [12, 11]);
    assert_eq!(q(&["budget<=200"]), [2, 1]);
    assert_eq!(q(&["lead_quality=high"]), [12, 9, 6, 3]);
    assert_eq!(q(&["lead_quality=high", "status=true"]), [12, 6]);
    assert_eq!(q(&["status=false", "budget>=900"]), [11, 9]);
    assert_eq!(q(&["customer_name~tomer 1"]), [12, 11, 10, 1], "falls back to input variables");
    assert_eq!(q(&["budget=300"]), [3]);
    assert!(q(&["no_such_var?"]).len() == 12);
    assert!(q(&["budget?"]).is_empty());

    // The queue: progress and next unreviewed in the filter's order.
    let view = CallQuery { to_ms: Some(1_700_000_000_000 + 31 * 60_000), ..CallQuery::default() };
    let p = review_progress(&store, &view, "ana@example.com").expect("progress");
    assert_eq!((p.total, p.reviewed), (30, 3));
    assert_eq!(next_unreviewed(&store, &view, None, "ana@example.com").expect("next"), Some(29));
    assert_eq!(next_unreviewed(&store, &view, Some(31), "ana@example.com").expect("next"), Some(29));
    assert_eq!(next_unreviewed(&store, &view, Some(21), "ana@example.com").expect("next"), Some(19));
    assert_eq!(next_unreviewed(&store, &view, Some(1), "ana@example.com").expect("next"), None);

    let history = number_history(&store, 7, None).expect("history");
    assert!(history.iter().all(|c| c.id != 7 && c.customer_phone.as_deref() == Some("+15550000000")));
    assert_eq!(history.len(), 170);
    assert!(variable_names(&store).expect("names").iter().any(|v| v.name == "budget" && v.kind == "number"));
}

#[test]
fn export_and_import_round_trip_is_idempotent() {
    let (_a, a) = store_with_calls(3);
    let (_b, b) = store_with_calls(3);
    for s in [&a, &b] {
        save_tag(s, None, "upsell", "#00aa00").expect("define");
    }
    set_state(&a, &ana(), &[1], ReviewState::Reviewed).expect("state");
    add_note(&a, &ana(), 2, "hello", Some(0), None).expect("note");
    add_tags(&a, &ana(), &[3], &["upsell".into()]).expect("tag");
    let mut out = Vec::new();
    assert_eq!(export_events(&a, EventFormat::Jsonl, &mut out).expect("export"), 4, "the tag's definition too");
    let (r, _) = import_events(&b, std::io::Cursor::new(&out)).expect("import");
    assert_eq!((r.read, r.new, r.calls), (4, 4, 3));
    let (r, _) = import_events(&b, std::io::Cursor::new(&out)).expect("again");
    assert_eq!((r.read, r.new), (4, 0));
    assert_eq!(stored_state(&a, &[1, 2, 3]), stored_state(&b, &[1, 2, 3]));
    let bad = b"{\"event_id\": \"x\"}\n";
    assert!(matches!(import_events(&b, std::io::Cursor::new(bad)), Err(ReviewError::Invalid(_))));
}

/// Moves every event `from` holds into `to`, as the team's stream or `review import` would.
fn exchange(from: &Store, to: &Store) {
    let mut out = Vec::new();
    export_events(from, EventFormat::Jsonl, &mut out).expect("export");
    import_events(to, std::io::Cursor::new(&out)).expect("import");
}

fn tag_list(store: &Store) -> Vec<(String, String)> {
    list_tags(store).expect("tags").into_iter().map(|t| (t.name, t.color)).collect()
}

#[test]
fn definitions_travel_as_events_and_the_latest_wins_everywhere() {
    let (_a, a) = store_with_calls(2);
    let (_b, b) = store_with_calls(2);
    save_tag(&a, Some(&ana()), "vip", "#111111").expect("define on a");
    std::thread::sleep(std::time::Duration::from_millis(5));
    save_tag(&b, Some(&bo()), "vip", "#222222").expect("a later colour on b");
    add_tags(&a, &ana(), &[1], &["vip".into()]).expect("tag on a");
    let card = Scorecard {
        id: "qa".into(),
        name: "QA".into(),
        questions: vec![Question {
            id: "greet".into(),
            label: "Greeted?".into(),
            kind: QuestionKind::YesNo,
            choices: vec![],
            weight: 1.0,
            variable: None,
        }],
    };
    save_scorecard(&a, Some(&ana()), &card).expect("scorecard on a");
    exchange(&a, &b);
    exchange(&b, &a);
    for s in [&a, &b] {
        assert_eq!(tag_list(s), [("vip".to_string(), "#222222".to_string())], "the later colour, on both");
        assert_eq!(list_scorecards(s).expect("cards"), std::slice::from_ref(&card));
        assert_eq!(call_review(s, 1).expect("review").tags, ["vip"]);
    }

    delete_tag(&b, Some(&bo()), "vip").expect("delete on b");
    delete_scorecard(&b, Some(&bo()), "qa").expect("delete card on b");
    exchange(&b, &a);
    for s in [&a, &b] {
        assert!(tag_list(s).is_empty(), "deleted everywhere");
        assert!(list_scorecards(s).expect("cards").is_empty());
        assert!(call_review(s, 1).expect("review").tags.is_empty(), "a deleted tag shows nowhere");
    }
    let digest = |s: &Store| s.read(|c| store::projection_digest(c, "review.")).expect("digest");
    assert_eq!(digest(&a), digest(&b));

    // A definition from elsewhere that this version would never write defines nothing.
    let mut odd = Event::definition(Some(&bo()), kind::TAG_DEFINE, json!({"name": "red", "color": "red; x"}));
    odd.created_at = crate::time::ms_to_rfc3339(crate::time::now_ms() + 1000);
    insert(&a, &[odd]);
    assert!(tag_list(&a).is_empty());
}

#[test]
fn definitions_made_before_they_were_events_become_events_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("review.sqlite");
    {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch(include_str!("../../migrations/review/0001_init.sql")).expect("0001");
        c.execute_batch(include_str!("../../migrations/review/0002_outbox.sql")).expect("0002");
        c.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO tag_defs VALUES ('upsell', '#00aa00'), ('angry', '#aa0000');
             INSERT INTO scorecards VALUES ('qa', '{\"id\":\"qa\",\"name\":\"QA\",\"questions\":[]}');",
        )
        .expect("old definitions");
    }
    for _ in 0..2 {
        let c = crate::store::open_review(&path).expect("migrate");
        let tags: Vec<(String, String)> = c
            .prepare("SELECT name, color FROM tag_defs ORDER BY name")
            .expect("tags")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("collect");
        assert_eq!(tags, [("angry".into(), "#aa0000".into()), ("upsell".into(), "#00aa00".into())]);
        let (events, queued): (i64, i64) = c
            .query_row(
                "SELECT count(*), (SELECT count(*) FROM review_outbox) FROM review_events WHERE call_id = 0",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("count");
        assert_eq!((events, queued), (3, 3), "each old definition once, waiting to be shared");
        assert_eq!(store::scorecards(&c, "").expect("cards").len(), 1);
    }
}

#[test]
fn refused_events_leave_the_outbox_with_their_reason_and_a_retry_puts_them_back_in_order() {
    let (_dir, store) = store_with_calls(3);
    let events: Vec<Event> = (1..=3)
        .map(|c| Event::new(c, &if c == 2 { bo() } else { ana() }, kind::STATE, json!({"state": "reviewed"})))
        .collect();
    insert(&store, &events);
    let outbox_ids = |s: &Store| -> Vec<String> {
        s.read(|c| store::outbox(c, "review.", 10)).expect("outbox").into_iter().map(|e| e.event_id).collect()
    };
    let refused = vec![(events[1].event_id.clone(), "Permissions Violation".to_string())];
    store.review_write(|c| store::outbox_refused(c, &refused, 42)).expect("park");
    assert_eq!(outbox_ids(&store), [events[0].event_id.clone(), events[2].event_id.clone()]);
    let listed = store.read(|c| store::refused(c, "review.")).expect("refused");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].author_email.as_str(), listed[0].call_id, listed[0].refused_ms), ("bo@example.com", 2, 42));
    assert_eq!(listed[0].reason, "Permissions Violation");
    // Parked, the event still shows here: it was made here and is kept.
    assert_eq!(stored_state(&store, &[2])[&2].states.len(), 1);

    assert_eq!(store.review_write(store::retry_refused).expect("retry"), 1);
    assert_eq!(outbox_ids(&store), events.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>(), "in its place");
    assert_eq!(store.read(|c| store::refused_len(c, "review.")).expect("len"), 0);

    // Refused again, then echoed by the stream after all: no longer counted as refused.
    store.review_write(|c| store::outbox_refused(c, &refused, 43)).expect("park");
    store
        .review_write(|c| {
            let tx = c.transaction()?;
            store::insert_events_from(&tx, &events[1..2], store::Origin::Team)?;
            tx.commit()?;
            Ok::<_, crate::store::StoreError>(())
        })
        .expect("echo");
    assert_eq!(store.read(|c| store::refused_len(c, "review.")).expect("len"), 0);
}
