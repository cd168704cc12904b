//! `postcall team join | leave | status | sync | token | refused` and the `--team` flags of `postcall serve`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

use super::settings::{self, Auth, Endpoint, Password, TeamSettings};
use super::{consumer, publisher, reviews, TeamError, TeamState};
use crate::config::DataDir;
use crate::service::Service;

#[derive(Debug, Subcommand)]
pub enum TeamAction {
    /// Join a team server: this data folder then replays the team's calls (saved in the settings;
    /// a password goes to the secret store).
    Join {
        /// The team server, nats://HOST:PORT (or tls://HOST:PORT).
        server: String,
        /// A NATS credentials file (JWT + NKey seed) from the team's administrator.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["user", "password_env"])]
        creds: Option<PathBuf>,
        /// A user name on the team server (with --password-env).
        #[arg(long, value_name = "U", requires = "password_env")]
        user: Option<String>,
        /// The environment variable holding that user's password.
        #[arg(long, value_name = "VAR", requires = "user")]
        password_env: Option<String>,
    },
    /// Leave the team: forget the server and its credentials; the local calls stay.
    Leave,
    /// The server, whether it answers, the sequences applied here and what waits to go out.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Replay the team's calls and review work into this data folder and share this folder's
    /// review edits; follows the server until stopped.
    Sync {
        /// Exit once caught up (non-zero, with the reason, when the server cannot be reached or
        /// refuses the credentials).
        #[arg(long)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Authors(AuthorAction),
}

/// `postcall team token`, `postcall team refused`: binding review events to their authors.
#[derive(Debug, Subcommand)]
pub enum AuthorAction {
    /// Print a reviewer's author token and the publish permission their NATS user needs in
    /// nats-server.conf (`postcall.reviews.*.<token>`), so nobody else can publish in their name.
    Token {
        /// The reviewer's email, as set with `postcall review whoami --set`.
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// List the edits made here that the team server refused (and the review events of the
    /// stream not applied because they were published in another author's name).
    Refused {
        /// Queue the refused edits again (after the server's permissions were changed).
        #[arg(long)]
        retry: bool,
        #[arg(long)]
        json: bool,
    },
}

/// `postcall serve --team …`: this node is the team's receiver.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeTeamArgs {
    /// Publish every stored call to this team server (nats://HOST:4222): this node becomes the
    /// team's receiver.
    #[arg(long, value_name = "URL")]
    pub team: Option<String>,
    /// The receiver's NATS credentials file.
    #[arg(long, value_name = "FILE", requires = "team", conflicts_with = "team_user")]
    pub team_creds: Option<PathBuf>,
    /// The receiver's NATS user (with --team-password-env).
    #[arg(long, value_name = "U", requires = "team", requires = "team_password_env")]
    pub team_user: Option<String>,
    /// The environment variable holding that user's password.
    #[arg(long, value_name = "VAR", requires = "team_user")]
    pub team_password_env: Option<String>,
}

fn password_from_env(var: &str) -> Result<Password, String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Password::new(v.trim())),
        _ => Err(format!("the environment variable {var} is not set; it must hold the team password")),
    }
}

impl ServeTeamArgs {
    pub fn endpoint(&self) -> Result<Option<Endpoint>, String> {
        let Some(server) = self.team.clone() else { return Ok(None) };
        settings::check_url(&server).map_err(|e| e.to_string())?;
        let auth = match (&self.team_creds, &self.team_user, &self.team_password_env) {
            (Some(path), _, _) => Auth::Creds(path.clone()),
            (None, Some(user), Some(var)) => {
                Auth::UserPassword { user: user.clone(), password: password_from_env(var)? }
            }
            _ => Auth::None,
        };
        Ok(Some(Endpoint { server, auth }))
    }
}

/// Starts the team side of `postcall serve` (needs a Tokio runtime): with `--team` the publisher
/// (this node is the receiver), else, when the data folder joined a team, the replay of its calls.
/// Returns what stops it, or `None` when there is no team.
pub fn start_for_serve(service: &Arc<Service>, args: &ServeTeamArgs) -> Result<Option<CancellationToken>, String> {
    let endpoint = args.endpoint()?;
    let state = TeamState::open(&service.data).map_err(|e| e.to_string())?;
    let cancel = CancellationToken::new();
    if let Some(endpoint) = endpoint {
        if state.mark(super::state::PUBLISHED).map_err(|e| e.to_string())?.is_none() {
            state.set_mark(super::state::PUBLISHED, 0).map_err(|e| e.to_string())?;
        }
        println!("Publishing calls to the team server {}", endpoint.server);
        let wake = service.ingest.subscribe();
        let fixed = endpoint.clone();
        tokio::spawn(reviews::follow(
            service.data.clone(),
            service.store.clone(),
            state.clone(),
            move || Ok(fixed.clone()),
            cancel.clone(),
            |calls| tracing::debug!(calls = calls.len(), "team review events applied"),
        ));
        tokio::spawn(super::recordings::upload(
            service.store.clone(),
            state.clone(),
            service.vault.dir().to_path_buf(),
            endpoint.clone(),
            service.vault.subscribe(),
            cancel.clone(),
            |p| match p {
                super::recordings::UploadProgress::Uploaded { call_id } => {
                    tracing::debug!(call_id, "recording put into the team's object store")
                }
                super::recordings::UploadProgress::Failed(e) => {
                    eprintln!("team: uploading a recording failed (will retry): {e}")
                }
            },
        ));
        tokio::spawn(publisher::run(service.store.clone(), state, endpoint, wake, cancel.clone(), |p| match p {
            publisher::Progress::Connected => eprintln!("team: connected; publishing the journal"),
            publisher::Progress::Published { up_to_delivery, count } => {
                tracing::debug!(up_to_delivery, count, "published to the team stream")
            }
            publisher::Progress::Failed(e) => eprintln!("team: publishing failed (will retry): {e}"),
        }));
        return Ok(Some(cancel));
    }
    if start_member_sync(service)? {
        println!("Replaying the team's calls in the background (postcall team status)");
    }
    Ok(None)
}

/// Starts replaying the joined team's calls in the background (needs a Tokio runtime), when the
/// data folder joined one. Used by `postcall serve` without `--team` and by the window.
pub fn start_member_sync(service: &Arc<Service>) -> Result<bool, String> {
    start_member_sync_with(service, |_| {}).map(|c| c.is_some())
}

/// [`start_member_sync`], telling `reviews_changed` which calls' review changed by the team's
/// events (the window refreshes them). Returns what stops it, or `None` without a team.
pub fn start_member_sync_with(
    service: &Arc<Service>,
    reviews_changed: impl FnMut(&[i64]) + Send + 'static,
) -> Result<Option<CancellationToken>, String> {
    if settings::load(&service.data).map_err(|e| e.to_string())?.is_none() {
        return Ok(None);
    }
    let state = TeamState::open(&service.data).map_err(|e| e.to_string())?;
    let cancel = CancellationToken::new();
    tokio::spawn(consumer::follow(service.data.clone(), service.ingest.clone(), state.clone(), cancel.clone(), |r| {
        tracing::debug!(calls_seq = r.calls_seq, applied = r.applied, "team calls applied")
    }));
    tokio::spawn(reviews::follow(
        service.data.clone(),
        service.store.clone(),
        state,
        member_endpoint(service.data.clone()),
        cancel.clone(),
        reviews_changed,
    ));
    super::live::set_running(&service.data, cancel.clone());
    Ok(Some(cancel))
}

/// The joined server, read from the settings at each attempt.
fn member_endpoint(data: DataDir) -> impl Fn() -> Result<Endpoint, TeamError> + Send {
    move || settings::endpoint(&data)?.ok_or(TeamError::NotJoined)
}

/// What `team sync --once` did over both streams.
struct OnceReport {
    calls: consumer::SyncReport,
    reviews: reviews::ReviewSyncReport,
    published: u64,
}

/// One pass until caught up: this node's review edits out, then the team's calls and review
/// events in (ours come back as echoes and clear the outbox), then anything left out again.
async fn sync_once(
    endpoint: &Endpoint,
    service: &Arc<Service>,
    state: &TeamState,
    cancel: &CancellationToken,
) -> Result<OnceReport, TeamError> {
    let conn = super::connect(endpoint).await?;
    reviews::mark_connected(state, true);
    let mut published = reviews::push(&conn, &service.store).await?;
    let calls = consumer::sync_calls(&conn, &service.ingest, state, true, cancel, |r| {
        eprintln!("team sync: calls applied up to sequence {} of {}", r.calls_seq, r.stream_last)
    })
    .await?;
    let reviews = reviews::pull(&conn, &service.store, state, true, cancel, |_| {}).await?;
    published += reviews::push(&conn, &service.store).await?;
    Ok(OnceReport { calls, reviews, published })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn print_json(v: &impl serde::Serialize) -> Result<(), String> {
    serde_json::to_string_pretty(v).map(|s| println!("{s}")).map_err(|e| e.to_string())
}

/// Runs `postcall team …`.
pub async fn run(data: DataDir, secret: Option<&str>, action: TeamAction) -> Result<(), String> {
    let s = |e: TeamError| e.to_string();
    match action {
        TeamAction::Join { server, creds, user, password_env } => {
            let password = password_env.as_deref().map(password_from_env).transpose()?;
            let creds = creds.map(|p| std::path::absolute(&p).unwrap_or(p));
            settings::join(&data, TeamSettings { server: server.clone(), creds_file: creds, user }, password.as_ref())
                .map_err(s)?;
            println!("Joined the team server {server}. Run `postcall team sync` to fetch the team's calls.");
            Ok(())
        }
        TeamAction::Leave => {
            if settings::leave(&data).map_err(s)? {
                println!("Left the team; the calls in this data folder are kept.");
            } else {
                println!("This data folder had not joined a team.");
            }
            Ok(())
        }
        TeamAction::Status { json } => {
            let store = crate::store::Store::open(&data.db_path()).map_err(|e| e.to_string())?;
            let st = super::status::status(&data, &store, true).await.map_err(s)?;
            if json {
                return print_json(&st);
            }
            match &st.server {
                Some(server) => {
                    println!("team server {server}: {}", if st.connected { "connected" } else { "not reachable" })
                }
                None => println!("not in a team (postcall team join nats://HOST:PORT)"),
            }
            println!("calls applied up to sequence {}, reviews up to {}", st.calls_seq, st.reviews_seq);
            println!("pending: {}", st.pending);
            if st.refused_edits > 0 {
                println!("{} edits the server refused (postcall team refused)", st.refused_edits);
            }
            if st.rejected_events > 0 {
                println!("{} events from the team not applied: published in another author's name", st.rejected_events);
            }
            if let Some(e) = &st.last_error {
                println!("last error: {e}");
            }
            Ok(())
        }
        TeamAction::Authors(action) => run_authors(&data, action),
        TeamAction::Sync { once, json } => {
            let endpoint = settings::endpoint(&data).map_err(s)?.ok_or_else(|| TeamError::NotJoined.to_string())?;
            let service = Service::open(data, secret, None).map_err(|e| e.to_string())?;
            let state = TeamState::open(&service.data).map_err(|e| e.to_string())?;
            let cancel = CancellationToken::new();
            let on_signal = cancel.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                on_signal.cancel();
            });
            let started = std::time::Instant::now();
            let result = if once {
                sync_once(&endpoint, &service, &state, &cancel).await
            } else {
                let calls = consumer::follow(
                    service.data.clone(),
                    service.ingest.clone(),
                    state.clone(),
                    cancel.clone(),
                    |r| eprintln!("team sync: calls applied up to sequence {}", r.calls_seq),
                );
                let reviews = reviews::follow(
                    service.data.clone(),
                    service.store.clone(),
                    state.clone(),
                    member_endpoint(service.data.clone()),
                    cancel.clone(),
                    |calls| eprintln!("team sync: review work of {} calls updated", calls.len()),
                );
                tokio::join!(calls, reviews);
                Ok(OnceReport {
                    calls: consumer::SyncReport {
                        calls_seq: state.calls_seq().map_err(|e| e.to_string())?,
                        ..Default::default()
                    },
                    reviews: reviews::ReviewSyncReport {
                        reviews_seq: state.reviews_seq().map_err(|e| e.to_string())?,
                        ..Default::default()
                    },
                    published: 0,
                })
            };
            let flushed = service.ingest.flush().await;
            service.shutdown().await;
            let report = result.map_err(|e| {
                let _ = state.set_info("last_error", Some(&e.to_string()));
                reviews::mark_connected(&state, false);
                e.to_string()
            })?;
            flushed.map_err(|e| e.to_string())?;
            let _ = state.set_info("last_error", None);
            let OnceReport { calls: report, reviews: rev, published } = report;
            if json {
                print_json(&serde_json::json!({
                    "applied": report.applied,
                    "skipped": report.skipped,
                    "calls_seq": report.calls_seq,
                    "reviews_applied": rev.applied,
                    "reviews_skipped": rev.skipped,
                    "reviews_ignored": rev.ignored,
                    "reviews_rejected": rev.rejected,
                    "reviews_seq": rev.reviews_seq,
                    "reviews_published": published,
                    "seconds": started.elapsed().as_secs_f64(),
                }))
            } else {
                println!(
                    "team sync: {} calls applied ({} already here), up to sequence {}; review events: {} published, \
                     {} applied, up to sequence {}; in {:.1} s",
                    report.applied,
                    report.skipped,
                    report.calls_seq,
                    published,
                    rev.applied,
                    rev.reviews_seq,
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            }
        }
    }
}

/// Runs `postcall team token | refused`.
fn run_authors(data: &DataDir, action: AuthorAction) -> Result<(), String> {
    match action {
        AuthorAction::Token { email, json } => {
            let token = super::authors::token_of_reviewer(&email)
                .ok_or_else(|| format!("{email:?} is not an email address a token can be made for"))?;
            let permission = super::authors::permission(&token);
            if json {
                return print_json(&serde_json::json!({
                    "email": email.trim().to_lowercase(), "token": token, "permission": permission
                }));
            }
            println!("{token}");
            eprintln!("In nats-server.conf, give this reviewer's user the publish permission \"{permission}\"");
            Ok(())
        }
        AuthorAction::Refused { retry, json } => {
            let store = crate::store::Store::open(&data.db_path()).map_err(|e| e.to_string())?;
            let state = TeamState::open(data).map_err(|e| e.to_string())?;
            let refused = store.read(|c| crate::review::store::refused(c, "review.")).map_err(|e| e.to_string())?;
            let rejected = state.rejected().map_err(|e| e.to_string())?;
            let requeued = if retry {
                store.review_write(crate::review::store::retry_refused).map_err(|e| e.to_string())?
            } else {
                0
            };
            if json {
                return print_json(&serde_json::json!({
                    "refused": refused, "rejected": rejected, "requeued": requeued
                }));
            }
            if refused.is_empty() {
                println!("The team server refused no edit made here.");
            }
            for r in &refused {
                println!(
                    "refused: event {} ({} on call {}) by {}: {}",
                    r.event_id, r.kind, r.call_id, r.author_email, r.reason
                );
            }
            for r in &rejected {
                println!(
                    "not applied: stream #{} {} (event {} by {}): {}",
                    r.seq, r.subject, r.event_id, r.author_email, r.reason
                );
            }
            if retry {
                println!("{requeued} refused edits queued again; they go out at the next sync.");
            } else if !refused.is_empty() {
                println!(
                    "Each was signed by an author this machine's team user may not publish for. Ask the administrator \
                     for the permission (postcall team token EMAIL), then run `postcall team refused --retry`."
                );
            }
            Ok(())
        }
    }
}
