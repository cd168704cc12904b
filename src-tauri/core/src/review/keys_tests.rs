//! The log's order kept beside the review rows (`review::keys`): pages read from the review
//! indexes are the pages the walk of the log gives, in order and across cursors, and the copied
//! keys follow calls that arrive after their annotations, calls that move, and an upgrade.

use std::sync::Arc;

use serde_json::json;

use super::db_tests::ids as pages;
use super::filter::{self, Driver};
use super::*;
use crate::ingest::{Ingestor, Source};
use crate::query::{CallQuery, SortKey, SortOrder};
use crate::Store;

const BASE_MS: i64 = 1_700_000_000_000;

/// Calls `ids` with three calls per minute, so that ties on the log's time are broken by id.
fn add_calls(store: &Store, ids: impl Iterator<Item = i64>) {
    let conn = store.connect().expect("writer");
    let tx = conn.unchecked_transaction().expect("tx");
    for id in ids {
        // Many ties on duration (broken by id), and some calls without one (sorted as -1).
        let duration = if id % 11 == 0 { serde_json::Value::Null } else { json!(id % 50) };
        let d = json!({"id": id, "status": if id % 4 == 0 { "failed" } else { "completed" }, "duration": duration,
            "created_at": crate::time::ms_to_rfc3339(BASE_MS + (id / 3) * 60_000)});
        crate::store::calls::upsert(&tx, id, Source::Webhook, d.as_object().expect("obj"), 1).expect("upsert");
    }
    tx.commit().expect("commit");
}

fn new_store(calls: i64) -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("postcall.sqlite")).expect("open"));
    add_calls(&store, 1..=calls);
    for t in ["upsell", "vip"] {
        save_tag(&store, None, t, "#aa0000").expect("define");
    }
    (dir, store)
}

fn who(name: &str) -> Reviewer {
    Reviewer::new(name, &format!("{}@example.com", name.to_lowercase())).expect("reviewer")
}

/// Review events written as the team's stream would, for calls that may not be indexed yet.
fn annotate(store: &Store, events: Vec<Event>) {
    store
        .review_write(|c| {
            let tx = c.transaction()?;
            store::insert_events(&tx, &events)?;
            tx.commit()?;
            Ok::<_, ReviewError>(())
        })
        .expect("annotate");
}

/// Tags 3 calls in 5 `upsell`, 1 in 3 `vip`; ana reviews every other call and flags every
/// seventh, bo flags every fifth (some calls flagged by both).
fn sample_review(ids: impl Iterator<Item = i64>) -> Vec<Event> {
    let (ana, bo) = (who("Ana"), who("Bo"));
    let mut events = Vec::new();
    for id in ids {
        if id % 5 < 3 {
            events.push(Event::new(id, &ana, kind::TAG_ADD, json!({"tag": "upsell"})));
        }
        if id % 3 == 0 {
            events.push(Event::new(id, &bo, kind::TAG_ADD, json!({"tag": "vip"})));
        }
        if id % 7 == 0 {
            events.push(Event::new(id, &ana, kind::STATE, json!({"state": "flagged"})));
        } else if id % 2 == 0 {
            events.push(Event::new(id, &ana, kind::STATE, json!({"state": "reviewed"})));
        }
        if id % 5 == 0 {
            events.push(Event::new(id, &bo, kind::STATE, json!({"state": "flagged"})));
        }
    }
    events
}

/// The ids of `q`'s calls as the definition says: matching ids sorted by (key, id), the key being
/// `sort_ms` or the duration (none sorted as -1).
fn expected(store: &Store, q: &CallQuery, matches: impl Fn(i64) -> bool) -> Vec<i64> {
    let key = match q.sort {
        SortKey::Time => "sort_ms",
        SortKey::Duration => "ifnull(duration, -1)",
    };
    let mut rows: Vec<(i64, i64)> = store
        .read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {key}, id FROM calls"))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .expect("calls");
    rows.retain(|(_, id)| matches(*id));
    rows.sort();
    if q.order == SortOrder::Desc {
        rows.reverse();
    }
    rows.into_iter().map(|(_, id)| id).collect()
}

/// The review index that drives a page of `q`, if one does.
fn driver(store: &Store, q: &CallQuery) -> Option<Driver> {
    store.read(|c| filter::push(c, q, true, &mut Vec::new(), &mut Vec::new())).expect("push")
}

/// A filter's name, its query, and which call ids it matches.
type Case = (&'static str, CallQuery, fn(i64) -> bool);

fn queries() -> Vec<Case> {
    let base = CallQuery { limit: Some(37), ..CallQuery::default() };
    vec![
        ("tag upsell", CallQuery { tags: vec!["upsell".into()], ..base.clone() }, |id| id % 5 < 3),
        ("flagged by anyone", CallQuery { review_state: Some(ReviewState::Flagged), ..base.clone() }, |id| {
            id % 7 == 0 || id % 5 == 0
        }),
        (
            "reviewed by ana",
            CallQuery {
                review_state: Some(ReviewState::Reviewed),
                reviewer: Some("ana@example.com".into()),
                ..base.clone()
            },
            |id| id % 2 == 0 && id % 7 != 0,
        ),
        (
            "tag upsell, failed only",
            CallQuery { tags: vec!["upsell".into()], statuses: vec!["failed".into()], ..base.clone() },
            |id| id % 5 < 3 && id % 4 == 0,
        ),
        ("tag upsell and vip", CallQuery { tags: vec!["upsell".into(), "vip".into()], ..base.clone() }, |id| {
            id % 5 < 3 && id % 3 == 0
        }),
    ]
}

#[test]
fn pages_read_from_the_review_indexes_are_the_walks_pages_in_order() {
    let (_dir, store) = new_store(4_000);
    annotate(&store, sample_review(1..=4_000));
    for (name, q, matches) in queries() {
        for order in [SortOrder::Desc, SortOrder::Asc] {
            let q = CallQuery { order, ..q.clone() };
            let want = expected(&store, &q, matches);
            assert!(want.len() > 100, "{name}: several pages");
            assert!(driver(&store, &q).is_some(), "{name}: read from the review index");
            assert_eq!(pages(&store, &q), want, "{name} {order:?}");
        }
        // Duration order has its own copy of its key.
        for order in [SortOrder::Desc, SortOrder::Asc] {
            let by_duration = CallQuery { sort: SortKey::Duration, order, ..q.clone() };
            assert!(driver(&store, &by_duration).is_some(), "{name}: by duration, read from the review index");
            assert_eq!(pages(&store, &by_duration), expected(&store, &by_duration, matches), "{name} by duration");
        }
    }
    // The same pages once the keys are gone: the filter notices and walks the log.
    store
        .review_write(|c| {
            c.execute_batch("UPDATE call_tags SET log_ms = NULL; UPDATE review_states SET log_ms = NULL; UPDATE review_any SET log_ms = NULL;")?;
            Ok::<_, ReviewError>(())
        })
        .expect("clear");
    for (name, q, matches) in queries() {
        assert!(driver(&store, &q).is_none(), "{name}: a key is missing, so the log is walked");
        assert_eq!(pages(&store, &q), expected(&store, &q, matches), "{name} walking");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_indexed_after_its_annotations_appears_in_order() {
    // Annotations for calls 1..=1200 arrive (team mode) before calls 801..=1200 are indexed.
    let (_dir, store) = new_store(800);
    annotate(&store, sample_review(1..=1_200));
    let upsell = CallQuery { tags: vec!["upsell".into()], limit: Some(50), ..CallQuery::default() };
    let flagged = CallQuery { review_state: Some(ReviewState::Flagged), limit: Some(50), ..CallQuery::default() };
    assert_eq!(pages(&store, &upsell), expected(&store, &upsell, |id| id % 5 < 3));
    assert!(driver(&store, &upsell).is_some(), "rows of calls not indexed yet do not stop the index");

    // The real indexer builds the missing calls, and moves call 10 to the end of the log.
    let ingest = Ingestor::start(store.clone()).expect("indexer");
    for id in (801..=1_200).chain([10]) {
        let at = if id == 10 { BASE_MS + 10_000 * 60_000 } else { BASE_MS + (id / 3) * 60_000 };
        let body = json!({"id": id, "status": "completed", "created_at": crate::time::ms_to_rfc3339(at)});
        ingest.deliver(Source::Webhook, None, body.to_string().into_bytes()).await.expect("deliver");
    }
    ingest.flush().await.expect("flush");

    let stale: i64 = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM review.call_tags t JOIN calls c ON c.id = t.call_id WHERE t.log_ms IS NOT c.sort_ms)
                      + (SELECT count(*) FROM review.review_states t JOIN calls c ON c.id = t.call_id WHERE t.log_ms IS NOT c.sort_ms)
                      + (SELECT count(*) FROM review.review_any t JOIN calls c ON c.id = t.call_id WHERE t.log_ms IS NOT c.sort_ms)",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("count");
    assert_eq!(stale, 0, "every review row carries its call's key");
    assert!(driver(&store, &upsell).is_some());
    for (q, matches) in [(&upsell, (|id| id % 5 < 3) as fn(i64) -> bool), (&flagged, |id| id % 7 == 0 || id % 5 == 0)] {
        let got = pages(&store, q);
        assert_eq!(got, expected(&store, q, matches));
        assert!(got.contains(&1_200) && got.len() > 300, "the late calls are listed");
    }
    assert_eq!(pages(&store, &flagged)[0], 10, "the moved call is first (newest)");
}

#[test]
fn a_review_written_while_its_call_is_missing_is_keyed_by_the_next_review_write() {
    let (_dir, store) = new_store(1_000);
    annotate(&store, sample_review(1..=1_100));
    // Calls 1001..=1100 indexed by a writer that does not refresh the keys (as a race would leave).
    add_calls(&store, 1_001..=1_100);
    let upsell = CallQuery { tags: vec!["upsell".into()], limit: Some(100), ..CallQuery::default() };
    assert!(driver(&store, &upsell).is_none(), "indexed calls without keys: the log is walked");
    assert_eq!(pages(&store, &upsell), expected(&store, &upsell, |id| id % 5 < 3));
    // Any review write fills them.
    add_tags(&store, &who("Cy"), &[1], &["vip".into()]).expect("tag");
    assert!(driver(&store, &upsell).is_some());
    assert_eq!(pages(&store, &upsell), expected(&store, &upsell, |id| id % 5 < 3));
}

#[test]
fn the_upgrade_adds_the_keys_to_a_review_file_of_schema_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("postcall.sqlite");
    {
        let store = Store::open(&path).expect("open");
        add_calls(&store, 1..=900);
    }
    // A review file as the previous version left it, with a call flagged by two reviewers.
    let review = dir.path().join("review.sqlite");
    for f in ["review.sqlite", "review.sqlite-wal", "review.sqlite-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    {
        let c = rusqlite::Connection::open(&review).expect("raw");
        c.execute_batch(include_str!("../../migrations/review/0001_init.sql")).expect("0001");
        c.execute_batch(include_str!("../../migrations/review/0002_outbox.sql")).expect("0002");
        c.execute_batch("INSERT INTO tag_defs (name, color) VALUES ('upsell', '#000000');").expect("tag");
        for id in 1..=900 {
            if id % 5 < 3 {
                c.execute("INSERT INTO call_tags (tag, call_id) VALUES ('upsell', ?1)", [id]).expect("row");
            }
            for who in ["ana@example.com", "bo@example.com"] {
                c.execute(
                    "INSERT INTO review_states (call_id, reviewer, reviewer_name, state, at) VALUES (?1, ?2, '', 'flagged', '')",
                    rusqlite::params![id, who],
                )
                .expect("row");
            }
        }
        c.pragma_update(None, "user_version", 2).expect("version");
    }
    let store = Store::open(&path).expect("upgrade");
    let upsell = CallQuery { tags: vec!["upsell".into()], limit: Some(100), ..CallQuery::default() };
    let flagged = CallQuery { review_state: Some(ReviewState::Flagged), limit: Some(100), ..CallQuery::default() };
    assert!(driver(&store, &upsell).is_some() && driver(&store, &flagged).is_some(), "keys filled at open");
    assert_eq!(pages(&store, &upsell), expected(&store, &upsell, |id| id % 5 < 3));
    assert_eq!(pages(&store, &flagged), expected(&store, &flagged, |_| true), "once each, though two flagged it");
    let by_duration = CallQuery { sort: SortKey::Duration, ..upsell };
    assert!(driver(&store, &by_duration).is_some(), "duration keys filled at open too");
    assert_eq!(pages(&store, &by_duration), expected(&store, &by_duration, |id| id % 5 < 3));
}

/// Every page of `q` as the list gives it: its ids and the cursor that continues it.
fn paged(store: &Store, q: &CallQuery) -> Vec<(Vec<i64>, Option<String>)> {
    let mut q = q.clone();
    let mut out = Vec::new();
    loop {
        let page = store.read(|c| crate::query::list(c, &q)).expect("list");
        let next = page.next_cursor.clone();
        out.push((page.items.iter().map(|c| c.id).collect(), next.clone()));
        match next {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

/// Each page kind in both sorts and both directions, read from the review indexes, then with the
/// keys cleared (the walk of the log), then with the keys filled back: the same pages and cursors.
fn assert_index_pages_are_the_walks(store: &Store, when: &str) {
    type Kind = (String, CallQuery, fn(i64) -> bool);
    let kinds: Vec<Kind> = queries()
        .into_iter()
        .flat_map(|(name, q, matches)| {
            [SortKey::Time, SortKey::Duration].into_iter().flat_map(move |sort| {
                let q = q.clone();
                [SortOrder::Desc, SortOrder::Asc].into_iter().map(move |order| {
                    (format!("{name}, {sort:?} {order:?}, {when}"), CallQuery { sort, order, ..q.clone() }, matches)
                })
            })
        })
        .collect();
    let mut indexed = Vec::new();
    for (name, q, matches) in &kinds {
        assert!(driver(store, q).is_some(), "{name}: read from the review index");
        let pages = paged(store, q);
        assert!(pages.len() > 3, "{name}: several pages");
        let ids: Vec<i64> = pages.iter().flat_map(|p| p.0.clone()).collect();
        assert_eq!(ids, expected(store, q, matches), "{name}: the log's order");
        indexed.push(pages);
    }
    let clear =
        "UPDATE call_tags SET log_ms = NULL, log_dur = NULL; UPDATE review_states SET log_ms = NULL, log_dur = NULL;
                 UPDATE review_any SET log_ms = NULL, log_dur = NULL;";
    store
        .review_write(|c| {
            c.execute_batch(clear)?;
            Ok::<_, ReviewError>(())
        })
        .expect("clear");
    for ((name, q, _), indexed) in kinds.iter().zip(&indexed) {
        assert!(driver(store, q).is_none(), "{name}: no keys, so the log is walked");
        assert_eq!(&paged(store, q), indexed, "{name}: the walk's pages and cursors");
    }
    let conn = store.connect().expect("connect");
    assert!(keys::fill_missing(&conn, "review", "main").expect("fill") > 0);
    for ((name, q, _), indexed) in kinds.iter().zip(&indexed) {
        assert_eq!(&paged(store, q), indexed, "{name}: refilled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_by_duration_from_the_review_indexes_are_the_walks_across_a_redelivery() {
    let (_dir, store) = new_store(3_000);
    annotate(&store, sample_review(1..=3_000));
    assert_index_pages_are_the_walks(&store, "before");

    // Later deliveries change three calls' durations: 10 (tagged, flagged) becomes the longest,
    // 12 (tagged twice, reviewed) the shortest, 21 (flagged, tagged) ties with many others.
    let ingest = Ingestor::start(store.clone()).expect("indexer");
    for (id, duration) in [(10, 100_000), (12, 0), (21, 25)] {
        let body = json!({"id": id, "duration": duration});
        ingest.deliver(Source::Webhook, None, body.to_string().into_bytes()).await.expect("deliver");
    }
    ingest.flush().await.expect("flush");
    let stale: i64 = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM review.call_tags t JOIN calls c ON c.id = t.call_id
                           WHERE t.log_dur IS NOT ifnull(c.duration, -1))
                      + (SELECT count(*) FROM review.review_states t JOIN calls c ON c.id = t.call_id
                           WHERE t.log_dur IS NOT ifnull(c.duration, -1))
                      + (SELECT count(*) FROM review.review_any t JOIN calls c ON c.id = t.call_id
                           WHERE t.log_dur IS NOT ifnull(c.duration, -1))",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("count");
    assert_eq!(stale, 0, "the indexer moved the duration keys of the calls it updated");
    let longest =
        CallQuery { tags: vec!["upsell".into()], sort: SortKey::Duration, limit: Some(5), ..CallQuery::default() };
    assert_eq!(pages(&store, &longest)[0], 10, "the call whose duration grew is first");
    assert_index_pages_are_the_walks(&store, "after a re-delivery");
}
