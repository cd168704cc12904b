//! Search in every script through the real binary: calls imported as files, then `postcall search`;
//! and a data folder whose search index was written before CJK bigrams, rebuilt on upgrade.

use std::path::Path;

use postcall_tests::{cli_json, data_dir};
use serde_json::{json, Value};

/// Real sentences, one call each, as an Intellixent payload would carry them.
fn calls() -> Vec<Value> {
    let call = |id: i64, customer: &str| {
        json!({"id": id, "status": "completed", "created_at": format!("2025-03-0{id}T09:00:00Z"),
            "transcript": [{"sender": "bot", "text": "Hello, how can I help?", "timestamp": 1.0},
                           {"sender": "human", "text": customer, "timestamp": 5.0}]})
    };
    vec![
        call(1, "十点比较好，谢谢。我的订单 ZX-4471 还没有到。"),
        call(2, "明日の午後三時に予約を変更したいです。キャンセル料はかかりますか？"),
        call(3, "내일 오후 세 시에 예약을 변경하고 싶어요."),
        call(4, "ผมอยากเปลี่ยนเวลานัดหมายครับ"),
        call(5, "أُرِيدُ تَغْيِيرَ مَوْعِدِي إِلَى يَوْمِ الثُّلَاثَاءِ"),
        call(6, "Aș vrea să comand ceaiul 龙井茶 pentru mâine, înainte de ora zece."),
        call(7, "Ten o'clock works, thank you."),
    ]
}

fn imported() -> (tempfile::TempDir, tempfile::TempDir) {
    let (data, files) = (data_dir(), data_dir());
    for c in calls() {
        std::fs::write(files.path().join(format!("call-{}.json", c["id"])), serde_json::to_vec(&c).expect("json"))
            .expect("write");
    }
    let r = cli_json(data.path(), &["import", files.path().to_str().expect("utf-8 path")]);
    assert_eq!(r["stored"], 7, "{r}");
    (data, files)
}

/// The calls found, and the marked texts of the first hit.
fn search(data: &Path, q: &str) -> (Vec<i64>, Vec<String>) {
    let hits = cli_json(data, &["search", q]);
    let hits = hits.as_array().expect("array");
    let mut ids: Vec<i64> = hits.iter().map(|h| h["call_id"].as_i64().expect("call_id")).collect();
    ids.sort_unstable();
    let marked = hits
        .first()
        .map(|h| {
            h["snippet_parts"]
                .as_array()
                .expect("parts")
                .iter()
                .filter(|p| p["hit"] == true)
                .map(|p| p["text"].as_str().expect("text").to_string())
                .collect()
        })
        .unwrap_or_default();
    (ids, marked)
}

fn expect_all(data: &Path) {
    let cases: [(&str, i64, &[&str]); 12] = [
        ("十点", 1, &["十点"]),
        ("比较好", 1, &["比较好"]),
        ("好", 1, &["好"]),
        ("订单 ZX-4471", 1, &["订单", "ZX-4471"]),
        ("予約", 2, &["予約"]),
        ("キャンセル", 2, &["キャンセル"]),
        ("예약", 3, &["예약"]),
        ("นัดหมาย", 4, &["นัดหมาย"]),
        ("موعدي", 5, &["مَوْعِدِي"]),
        ("maine", 6, &["mâine"]),
        ("龙井", 6, &["龙井"]),
        ("ten", 7, &["Ten"]),
    ];
    for (q, id, marked) in cases {
        let (ids, got) = search(data, q);
        assert_eq!(ids, vec![id], "{q}");
        assert_eq!(got, marked, "{q}: the matched characters of the text as written are marked");
    }
}

#[test]
fn every_script_is_searchable_and_marked() {
    let (data, _files) = imported();
    expect_all(data.path());
}

/// The search file as the previous schema (3) left it, with the calls indexed the old way: CJK
/// runs as single tokens.
fn downgrade_search_index(data: &Path) {
    let conn = rusqlite::Connection::open(data.join("search.sqlite")).expect("search file");
    conn.execute_batch(
        "DROP TABLE transcript_terms; DROP TABLE calls_terms;
         DROP TABLE transcript_fts; DROP TABLE calls_fts; DROP TABLE fragments_fts; DELETE FROM search_state;
         CREATE VIRTUAL TABLE transcript_fts USING fts5 (text, content = '', contentless_delete = 1,
             tokenize = 'unicode61 remove_diacritics 2');
         CREATE VIRTUAL TABLE calls_fts USING fts5 (summary, variables, phones,
             tokenize = 'unicode61 remove_diacritics 2');
         CREATE VIRTUAL TABLE fragments_fts USING fts5 (tokens, tokenize = 'trigram');
         CREATE VIRTUAL TABLE transcript_terms USING fts5vocab (transcript_fts, 'row');
         CREATE VIRTUAL TABLE calls_terms USING fts5vocab (calls_fts, 'row');
         PRAGMA user_version = 3;",
    )
    .expect("old layout");
    conn.execute("ATTACH DATABASE ?1 AS calls", [data.join("postcall.sqlite").display().to_string()]).expect("attach");
    conn.execute_batch(
        "INSERT INTO transcript_fts (rowid, text)
             SELECT call_id, group_concat(text, char(10)) FROM calls.turns GROUP BY call_id;
         INSERT INTO calls_fts (rowid, summary, variables, phones) SELECT id, summary, '', '' FROM calls.calls;
         INSERT INTO search_state (name, delivery_id) SELECT name, delivery_id FROM calls.index_state;",
    )
    .expect("old rows");
    let old: i64 = conn
        .query_row("SELECT count(*) FROM transcript_fts WHERE transcript_fts MATCH '\"十点\"'", [], |r| r.get(0))
        .expect("query");
    assert_eq!(old, 0, "the old index cannot find 十点");
}

#[test]
fn an_index_written_before_is_rebuilt_on_upgrade() {
    let (data, _files) = imported();
    downgrade_search_index(data.path());
    // The first command after the upgrade rebuilds the index from the call database.
    expect_all(data.path());
}
