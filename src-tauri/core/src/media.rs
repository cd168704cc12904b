//! The media listener: plays vault recordings to the window.
//!
//! WebKitGTK's `<audio>` cannot play from Tauri's asset protocol or any custom scheme, only from
//! HTTP with byte ranges. So the desktop app runs this second listener on `127.0.0.1:0` — never
//! the webhook listener, which the tunnel makes public. It serves `GET /media/<token>/<call id>`
//! only: a random token per run (compared in constant time), files looked up by call id in the
//! vault (no paths from the request), byte ranges, and `Cache-Control: no-store` so WebKit never
//! keeps a stale copy across runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::store::Store;

#[derive(Clone)]
struct Ctx {
    store: Arc<Store>,
    dir: PathBuf,
    token: Arc<str>,
}

pub struct MediaServer {
    addr: SocketAddr,
    token: String,
    cancel: CancellationToken,
}

impl MediaServer {
    /// Binds `127.0.0.1:0` and serves until [`MediaServer::stop`]. Needs a Tokio runtime.
    pub fn start(store: Arc<Store>, dir: PathBuf) -> std::io::Result<Self> {
        let token = crate::config::new_secret();
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(std_listener)?;
        let app = router(store, dir, &token);
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the media listener stopped");
            }
        });
        tracing::debug!(%addr, "media listener running");
        Ok(Self { addr, token, cancel })
    }

    /// The URL the window plays a call's vault copy from.
    pub fn url(&self, call_id: i64) -> String {
        format!("http://{}/media/{}/{call_id}", self.addr, self.token)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub fn router(store: Arc<Store>, dir: PathBuf, token: &str) -> Router {
    Router::new().route("/media/{token}/{id}", get(serve_recording)).with_state(Ctx { store, dir, token: token.into() })
}

async fn serve_recording(State(ctx): State<Ctx>, Path((token, id)): Path<(String, String)>, req: Request) -> Response {
    let token_ok: bool = token.as_bytes().ct_eq(ctx.token.as_bytes()).into();
    let Some(id) = id.parse::<i64>().ok().filter(|_| token_ok) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let found = {
        let (store, dir) = (ctx.store.clone(), ctx.dir.clone());
        tokio::task::spawn_blocking(move || store.read(|c| crate::recordings::ready_file(c, &dir, id))).await
    };
    let (path, content_type) = match found {
        Ok(Ok(Some(found))) => found,
        Ok(Ok(None)) => return (StatusCode::NOT_FOUND, "no recording in the vault for this call").into_response(),
        Ok(Err(e)) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let range = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut resp = match ServeFile::new(path).oneshot(req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let ok = resp.status().is_success();
    tracing::debug!(
        call_id = id,
        range = range.as_deref().unwrap_or("-"),
        status = resp.status().as_u16(),
        "media request"
    );
    let headers = resp.headers_mut();
    if ok {
        // The format the vault found in the bytes, not a guess from the file name.
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.remove(header::LAST_MODIFIED);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request as HttpRequest;
    use http_body_util::BodyExt;

    async fn get(app: &Router, uri: &str, range: Option<&str>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = HttpRequest::get(uri);
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        let resp = app.clone().oneshot(req.body(Body::empty()).expect("request")).await.expect("response");
        let (parts, body) = resp.into_parts();
        (parts.status, parts.headers, body.collect().await.expect("body").to_bytes().to_vec())
    }

    #[tokio::test]
    async fn serves_ready_recordings_by_id_with_ranges_and_no_caching() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(Store::open(&dir.path().join("postcall.sqlite")).expect("store"));
        let vault = dir.path().join("recordings");
        std::fs::create_dir_all(&vault).expect("vault dir");
        std::fs::write(vault.join("5.mp3"), b"0123456789").expect("file");
        let conn = store.connect().expect("conn");
        crate::recordings::note_url(&conn, 5, "https://x/5.mp3", 0).expect("note");
        crate::recordings::note_url(&conn, 6, "https://x/6.mp3", 0).expect("note");
        conn.execute(
            "UPDATE recordings SET state = 'ready', file = '5.mp3', content_type = 'audio/mpeg' WHERE call_id = 5",
            [],
        )
        .expect("ready");
        let app = router(store, vault, "tok");

        let (status, headers, body) = get(&app, "/media/tok/5", Some("bytes=4-")).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(body, b"456789");
        assert_eq!(headers[header::CONTENT_TYPE], "audio/mpeg");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::CONTENT_RANGE], "bytes 4-9/10");
        let (status, _, body) = get(&app, "/media/tok/5", None).await;
        assert_eq!((status, body.len()), (StatusCode::OK, 10));

        assert_eq!(get(&app, "/media/wrong/5", None).await.0, StatusCode::NOT_FOUND, "wrong token");
        assert_eq!(get(&app, "/media/tok/6", None).await.0, StatusCode::NOT_FOUND, "not in the vault yet");
        assert_eq!(get(&app, "/media/tok/..%2F5.mp3", None).await.0, StatusCode::NOT_FOUND, "ids only");
        assert_eq!(get(&app, "/hooks/tok", None).await.0, StatusCode::NOT_FOUND, "nothing else is served");
    }
}
