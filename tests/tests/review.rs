//! Review work through the real `postcall` binary: states, notes, tags, scores, the log's review
//! and variable filters, export/import of review events between two data folders, and the exit
//! status 2 (with nothing written) for bad input.

use std::path::Path;

use postcall_tests::{cli, cli_json, data_dir, show};
use serde_json::{json, Value};

const ANA: &str = "Ana Pop <ana@example.com>";

/// A data folder with five calls and a reviewer set.
fn seeded() -> tempfile::TempDir {
    let data = data_dir();
    let files = data_dir();
    let mut lines = String::new();
    for id in 1..=5 {
        let c = json!({"id": id, "status": "completed", "customer_phone": if id % 2 == 0 { "+15550001111" } else { "+15550002222" },
            "duration": id * 10, "created_at": format!("2025-03-0{id}T09:00:00Z"),
            "extracted_variables": {"status": id % 2 == 0, "budget": id * 500, "lead_quality": if id == 3 { "high" } else { "low" }},
            "transcript": [{"sender": "bot", "text": "hello", "timestamp": 1740819601.0}]});
        lines.push_str(&format!("{c}\n"));
    }
    let file = files.path().join("calls.jsonl");
    std::fs::write(&file, lines).expect("write");
    let r = cli_json(data.path(), &["import", file.to_str().expect("utf-8")]);
    assert_eq!(r["stored"], 5, "{r}");
    cli(data.path(), &["review", "whoami", "--set", ANA]).ok();
    data
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array().expect("array").iter().map(|c| c["id"].as_i64().expect("id")).collect()
}

fn event_count(data: &Path) -> usize {
    let out = cli(data, &["review", "export"]).ok().stdout.clone();
    out.lines().filter(|l| !l.trim().is_empty()).count()
}

/// Asserts exit status 2, a message naming `needle`, and no new review events.
fn refused(data: &Path, args: &[&str], needle: &str) {
    let before = event_count(data);
    let r = cli(data, args);
    r.fails();
    assert_eq!(r.status.code(), Some(2), "{args:?} exits with 2: {}", r.stderr);
    assert!(r.stderr.contains(needle), "{args:?}: stderr names {needle:?}: {}", r.stderr);
    assert_eq!(event_count(data), before, "{args:?} wrote nothing");
}

#[test]
fn mark_note_tag_score_and_show_the_review() {
    let data = seeded();
    let d = data.path();
    let who = cli_json(d, &["review", "whoami"]);
    assert_eq!(who, json!({"name": "Ana Pop", "email": "ana@example.com"}));

    let r = cli_json(d, &["review", "2", "--state", "reviewed"]);
    assert_eq!(r["states"][0]["state"], "reviewed");
    cli(d, &["review", "2", "--state", "flagged", "--as", "Bo <bo@example.com>"]).ok();
    cli(d, &["review", "4", "--state", "in_review"]).ok();

    let note = cli_json(d, &["note", "add", "2", "Customer asked for a refund", "--turn", "0", "--at", "12.5"]);
    let note_id = note["id"].as_str().expect("note id").to_string();
    cli(d, &["note", "edit", "2", &note_id, "Customer asked for a refund twice"]).ok();
    // Only the author edits a note.
    let r = cli(d, &["note", "edit", "2", &note_id, "hijacked", "--as", "Bo <bo@example.com>"]);
    assert_eq!(r.status.code(), Some(2), "{}", r.stderr);
    let notes = cli_json(d, &["note", "list", "2"]);
    assert_eq!(notes[0]["text"], "Customer asked for a refund twice");
    assert_eq!(notes[0]["turn"], 0);
    assert_eq!(notes[0]["at_seconds"], 12.5);

    cli(d, &["tag", "define", "refund", "--color", "#cc3300"]).ok();
    cli(d, &["tag", "define", "vip"]).ok();
    cli(d, &["tag", "add", "2", "refund", "vip"]).ok();
    cli(d, &["tag", "add", "3", "vip"]).ok();
    cli(d, &["tag", "remove", "2", "vip"]).ok();
    let tags = cli_json(d, &["tags"]);
    assert_eq!(
        tags,
        json!([{"name": "refund", "color": "#cc3300", "count": 1}, {"name": "vip", "color": "#3366cc", "count": 1}])
    );

    let card = d.join("qa.json");
    std::fs::write(
        &card,
        json!({"id": "qa", "name": "Quality", "questions": [
            {"id": "objective", "label": "Objective achieved", "kind": "yes_no", "weight": 3, "variable": "status"},
            {"id": "tone", "label": "Tone", "kind": "scale", "weight": 1}]})
        .to_string(),
    )
    .expect("write");
    cli(d, &["scorecards", "save", card.to_str().expect("utf-8")]).ok();
    let s = cli_json(d, &["score", "2", "--scorecard", "qa", "--prefill", "--answer", "tone=5"]);
    assert_eq!(s["total"], 100.0);
    assert_eq!(s["answers"]["objective"], json!({"value": true, "prefilled": true}));

    let review = &show(d, 2)["review"];
    let states: Vec<(&str, &str)> = review["states"]
        .as_array()
        .expect("states")
        .iter()
        .map(|s| (s["reviewer"].as_str().expect("reviewer"), s["state"].as_str().expect("state")))
        .collect();
    assert_eq!(states, [("ana@example.com", "reviewed"), ("bo@example.com", "flagged")]);
    for key in ["reviewer", "state", "at"] {
        assert!(review["states"][0].get(key).is_some(), "states have {key}");
    }
    for key in ["id", "author", "text", "turn", "at_seconds", "created_at"] {
        assert!(review["notes"][0].get(key).is_some(), "notes have {key}");
    }
    assert_eq!(review["tags"], json!(["refund"]));
    assert_eq!(review["scores"][0]["scorecard"], "qa");
    assert_eq!(review["scores"][0]["reviewer"], "ana@example.com");

    // The log: rows carry their review; filters by tag, state and variables.
    let rows = cli_json(d, &["calls"]);
    let row2 = rows.as_array().expect("rows").iter().find(|r| r["id"] == 2).expect("row 2");
    assert_eq!(
        row2["review"],
        json!({"my_state": "reviewed", "any_flagged": true, "reviewed_by": 1, "tags": ["refund"], "score": 100.0})
    );
    assert_eq!(ids(&cli_json(d, &["calls", "--tag", "vip"])), [3]);
    assert_eq!(ids(&cli_json(d, &["calls", "--review-state", "flagged"])), [2]);
    assert_eq!(ids(&cli_json(d, &["calls", "--review-state", "in_review", "--reviewer", "ana@example.com"])), [4]);
    assert_eq!(ids(&cli_json(d, &["calls", "--review-state", "unreviewed"])), [5, 4, 3, 1]);
    assert_eq!(ids(&cli_json(d, &["calls", "--var", "budget>1000"])), [5, 4, 3]);
    assert_eq!(ids(&cli_json(d, &["calls", "--var", "budget>1000", "--var", "lead_quality=high"])), [3]);
    assert_eq!(ids(&cli_json(d, &["calls", "--var", "status=true"])), [4, 2]);
    assert_eq!(ids(&cli_json(d, &["calls", "--var", "lead_quality~hi"])), [3]);
    assert!(ids(&cli_json(d, &["calls", "--var", "missing_thing?"])).len() == 5);

    // `postcall export` carries a reviewed call's review.
    let export = cli(d, &["export"]).ok().stdout.clone();
    let line2: Value =
        export.lines().map(|l| serde_json::from_str::<Value>(l).expect("json")).find(|c| c["id"] == 2).expect("call 2");
    assert_eq!(line2["review"]["tags"], json!(["refund"]));

    // Rebuilding from the events gives the same state.
    let before = show(d, 2)["review"].clone();
    cli(d, &["review", "rebuild"]).ok();
    assert_eq!(show(d, 2)["review"], before);
}

#[test]
fn bad_input_exits_with_2_and_writes_nothing() {
    let data = seeded();
    let d = data.path();
    cli(d, &["tag", "define", "vip"]).ok();
    refused(d, &["tag", "add", "2", "vip", "no-such-tag"], "no-such-tag");
    refused(d, &["note", "add", "99", "a note on nothing"], "no call with id 99");
    refused(d, &["review", "99", "--state", "reviewed"], "99");
    refused(d, &["review", "2", "--state", "done"], "done");
    refused(d, &["calls", "--var", "budget>lots"], "number");
    refused(d, &["calls", "--tag", "no-such-tag"], "no-such-tag");
    refused(d, &["note", "add", "2", "   "], "text");
    refused(d, &["tag", "define", "x", "--color", "green"], "colour");
    refused(d, &["score", "2", "--scorecard", "none"], "none");
    refused(d, &["review", "2", "--state", "reviewed", "--as", "nobody"], "Name <email>");

    // Without a reviewer the CLI says how to set one.
    let fresh = data_dir();
    let r = cli(fresh.path(), &["review", "1", "--state", "reviewed"]);
    assert_eq!(r.status.code(), Some(2));
    let r = cli(fresh.path(), &["tag", "define", "vip"]);
    r.ok();
    let files = data_dir();
    let file = files.path().join("c.json");
    std::fs::write(&file, json!({"id": 7, "status": "completed"}).to_string()).expect("write");
    cli(fresh.path(), &["import", file.to_str().expect("utf-8")]).ok();
    let r = cli(fresh.path(), &["review", "7", "--state", "reviewed"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(r.stderr.contains("postcall review whoami --set"), "{}", r.stderr);

    // An import with one bad line imports nothing.
    let events = files.path().join("events.jsonl");
    std::fs::write(&events, "{\"event_id\":\"a\",\"call_id\":1,\"author_email\":\"a@b\",\"author_name\":\"A\",\"kind\":\"review.state\",\"body\":{\"state\":\"reviewed\"},\"created_at\":\"2025-01-01T00:00:00Z\",\"schema_version\":1}\nnot json\n").expect("write");
    refused(d, &["review", "import", events.to_str().expect("utf-8")], "line 2");
}

#[test]
fn review_work_moves_between_data_folders() {
    let a = seeded();
    let b = seeded();
    for d in [a.path(), b.path()] {
        cli(d, &["tag", "define", "refund"]).ok();
    }
    cli(a.path(), &["review", "1", "--state", "reviewed"]).ok();
    cli(a.path(), &["note", "add", "1", "good call", "--turn", "0"]).ok();
    cli(a.path(), &["tag", "add", "3", "refund"]).ok();
    cli(a.path(), &["review", "3", "--state", "flagged", "--as", "Bo <bo@example.com>"]).ok();
    // b has work of its own, which stays.
    cli(b.path(), &["tag", "add", "3", "refund", "--as", "Cy <cy@example.com>"]).ok();

    let files = data_dir();
    let out = files.path().join("review.jsonl");
    cli(a.path(), &["review", "export", "--out", out.to_str().expect("utf-8")]).ok();
    let r = cli_json(b.path(), &["review", "import", out.to_str().expect("utf-8")]);
    assert_eq!((r["read"].as_i64(), r["new"].as_i64()), (Some(5), Some(5)), "four annotations and a definition: {r}");
    let again = cli_json(b.path(), &["review", "import", out.to_str().expect("utf-8")]);
    assert_eq!(again["new"], 0, "idempotent by event_id");

    for id in [1, 2, 3] {
        let (ra, rb) = (show(a.path(), id)["review"].clone(), show(b.path(), id)["review"].clone());
        assert_eq!(ra["states"], rb["states"], "call {id}");
        assert_eq!(ra["notes"], rb["notes"], "call {id}");
        assert_eq!(ra["tags"], rb["tags"], "call {id}");
    }
    // And back: a gets b's own add, and both then hold the same review objects.
    let back = files.path().join("back.jsonl");
    cli(b.path(), &["review", "export", "--out", back.to_str().expect("utf-8")]).ok();
    cli(a.path(), &["review", "import", back.to_str().expect("utf-8")]).ok();
    for id in [1, 2, 3] {
        assert_eq!(show(a.path(), id)["review"], show(b.path(), id)["review"], "call {id}");
    }
    let csv = cli(a.path(), &["review", "export", "--format", "csv"]).ok().stdout.clone();
    assert_eq!(csv.lines().count(), 8, "a header, five annotations and both folders' definitions:\n{csv}");
}
