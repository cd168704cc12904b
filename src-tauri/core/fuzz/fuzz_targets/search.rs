//! No search box input makes SQLite or FTS5 fail, and snippets carry only the matcher's marks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postcall_core::ingest::Source;
use postcall_core::store::calls;

thread_local! {
    static DB: rusqlite::Connection = {
        let conn = postcall_core::store::open_in_memory().expect("db");
        let mut rng = postcall_core::sample::Rng::new(3);
        for id in 1..=40 {
            let doc = postcall_core::sample::call(id, &mut rng, 1_704_067_200_000 + id * 60_000);
            calls::upsert(&conn, id, Source::Import, doc.as_object().expect("object"), 1).expect("upsert");
        }
        let marked = serde_json::json!({"id": 41, "transcript": "AI: \u{2}fake\u{3} refund 4471\nCustomer: \u{3}refund"});
        calls::upsert(&conn, 41, Source::Import, marked.as_object().expect("object"), 1).expect("upsert");
        conn
    };
}

fuzz_target!(|input: &[u8]| {
    let q = String::from_utf8_lossy(input);
    DB.with(|conn| {
        let hits = postcall_core::search::search(conn, &q, 20).unwrap_or_else(|e| panic!("search {q:?}: {e}"));
        for h in hits {
            assert!(h.snippet_parts.iter().all(|p| !p.text.contains(['\u{2}', '\u{3}'])), "{:?}", h.snippet_parts);
        }
        postcall_core::search::matching_call_ids(conn, &q, 100).unwrap_or_else(|e| panic!("ids {q:?}: {e}"));
    });
});
