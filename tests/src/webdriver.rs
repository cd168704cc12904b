//! A small classic-WebDriver client (W3C, no BiDi) over blocking `reqwest`, enough to drive the
//! real window through `tauri-driver`: create a session for an application, find elements by CSS,
//! click, type, run scripts, take screenshots, and close the session.
//!
//! Every call returns [`Result`]: a WebDriver error keeps its code (`"stale element reference"`,
//! `"no such element"`, …) so a caller polling a live page can retry on the transient ones.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The key W3C WebDriver uses for element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver error (`code` is the protocol's error code, or `"http"` for transport failures).
#[derive(Debug, Clone)]
pub struct Error {
    pub code: String,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn transport(e: impl fmt::Display) -> Error {
    Error { code: "http".into(), message: e.to_string() }
}

fn client(timeout: Duration) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(timeout).build().expect("http client")
}

/// Sends one command and unwraps the protocol's `{"value": …}` envelope.
fn send(http: &reqwest::blocking::Client, method: reqwest::Method, url: &str, body: Option<&Value>) -> Result<Value> {
    let mut req = http.request(method, url);
    if let Some(body) = body {
        req = req.json(body);
    }
    let resp = req.send().map_err(transport)?;
    let status = resp.status();
    let text = resp.text().map_err(transport)?;
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|_| Error { code: "http".into(), message: format!("HTTP {status}, not JSON: {text}") })?;
    let value = parsed.get("value").cloned().unwrap_or(Value::Null);
    if !status.is_success() || value.get("error").and_then(Value::as_str).is_some() {
        let code = value.get("error").and_then(Value::as_str).unwrap_or("unknown error").to_string();
        let message = value.get("message").and_then(Value::as_str).unwrap_or(&text).to_string();
        return Err(Error { code, message: format!("{message} (HTTP {status})") });
    }
    Ok(value)
}

/// Whether the driver at `base` (e.g. `http://127.0.0.1:4444`) answers `/status` with `ready`.
pub fn is_ready(base: &str) -> bool {
    send(&client(Duration::from_secs(2)), reqwest::Method::GET, &format!("{base}/status"), None)
        .map(|v| v.get("ready").and_then(Value::as_bool).unwrap_or(false))
        .unwrap_or(false)
}

/// Polls `/status` until the driver is ready, up to `limit`.
pub fn wait_ready(base: &str, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if is_ready(base) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(Error { code: "timeout".into(), message: format!("{base}/status was not ready within {limit:?}") })
}

/// One WebDriver session. Deleted (closing the application) on [`Session::close`] or on drop.
pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
    pub id: String,
    closed: bool,
}

/// A reference to an element of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(pub String);

impl Session {
    /// `POST /session` for a Tauri application (`tauri:options.application`), classic protocol.
    pub fn start(base: &str, application: &Path) -> Result<Session> {
        Session::start_with_args(base, application, &[])
    }

    /// Like [`Session::start`], with command-line arguments for the application.
    pub fn start_with_args(base: &str, application: &Path, args: &[&str]) -> Result<Session> {
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": { "application": application.to_string_lossy(), "args": args }
                }
            }
        });
        let http = client(Duration::from_secs(60));
        let value = send(&http, reqwest::Method::POST, &format!("{base}/session"), Some(&caps))?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| Error { code: "protocol".into(), message: format!("no sessionId in {value}") })?
            .to_string();
        Ok(Session { http, base: base.to_string(), id, closed: false })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{}", self.base, self.id, path)
    }

    fn get(&self, path: &str) -> Result<Value> {
        send(&self.http, reqwest::Method::GET, &self.url(path), None)
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        send(&self.http, reqwest::Method::POST, &self.url(path), Some(&body))
    }

    /// The current URL of the page.
    pub fn current_url(&self) -> Result<String> {
        Ok(self.get("/url")?.as_str().unwrap_or_default().to_string())
    }

    /// Every element matching a CSS selector (possibly none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let v = self.post("/elements", json!({ "using": "css selector", "value": css }))?;
        Ok(v.as_array().map(|a| a.iter().filter_map(element_of).collect()).unwrap_or_default())
    }

    /// The first element matching a CSS selector, if any.
    pub fn find(&self, css: &str) -> Result<Option<Element>> {
        Ok(self.find_all(css)?.into_iter().next())
    }

    /// Clicks an element (WebDriver scrolls it into view and clicks its centre).
    pub fn click(&self, el: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", el.0), json!({})).map(|_| ())
    }

    /// Types text into an element (focusing it first).
    pub fn send_keys(&self, el: &Element, text: &str) -> Result<()> {
        self.post(&format!("/element/{}/value", el.0), json!({ "text": text })).map(|_| ())
    }

    /// Clears an input.
    pub fn clear(&self, el: &Element) -> Result<()> {
        self.post(&format!("/element/{}/clear", el.0), json!({})).map(|_| ())
    }

    /// The rendered (visible) text of an element.
    pub fn text(&self, el: &Element) -> Result<String> {
        Ok(self.get(&format!("/element/{}/text", el.0))?.as_str().unwrap_or_default().to_string())
    }

    /// An attribute of an element, if present.
    pub fn attr(&self, el: &Element, name: &str) -> Result<Option<String>> {
        Ok(self.get(&format!("/element/{}/attribute/{name}", el.0))?.as_str().map(str::to_string))
    }

    /// Whether an element is displayed.
    pub fn displayed(&self, el: &Element) -> Result<bool> {
        Ok(self.get(&format!("/element/{}/displayed", el.0))?.as_bool().unwrap_or(false))
    }

    /// Runs a synchronous script (`return …;`) with arguments; elements may be passed as
    /// [`Element::json`] values.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Runs an asynchronous script: it finishes by calling its last argument with the result.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// Waits for two animation frames, so what the DOM holds has been painted (a screenshot
    /// taken right after a render may still show the previous frame).
    pub fn settle(&self) -> Result<()> {
        self.execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
            vec![],
        )
        .map(|_| ())
    }

    /// Sets the window's size (and position at the origin).
    pub fn set_window_rect(&self, width: u32, height: u32) -> Result<Value> {
        self.post("/window/rect", json!({ "x": 0, "y": 0, "width": width, "height": height }))
    }

    /// A PNG screenshot of the window, base64-encoded as the protocol sends it.
    pub fn screenshot_base64(&self) -> Result<String> {
        Ok(self.get("/screenshot")?.as_str().unwrap_or_default().to_string())
    }

    /// `DELETE /session/{id}`: closes the application.
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        send(&self.http, reqwest::Method::DELETE, &self.url(""), None).map(|_| ())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl Element {
    /// The JSON form of the reference, to pass as a script argument.
    pub fn json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

fn element_of(v: &Value) -> Option<Element> {
    v.get(ELEMENT_KEY).and_then(Value::as_str).map(|s| Element(s.to_string()))
}

/// Polls `f` every 50 ms until it returns `Some`, up to `limit`; on timeout, the last error seen
/// (a WebDriver error inside `f` counts as "not yet").
pub fn poll<T>(limit: Duration, mut f: impl FnMut() -> Result<Option<T>>) -> std::result::Result<T, Option<Error>> {
    let deadline = Instant::now() + limit;
    let mut last: Option<Error> = None;
    loop {
        match f() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last = Some(e),
        }
        if Instant::now() > deadline {
            return Err(last);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// [`poll`], panicking on timeout with `what` and the last error seen.
pub fn wait_for<T>(limit: Duration, what: &str, f: impl FnMut() -> Result<Option<T>>) -> T {
    match poll(limit, f) {
        Ok(v) => v,
        Err(Some(e)) => panic!("timed out after {limit:?} waiting for {what} (last error: {e})"),
        Err(None) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}
