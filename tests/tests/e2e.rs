//! End-to-end tests of the real window: the real `postcall-desktop` binary (with its embedded UI) driven
//! through `tauri-driver` + `WebKitWebDriver`, on an Xvfb display of its own when `DISPLAY` is
//! unset. Each test starts the app on a fresh data folder and listener port, posts webhooks to
//! it over HTTP, and checks what the window shows.
//!
//! Needs: `cargo build -p postcall-cli -p postcall-desktop` (after `cd ui && npm install && npm run build`),
//! `cargo install tauri-driver --locked --version ^2`, and `apt-get install webkit2gtk-driver
//! xvfb` (or a display in `DISPLAY`). A missing tool fails the test with what to install.
//!
//! Run: `cargo test -p postcall-tests --test e2e -- --test-threads=1`.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use postcall_tests::audio::{probe_duration, speech, Behaviour, RecordingHost};
use postcall_tests::webdriver::{self, poll, wait_for, Element, Session};
use postcall_tests::{bin, desktop_bin, fixture_json, post_json, secret};
use serde_json::{json, Value};

/// `make bench-desktop` (ignored here): a module of this file so it drives the same `App`.
#[path = "e2e/bench_desktop.rs"]
mod bench_desktop;
/// Opening a call: the log under it, a hit far down a long call.
#[path = "e2e/open_call.rs"]
mod open_call;

/// How long any one thing may take to show up in the window.
const WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------
// Tools and processes

/// `name` in `PATH`, then in the given folders.
fn find_tool(name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain(extra.iter().cloned()).map(|d| d.join(name)).find(|p| p.is_file())
}

fn cargo_bin_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    dirs
}

fn tauri_driver() -> PathBuf {
    find_tool("tauri-driver", &cargo_bin_dirs()).unwrap_or_else(|| {
        panic!(
            "tauri-driver is not installed (looked in PATH and ~/.cargo/bin): \
             run `cargo install tauri-driver --locked --version ^2` (not the 3.0 alpha)"
        )
    })
}

fn webkit_webdriver() -> PathBuf {
    find_tool("WebKitWebDriver", &[PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")]).unwrap_or_else(|| {
        panic!("WebKitWebDriver is not installed: run `apt-get install webkit2gtk-driver` (Debian/Ubuntu)")
    })
}

/// Sends SIGTERM (or SIGKILL) to one process id of ours.
fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).stderr(Stdio::null()).status();
}

/// Waits up to `limit` for a child to exit; SIGKILLs it after that. Returns whether it exited
/// on its own.
fn reap(child: &mut Child, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process id is alive (a zombie counts as gone).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().chars().next()), Some(Some('Z'))),
        Err(_) => false,
    }
}

/// Every live descendant of `root` (from the parent ids in /proc).
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
            // "pid (comm) state ppid …": comm may contain spaces, so split after the last ')'.
            let Some((_, rest)) = stat.rsplit_once(')') else { continue };
            let mut fields = rest.split_whitespace();
            let state = fields.next().unwrap_or("");
            let Some(ppid) = fields.next().and_then(|p| p.parse::<u32>().ok()) else { continue };
            if state != "Z" {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

/// `n` free loopback ports (distinct; held together while choosing).
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free port")).collect();
    held.iter().map(|l| l.local_addr().expect("local addr").port()).collect()
}

/// The display the app runs on: `$DISPLAY`, or an Xvfb of our own (stopped on drop).
struct Display {
    name: String,
    xvfb: Option<Child>,
}

impl Display {
    fn get() -> Display {
        if let Some(d) = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()) {
            return Display { name: d, xvfb: None };
        }
        let xvfb = find_tool("Xvfb", &[PathBuf::from("/usr/bin")]).unwrap_or_else(|| {
            panic!("DISPLAY is unset and Xvfb is not installed: run `apt-get install xvfb xauth`, or set DISPLAY")
        });
        for n in 90..400u32 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let mut child = Command::new(&xvfb)
                .args([format!(":{n}").as_str(), "-screen", "0", "1440x900x24", "-nolisten", "tcp"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", xvfb.display()));
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // display taken meanwhile: try the next number
                }
                if socket.exists() {
                    return Display { name: format!(":{n}"), xvfb: Some(child) };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("Xvfb :{n} did not come up within 10 s");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("no free X display number between :90 and :399");
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(mut x) = self.xvfb.take() {
            // SIGTERM lets Xvfb remove its socket and lock file.
            signal(x.id(), "TERM");
            reap(&mut x, Duration::from_secs(5));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The app under test

/// The real app in its window, driven through a WebDriver session, with its own data folder,
/// listener port, tauri-driver and (without `DISPLAY`) Xvfb. Torn down on drop.
struct App {
    /// The webhook listener's port.
    listen_port: u16,
    session: Option<Session>,
    driver: Option<Child>,
    app_pids: Vec<u32>,
    /// `http://127.0.0.1:PORT/hooks/SECRET`
    webhook: String,
    log: PathBuf,
    _display: Display,
    _work: tempfile::TempDir,
}

impl App {
    /// Starts the app on a fresh data folder and waits until its call log shows.
    fn start() -> App {
        let app = App::launch(|_| {});
        app.wait_started();
        app.wait_count("0 calls");
        app
    }

    /// Waits until the call log's count reads `text`.
    fn wait_count(&self, text: &str) {
        self.wait_until(&format!("the call log to show \"{text}\""), |a| {
            Ok(a.s().execute(
                "const e = document.querySelector('[data-testid=\"call-count\"]'); return e ? e.textContent : null;",
                vec![],
            )? == json!(text))
        });
    }

    /// Starts the app on a data folder that `prepare` fills first, and returns once its window
    /// has a WebDriver session (the data folder may still be opening).
    fn launch(prepare: impl FnOnce(&Path)) -> App {
        App::launch_with(prepare, &desktop_bin(), &[])
    }

    /// Like [`App::launch`], starting `program` (the window's binary, or the headless one that
    /// hands over to it) with extra environment variables.
    fn launch_with(prepare: impl FnOnce(&Path), program: &Path, env: &[(&str, &str)]) -> App {
        App::launch_with_args(prepare, program, env, &[])
    }

    /// Like [`App::launch_with`], with command-line arguments for the program.
    fn launch_with_args(prepare: impl FnOnce(&Path), program: &Path, env: &[(&str, &str)], args: &[&str]) -> App {
        let program = program.canonicalize().expect("canonical path of the program to start");
        // The process that holds the window runs the desktop binary, whichever program started it.
        let app_bin = desktop_bin().canonicalize().expect("canonical path of the postcall-desktop binary");
        let driver_bin = tauri_driver();
        let native = webkit_webdriver();
        let display = Display::get();

        let work = tempfile::Builder::new().prefix("postcall-e2e-").tempdir().expect("temp folder");
        let data = work.path().join("data");
        std::fs::create_dir(&data).expect("create the data folder");
        prepare(&data);
        let log = work.path().join("tauri-driver.log");
        let log_file = File::create(&log).expect("create the driver log");

        let ports = free_ports(3);
        let (listen, port, native_port) = (ports[0], ports[1], ports[2]);
        let secret = secret();
        let webhook = format!("http://127.0.0.1:{listen}/hooks/{secret}");

        // tauri-driver → WebKitWebDriver → the app: all inherit this environment.
        let mut cmd = Command::new(&driver_bin);
        cmd.args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(&native)
            .env("DISPLAY", &display.name)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("POSTCALL_PROGRESS")
            .env("POSTCALL_DATA_DIR", &data)
            .env("POSTCALL_BIND", format!("127.0.0.1:{listen}"))
            .env("POSTCALL_SECRET", &secret)
            .env("POSTCALL_SECRET_STORE", "file")
            // The tests' recording hosts are on loopback.
            .env("POSTCALL_ALLOW_PRIVATE_HOSTS", "127.0.0.1")
            .env("RUST_BACKTRACE", "0")
            // Without a GPU the app draws without compositing, and then WebKitGTK's WebDriver
            // screenshots hang once the page has been idle for a few seconds (2.50): the tests
            // keep compositing on. The window benchmark passes `auto`, measuring what users get.
            .env("POSTCALL_COMPOSITING", "on")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file);
        let driver = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));

        let mut app = App {
            listen_port: 0,
            session: None,
            driver: Some(driver),
            app_pids: Vec::new(),
            webhook,
            log,
            _display: display,
            _work: work,
        };

        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        while !postcall_tests::webdriver::is_ready(&base) {
            if let Some(Ok(Some(status))) = app.driver.as_mut().map(Child::try_wait) {
                panic!("tauri-driver exited ({status}) before it was ready:\n{}", app.log_text());
            }
            assert!(Instant::now() < deadline, "tauri-driver was not ready within {WAIT:?}:\n{}", app.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }

        let session = Session::start_with_args(&base, &program, args).unwrap_or_else(|e| {
            panic!("cannot open a WebDriver session for {}: {e}\n{}", program.display(), app.log_text())
        });
        app.session = Some(session);

        // The app's own process (a child of WebKitWebDriver), to wait for its exit later.
        let driver_pid = app.driver.as_ref().map(Child::id).expect("driver");
        app.app_pids = wait_for(WAIT, "the postcall-desktop process", || {
            let pids: Vec<u32> = descendants(driver_pid)
                .into_iter()
                .filter(|p| std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|exe| exe == app_bin))
                .collect();
            Ok((!pids.is_empty()).then_some(pids))
        });

        app.listen_port = listen;
        app
    }

    /// Waits for the listener to accept connections, then watches for script errors.
    fn wait_started(&self) {
        let app = self;
        wait_for(WAIT, "the webhook listener to accept connections", || {
            assert!(app.app_pids.iter().any(|p| alive(*p)), "the app exited at start:\n{}", app.log_text());
            Ok(TcpStream::connect(("127.0.0.1", app.listen_port)).is_ok().then_some(()))
        });
        // Collect uncaught script errors from here on: shown on failures, and none may happen.
        app.js(
            "window.__e2eErrors = [];
             window.addEventListener('error', e => {
               // A benign notice of the browser's, not a script error.
               if (String(e.message).includes('ResizeObserver loop')) return;
               window.__e2eErrors.push(String(e.message) + (e.error && e.error.stack ? '\\n' + e.error.stack : ''));
             });
             window.addEventListener('unhandledrejection', e => window.__e2eErrors.push('unhandled rejection: ' + String(e.reason)));
             return null;",
        );
    }

    fn s(&self) -> &Session {
        self.session.as_ref().expect("session open")
    }

    fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        format!("--- tauri-driver log (last lines) ---\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"))
    }

    /// Posts a webhook and asserts it was stored.
    fn post(&self, payload: &Value) -> i64 {
        let (status, body) = post_json(&self.webhook, payload);
        assert_eq!(status, 200, "webhook answered {status}: {body}");
        assert_eq!(body["ok"], json!(true), "webhook answer: {body}");
        body["call_id"].as_i64().unwrap_or_else(|| panic!("no call_id in {body}"))
    }

    /// A script's result.
    fn js(&self, script: &str) -> Value {
        self.s().execute(script, vec![]).unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// `data-call-id` of every element with this test id, in document order.
    fn ids(&self, testid: &str) -> webdriver::Result<Vec<i64>> {
        let script = format!(
            "return [...document.querySelectorAll('[data-testid=\"{testid}\"]')].map(e => e.getAttribute('data-call-id'));"
        );
        let v = self.s().execute(&script, vec![])?;
        Ok(v.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().and_then(|s| s.parse().ok())).collect())
            .unwrap_or_default())
    }

    fn call_ids(&self, testid: &str) -> Vec<i64> {
        self.ids(testid).unwrap_or_else(|e| panic!("cannot list {testid}: {e}"))
    }

    /// Waits until a `call-row` for each of `ids` is shown.
    fn wait_rows(&self, ids: &[i64]) {
        self.wait_until(&format!("rows for calls {ids:?}"), |a| {
            let rows = a.ids("call-row")?;
            Ok(ids.iter().all(|id| rows.contains(id)))
        });
    }

    /// Waits for an element matching `css` and clicks it (retrying if the page re-renders it).
    fn click(&self, css: &str) {
        let s = self.s();
        wait_for(WAIT, &format!("a clickable {css}"), || {
            let Some(el) = s.find(css)? else { return Ok(None) };
            s.click(&el)?;
            Ok(Some(()))
        });
    }

    /// Waits for an element matching `css`; on timeout, panics with what the window shows.
    fn wait_element(&self, css: &str) -> Element {
        let s = self.s();
        poll(WAIT, || {
            self.no_script_errors(css);
            s.find(css)
        })
        .unwrap_or_else(|last| {
            let err = last.map(|e| format!(" (last error: {e})")).unwrap_or_default();
            panic!("timed out after {WAIT:?} waiting for {css}{err}\n{}", self.page_text())
        })
    }

    /// Polls `check` until it is true; on timeout, panics with what the window shows.
    fn wait_until(&self, what: &str, mut check: impl FnMut(&App) -> webdriver::Result<bool>) {
        poll(WAIT, || {
            self.no_script_errors(what);
            Ok(check(self)?.then_some(()))
        })
        .unwrap_or_else(|last| {
            let err = last.map(|e| format!(" (last error: {e})")).unwrap_or_default();
            panic!("timed out after {WAIT:?} waiting for {what}{err}\n{}", self.page_text())
        })
    }

    /// Fails at once (rather than at the end of a wait) when the page has thrown.
    fn no_script_errors(&self, what: &str) {
        if let Ok(v) = self.s().execute("return (window.__e2eErrors || []).length;", vec![]) {
            if v.as_u64().unwrap_or(0) > 0 {
                panic!("the window threw while waiting for {what}\n{}", self.page_text());
            }
        }
    }

    /// Uncaught script errors in the window since the start.
    fn script_errors(&self) -> Vec<String> {
        let v = self.js("return window.__e2eErrors || [];");
        v.as_array().map(|a| a.iter().map(|e| e.as_str().unwrap_or_default().to_string()).collect()).unwrap_or_default()
    }

    /// The window's visible text, open detail markup and script errors, for failure messages.
    fn page_text(&self) -> String {
        let v = self.s().execute(
            "const d = document.querySelector('[data-testid=\"call-detail\"]');
             const text = document.body.innerText.trim();
             return 'URL ' + location.href + '\\n--- script errors ---\\n' + (window.__e2eErrors || []).join('\\n')
               + '\\n--- text ---\\n' + (text ? text.slice(0, 3000) : '(the window is blank)')
               + (d ? '\\n--- detail html ---\\n' + d.outerHTML.slice(0, 3000) : '');",
            vec![],
        );
        match v {
            Ok(v) => format!("--- the window ---\n{}", v.as_str().unwrap_or_default()),
            Err(e) => format!("(cannot read the window: {e})"),
        }
    }

    /// Opens a call by clicking its row in the log; waits for its detail to have loaded.
    fn open_row(&self, id: i64) {
        self.click(&format!("[data-testid=\"call-row\"][data-call-id=\"{id}\"]"));
        self.wait_detail(id);
    }

    /// Opens a call by clicking its search hit; waits for its detail to have loaded.
    ///
    /// A hit list can be re-rendered by a live refresh (a recording stored, its waveform
    /// computed) while the synthesized click is under way; when that lands between the mouse
    /// button going down and up, the browser fires no click, as it would for a person. So a hit
    /// whose detail has not begun to open within a few seconds is clicked once more, after
    /// printing which pointer events reached the page; a hit that never opens still fails.
    fn open_hit(&self, id: i64) {
        let hit = format!("[data-testid=\"search-result\"][data-call-id=\"{id}\"]");
        self.js(
            "window.__e2eClicks = []; if (!window.__e2eClickLog) { window.__e2eClickLog = true;
             for (const t of ['mousedown', 'mouseup', 'click']) document.addEventListener(t, (e) => {
               const el = e.target instanceof Element ? e.target.closest('[data-testid]') : null;
               window.__e2eClicks.push(t + ' ' + (el ? el.getAttribute('data-testid') + ' ' + el.getAttribute('data-call-id') : String(e.target)));
             }, true); }",
        );
        self.click(&hit);
        let detail = format!("[data-testid=\"call-detail\"][data-call-id=\"{id}\"]");
        let opened = poll(Duration::from_secs(3), || Ok(self.s().find(&detail)?.map(|_| ())));
        if opened.is_err() {
            eprintln!(
                "the click on the hit of {id} did not open it; pointer events seen: {}\n{}",
                self.js("return window.__e2eClicks.join(', ');"),
                self.page_text()
            );
            // Once, and only if it is still there: the detail may have opened meanwhile.
            if let Ok(Some(el)) = self.s().find(&hit) {
                let _ = self.s().click(&el);
            }
        }
        self.wait_detail(id);
    }

    /// Types `text` into the log's search box and waits until the hit list is that text's, and
    /// final. Hits of a shorter prefix are painted while the rest is typed; a click aimed at one
    /// of them can land on whatever replaces it.
    fn search(&self, text: &str) {
        let input = self.wait_element("[data-testid=\"search-input\"]");
        self.s().click(&input).expect("focus the search box");
        self.s().send_keys(&input, text).expect("type into the search box");
        let done = format!(
            "const h = document.querySelector('.calls-hits'); return h !== null && h.dataset.query === {} && h.getAttribute('aria-busy') === 'false';",
            json!(text)
        );
        self.wait_until(&format!("the hits for {text:?}"), |a| Ok(a.s().execute(&done, vec![])? == json!(true)));
    }

    /// Waits until the detail of `id` shows its transcript card.
    fn wait_detail(&self, id: i64) {
        self.wait_element(&format!("[data-testid=\"call-detail\"][data-call-id=\"{id}\"] .detail-scroll"));
    }

    /// Asserts no uncaught script error happened, closes the session and asserts the app exits,
    /// then stops the driver.
    /// Saves a screenshot of the window in target/e2e-shots; returns it decoded.
    fn screenshot(&self, name: &str) -> Shot {
        let png = base64::engine::general_purpose::STANDARD
            .decode(self.s().screenshot_base64().expect("screenshot"))
            .expect("the screenshot is base64");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the screenshot is a PNG");
        let dir = shots_dir();
        std::fs::create_dir_all(&dir).expect("create target/e2e-shots");
        let path = dir.join(name);
        std::fs::write(&path, &png).expect("write the screenshot");
        let shot = Shot::decode(&png);
        eprintln!("screenshot: {} ({}×{})", path.display(), shot.width, shot.height);
        shot
    }

    /// Where `css` is drawn, in screenshot pixels: (x, y, width, height).
    fn rect_of(&self, css: &str) -> (u32, u32, u32, u32) {
        let v = self.js(&format!(
            "const e = document.querySelector('{}'); if (!e) return null; const r = e.getBoundingClientRect();
             const k = window.devicePixelRatio || 1; return [r.left * k, r.top * k, r.width * k, r.height * k];",
            css.replace('\'', "\\'")
        ));
        let n: Vec<u32> = v
            .as_array()
            .unwrap_or_else(|| panic!("{css} is not in the window"))
            .iter()
            .map(|x| x.as_f64().unwrap_or(0.0).max(0.0).round() as u32)
            .collect();
        (n[0], n[1], n[2], n[3])
    }

    fn finish(mut self) {
        let errors = self.script_errors();
        assert!(errors.is_empty(), "uncaught script errors in the window:\n{}", errors.join("\n"));
        let mut session = self.session.take().expect("session open");
        session.close().unwrap_or_else(|e| panic!("closing the session failed: {e}\n{}", self.log_text()));
        let deadline = Instant::now() + WAIT;
        while self.app_pids.iter().any(|p| alive(*p)) {
            assert!(Instant::now() < deadline, "the app did not exit within {WAIT:?} of the session closing");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stop_driver();
    }

    fn stop_driver(&mut self) {
        let Some(mut driver) = self.driver.take() else { return };
        let kids = descendants(driver.id());
        signal(driver.id(), "TERM");
        reap(&mut driver, Duration::from_secs(5));
        // WebKitWebDriver (and, if a test failed, the app) should be gone with it; make sure.
        for pid in kids {
            if alive(pid) {
                signal(pid, "KILL");
            }
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(mut s) = self.session.take() {
            let _ = s.close();
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.app_pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.stop_driver();
        for pid in &self.app_pids {
            if alive(*pid) {
                signal(*pid, "KILL");
            }
        }
    }
}

/// The newer-format fixture under another id.
fn newer_call(id: i64) -> Value {
    let mut v = fixture_json("newer_doc.json");
    v["id"] = json!(id);
    v
}

/// A decoded screenshot, as RGBA pixels.
struct Shot {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Shot {
    fn decode(png: &[u8]) -> Shot {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().expect("the screenshot's PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("a PNG of a sane size")];
        let info = reader.next_frame(&mut buf).expect("the screenshot's pixels");
        assert_eq!(info.bit_depth, png::BitDepth::Eight, "an 8-bit screenshot");
        let rgba = match info.color_type {
            png::ColorType::Rgba => buf[..info.buffer_size()].to_vec(),
            png::ColorType::GrayscaleAlpha => {
                buf[..info.buffer_size()].chunks(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect()
            }
            other => panic!("unexpected screenshot colour type {other:?}"),
        };
        Shot { width: info.width, height: info.height, rgba }
    }

    /// The pixels of a region (clipped to the picture), as RGB.
    fn region(&self, (x, y, w, h): (u32, u32, u32, u32)) -> Vec<[u8; 3]> {
        let (x1, y1) = ((x + w).min(self.width), (y + h).min(self.height));
        let mut out = Vec::new();
        for row in y.min(y1)..y1 {
            for col in x.min(x1)..x1 {
                let i = ((row * self.width + col) * 4) as usize;
                out.push([self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]);
            }
        }
        out
    }

    /// How many distinct colours, and the share of pixels that differ from the most common one
    /// (the background): a blank or single-colour region has ~0 of the latter.
    fn variety(&self, rect: (u32, u32, u32, u32)) -> (usize, f64) {
        let px = self.region(rect);
        assert!(!px.is_empty(), "the region {rect:?} is outside the {}×{} picture", self.width, self.height);
        let mut counts = std::collections::HashMap::new();
        for p in &px {
            *counts.entry(*p).or_insert(0usize) += 1;
        }
        let background = counts.values().copied().max().unwrap_or(0);
        (counts.len(), 1.0 - background as f64 / px.len() as f64)
    }
}

fn shots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("e2e-shots")
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn a_posted_call_appears_live_in_the_log() {
    let app = App::start();
    assert!(app.call_ids("call-row").is_empty(), "a new data folder shows no rows");
    // A marker on the page: it survives only if the page is not reloaded.
    app.js("window.__e2eMarker = 'still here'; return null;");

    let first = app.post(&newer_call(710_001));
    assert_eq!(first, 710_001);
    app.wait_rows(&[first]);

    let second = app.post(&newer_call(710_002));
    app.wait_rows(&[first, second]);
    let rows = app.call_ids("call-row");
    assert!(rows.contains(&first) && rows.contains(&second), "both rows are shown: {rows:?}");
    assert_eq!(rows.len(), 2, "exactly two rows: {rows:?}");
    assert_eq!(app.js("return window.__e2eMarker ?? null;"), json!("still here"), "the page was reloaded");
    app.wait_count("2 calls");
    app.finish();
}

#[test]
fn search_finds_a_transcript_word_and_opens_the_call() {
    let app = App::start();
    let id = app.post(&newer_call(720_001));
    let other = app.post(&fixture_json("older_doc.json"));
    app.wait_rows(&[id, other]);

    // "Sarah" is only in the newer call's transcript ("Hello, this is Sarah from Intellixent.").
    app.search("Sarah");

    let hit = format!("[data-testid=\"search-result\"][data-call-id=\"{id}\"]");
    app.wait_element(&hit);
    let hits = app.call_ids("search-result");
    assert!(!hits.contains(&other), "the other call does not match \"Sarah\": {hits:?}");
    let snippet = app.js(&format!("return document.querySelector('{}').textContent;", hit.replace('\'', "\\'")));
    assert!(snippet.as_str().unwrap_or_default().contains("Sarah"), "the hit shows the matching text: {snippet}");

    app.open_hit(id);
    let shown = app.call_ids("call-detail");
    assert_eq!(shown, vec![id], "the detail of the hit's call is open");
    // The matching turn is there, with the word.
    let turn = app.js(
        "return [...document.querySelectorAll('[data-testid=\"transcript-turn\"]')].map(t => t.textContent).join('\\n');",
    );
    assert!(turn.as_str().unwrap_or_default().contains("Sarah"), "the transcript shows the word: {turn}");
    app.finish();
}

#[test]
fn the_detail_shows_turns_and_variables() {
    let app = App::start();
    let payload = newer_call(730_001);
    let id = app.post(&payload);
    app.open_row(id);
    let s = app.s();

    let expected: Vec<(String, String)> = payload["transcript"]
        .as_array()
        .expect("fixture transcript")
        .iter()
        .map(|t| (t["sender"].as_str().expect("sender").to_string(), t["text"].as_str().expect("text").to_string()))
        .collect();
    let turns = wait_for(WAIT, "the transcript turns", || {
        let v = s.execute(
            "const d = document.querySelector('[data-testid=\"call-detail\"]');
             return [...d.querySelectorAll('[data-testid=\"transcript-turn\"]')]
               .map(t => [t.getAttribute('data-sender'), t.textContent]);",
            vec![],
        )?;
        let turns: Vec<(String, String)> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (p[0].as_str().unwrap_or_default().to_string(), p[1].as_str().unwrap_or_default().to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok((!turns.is_empty()).then_some(turns))
    });
    assert_eq!(turns.len(), expected.len(), "one turn per transcript entry: {turns:?}");
    for ((sender, text), (want_sender, want_text)) in turns.iter().zip(&expected) {
        assert_eq!(sender, want_sender, "data-sender of the turn {want_text:?}");
        assert!(text.contains(want_text.as_str()), "the turn shows {want_text:?}, got {text:?}");
    }

    // Variables: extracted and input, with their values visible.
    for (name, value) in [("lead_quality", "high"), ("next_action", "schedule_demo"), ("customer_name", "John Doe")] {
        let css = format!("[data-testid=\"call-detail\"] [data-testid=\"variable-row\"][data-name=\"{name}\"]");
        let row = app.wait_element(&css);
        assert!(s.displayed(&row).unwrap_or(false), "the {name} row is displayed");
        let text = s.text(&row).unwrap_or_else(|e| panic!("text of {name}: {e}"));
        assert!(text.contains(name) && text.contains(value), "the {name} row shows {value:?}: {text:?}");
    }
    app.finish();
}

#[test]
fn markup_in_a_payload_stays_text() {
    let app = App::start();
    let img = r#"<img src=x onerror="window.__pwned=1">"#;
    let script = "<script>window.__pwned=2</script>";
    let mut payload = newer_call(740_001);
    payload["transcript"] = json!([
        {"text": img, "sender": "human", "timestamp": 1756812511.3},
        {"text": script, "sender": "bot", "timestamp": 1756812514.1}
    ]);
    payload["extracted_variables"]["xss_img"] = json!(r#"<img src=x onerror="window.__pwned=3">"#);
    payload["extracted_variables"]["xss_script"] = json!("<script>window.__pwned=4</script>");
    payload["extracted_variables"]["summary"] = json!(r#"pwned <img src=x onerror="window.__pwned=5">"#);
    let id = app.post(&payload);

    let inert = |where_: &str| {
        let imgs = app.js("return document.querySelectorAll('img[src=\"x\"]').length;");
        assert_eq!(imgs, json!(0), "{where_}: an <img src=x> element was created from payload text");
        let scripts = app.js("return [...document.scripts].filter(s => s.textContent.includes('__pwned')).length;");
        assert_eq!(scripts, json!(0), "{where_}: a <script> element was created from payload text");
        let pwned = app.js("return typeof window.__pwned;");
        assert_eq!(pwned, json!("undefined"), "{where_}: payload script ran (window.__pwned is set)");
    };

    // The log row (the summary is shown there).
    app.wait_rows(&[id]);
    inert("call log");

    // The detail.
    app.open_row(id);
    let turns = wait_for(WAIT, "the transcript turns", || {
        let v = app.s().execute(
            "return [...document.querySelectorAll('[data-testid=\"call-detail\"] [data-testid=\"transcript-turn\"]')].map(t => t.textContent);",
            vec![],
        )?;
        Ok(v.as_array().filter(|a| a.len() == 2).cloned())
    });
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    assert!(text(&turns[0]).contains("<img src=x"), "the turn shows the markup as text: {:?}", turns[0]);
    assert!(
        text(&turns[1]).contains("<script>window.__pwned=2</script>"),
        "the turn shows the script as text: {:?}",
        turns[1]
    );
    for name in ["xss_img", "xss_script"] {
        let row = app.wait_element(&format!("[data-testid=\"variable-row\"][data-name=\"{name}\"]"));
        let shown = app.s().text(&row).expect("row text");
        assert!(shown.contains("<img src=x") || shown.contains("<script>"), "{name} is shown as text: {shown:?}");
    }
    inert("call detail");

    // Search hits render highlighted snippets: they must stay text too.
    app.click(".detail-bar button"); // Back
    app.wait_until("the detail to close", |a| Ok(a.ids("call-detail")?.is_empty()));
    app.search("pwned");
    app.wait_element(&format!("[data-testid=\"search-result\"][data-call-id=\"{id}\"]"));
    inert("search results");
    app.open_hit(id);
    app.wait_until("the turns with highlights", |a| {
        Ok(a.s().execute("return document.querySelectorAll('[data-testid=\"transcript-turn\"]').length;", vec![])?
            == json!(2))
    });
    inert("call detail opened from a search hit");
    app.finish();
}

/// `n` calls of 20 turns each, one JSON document per line, for `postcall import`.
fn calls_jsonl(path: &Path, first_id: i64, n: i64) {
    use std::io::Write as _;
    let words = ["order", "refund", "delivery", "engineer", "postcode", "warranty", "invoice", "Thursday"];
    let mut out = std::io::BufWriter::new(File::create(path).expect("create the calls file"));
    for i in 0..n {
        let turns: Vec<Value> = (0..20)
            .map(|t| {
                let text: Vec<&str> = (0..8).map(|w| words[((i * 7 + t * 3 + w) % 8) as usize]).collect();
                json!({"sender": if t % 2 == 0 { "bot" } else { "human" }, "text": text.join(" "), "timestamp": t as f64 * 3.0})
            })
            .collect();
        let call = json!({"id": first_id + i, "status": "completed", "duration": 60,
            "created_at": "2025-01-15T10:30:00Z", "transcript": turns,
            "extracted_variables": {"summary": format!("imported call {i}")}});
        writeln!(out, "{call}").expect("write a call");
    }
    out.flush().expect("flush the calls file");
}

#[test]
fn the_window_shows_progress_while_the_search_index_is_rebuilt() {
    const CALLS: i64 = 40_000;
    // A data folder whose search index is missing (deleted, or not built yet after an upgrade):
    // opening it rebuilds the index from the calls, which takes seconds at this size.
    let app = App::launch(|data| {
        let file = data.with_file_name("calls.jsonl");
        calls_jsonl(&file, 770_000, CALLS);
        postcall_tests::cli(data, &["import", &file.display().to_string()]).ok();
        for name in ["search.sqlite", "search.sqlite-wal", "search.sqlite-shm"] {
            let _ = std::fs::remove_file(data.join(name));
        }
    });
    // The window is up before the data folder is open, and says what is going on.
    let step = app.wait_element("[data-testid=\"startup-step\"]");
    let text = app.s().text(&step).expect("the step's text");
    assert!(text.contains("Building the search index"), "the step shown: {text:?}");
    let mut seen = String::new();
    app.wait_until("the rebuild's progress to be counted", |a| {
        let count = a.s().execute(
            "const e = document.querySelector('[data-testid=\"startup-count\"]'); return e ? e.textContent : null;",
            vec![],
        )?;
        seen = count.as_str().unwrap_or_default().to_string();
        Ok(seen.contains(" of 40,000 calls ("))
    });
    eprintln!("progress seen: {seen}");
    app.screenshot("startup.png");
    // Then the call log, with every call.
    app.wait_started();
    app.wait_count("40,000 calls");
    assert!(app.page_text().contains("imported call"), "the call log lists the imported calls");
    app.finish();
}

#[test]
fn a_data_folder_that_cannot_be_opened_is_explained_in_the_window() {
    // A call database from a newer Postcall.
    let app = App::launch(|data| {
        let conn = rusqlite::Connection::open(data.join("postcall.sqlite")).expect("create a database");
        conn.pragma_update(None, "user_version", 999).expect("set its schema version");
    });
    let error = app.wait_element("[data-testid=\"startup-error\"]");
    let text = app.s().text(&error).expect("the error's text");
    assert!(text.contains("newer Postcall") && text.contains("update Postcall"), "the error shown: {text:?}");
    assert!(app.page_text().contains("could not open its data folder"), "{}", app.page_text());
    app.s().settle().expect("wait for a paint");
    app.screenshot("startup-failed.png");
    app.finish();
}

#[test]
fn screenshot_of_the_detail_view() {
    let app = App::start();
    // The design's reference size (the app's own default is a little smaller).
    let rect = app.s().set_window_rect(1440, 900).expect("resize the window");
    eprintln!("window rect: {rect}");
    let _ = app.post(&fixture_json("older_doc.json"));
    let id = app.post(&newer_call(750_001));
    app.open_row(id);
    app.wait_element("[data-testid=\"variable-row\"][data-name=\"customer_name\"]");
    // The review panels sit above the variables: bring the row into the picture.
    app.js("document.querySelector('[data-testid=\"variable-row\"][data-name=\"customer_name\"]').scrollIntoView({block: 'center'}); return null;");
    // Let the fonts load and the last render be painted before the picture.
    app.wait_until("fonts to load", |a| Ok(a.s().execute("return document.fonts.status;", vec![])? == json!("loaded")));
    app.s().settle().expect("wait for a paint");

    let shot = app.screenshot("detail.png");
    let (w, h) = (shot.width, shot.height);
    assert!(w >= 640 && h >= 400, "the window is a usable size: {w}×{h}");
    // The picture shows the UI, not a blank or half-painted window: the whole window has the
    // colours of text, borders and surfaces; the detail and one of its variable rows are drawn
    // where the page says they are, with text on them.
    let (colours, inked) = shot.variety((0, 0, w, h));
    assert!(colours >= 24 && inked >= 0.02, "the screenshot looks blank: {colours} colours, {inked:.3} not background");
    for css in ["[data-testid=\"call-detail\"]", "[data-testid=\"variable-row\"][data-name=\"customer_name\"]"] {
        let rect = app.rect_of(css);
        assert!(rect.2 >= 20 && rect.3 >= 10, "{css} is drawn {rect:?}, too small to see");
        let (colours, inked) = shot.variety(rect);
        eprintln!("{css}: {rect:?}, {colours} colours, {inked:.3} not background");
        assert!(colours >= 4 && inked >= 0.005, "{css} at {rect:?} is blank in the screenshot ({colours} colours)");
    }
    app.finish();
}

/// A call whose four turns start 0.5, 3, 6 and 9 s into the call, with a recording URL.
fn call_with_recording(id: i64, url: &str) -> Value {
    let start = 1_736_937_000.0; // 2025-01-15T10:30:00Z, the call's created_at
    let mut v = newer_call(id);
    v["created_at"] = json!("2025-01-15T10:30:00.000000Z");
    v["duration"] = json!(14);
    v["recording_url"] = json!(url);
    v["transcript"] = json!([
        {"sender": "bot", "text": "Hello, this is the assistant.", "timestamp": start + 0.5},
        {"sender": "human", "text": "Hi, who is calling?", "timestamp": start + 3.0},
        {"sender": "bot", "text": "I am calling about your order.", "timestamp": start + 6.0},
        {"sender": "human", "text": "Thanks, goodbye.", "timestamp": start + 9.0}
    ]);
    v
}

const AUDIO: &str = "document.querySelector('[data-testid=\"audio-player\"]')";

impl App {
    /// The `<audio>` element's state: [readyState, duration, currentTime, paused, src, error code].
    fn audio(&self) -> Value {
        self.js(&format!(
            "const a = {AUDIO}; if (!a) return null;
             return [a.readyState, isFinite(a.duration) ? a.duration : null, a.currentTime, a.paused, a.currentSrc || a.src,
                     a.error ? a.error.code : null];"
        ))
    }

    /// `data-turn-index` of the highlighted (current) turn.
    fn current_turn(&self) -> Option<i64> {
        self.js("const t = document.querySelector('[data-testid=\"transcript-turn\"].turn-current');
             return t ? Number(t.getAttribute('data-turn-index')) : null;")
            .as_i64()
    }

    /// Waits until the call's recording is in the vault and `<audio>` has its metadata.
    fn wait_playable(&self) -> f64 {
        self.wait_element("[data-testid=\"recording-panel\"][data-state=\"ready\"]");
        let mut duration = 0.0;
        self.wait_until("<audio> to reach loadedmetadata", |a| {
            let v = a.audio();
            assert!(v[5].is_null(), "the audio element failed: {v}\n{}", a.page_text());
            duration = v[1].as_f64().unwrap_or(0.0);
            Ok(v[0].as_i64().unwrap_or(0) >= 1 && duration > 0.0)
        });
        duration
    }
}

#[test]
fn a_recording_plays_in_sync_with_the_transcript() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "sync", "Hello, this is the assistant. I am calling about your order.", "mp3", 14.0);
    let m4a = speech(media.path(), "aac", "An AAC recording, as Intellixent sends them.", "m4a", 4.0);
    let host = RecordingHost::start();
    let url = host.put("sync.mp3", std::fs::read(&mp3).expect("mp3"), "audio/mpeg", Behaviour::Serve);
    let aac_url = host.put("aac.mp4", std::fs::read(&m4a).expect("m4a"), "audio/mp4", Behaviour::Serve);

    let app = App::start();
    let id = app.post(&call_with_recording(760_001, &url));
    app.open_row(id);
    let duration = app.wait_playable();
    assert!((duration - probe_duration(&mp3)).abs() < 0.5, "duration {duration} vs {}", probe_duration(&mp3));
    let src = app.audio()[4].as_str().unwrap_or_default().to_string();
    assert!(src.starts_with("http://127.0.0.1:") && src.contains("/media/"), "played from the media listener: {src}");
    assert!(!src.contains(&url), "not from the remote URL: {src}");
    assert_eq!(host.requests("sync.mp3").len(), 1, "the window never fetched the remote copy itself");

    // Clicking a turn seeks there; it becomes the current turn.
    app.click("[data-testid=\"transcript-turn\"][data-turn-index=\"2\"]");
    app.wait_until("currentTime to move to the turn at 6 s", |a| {
        Ok((a.audio()[2].as_f64().unwrap_or(-1.0) - 6.0).abs() < 0.35)
    });
    app.wait_until("turn 2 to be highlighted", |a| Ok(a.current_turn() == Some(2)));

    // Playing moves the highlight along with the audio.
    app.click("[data-testid=\"player-play\"]");
    app.wait_until("playback to pass 9.3 s", |a| Ok(a.audio()[2].as_f64().unwrap_or(0.0) > 9.3));
    app.wait_until("the highlight to follow to turn 3", |a| Ok(a.current_turn() == Some(3)));
    let aria = app.js("return document.querySelector('.turn-current').getAttribute('aria-current');");
    assert_eq!(aria, json!("true"));
    app.click("[data-testid=\"player-play\"]");
    app.wait_until("playback to pause", |a| Ok(a.audio()[3] == json!(true)));
    // Paused after playing: a click on a turn seeks, and play resumes from there.
    app.click("[data-testid=\"transcript-turn\"][data-turn-index=\"1\"]");
    app.wait_until("currentTime to move to the turn at 3 s", |a| {
        Ok((a.audio()[2].as_f64().unwrap_or(-1.0) - 3.0).abs() < 0.35)
    });
    app.click("[data-testid=\"player-play\"]");
    app.wait_until("playback to resume past 3.5 s", |a| Ok(a.audio()[2].as_f64().unwrap_or(0.0) > 3.5));
    app.wait_until("turn 1 to be highlighted", |a| Ok(a.current_turn() == Some(1)));
    app.click("[data-testid=\"player-play\"]");

    // The waveform was computed in Rust and drawn.
    let drawn = app.js(
        "const c = document.querySelector('[data-testid=\"waveform\"] canvas, canvas[data-testid=\"waveform\"]');
         if (!c) return null; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
         let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;",
    );
    assert!(drawn.as_u64().unwrap_or(0) > 100, "the waveform canvas has something drawn: {drawn}");

    // An AAC (M4A) recording decodes too (gstreamer1.0-libav).
    app.click(".detail-bar button"); // Back
    let aac = app.post(&call_with_recording(760_002, &aac_url));
    app.open_row(aac);
    let d = app.wait_playable();
    assert!((d - probe_duration(&m4a)).abs() < 0.5, "AAC duration {d}");

    // A search hit opens its call with the player at the hit's turn (6 s in).
    app.click(".detail-bar button"); // Back
    app.wait_until("the detail to close", |a| Ok(a.ids("call-detail")?.is_empty()));
    app.search("order");
    app.open_hit(id);
    app.wait_playable();
    app.wait_until("the player to be at the hit's turn", |a| {
        Ok((a.audio()[2].as_f64().unwrap_or(-1.0) - 6.0).abs() < 0.35)
    });
    app.wait_until("the hit's turn to be highlighted", |a| Ok(a.current_turn() == Some(2)));
    app.finish();
}

/// Proportional and resident memory (kB) of the window's web content process(es).
fn web_process_memory(app: &App) -> (u64, u64) {
    let driver = app.driver.as_ref().map(Child::id).expect("driver");
    let (mut pss, mut rss) = (0, 0);
    for pid in descendants(driver) {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if !comm.starts_with("WebKitWebProces") {
            continue;
        }
        let [p, r] = memory_kb(pid, ["Pss:", "Rss:"]);
        pss += p;
        rss += r;
    }
    (pss, rss)
}

/// Fields of `/proc/PID/smaps_rollup` in kB (0 for one the kernel does not give, or a process
/// gone), in the order asked.
fn memory_kb<const N: usize>(pid: u32, fields: [&str; N]) -> [u64; N] {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    fields.map(|name| {
        rollup
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    })
}

/// Benchmark (not part of the test suite; `make bench-playback`): a cached one-hour recording —
/// time from pressing play until `currentTime` moves (at the start and after seeks), and the web
/// process's memory while it plays.
#[test]
#[ignore = "benchmark: run with `make bench-playback`"]
fn bench_one_hour_recording_playback() {
    let media = tempfile::tempdir().expect("tempdir");
    let speech_wav = speech(media.path(), "voice", "Thank you for calling. How can I help you today?", "wav", 4.0);
    let hour = media.path().join("hour.mp3");
    let made = Command::new("ffmpeg")
        .args(["-y", "-loglevel", "error", "-stream_loop", "-1", "-i"])
        .arg(&speech_wav)
        .args(["-t", "3600", "-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "64k"])
        .arg(&hour)
        .status()
        .expect("run ffmpeg");
    assert!(made.success(), "ffmpeg could not make the one-hour file");
    let bytes = std::fs::read(&hour).expect("hour.mp3");
    let host = RecordingHost::start();
    let url = host.put("hour.mp3", bytes.clone(), "audio/mpeg", Behaviour::Serve);

    let app = App::start();
    let mut call = call_with_recording(770_001, &url);
    call["duration"] = json!(3600);
    let id = app.post(&call);
    let t = Instant::now();
    app.open_row(id);
    poll(Duration::from_secs(600), || {
        Ok(app.s().find("[data-testid=\"recording-panel\"][data-state=\"ready\"]")?.map(|_| ()))
    })
    .unwrap_or_else(|_| panic!("the one-hour recording did not become ready\n{}", app.page_text()));
    let ready_s = t.elapsed().as_secs_f64();
    app.wait_playable();
    let (idle_pss, idle_rss) = web_process_memory(&app);

    let play_from = |at: f64| -> f64 {
        app.s()
            .execute_async(
                &format!(
                    "const done = arguments[arguments.length - 1]; const a = {AUDIO}; const log = window.__steps = [];
                     for (const e of ['pause', 'seeking', 'seeked', 'play', 'playing', 'waiting', 'error', 'stalled', 'suspend', 'canplay'])
                       a.addEventListener(e, () => log.push(e + '@' + a.currentTime.toFixed(1)));
                     const button = () => document.querySelector('[data-testid=\"player-play\"]');
                     const settle = f => requestAnimationFrame(() => requestAnimationFrame(f));
                     const go = () => settle(() => {{ const t0 = performance.now();
                       const from = a.currentTime;
                       const tick = () => a.currentTime > from + 0.05 ? done(performance.now() - t0) : setTimeout(tick, 2);
                       button().click(); tick(); }});
                     const seek = () => {{ if (Math.abs(a.currentTime - {at}) < 0.5) go();
                       else {{ a.addEventListener('seeked', go, {{ once: true }}); a.currentTime = {at}; }} }};
                     if (!a.paused) {{ a.addEventListener('pause', () => settle(seek), {{ once: true }}); button().click(); }}
                     else seek();"
                ),
                vec![],
            )
            .unwrap_or_else(|e| panic!("play from {at}: {e}; events: {}\n{}", app.js(&format!("const a = {AUDIO}; const b = []; for (let i = 0; i < a.buffered.length; i++) b.push([a.buffered.start(i), a.buffered.end(i)]); return [window.__steps, a.readyState, a.networkState, a.currentTime, a.paused, b];")), app.log_text()))
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    // Cold: the call opened afresh, play pressed as soon as the button is there.
    let mut cold = Vec::new();
    for _ in 0..3 {
        app.click(".detail-bar button"); // Back
        app.wait_until("the detail to close", |a| Ok(a.ids("call-detail")?.is_empty()));
        app.open_row(id);
        app.wait_element("[data-testid=\"player-play\"]");
        let ms = play_from(0.0);
        eprintln!("cold open, play: {ms:.0} ms until the time advances");
        cold.push(ms);
        std::thread::sleep(Duration::from_secs(2));
    }
    let mut figures = Vec::new();
    for at in [1800.0, 3300.0, 600.0, 2400.0] {
        let ms = play_from(at);
        eprintln!("seek to {at:>6.0} s, play: {ms:.0} ms until the time advances");
        figures.push(ms);
        std::thread::sleep(Duration::from_secs(3));
    }
    std::thread::sleep(Duration::from_secs(5));
    let (play_pss, play_rss) = web_process_memory(&app);
    let report = format!(
        "one-hour MP3 ({:.1} MB): vault ready {ready_s:.1} s after opening the call\n\
         press play → time advancing: cold open {}; after seeks {}\n\
         web process memory: idle with the call open PSS {} MB / RSS {} MB; playing PSS {} MB / RSS {} MB\n",
        bytes.len() as f64 / 1e6,
        cold.iter().map(|m| format!("{m:.0} ms")).collect::<Vec<_>>().join(", "),
        figures.iter().map(|m| format!("{m:.0} ms")).collect::<Vec<_>>().join(", "),
        idle_pss / 1024,
        idle_rss / 1024,
        play_pss / 1024,
        play_rss / 1024
    );
    eprintln!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("bench-playback.txt");
    std::fs::write(&out, &report).expect("write the report");
    app.finish();
}

// ---------------------------------------------------------------------------------------------
// Binaries and links

#[test]
fn the_headless_binary_opens_the_window_when_run_without_a_subcommand() {
    // `postcall` links no GUI library: with no subcommand it runs `postcall-desktop`, found
    // beside it, with the same arguments and environment.
    let app = App::launch_with(|_| {}, &bin(), &[]);
    app.wait_started();
    app.wait_count("0 calls");
    let id = app.post(&newer_call(770_001));
    app.wait_rows(&[id]);
    app.finish();
}

/// What the window has received as `open-call-link` events since [`listen_for_links`].
fn links_received(app: &App) -> Vec<Value> {
    app.js("return window.__e2eLinks || [];").as_array().cloned().unwrap_or_default()
}

/// Records every `open-call-link` event the back end emits to the window, through Tauri's own
/// event IPC (what `@tauri-apps/api/event`'s `listen` calls).
fn listen_for_links(app: &App) {
    app.js("window.__e2eLinks = [];
         const t = window.__TAURI_INTERNALS__;
         const handler = t.transformCallback(e => window.__e2eLinks.push(e.payload));
         t.invoke('plugin:event|listen', { event: 'open-call-link', target: { kind: 'Any' }, handler })
           .then(id => { window.__e2eLinksReady = id; }, e => window.__e2eErrors.push('listen: ' + String(e)));
         return null;");
    app.wait_until("the link listener", |a| {
        Ok(a.s().execute("return window.__e2eLinksReady != null;", vec![])? == json!(true))
    });
}

/// Runs `postcall-desktop LINK` as a second instance, as the desktop entry does (the link is the
/// only argument; the data folder comes from the environment): it must hand the link to the
/// running window and exit at once.
fn open_link(app: &App, data: &Path, bus: &str, link: &str) {
    let out = Command::new(desktop_bin())
        .arg(link)
        .env("POSTCALL_DATA_DIR", data)
        .env("DISPLAY", &app._display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("POSTCALL_SECRET_STORE", "file")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .expect("run postcall-desktop with a link");
    assert!(
        out.status.success(),
        "the second instance failed ({}) on {link:?}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_postcall_link_is_handed_to_the_running_window() {
    // A session bus of the test's own, on which the running window claims its data folder.
    let bus = postcall_tests::keyring::Bus::start();
    let mut data = PathBuf::new();
    let env = [("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let app = App::launch_with(|d| data = d.to_path_buf(), &desktop_bin(), &env);
    app.wait_started();
    app.wait_count("0 calls");
    let id = app.post(&newer_call(780_001));
    app.wait_rows(&[id]);
    listen_for_links(&app);

    // Links that are not a call id and a time are ignored; the second instance still exits.
    for bad in ["postcall://call/abc?t=5", "postcall://call/1?t=-3", "postcall://elsewhere/1"] {
        let started = Instant::now();
        open_link(&app, &data, &bus.address, bad);
        assert!(started.elapsed() < WAIT, "the second instance took {:?}", started.elapsed());
    }
    open_link(&app, &data, &bus.address, &format!("postcall://call/{id}?t=5"));
    app.wait_until("the link to reach the window", |a| Ok(!links_received(a).is_empty()));
    open_link(&app, &data, &bus.address, &format!("postcall://call/{id}"));
    app.wait_until("the second link to reach the window", |a| Ok(links_received(a).len() >= 2));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(links_received(&app), vec![json!({"id": id, "t": 5}), json!({"id": id, "t": null})]);
    app.finish();
}

#[test]
fn a_window_started_by_a_link_opens_that_call() {
    // The OS starts the window with the link as its argument (no window was running): the link
    // arrives before the page listens, and must still open the call.
    let bus = postcall_tests::keyring::Bus::start();
    let env = [("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str())];
    let prepare = |data: &Path| {
        let file = data.with_file_name("calls.jsonl");
        calls_jsonl(&file, 785_000, 3);
        postcall_tests::cli(data, &["import", &file.display().to_string()]).ok();
    };
    let app = App::launch_with_args(prepare, &desktop_bin(), &env, &["postcall://call/785001?t=6"]);
    app.wait_started();
    app.wait_detail(785_001);
    assert_eq!(app.call_ids("call-detail"), vec![785_001], "the linked call is open");
    app.finish();
}

// ---------------------------------------------------------------------------------------------
// Review: reviewed state, notes at a moment, tags, scorecards (issue 14)

/// WebDriver's Shift key (held for the rest of the keys sent).
const SHIFT: &str = "\u{E008}";

impl App {
    /// Answers "Who is reviewing?" (it appears at the first review action) and waits for it to close.
    fn answer_reviewer_dialog(&self) {
        let name = self.wait_element("[data-testid=\"reviewer-dialog\"] [data-testid=\"reviewer-name\"]");
        self.s().send_keys(&name, "Sam Reviewer").expect("type the reviewer's name");
        let email = self.wait_element("[data-testid=\"reviewer-dialog\"] [data-testid=\"reviewer-email\"]");
        self.s().send_keys(&email, "sam@example.com").expect("type the reviewer's email");
        self.click("[data-testid=\"reviewer-save\"]");
        self.wait_until("the reviewer dialog to close", |a| {
            Ok(a.s().find("[data-testid=\"reviewer-dialog\"]")?.is_none())
        });
    }

    /// `data-state` of my review-state badge in the log row of `id` (the log stays mounted under the detail).
    fn row_review_state(&self, id: i64) -> Value {
        self.js(&format!(
            "const b = document.querySelector('[data-testid=\"call-row\"][data-call-id=\"{id}\"] [data-testid=\"review-state\"]');
             return b ? b.getAttribute('data-state') : null;"
        ))
    }

    /// Sends keys to a focusable element (the shortcuts listen on the window).
    fn keys_to(&self, css: &str, keys: &str) {
        let el = self.wait_element(css);
        self.s().send_keys(&el, keys).unwrap_or_else(|e| panic!("send {keys:?} to {css}: {e}"));
    }

    /// Goes to a page of the sidebar ("Calls", "Settings", …).
    fn nav(&self, label: &str) {
        let clicked = self.js(&format!(
            "const b = [...document.querySelectorAll('.nav-item')].find(b => b.textContent.includes('{label}'));
             if (b) b.click(); return !!b;"
        ));
        assert_eq!(clicked, json!(true), "no sidebar entry {label}");
    }
}

/// Three calls, a minute apart, so the log's order is known: newest first.
fn three_calls(app: &App, base: i64) -> Vec<i64> {
    (0..3)
        .map(|i| {
            let mut v = newer_call(base + i);
            v["created_at"] = json!(format!("2025-01-15T10:3{i}:00.000000Z"));
            app.post(&v)
        })
        .rev()
        .collect()
}

#[test]
fn review_mark_reviewed_and_next() {
    let app = App::start();
    let ids = three_calls(&app, 780_001);
    app.wait_rows(&ids);
    assert_eq!(app.call_ids("call-row"), ids, "newest first");
    app.open_row(ids[0]);
    let detail = "[data-testid=\"call-detail\"]";
    let badge = format!("{detail} [data-testid=\"review-bar\"] [data-testid=\"review-state\"]");
    assert_eq!(app.s().attr(&app.wait_element(&badge), "data-state").expect("state"), Some("unreviewed".into()));

    // Shift+R, the first review action: asks who reviews, then marks and opens the next unreviewed call.
    app.keys_to(&format!("{detail} [data-testid=\"mark-reviewed\"]"), &format!("{SHIFT}r"));
    app.wait_element("[data-testid=\"reviewer-dialog\"] [data-testid=\"reviewer-name\"]");
    app.s().settle().expect("wait for a paint");
    app.screenshot("review-dialog.png");
    app.answer_reviewer_dialog();
    app.wait_detail(ids[1]);
    app.wait_until("the first row to show reviewed", |a| Ok(a.row_review_state(ids[0]) == json!("reviewed")));
    assert_eq!(app.row_review_state(ids[1]), json!("unreviewed"));
    app.wait_until("the progress line", |a| {
        Ok(a.js("return document.querySelector('[data-testid=\"review-bar\"]').textContent;")
            .as_str()
            .is_some_and(|t| t.contains("1 of 3 reviewed in this view")))
    });

    // R marks the open call; the badge changes at once.
    app.keys_to(&format!("{detail} [data-testid=\"mark-reviewed\"]"), "r");
    app.wait_until("the open call to show reviewed", |a| {
        Ok(a.s().find(&format!("{badge}[data-state=\"reviewed\"]"))?.is_some())
    });
    app.wait_until("its row to show reviewed", |a| Ok(a.row_review_state(ids[1]) == json!("reviewed")));

    // "Next unreviewed" skips what I reviewed: from the first call it lands on the third.
    app.click(".detail-bar button"); // Back
    app.wait_until("the detail to close", |a| Ok(a.ids("call-detail")?.is_empty()));
    app.click(&format!("[data-testid=\"call-row\"][data-call-id=\"{}\"]", ids[0]));
    app.wait_detail(ids[0]);
    app.click(&format!("{detail} [data-testid=\"next-unreviewed\"]"));
    app.wait_detail(ids[2]);
    // j / k walk the log's order.
    app.keys_to(&format!("{detail} [data-testid=\"mark-reviewed\"]"), "k");
    app.wait_detail(ids[1]);
    app.click(".detail-bar button"); // Back
    app.wait_until("the detail to close", |a| Ok(a.ids("call-detail")?.is_empty()));
    app.wait_until("the log's progress line", |a| {
        Ok(a.js(
            "const e = document.querySelector('[data-testid=\"review-progress\"]'); return e ? e.textContent : null;",
        )
        .as_str()
        .is_some_and(|t| t.contains("2 of 3 reviewed in this view")))
    });
    app.screenshot("review-log.png");
    app.finish();
}

#[test]
fn review_note_at_a_turn_inline_and_on_the_waveform() {
    let media = tempfile::tempdir().expect("tempdir");
    let mp3 = speech(media.path(), "note", "Hello, this is the assistant. I am calling about your order.", "mp3", 14.0);
    let host = RecordingHost::start();
    let url = host.put("note.mp3", std::fs::read(&mp3).expect("mp3"), "audio/mpeg", Behaviour::Serve);

    let app = App::start();
    let id = app.post(&call_with_recording(781_001, &url));
    app.open_row(id);
    app.wait_playable();
    // Turn 2 starts 6 s in: clicking it seeks there and makes it the current turn.
    app.click("[data-testid=\"transcript-turn\"][data-turn-index=\"2\"]");
    app.wait_until("turn 2 to be current", |a| Ok(a.current_turn() == Some(2)));

    // N opens the composer pinned to that turn and time; the first review action asks who reviews.
    app.keys_to("[data-testid=\"note-add\"]", "n");
    let composer = app.wait_element("[data-testid=\"note-composer\"]");
    assert!(app.s().text(&composer).expect("composer").contains("turn 3"), "pinned to turn 2 (the third)");
    let text = "Check the <b>order</b> number <img src=x onerror=alert(1)>";
    app.keys_to("[data-testid=\"note-text\"]", text);
    app.click("[data-testid=\"note-save\"]");
    app.answer_reviewer_dialog();

    let inline = ".transcript [data-testid=\"note\"][data-turn=\"2\"]";
    let note = app.wait_element(inline);
    assert!(app.s().text(&note).expect("note text").contains(text), "the note shows its text as typed");
    let placed = app.js(&format!(
        "const n = document.querySelector('{}'); const p = n.previousElementSibling;
         return [p.getAttribute('data-turn-index'), n.querySelectorAll('b, img').length];",
        inline.replace('\'', "\\'")
    ));
    assert_eq!(placed, json!(["2", 0]), "inline right after turn 2, and no element made from its text");
    app.wait_element("[data-testid=\"note-marker\"][data-turn=\"2\"]");

    // Clicking the marker seeks to the note's moment.
    app.click("[data-testid=\"transcript-turn\"][data-turn-index=\"0\"]");
    app.wait_until("the player to go back to the start", |a| Ok(a.audio()[2].as_f64().unwrap_or(9.0) < 1.0));
    app.click("[data-testid=\"note-marker\"][data-turn=\"2\"]");
    app.wait_until("the marker to seek to 6 s", |a| Ok((a.audio()[2].as_f64().unwrap_or(-1.0) - 6.0).abs() < 0.35));
    app.s().settle().expect("wait for a paint");
    app.screenshot("review-note.png");

    // The note survives reopening the call.
    app.click(".detail-bar button"); // Back
    app.open_row(id);
    app.wait_element(inline);
    app.finish();
}

#[test]
fn review_tag_a_multi_selection_and_filter_by_it() {
    let app = App::start();
    let ids = three_calls(&app, 782_001);
    app.wait_rows(&ids);

    // A team tag, from Settings.
    app.nav("Settings");
    app.keys_to("[data-testid=\"tag-settings-name\"]", "escalate");
    app.click("[data-testid=\"tag-settings-add\"]");
    app.wait_element("[data-testid=\"tag-row\"][data-tag=\"escalate\"]");
    app.nav("Calls");

    // Tick two rows, then "Tag…" → escalate.
    for id in [ids[0], ids[2]] {
        app.click(&format!("[data-testid=\"call-row\"][data-call-id=\"{id}\"] [data-testid=\"row-check\"]"));
    }
    let bar = app.wait_element("[data-testid=\"bulk-bar\"]");
    assert!(app.s().text(&bar).expect("bar").contains("2 calls selected"));
    app.click("[data-testid=\"bulk-tag\"]");
    app.click("[data-testid=\"bulk-tag-option\"][data-tag=\"escalate\"]");
    app.answer_reviewer_dialog();
    let chip = |id: i64| {
        format!("[data-testid=\"call-row\"][data-call-id=\"{id}\"] [data-testid=\"tag-chip\"][data-tag=\"escalate\"]")
    };
    app.wait_element(&chip(ids[0]));
    app.wait_element(&chip(ids[2]));
    assert!(app.s().find(&chip(ids[1])).expect("find").is_none(), "the unticked row is not tagged");
    app.screenshot("review-tags.png");

    // Filter by the tag: its count, then only the tagged rows.
    app.click("[data-testid=\"tag-filter\"]");
    let option = "[data-testid=\"tag-filter-option\"][data-tag=\"escalate\"]";
    app.wait_until("the tag's count", |a| {
        Ok(a.s().find(option)?.map(|o| a.s().text(&o)).transpose()?.is_some_and(|t| t.trim().ends_with('2')))
    });
    app.click(&format!("{option} input"));
    app.wait_until("only the tagged rows", |a| Ok(a.ids("call-row")? == vec![ids[0], ids[2]]));
    app.wait_count("2 calls");
    app.finish();
}

#[test]
fn review_fill_a_scorecard() {
    let app = App::start();
    let ids = three_calls(&app, 783_001);
    app.wait_rows(&ids);

    // A rubric: a yes/no question pre-filled from the extracted `status`, and a 1–5 scale.
    app.nav("Settings");
    app.keys_to("[data-testid=\"tag-settings-name\"]", "follow-up");
    app.click("[data-testid=\"tag-settings-add\"]");
    app.wait_element("[data-testid=\"tag-row\"][data-tag=\"follow-up\"]");
    app.click("[data-testid=\"scorecard-new\"]");
    app.keys_to("[aria-label=\"Scorecard name\"]", "Call quality");
    app.keys_to("[data-testid=\"rubric-question\"] [aria-label=\"Question\"]", "Objective achieved");
    app.wait_element(
        "[data-testid=\"rubric-question\"] [aria-label=\"Pre-fill from variable\"] option[value=\"status\"]",
    );
    app.js(
        "const s = document.querySelector('[data-testid=\"rubric-question\"] [aria-label=\"Pre-fill from variable\"]');
         s.value = 'status'; s.dispatchEvent(new Event('change', { bubbles: true })); return null;",
    );
    app.click("[data-testid=\"rubric-add-question\"]");
    app.keys_to("[data-testid=\"rubric-question\"]:nth-child(2) [aria-label=\"Question\"]", "Tone");
    app.js(
        "const s = document.querySelector('[data-testid=\"rubric-question\"]:nth-child(2) [aria-label=\"Answer type\"]');
         s.value = 'scale'; s.dispatchEvent(new Event('change', { bubbles: true })); return null;",
    );
    app.s().settle().expect("wait for a paint");
    app.js(
        "document.querySelector('[data-testid=\"scorecard-settings\"]').scrollIntoView({ block: 'end' }); return null;",
    );
    app.screenshot("review-rubric.png");
    app.click("[data-testid=\"rubric-save\"]");
    app.wait_element("[data-testid=\"scorecard-row\"]");
    app.js("document.querySelector('[data-testid=\"reviewer-settings\"]').scrollIntoView({ block: 'start' }); return null;");
    app.s().settle().expect("wait for a paint");
    app.screenshot("review-settings.png");
    app.nav("Calls");

    app.open_row(ids[0]);
    let card = "[data-testid=\"scorecard\"]";
    let objective = format!("{card} [data-testid=\"score-question\"]:first-child");
    // Pre-filled from status = true, marked until confirmed; nothing stored yet.
    app.wait_element(&format!("{objective} [data-testid=\"prefilled\"]"));
    app.click(&format!("{objective} [data-testid=\"prefilled-confirm\"]"));
    app.answer_reviewer_dialog();
    app.wait_until("the pre-filled mark to go", |a| {
        Ok(a.s().find(&format!("{objective} [data-testid=\"prefilled\"]"))?.is_none())
    });
    let tone = format!("{card} [data-testid=\"score-question\"]:nth-child(2)");
    app.js(&format!(
        "[...document.querySelectorAll('{} button')].find(b => b.textContent === '3').click(); return null;",
        tone.replace('\'', "\\'")
    ));
    // (1 × 1 + 0.5 × 1) / 2 = 75 %
    app.wait_until("the total", |a| {
        Ok(a.js("return document.querySelector('[data-testid=\"score-total\"]').textContent;") == json!("75%"))
    });
    app.s().settle().expect("wait for a paint");
    app.screenshot("review-scorecard.png");
    // The log shows the total.
    app.click(".detail-bar button"); // Back
    app.wait_until("the row's score", |a| {
        Ok(a.js(&format!(
            "const e = document.querySelector('[data-testid=\"call-row\"][data-call-id=\"{}\"] [data-testid=\"row-score\"]'); return e ? e.textContent : null;",
            ids[0]
        )) == json!("75%"))
    });
    app.finish();
}

#[test]
fn review_filter_by_a_variable() {
    let app = App::start();
    let mut high = newer_call(784_001);
    high["extracted_variables"]["budget"] = json!(2500);
    let mut low = newer_call(784_002);
    low["extracted_variables"]["lead_quality"] = json!("low");
    low["extracted_variables"]["budget"] = json!(300);
    let (high, low) = (app.post(&high), app.post(&low));
    app.wait_rows(&[high, low]);

    // budget > 1000, picked from the variables the calls have; a chip shows it and removes it.
    app.click("[data-testid=\"var-filter-add\"]");
    app.wait_element("[data-testid=\"var-filter-name\"] option[value=\"budget\"]");
    app.js("const set = (id, v) => { const s = document.querySelector(`[data-testid=\"${id}\"]`);
           s.value = v; s.dispatchEvent(new Event('change', { bubbles: true })); };
         set('var-filter-name', 'budget'); return null;");
    app.js("const s = document.querySelector('[data-testid=\"var-filter-op\"]');
         s.value = 'gt'; s.dispatchEvent(new Event('change', { bubbles: true })); return null;");
    app.keys_to("[data-testid=\"var-filter-value\"]", "1000");
    app.click("[data-testid=\"var-filter-apply\"]");
    app.wait_until("only the call with a budget over 1000", |a| Ok(a.ids("call-row")? == vec![high]));
    let chip = app.wait_element("[data-testid=\"var-filter-chip\"]");
    assert!(app.s().text(&chip).expect("chip").contains("budget > 1000"));
    app.click("[data-testid=\"var-filter-chip\"] button");
    app.wait_rows(&[high, low]);
    app.finish();
}

#[test]
fn the_dashboard_draws_the_figures_and_exports_them() {
    let exports = tempfile::tempdir().expect("export folder");
    let dir = exports.path().to_str().expect("utf-8 path").to_string();
    let app = App::launch_with(|_| {}, &desktop_bin(), &[("POSTCALL_EXPORT_DIR", dir.as_str())]);
    app.wait_started();
    app.wait_count("0 calls");
    app.s().set_window_rect(1440, 900).expect("resize the window");
    // Two calls by one assistant on a Wednesday morning, one by another in a campaign whose name
    // a spreadsheet would run as a formula.
    let call = |id: i64, at: &str, assistant: &str, campaign: Option<&str>| {
        let mut v = newer_call(id);
        v["created_at"] = json!(at);
        v["assistant_phone"] = json!(assistant);
        v["extracted_variables"]["budget"] = json!(match id % 3 {
            1 => 1200,
            2 => 1500,
            _ => 4000,
        });
        if let Some(c) = campaign {
            v["campaign"] = json!({"name": c});
        }
        // Only the second call says "zebra" (every call has the field: no payload change).
        v["extracted_variables"]["next_step"] =
            json!(if id == 790_002 { "send the zebra brochure" } else { "call back" });
        v
    };
    let ids = [
        app.post(&call(790_001, "2025-01-15T10:30:00Z", "+15550001", None)),
        app.post(&call(790_002, "2025-01-15T10:45:00Z", "+15550001", None)),
        app.post(&call(790_003, "2025-01-16T15:10:00Z", "+15550002", Some("=2+3"))),
    ];
    app.wait_rows(&ids);

    app.js(
        "[...document.querySelectorAll('.nav-item')].find(b => b.textContent.includes('Dashboard')).click(); return null;",
    );
    app.wait_element("[data-testid=\"dashboard\"]");
    app.wait_until("the dashboard's figures", |a| {
        Ok(a.s()
            .execute("return document.querySelector('[data-testid=\"stat-calls\"]')?.textContent ?? null;", vec![])?
            == json!("3"))
    });
    let cells = app.js(
        "const r = [...document.querySelectorAll('[data-testid=\"heatmap\"] rect[data-cell]')];
         return [r.length, r.reduce((n, c) => n + Number(c.dataset.calls), 0), r.filter(c => c.dataset.calls !== '0').length];",
    );
    assert_eq!(cells, json!([168, 3, 2]), "7 × 24 cells holding the 3 calls in 2 hours");
    let assistants = app.js("return document.querySelector('[data-testid=\"by-assistant\"]').innerText;");
    let assistants = assistants.as_str().unwrap_or_default();
    assert!(assistants.contains("+15550001") && assistants.contains("+15550002"), "{assistants}");

    app.js("document.querySelector('[data-section=\"hours\"]').scrollIntoView({block: 'center'}); return null;");
    app.s().settle().expect("wait for a paint");
    let shot = app.screenshot("dashboard.png");
    let rect = app.rect_of("[data-testid=\"heatmap\"]");
    let (colours, inked) = shot.variety(rect);
    assert!(colours >= 4 && inked >= 0.05, "the heat map at {rect:?} is blank in the screenshot ({colours} colours)");

    // A numeric variable: its histogram (three values, three buckets) with median, p90, mean.
    app.js("document.querySelector('[data-section=\"variables\"]').scrollIntoView({block: 'center'}); return null;");
    let budget = app
        .js("const s = document.querySelector('tr[data-variable=\"budget\"] [data-testid=\"variable-numbers\"]');
         return s ? [s.querySelectorAll('rect').length, s.textContent] : null;");
    assert_eq!(budget[0], 3, "{budget}");
    assert!(budget[1].as_str().is_some_and(|t| t.contains("mean 2,233")), "{budget}");
    app.s().settle().expect("wait for a paint");
    app.screenshot("dashboard-variables.png");

    // Exports: the table as CSV (formulas neutralised), a chart as PNG, both private to the user.
    let saved = |testid: &str, file: &str| -> Vec<u8> {
        app.click(&format!("[data-testid=\"{testid}\"]"));
        let path = exports.path().join(file);
        app.wait_until(&format!("{file} to be saved"), |_| Ok(path.exists()));
        app.wait_until("the dashboard to say where", |a| {
            Ok(a.js("return document.querySelector('[data-testid=\"export-status\"]')?.textContent ?? '';")
                .as_str()
                .is_some_and(|t| t.contains(file)))
        });
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("exported file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} is readable by the user only");
        std::fs::read(&path).expect("read the export")
    };
    let csv = String::from_utf8(saved("export-csv-assistants", "postcall-assistants.csv")).expect("utf-8");
    assert_eq!(csv, "assistant,calls,achieved,rate\r\n+15550001,2,2,1\r\n+15550002,1,1,1\r\n", "{csv}");
    let campaigns = String::from_utf8(saved("export-csv-campaigns", "postcall-campaigns.csv")).expect("utf-8");
    assert!(campaigns.contains("\n'=2+3,1,"), "the campaign name is neutralised: {campaigns}");
    let png = saved("export-image-days", "postcall-calls-per-day.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000, "a PNG of the chart ({} bytes)", png.len());
    let svg = String::from_utf8(saved("export-image-hours", "postcall-hours.svg")).expect("utf-8");
    assert!(svg.contains("<svg") && svg.contains("data-calls=\"2\""), "the heat map as SVG");

    // The log's search: the dashboard counts the calls it matches and says so.
    app.js(
        "[...document.querySelectorAll('.nav-item')].find(b => b.textContent.includes('Calls')).click(); return null;",
    );
    let input = app.wait_element("[data-testid=\"search-input\"]");
    app.s().click(&input).expect("focus the search box");
    app.s().send_keys(&input, "zebra").expect("type into the search box");
    app.wait_element("[data-testid=\"search-result\"][data-call-id=\"790002\"]");
    app.js("[...document.querySelectorAll('.nav-item')].find(b => b.textContent.includes('Dashboard')).click(); return null;");
    app.wait_until("the dashboard to follow the search", |a| {
        Ok(a.js("return [document.querySelector('[data-testid=\"stat-calls\"]')?.textContent,
                        document.querySelector('[data-testid=\"dashboard-follows\"]')?.textContent];")
            == json!(["1", "Calls matching “zebra”"]))
    });
    app.s().settle().expect("wait for a paint");
    app.screenshot("dashboard-search.png");
    // Back to all calls for the campaign below.
    app.js(
        "[...document.querySelectorAll('.nav-item')].find(b => b.textContent.includes('Calls')).click(); return null;",
    );
    let input = app.wait_element("[data-testid=\"search-input\"]");
    app.s().click(&input).expect("focus the search box");
    app.js("const i = document.querySelector('[data-testid=\"search-input\"]');
            Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(i, '');
            i.dispatchEvent(new Event('input', {bubbles: true})); return null;");
    app.wait_rows(&ids);
    app.js("[...document.querySelectorAll('.nav-item')].find(b => b.textContent.includes('Dashboard')).click(); return null;");
    app.wait_until("the dashboard without the search", |a| {
        Ok(a.js("return document.querySelector('[data-testid=\"dashboard-follows\"]')?.textContent;")
            == json!("All calls"))
    });

    // A campaign opens the log filtered to it.
    app.js("[...document.querySelectorAll('[data-campaign] button')].find(b => b.textContent === '=2+3').click(); return null;");
    app.wait_until("the log filtered to the campaign", |a| Ok(a.ids("call-row")? == vec![790_003]));
    app.finish();
}

/// Settings → Team against a real nats-server on loopback with the shipped permissions: a
/// receiver (`postcall serve --team`) holds two calls; the window joins through the form as the
/// reviewer user `alice`, shows itself connected with the stream's sequences and lists the team's
/// calls. A mark made as someone else (Sam) is refused by the server and counted on the screen;
/// made as Alice, the next one reaches the receiver.
#[test]
fn the_team_screen_joins_a_server_and_shares_the_work() {
    use postcall_tests::nats::{serve_team_args, shipped_config, NatsServer};
    use postcall_tests::{cli, cli_json, data_dir, small_call, Server};

    let nats = NatsServer::start_with_config(Some(&shipped_config()));
    let url = nats.url();
    let receiver_dir = data_dir();
    let receiver = Server::start_env(
        receiver_dir.path(),
        &serve_team_args(&url, "receiver", "RECEIVER_PW"),
        &[("RECEIVER_PW", "receiver-pw")],
    );
    let ids = [790_101, 790_102];
    for id in ids {
        assert_eq!(post_json(&receiver.url, &small_call(id)).0, 200);
    }
    wait_for(WAIT, "the receiver to publish both calls", || {
        Ok((cli_json(receiver_dir.path(), &["team", "status"])["pending"] == 0).then_some(()))
    });

    let app = App::start();
    app.nav("Settings");
    let server = app.wait_element("[data-testid=\"team-join\"] input[aria-label=\"Team server URL\"]");
    app.js("document.querySelector('[data-testid=\"team-settings\"]').scrollIntoView({block: 'start'}); return null;");
    app.s().send_keys(&server, &url).expect("type the server's address");
    let user = app.wait_element("[data-testid=\"team-join\"] input[aria-label=\"Team user\"]");
    app.s().send_keys(&user, "alice").expect("type the user");
    let password = app.wait_element("[data-testid=\"team-join\"] input[aria-label=\"Team password\"]");
    app.s().send_keys(&password, "alice-pw").expect("type the password");
    app.click("[data-testid=\"team-join\"] button[type=\"submit\"]");
    app.wait_until("the window to be connected to the team", |a| {
        Ok(a.s().find("[data-testid=\"team-state\"][data-state=\"connected\"]")?.is_some())
    });
    app.wait_until("both calls applied from the stream", |a| {
        Ok(a.js("return document.querySelector('[data-testid=\"team-seqs\"]')?.textContent ?? '';")
            .as_str()
            .is_some_and(|t| t.contains("calls up to #2")))
    });
    assert_eq!(
        app.js("return document.querySelector('[data-testid=\"team-server\"]').textContent;"),
        json!(url),
        "the joined server is shown"
    );
    app.s().settle().expect("wait for a paint");
    app.screenshot("team.png");

    // The team's calls are in the log. A mark made as Sam: alice's user may publish only as
    // alice@example.com, so the server refuses it; the screen counts it and nothing waits.
    app.nav("Calls");
    app.wait_rows(&ids);
    app.open_row(ids[0]);
    app.click("[data-testid=\"call-detail\"] [data-testid=\"mark-reviewed\"]");
    app.answer_reviewer_dialog();
    app.nav("Settings");
    app.wait_until("the refused edit counted on the Team screen", |a| {
        Ok(a.s().find("[data-testid=\"team-refused\"][data-refused=\"1\"]")?.is_some()
            && a.s().find("[data-testid=\"team-pending\"][data-pending=\"0\"]")?.is_some())
    });
    let line = app.js("return document.querySelector('[data-testid=\"team-refused\"]').textContent;");
    assert!(line.as_str().is_some_and(|t| t.starts_with("1 edit the server refused")), "{line}");
    app.js("document.querySelector('[data-testid=\"team-settings\"]').scrollIntoView({block: 'start'}); return null;");
    app.s().settle().expect("wait for a paint");
    app.screenshot("team-refused.png");

    // As Alice (the author her user may publish for), the next mark reaches the receiver.
    let data = app._work.path().join("data");
    cli(&data, &["review", "whoami", "--set", "Alice Pop <alice@example.com>"]).ok();
    app.nav("Calls");
    app.open_row(ids[1]);
    app.click("[data-testid=\"call-detail\"] [data-testid=\"mark-reviewed\"]");
    wait_for(Duration::from_secs(30), "the receiver to hold the window's mark", || {
        let review = cli_json(receiver_dir.path(), &["show", &ids[1].to_string()])["review"].clone();
        Ok((review["states"][0]["state"] == "reviewed" && review["states"][0]["reviewer"] == "alice@example.com")
            .then_some(()))
    });
    let first = cli_json(receiver_dir.path(), &["show", &ids[0].to_string()])["review"].clone();
    assert_eq!(first["states"], json!([]), "Sam's mark never reached the receiver: {first}");
    app.nav("Settings");
    app.wait_until("nothing left to share", |a| {
        Ok(a.s().find("[data-testid=\"team-pending\"][data-pending=\"0\"]")?.is_some())
    });
    app.finish();
    drop(receiver);
}
