//! bore (crate `bore-cli`), in process: a TCP tunnel to `bore.pub` or a self-hosted server.
//! The public side is plain HTTP (`http://HOST:PORT`), hence the standing warning.

use super::{BoxFuture, ConnectError, Session, TunnelError, TunnelProvider, BORE_WARNING};

pub(crate) struct Bore {
    host: String,
    /// The public port to ask for; 0 lets the server pick.
    port: u16,
    secret: Option<String>,
}

impl Bore {
    /// `HOST[:PORT]`.
    pub(crate) fn parse(server: &str, secret: Option<String>) -> Result<Self, TunnelError> {
        let server = server.trim();
        let bad = || TunnelError::Config(format!("{server:?} is not a bore server; use HOST or HOST:PORT"));
        let (host, port) = match server.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, p.parse::<u16>().map_err(|_| bad())?),
            _ => (server, 0),
        };
        if host.is_empty() || host.contains('/') {
            return Err(bad());
        }
        Ok(Self { host: host.to_string(), port, secret })
    }
}

/// Words a user can act on, from bore's errors (which never contain the secret).
fn explain(host: &str, e: &anyhow::Error) -> ConnectError {
    let text = format!("{e:#}");
    if text.contains("invalid secret") {
        ConnectError::Fatal(format!(
            "the bore server {host} refused the tunnel secret (invalid secret); check --tunnel-secret"
        ))
    } else if text.contains("requires authentication") || text.contains("requires secret") {
        ConnectError::Fatal(format!("the bore server {host} requires a secret; set --tunnel-secret"))
    } else if text.contains("no secret was required") {
        ConnectError::Fatal(format!("the bore server {host} takes no secret; remove --tunnel-secret"))
    } else {
        ConnectError::Retry(format!("cannot reach the bore server {host}: {text}"))
    }
}

impl TunnelProvider for Bore {
    fn name(&self) -> &'static str {
        "bore"
    }

    fn warning(&self) -> Option<String> {
        Some(BORE_WARNING.into())
    }

    fn connect(&self, local_port: u16) -> BoxFuture<'_, Result<Session, ConnectError>> {
        Box::pin(async move {
            let client =
                bore_cli::client::Client::new("127.0.0.1", local_port, &self.host, self.port, self.secret.as_deref())
                    .await
                    .map_err(|e| explain(&self.host, &e))?;
            let base = format!("http://{}:{}", self.host, client.remote_port());
            let host = self.host.clone();
            let ended: BoxFuture<'static, String> = Box::pin(async move {
                match client.listen().await {
                    Ok(()) => format!("the bore server {host} closed the connection"),
                    Err(e) => format!("the connection to the bore server {host} broke: {e:#}"),
                }
            });
            Ok(Session { base, ended })
        })
    }
}
