//! ngrok (crate `ngrok`), in process: an HTTPS endpoint on ngrok's edge, forwarded to the
//! listener. Needs the user's authtoken; a reserved domain gives a stable URL.

use std::time::Duration;

use ngrok::prelude::{EndpointInfo, Error as _, ForwarderBuilder as _};

use super::{BoxFuture, ConnectError, Session, TunnelProvider};

/// The environment variable that holds the authtoken (and wins over a saved one).
pub const NGROK_AUTHTOKEN_ENV: &str = "POSTCALL_NGROK_AUTHTOKEN";

/// What to say when there is no authtoken at all.
pub const NO_AUTHTOKEN: &str = "ngrok needs an authtoken: set POSTCALL_NGROK_AUTHTOKEN or paste it in Connect \
     (dashboard.ngrok.com → Your Authtoken)";

/// How long one connect attempt (session and endpoint) may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) struct Ngrok {
    pub(crate) authtoken: Option<String>,
    pub(crate) domain: Option<String>,
    /// The ngrok service to dial; `None`: ngrok's own. Tests point it at a dead address.
    pub(crate) server_addr: Option<String>,
    pub(crate) connect_timeout: Duration,
}

impl Ngrok {
    /// The authtoken from [`NGROK_AUTHTOKEN_ENV`] if set, else `saved`; blanks count as none.
    pub(crate) fn new(domain: Option<String>, saved: Option<String>) -> Self {
        let env = std::env::var(NGROK_AUTHTOKEN_ENV).ok();
        let authtoken = env.filter(|t| !t.trim().is_empty()).or(saved).map(|t| t.trim().to_string());
        Self {
            authtoken: authtoken.filter(|t| !t.is_empty()),
            domain: domain.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
            server_addr: None,
            connect_timeout: CONNECT_TIMEOUT,
        }
    }

    async fn open(&self, token: &str, local_port: u16) -> Result<Session, ConnectError> {
        let mut builder = ngrok::Session::builder();
        builder.authtoken(token);
        if let Some(addr) = &self.server_addr {
            builder.server_addr(addr.as_str()).map_err(|e| ConnectError::Fatal(e.to_string()))?;
        }
        let session = builder.connect().await.map_err(|e| explain_connect(&e))?;
        let mut endpoint = session.http_endpoint();
        if let Some(domain) = &self.domain {
            endpoint.domain(domain.as_str());
        }
        let to = reqwest::Url::parse(&format!("http://127.0.0.1:{local_port}"))
            .map_err(|e| ConnectError::Fatal(format!("bad local address: {e}")))?;
        let mut forwarder = endpoint.listen_and_forward(to).await.map_err(|e| explain_endpoint(&e))?;
        let base = forwarder.url().to_string();
        let ended: BoxFuture<'static, String> = Box::pin(async move {
            // Keep the session alive as long as the forwarder runs.
            let _session = session;
            match forwarder.join().await {
                Ok(Ok(())) => "ngrok closed the tunnel".to_string(),
                Ok(Err(e)) => format!("the ngrok tunnel broke: {}", chain(e.as_ref())),
                Err(e) => format!("the ngrok tunnel stopped: {e}"),
            }
        });
        Ok(Session { base, ended })
    }
}

/// An error and its causes, on one line (ngrok's top-level messages say little on their own).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Words a user can act on, from a failed session start (never containing the authtoken).
pub(crate) fn explain_connect(e: &ngrok::session::ConnectError) -> ConnectError {
    use ngrok::session::ConnectError as E;
    match e {
        // ngrok answered and said no: an error code such as ERR_NGROK_105 (bad authtoken).
        E::Auth(rpc) if rpc.error_code().is_some() => {
            let code = rpc.error_code().unwrap_or_default();
            let msg = one_line(&rpc.msg());
            if matches!(code, "ERR_NGROK_105" | "ERR_NGROK_106" | "ERR_NGROK_107") {
                ConnectError::Fatal(format!(
                    "ngrok refused the authtoken ({code}): {msg}; copy it again from dashboard.ngrok.com → Your Authtoken"
                ))
            } else {
                ConnectError::Fatal(format!("ngrok refused the session ({code}): {msg}"))
            }
        }
        _ => ConnectError::Retry(format!("cannot reach ngrok: {}", chain(e))),
    }
}

/// Words for a failed endpoint (for example a domain that is not reserved on this account).
fn explain_endpoint(e: &ngrok::session::RpcError) -> ConnectError {
    match e.error_code() {
        Some(code) => ConnectError::Fatal(format!("ngrok refused the endpoint ({code}): {}", one_line(&e.msg()))),
        None => ConnectError::Retry(format!("cannot reach ngrok: {}", chain(e))),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl TunnelProvider for Ngrok {
    fn name(&self) -> &'static str {
        "ngrok"
    }

    fn connect(&self, local_port: u16) -> BoxFuture<'_, Result<Session, ConnectError>> {
        Box::pin(async move {
            let Some(token) = self.authtoken.as_deref() else {
                return Err(ConnectError::Fatal(NO_AUTHTOKEN.into()));
            };
            match tokio::time::timeout(self.connect_timeout, self.open(token, local_port)).await {
                Ok(r) => r,
                Err(_) => Err(ConnectError::Retry(format!(
                    "cannot reach ngrok: no answer within {} s",
                    self.connect_timeout.as_secs()
                ))),
            }
        })
    }
}
