//! `postcall-bench`: Postcall's figures on synthetic data, measured through the real code paths.
//!
//! 1. Generates N realistic calls ([`postcall_core::sample`]) as a JSON Lines file and imports it
//!    through the real ingest path (`Service::open` + `Ingestor::deliver(Source::Import, …)` with
//!    many deliveries in flight, as `postcall import` does) into a fresh data folder: calls/s, and
//!    database bytes per call after a `wal_checkpoint(TRUNCATE)`.
//! 2. Webhook ingest over loopback HTTP at concurrency 32, side by side in the same run: Postcall's
//!    real listener (fresh data folder) and a naive baseline receiver (axum + one
//!    `synchronous=FULL` INSERT of the raw body per request, one connection behind a mutex).
//!    Calls/s and p50/p99 acknowledgement latency for both, and the ratio.
//! 3. Search latency (p50/p95) on the imported database: word, phrase, prefix, fragment, phone.
//! 4. Call-list page latency (p50/p95): first and deep (keyset cursor) pages, with and without
//!    filters, limit 100.
//!
//! 5. With `--annotations N`: N review events (states by three reviewers, tags, notes, scores) on
//!    random calls, written through the review store, then call-list pages filtered by tag and
//!    review state, in time order and sorted by duration (p50/p95, CPU per page), side by side
//!    with the same pages read the way they
//!    were before the review rows kept the log's order (the copied keys cleared, so the filter
//!    walks the log probing each call), whether both give the same pages, and the time to fill
//!    the keys back (what the upgrade costs).
//! 6. Insights: `stats` for the whole range, 30 days, a campaign, a status, a combination, and
//!    a search-filtered case (p50/p95, CPU per query), against the same figures from `calls`.
//!
//! Prints a table and writes the same figures as JSON to `--out-dir`. It reports; it asserts
//! nothing: machines are noisy, so the baseline ratio is the figure to compare across machines.
//!
//! `cargo run --release -p postcall-core --bin postcall-bench -- --calls 100000 --out-dir DIR`

use std::io::{BufRead, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use clap::Parser;
use postcall_core::query::{self, CallQuery};
use postcall_core::sample::{self, Rng};
use postcall_core::service::Service;
use postcall_core::{search, store, DataDir, Source};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};

const SECRET: &str = "bench-secret-0123456789abcdef";
/// 2024-01-01T00:00:00Z: generated calls start here, one a minute (1M calls span ~2 years).
const BASE_MS: i64 = 1_704_067_200_000;
const CONCURRENCY: usize = 32;

#[derive(Debug, Parser)]
#[command(name = "postcall-bench", about = "Measure Postcall's import, webhook ingest, search and call-list speed.")]
struct Args {
    /// How many calls to generate and import.
    #[arg(long, default_value_t = 100_000)]
    calls: u64,
    /// Where the generated data, the databases and results-<N>.json go.
    #[arg(long, default_value = "target/postcall-bench")]
    out_dir: PathBuf,
    /// Skip the loopback HTTP comparison.
    #[arg(long)]
    skip_http: bool,
    /// Requests sent to each HTTP receiver (after a warm-up).
    #[arg(long, default_value_t = 20_000)]
    http_calls: usize,
    /// Timed runs per search query kind and per list page kind.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Seed of the generator (same seed, same data).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Keep the generated JSONL file and databases (they are deleted at the end otherwise).
    #[arg(long)]
    keep: bool,
    /// Only measure search and call-list reads, on the database a previous `--keep` run of the
    /// same `--calls` left in the output folder.
    #[arg(long)]
    reads_only: bool,
    /// Review events to write on random calls before measuring the review filters (0: none).
    /// With `--reads-only`, a kept review file holding as many already is reused.
    #[arg(long, default_value_t = 0)]
    annotations: u64,
    /// Hits asked of each search (the window asks for 200, the CLI for 20).
    #[arg(long, default_value_t = 50)]
    search_limit: usize,
}

/// The same allocator as the `postcall` binary, so the figures are the app's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(args))
}

/// Prints `label: n so far` on stderr once a second while the returned guard lives.
struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(label: &'static str, total: u64, counter: Arc<AtomicU64>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut last = Instant::now();
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                if last.elapsed() >= Duration::from_secs(1) {
                    last = Instant::now();
                    let n = counter.load(Ordering::Relaxed);
                    let secs = started.elapsed().as_secs_f64();
                    eprintln!("  {label}: {n}/{total} ({:.0}/s, {secs:.0} s)", n as f64 / secs.max(1e-9));
                }
            }
        });
        Self { stop, thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Lat {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    /// CPU time of the measuring thread per run, mean (NaN where not measured per run): tells a
    /// busy machine (wall time up, CPU the same) from a slower query (both up).
    cpu_us: f64,
}

fn latencies(mut ms: Vec<f64>) -> Lat {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| -> f64 {
        if ms.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * (ms.len() - 1) as f64).round() as usize;
        ms[i.min(ms.len() - 1)]
    };
    Lat { p50: at(50.0), p95: at(95.0), p99: at(99.0), max: at(100.0), cpu_us: f64::NAN }
}

fn lat_json(l: Lat) -> Value {
    let mut v =
        json!({"p50_ms": round3(l.p50), "p95_ms": round3(l.p95), "p99_ms": round3(l.p99), "max_ms": round3(l.max)});
    if l.cpu_us.is_finite() {
        v["cpu_us"] = json!(round3(l.cpu_us));
    }
    v
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Search and list latency on a kept database, with search terms taken from its calls.
fn reads_only(args: &Args) -> Result<()> {
    let n = args.calls.max(1);
    let dir = args.out_dir.join(format!("run-{n}")).join("import");
    let db = DataDir::resolve(Some(&dir))?.db_path();
    if !db.exists() {
        bail!("no kept database at {}; run once with --keep first", db.display());
    }
    // With the journal attached: a call's document may be a journaled delivery's body.
    let st = store::Store::open(&db)?;
    if args.annotations > 0 {
        let held: i64 = st.read(|c| Ok(c.query_row("SELECT count(*) FROM review.review_events", [], |r| r.get(0))?))?;
        if (held as u64) < args.annotations {
            annotate(&st, args.annotations - held as u64, args.seed ^ held as u64)?;
        } else {
            eprintln!("reusing the {held} review events held");
        }
    }
    let conn = st.connect()?;
    let total: i64 = conn.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?;
    let mut picks = Picks::default();
    let every = (total / 200).max(1);
    let mut stmt = conn.prepare(&format!(
        "SELECT json_extract({}, '$.extracted_variables.order_reference'), customer_phone FROM calls WHERE id = ?1",
        postcall_core::store::calls::DOC_SQL
    ))?;
    for k in 0..200 {
        let row: Option<(Option<String>, Option<String>)> =
            stmt.query_row([k * every + 1], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let Some((reference, phone)) = row else { continue };
        if let Some(d) = reference.as_deref().and_then(|r| r.split('-').nth(1)) {
            picks.fragments.push(d.to_string());
        }
        picks.phones.extend(phone);
    }
    drop(stmt);
    eprintln!("postcall-bench: reads on {} ({total} calls)", db.display());
    drop(conn);
    let (searches, mut pages, review) = st.read(|conn| Ok(timed_reads(&st, conn, &picks, args)))??;
    print_reads(&searches, &pages);
    if let Some((rows, _)) = &review {
        print_review(rows);
        pages.extend(rows.iter().map(|r| (r.name.clone(), r.indexed, r.rows)));
    }
    let insights = postcall_core::insights::bench::measure(&mut store::Store::open(&db)?.connect()?, args.runs)?;
    println!("\ninsights: {}", serde_json::to_string_pretty(&insights)?);
    Ok(())
}

async fn run(args: Args) -> Result<()> {
    if args.reads_only {
        return reads_only(&args);
    }
    let n = args.calls.max(1);
    let out = args.out_dir.join(format!("run-{n}"));
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cannot clear {}", out.display()))?;
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    eprintln!("postcall-bench: {n} calls, output in {}", out.display());

    // 1. Generate.
    let jsonl = out.join("calls.jsonl");
    let gen = generate(&jsonl, n, args.seed)?;
    eprintln!(
        "generated {n} calls in {:.1} s: {:.1} MB JSONL, {:.0} bytes/call, {:.1} turns/call on average",
        gen.seconds,
        gen.bytes as f64 / 1e6,
        gen.bytes as f64 / n as f64,
        gen.turns as f64 / n as f64
    );

    // 1b. Import.
    let import_dir = out.join("import");
    let imp = import(&jsonl, &import_dir, n).await?;
    eprintln!(
        "imported {} calls in {:.1} s: {:.0} calls/s; database {:.1} MB, {:.0} bytes/call{}{}",
        imp.stored,
        imp.seconds,
        imp.stored as f64 / imp.seconds,
        imp.db_bytes as f64 / 1e6,
        imp.db_bytes as f64 / n as f64,
        imp.cpu_seconds
            .map(|c| format!("; CPU {c:.1} s ({:.0} µs/call, {:.2} cores)", c * 1e6 / n as f64, c / imp.seconds))
            .unwrap_or_default(),
        imp.peak_rss.map(|b| format!("; peak memory {:.0} MB", b as f64 / 1e6)).unwrap_or_default()
    );

    // 2. HTTP. First put everything written so far (the generated file, the import) on disk, so
    // the kernel flushing it does not land in the timed comparison.
    if !args.skip_http {
        let synced = std::process::Command::new("sync").status().map(|s| s.success()).unwrap_or(false);
        if !synced {
            eprintln!("warning: `sync` failed; the HTTP figures may include the import's disk writes");
        }
    }
    let http = if args.skip_http { None } else { Some(http_compare(&out, args.http_calls, args.seed).await?) };

    // 3 and 4 on the imported database, read-only.
    let db = DataDir::resolve(Some(&import_dir))?.db_path();
    let st = store::Store::open(&db)?;
    if args.annotations > 0 {
        annotate(&st, args.annotations, args.seed)?;
    }
    let (searches, pages, review) = st.read(|conn| Ok(timed_reads(&st, conn, &gen.picks, &args)))??;
    let insights = postcall_core::insights::bench::measure(&mut store::Store::open(&db)?.connect()?, args.runs)?;

    let report = json!({
        "calls": n,
        "seed": args.seed,
        "machine": {"cpus": std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1)},
        "generate": {"seconds": round3(gen.seconds), "jsonl_bytes": gen.bytes,
            "avg_payload_bytes": (gen.bytes as f64 / n as f64).round(), "avg_turns": round3(gen.turns as f64 / n as f64),
            "max_turns": gen.max_turns},
        "import": {"stored": imp.stored, "failed": imp.failed, "seconds": round3(imp.seconds),
            "calls_per_s": (imp.stored as f64 / imp.seconds).round(), "cpu_seconds": imp.cpu_seconds.map(round3),
            "peak_rss_bytes": imp.peak_rss,
            "threads_cpu_us_per_call": imp.threads.iter()
                .map(|(t, c)| (t.clone(), json!((c * 1e6 / imp.stored.max(1) as f64).round())))
                .collect::<serde_json::Map<_, _>>(),
            "db_bytes": imp.db_bytes, "db_bytes_per_call": (imp.db_bytes as f64 / n as f64).round(),
            "turns": imp.turns, "journal_compression": store::bodies::enabled(),
            "compress_seconds_after": round3(imp.compress_seconds), "footprint": imp.footprint,
            "body_read": lat_json(imp.body_read)},
        "http": http.as_ref().map(HttpReport::to_json),
        "search": searches.iter().map(|(k, q, l, hits)| json!({"kind": k, "example": q, "hits_avg": round3(*hits), "latency": lat_json(*l)})).collect::<Vec<_>>(),
        "list": pages.iter().map(|(k, l, rows)| json!({"kind": k, "rows": rows, "latency": lat_json(*l)})).collect::<Vec<_>>(),
        "insights": insights,
        "review": review.as_ref().map(|(_, v)| v.clone()),
    });

    print_table(n, &gen, &imp, http.as_ref(), &searches, &pages);
    if let Some((rows, _)) = &review {
        print_review(rows);
    }
    println!("\ninsights: {}", serde_json::to_string_pretty(&report["insights"])?);
    let results = args.out_dir.join(format!("results-{n}.json"));
    std::fs::write(&results, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("cannot write {}", results.display()))?;
    println!("\nJSON: {}", results.display());
    if !args.keep {
        std::fs::remove_dir_all(&out).ok();
    }
    Ok(())
}

/// Values taken from the generated data, so search terms are real.
#[derive(Default)]
struct Picks {
    /// The digits of order references such as `ZX-4471-QQ`.
    fragments: Vec<String>,
    phones: Vec<String>,
}

struct Generated {
    seconds: f64,
    bytes: u64,
    turns: u64,
    max_turns: u64,
    picks: Picks,
}

fn generate(path: &Path, n: u64, seed: u64) -> Result<Generated> {
    let started = Instant::now();
    let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng::new(seed);
    let counter = Arc::new(AtomicU64::new(0));
    let _progress = Progress::start("generating", n, counter.clone());
    let (mut bytes, mut turns, mut max_turns) = (0u64, 0u64, 0u64);
    let mut picks = Picks::default();
    let every = (n / 200).max(1);
    for i in 0..n {
        let id = i as i64 + 1;
        let start = BASE_MS + i as i64 * 60_000 + rng.below(30_000) as i64;
        let call = sample::call(id, &mut rng, start);
        let t = call["transcript"].as_array().map_or(0, Vec::len) as u64;
        turns += t;
        max_turns = max_turns.max(t);
        if i % every == 0 {
            if let Some(r) = call["extracted_variables"]["order_reference"].as_str() {
                // ZX-4471-QQ → 4471
                if let Some(d) = r.split('-').nth(1) {
                    picks.fragments.push(d.to_string());
                }
            }
            if let Some(p) = call["customer_phone"].as_str() {
                picks.phones.push(p.to_string());
            }
        }
        let line = serde_json::to_vec(&call)?;
        bytes += line.len() as u64 + 1;
        w.write_all(&line)?;
        w.write_all(b"\n")?;
        counter.store(i + 1, Ordering::Relaxed);
    }
    w.flush()?;
    Ok(Generated { seconds: started.elapsed().as_secs_f64(), bytes, turns, max_turns, picks })
}

struct Imported {
    stored: u64,
    failed: u64,
    seconds: f64,
    /// CPU time the process spent on the import, all threads (when /proc tells).
    cpu_seconds: Option<f64>,
    /// The process's peak resident memory by the end of the import (when /proc tells).
    peak_rss: Option<u64>,
    db_bytes: u64,
    turns: i64,
    /// CPU seconds per thread name during the import.
    threads: Vec<(String, f64)>,
    /// Each file, table and index, after the bodies stored raw were compressed.
    footprint: store::footprint::Footprint,
    /// Seconds the background compression of the bodies stored raw ran past the import.
    compress_seconds: f64,
    /// Reading one delivery's exact body (decompressed when it is compressed).
    body_read: Lat,
}

/// The name and the user plus system CPU seconds in a /proc `stat` file (Linux).
fn stat_cpu(stat: &str) -> Option<(&str, f64)> {
    // The command name is parenthesized; utime and stime are the 14th and 15th fields overall.
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let mut fields = stat.get(close + 2..)?.split(' ').skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    // Clock ticks, USER_HZ: 100 on every Linux this runs on.
    Some((&stat[open + 1..close], (utime + stime) / 100.0))
}

/// The most resident memory this process has used so far, from /proc/self/status (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().strip_suffix("kB")?.trim();
    kb.parse::<u64>().ok().map(|kb| kb * 1024)
}

/// User plus system CPU time of this process so far, from /proc/self/stat (Linux).
fn cpu_seconds() -> Option<f64> {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat").ok()?).map(|(_, secs)| secs)
}

/// Per thread name (tokio's workers and blocking threads share theirs): CPU seconds, and bytes
/// handed to `write` calls, from /proc/self/task (Linux; empty elsewhere).
fn thread_cpu() -> std::collections::BTreeMap<String, (f64, f64)> {
    let mut by_name = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return by_name };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        let written = std::fs::read_to_string(task.path().join("io"))
            .ok()
            .and_then(|io| io.lines().find_map(|l| l.strip_prefix("wchar:")?.trim().parse::<f64>().ok()))
            .unwrap_or(0.0);
        if let Some((name, secs)) = stat_cpu(&stat) {
            let entry = by_name.entry(name.to_string()).or_insert((0.0, 0.0));
            entry.0 += secs;
            entry.1 += written;
        }
    }
    by_name
}

async fn import(jsonl: &Path, dir: &Path, n: u64) -> Result<Imported> {
    let service = Service::open(DataDir::resolve(Some(dir))?, Some(SECRET), None)?;
    let db_path = service.data.db_path();
    let counter = Arc::new(AtomicU64::new(0));
    let progress = Progress::start("importing", n, counter.clone());
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let threads_before = thread_cpu();
    // The same shape as `postcall import`: read payloads, keep up to 2048 deliveries in flight;
    // each is parsed on a runtime worker and committed by the single writer in groups. Lines
    // are streamed, so a file larger than memory imports too.
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(jsonl)?);
    let mut in_flight = tokio::task::JoinSet::new();
    let (mut stored, mut failed) = (0u64, 0u64);
    let mut tally = |r: Result<
        Result<postcall_core::IngestOutcome, postcall_core::ingest::IngestError>,
        tokio::task::JoinError,
    >|
     -> Result<()> {
        let o = r??;
        if o.stored() {
            stored += 1;
        } else {
            failed += 1;
        }
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    };
    for line in reader.split(b'\n') {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let ingest = service.ingest.clone();
        in_flight.spawn(async move { ingest.deliver(Source::Import, Some("application/json".into()), line).await });
        while in_flight.len() >= 2048 {
            if let Some(r) = in_flight.join_next().await {
                tally(r)?;
            }
        }
    }
    while let Some(r) = in_flight.join_next().await {
        tally(r)?;
    }
    // Journaled is durable; the import is done when the calls are built and searchable.
    service.ingest.flush().await?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu_before.zip(cpu_seconds()).map(|(before, after)| after - before);
    let peak_rss = peak_rss();
    let mut per_thread = Vec::new();
    let mut threads = Vec::new();
    for (name, (cpu, written)) in thread_cpu() {
        let (cpu_0, written_0) = threads_before.get(&name).copied().unwrap_or((0.0, 0.0));
        let (cpu, written) = (cpu - cpu_0, written - written_0);
        if cpu >= 0.05 {
            threads.push((name.clone(), cpu));
            per_thread.push(format!("{name} {:.0} µs, {:.1} KB", cpu * 1e6 / n as f64, written / 1e3 / n as f64));
        }
    }
    if !per_thread.is_empty() {
        eprintln!("  CPU and bytes written per call by thread: {}", per_thread.join("; "));
    }
    drop(progress);
    // Bodies journaled before the dictionary was trained are compressed behind the import.
    let waited = Instant::now();
    while store::bodies::enabled() && waited.elapsed() < Duration::from_secs(600) {
        if service.ingest.store().read(store::bodies::progress)?.is_none() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let compress_seconds = waited.elapsed().as_secs_f64();
    drop(service);
    if failed > 0 {
        eprintln!("warning: {failed} generated payloads were not stored");
    }
    // Fold each write-ahead log into its file, so the size is the data's (retried while the
    // writers' threads finish their last checkpoint and close).
    let fold = |conn: &Connection| -> Result<()> {
        for _ in 0..100 {
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("a write-ahead log could not be folded into its database")
    };
    let conn = store::open(&db_path)?;
    fold(&conn)?;
    let turns: i64 = conn.query_row("SELECT count(*) FROM turns", [], |r| r.get(0))?;
    drop(conn);
    let journal = db_path.with_file_name("journal.sqlite");
    fold(&store::open_journal(&journal)?)?;
    let search = db_path.with_file_name("search.sqlite");
    fold(&store::open_search(&search)?)?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let logs: u64 =
        [&db_path, &journal, &search].iter().map(|p| size(Path::new(&format!("{}-wal", p.display())))).sum();
    let db_bytes = size(&db_path) + size(&journal) + size(&search) + logs;
    let st = store::Store::open(&db_path)?;
    let footprint = store::footprint::measure(&st, true)?;
    let every = (stored as i64 / 1000).max(1);
    let body_read = st.read(|c| {
        let mut ms = Vec::new();
        for k in 0..1000 {
            let t = Instant::now();
            let body = store::deliveries::raw(c, 1 + k * every)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(body);
        }
        Ok(latencies(ms))
    })?;
    Ok(Imported {
        stored,
        failed,
        seconds,
        cpu_seconds,
        peak_rss,
        db_bytes,
        turns,
        threads,
        footprint,
        compress_seconds,
        body_read,
    })
}

// ---------------------------------------------------------------- HTTP

struct HttpRun {
    ok: u64,
    errors: u64,
    seconds: f64,
    lat: Lat,
}

impl HttpRun {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
    fn to_json(&self) -> Value {
        json!({"ok": self.ok, "errors": self.errors, "seconds": round3(self.seconds), "calls_per_s": self.rate().round(),
            "ack_latency": lat_json(self.lat)})
    }
}

struct HttpReport {
    requests: usize,
    avg_payload_bytes: f64,
    postcall: HttpRun,
    baseline: HttpRun,
    index_drain_seconds: f64,
}

impl HttpReport {
    fn to_json(&self) -> Value {
        json!({"concurrency": CONCURRENCY, "requests": self.requests, "avg_payload_bytes": self.avg_payload_bytes.round(),
            "postcall": self.postcall.to_json(), "baseline": self.baseline.to_json(),
            "throughput_ratio": round3(self.postcall.rate() / self.baseline.rate()),
            "p99_ratio": round3(self.postcall.lat.p99 / self.baseline.lat.p99),
            "index_drain_seconds": round3(self.index_drain_seconds)})
    }
}

/// Payloads for the HTTP run: sample calls kept to at most 30 turns (a few KB each, the size of
/// a typical webhook), with distinct ids from `first_id`.
fn http_payloads(count: usize, first_id: i64, seed: u64) -> Result<Vec<Bytes>> {
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let id = first_id + i as i64;
        let mut call = sample::call(id, &mut rng, BASE_MS + i as i64 * 1000);
        if let Some(turns) = call["transcript"].as_array_mut() {
            turns.truncate(30);
            let formatted: Vec<String> = turns
                .iter()
                .map(|t| {
                    format!(
                        "{}: {}",
                        if t["sender"] == "bot" { "AI" } else { "Customer" },
                        t["text"].as_str().unwrap_or("")
                    )
                })
                .collect();
            call["formatted_transcript"] = json!(formatted.join("\n"));
        }
        out.push(Bytes::from(serde_json::to_vec(&call)?));
    }
    Ok(out)
}

/// Sends every payload to `url` from [`CONCURRENCY`] keep-alive clients; measures the time to
/// each complete answer.
async fn fire(url: &str, payloads: Arc<Vec<Bytes>>, label: &'static str) -> Result<HttpRun> {
    let client = reqwest::Client::builder()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(CONCURRENCY * 2)
        .timeout(Duration::from_secs(60))
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(label, payloads.len() as u64, done.clone());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, url, payloads, next, done, errors) =
            (client.clone(), url.to_string(), payloads.clone(), next.clone(), done.clone(), errors.clone());
        tasks.spawn(async move {
            let mut lat = Vec::with_capacity(payloads.len() / CONCURRENCY + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = payloads.get(i) else { break };
                let t = Instant::now();
                let r = client.post(&url).header("content-type", "application/json").body(body.clone()).send().await;
                let ok = match r {
                    Ok(resp) => {
                        let status = resp.status();
                        resp.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                if ok {
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        });
    }
    let mut all = Vec::with_capacity(payloads.len());
    while let Some(r) = tasks.join_next().await {
        all.extend(r?);
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(progress);
    Ok(HttpRun { ok: all.len() as u64, errors: errors.load(Ordering::Relaxed), seconds, lat: latencies(all) })
}

/// The naive receiver: one `synchronous=FULL` INSERT of the raw body per request, one connection
/// behind a mutex, in a blocking task so the runtime keeps serving.
fn baseline_router(db: &Path) -> Result<axum::Router> {
    let conn = Connection::open(db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, body BLOB NOT NULL)")?;
    let state = Arc::new(Mutex::new(conn));
    async fn receive(State(db): State<Arc<Mutex<Connection>>>, body: Bytes) -> (StatusCode, &'static str) {
        let r = tokio::task::spawn_blocking(move || {
            let conn = db.lock().unwrap_or_else(|e| e.into_inner());
            conn.execute(
                "INSERT INTO deliveries (received_ms, body) VALUES (?1, ?2)",
                rusqlite::params![postcall_core::time::now_ms(), &body[..]],
            )
        })
        .await;
        match r {
            Ok(Ok(_)) => (StatusCode::OK, "{\"ok\":true}"),
            _ => (StatusCode::SERVICE_UNAVAILABLE, "{\"ok\":false}"),
        }
    }
    Ok(axum::Router::new()
        .route(&format!("/hooks/{SECRET}"), axum::routing::post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(state))
}

async fn http_compare(out: &Path, count: usize, seed: u64) -> Result<HttpReport> {
    let warmup = 500.min(count);
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    eprintln!("HTTP: {count} webhooks to each receiver at concurrency {CONCURRENCY} (after {warmup} to warm up)");

    // Baseline first, then Postcall, each on its own fresh database and its own payload ids.
    let base_dir = out.join("baseline");
    std::fs::create_dir_all(&base_dir)?;
    let app = baseline_router(&base_dir.join("baseline.sqlite"))?;
    let listener = tokio::net::TcpListener::bind(loopback).await?;
    let base_addr = listener.local_addr()?;
    let stop = tokio_util::sync::CancellationToken::new();
    let s = stop.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(async move { s.cancelled().await }).await;
    });
    let base_url = format!("http://{base_addr}/hooks/{SECRET}");
    fire(&base_url, Arc::new(http_payloads(warmup, 50_000_001, seed ^ 1)?), "baseline warm-up").await?;
    let payloads = Arc::new(http_payloads(count, 60_000_001, seed)?);
    let avg_payload_bytes = payloads.iter().map(|b| b.len()).sum::<usize>() as f64 / count.max(1) as f64;
    let baseline = fire(&base_url, payloads.clone(), "baseline").await?;
    stop.cancel();
    let _ = server.await;

    let service = Service::open(DataDir::resolve(Some(&out.join("http")))?, Some(SECRET), None)?;
    let status = service.listen(loopback).await?;
    let url = status.webhook_url.context("the listener reported no URL")?;
    fire(&url, Arc::new(http_payloads(warmup, 50_000_001, seed ^ 1)?), "postcall warm-up").await?;
    let postcall = fire(&url, payloads, "postcall").await?;
    // Acknowledged means journaled (durable); indexing may trail a burst. Measure the trail.
    let drain = Instant::now();
    service.ingest.flush().await?;
    let index_drain_seconds = drain.elapsed().as_secs_f64();
    eprintln!("postcall: every acknowledged call indexed {index_drain_seconds:.2} s after the last acknowledgement");
    service.shutdown().await;
    let stored: i64 = service.store.read(|c| Ok(c.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?))?;
    if stored != (count + warmup) as i64 {
        bail!("Postcall acknowledged {} webhooks but holds {stored} calls", postcall.ok + warmup as u64);
    }
    Ok(HttpReport { requests: count, avg_payload_bytes, postcall, baseline, index_drain_seconds })
}

// ---------------------------------------------------------------- reads

fn timed<T>(runs: usize, mut f: impl FnMut(usize) -> Result<T>) -> Result<(Lat, Vec<T>)> {
    // Two untimed runs first: the first touches pages and prepares statements.
    f(0)?;
    f(1)?;
    let mut ms = Vec::with_capacity(runs);
    let mut outs = Vec::with_capacity(runs);
    let cpu = thread_cpu_us();
    for i in 0..runs {
        let t = Instant::now();
        let out = f(i)?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        outs.push(out);
    }
    let cpu_us = (thread_cpu_us() - cpu) / runs.max(1) as f64;
    Ok((Lat { cpu_us, ..latencies(ms) }, outs))
}

type SearchRow = (&'static str, String, Lat, f64);

/// What the review comparison reports: its rows and the key fill's figures.
type ReviewReads = (Vec<ReviewRow>, Value);

/// The searches, list pages and (with annotations) review filters, timed on `conn`: one of the
/// read pool's connections, with the page cache the app's reads have.
fn timed_reads(
    st: &store::Store,
    conn: &Connection,
    picks: &Picks,
    args: &Args,
) -> Result<(Vec<SearchRow>, Vec<PageRow>, Option<ReviewReads>)> {
    let searches = search_latency(conn, picks, args.runs, args.search_limit)?;
    let pages = list_latency(conn, args.runs)?;
    let review = if args.annotations > 0 { Some(review_compare(st, conn, args.runs)?) } else { None };
    Ok((searches, pages, review))
}

fn search_latency(conn: &Connection, picks: &Picks, runs: usize, limit: usize) -> Result<Vec<SearchRow>> {
    let fixed = |qs: &[&str]| -> Vec<String> { qs.iter().map(|s| s.to_string()).collect() };
    let kinds: Vec<(&'static str, Vec<String>)> = vec![
        ("word", fixed(&["warranty", "postcode", "engineer", "interested", "Thursday"])),
        ("word, diacritics (buna)", fixed(&["buna", "multumesc"])),
        ("phrase", fixed(&["\"engineer available\"", "\"call back\"", "\"reference number\""])),
        ("prefix", fixed(&["warr*", "postc*", "engin*"])),
        ("fragment (order ref digits)", picks.fragments.clone()),
        ("phone with +", picks.phones.clone()),
        ("phone without +", picks.phones.iter().map(|p| p.trim_start_matches('+').to_string()).collect()),
        ("two words", fixed(&["warranty cover", "monthly bill"])),
    ];
    let mut rows = Vec::new();
    for (kind, queries) in kinds {
        if queries.is_empty() {
            continue;
        }
        let (lat, hits) = timed(runs, |i| {
            let q = &queries[i % queries.len()];
            Ok(search::search(conn, q, limit)?.len())
        })?;
        let avg = hits.iter().sum::<usize>() as f64 / hits.len().max(1) as f64;
        rows.push((kind, queries[0].clone(), lat, avg));
    }
    Ok(rows)
}

type PageRow = (String, Lat, usize);

fn list_latency(conn: &Connection, runs: usize) -> Result<Vec<PageRow>> {
    let total: i64 = conn.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?;
    // Deep cursors: the keys of rows at several depths past the middle of the log, as the UI's
    // cursor after scrolling there would carry them (`t:<sort_ms>:<id>`).
    let mut deep = Vec::new();
    for k in 0..10 {
        let offset = total / 2 + k * (total / 25).max(1);
        let key: Option<(i64, i64)> = conn
            .query_row(
                "SELECT sort_ms, id FROM calls ORDER BY sort_ms DESC, id DESC LIMIT 1 OFFSET ?1",
                [offset],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        if let Some((ms, id)) = key {
            deep.push(format!("t:{ms}:{id}"));
        }
    }
    let phone: String = conn
        .query_row(
            "SELECT customer_phone FROM calls WHERE customer_phone IS NOT NULL LIMIT 1 OFFSET ?1",
            [total / 3],
            |r| r.get(0),
        )
        .unwrap_or_else(|_| "+447000000000".into());
    let base = CallQuery { limit: Some(100), ..CallQuery::default() };
    let filters: Vec<(&str, CallQuery)> = vec![
        ("no filter", base.clone()),
        ("status=completed", CallQuery { statuses: vec!["completed".into()], ..base.clone() }),
        ("status=busy (rarer)", CallQuery { statuses: vec!["busy".into()], ..base.clone() }),
        ("objective=true", CallQuery { objective: Some(true), ..base.clone() }),
        ("campaign=Win-back", CallQuery { campaign: Some("Win-back".into()), ..base.clone() }),
        (
            "status+objective+campaign",
            CallQuery {
                statuses: vec!["completed".into()],
                objective: Some(false),
                campaign: Some("Renewals Q3".into()),
                ..base.clone()
            },
        ),
        ("phone (one customer)", CallQuery { phone: Some(phone), ..base.clone() }),
        ("search \"warranty\"", CallQuery { search: Some("warranty".into()), ..base.clone() }),
    ];
    let mut rows = Vec::new();
    for (name, q) in filters {
        let (lat, n) = timed(runs, |_| Ok(query::list(conn, &q)?.items.len()))?;
        rows.push((format!("{name}, first page"), lat, n[0]));
        if deep.is_empty() || name.starts_with("phone") {
            continue;
        }
        let (lat, n) = timed(runs, |i| {
            let q = CallQuery { cursor: Some(deep[i % deep.len()].clone()), ..q.clone() };
            Ok(query::list(conn, &q)?.items.len())
        })?;
        rows.push((format!("{name}, deep page (cursor)"), lat, n[0]));
    }
    Ok(rows)
}

// ---------------------------------------------------------------- review

const BENCH_TAGS: &[&str] = &["callback", "upsell", "complaint", "wrong-number", "vip", "escalated"];

/// Writes `n` review events on random calls (states 40%, tags 30%, notes 20%, scores 10%; the tag
/// `escalated` is rare), through the review store in batches, as a team's year of review would.
fn annotate(st: &store::Store, n: u64, seed: u64) -> Result<()> {
    use postcall_core::review::{self, kind, Event, Reviewer};
    let started = Instant::now();
    let conn = st.connect()?;
    let max_id: i64 = conn.query_row("SELECT ifnull(max(id), 0) FROM calls", [], |r| r.get(0))?;
    let ids: Vec<i64> =
        conn.prepare("SELECT id FROM calls")?.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    drop(conn);
    if ids.is_empty() || max_id == 0 {
        bail!("no calls to annotate");
    }
    for t in BENCH_TAGS {
        review::save_tag(st, None, t, "#3366cc")?;
    }
    let people = [
        Reviewer::new("Ana", "ana@example.com")?,
        Reviewer::new("Bo", "bo@example.com")?,
        Reviewer::new("Cy", "cy@example.com")?,
    ];
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut written = 0;
    while written < n {
        let batch = (n - written).min(10_000);
        let events: Vec<Event> = (0..batch)
            .map(|_| {
                let call = ids[rng.below(ids.len() as u64) as usize];
                let who = &people[rng.below(3) as usize];
                match rng.below(10) {
                    0..=3 => {
                        let state = match rng.below(10) {
                            0 => "flagged",
                            1 | 2 => "in_review",
                            _ => "reviewed",
                        };
                        Event::new(call, who, kind::STATE, json!({"state": state}))
                    }
                    4..=6 => {
                        let tag = if rng.below(100) == 0 { "escalated" } else { BENCH_TAGS[rng.below(5) as usize] };
                        Event::new(call, who, kind::TAG_ADD, json!({"tag": tag}))
                    }
                    7 | 8 => Event::new(
                        call,
                        who,
                        kind::NOTE_ADD,
                        json!({"text": "customer asked about the price", "turn": 2, "at_seconds": 31.5}),
                    ),
                    _ => Event::new(
                        call,
                        who,
                        kind::SCORE_SET,
                        json!({"scorecard": "qa", "answers": {}, "total": rng.below(101) as f64}),
                    ),
                }
            })
            .collect();
        st.review_write(|c| {
            let tx = c.transaction()?;
            review::store::insert_events(&tx, &events)?;
            tx.commit()?;
            Ok::<_, anyhow::Error>(())
        })?;
        written += batch;
    }
    eprintln!("wrote {n} review events in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// One review filter's page, read from the review indexes and by walking the log.
struct ReviewRow {
    name: String,
    indexed: Lat,
    indexed_cpu_us: f64,
    walk: Lat,
    walk_cpu_us: f64,
    rows: usize,
    same: bool,
}

/// CPU time this thread has run, in microseconds (Linux).
fn thread_cpu_us() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1000.0)
        .unwrap_or(f64::NAN)
}

/// The review filters' pages read from the review indexes in log order, then the same pages
/// with the copied keys cleared, when the filter walks the log probing each call (as every page
/// was read before the keys were kept). The keys are filled back after, timed.
fn review_compare(st: &store::Store, conn: &Connection, runs: usize) -> Result<ReviewReads> {
    use postcall_core::review::keys;
    let started = Instant::now();
    let filled = keys::fill_missing(conn, "review", "main")?;
    let first_fill = started.elapsed().as_secs_f64();
    let indexed = review_latency(conn, runs)?;
    st.review_write(|c| {
        c.execute_batch(
            "UPDATE review_states SET log_ms = NULL, log_dur = NULL; UPDATE call_tags SET log_ms = NULL, log_dur = NULL;
             UPDATE review_any SET log_ms = NULL, log_dur = NULL;",
        )?;
        Ok::<_, anyhow::Error>(())
    })?;
    let walk = review_latency(conn, runs)?;
    let started = Instant::now();
    let refilled = keys::fill_missing(conn, "review", "main")?;
    let fill_s = started.elapsed().as_secs_f64();
    let rows: Vec<ReviewRow> = indexed
        .into_iter()
        .zip(walk)
        .map(|(a, b)| ReviewRow {
            same: a.4 == b.4,
            name: a.0,
            indexed: a.1,
            indexed_cpu_us: a.3,
            walk: b.1,
            walk_cpu_us: b.3,
            rows: a.2,
        })
        .collect();
    let json = json!({
        "keys_filled_at_open": filled, "keys_fill_seconds_at_open": round3(first_fill),
        "keys_refilled": refilled, "keys_refill_seconds": round3(fill_s),
        "pages": rows.iter().map(|r| json!({"kind": r.name, "rows": r.rows, "same_pages": r.same,
            "indexed": lat_json(r.indexed), "indexed_cpu_us": r.indexed_cpu_us.round(),
            "walk_before": lat_json(r.walk), "walk_cpu_us": r.walk_cpu_us.round(),
            "p95_ratio_walk_over_indexed": round3(r.walk.p95 / r.indexed.p95)})).collect::<Vec<_>>(),
    });
    eprintln!("review keys: {refilled} rows filled in {fill_s:.2} s");
    Ok((rows, json))
}

fn print_review(rows: &[ReviewRow]) {
    println!(
        "
Call list filtered by review (query::list, limit 100): review index in the log's order (time or duration) vs walking the log"
    );
    println!(
        "  {:<56} {:>15} {:>15} {:>8} {:>15} {:>5} {:>5}",
        "page", "index p50/p95", "walk p50/p95", "p95 x", "CPU µs idx/walk", "rows", "same"
    );
    for r in rows {
        println!(
            "  {:<56} {:>15} {:>15} {:>8} {:>15} {:>5} {:>5}",
            r.name,
            format!("{:.2}/{:.2}", r.indexed.p50, r.indexed.p95),
            format!("{:.2}/{:.2}", r.walk.p50, r.walk.p95),
            format!("{:.1}x", r.walk.p95 / r.indexed.p95),
            format!("{:.0}/{:.0}", r.indexed_cpu_us, r.walk_cpu_us),
            r.rows,
            if r.same { "yes" } else { "NO" }
        );
    }
}

/// One page kind: name, latency, rows, CPU µs per page, and the ids of the page.
type ReviewPage = (String, Lat, usize, f64, Vec<i64>);

/// Call-list pages filtered by review state and tag (first and deep pages).
fn review_latency(conn: &Connection, runs: usize) -> Result<Vec<ReviewPage>> {
    use postcall_core::review::ReviewState;
    let base = CallQuery { limit: Some(100), me: Some("ana@example.com".into()), ..CallQuery::default() };
    let tag = |t: &str| CallQuery { tags: vec![t.into()], ..base.clone() };
    let state = |s: ReviewState, who: Option<&str>| CallQuery {
        review_state: Some(s),
        reviewer: who.map(str::to_string),
        ..base.clone()
    };
    let filters: Vec<(String, CallQuery)> = vec![
        ("tag upsell (common)".into(), tag("upsell")),
        ("tag escalated (rare)".into(), tag("escalated")),
        ("flagged by anyone".into(), state(ReviewState::Flagged, None)),
        ("reviewed by anyone".into(), state(ReviewState::Reviewed, None)),
        ("reviewed by me".into(), state(ReviewState::Reviewed, Some("ana@example.com"))),
        ("in review by me".into(), state(ReviewState::InReview, Some("ana@example.com"))),
        ("unreviewed by me".into(), state(ReviewState::Unreviewed, Some("ana@example.com"))),
        ("unreviewed by anyone".into(), state(ReviewState::Unreviewed, None)),
        (
            "tag vip + flagged by anyone".into(),
            CallQuery { tags: vec!["vip".into()], ..state(ReviewState::Flagged, None) },
        ),
    ];
    let mut rows = Vec::new();
    let mut measure = |name: String, q: &CallQuery| -> Result<()> {
        let ids: Vec<i64> = query::list(conn, q)?.items.iter().map(|c| c.id).collect();
        let cpu = thread_cpu_us();
        let (lat, n) = timed(runs, |_| Ok(query::list(conn, q)?.items.len()))?;
        let cpu = (thread_cpu_us() - cpu) / runs.max(1) as f64;
        rows.push((name, lat, n[0], cpu, ids));
        Ok(())
    };
    // Each filter over the log in time order (newest first), then sorted by duration (longest
    // first), as the log's column headers sort it.
    let sorted = filters.into_iter().flat_map(|(name, q)| {
        let by_duration = CallQuery { sort: query::SortKey::Duration, ..q.clone() };
        [(name.clone(), q), (format!("{name}, by duration"), by_duration)]
    });
    for (name, q) in sorted {
        measure(format!("{name}, first page"), &q)?;
        // The fifth page, following the cursors as the UI does when scrolling.
        let mut cursor = None;
        for _ in 0..4 {
            cursor = query::list(conn, &CallQuery { cursor: cursor.clone(), ..q.clone() })?.next_cursor;
        }
        if let Some(c) = cursor {
            measure(format!("{name}, 5th page"), &CallQuery { cursor: Some(c), ..q.clone() })?;
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------- report

fn print_table(
    n: u64,
    gen: &Generated,
    imp: &Imported,
    http: Option<&HttpReport>,
    searches: &[SearchRow],
    pages: &[PageRow],
) {
    println!(
        "\nPostcall benchmark: {n} calls ({:.1} turns/call on average, up to {}; {:.0} bytes/payload)",
        gen.turns as f64 / n as f64,
        gen.max_turns,
        gen.bytes as f64 / n as f64
    );
    println!("\nImport (real ingest path, group commit)");
    println!("  {:<34} {:>12}", "calls/s", format!("{:.0}", imp.stored as f64 / imp.seconds));
    println!("  {:<34} {:>12}", "seconds", format!("{:.1}", imp.seconds));
    println!("  {:<34} {:>12}", "database bytes per call", format!("{:.0}", imp.db_bytes as f64 / n as f64));
    println!("  {:<34} {:>12}", "database size (MB)", format!("{:.1}", imp.db_bytes as f64 / 1e6));
    if let Some(cpu) = imp.cpu_seconds {
        println!("  {:<34} {:>12}", "CPU µs per call", format!("{:.0}", cpu * 1e6 / n as f64));
    }
    println!(
        "  {:<34} {:>12}",
        "journal compression",
        if store::bodies::enabled() { format!("on ({:.1} s after)", imp.compress_seconds) } else { "off".into() }
    );
    println!(
        "  {:<34} {:>12}",
        "one body read, p50 / p95 (µs)",
        format!("{:.0} / {:.0}", imp.body_read.p50 * 1e3, imp.body_read.p95 * 1e3)
    );
    println!("\nBytes on disk by file, table and index");
    postcall_core::cli::print_footprint(&imp.footprint);
    if let Some(h) = http {
        println!(
            "\nWebhook ingest over loopback HTTP, concurrency {CONCURRENCY}, {} requests each, {:.0} bytes/payload",
            h.requests, h.avg_payload_bytes
        );
        println!(
            "  {:<34} {:>10} {:>10} {:>10} {:>10} {:>7}",
            "receiver", "calls/s", "p50 ms", "p99 ms", "max ms", "errors"
        );
        for (name, r) in
            [("Postcall (durable, full indexing)", &h.postcall), ("baseline (INSERT raw, FULL sync)", &h.baseline)]
        {
            println!(
                "  {:<34} {:>10.0} {:>10.2} {:>10.2} {:>10.2} {:>7}",
                name,
                r.rate(),
                r.lat.p50,
                r.lat.p99,
                r.lat.max,
                r.errors
            );
        }
        println!(
            "  {:<34} {:>10} {:>10} {:>10}",
            "ratio Postcall/baseline",
            format!("{:.2}x", h.postcall.rate() / h.baseline.rate()),
            format!("{:.2}x", h.postcall.lat.p50 / h.baseline.lat.p50),
            format!("{:.2}x", h.postcall.lat.p99 / h.baseline.lat.p99)
        );
    }
    print_reads(searches, pages);
}

fn print_reads(searches: &[SearchRow], pages: &[PageRow]) {
    // The hits each query asked for are in the `hits` column (the limit, unless fewer matched).
    println!("\nSearch (search::search)");
    println!("  {:<34} {:>10} {:>10} {:>10} {:>10}  example", "query", "p50 ms", "p95 ms", "CPU ms", "hits");
    for (kind, q, l, hits) in searches {
        println!("  {:<34} {:>10.2} {:>10.2} {:>10.2} {:>10.1}  {q}", kind, l.p50, l.p95, l.cpu_us / 1000.0, hits);
    }
    println!("\nCall list (query::list, limit 100)");
    println!("  {:<48} {:>10} {:>10} {:>10} {:>6}", "page", "p50 ms", "p95 ms", "CPU ms", "rows");
    for (kind, l, rows) in pages {
        println!("  {:<48} {:>10.2} {:>10.2} {:>10.2} {:>6}", kind, l.p50, l.p95, l.cpu_us / 1000.0, rows);
    }
}
