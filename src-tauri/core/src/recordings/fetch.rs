//! Downloading one recording: http(s) only, streamed to a partial file that a later attempt
//! resumes with a `Range` request, capped in size, checked to be audio by its bytes, then
//! fsynced and renamed into the vault in one step so a crash never leaves half a file there.
//!
//! Every hop (the URL and each redirect, followed here one at a time) goes through the address
//! rules of [`HostPolicy`]; the Intellixent API key is only sent where [`HostPolicy::key_allowed`]
//! says, and never after a redirect to another host. Nothing waits forever: a host that sends
//! nothing for the idle timeout is cut, and so is a whole attempt past its deadline (a trickling
//! host); both keep the partial file and are retried later. A resumed answer is only appended when
//! its `Content-Range` starts exactly where the partial file ends.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{StatusCode, Url};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::analyze::{self, Format};
use super::guard::{Blocked, HostPolicy};

/// How much of the start of a file is enough to tell its format.
const SNIFF_BYTES: usize = 64 * 1024;
/// Redirects followed in one attempt.
const MAX_REDIRECTS: u32 = 5;

/// How long one attempt may wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// No answer, or no byte of the body, for this long: the attempt is cut and retried later.
    pub idle: Duration,
    /// The most one attempt may take, however steadily bytes trickle in.
    pub deadline: Duration,
    /// Waiting this long on a silent host gives the download's queue slot to the next recording
    /// (the download itself goes on waiting, up to `idle`), so silent hosts never hold the queue.
    pub yield_slot: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30),
            deadline: Duration::from_secs(30 * 60),
            yield_slot: Duration::from_secs(5),
        }
    }
}

pub(crate) struct Job<'a> {
    pub call_id: i64,
    pub url: &'a str,
    pub dir: &'a Path,
    pub max_bytes: u64,
    /// Where the Intellixent API key is looked up, only when a host refuses access (the lookup
    /// may ask the OS keyring).
    pub data: &'a crate::config::DataDir,
    pub policy: &'a HostPolicy,
    pub timeouts: Timeouts,
}

#[derive(Debug)]
pub(crate) enum Outcome {
    /// In the vault at `path` (the final name).
    Done { path: PathBuf, bytes: u64, format: Format },
    /// Worth trying again later (5xx, 429, a stall, a broken connection); the partial file is kept.
    Retry(String),
    /// The host could not be reached at all (no address, or no connection): most likely this
    /// computer is offline, and every other recording would fail the same way.
    Unreachable(String),
    /// Trying again will not help (404, not audio, too large, not http, a refused address).
    Fail(String),
}

pub(super) fn partial_path(dir: &Path, call_id: i64, url: &str) -> PathBuf {
    // FNV-1a of the URL: a partial file is only resumed for the URL it came from.
    let hash = url.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    dir.join(".partial").join(format!("{call_id}-{hash:016x}.part"))
}

pub(crate) fn final_name(call_id: i64, format: Format) -> String {
    format!("{call_id}.{}", format.extension())
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke off"
    } else {
        "request failed"
    };
    // without_url: the URL may carry a signed token; keep it out of messages and logs.
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn secs(d: Duration) -> String {
    if d >= Duration::from_secs(120) {
        format!("{} min", d.as_secs() / 60)
    } else if d >= Duration::from_secs(1) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `Content-Range: bytes START-END/TOTAL` (TOTAL may be `*`) → (START, END, TOTAL).
fn content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.trim().split_once('-')?;
    let (start, end) = (start.trim().parse::<u64>().ok()?, end.trim().parse::<u64>().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse::<u64>().ok()?),
    };
    (start <= end && total.is_none_or(|t| end < t)).then_some((start, end, total))
}

/// Waits for `fut` at most `t.idle`. After `t.yield_slot` without an answer, `release` gives
/// the queue slot up (once per attempt; the caller's closure makes repeats harmless).
async fn within<T>(t: &Timeouts, release: &mut (dyn FnMut() + Send), fut: impl Future<Output = T>) -> Option<T> {
    let fut = tokio::time::timeout(t.idle, fut);
    tokio::pin!(fut);
    if t.yield_slot < t.idle {
        tokio::select! {
            r = &mut fut => return r.ok(),
            () = tokio::time::sleep(t.yield_slot) => release(),
        }
    }
    fut.await.ok()
}

/// Runs one download attempt. `progress(received, total)` is called at most a few times a
/// second; `release()` is called when the attempt waits on a silent host (see [`Timeouts`]).
pub(crate) async fn download(
    job: &Job<'_>,
    cancel: &CancellationToken,
    mut progress: impl FnMut(u64, Option<u64>),
    mut release: impl FnMut() + Send,
) -> Outcome {
    let deadline = job.timeouts.deadline;
    tokio::select! {
        r = tokio::time::timeout(deadline, attempt(job, &mut progress, &mut release)) => r.unwrap_or_else(|_| {
            Outcome::Retry(format!(
                "the download took longer than {}; it resumes from where it stopped",
                secs(deadline)
            ))
        }),
        () = cancel.cancelled() => Outcome::Retry("stopped".into()),
    }
}

async fn attempt(
    job: &Job<'_>,
    progress: &mut impl FnMut(u64, Option<u64>),
    release: &mut (dyn FnMut() + Send),
) -> Outcome {
    let original = match Url::parse(job.url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => return Outcome::Fail("only http(s) recording URLs are downloaded".into()),
    };
    let part = partial_path(job.dir, job.call_id, job.url);
    if let Some(parent) = part.parent() {
        if let Err(e) = tokio::fs::create_dir_all(parent).await {
            return Outcome::Retry(format!("cannot create {}: {e}", parent.display()));
        }
    }
    let t = job.timeouts;
    let mut url = original.clone();
    // A redirect went to another host: the key is never sent in this attempt again.
    let mut crossed = false;
    // Looked up once, at the first 401/403 from a host the key may go to: None = not asked yet.
    let mut api_key: Option<Option<String>> = None;
    let mut send_key = false;
    let mut restarts = 0;
    let mut redirects = 0;
    let (resp, mut have, total) = loop {
        let have = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
        let addrs = match job.policy.resolve(&url, t.idle).await {
            Ok(a) => a,
            Err(Blocked::Refused(why)) => return Outcome::Fail(why),
            Err(Blocked::Unresolved(why)) => return Outcome::Unreachable(why),
        };
        let client = match HostPolicy::client(&url, addrs.as_deref(), t.idle) {
            Ok(c) => c,
            Err(e) => return Outcome::Retry(describe(&e.without_url())),
        };
        let mut req = client.get(url.clone());
        if have > 0 {
            req = req.header(RANGE, format!("bytes={have}-"));
        }
        let key_ok = !crossed && job.policy.key_allowed(&url);
        if let (true, true, Some(Some(key))) = (send_key, key_ok, &api_key) {
            req = req.bearer_auth(key);
        }
        let resp = match within(&t, release, req.send()).await {
            None => return Outcome::Retry(format!("the recording host did not answer within {}", secs(t.idle))),
            Some(Err(e)) if e.is_connect() => return Outcome::Unreachable(describe(&e.without_url())),
            Some(Err(e)) => return Outcome::Retry(describe(&e.without_url())),
            Some(Ok(r)) => r,
        };
        let status = resp.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let next = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"));
            let Some(next) = next else {
                return Outcome::Fail(format!(
                    "the recording host answered {} without an http(s) address to go to",
                    status.as_u16()
                ));
            };
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Outcome::Fail(format!("the recording host redirected more than {MAX_REDIRECTS} times"));
            }
            if next.host_str() != url.host_str() {
                crossed = true;
            }
            url = next;
            continue;
        }
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                if key_ok && !send_key {
                    if api_key.is_none() {
                        let data = job.data.clone();
                        api_key = Some(
                            tokio::task::spawn_blocking(move || crate::backfill::api_key(&data)).await.ok().flatten(),
                        );
                    }
                    if matches!(api_key, Some(Some(_))) {
                        send_key = true;
                        continue; // once more, with the key
                    }
                }
                let hint = if send_key {
                    " even with the Intellixent API key".to_string()
                } else if !key_ok {
                    let hosts = job.policy.key_hosts().join(", ");
                    format!(
                        "; the Intellixent API key is only sent over https to the Intellixent hosts ({}), so it \
                         was not sent; if this host is one, add it in Settings → Recordings",
                        if hosts.is_empty() { "none configured" } else { &hosts }
                    )
                } else {
                    "; if it needs signing in, add the Intellixent API key under Sync".to_string()
                };
                return Outcome::Fail(format!("the recording host refused access ({}){hint}", status.as_u16()));
            }
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                return Outcome::Fail(format!(
                    "the recording host says it does not exist ({}); it may have been deleted upstream",
                    status.as_u16()
                ))
            }
            StatusCode::RANGE_NOT_SATISFIABLE if restarts < 2 => {
                restarts += 1;
                let _ = tokio::fs::remove_file(&part).await;
            }
            StatusCode::PARTIAL_CONTENT => {
                let range = resp.headers().get(CONTENT_RANGE).and_then(|v| v.to_str().ok()).map(str::to_string);
                match range.as_deref().and_then(content_range) {
                    Some((start, _, total)) if start == have => break (resp, have, total),
                    _ if have == 0 => {
                        return Outcome::Fail(format!(
                            "the recording host answered 206 to a request for the whole file ({})",
                            range.as_deref().unwrap_or("no Content-Range")
                        ))
                    }
                    _ => {
                        // Appending a range that does not start where the file ends would
                        // corrupt it: start again from zero (twice at most).
                        let _ = tokio::fs::remove_file(&part).await;
                        restarts += 1;
                        tracing::info!(call_id = job.call_id, "a resumed download came back with the wrong range");
                        if restarts > 2 {
                            return Outcome::Fail(format!(
                                "the recording host answers resumed downloads with the wrong range ({}, expected \
                                 bytes {have}-); the partial file was discarded",
                                range.as_deref().unwrap_or("no Content-Range")
                            ));
                        }
                    }
                }
            }
            // Also the answer to a Range request from a host that ignores ranges: the whole file,
            // written from zero (the partial file is truncated below).
            StatusCode::OK => {
                let total = resp
                    .headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                break (resp, 0, total);
            }
            s if s == StatusCode::REQUEST_TIMEOUT || s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                return Outcome::Retry(format!("the recording host answered {}", s.as_u16()))
            }
            s => return Outcome::Fail(format!("the recording host answered {}", s.as_u16())),
        }
    };

    let content_type = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(t) = total.filter(|t| *t > job.max_bytes) {
        let _ = tokio::fs::remove_file(&part).await;
        return Outcome::Fail(format!(
            "the recording is {}, over the {} limit for recordings",
            mb(t),
            mb(job.max_bytes)
        ));
    }

    let mut file = match tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(have > 0)
        .truncate(have == 0)
        .open(&part)
        .await
    {
        Ok(f) => f,
        Err(e) => return Outcome::Retry(format!("cannot write {}: {e}", part.display())),
    };
    let mut resp = resp;
    let mut head: Vec<u8> = Vec::new();
    let mut sniffed = have > 0;
    let mut last_report = Instant::now();
    progress(have, total);
    loop {
        let chunk = match within(&t, release, resp.chunk()).await {
            None => {
                return Outcome::Retry(format!(
                    "the recording host sent nothing for {}; the download resumes later",
                    secs(t.idle)
                ))
            }
            Some(Err(e)) => return Outcome::Retry(describe(&e.without_url())),
            Some(Ok(None)) => break,
            Some(Ok(Some(c))) => c,
        };
        have += chunk.len() as u64;
        if have > job.max_bytes {
            drop(file);
            let _ = tokio::fs::remove_file(&part).await;
            return Outcome::Fail(format!("the recording is over the {} limit for recordings", mb(job.max_bytes)));
        }
        if !sniffed {
            head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_BYTES - head.len().min(SNIFF_BYTES))]);
            if head.len() >= SNIFF_BYTES {
                sniffed = true;
                if let Err(why) = analyze::sniff(&head, content_type.as_deref()) {
                    drop(file);
                    let _ = tokio::fs::remove_file(&part).await;
                    return Outcome::Fail(why);
                }
            }
        }
        if let Err(e) = file.write_all(&chunk).await {
            return Outcome::Retry(format!("cannot write {}: {e}", part.display()));
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            last_report = Instant::now();
            progress(have, total);
        }
    }
    if let Some(t) = total.filter(|t| *t != have) {
        return Outcome::Retry(format!("the connection broke off after {} of {}", mb(have), mb(t)));
    }
    if let Err(e) = file.flush().await.and(file.sync_all().await) {
        return Outcome::Retry(format!("cannot write {}: {e}", part.display()));
    }
    drop(file);
    progress(have, Some(have));

    // The format comes from the bytes (a resumed file is checked from its start on disk).
    let head = if sniffed && !head.is_empty() { head } else { read_head(&part).await };
    let format = match analyze::sniff(&head, content_type.as_deref()) {
        Ok(f) => f,
        Err(why) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Outcome::Fail(why);
        }
    };
    let path = job.dir.join(final_name(job.call_id, format));
    if let Err(e) = tokio::fs::rename(&part, &path).await {
        return Outcome::Retry(format!("cannot move the recording into {}: {e}", job.dir.display()));
    }
    if let Ok(d) = tokio::fs::File::open(job.dir).await {
        let _ = d.sync_all().await;
    }
    Outcome::Done { path, bytes: have, format }
}

async fn read_head(path: &Path) -> Vec<u8> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    if let Ok(f) = tokio::fs::File::open(path).await {
        let _ = f.take(SNIFF_BYTES as u64).read_to_end(&mut head).await;
    }
    head
}

/// Removes partial files nobody will resume (the call's URL changed, or it is in the vault).
pub(crate) fn remove_partials(dir: &Path, call_id: i64) {
    let prefix = format!("{call_id}-");
    if let Ok(entries) = std::fs::read_dir(dir.join(".partial")) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}
