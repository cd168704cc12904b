//! Real audio for the recording tests, and a recording host to serve it from.
//!
//! [`speech`] speaks a text with espeak-ng and encodes it with ffmpeg (MP3, AAC in M4A, WAV), so
//! every test decodes genuine compressed audio. [`RecordingHost`] is a small HTTP/1.1 server on
//! 127.0.0.1 written on raw sockets, so a test can make it misbehave exactly: answer 404, send an
//! HTML page, demand a Bearer token, or break the connection half-way through a body. It honours
//! `Range: bytes=N-` and logs every request's path and range.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {what}: {e}. Install it with: sudo apt install espeak-ng ffmpeg (or run `make deps`)")
    });
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Speaks `text` into `dir/name.<ext>` (`ext`: mp3, m4a or wav), padded with silence to at
/// least `min_seconds`. Returns the file's path.
pub fn speech(dir: &Path, name: &str, text: &str, ext: &str, min_seconds: f64) -> PathBuf {
    let wav = dir.join(format!("{name}-speech.wav"));
    run(Command::new("espeak-ng").arg("-w").arg(&wav).arg(text), "espeak-ng");
    let out = dir.join(format!("{name}.{ext}"));
    let codec: &[&str] = match ext {
        "mp3" => &["-c:a", "libmp3lame", "-b:a", "64k"],
        "m4a" => &["-c:a", "aac", "-b:a", "64k"],
        "wav" => &["-c:a", "pcm_s16le"],
        other => panic!("no encoder set up for .{other}"),
    };
    run(
        Command::new("ffmpeg")
            .args(["-y", "-loglevel", "error", "-i"])
            .arg(&wav)
            .args(["-af", &format!("apad=whole_dur={min_seconds}")])
            .args(codec)
            .arg(&out),
        "ffmpeg",
    );
    out
}

/// The duration ffprobe reads from a file, in seconds.
pub fn probe_duration(path: &Path) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1"])
        .arg(path)
        .output()
        .expect("run ffprobe (part of ffmpeg)");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or_else(|_| panic!("no duration for {}", path.display()))
}

/// How the host answers for one path.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// The bytes, with ranges.
    Serve,
    /// The first request gets half the body (with the full Content-Length), then the
    /// connection closes; later ones are served normally.
    BreakFirst,
    /// 404 Not Found.
    Missing,
    /// An HTML login page with `Content-Type: text/html`.
    Html,
    /// 401 unless `Authorization: Bearer <token>`.
    Bearer(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub path: String,
    pub range: Option<String>,
    pub authorization: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct HostState {
    files: HashMap<String, (Vec<u8>, String, Behaviour)>,
    log: Vec<Logged>,
}

pub struct RecordingHost {
    pub base: String,
    state: Arc<Mutex<HostState>>,
    _rt: tokio::runtime::Runtime,
}

impl RecordingHost {
    pub fn start() -> RecordingHost {
        Self::start_on(0)
    }

    /// On a given loopback port (0: any free one).
    pub fn start_on(port: u16) -> RecordingHost {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let listener =
            rt.block_on(tokio::net::TcpListener::bind(("127.0.0.1", port))).expect("bind the recording host");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(HostState::default()));
        let shared = state.clone();
        rt.spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(handle(sock, shared.clone()));
            }
        });
        RecordingHost { base: format!("http://127.0.0.1:{port}"), state, _rt: rt }
    }

    /// Serves `bytes` at `/rec/<name>` with `content_type`, behaving as told. Returns the URL.
    pub fn put(&self, name: &str, bytes: Vec<u8>, content_type: &str, how: Behaviour) -> String {
        let path = format!("/rec/{name}");
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .files
            .insert(path.clone(), (bytes, content_type.to_string(), how));
        format!("{}{path}", self.base)
    }

    /// Every request for `/rec/<name>` so far.
    pub fn requests(&self, name: &str) -> Vec<Logged> {
        let path = format!("/rec/{name}");
        self.state.lock().unwrap_or_else(|e| e.into_inner()).log.iter().filter(|l| l.path == path).cloned().collect()
    }
}

async fn handle(mut sock: tokio::net::TcpStream, state: Arc<Mutex<HostState>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let range = headers.get("range").cloned();
    let authorization = headers.get("authorization").cloned();
    let (file, first) = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        let first = !s.log.iter().any(|l| l.path == path);
        (s.files.get(&path).cloned(), first)
    };
    let (status, reason, content_type, body, break_at, extra) = match file {
        None => (404, "Not Found", "text/plain".to_string(), b"no such file".to_vec(), None, String::new()),
        Some((_, _, Behaviour::Missing)) => {
            (404, "Not Found", "text/plain".to_string(), b"not found".to_vec(), None, String::new())
        }
        Some((_, _, Behaviour::Html)) => (
            200,
            "OK",
            "text/html; charset=utf-8".to_string(),
            b"<!doctype html><html><body><form>Please sign in</form></body></html>".to_vec(),
            None,
            String::new(),
        ),
        Some((_, _, Behaviour::Bearer(token))) if authorization.as_deref() != Some(&format!("Bearer {token}")) => {
            (401, "Unauthorized", "text/plain".to_string(), b"sign in first".to_vec(), None, String::new())
        }
        Some((bytes, ct, how)) => {
            let start = range
                .as_deref()
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|n| n.parse::<usize>().ok());
            let break_at = (how == Behaviour::BreakFirst && first).then_some(bytes.len() / 2);
            match start {
                Some(s) if s < bytes.len() => {
                    let extra = format!("Content-Range: bytes {s}-{}/{}\r\n", bytes.len() - 1, bytes.len());
                    (206, "Partial Content", ct, bytes[s..].to_vec(), break_at, extra)
                }
                Some(_) => (
                    416,
                    "Range Not Satisfiable",
                    ct,
                    Vec::new(),
                    None,
                    format!("Content-Range: bytes */{}\r\n", bytes.len()),
                ),
                None => (200, "OK", ct, bytes, break_at, "Accept-Ranges: bytes\r\n".to_string()),
            }
        }
    };
    state.lock().unwrap_or_else(|e| e.into_inner()).log.push(Logged { path, range, authorization, status });
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    if sock.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let upto = break_at.unwrap_or(body.len());
    let _ = sock.write_all(&body[..upto]).await;
    let _ = sock.flush().await;
    if break_at.is_some() {
        // Give the client time to read the half it got, then cut the connection.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let _ = sock.shutdown().await;
}
