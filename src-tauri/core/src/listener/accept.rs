//! Accepting connections: a cap on open sockets and a deadline for every request's headers.
//!
//! Through a tunnel every public socket is a local one, so anyone who can reach the URL can open
//! sockets and say nothing. Three limits keep that from costing a webhook:
//! - **headers within [`AcceptLimits::header_timeout`]**: a socket that has not sent a whole
//!   request head by then is closed. The same clock runs while a kept-alive connection waits for
//!   its next request, so an idle connection is closed after the same time.
//! - **at most [`AcceptLimits::max_connections`] open**: at the cap, a new connection closes the
//!   oldest one that has no request in progress (a silent or idle socket), so a flood of silent
//!   sockets delays a real webhook by nothing; when every open connection is busy with a request,
//!   the new socket is closed at once. Either way the process never holds more sockets than the
//!   cap, whatever the file-descriptor limit.
//! - an accept that fails (out of file descriptors, say) is retried after a pause instead of
//!   ending the listener.
//!
//! What it does not do: limit how fast a body arrives (the router's request timeout does) or
//! tell a slow but honest client from an attacker.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The listener's connection limits.
#[derive(Debug, Clone, Copy)]
pub struct AcceptLimits {
    pub max_connections: usize,
    /// The longest a connection may take to send a request's headers, or stay idle between two
    /// requests.
    pub header_timeout: Duration,
}

impl Default for AcceptLimits {
    fn default() -> Self {
        Self { max_connections: 512, header_timeout: Duration::from_secs(10) }
    }
}

struct Open {
    close: CancellationToken,
    /// Requests of this connection in progress.
    busy: Arc<AtomicUsize>,
}

/// The open connections, oldest first (ids only grow).
pub(super) struct Connections {
    max: usize,
    open: Mutex<BTreeMap<u64, Open>>,
    next: AtomicU64,
}

impl Connections {
    pub(super) fn new(max: usize) -> Self {
        Self { max: max.max(1), open: Mutex::new(BTreeMap::new()), next: AtomicU64::new(0) }
    }

    /// Connections open now.
    pub(super) fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Makes room for one more connection; `None` when every open connection is busy.
    fn admit(&self) -> Option<(u64, CancellationToken, Arc<AtomicUsize>)> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.len() >= self.max {
            let idle = open.iter().find(|(_, o)| o.busy.load(Ordering::Acquire) == 0).map(|(id, _)| *id)?;
            if let Some(evicted) = open.remove(&idle) {
                evicted.close.cancel();
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (close, busy) = (CancellationToken::new(), Arc::new(AtomicUsize::new(0)));
        open.insert(id, Open { close: close.clone(), busy: busy.clone() });
        Some((id, close, busy))
    }

    fn leave(&self, id: u64) {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
}

/// Counts a request in progress on its connection while it lives.
struct InProgress(Arc<AtomicUsize>);

impl InProgress {
    fn enter(busy: &Arc<AtomicUsize>) -> Self {
        busy.fetch_add(1, Ordering::AcqRel);
        Self(busy.clone())
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Accepts and serves connections until `stop`; then lets each finish its request in progress.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: AcceptLimits,
    connections: Arc<Connections>,
    stop: CancellationToken,
) {
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            a = listener.accept() => a,
        };
        while tasks.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of file descriptors (or memory): wait for some to be freed rather than end
                // the listener or spin.
                tracing::warn!(error = %e, "cannot accept a connection; retrying shortly");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some((id, close, busy)) = connections.admit() else {
            tracing::debug!("every connection is busy; closing a new one");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, connections, stop) = (app.clone(), connections.clone(), stop.clone());
        tasks.spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let in_progress = InProgress::enter(&busy);
                let app = app.clone();
                async move {
                    let response = app.oneshot(request).await;
                    drop(in_progress);
                    response
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let stopping = tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended");
                    }
                    false
                }
                // Closed to make room for a newer connection: dropping it closes the socket.
                _ = close.cancelled() => false,
                _ = stop.cancelled() => true,
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                let _ = conn.as_mut().await;
            }
            connections.leave(id);
        });
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
}

/// Errors of one connection that went away before it was accepted; the listener carries on.
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}
