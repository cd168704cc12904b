//! The command line: `postcall serve | calls | show | search | deliveries | import | export |
//! reprocess | reindex | sync | recordings | review | note | tag | tags | score | scorecards |
//! stats | drift | team`. Human-readable tables by default, `--json` for scripts. Every failure is one clear
//! line on stderr and a non-zero exit status, never a panic.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::{json, Value};

use crate::config::DataDir;
use crate::export::Format;
use crate::ingest::Source;
use crate::listener;
use crate::query::{self, CallQuery};
use crate::service::Service;
use crate::store::{deliveries, Store};

#[derive(Debug, Parser)]
#[command(name = "postcall", version, about = "Receive, keep and review Intellixent post-call webhooks.")]
pub struct Cli {
    /// Data folder (database, secret, settings). Default: the OS user-data folder.
    #[arg(long, global = true, env = "POSTCALL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address the webhook listener binds (HOST:PORT; port 0 picks a free one).
    #[arg(long, global = true, env = "POSTCALL_BIND", value_name = "ADDR:PORT")]
    pub bind: Option<String>,
    /// Webhook secret (the path segment after /hooks/); default: generated once and stored.
    #[arg(long, global = true, env = "POSTCALL_SECRET", hide_env_values = true, value_name = "S")]
    pub secret: Option<String>,
    /// A file holding the webhook secret, kept out of the process list (instead of --secret).
    #[arg(long, global = true, env = "POSTCALL_SECRET_FILE", value_name = "FILE", conflicts_with = "secret")]
    pub secret_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the webhook listener without a window.
    Serve {
        /// Largest accepted body, in bytes.
        #[arg(long, default_value_t = listener::DEFAULT_BODY_LIMIT)]
        body_limit: usize,
        #[command(flatten)]
        tunnel: crate::tunnel::TunnelArgs,
        #[command(flatten)]
        team: crate::team::cli::ServeTeamArgs,
    },
    /// List calls, newest first.
    Calls {
        #[arg(long)]
        search: Option<String>,
        /// Only this status (repeatable).
        #[arg(long)]
        status: Vec<String>,
        /// Customer or assistant phone number (or a part of it).
        #[arg(long)]
        phone: Option<String>,
        /// From this day (YYYY-MM-DD, a local day of this computer's time zone, as in the window), inclusive.
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Up to this day (YYYY-MM-DD, a local day), inclusive.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// How many calls to list (read in pages of 500).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this cursor: the `next_cursor` of `--json --page`, or the one printed
        /// under the table.
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
        #[arg(long)]
        json: bool,
        /// With --json: print `{"calls": [...], "next_cursor": ...}` instead of a bare array.
        #[arg(long, requires = "json")]
        page: bool,
        #[command(flatten)]
        review: crate::review::cli::CallFilterArgs,
    },
    /// Show one call: fields, variables, transcript and delivery history.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over transcripts, summaries, variables and phone numbers.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Raw deliveries, newest first.
    Deliveries {
        /// Only those whose body could not be used.
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// What the data folder takes on disk: each file, bytes per call, compression progress.
    Storage {
        /// Also each table and index, and the journal's bodies as received and as stored (reads
        /// every page).
        #[arg(long)]
        tables: bool,
        #[arg(long)]
        json: bool,
    },
    /// Import payload files (JSON, JSON arrays or JSON Lines) or folders of them.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Export every call.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Parse the stored failed deliveries again (after an upgrade, say).
    Reprocess {
        #[arg(long)]
        json: bool,
    },
    /// Rebuild calls from the journal: those that could not be indexed, or with --all every call.
    Reindex {
        /// Every call, not only those with indexing errors.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Backfill missed calls from Intellixent's calls API (key: the stored one or
    /// POSTCALL_INTELLIXENT_API_KEY). Exits 0 only when the run completed.
    Sync {
        /// First day to fetch (YYYY-MM-DD); default: one day before the newest call held.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// API base URL; default: the stored setting, else https://portal.intellixent.ai/api.
        #[arg(long, value_name = "URL")]
        api_base: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Team mode: join a team server, replay its calls, see the state.
    Team {
        #[command(subcommand)]
        action: crate::team::cli::TeamAction,
    },
    /// The recording vault: what it holds, fetching recordings now, applying retention.
    Recordings {
        #[command(subcommand)]
        action: Option<RecordingsAction>,
    },
    /// Mark a call reviewed, in review, flagged or unreviewed; export, import, rebuild review work.
    Review(crate::review::cli::ReviewArgs),
    /// Notes on a call, at a turn and a playback time.
    Note {
        #[command(subcommand)]
        action: crate::review::cli::NoteAction,
    },
    /// Put tags on calls or take them off; define the team's tags.
    Tag {
        #[command(subcommand)]
        action: crate::review::cli::TagAction,
    },
    /// The team's tags, with how many calls carry each.
    Tags {
        #[arg(long)]
        json: bool,
    },
    /// Fill a scorecard for a call.
    Score(crate::review::cli::ScoreArgs),
    /// The team's scorecards: list, define (from a JSON file), delete.
    Scorecards {
        #[command(subcommand)]
        action: Option<crate::review::cli::ScorecardAction>,
        #[arg(long)]
        json: bool,
    },
    /// Calls per day by status, objective rate (Wilson 95%), durations, campaigns, variables.
    ///
    /// Days and the weekday × hour heat map are this computer's local ones (the zone named by TZ,
    /// else the system's), daylight saving time included: the days the window and `calls --from` use.
    Stats {
        /// From this day (YYYY-MM-DD, a local day of this computer's time zone, as in the window), inclusive.
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Up to this day (YYYY-MM-DD, a local day), inclusive.
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Only this campaign.
        #[arg(long)]
        campaign: Option<String>,
        /// Only this status (repeatable).
        #[arg(long)]
        status: Vec<String>,
        /// Only the calls this search matches, as `calls --search`.
        #[arg(long, value_name = "Q")]
        search: Option<String>,
        /// Only calls carrying this tag (repeatable: every one).
        #[arg(long, value_name = "T")]
        tag: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Changes in the shape of the payloads received: fields added, missing, or of another type.
    Drift {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RecordingsAction {
    /// How many recordings are ready, queued, downloading or failed, and the space they take.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Download recordings now and wait for them: the given calls, else every queued or failed one.
    Fetch {
        ids: Vec<i64>,
        /// Also those not downloaded because automatic download is off or retention removed them.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove recordings (never calls) beyond the retention settings, oldest first.
    Prune {
        /// Keep recordings fetched in the last N days (default: the setting).
        #[arg(long, value_name = "N")]
        days: Option<u32>,
        /// Keep at most this many GB (default: the setting).
        #[arg(long, value_name = "GB")]
        max_gb: Option<f64>,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(String);

fn err(e: impl std::fmt::Display) -> CliError {
    CliError(e.to_string())
}

type CliResult = Result<(), CliError>;

/// Runs a subcommand to completion and maps the outcome to an exit status.
pub fn run(cli: Cli, command: Command) -> ExitCode {
    if let Some(status) = crate::review::cli::intercept(&cli, &command) {
        return status;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    crate::output::quiet_on_closed_pipe();
    match rt.block_on(dispatch(cli, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if FOLDER_BUSY.load(std::sync::atomic::Ordering::Relaxed) {
                ExitCode::from(EXIT_FOLDER_BUSY)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The exit status of a command that writes when another process holds the data folder
/// (EX_TEMPFAIL: try again once it has stopped).
pub const EXIT_FOLDER_BUSY: u8 = 75;
static FOLDER_BUSY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The writer lock, or the error that names its holder (and the exit status that says so).
fn writer_lock(data: &DataDir) -> Result<crate::lock::WriterLock, CliError> {
    crate::lock::WriterLock::acquire(data.root()).map_err(|e| {
        FOLDER_BUSY.store(matches!(e, crate::lock::LockError::Held { .. }), std::sync::atomic::Ordering::Relaxed);
        err(e)
    })
}

fn data_dir(cli: &Cli) -> Result<DataDir, CliError> {
    DataDir::resolve(cli.data_dir.as_deref()).map_err(err)
}

/// The read side only: opens the database without starting a writer.
fn store(cli: &Cli) -> Result<Store, CliError> {
    Store::open(&data_dir(cli)?.db_path()).map_err(err)
}

/// Where the listener binds: `--bind` / `POSTCALL_BIND`, else the saved port on 127.0.0.1.
pub fn bind_addr(flag: Option<&str>, data: &DataDir) -> Result<std::net::SocketAddr, CliError> {
    match flag {
        Some(b) => listener::parse_bind(b).map_err(err),
        None => Ok(std::net::SocketAddr::from(([127, 0, 0, 1], data.settings().map_err(err)?.port))),
    }
}

fn print_json(v: &impl serde::Serialize) -> CliResult {
    let mut text = serde_json::to_string_pretty(v).map_err(err)?;
    text.push('\n');
    crate::output::emit(&text);
    Ok(())
}

async fn dispatch(cli: Cli, command: Command) -> CliResult {
    match command {
        Command::Serve { body_limit, tunnel, team } => serve(&cli, body_limit, &tunnel, &team).await,
        Command::Team { action } => {
            crate::team::cli::run(data_dir(&cli)?, cli.secret.as_deref(), action).await.map_err(CliError)
        }
        Command::Recordings { action } => {
            recordings(&cli, action.unwrap_or(RecordingsAction::Status { json: false })).await
        }
        Command::Calls { search, status, phone, from, to, limit, after, json, page, review } => {
            // Local days, as the window's log and `postcall stats` (23 or 25 hours on a DST change).
            let zone = crate::insights::zone::machine();
            let day = |d: Option<String>, end: bool| -> Result<Option<i64>, CliError> {
                d.map(|d| {
                    let ms = if end {
                        crate::insights::zone::day_end_ms(&d, &zone)
                    } else {
                        crate::insights::zone::day_start_ms(&d, &zone)
                    };
                    ms.ok_or_else(|| CliError(format!("{d:?} is not a date; use YYYY-MM-DD")))
                })
                .transpose()
            };
            let q = CallQuery {
                search,
                statuses: status,
                phone,
                from_ms: day(from, false)?,
                to_ms: day(to, true)?,
                cursor: after,
                ..CallQuery::default()
            };
            let q = review.apply(q, &data_dir(&cli)?);
            if !query::cursor_fits(&q) {
                return Err(CliError(format!(
                    "{:?} is not a cursor of this list; use the next_cursor that `postcall calls --json --page` printed",
                    q.cursor.unwrap_or_default()
                )));
            }
            let (items, next_cursor) = list_calls(&store(&cli)?, q, limit)?;
            if json && page {
                return print_json(&json!({"calls": items, "next_cursor": next_cursor}));
            }
            if json {
                if let Some(c) = next_cursor.as_ref().filter(|_| std::io::stderr().is_terminal()) {
                    eprintln!("more calls: --after {c} (--json --page puts the cursor in the JSON)");
                }
                return print_json(&items);
            }
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|c| {
                    vec![
                        c.id.to_string(),
                        c.created_at.clone().unwrap_or_default(),
                        c.status.clone().unwrap_or_default(),
                        c.customer_phone.clone().unwrap_or_default(),
                        c.duration.map(fmt_duration).unwrap_or_default(),
                        match c.objective_achieved {
                            Some(true) => "yes".into(),
                            Some(false) => "no".into(),
                            None => String::new(),
                        },
                        c.summary.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print_table(&["ID", "STARTED", "STATUS", "CUSTOMER", "DURATION", "OBJECTIVE", "SUMMARY"], &rows);
            if let Some(c) = next_cursor {
                crate::output::emit(&format!("more calls: postcall calls --after {c} (with the same filters)\n"));
            }
            Ok(())
        }
        Command::Show { id, json } => {
            let d = store(&cli)?.read(|c| query::detail(c, id)).map_err(|e| match e {
                crate::store::StoreError::NotFound(_) => CliError(format!("no call with id {id}")),
                other => err(other),
            })?;
            if json {
                print_json(&d)
            } else {
                print_call(&serde_json::to_value(&d).map_err(err)?);
                Ok(())
            }
        }
        Command::Search { query: q, limit, json } => {
            let hits = store(&cli)?.read(|c| crate::search::search(c, &q, limit)).map_err(err)?;
            if json {
                return print_json(&hits);
            }
            let rows: Vec<Vec<String>> = hits
                .iter()
                .map(|h| {
                    let turn = h.turn_index.map(|i| format!("#{i}")).unwrap_or_else(|| h.field.to_string());
                    vec![h.call_id.to_string(), turn, h.snippet.clone()]
                })
                .collect();
            print_table(&["CALL", "WHERE", "SNIPPET"], &rows);
            Ok(())
        }
        Command::Storage { tables, json } => {
            let f = crate::store::footprint::measure(&store(&cli)?, tables).map_err(err)?;
            if json {
                return print_json(&f);
            }
            print_footprint(&f);
            Ok(())
        }
        Command::Deliveries { failed, limit, json } => {
            let store = store(&cli)?;
            let list = store.read(|c| deliveries::list(c, failed, limit)).map_err(err)?;
            if json {
                return print_json(&list);
            }
            if failed {
                let unindexed = store.read(crate::store::index_errors::count).map_err(err)?;
                eprintln!(
                    "indexing errors: {unindexed}{}",
                    if unindexed > 0 { " (postcall reindex retries them)" } else { "" }
                );
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.received_at.clone(),
                        d.source.clone(),
                        d.outcome.clone(),
                        d.call_id.map(|c| c.to_string()).unwrap_or_default(),
                        d.error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print_table(&["ID", "RECEIVED", "SOURCE", "OUTCOME", "CALL", "ERROR"], &rows);
            Ok(())
        }
        Command::Import { paths, json } => import(&cli, &paths, json).await,
        Command::Export { format, out } => {
            let store = store(&cli)?;
            let n = match &out {
                Some(path) => {
                    let tmp = path.with_extension("partial");
                    let mut private = std::fs::OpenOptions::new();
                    private.write(true).create(true).truncate(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut private, 0o600);
                    let file =
                        private.open(&tmp).map_err(|e| CliError(format!("cannot write {}: {e}", tmp.display())))?;
                    let mut w = std::io::BufWriter::new(file);
                    let n = store.read(|c| crate::export::export(c, format, &mut w)).map_err(err)?;
                    w.flush().map_err(err)?;
                    std::fs::rename(&tmp, path).map_err(err)?;
                    n
                }
                None => {
                    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                    let n = store.read(|c| crate::export::export(c, format, &mut w)).map_err(|e| match e {
                        crate::store::StoreError::Io { source, .. } => crate::output::exit_on_write_error(&source),
                        other => err(other),
                    })?;
                    w.flush().unwrap_or_else(|e| crate::output::exit_on_write_error(&e));
                    n
                }
            };
            eprintln!("exported {n} calls");
            Ok(())
        }
        Command::Sync { since, api_base, json } => sync(&cli, since, api_base, json).await,
        Command::Reindex { all, json } => reindex(&cli, all, json).await,
        Command::Review(_)
        | Command::Note { .. }
        | Command::Tag { .. }
        | Command::Tags { .. }
        | Command::Score(_)
        | Command::Scorecards { .. } => Ok(()),
        Command::Stats { from, to, campaign, status, search, tag, json } => {
            let q = crate::insights::stats::StatsQuery {
                from,
                to,
                campaign,
                statuses: status,
                search,
                tags: tag,
                ..Default::default()
            };
            let store = store(&cli)?;
            crate::insights::catch_up(&store).map_err(err)?;
            let stats = store.read(|c| crate::insights::stats::stats(c, &q)).map_err(err)?;
            if json {
                return print_json(&stats);
            }
            crate::insights::report::print_stats(&stats);
            Ok(())
        }
        Command::Drift { json } => {
            let store = store(&cli)?;
            crate::insights::catch_up(&store).map_err(err)?;
            let drift = store.read(|c| crate::insights::drift::list(c, 10_000)).map_err(err)?;
            if json {
                return print_json(&drift);
            }
            crate::insights::report::print_drift(&drift);
            Ok(())
        }
        Command::Reprocess { json } => {
            let service = open_service(&cli, None)?;
            let ids = service.store.read(deliveries::failed_ids).map_err(err)?;
            let mut results = Vec::new();
            for id in ids {
                results.push(service.ingest.reprocess(id).await.map_err(err)?);
            }
            let fixed = results.iter().filter(|r| r.stored()).count();
            if json {
                print_json(&results)?;
            } else {
                for r in &results {
                    match (&r.call_id, &r.error) {
                        (Some(c), None) => println!("delivery {}: stored as call {c}", r.delivery_id),
                        (_, e) => println!(
                            "delivery {}: still failing: {}",
                            r.delivery_id,
                            crate::output::visible(e.as_deref().unwrap_or(""))
                        ),
                    }
                }
                println!("{fixed} of {} failed deliveries are now stored", results.len());
            }
            Ok(())
        }
    }
}

fn open_service(cli: &Cli, body_limit: Option<usize>) -> Result<Arc<Service>, CliError> {
    let data = data_dir(cli)?;
    let secret = match (&cli.secret, &cli.secret_file) {
        (None, Some(file)) => Some(crate::config::secret_from_file(file).map_err(err)?),
        (secret, _) => secret.clone(),
    };
    Service::open(data, secret.as_deref(), body_limit).map_err(|e| {
        FOLDER_BUSY.store(matches!(e, crate::service::ServiceError::Lock(_)), std::sync::atomic::Ordering::Relaxed);
        err(e)
    })
}

/// `postcall reindex [--all]`: the writers rebuild, as they start, every call listed with an
/// indexing error (and with --all, after every call's documents are dropped, every call) from
/// the journal.
async fn reindex(cli: &Cli, all: bool, json: bool) -> CliResult {
    let data = data_dir(cli)?;
    let lock = writer_lock(&data)?;
    let store = Arc::new(Store::open(&data.db_path()).map_err(err)?);
    let count = |store: &Store| store.read(crate::store::index_errors::count).map_err(err);
    let before = count(&store)?;
    if all {
        crate::ingest::reset_for_reindex(&store).map_err(err)?;
    }
    let ingest = crate::ingest::Ingestor::start(store.clone()).map_err(err)?;
    ingest.flush().await.map_err(err)?;
    let (calls, failing) = (store.read(crate::store::calls::count).map_err(err)?, count(&store)?);
    drop(lock);
    if json {
        print_json(&json!({"all": all, "indexing_errors_before": before, "indexing_errors": failing, "calls": calls}))?;
    } else if all {
        println!("rebuilt {calls} calls from the journal; {failing} deliveries could not be indexed");
    } else {
        println!("{} of {before} deliveries with indexing errors are now indexed", before - failing.min(before));
    }
    if failing > 0 {
        return Err(CliError(format!(
            "{failing} deliveries still cannot be indexed (postcall deliveries --failed shows why)"
        )));
    }
    Ok(())
}

async fn serve(
    cli: &Cli,
    body_limit: usize,
    tunnel_args: &crate::tunnel::TunnelArgs,
    team: &crate::team::cli::ServeTeamArgs,
) -> CliResult {
    let tunnel_config = tunnel_args.config().map_err(err)?;
    team.endpoint().map_err(CliError)?;
    let service = open_service(cli, Some(body_limit))?;
    let addr = bind_addr(cli.bind.as_deref(), &service.data)?;
    let status = service.listen(addr).await.map_err(err)?;
    service.start_vault();
    let _team = crate::team::cli::start_for_serve(&service, team).map_err(CliError)?;
    // The calls API backfill at start and every N minutes, as in the window (when a key is set).
    let runner = Arc::new(crate::backfill::SyncRunner::default());
    let report = |p: &crate::backfill::Progress| {
        if p.state != "running" {
            eprintln!(
                "sync from the calls API {}: {} new, {} updated, {} failed",
                p.state, p.added, p.updated, p.failed
            );
        }
    };
    let periodic = crate::schedule::spawn_periodic_sync(service.clone(), runner.clone(), report);
    let url = status.webhook_url.unwrap_or_default();
    println!("Postcall is listening. Data: {}", service.data.root().display());
    println!("Webhook URL (local): {url}");
    if tunnel_config == crate::tunnel::TunnelConfig::None {
        println!("Expose it with a tunnel and paste the public URL into Intellixent (assistant → Post-Call Actions).");
    }
    let _ = std::io::stdout().flush();
    // The tunnel prints `Public webhook URL: …` once it is verified reachable; a tunnel that
    // cannot work without new settings (wrong bore secret, no cloudflared) ends `serve` with an error.
    let port = status.port.unwrap_or(addr.port());
    let tunnel =
        crate::tunnel::Tunnel::start(&tunnel_config, port, service.secret(), Default::default()).map_err(err)?;
    // Back online after an outage: fetch what Intellixent sent meanwhile, as the window does.
    let catch_up = {
        let service = service.clone();
        tokio::spawn(crate::tunnel::follow::follow(
            tunnel.subscribe(),
            |_| {},
            move || {
                crate::schedule::sync_soon(service.clone(), runner.clone(), report);
            },
        ))
    };
    let outcome = tokio::select! {
        _ = shutdown_signal() => Ok(()),
        e = crate::tunnel::print_changes(tunnel.subscribe()), if tunnel_config != crate::tunnel::TunnelConfig::None => Err(err(e)),
    };
    tunnel.stop().await;
    catch_up.abort();
    periodic.abort();
    eprintln!("stopping: finishing requests in flight…");
    service.shutdown().await;
    outcome
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn recordings(cli: &Cli, action: RecordingsAction) -> CliResult {
    let data = data_dir(cli)?;
    let store = Arc::new(Store::open(&data.db_path()).map_err(err)?);
    let vault = crate::recordings::Vault::open(store.clone(), data.clone(), crate::recordings::VaultLimits::from_env())
        .map_err(err)?;
    let status = |store: &Store| store.read(|c| crate::recordings::status(c, vault.dir())).map_err(err);
    match action {
        RecordingsAction::Status { json } => {
            let s = status(&store)?;
            if json {
                return print_json(&s);
            }
            println!("folder       {}", s.dir);
            println!("ready        {} ({})", s.ready, human_bytes(s.bytes));
            println!("queued       {}", s.queued);
            println!("downloading  {}", s.downloading);
            println!("failed       {}", s.failed);
            println!("not fetched  {}", s.none);
            let failed = store.read(|c| crate::recordings::in_state(c, "failed", 20)).map_err(err)?;
            for r in failed {
                println!("  call {}: {}", r.call_id, r.error.unwrap_or_default());
            }
            if s.failed > 0 {
                println!("Retry them with: postcall recordings fetch");
            }
            Ok(())
        }
        RecordingsAction::Fetch { ids, all, json } => {
            if ids.is_empty() {
                vault.request_all(all).map_err(err)?;
            }
            for id in &ids {
                if !vault.request(*id).map_err(err)? {
                    return Err(CliError(format!("call {id} has no recording URL (or is not stored)")));
                }
            }
            let mut progress = vault.subscribe();
            let printer = tokio::spawn(async move {
                let mut last = std::collections::HashMap::<i64, String>::new();
                while let Ok(p) = progress.recv().await {
                    let line = match p.state.as_str() {
                        "downloading" => format!(
                            "call {}: downloading {}{}",
                            p.id,
                            human_bytes(p.bytes.unwrap_or(0)),
                            p.total_bytes.map(|t| format!(" of {}", human_bytes(t))).unwrap_or_default()
                        ),
                        "queued" => {
                            format!("call {}: queued{}", p.id, p.error.map(|e| format!(" ({e})")).unwrap_or_default())
                        }
                        "failed" => format!("call {}: failed: {}", p.id, p.error.unwrap_or_default()),
                        other => format!("call {}: {other}", p.id),
                    };
                    if last.get(&p.id) != Some(&line) {
                        eprintln!("{line}");
                        last.insert(p.id, line);
                    }
                }
            });
            let cancel_on_signal = vault.clone();
            let signal = tokio::spawn(async move {
                shutdown_signal().await;
                cancel_on_signal.stop();
            });
            vault.clone().run_until_idle().await;
            signal.abort();
            printer.abort();
            let rows: Vec<crate::recordings::Row> = if ids.is_empty() {
                store.read(|c| crate::recordings::in_state(c, "failed", 1000)).map_err(err)?
            } else {
                let mut rows = Vec::new();
                for id in &ids {
                    rows.extend(store.read(|c| crate::recordings::get(c, *id)).map_err(err)?);
                }
                rows
            };
            let failed = rows.iter().filter(|r| r.state != "ready").count();
            if json {
                print_json(&rows)?;
            } else {
                for r in &rows {
                    match r.state.as_str() {
                        "ready" => println!(
                            "call {}: ready, {} {}, {}",
                            r.call_id,
                            r.format.as_deref().unwrap_or("audio"),
                            human_bytes(r.bytes.unwrap_or(0)),
                            r.duration_seconds
                                .map(|d| format!("{d:.1} s"))
                                .unwrap_or_else(|| "duration unknown".into())
                        ),
                        state => println!("call {}: {state}: {}", r.call_id, r.error.as_deref().unwrap_or("")),
                    }
                }
                let s = status(&store)?;
                println!("{} recordings ready ({}), {} failed", s.ready, human_bytes(s.bytes), s.failed);
            }
            if failed > 0 {
                return Err(CliError(format!("{failed} recording(s) could not be downloaded")));
            }
            Ok(())
        }
        RecordingsAction::Prune { days, max_gb, dry_run, json } => {
            let settings = data.settings().map_err(err)?;
            let keep_days = days.or(settings.recordings_keep_days);
            let max_bytes = max_gb.or(settings.recordings_max_gb).map(crate::recordings::gb_to_bytes);
            if keep_days.is_none() && max_bytes.is_none() {
                return Err(CliError(
                    "no retention is set: pass --days N or --max-gb N, or set them in Settings → Recordings".into(),
                ));
            }
            let report = vault.prune_with(keep_days, max_bytes, dry_run).map_err(err)?;
            if json {
                return print_json(&report);
            }
            let verb = if dry_run { "would remove" } else { "removed" };
            println!("{verb} {} recordings ({}); the calls are kept", report.removed, human_bytes(report.freed_bytes));
            Ok(())
        }
    }
}

fn human_bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.2} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0} KB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

async fn sync(cli: &Cli, since: Option<String>, api_base: Option<String>, json: bool) -> CliResult {
    let since = since
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| CliError(format!("{d:?} is not a date; use YYYY-MM-DD")))
        })
        .transpose()?;
    let service = open_service(cli, None)?;
    let settings = crate::backfill::load_settings(&service.data).map_err(err)?;
    let api_key = crate::backfill::api_key(&service.data).ok_or_else(|| err(crate::backfill::SyncError::NoApiKey))?;
    let opts = crate::backfill::SyncOptions { api_base: api_base.unwrap_or(settings.api_base), api_key, since };
    let cancel = tokio_util::sync::CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        on_signal.cancel();
    });
    let result = crate::backfill::run(&service.ingest, &opts, &cancel, |p| {
        eprintln!(
            "sync: {} page {}/{}: {} added, {} updated, {} unchanged",
            p.state, p.pages, p.last_page, p.added, p.updated, p.unchanged
        );
    })
    .await;
    service.shutdown().await;
    let report = result.map_err(|e| match e {
        crate::backfill::SyncError::Cancelled => {
            CliError("the sync was cancelled; the calls fetched so far are kept".into())
        }
        other => err(other),
    })?;
    if json {
        print_json(&report)
    } else {
        println!(
            "synced {} pages: {} calls added, {} updated, {} unchanged, {} failed",
            report.pages, report.added, report.updated, report.unchanged, report.failed
        );
        Ok(())
    }
}

/// Every payload in the given files and folders, as raw bytes with where it came from.
fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| CliError(format!("cannot read folder {}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            files.extend(collect_files(&entries)?);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(CliError(format!("{} does not exist", p.display())));
        }
    }
    Ok(files)
}

fn payloads_in(path: &Path, each: impl FnMut(Vec<u8>)) -> Result<(), CliError> {
    let open_err = |e: std::io::Error| CliError(format!("cannot read {}: {e}", path.display()));
    let reader = std::io::BufReader::new(std::fs::File::open(path).map_err(open_err)?);
    crate::import::payloads(reader, crate::import::is_jsonl(path), each).map_err(open_err)
}

async fn import(cli: &Cli, paths: &[PathBuf], json: bool) -> CliResult {
    let files = collect_files(paths)?;
    let service = open_service(cli, None)?;
    let started = Instant::now();
    let mut in_flight = tokio::task::JoinSet::new();
    let mut tally = Tally::default();
    let mut last_report = Instant::now();
    let progress = std::io::stderr().is_terminal() || std::env::var_os("POSTCALL_PROGRESS").is_some();
    for file in &files {
        let mut bodies = Vec::new();
        payloads_in(file, |b| bodies.push(b))?;
        for body in bodies {
            let ingest = service.ingest.clone();
            in_flight.spawn(async move { ingest.deliver(Source::Import, Some("application/json".into()), body).await });
            while in_flight.len() >= 2048 {
                if let Some(r) = in_flight.join_next().await {
                    tally.add(r)?;
                }
            }
            if progress && last_report.elapsed() > Duration::from_secs(1) {
                eprintln!("importing… {} calls so far", tally.stored + tally.failed);
                last_report = Instant::now();
            }
        }
    }
    while let Some(r) = in_flight.join_next().await {
        tally.add(r)?;
    }
    // Every payload is journaled; wait until the calls are built before reporting.
    if progress && service.ingest.backlog() > 0 {
        eprintln!("indexing {} calls…", service.ingest.backlog());
    }
    service.ingest.flush().await.map_err(err)?;
    let secs = started.elapsed().as_secs_f64();
    let Tally { stored, failed, duplicates, errors } = tally;
    if json {
        print_json(
            &json!({"stored": stored, "duplicates": duplicates, "failed": failed, "errors": errors, "seconds": secs}),
        )?;
    } else {
        println!("imported {stored} calls ({duplicates} already known), {failed} failed, in {secs:.1} s");
        for e in &errors {
            println!("  {}", crate::output::visible(e));
        }
    }
    if failed > 0 {
        return Err(CliError(format!(
            "{failed} payloads could not be used; they are kept as failed deliveries (postcall deliveries --failed)"
        )));
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    stored: u64,
    failed: u64,
    duplicates: u64,
    errors: Vec<String>,
}

type Joined = Result<Result<crate::IngestOutcome, crate::ingest::IngestError>, tokio::task::JoinError>;

impl Tally {
    fn add(&mut self, r: Joined) -> CliResult {
        let o = r.map_err(err)?.map_err(err)?;
        if o.stored() {
            self.stored += 1;
            self.duplicates += u64::from(o.duplicate);
        } else {
            self.failed += 1;
            if self.errors.len() < 20 {
                self.errors.push(format!("delivery {}: {}", o.delivery_id, o.error.unwrap_or_default()));
            }
        }
        Ok(())
    }
}

pub fn fmt_duration(secs: i64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// Prints `f` for a person (`postcall storage`, the benchmark).
pub fn print_footprint(f: &crate::store::footprint::Footprint) {
    let kb = |b: Option<f64>| b.map(|b| format!("{:.1} KB", b / 1e3)).unwrap_or_else(|| "-".into());
    let mut rows = Vec::new();
    for file in &f.files {
        rows.push(vec![file.file.clone(), format!("{:.1} MB", file.bytes as f64 / 1e6), kb(file.bytes_per_call)]);
        for o in &file.objects {
            let per_call = (f.calls > 0).then(|| o.bytes as f64 / f.calls as f64);
            rows.push(vec![format!("  {}", o.name), format!("{:.1} MB", o.bytes as f64 / 1e6), kb(per_call)]);
        }
    }
    rows.push(vec!["total".into(), format!("{:.1} MB", f.total_bytes as f64 / 1e6), kb(f.bytes_per_call)]);
    println!("{} calls", f.calls);
    print_table(&["FILE", "SIZE", "PER CALL"], &rows);
    if let Some(b) = &f.bodies {
        println!(
            "journal bodies: {} deliveries, {} compressed; {:.1} MB as received, {:.1} MB stored ({:.2}×)",
            b.deliveries,
            b.compressed,
            b.raw_bytes as f64 / 1e6,
            b.stored_bytes as f64 / 1e6,
            b.raw_bytes as f64 / (b.stored_bytes as f64).max(1.0)
        );
    }
    if let Some(c) = f.compressing {
        println!("compressing the journal: {} of {} deliveries (while Postcall runs)", c.done, c.total);
    }
}

pub(crate) fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        println!("(none)");
        return;
    }
    let clip = |s: &str| -> String {
        let s = s.replace(['\n', '\r', '\t'], " ");
        let s = if s.chars().count() > 60 { format!("{}…", s.chars().take(59).collect::<String>()) } else { s };
        crate::output::visible(&s).into_owned()
    };
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| clip(c)).collect()).collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([headers[i].len()]).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        text.push_str(parts.join("  ").trim_end());
        text.push('\n');
    };
    line(headers.to_vec());
    for r in &rows {
        line(r.iter().map(String::as_str).collect());
    }
    crate::output::emit(&text);
}

/// Up to `limit` calls of `q` from its cursor on, read a page (at most 500) at a time, and the
/// cursor after the last one when there are more.
fn list_calls(
    store: &Store,
    mut q: CallQuery,
    limit: u32,
) -> Result<(Vec<query::CallSummary>, Option<String>), CliError> {
    let mut items = Vec::new();
    loop {
        let left = limit.max(1) as usize - items.len();
        q.limit = Some(left.min(500) as u32);
        let page = store.read(|c| query::list(c, &q)).map_err(err)?;
        items.extend(page.items);
        match page.next_cursor {
            Some(c) if items.len() < limit.max(1) as usize => q.cursor = Some(c),
            next => return Ok((items, next)),
        }
    }
}

fn print_call(d: &Value) {
    use crate::output::visible;
    let s = |k: &str| {
        let v = d
            .get(k)
            .and_then(|v| v.as_str().map(str::to_string).or_else(|| (!v.is_null()).then(|| v.to_string())))
            .unwrap_or_else(|| "—".into());
        visible(&v).into_owned()
    };
    println!("Call {}", s("id"));
    println!("  status      {}", s("status"));
    println!("  customer    {}", s("customer_phone"));
    println!("  assistant   {}", s("assistant_phone"));
    println!("  started     {}", s("created_at"));
    println!("  finished    {}", s("finished_at"));
    println!("  duration    {}", d["duration"].as_i64().map(fmt_duration).unwrap_or_else(|| "—".into()));
    println!("  objective   {}", s("objective_achieved"));
    println!("  summary     {}", s("summary"));
    println!("  recording   {}", s("recording_url"));
    let r = &d["recording"];
    if let Some(state) = r["state"].as_str().filter(|_| !d["recording_url"].is_null()) {
        let mut line = state.to_string();
        if let Some(path) = r["path"].as_str() {
            line.push_str(&format!(", {}", visible(path)));
        }
        if let Some(err) = r["error"].as_str() {
            line.push_str(&format!(" ({})", visible(err)));
        }
        println!("  vault       {line}");
    }
    for key in ["extracted_variables", "input_variables"] {
        if let Some(map) = d[key].as_object().filter(|m| !m.is_empty()) {
            println!("\n{key}:");
            for (k, v) in map {
                let value = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                println!("  {:<20} {}", visible(k), visible(&value));
            }
        }
    }
    if let Some(turns) = d["transcript"].as_array().filter(|t| !t.is_empty()) {
        println!("\ntranscript:");
        for t in turns {
            let who = if t["sender"] == "bot" {
                "Assistant"
            } else if t["sender"] == "human" {
                "Customer"
            } else {
                t["sender"].as_str().unwrap_or("?")
            };
            let at = t["offset_seconds"].as_f64().map(|o| fmt_duration(o as i64)).unwrap_or_default();
            println!("  {at:>5}  {:<9}  {}", visible(who), visible(t["text"].as_str().unwrap_or_default()));
        }
    }
    if let Some(list) = d["deliveries"].as_array() {
        println!("\ndeliveries:");
        for x in list {
            println!(
                "  #{}  {}  {}  {}",
                x["id"],
                visible(x["received_at"].as_str().unwrap_or("")),
                visible(x["source"].as_str().unwrap_or("")),
                visible(x["outcome"].as_str().unwrap_or(""))
            );
        }
    }
}
