//! Secrets in the system keyring: the real `postcall` binary reading the Intellixent API key from
//! a real Secret Service (GNOME Keyring on a private D-Bus session bus, in a temporary HOME), and
//! falling back to the private file when told to or when no keyring answers.
//!
//! Needs `dbus-daemon`, `gnome-keyring-daemon` and `secret-tool` (`make deps` installs them): on
//! Linux their absence fails the tests; elsewhere (no Secret Service) they are skipped, saying so.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postcall_tests::keyring::{tools_present, Bus};
use postcall_tests::{command, data_dir};

const KEY_SECRET: &str = "intellixent-api-key";

/// The keyring account Postcall files a data folder's secret under.
fn account(name: &str, data: &Path) -> String {
    format!("{name}:{}", std::fs::canonicalize(data).expect("canonical data folder").display())
}

/// A stand-in for the calls API that answers every request 401 and remembers the
/// `Authorization` headers it was sent.
struct RejectingApi {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RejectingApi {
    fn start() -> RejectingApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://127.0.0.1:{}/api", listener.local_addr().expect("addr").port());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let auth = head
                    .lines()
                    .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("authorization")))
                    .map(|(_, v)| v.trim().to_string())
                    .unwrap_or_default();
                log.lock().unwrap_or_else(|e| e.into_inner()).push(auth);
                let _ =
                    stream.write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        RejectingApi { base, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

struct Run {
    ok: bool,
    stderr: String,
    took: Duration,
}

/// `postcall --data-dir DATA sync` against `api`, with the given bus (or none) and store choice.
fn sync(data: &Path, api: &RejectingApi, bus: Option<&str>, store: Option<&str>) -> Run {
    let mut c = command();
    c.arg("--data-dir").arg(data).args(["sync", "--api-base", &api.base, "--since", "2025-01-01"]);
    c.env_remove("POSTCALL_SECRET_STORE").env_remove("XDG_RUNTIME_DIR");
    match bus {
        Some(address) => c.env("DBUS_SESSION_BUS_ADDRESS", address),
        None => c.env_remove("DBUS_SESSION_BUS_ADDRESS"),
    };
    if let Some(s) = store {
        c.env("POSTCALL_SECRET_STORE", s);
    }
    let started = Instant::now();
    let out = c.output().expect("run postcall sync");
    Run { ok: out.status.success(), stderr: String::from_utf8_lossy(&out.stderr).into_owned(), took: started.elapsed() }
}

/// No file of the data folder holds `needle`.
fn assert_in_no_file(dir: &Path, needle: &str) {
    for entry in std::fs::read_dir(dir).expect("list the data folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            assert_in_no_file(&path, needle);
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            assert!(!String::from_utf8_lossy(&bytes).contains(needle), "{} holds the secret", path.display());
        }
    }
}

#[test]
fn the_api_key_is_read_from_the_system_keyring() {
    if !tools_present() {
        return;
    }
    let bus = Bus::start().with_unlocked_keyring();
    let dir = data_dir();
    let key = "sk-in-the-keyring-7f3a";
    // Filed as Postcall files it: service "postcall", account "<name>:<data folder>".
    let out = bus.secret_tool(
        &[
            "store",
            "--label=Postcall test key",
            "service",
            "postcall",
            "username",
            &account(KEY_SECRET, dir.path()),
            "target",
            "default",
            "application",
            "rust-keyring",
        ],
        key,
    );
    assert!(out.status.success(), "secret-tool store: {}", String::from_utf8_lossy(&out.stderr));
    let api = RejectingApi::start();

    let run = sync(dir.path(), &api, Some(&bus.address), None);
    assert!(!run.ok);
    assert!(run.stderr.contains("API key rejected"), "stderr: {}", run.stderr);
    assert!(!run.stderr.contains(key), "the key is never printed");
    assert_eq!(api.seen(), vec![format!("Bearer {key}")], "the key came from the keyring");
    assert_in_no_file(dir.path(), key);

    // An older key file in the data folder is shadowed by the keyring's.
    std::fs::write(dir.path().join(KEY_SECRET), "sk-old-file-key\n").expect("write the old key file");
    let run = sync(dir.path(), &api, Some(&bus.address), None);
    assert!(!run.ok);
    assert_eq!(api.seen().last().map(String::as_str), Some(format!("Bearer {key}").as_str()));

    // POSTCALL_SECRET_STORE=file: the keyring is not asked, the private file is used.
    let run = sync(dir.path(), &api, Some(&bus.address), Some("file"));
    assert!(!run.ok);
    assert!(run.stderr.contains("API key rejected"), "stderr: {}", run.stderr);
    assert_eq!(api.seen().last().map(String::as_str), Some("Bearer sk-old-file-key"));

    // Another data folder does not see this one's key.
    let other = data_dir();
    let before = api.seen().len();
    let run = sync(other.path(), &api, Some(&bus.address), None);
    assert!(!run.ok);
    assert!(run.stderr.contains("API key"), "stderr: {}", run.stderr);
    assert_eq!(api.seen().len(), before, "no key, no request");

    // The entry is Postcall's: removing it leaves the file copy as the key.
    let out = bus.secret_tool(&["clear", "service", "postcall", "username", &account(KEY_SECRET, dir.path())], "");
    assert!(out.status.success(), "secret-tool clear: {}", String::from_utf8_lossy(&out.stderr));
    let run = sync(dir.path(), &api, Some(&bus.address), None);
    assert!(!run.ok);
    assert_eq!(api.seen().last().map(String::as_str), Some("Bearer sk-old-file-key"));
}

#[test]
fn without_a_working_keyring_the_private_file_is_used_without_hanging() {
    if !tools_present() {
        return;
    }
    let dir = data_dir();
    std::fs::write(dir.path().join(KEY_SECRET), "sk-file-only\n").expect("write the key file");
    let api = RejectingApi::start();

    // No session bus at all.
    let run = sync(dir.path(), &api, None, None);
    assert!(run.stderr.contains("API key rejected"), "stderr: {}", run.stderr);
    assert_eq!(api.seen().last().map(String::as_str), Some("Bearer sk-file-only"));

    // A bus address where nothing listens.
    let run = sync(dir.path(), &api, Some("unix:path=/nonexistent/postcall-test-bus"), None);
    assert!(run.stderr.contains("API key rejected"), "stderr: {}", run.stderr);
    assert_eq!(api.seen().last().map(String::as_str), Some("Bearer sk-file-only"));
    assert!(run.took < Duration::from_secs(15), "took {:?}", run.took);

    // A bus with no unlocked keyring (the Secret Service, if activated, has no login keyring).
    let bus = Bus::start();
    let run = sync(dir.path(), &api, Some(&bus.address), None);
    assert!(run.stderr.contains("API key rejected"), "stderr: {}", run.stderr);
    assert_eq!(api.seen().last().map(String::as_str), Some("Bearer sk-file-only"));
    assert!(run.took < Duration::from_secs(15), "took {:?}", run.took);
}
