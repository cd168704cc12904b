//! What untrusted payloads and a shared machine must not be able to do, through the real binary:
//! read the data folder as another local user, drive the terminal through printed payload text,
//! or turn `postcall … | head` into an error; and `calls --limit N` pages rather than truncates.

use std::path::Path;
use std::process::Command;

use postcall_tests::{bin, cli, cli_json, data_dir, post_json, small_call, Server};
use serde_json::{json, Value};

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("stat {}: {e}", p.display())).permissions().mode() & 0o777
}

/// Every file and folder under `root`, with its permission bits.
#[cfg(unix)]
fn modes(root: &Path) -> Vec<(String, u32)> {
    let mut out = vec![(root.display().to_string(), mode(root))];
    for entry in std::fs::read_dir(root).expect("read the data folder").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(modes(&p));
        } else {
            out.push((p.display().to_string(), mode(&p)));
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn the_data_folder_databases_recordings_and_exports_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let chmod = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod");
    let data = data_dir();
    // What an older version or a restore from a backup may have left: readable by everyone.
    chmod(data.path(), 0o755);
    let recordings = data.path().join("recordings");
    std::fs::create_dir(&recordings).expect("mkdir");
    chmod(&recordings, 0o755);
    std::fs::write(recordings.join("7.ogg"), b"OggS").expect("write");
    chmod(&recordings.join("7.ogg"), 0o644);
    std::fs::write(data.path().join("settings.json"), b"{}").expect("write");
    chmod(&data.path().join("settings.json"), 0o644);

    let server = Server::start(data.path(), &postcall_tests::secret(), &[]);
    let (status, body) = post_json(&server.url, &small_call(1));
    assert_eq!(status, 200, "{body}");
    let exports = data_dir();
    chmod(exports.path(), 0o755);
    let csv = exports.path().join("calls.csv");
    cli(data.path(), &["export", "--format", "csv", "--out", csv.to_str().expect("utf-8")]).ok();

    // While the server runs, so the write-ahead logs and shared-memory files exist too.
    let all = modes(data.path());
    let names: Vec<&str> = all.iter().map(|(p, _)| p.rsplit('/').next().unwrap_or("")).collect();
    for expected in ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm", "postcall.sqlite", "search.sqlite"] {
        assert!(names.contains(&expected), "{expected} is in the data folder: {names:?}");
    }
    for (path, m) in &all {
        let want = if Path::new(path).is_dir() { 0o700 } else { 0o600 };
        assert_eq!(*m, want, "{path} is {m:o}, want {want:o}: only the user may read calls");
    }
    assert_eq!(mode(&csv), 0o600, "an export is as private as the calls it holds");
}

/// Imports `n` small calls as one JSON Lines file.
fn import_calls(data: &Path, n: i64) {
    let files = data_dir();
    let lines: String = (1..=n).map(|id| format!("{}\n", small_call(id))).collect();
    let file = files.path().join("calls.jsonl");
    std::fs::write(&file, lines).expect("write");
    let r = cli_json(data, &["import", file.to_str().expect("utf-8")]);
    assert_eq!(r["stored"], n, "{r}");
}

/// `postcall ARGS | head -1` through bash with `pipefail`: postcall's own exit status, its
/// stderr, and what head printed.
fn piped_into_head(data: &Path, args: &str) -> (bool, String, String) {
    let script = format!("set -o pipefail; '{}' --data-dir '{}' {args} | head -1", bin().display(), data.display());
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("POSTCALL_SECRET_STORE", "file")
        .env_remove("POSTCALL_DATA_DIR")
        .output()
        .expect("run bash");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn ids(calls: &Value) -> Vec<i64> {
    calls.as_array().expect("array").iter().map(|c| c["id"].as_i64().expect("id")).collect()
}

#[test]
fn many_calls_page_with_a_cursor_and_a_closed_pipe_ends_quietly() {
    let data = data_dir();
    import_calls(data.path(), 1200);
    let d = data.path();

    assert_eq!(ids(&cli_json(d, &["calls", "--limit", "1200"])).len(), 1200, "--limit N returns N calls");
    let first = cli_json(d, &["calls", "--limit", "700", "--page"]);
    let cursor = first["next_cursor"].as_str().expect("a cursor while there are more").to_string();
    let rest = cli_json(d, &["calls", "--limit", "700", "--page", "--after", &cursor]);
    assert_eq!(rest["next_cursor"], Value::Null, "the last page says so");
    let mut seen = ids(&first["calls"]);
    seen.extend(ids(&rest["calls"]));
    assert_eq!(seen.len(), 1200);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 1200, "pages neither repeat nor skip a call");
    let table = cli(d, &["calls", "--limit", "3"]).ok().stdout.clone();
    assert!(table.contains("more calls: postcall calls --after t:"), "the table says how to go on:\n{table}");
    let bad = cli(d, &["calls", "--after", "not-a-cursor"]);
    assert!(bad.fails().stderr.contains("not a cursor"), "{}", bad.stderr);

    for args in ["calls --limit 1200", "calls --limit 1200 --json", "export", "export --format csv"] {
        let (ok, stderr, stdout) = piped_into_head(d, args);
        assert!(ok, "postcall {args} | head -1 exits 0; stderr: {stderr}");
        assert_eq!(stderr, "", "postcall {args} | head -1 prints nothing on stderr");
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
    }
}

#[test]
fn control_characters_in_payload_text_are_printed_as_escapes() {
    let data = data_dir();
    let files = data_dir();
    let call = json!({"id": 9, "status": "completed\u{1b}[2J", "customer_phone": "+15551234567",
        "extracted_variables": {"summary": "\u{1b}[31mred\u{1b}[0m alert", "note": "a\rb\u{9b}2J"},
        "transcript": [{"sender": "human", "text": "title\u{1b}]0;pwned\u{7} red here\u{202e}", "timestamp": 1.0}]});
    let file = files.path().join("call.json");
    std::fs::write(&file, serde_json::to_vec(&call).expect("json")).expect("write");
    cli(data.path(), &["import", file.to_str().expect("utf-8")]).ok();

    for args in [&["show", "9"][..], &["calls"], &["search", "red"], &["deliveries"]] {
        let out = cli(data.path(), args).ok().stdout.clone();
        for c in ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'] {
            assert!(!out.contains(c), "postcall {args:?} printed {c:?}:\n{out}");
        }
        if args[0] != "deliveries" {
            assert!(out.contains("\\x1b"), "postcall {args:?} shows the escape:\n{out}");
        }
    }
    let shown = cli(data.path(), &["show", "9"]).stdout;
    assert!(shown.contains("\\x1b]0;pwned\\x07 red here\\u{202e}"), "{shown}");
    assert!(shown.contains("a\\x0db\\u{9b}2J"), "{shown}");
    // JSON keeps the exact text (escaped as JSON).
    let detail = cli_json(data.path(), &["show", "9"]);
    assert_eq!(detail["summary"], "\u{1b}[31mred\u{1b}[0m alert");
}
