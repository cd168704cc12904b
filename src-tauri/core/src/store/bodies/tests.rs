use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::store::deliveries::{self, Source};
use crate::store::{self, Store};

/// Payloads shaped like Intellixent's (ids, phones, a transcript of varied turns, variables), from
/// a fixed seed; the store's tests make their own rather than use the benchmark's generator above.
fn payloads(n: i64) -> Vec<Vec<u8>> {
    const WORDS: [&str; 24] = [
        "hello",
        "this",
        "is",
        "Maya",
        "from",
        "Brightline",
        "calling",
        "about",
        "your",
        "appointment",
        "tomorrow",
        "at",
        "ten",
        "would",
        "that",
        "still",
        "work",
        "yes",
        "thanks",
        "price",
        "budget",
        "demo",
        "email",
        "later",
    ];
    let mut x: u64 = 7;
    let mut next = move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as usize
    };
    (1..=n)
        .map(|id| {
            let turns: Vec<serde_json::Value> = (0..20 + next() % 20)
                .map(|t| {
                    let text: Vec<&str> = (0..4 + next() % 12).map(|_| WORDS[next() % WORDS.len()]).collect();
                    serde_json::json!({"role": if t % 2 == 0 { "assistant" } else { "user" }, "content": text.join(" ")})
                })
                .collect();
            serde_json::to_vec(&serde_json::json!({
                "id": id, "status": "completed", "duration": 30 + next() % 600,
                "customer_phone": format!("+1555{:07}", next() % 10_000_000),
                "created_at": crate::time::ms_to_rfc3339(1_700_000_000_000 + id * 60_000),
                "transcript": turns,
                "extracted_variables": {"budget": next() % 5000, "lead_quality": WORDS[next() % 3]},
            }))
            .expect("json")
        })
        .collect()
}

/// A journal holding `bodies` raw, as an older Postcall wrote them (schema 1).
fn old_journal(path: &Path, bodies: &[Vec<u8>]) {
    let conn = Connection::open(path).expect("open");
    conn.execute_batch(store::JOURNAL_MIGRATIONS[0].1).expect("schema 1");
    conn.pragma_update(None, "user_version", 1).expect("version");
    let tx = conn.unchecked_transaction().expect("tx");
    for (i, b) in bodies.iter().enumerate() {
        tx.execute(
            "INSERT INTO deliveries (received_ms, source, content_type, body, outcome, call_id)
             VALUES (?1, 'webhook', 'application/json', ?2, 'stored', ?3)",
            rusqlite::params![i as i64, b, i as i64 + 1],
        )
        .expect("insert");
    }
    tx.commit().expect("commit");
}

fn trained(dir: &Path) -> (Connection, Packer) {
    old_journal(&dir.join("journal.sqlite"), &payloads(TRAIN_AT));
    let conn = store::open_journal(&dir.join("journal.sqlite")).expect("upgrade");
    let packer = Packer::open(&conn).expect("packer");
    assert!(packer.train_if_due(&conn, &Gate::default()).expect("train"), "1,000 deliveries are enough");
    (conn, packer)
}

fn stored(conn: &Connection, id: i64) -> (i64, Vec<u8>) {
    conn.query_row("SELECT codec, body FROM deliveries WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("row")
}

#[test]
fn a_dictionary_shrinks_payloads_and_every_byte_comes_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (conn, packer) = trained(dir.path());
    let store = Store::open(&dir.path().join("postcall.sqlite")).expect("store");
    let fresh = payloads(TRAIN_AT + 200).split_off(TRAIN_AT as usize);
    let (mut raw, mut packed) = (0, 0);
    for body in &fresh {
        let (dict, bytes) = packer.pack(body).expect("a payload compresses");
        let id = deliveries::insert_packed(&conn, 1, Source::Webhook, None, body, Some((dict, &bytes)), Ok(1))
            .expect("insert");
        assert_eq!(stored(&conn, id).0, ZSTD_DICT);
        assert_eq!(&deliveries::raw(&conn, id).expect("raw").expect("row").body, body, "byte-identical");
        let shown = store.read(|c| deliveries::get(c, id)).expect("get").expect("row");
        assert_eq!(shown.body.as_bytes(), body.as_slice());
        (raw, packed) = (raw + body.len(), packed + bytes.len());
    }
    assert!(packed * 3 < raw, "at least 3× smaller: {raw} → {packed} bytes");
}

#[test]
fn a_process_that_never_saw_the_dictionary_reads_it_from_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("postcall.sqlite")).expect("store");
    // A dictionary this process has not loaded (as another process would have trained it).
    let samples: Vec<Vec<u8>> = payloads(300).into_iter().map(|p| [b"walrus ".as_slice(), &p].concat()).collect();
    let bytes = zstd::dict::from_samples(&samples, 16 * 1024).expect("train");
    let dict = Dict::new(7, &bytes).expect("dict");
    assert!(cached(dict.zstd_id).is_none());
    let body = &samples[0];
    let packed = encode(&dict, body).expect("packs");
    let journal = store.connect_journal().expect("journal");
    journal
        .execute("INSERT INTO body_dicts (id, created_ms, samples, bytes) VALUES (7, 0, 300, ?1)", [&bytes])
        .expect("dictionary");
    let id =
        deliveries::insert_packed(&journal, 1, Source::Webhook, None, body, Some((7, &packed)), Ok(1)).expect("insert");
    let got = store.read(|c| Ok(deliveries::raw(c, id)?.expect("row").body)).expect("read");
    assert_eq!(&got, body);
    // A body naming a dictionary the journal does not hold says so instead of returning garbage.
    let other = Dict::new(8, &zstd::dict::from_samples(&samples[..200], 8 * 1024).expect("train")).expect("dict");
    let orphan = encode(&other, body).expect("packs");
    let err = decode(ZSTD_DICT, Some(8), &orphan, |id| dict_bytes(&journal, id)).expect_err("no such dictionary");
    assert!(err.contains('8') && err.contains("missing"), "{err}");
}

#[test]
fn old_raw_bodies_are_compressed_in_batches_resumably_and_stay_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = dir.path().join("journal.sqlite");
    let bodies = {
        let mut b = payloads(TRAIN_AT + 300);
        b.push(vec![0xff, 0x00, 0x7b]); // a body that was not even UTF-8
        b.push(Vec::new()); // nor anything at all
        b
    };
    old_journal(&journal, &bodies);
    let gate = Gate::default();
    let before = std::fs::metadata(&journal).expect("size").len();
    {
        // Opening the old folder migrates without touching a body.
        let mut conn = store::open_journal(&journal).expect("upgrade");
        assert_eq!(stored(&conn, 1), (RAW, bodies[0].clone()));
        let packer = Packer::open(&conn).expect("packer");
        assert_eq!(progress(&conn).expect("progress"), None, "nothing to show before a dictionary");
        assert!(packer.train_if_due(&conn, &gate).expect("train"));
        assert_eq!(progress(&conn).expect("p"), Some(Compressing { done: 0, total: bodies.len() as i64 }));
        let first = compact_batch(&mut conn, &packer, &gate).expect("batch").expect("work");
        assert_eq!(first.done, COMPACT_BATCH);
        // Killed here: the next start resumes at the mark.
    }
    let mut conn = store::open_journal(&journal).expect("reopen");
    let packer = Packer::open(&conn).expect("packer");
    assert_eq!(progress(&conn).expect("p").map(|p| p.done), Some(COMPACT_BATCH));
    let mut batches = 1;
    while compact_batch(&mut conn, &packer, &gate).expect("batch").is_some() {
        batches += 1;
    }
    assert_eq!(batches, (bodies.len() as i64 + COMPACT_BATCH - 1) / COMPACT_BATCH);
    assert_eq!(progress(&conn).expect("p"), None, "done");
    let raw_left: i64 =
        conn.query_row("SELECT count(*) FROM deliveries WHERE codec = 0", [], |r| r.get(0)).expect("count");
    assert_eq!(raw_left, 2, "only the two bodies compression would not shrink stay raw");
    for (i, body) in bodies.iter().enumerate() {
        let got = deliveries::raw(&conn, i as i64 + 1).expect("raw").expect("row").body;
        assert_eq!(&got, body, "delivery {} byte-identical", i + 1);
    }
    let packed: i64 = conn.query_row("SELECT sum(length(body)) FROM deliveries", [], |r| r.get(0)).expect("sum");
    let raw: usize = bodies.iter().map(Vec::len).sum();
    assert!((packed as usize) * 3 < raw, "{raw} → {packed} bytes");
    let store = Store::open(&dir.path().join("postcall.sqlite")).expect("store");
    let heads = store.read(|c| deliveries::heads_for_call(c, 5)).expect("heads");
    assert_eq!(heads[0].body_bytes, bodies[4].len() as i64, "the length shown is the received one");
    drop(conn);
    assert!(before > 0);
}

#[test]
fn compression_switched_off_stores_raw_and_trains_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    old_journal(&dir.path().join("journal.sqlite"), &payloads(TRAIN_AT));
    let conn = store::open_journal(&dir.path().join("journal.sqlite")).expect("upgrade");
    let packer = Packer { enabled: false, current: RwLock::new(None) };
    assert!(!packer.train_if_due(&conn, &Gate::default()).expect("train"));
    assert!(packer.pack(b"{}").is_none());
}

fn shared_packer() -> &'static Packer {
    static PACKER: std::sync::OnceLock<(tempfile::TempDir, Packer)> = std::sync::OnceLock::new();
    &PACKER
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let (_, packer) = trained(dir.path());
            (dir, packer)
        })
        .1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_come_back_exactly(body in proptest::collection::vec(any::<u8>(), 0..20_000), json in any::<bool>()) {
        let packer = shared_packer();
        // Arbitrary bytes, and JSON-like ones that the dictionary does shrink.
        let body = if json { [b"{\"transcript\":[".as_slice(), &body, b"]}"].concat() } else { body };
        match packer.pack(&body) {
            Some((dict, packed)) => {
                prop_assert!(packed.len() < body.len());
                let back = decode(ZSTD_DICT, Some(dict), &packed, |_| Err("loaded".into())).expect("decode");
                prop_assert_eq!(&back, &body);
            }
            None => prop_assert_eq!(&decode(RAW, None, &body, |_| Err("raw".into())).expect("raw"), &body),
        }
        let conn = store::open_in_memory().expect("db");
        let id = deliveries::insert_packed(&conn, 1, Source::Webhook, None, &body,
            packer.pack(&body).as_ref().map(|(d, p)| (*d, p.as_slice())), Err("x")).expect("insert");
        prop_assert_eq!(deliveries::raw(&conn, id).expect("raw").expect("row").body, body);
    }
}
