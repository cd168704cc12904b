//! A Cloudflare quick tunnel: `cloudflared tunnel --url http://127.0.0.1:PORT`, supervised.
//! The public URL (`https://<words>.trycloudflare.com`, new at every start) is read from the
//! lines cloudflared writes on stderr. Nothing here reaches Cloudflare itself: the tests use a
//! stand-in executable that prints cloudflared's real output.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::{BoxFuture, ConnectError, Session, TunnelProvider};

pub const INSTALL_HINT: &str = "cloudflared is not installed (or not on PATH). Install it: macOS `brew install \
     cloudflared`; Windows `winget install --id Cloudflare.cloudflared`; Linux: the .deb/.rpm from \
     https://github.com/cloudflare/cloudflared/releases. Or give its path (--cloudflared-path).";

/// How long cloudflared may take to print its URL.
const URL_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct Cloudflared {
    pub binary: Option<PathBuf>,
}

/// The quick-tunnel URL in one line of cloudflared's output, such as
/// `2024-05-01T10:00:00Z INF |  https://some-words-here.trycloudflare.com  |`.
pub fn parse_quick_tunnel_url(line: &str) -> Option<String> {
    let start = line.find("https://")?;
    let rest = &line[start..];
    let end =
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '/'))).unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches('/');
    let host = url.strip_prefix("https://")?;
    // `api.trycloudflare.com` appears in cloudflared's error lines; it is not a tunnel.
    (host.ends_with(".trycloudflare.com") && host != "api.trycloudflare.com" && !host.contains('/'))
        .then(|| url.to_string())
}

impl TunnelProvider for Cloudflared {
    fn name(&self) -> &'static str {
        "cloudflared"
    }

    fn connect(&self, local_port: u16) -> BoxFuture<'_, Result<Session, ConnectError>> {
        Box::pin(async move {
            let binary = self.binary.clone().unwrap_or_else(|| PathBuf::from("cloudflared"));
            let mut child = tokio::process::Command::new(&binary)
                .args(["tunnel", "--url", &format!("http://127.0.0.1:{local_port}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => ConnectError::Fatal(INSTALL_HINT.into()),
                    _ => ConnectError::Retry(format!("cannot start {}: {e}", binary.display())),
                })?;
            let Some(stderr) = child.stderr.take() else {
                return Err(ConnectError::Retry("cloudflared's output could not be read".into()));
            };
            let mut lines = BufReader::new(stderr).lines();
            let mut tail: VecDeque<String> = VecDeque::new();
            let found = tokio::time::timeout(URL_TIMEOUT, async {
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::debug!(%line, "cloudflared");
                    if let Some(url) = parse_quick_tunnel_url(&line) {
                        return Some(url);
                    }
                    if tail.len() == 3 {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
                None
            })
            .await;
            let base = match found {
                Ok(Some(url)) => url,
                Ok(None) => {
                    let status = child.wait().await.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                    let last = Vec::from(tail).join(" / ");
                    return Err(ConnectError::Retry(format!(
                        "cloudflared exited ({status}) before giving a public URL; last output: {last}"
                    )));
                }
                Err(_) => {
                    let _ = child.kill().await;
                    return Err(ConnectError::Retry("cloudflared gave no public URL within 60 s".into()));
                }
            };
            let ended: BoxFuture<'static, String> = Box::pin(async move {
                // Keep reading, so cloudflared never blocks on a full pipe.
                let drain = async {
                    while let Ok(Some(line)) = lines.next_line().await {
                        tracing::debug!(%line, "cloudflared");
                    }
                };
                let (_, status) = tokio::join!(drain, child.wait());
                match status {
                    Ok(s) => format!("cloudflared exited ({s})"),
                    Err(e) => format!("cloudflared could not be watched: {e}"),
                }
            });
            Ok(Session { base, ended })
        })
    }
}
