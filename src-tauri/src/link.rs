//! Links to a moment of a call: `postcall://call/<id>?t=<seconds>`.
//!
//! The OS hands such a link to `postcall-desktop` (the `.deb` and the app's first run register
//! the `postcall` scheme). A running window gets it from the second instance through the
//! single-instance plugin; a window started by the link reads it from its own arguments. Either
//! way it arrives here as text from outside, so it is checked before the window acts on it: a
//! link that is not exactly a call id and an optional, finite, non-negative time is ignored with
//! a log line. A valid one focuses the window and emits `open-call-link` with [`CallLink`], which the
//! UI answers by opening that call at that time.

use std::ffi::OsString;
use std::sync::Mutex;

use tauri::{AppHandle, Manager};

/// The URL scheme, registered with the OS.
pub const SCHEME: &str = "postcall";

/// Payload of `open-call-link`: `{"id": 42, "t": 12.5}`; `t` is `null` when the link names no time.
pub use postcall_core::contract::shell::OpenCallLink as CallLink;

/// Why a link was ignored (for the log line).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("not a postcall:// link")]
    Scheme,
    #[error("a link names a call as postcall://call/<id>")]
    Shape,
    #[error("the call id is not an integer")]
    Id,
    #[error("t is not a finite, non-negative number of seconds")]
    Time,
}

/// Parses `postcall://call/<id>[?t=<seconds>]`. Other query parameters are ignored; a second
/// `t`, a fragment, user info, a port or more path segments make the link invalid.
pub fn parse(link: &str) -> Result<CallLink, LinkError> {
    let url = tauri::Url::parse(link.trim()).map_err(|_| LinkError::Shape)?;
    if url.scheme() != SCHEME {
        return Err(LinkError::Scheme);
    }
    if !url.host_str().is_some_and(|h| h.eq_ignore_ascii_case("call"))
        || !url.username().is_empty()
        || url.password().is_some()
        || url.port().is_some()
        || url.fragment().is_some()
    {
        return Err(LinkError::Shape);
    }
    let path = url.path().strip_prefix('/').ok_or(LinkError::Shape)?;
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() || path.contains('/') {
        return Err(LinkError::Shape);
    }
    // Digits only (an optional minus sign): no "+5", " 5" or "5.0".
    let digits = path.strip_prefix('-').unwrap_or(path);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LinkError::Id);
    }
    let id: i64 = path.parse().map_err(|_| LinkError::Id)?;
    let mut t = None;
    for (key, value) in url.query_pairs() {
        if key != "t" {
            continue;
        }
        if t.is_some() {
            return Err(LinkError::Time);
        }
        let seconds: f64 = value.trim().parse().map_err(|_| LinkError::Time)?;
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(LinkError::Time);
        }
        t = Some(seconds);
    }
    Ok(CallLink { id, t })
}

/// Splits the command line into the arguments for the CLI parser and the `postcall:` links among
/// them (which the parser would refuse as unknown arguments).
pub fn split_args(args: impl IntoIterator<Item = OsString>) -> (Vec<OsString>, Vec<String>) {
    let mut rest = Vec::new();
    let mut links = Vec::new();
    for arg in args {
        match arg.to_str() {
            Some(s) if is_link(s) => links.push(s.to_string()),
            _ => rest.push(arg),
        }
    }
    (rest, links)
}

fn is_link(arg: &str) -> bool {
    arg.get(..SCHEME.len()).is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
        && arg.get(SCHEME.len()..).is_some_and(|rest| rest.starts_with(':'))
}

/// Links wait here until the data folder is open and the calls can be shown (the app may have
/// been started by the link); from then on they go to the window at once.
/// Links that arrived before they could be shown. A link is passed on only once both the data
/// folder is open (`ready`) and the page listens for [`EVENT`] (`ui_ready`, which the page calls
/// after subscribing): a window started by a link gets it before its page has loaded, and an
/// event emitted then would be lost.
#[derive(Default)]
pub struct Links(Mutex<LinkQueue>);

#[derive(Default)]
struct LinkQueue {
    service_ready: bool,
    ui_ready: bool,
    pending: Option<CallLink>,
}

impl LinkQueue {
    fn open(&self) -> bool {
        self.service_ready && self.ui_ready
    }
}

/// Acts on one link from the OS: focuses the window and tells it to open the call, or logs why
/// the link was ignored.
pub fn open(app: &AppHandle, link: &str) {
    let target = match parse(link) {
        Ok(target) => target,
        // The link's text is not logged: it came from outside and may be long or odd.
        Err(e) => {
            tracing::warn!(error = %e, "ignored a postcall:// link");
            return;
        }
    };
    tracing::info!(id = target.id, t = ?target.t, "opening a link to a call");
    let Some(links) = app.try_state::<Links>() else { return };
    let now = {
        let mut q = links.0.lock().unwrap_or_else(|e| e.into_inner());
        if !q.open() {
            q.pending = Some(target);
        }
        q.open()
    };
    if now {
        emit(app, target);
    }
}

/// The calls can be shown: delivers the link that arrived before, if the page listens already.
pub fn ready(app: &AppHandle) {
    let Some(links) = app.try_state::<Links>() else { return };
    let pending = {
        let mut q = links.0.lock().unwrap_or_else(|e| e.into_inner());
        q.service_ready = true;
        if q.open() {
            q.pending.take()
        } else {
            None
        }
    };
    if let Some(target) = pending {
        emit(app, target);
    }
}

/// The page listens for links now. Returns the link that arrived before, when the calls can be
/// shown already (otherwise [`ready`] emits it later).
#[tauri::command]
pub fn links_ready(app: AppHandle) -> Option<CallLink> {
    let links = app.try_state::<Links>()?;
    let mut q = links.0.lock().unwrap_or_else(|e| e.into_inner());
    q.ui_ready = true;
    let pending = if q.open() { q.pending.take() } else { None };
    drop(q);
    if pending.is_some() {
        crate::desktop::show_main(&app);
    }
    pending
}

fn emit(app: &AppHandle, target: CallLink) {
    crate::desktop::show_main(app);
    if let Err(e) = crate::commands::emit(app, &target) {
        tracing::warn!(error = %e, "could not pass a link to the window");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(link: &str) -> CallLink {
        parse(link).unwrap_or_else(|e| panic!("{link:?} should parse: {e}"))
    }

    #[test]
    fn a_call_and_a_time() {
        assert_eq!(ok("postcall://call/42?t=12.5"), CallLink { id: 42, t: Some(12.5) });
        assert_eq!(ok("postcall://call/42?t=0"), CallLink { id: 42, t: Some(0.0) });
        assert_eq!(ok("postcall://call/42"), CallLink { id: 42, t: None });
        assert_eq!(ok("postcall://call/42/"), CallLink { id: 42, t: None });
        assert_eq!(ok("postcall://call/7?x=1&t=5"), CallLink { id: 7, t: Some(5.0) });
        assert_eq!(ok("POSTCALL://CALL/9?t=1"), CallLink { id: 9, t: Some(1.0) });
        assert_eq!(ok("postcall://call/9007199254740993"), CallLink { id: 9_007_199_254_740_993, t: None });
    }

    #[test]
    fn the_payload_the_window_receives() {
        let json = |l: CallLink| serde_json::to_string(&l).expect("serialize");
        assert_eq!(json(ok("postcall://call/42?t=5")), r#"{"id":42,"t":5.0}"#);
        assert_eq!(json(ok("postcall://call/42")), r#"{"id":42,"t":null}"#);
    }

    #[test]
    fn anything_else_is_refused() {
        for (link, why) in [
            ("https://call/42", LinkError::Scheme),
            ("postcall://calls/42", LinkError::Shape),
            ("postcall://call/", LinkError::Shape),
            ("postcall://call", LinkError::Shape),
            ("postcall://call/42/7", LinkError::Shape),
            ("postcall://call/42#x", LinkError::Shape),
            ("postcall://user@call/42", LinkError::Shape),
            ("postcall://call:99/42", LinkError::Shape),
            ("postcall:call/42", LinkError::Shape),
            ("postcall://call/abc", LinkError::Id),
            ("postcall://call/4.2", LinkError::Id),
            ("postcall://call/+42", LinkError::Id),
            ("postcall://call/%34%32", LinkError::Id),
            ("postcall://call/99999999999999999999", LinkError::Id),
            ("postcall://call/42?t=-1", LinkError::Time),
            ("postcall://call/42?t=NaN", LinkError::Time),
            ("postcall://call/42?t=inf", LinkError::Time),
            ("postcall://call/42?t=1e400", LinkError::Time),
            ("postcall://call/42?t=", LinkError::Time),
            ("postcall://call/42?t=5s", LinkError::Time),
            ("postcall://call/42?t=1&t=2", LinkError::Time),
            ("", LinkError::Shape),
            ("not a url", LinkError::Shape),
        ] {
            assert_eq!(parse(link), Err(why), "{link:?}");
        }
    }

    #[test]
    fn links_are_taken_out_of_the_command_line() {
        let args = ["postcall-desktop", "--data-dir", "/d", "postcall://call/1?t=2", "Postcall:x", "pöstcall:x"]
            .map(OsString::from);
        let (rest, links) = split_args(args);
        assert_eq!(rest, ["postcall-desktop", "--data-dir", "/d", "pöstcall:x"].map(OsString::from));
        assert_eq!(links, ["postcall://call/1?t=2", "Postcall:x"]);
        let (rest, links) = split_args(["postcall-desktop", "postcall", "serve"].map(OsString::from));
        assert_eq!(rest.len(), 3);
        assert!(links.is_empty());
    }
}
