//! `make bench-desktop`: the window's speed and memory on a large data folder, as a person feels
//! them. Not part of the test suite (`#[ignore]`); it reports figures and asserts only that the
//! run is clean (no script errors, the session survives every cycle).
//!
//! - Data: `postcall-bench --keep` imports `BENCH_CALLS` generated calls (default 100,000;
//!   `BENCH_CALLS=1000000` for the full run) into `target/bench-desktop/run-N/import`, once, and
//!   a one-hour call of 2,400 turns is posted into it; later runs reuse the folder.
//! - Launch → first rows: the release binary started directly (no WebDriver) with
//!   `POSTCALL_BENCH_MARKS`, which makes the window write the time its first rows were painted;
//!   measured from the spawn. PSS of the app and its WebKit processes after each launch.
//! - In the window, through WebDriver, timed inside the page with `performance.now()`: the search
//!   box's input event → hits painted (the animation frame after the DOM has them); a click on a
//!   hit → its turns painted, for ordinary calls and for the one-hour call.
//! - 100 (`BENCH_CYCLES`) search → open → back cycles, with the PSS of every process of the app
//!   every 10 cycles and the CPU time they used.
//!
//! `BENCH_RUNS` (default 20) runs per timed figure; `BENCH_LABEL` names the report
//! (`target/bench-desktop-LABEL.txt`) so two builds can be compared side by side.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::*;

const LONG_CALL_ID: i64 = 990_001;
/// A word only the one-hour call says.
const LONG_WORD: &str = "kingfisher";
/// Words the generated calls say (src-tauri/core/src/sample.rs), from common to rarer.
const QUERIES: &[&str] = &["warranty", "engineer", "postcode", "battery", "brochure"];

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target")
}

/// The imported data folder for `calls` calls, made by the release `postcall-bench` if missing.
fn data_folder(calls: usize) -> PathBuf {
    let out = target_dir().join("bench-desktop");
    let dir = out.join(format!("run-{calls}")).join("import");
    let ready = out.join(format!("run-{calls}.ready"));
    if ready.exists() {
        return dir;
    }
    let bench = target_dir().join("release").join("postcall-bench");
    assert!(
        bench.exists(),
        "{} is missing: run `cargo build --release -p postcall-core --bin postcall-bench` first",
        bench.display()
    );
    eprintln!("generating and importing {calls} calls into {} …", dir.display());
    let status = Command::new(&bench)
        .args(["--calls", &calls.to_string(), "--skip-http", "--keep", "--runs", "1", "--out-dir"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .expect("run postcall-bench");
    assert!(status.success(), "postcall-bench failed");
    // The generated JSON Lines file is not needed again.
    let _ = std::fs::remove_file(out.join(format!("run-{calls}")).join("calls.jsonl"));
    std::fs::write(&ready, b"").expect("mark the data folder ready");
    dir
}

/// A one-hour call: 2,400 turns, one every 1.5 s.
fn long_call() -> Value {
    let start = 1_767_225_600.0; // 2026-01-01T00:00:00Z
    let lines = [
        "Thank you for calling, how can I help you today?",
        "I am calling about the engineer visit for my boiler.",
        "I can see the booking here. Could you confirm the postcode for the property?",
        "Yes, it is SW1A 1AA, and Thursday morning would suit me better.",
    ];
    let turns: Vec<Value> = (0..2400)
        .map(|i| {
            let text = if i == 1800 {
                format!("The {LONG_WORD} logo is on the van, so you will know it is us.")
            } else {
                lines[i % lines.len()].to_string()
            };
            json!({"sender": if i % 2 == 0 { "bot" } else { "human" }, "text": text, "timestamp": start + i as f64 * 1.5})
        })
        .collect();
    let mut v = newer_call(LONG_CALL_ID);
    v["created_at"] = json!("2026-01-01T00:00:00.000000Z");
    v["duration"] = json!(3600);
    v["recording_url"] = Value::Null;
    v["transcript"] = json!(turns);
    v
}

/// The process and every live descendant.
fn tree(root: u32) -> Vec<u32> {
    let mut pids = vec![root];
    pids.extend(descendants(root));
    pids
}

/// One process's proportional set size (kB): all of it, and its anonymous part (heaps, caches,
/// JIT code); the rest is file-backed (libraries, fonts, the databases' memory maps).
struct Pss {
    name: String,
    kb: u64,
    anon_kb: u64,
}

/// Summed PSS (kB) of `pids`, and each process's.
fn pss(pids: &[u32]) -> (u64, Vec<Pss>) {
    let mut each = Vec::new();
    for pid in pids {
        let [kb, anon_kb] = memory_kb(*pid, ["Pss:", "Pss_Anon:"]);
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string();
        each.push(Pss { name, kb, anon_kb });
    }
    (each.iter().map(|e| e.kb).sum(), each)
}

/// "306 MB = app 155 MB (anon 80), …" for the report.
fn pss_line(kb: u64, each: &[Pss]) -> String {
    let parts: Vec<String> =
        each.iter().map(|p| format!("{} {} MB (anon {})", p.name, p.kb / 1024, p.anon_kb / 1024)).collect();
    format!("{} MB = {}", kb / 1024, parts.join(", "))
}

/// CPU seconds (user + system) used so far by `pids`.
fn cpu_seconds(pids: &[u32]) -> f64 {
    let ticks: u64 = pids
        .iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (_, rest) = stat.rsplit_once(')')?;
            let f: Vec<&str> = rest.split_whitespace().collect();
            // After the comm: state is field 3, utime 14 and stime 15 (1-based, as in proc(5)).
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .sum();
    ticks as f64 / 100.0
}

fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[i.min(s.len() - 1)]
}

fn line(what: &str, v: &[f64]) -> String {
    format!(
        "{what:<44} p50 {:>7.1} ms  p95 {:>7.1} ms  (n={}, min {:.1}, max {:.1})\n",
        percentile(v, 50.0),
        percentile(v, 95.0),
        v.len(),
        v.iter().copied().fold(f64::INFINITY, f64::min),
        v.iter().copied().fold(0.0, f64::max)
    )
}

fn unix_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

/// Starts the binary on `data` without WebDriver; returns ms from spawn to first rows painted
/// (None when the build does not report it), and the PSS (kB) of its processes 2 s later with
/// the CPU seconds they had used by then.
fn direct_launch(bin: &Path, data: &Path, display: &str) -> (Option<f64>, u64, f64) {
    let work = tempfile::tempdir().expect("tempdir");
    let marks = work.path().join("marks");
    let port = free_ports(1)[0];
    let t0 = unix_ms();
    let mut child = Command::new(bin)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("POSTCALL_DATA_DIR", data)
        .env("POSTCALL_BIND", format!("127.0.0.1:{port}"))
        .env("POSTCALL_SECRET", secret())
        .env("POSTCALL_SECRET_STORE", "file")
        .env("POSTCALL_BENCH_MARKS", &marks)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut first = None;
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(&marks).unwrap_or_default();
        if let Some(ms) = text.split_whitespace().nth(1).and_then(|m| m.parse::<u128>().ok()) {
            first = Some(ms.saturating_sub(t0) as f64);
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the app exited at launch ({status})");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_secs(2));
    let pids = tree(child.id());
    let (kb, _) = pss(&pids);
    let cpu = cpu_seconds(&pids);
    let kids = descendants(child.id());
    signal(child.id(), "TERM");
    reap(&mut child, Duration::from_secs(10));
    for pid in kids {
        if alive(pid) {
            signal(pid, "KILL");
        }
    }
    (first, kb, cpu)
}

/// In the page: sets the search box to `q` (after clearing it) and resolves with the ms from the
/// input event to the frame after hits marking `q` are in the DOM.
const TIME_SEARCH: &str = r#"
const q = arguments[0], done = arguments[arguments.length - 1];
const input = document.querySelector('[data-testid="search-input"]');
const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
const type = v => { set.call(input, v); input.dispatchEvent(new Event('input', { bubbles: true })); };
const word = q.toLowerCase();
const painted = () => { const m = document.querySelector('[data-testid="search-result"] mark');
  return !!m && m.textContent.toLowerCase().includes(word); };
const go = () => {
  let t0 = 0, fired = false;
  const check = () => { if (fired || !painted()) return; fired = true; obs.disconnect();
    requestAnimationFrame(() => { const ms = performance.now() - t0; const marks = window.__postcallTrace;
      delete window.__postcallTrace; done({ ms, marks: marks.map(([n, t]) => [n, t - t0]) }); }); };
  const obs = new MutationObserver(check);
  obs.observe(document.body, { childList: true, subtree: true, characterData: true });
  input.focus();
  window.__postcallTrace = [];
  t0 = performance.now();
  type(q);
  check();
};
type('');
const cleared = () => document.querySelector('[data-testid="search-result"]') ? requestAnimationFrame(cleared) : setTimeout(go, 30);
cleared();
"#;

/// In the page: clicks the element and resolves with the ms until the frame after the opened
/// call shows `want` (its turns, or the turn a hit pointed at).
const TIME_OPEN: &str = r#"
const sel = arguments[0], want = arguments[1], done = arguments[arguments.length - 1];
const el = document.querySelector(sel);
if (!el) { done(-1); return; }
let t0 = 0, fired = false;
const ok = () => !!document.querySelector('[data-testid="call-detail"] ' + want);
// "frame-painted": the first task after that frame's style, layout and paint.
const check = () => { if (fired || !ok()) return; fired = true; obs.disconnect();
  requestAnimationFrame(() => { const ms = performance.now() - t0; const marks = window.__postcallTrace;
    delete window.__postcallTrace; const ch = new MessageChannel();
    ch.port1.onmessage = () => { marks.push(['frame-painted', performance.now()]);
      done({ ms, marks: marks.map(([n, t]) => [n, t - t0]) }); };
    ch.port2.postMessage(0); }); };
const obs = new MutationObserver(check);
obs.observe(document.body, { childList: true, subtree: true });
window.__postcallTrace = [];
t0 = performance.now();
el.click();
"#;

/// The page's timing marks (ui/src/features/search/trace.ts), collected over the runs of one
/// figure: for each mark, its ms from the input event or click (the last of its kind in a run),
/// and how often it happened per run.
#[derive(Default)]
struct Phases(Vec<(String, Vec<f64>, usize)>, Option<(f64, Vec<(String, f64)>)>);

impl Phases {
    fn add(&mut self, v: &Value) {
        // The slowest run's marks in full: where a tail's time went.
        let ms = v["ms"].as_f64().unwrap_or(f64::NAN);
        if self.1.as_ref().is_none_or(|(worst, _)| ms > *worst) {
            let all = v["marks"].as_array().into_iter().flatten();
            let seq = all.filter_map(|m| Some((m[0].as_str()?.to_string(), m[1].as_f64()?))).collect();
            self.1 = Some((ms, seq));
        }
        let mut last: Vec<(String, f64, usize)> = Vec::new();
        for m in v["marks"].as_array().into_iter().flatten() {
            let (Some(name), Some(t)) = (m[0].as_str(), m[1].as_f64()) else { continue };
            match last.iter_mut().find(|e| e.0 == name) {
                Some(e) => (e.1, e.2) = (t, e.2 + 1),
                None => last.push((name.to_string(), t, 1)),
            }
        }
        for (name, t, n) in last {
            match self.0.iter_mut().find(|e| e.0 == name) {
                Some(e) => {
                    e.1.push(t);
                    e.2 += n;
                }
                None => self.0.push((name, vec![t], n)),
            }
        }
    }

    /// The times of one mark, one per run that had it.
    fn of(&self, name: &str) -> &[f64] {
        self.0.iter().find(|e| e.0 == name).map(|e| e.1.as_slice()).unwrap_or(&[])
    }

    /// "name p50 (×count per run)" in the order of their p50.
    fn line(&self, runs: usize) -> String {
        let mut v: Vec<_> =
            self.0.iter().map(|(n, t, c)| (n, percentile(t, 50.0), *c as f64 / runs.max(1) as f64)).collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        let parts: Vec<String> = v
            .iter()
            .map(|(n, p, c)| format!("{n} {p:.1}{}", if *c > 1.05 { format!(" (×{c:.1})") } else { String::new() }))
            .collect();
        let mut out = format!("  in the page, p50 ms from the event (last of each mark): {}\n", parts.join(", "));
        if let Some((ms, seq)) = &self.1 {
            let seq: Vec<String> = seq.iter().map(|(n, t)| format!("{n} {t:.0}")).collect();
            let _ = writeln!(out, "  the slowest run ({ms:.0} ms), every mark: {}", seq.join(", "));
        }
        out
    }
}

/// `us` and `bytes` of the shell's `what` log lines (POSTCALL_LOG=…postcall_app=debug).
fn command_times(log: &Path, what: &str) -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let field = |l: &str, k: &str| {
        l.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .and_then(|n| n.trim_matches(|c: char| !c.is_ascii_digit()).parse::<f64>().ok())
    };
    let mut us = Vec::new();
    let mut bytes = Vec::new();
    // Without the terminal's colour codes around the field names.
    let plain: String = {
        let mut out = String::with_capacity(text.len());
        let mut esc = false;
        for c in text.chars() {
            match (esc, c) {
                (false, '\u{1b}') => esc = true,
                (true, c) if c.is_ascii_alphabetic() => esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    };
    for l in plain.lines().filter(|l| l.contains(what) && l.contains("us=")) {
        if let (Some(u), Some(b)) = (field(l, "us="), field(l, "bytes=")) {
            us.push(u / 1000.0);
            bytes.push(b);
        }
    }
    (us, bytes)
}

fn command_line(log: &Path, what: &str, from: usize) -> String {
    let (ms, bytes) = command_times(log, what);
    let (ms, bytes) = (&ms[from.min(ms.len())..], &bytes[from.min(bytes.len())..]);
    if ms.is_empty() {
        return String::new();
    }
    format!(
        "  the `{what}` command: p50 {:.1} ms, p95 {:.1} ms, answer p50 {:.0} bytes (max {:.0}; n={})\n",
        percentile(ms, 50.0),
        percentile(ms, 95.0),
        percentile(bytes, 50.0),
        bytes.iter().copied().fold(0.0, f64::max),
        ms.len()
    )
}

impl App {
    fn time_search(&self, q: &str) -> f64 {
        self.time_search_traced(q, &mut Phases::default())
    }

    fn time_search_traced(&self, q: &str, phases: &mut Phases) -> f64 {
        let v = self.s().execute_async(TIME_SEARCH, vec![json!(q)]).unwrap_or_else(|e| {
            panic!("timing the search {q:?}: {e}\n{}", self.page_text());
        });
        phases.add(&v);
        v["ms"].as_f64().unwrap_or(f64::NAN)
    }

    fn time_open(&self, css: &str) -> f64 {
        self.time_open_until(css, "[data-testid=\"transcript-turn\"]", &mut Phases::default())
    }

    fn time_open_until(&self, css: &str, want: &str, phases: &mut Phases) -> f64 {
        let v = self.s().execute_async(TIME_OPEN, vec![json!(css), json!(want)]).unwrap_or_else(|e| {
            panic!("timing the opening of {css}: {e}\n{}", self.page_text());
        });
        if v.as_f64() == Some(-1.0) {
            panic!("nothing to click at {css}");
        }
        phases.add(&v);
        v["ms"].as_f64().unwrap_or(f64::NAN)
    }

    fn commands_seen(&self, what: &str) -> usize {
        command_times(&self.log, what).0.len()
    }

    fn back(&self) {
        self.click(".detail-bar button");
        self.wait_until("the detail to close", |a| Ok(a.ids("call-detail")?.is_empty()));
    }

    fn app_tree(&self) -> Vec<u32> {
        self.app_pids.iter().flat_map(|p| tree(*p)).collect()
    }
}

#[test]
#[ignore = "benchmark: run with `make bench-desktop`"]
fn bench_desktop_window() {
    let calls = env_num("BENCH_CALLS", 100_000);
    let runs = env_num("BENCH_RUNS", 20);
    let cycles = env_num("BENCH_CYCLES", 100);
    let launch_runs = env_num("BENCH_LAUNCHES", runs);
    let label = std::env::var("BENCH_LABEL").unwrap_or_else(|_| "current".into());
    let bin = desktop_bin().canonicalize().expect("the postcall-desktop binary");
    let data = data_folder(calls);
    let mut report = format!(
        "bench-desktop ({label}): {calls} calls, {} at {}\n",
        bin.display(),
        String::from_utf8_lossy(&Command::new("date").arg("-u").output().map(|o| o.stdout).unwrap_or_default()).trim()
    );

    // The one-hour call, posted once into the reused folder.
    let posted = data.join("..").join("long-call.posted");
    {
        let app = App::launch_with(|_| {}, &bin, &[("POSTCALL_DATA_DIR", data.to_str().expect("utf-8 path"))]);
        app.wait_started();
        app.wait_element("[data-testid=\"call-row\"]");
        if !posted.exists() {
            assert_eq!(app.post(&long_call()), LONG_CALL_ID);
            std::fs::write(&posted, b"").expect("mark the long call posted");
        }
        app.finish();
    }

    // Launch → first rows, without WebDriver.
    let display = Display::get();
    let mut launches = Vec::new();
    let mut launch_pss = Vec::new();
    let mut launch_cpu = Vec::new();
    for i in 0..=launch_runs {
        let (ms, kb, cpu) = direct_launch(&bin, &data, &display.name);
        if i == 0 {
            continue; // warm-up: the first start reads the database from disk
        }
        if let Some(ms) = ms {
            launches.push(ms);
        }
        launch_pss.push(kb as f64 / 1024.0);
        launch_cpu.push(cpu * 1e3);
    }
    drop(display);
    if launches.is_empty() {
        report.push_str("launch → first rows: not reported by this build (no POSTCALL_BENCH_MARKS)\n");
    } else {
        report.push_str(&line("launch → first rows painted (no WebDriver)", &launches));
    }
    report.push_str(&line("  CPU of the app's processes to 2 s after", &launch_cpu));
    let _ = writeln!(
        report,
        "{:<44} p50 {:>7.0} MB  max {:.0} MB",
        "PSS of all app processes after launch",
        percentile(&launch_pss, 50.0),
        launch_pss.iter().copied().fold(0.0, f64::max)
    );

    // In the window, with the shell logging each command's time and answer size.
    let t = Instant::now();
    let app = App::launch_with(
        |_| {},
        &bin,
        &[
            ("POSTCALL_DATA_DIR", data.to_str().expect("utf-8 path")),
            ("POSTCALL_LOG", "warn,postcall_core=info,postcall_app=debug"),
            // As users run it (the other tests keep compositing on for WebDriver's screenshots).
            ("POSTCALL_COMPOSITING", "auto"),
        ],
    );
    app.wait_started();
    app.wait_element("[data-testid=\"call-row\"]");
    let _ = writeln!(report, "launch → first rows with WebDriver (once): {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    std::thread::sleep(Duration::from_secs(2));
    let pids = app.app_tree();
    let (start_kb, each) = pss(&pids);
    let _ = writeln!(report, "PSS after launch (WebDriver session): {}", pss_line(start_kb, &each));

    // Search: input → hits painted. The first round is cold (first use of each word).
    let cpu0 = cpu_seconds(&app.app_tree());
    let seen = app.commands_seen("search_calls");
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut phases = Phases::default();
    let rounds = runs.div_ceil(QUERIES.len()) + 1;
    for round in 0..rounds {
        for q in QUERIES {
            let ms = app.time_search_traced(q, &mut phases);
            if round == 0 {
                cold.push(ms)
            } else {
                warm.push(ms)
            }
        }
    }
    let search_cpu = cpu_seconds(&app.app_tree()) - cpu0;
    let after_searches = pss(&app.app_tree());
    report.push_str(&line("search input → hits painted, first use", &cold));
    report.push_str(&line("search input → hits painted, repeated", &warm));
    let all: Vec<f64> = cold.iter().chain(&warm).copied().collect();
    report.push_str(&line("search input → hits painted, all", &all));
    let _ = writeln!(report, "  CPU of the app's processes: {:.1} ms per search", search_cpu * 1e3 / all.len() as f64);
    report.push_str(&phases.line(all.len()));
    report.push_str(&command_line(&app.log, "search_calls", seen));

    // Click a hit → its turns painted (ordinary calls: a different hit each time).
    app.time_search("warranty");
    // What was timed, to compare builds by eye (target/e2e-shots/bench-LABEL-*.png).
    std::thread::sleep(Duration::from_millis(300));
    app.screenshot(&format!("bench-{label}-hits.png"));
    let cpu0 = cpu_seconds(&app.app_tree());
    let seen = app.commands_seen("get_call");
    let mut opens = Vec::new();
    let mut phases = Phases::default();
    for i in 0..runs {
        let css = format!("[data-testid=\"search-result\"]:nth-child({})", i % 50 + 1);
        opens.push(app.time_open_until(&css, "[data-testid=\"transcript-turn\"]", &mut phases));
        app.back();
    }
    let open_cpu = cpu_seconds(&app.app_tree()) - cpu0;
    let after_opens = pss(&app.app_tree());
    report.push_str(&line("click a hit → its turns painted", &opens));
    // The session's first opening lays out the detail's styles and font faces for the first time:
    // reported apart, so a slow first opening is not mistaken for the others' tail.
    if let Some((first, rest)) = opens.split_first() {
        let _ = writeln!(report, "  the session's first: {first:.0} ms; the others:");
        report.push_str(&line("  click a hit → its turns painted, not first", rest));
    }
    report.push_str(&line("  … to the task after that frame was painted", phases.of("frame-painted")));
    let _ = writeln!(report, "  CPU of the app's processes: {:.1} ms per open + back", open_cpu * 1e3 / runs as f64);
    report.push_str(&phases.line(runs));
    report.push_str(&command_line(&app.log, "get_call", seen));

    // The one-hour call.
    app.time_search(LONG_WORD);
    let hit = format!("[data-testid=\"search-result\"][data-call-id=\"{LONG_CALL_ID}\"]");
    app.wait_element(&hit);
    let cpu0 = cpu_seconds(&app.app_tree());
    let seen = app.commands_seen("get_call");
    let mut long = Vec::new();
    let mut phases = Phases::default();
    for _ in 0..runs {
        long.push(app.time_open_until(&hit, "[data-turn-index=\"1800\"]", &mut phases));
        app.wait_until("the hit's turn (1800) to be shown and marked", |a| {
            Ok(a.js("return !!document.querySelector('[data-turn-index=\"1800\"].turn-focus');") == json!(true))
        });
        app.back();
    }
    let long_cpu = cpu_seconds(&app.app_tree()) - cpu0;
    report.push_str(&line("open the 2,400-turn call (click → hit's turn)", &long));
    report.push_str(&line("  … to the task after that frame was painted", phases.of("frame-painted")));
    let _ = writeln!(report, "  CPU of the app's processes: {:.1} ms per open + back", long_cpu * 1e3 / runs as f64);
    report.push_str(&phases.line(runs));
    report.push_str(&command_line(&app.log, "get_call", seen));

    // Search → open → back cycles: memory over time, from what the timed runs above left.
    let (before_kb, each) = pss(&app.app_tree());
    for (what, (kb, each)) in [
        ("the searches", after_searches),
        ("the openings", after_opens),
        ("the long call's openings", (before_kb, each)),
    ] {
        let _ = writeln!(report, "PSS after {what}: {}", pss_line(kb, &each));
    }
    let cpu0 = cpu_seconds(&app.app_tree());
    let t = Instant::now();
    let mut pss_series = vec![before_kb / 1024];
    for c in 0..cycles {
        let q = if c % 10 == 9 { LONG_WORD } else { QUERIES[c % QUERIES.len()] };
        app.time_search(q);
        let nth = if q == LONG_WORD { 1 } else { c % 10 + 1 };
        app.time_open(&format!("[data-testid=\"search-result\"]:nth-child({nth})"));
        app.back();
        if (c + 1) % 10 == 0 {
            pss_series.push(pss(&app.app_tree()).0 / 1024);
        }
    }
    let cycle_cpu = cpu_seconds(&app.app_tree()) - cpu0;
    let (end_kb, each) = pss(&app.app_tree());
    let _ = writeln!(
        report,
        "{cycles} search → open → back cycles in {:.0} s ({:.0} ms CPU per cycle); PSS every 10 cycles (MB): {}",
        t.elapsed().as_secs_f64(),
        cycle_cpu * 1e3 / cycles.max(1) as f64,
        pss_series.iter().map(u64::to_string).collect::<Vec<_>>().join(" → ")
    );
    let _ = writeln!(report, "PSS after the cycles: {}", pss_line(end_kb, &each));
    app.finish();

    eprintln!("\n{report}");
    let out = target_dir().join(format!("bench-desktop-{label}.txt"));
    std::fs::write(&out, &report).expect("write the report");
    eprintln!("written to {}", out.display());
}
