//! Downloading one recording: http(s) only, streamed to a partial file that a later attempt
//! resumes with a `Range` request, capped in size, checked to be audio by its bytes, then
//! fsynced and renamed into the vault in one step so a crash never leaves half a file there.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::analyze::{self, Format};

/// How much of the start of a file is enough to tell its format.
const SNIFF_BYTES: usize = 64 * 1024;
/// A stalled download (no byte for this long) is dropped and retried later.
const STALL: Duration = Duration::from_secs(60);

pub(crate) struct Job<'a> {
    pub call_id: i64,
    pub url: &'a str,
    pub dir: &'a Path,
    pub max_bytes: u64,
    /// Where the Intellixent API key is looked up, only when a host refuses access (the lookup
    /// may ask the OS keyring).
    pub data: &'a crate::config::DataDir,
}

#[derive(Debug)]
pub(crate) enum Outcome {
    /// In the vault at `path` (the final name).
    Done { path: PathBuf, bytes: u64, format: Format },
    /// Worth trying again later (network, 5xx, 429, a stall); the partial file is kept.
    Retry(String),
    /// Trying again will not help (404, not audio, too large, not http).
    Fail(String),
}

fn partial_path(dir: &Path, call_id: i64, url: &str) -> PathBuf {
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

/// Runs one download attempt. `progress(received, total)` is called at most a few times a second.
pub(crate) async fn download(
    client: &reqwest::Client,
    job: &Job<'_>,
    cancel: &CancellationToken,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Outcome {
    if !super::is_http(job.url) {
        return Outcome::Fail("only http(s) recording URLs are downloaded".into());
    }
    let part = partial_path(job.dir, job.call_id, job.url);
    if let Some(parent) = part.parent() {
        if let Err(e) = tokio::fs::create_dir_all(parent).await {
            return Outcome::Retry(format!("cannot create {}: {e}", parent.display()));
        }
    }
    // Looked up once, at the first 401/403: None = not asked yet.
    let mut api_key: Option<Option<String>> = None;
    let mut restarts = 0;
    let (resp, mut have) = loop {
        let have = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
        let mut req = client.get(job.url);
        if have > 0 {
            req = req.header(RANGE, format!("bytes={have}-"));
        }
        if let Some(Some(key)) = &api_key {
            req = req.bearer_auth(key);
        }
        let resp = tokio::select! {
            r = req.send() => r,
            () = cancel.cancelled() => return Outcome::Retry("stopped".into()),
        };
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return Outcome::Retry(describe(&e.without_url())),
        };
        let status = resp.status();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                if api_key.is_none() {
                    let data = job.data.clone();
                    let key = tokio::task::spawn_blocking(move || crate::backfill::api_key(&data)).await.ok().flatten();
                    let found = key.is_some();
                    api_key = Some(key);
                    if found {
                        continue; // once more, with the key
                    }
                }
                let hint = if matches!(api_key, Some(Some(_))) {
                    " even with the Intellixent API key"
                } else {
                    "; if it needs signing in, add the Intellixent API key under Sync"
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
            StatusCode::PARTIAL_CONTENT if have > 0 => break (resp, have),
            StatusCode::OK => break (resp, 0),
            s if s == StatusCode::REQUEST_TIMEOUT || s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                return Outcome::Retry(format!("the recording host answered {}", s.as_u16()))
            }
            s => return Outcome::Fail(format!("the recording host answered {}", s.as_u16())),
        }
    };

    let header = |name| resp.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok());
    let content_type = header(CONTENT_TYPE).map(str::to_string);
    let total = if have > 0 {
        header(CONTENT_RANGE).and_then(|v| v.rsplit('/').next()).and_then(|t| t.trim().parse::<u64>().ok())
    } else {
        header(CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok())
    };
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
        let chunk = tokio::select! {
            c = tokio::time::timeout(STALL, resp.chunk()) => c,
            () = cancel.cancelled() => return Outcome::Retry("stopped".into()),
        };
        let chunk = match chunk {
            Err(_) => return Outcome::Retry("the download stalled".into()),
            Ok(Err(e)) => return Outcome::Retry(describe(&e.without_url())),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(c))) => c,
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
