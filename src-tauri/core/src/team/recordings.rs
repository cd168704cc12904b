//! Recordings through the team server: the object store `POSTCALL_RECORDINGS`.
//!
//! A laptop may not be allowed to reach Intellixent's storage, and a recording URL may have
//! expired by the time a reviewer opens the call, so the receiver shares the copy in its vault.
//!
//! - **Receiver** ([`upload`]): every ready recording in the vault is put into the object store
//!   under its call id, with a hash of the URL it came from. What went up is recorded per call in
//!   `team.sqlite` (`uploaded_recordings`: the vault's `fetched_ms` and the digest), so the
//!   vault's ready rows that have no matching record there are the outbox: an upload that fails
//!   is retried with back-off from what is still unrecorded, and a recording fetched again (a new
//!   URL) goes up again. Unlike the journal, the vault's rows change in place, so a per-call
//!   record rather than a single mark says what is done. After a put, the digest the object store
//!   computed must equal ours of the file, else the upload counts as failed.
//! - **Laptop** ([`TeamSource::fetch`]): the vault asks the joined team server first, on first
//!   play or by its background policy alike. The bytes are streamed to a partial file (private,
//!   `0600`) while a SHA-256 of them is kept; the object store's reader checks its digest, and we
//!   check ours against the object's again, so a mismatch is an error on the recording, never a
//!   silently bad file. Only then is the file renamed into the vault, and the vault analyses it
//!   (duration, peaks) like any download. No copy on the server (or no server in reach) falls
//!   back to the recording URL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::object_store::{self, ObjectMetadata, ObjectStore};
use base64::Engine as _;
use rusqlite::params;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::state::TeamState;
use super::{connect, settings, Connection, Endpoint, TeamError};
use crate::config::DataDir;
use crate::recordings::analyze;
use crate::recordings::fetch::{final_name, Outcome};
use crate::store::Store;
use crate::time::now_ms;

/// The object store holding the receiver's recordings, one object per call (name = call id).
pub const RECORDINGS_BUCKET: &str = "POSTCALL_RECORDINGS";
/// Object metadata: the hex SHA-256 of the recording URL the bytes came from, so a laptop never
/// takes an older recording for a call whose URL changed since.
const URL_HASH: &str = "postcall-url-sha256";
/// Uploads made before waiting on the vault again.
const BATCH: usize = 64;
/// How often the vault is looked at when no recording became ready in this process (one fetched
/// by another, say).
const POLL: Duration = Duration::from_secs(10);
/// After the team server could not be reached, downloads go straight to the URL for this long.
const UNREACHABLE_PAUSE: Duration = Duration::from_secs(30);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS uploaded_recordings (
    call_id     INTEGER PRIMARY KEY,
    fetched_ms  INTEGER NOT NULL,
    digest      TEXT    NOT NULL,
    bytes       INTEGER NOT NULL,
    uploaded_ms INTEGER NOT NULL
);
";

/// The object store's digest form: `SHA-256=` and the URL-safe base64 of the hash.
pub fn digest_string(hash: &[u8]) -> String {
    format!("SHA-256={}", base64::engine::general_purpose::URL_SAFE.encode(hash))
}

fn url_hash(url: &str) -> String {
    Sha256::digest(url.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn object_name(call_id: i64) -> String {
    call_id.to_string()
}

/// A ready recording in the receiver's vault.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    pub call_id: i64,
    pub url: String,
    pub fetched_ms: i64,
}

fn ensure_schema(state: &TeamState) -> Result<(), TeamError> {
    Ok(state.with(|c| c.execute_batch(SCHEMA))?)
}

/// Ready recordings in the vault that the object store does not hold yet, oldest call first.
pub fn pending(store: &Store, state: &TeamState) -> Result<Vec<Ready>, TeamError> {
    ensure_schema(state)?;
    let done: HashMap<i64, i64> = state.with(|c| {
        let mut stmt = c.prepare_cached("SELECT call_id, fetched_ms FROM uploaded_recordings")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    })?;
    let ready: Vec<Ready> = store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT call_id, url, ifnull(fetched_ms, 0) FROM recordings
             WHERE state = 'ready' AND file IS NOT NULL ORDER BY call_id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok(Ready { call_id: r.get(0)?, url: r.get(1)?, fetched_ms: r.get(2)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?;
    Ok(ready.into_iter().filter(|r| done.get(&r.call_id) != Some(&r.fetched_ms)).collect())
}

fn record_uploaded(state: &TeamState, r: &Ready, digest: &str, bytes: u64) -> Result<(), TeamError> {
    Ok(state.with(|c| {
        c.execute(
            "INSERT OR REPLACE INTO uploaded_recordings (call_id, fetched_ms, digest, bytes, uploaded_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.call_id, r.fetched_ms, digest, bytes as i64, now_ms()],
        )
        .map(drop)
    })?)
}

/// The bucket, created with file storage when missing (the receiver's user may create it).
pub async fn ensure_bucket(conn: &Connection) -> Result<ObjectStore, TeamError> {
    if let Ok(store) = conn.jetstream.get_object_store(RECORDINGS_BUCKET).await {
        return Ok(store);
    }
    conn.jetstream
        .create_object_store(object_store::Config {
            bucket: RECORDINGS_BUCKET.to_string(),
            description: Some("Postcall: the receiver's recordings, one object per call id".into()),
            storage: async_nats::jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|e| conn.explain(e))
}

/// SHA-256 of a file, read in blocks.
async fn file_digest(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 128 * 1024];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        total += n as u64;
    }
    Ok((digest_string(&hash.finalize()), total))
}

/// Puts one recording into the object store (unless it holds these bytes for this URL already)
/// and records it. Returns whether bytes went up.
async fn upload_one(
    bucket: &ObjectStore,
    conn: &Connection,
    store: &Store,
    state: &TeamState,
    dir: &Path,
    r: &Ready,
) -> Result<bool, TeamError> {
    let Some((path, _)) = store.read(|c| crate::recordings::ready_file(c, dir, r.call_id))? else {
        return Ok(false); // pruned or replaced meanwhile; the next look sees its new state
    };
    // A file that cannot be read is this node's problem, not the server's: it is skipped (and
    // tried again at the next look) so it never holds up the recordings after it.
    let unreadable = |e: std::io::Error| {
        tracing::warn!(call_id = r.call_id, file = %path.display(), error = %e, "cannot read a recording to upload");
        Ok(false)
    };
    let (digest, bytes) = match file_digest(&path).await {
        Ok(d) => d,
        Err(e) => return unreadable(e),
    };
    let name = object_name(r.call_id);
    let hashed_url = url_hash(&r.url);
    if let Ok(info) = bucket.info(&name).await {
        if info.digest.as_deref() == Some(digest.as_str()) && info.metadata.get(URL_HASH) == Some(&hashed_url) {
            record_uploaded(state, r, &digest, bytes)?;
            return Ok(false);
        }
    }
    let meta = ObjectMetadata {
        name,
        description: None,
        chunk_size: None,
        metadata: HashMap::from([(URL_HASH.to_string(), hashed_url)]),
        headers: None,
    };
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => return unreadable(e),
    };
    let info = bucket.put(meta, &mut file).await.map_err(|e| conn.explain(e))?;
    if info.digest.as_deref() != Some(digest.as_str()) || info.size as u64 != bytes {
        return Err(TeamError::Nats(format!(
            "the recording of call {} changed while it was uploaded (digest {} ≠ {digest}); it goes up again",
            r.call_id,
            info.digest.as_deref().unwrap_or("none")
        )));
    }
    record_uploaded(state, r, &digest, bytes)?;
    Ok(true)
}

/// What the uploader reports on the way.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadProgress {
    Uploaded { call_id: i64 },
    Failed(String),
}

/// On the receiver: puts the vault's recordings into [`RECORDINGS_BUCKET`] until `cancel`,
/// woken by the vault's progress events, retrying with back-off while the server is unreachable.
pub async fn upload(
    store: Arc<Store>,
    state: TeamState,
    dir: PathBuf,
    endpoint: Endpoint,
    mut wake: broadcast::Receiver<crate::recordings::vault::Progress>,
    cancel: CancellationToken,
    mut progress: impl FnMut(UploadProgress) + Send,
) {
    let mut backoff = Duration::ZERO;
    let mut link: Option<(Connection, ObjectStore)> = None;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let step = async {
            let (conn, bucket) = match &link {
                Some(l) => l.clone(),
                None => {
                    let c = connect(&endpoint).await?;
                    let b = ensure_bucket(&c).await?;
                    link = Some((c.clone(), b.clone()));
                    (c, b)
                }
            };
            let todo = pending(&store, &state)?;
            for r in todo.iter().take(BATCH) {
                if upload_one(&bucket, &conn, &store, &state, &dir, r).await? {
                    progress(UploadProgress::Uploaded { call_id: r.call_id });
                }
            }
            Ok::<bool, TeamError>(todo.len() > BATCH)
        };
        match step.await {
            Ok(more) => {
                if !backoff.is_zero() {
                    // This task's own failure is over (the publisher clears its own on connect).
                    let _ = state.set_info("last_error", None);
                }
                backoff = Duration::ZERO;
                if more {
                    continue;
                }
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    () = became_ready(&mut wake) => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
            Err(e) => {
                let message = format!("uploading recordings: {e}");
                let _ = state.set_info("last_error", Some(&message));
                progress(UploadProgress::Failed(e.to_string()));
                if matches!(e, TeamError::Unreachable { .. } | TeamError::Refused { .. }) {
                    link = None;
                }
                backoff = super::next_backoff(backoff);
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
            }
        }
    }
}

/// Returns when the vault reports a recording ready (or lost track of its events); download
/// progress does not wake the uploader.
async fn became_ready(rx: &mut broadcast::Receiver<crate::recordings::vault::Progress>) {
    loop {
        match rx.recv().await {
            Ok(p) if p.state == "ready" => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// Counts what [`upload`] still has to put up, for `postcall team status`.
pub fn pending_count(store: &Store, state: &TeamState) -> Result<i64, TeamError> {
    Ok(pending(store, state)?.len() as i64)
}

/// Streams `reader` into `part` (created `0600`), at most `max_bytes`, hashing what is written,
/// and checks the hash against `expected` (the object store's `SHA-256=…`). Returns the size and
/// the first bytes (for the format). On any failure the partial file is removed.
pub async fn write_checked(
    reader: &mut (impl AsyncRead + Unpin),
    part: &Path,
    expected: Option<&str>,
    max_bytes: u64,
) -> Result<(u64, Vec<u8>), String> {
    let result = async {
        let mut options = tokio::fs::OpenOptions::new();
        options.create(true).write(true).truncate(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(part).await.map_err(|e| format!("cannot write {}: {e}", part.display()))?;
        let mut hash = Sha256::new();
        let mut head = Vec::new();
        let mut total = 0u64;
        let mut buf = vec![0u8; 128 * 1024];
        loop {
            let n = reader.read(&mut buf).await.map_err(|e| {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    format!("the team server's copy failed its digest check ({e})")
                } else {
                    format!("the team server's copy could not be read: {e}")
                }
            })?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > max_bytes {
                return Err(format!("the team server's copy is over the {max_bytes}-byte limit for recordings"));
            }
            hash.update(&buf[..n]);
            if head.len() < 64 * 1024 {
                head.extend_from_slice(&buf[..n.min(64 * 1024 - head.len())]);
            }
            file.write_all(&buf[..n]).await.map_err(|e| format!("cannot write {}: {e}", part.display()))?;
        }
        let got = digest_string(&hash.finalize());
        if expected != Some(got.as_str()) {
            return Err(format!(
                "the team server's copy failed its digest check: expected {}, the bytes received hash to {got}; \
                 it was not kept",
                expected.unwrap_or("no digest")
            ));
        }
        file.flush().await.and(file.sync_all().await).map_err(|e| format!("cannot write {}: {e}", part.display()))?;
        Ok((total, head))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(part).await;
    }
    result
}

/// What the team server had for a recording.
pub(crate) enum TeamFetch {
    /// This data folder has not joined a team.
    NoTeam,
    /// No copy for this URL on the server (yet), or the server is out of reach.
    NotThere,
    /// The server's copy, in the vault, or why not.
    Got(Outcome),
}

impl TeamFetch {
    /// The server's copy, else what `download` (from the recording URL) gives. While the team
    /// server may still get a copy (the receiver downloads it too), a failure of the URL is
    /// retried later rather than final.
    pub(crate) async fn or_url(self, download: impl std::future::Future<Output = Outcome>) -> Outcome {
        match self {
            Self::Got(outcome) => outcome,
            Self::NoTeam => download.await,
            Self::NotThere => match download.await {
                Outcome::Fail(why) => Outcome::Retry(format!("{why}; the team server has no copy of it yet either")),
                outcome => outcome,
            },
        }
    }
}

/// The team server as a source of recordings for a laptop's vault: connects when first needed
/// and keeps the connection.
pub struct TeamSource {
    data: DataDir,
    link: tokio::sync::Mutex<Link>,
}

#[derive(Default)]
struct Link {
    server: Option<String>,
    conn: Option<Connection>,
    unreachable_since: Option<Instant>,
}

impl TeamSource {
    pub fn new(data: DataDir) -> Self {
        Self { data, link: tokio::sync::Mutex::new(Link::default()) }
    }

    /// The bucket on the joined server; `None` without a team, or while it cannot be reached.
    async fn bucket(&self) -> Option<ObjectStore> {
        let endpoint = settings::endpoint(&self.data).ok().flatten()?;
        let mut link = self.link.lock().await;
        if link.server.as_deref() != Some(endpoint.server.as_str()) {
            *link = Link { server: Some(endpoint.server.clone()), ..Link::default() };
        }
        if link.conn.is_none() {
            if link.unreachable_since.is_some_and(|t| t.elapsed() < UNREACHABLE_PAUSE) {
                return None;
            }
            match connect(&endpoint).await {
                Ok(c) => link.conn = Some(c),
                Err(e) => {
                    tracing::info!(error = %e, "the team server is not reachable; recordings come from their URLs");
                    link.unreachable_since = Some(Instant::now());
                    return None;
                }
            }
        }
        let conn = link.conn.clone()?;
        drop(link);
        if !conn.connected() {
            return None; // reconnecting by itself; the URL meanwhile
        }
        conn.jetstream.get_object_store(RECORDINGS_BUCKET).await.ok()
    }

    /// Fetches call `call_id`'s recording from the team server into `dir`, when the data folder
    /// joined a team and the server holds a copy for this URL.
    pub(crate) async fn fetch(
        &self,
        call_id: i64,
        url: &str,
        dir: &Path,
        max_bytes: u64,
        cancel: &CancellationToken,
    ) -> TeamFetch {
        if settings::load(&self.data).ok().flatten().is_none() {
            return TeamFetch::NoTeam;
        }
        match self.fetch_copy(call_id, url, dir, max_bytes, cancel).await {
            Some(outcome) => TeamFetch::Got(outcome),
            None => TeamFetch::NotThere,
        }
    }

    /// `None` when the server has no copy for this URL, or cannot be reached.
    async fn fetch_copy(
        &self,
        call_id: i64,
        url: &str,
        dir: &Path,
        max_bytes: u64,
        cancel: &CancellationToken,
    ) -> Option<Outcome> {
        let bucket = self.bucket().await?;
        let name = object_name(call_id);
        let info = bucket.info(&name).await.ok()?;
        if info.deleted || info.metadata.get(URL_HASH).is_some_and(|h| *h != url_hash(url)) {
            return None;
        }
        if info.size as u64 > max_bytes {
            return Some(Outcome::Fail(format!(
                "the team server's copy is {} bytes, over the {max_bytes}-byte limit for recordings",
                info.size
            )));
        }
        let mut object = match bucket.get(&name).await {
            Ok(o) => o,
            Err(e) => return Some(Outcome::Retry(format!("the team server's copy could not be read: {e}"))),
        };
        let partial = dir.join(".partial");
        if let Err(e) = tokio::fs::create_dir_all(&partial).await {
            return Some(Outcome::Retry(format!("cannot create {}: {e}", partial.display())));
        }
        let part = partial.join(format!("{call_id}-team.part"));
        let written = tokio::select! {
            r = write_checked(&mut object, &part, info.digest.as_deref(), max_bytes) => r,
            () = cancel.cancelled() => {
                let _ = tokio::fs::remove_file(&part).await;
                return Some(Outcome::Retry("stopped".into()));
            }
        };
        let (bytes, head) = match written {
            Ok(w) => w,
            Err(why) if why.contains("digest") || why.contains("limit") => return Some(Outcome::Fail(why)),
            Err(why) => return Some(Outcome::Retry(why)),
        };
        if bytes != info.size as u64 {
            let _ = tokio::fs::remove_file(&part).await;
            return Some(Outcome::Retry(format!("the team server's copy ended after {bytes} of {} bytes", info.size)));
        }
        let format = match analyze::sniff(&head, None) {
            Ok(f) => f,
            Err(why) => {
                let _ = tokio::fs::remove_file(&part).await;
                return Some(Outcome::Fail(format!("the team server's copy: {why}")));
            }
        };
        let path = dir.join(final_name(call_id, format));
        if let Err(e) = tokio::fs::rename(&part, &path).await {
            return Some(Outcome::Retry(format!("cannot move the recording into {}: {e}", dir.display())));
        }
        if let Ok(d) = tokio::fs::File::open(dir).await {
            let _ = d.sync_all().await;
        }
        tracing::info!(call_id, bytes, "recording fetched from the team server");
        Some(Outcome::Done { path, bytes, format })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wrong_digest_keeps_no_file_and_a_right_one_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let part = dir.path().join("1-team.part");
        let bytes = b"ID3 not really audio, but bytes all the same".to_vec();
        let right = digest_string(&Sha256::digest(&bytes));
        let mut corrupt = bytes.clone();
        corrupt[5] ^= 0x20;

        let err = write_checked(&mut corrupt.as_slice(), &part, Some(&right), 1 << 20).await.expect_err("mismatch");
        assert!(err.contains("digest check") && err.contains(&right), "{err}");
        assert!(!part.exists(), "a copy that fails its digest is not kept");

        let err = write_checked(&mut bytes.as_slice(), &part, None, 1 << 20).await.expect_err("no digest");
        assert!(err.contains("no digest"), "{err}");
        let err = write_checked(&mut bytes.as_slice(), &part, Some(&right), 10).await.expect_err("too large");
        assert!(err.contains("limit"), "{err}");

        let (n, head) = write_checked(&mut bytes.as_slice(), &part, Some(&right), 1 << 20).await.expect("intact");
        assert_eq!((n as usize, head), (bytes.len(), bytes.clone()));
        assert_eq!(std::fs::read(&part).expect("written"), bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&part).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "private whatever the umask");
        }
    }

    #[tokio::test]
    async fn the_url_is_the_fallback_and_its_failures_wait_for_the_team_copy() {
        let fail = || async { Outcome::Fail("the recording host answered 403".into()) };
        let r = TeamFetch::NotThere.or_url(fail()).await;
        assert!(matches!(&r, Outcome::Retry(w) if w.contains("403") && w.contains("no copy")), "{r:?}");
        assert!(matches!(TeamFetch::NoTeam.or_url(fail()).await, Outcome::Fail(_)), "no team: final as before");
        let got = TeamFetch::Got(Outcome::Fail("digest".into()));
        assert!(
            matches!(got.or_url(async { unreachable!("the URL is not tried") }).await, Outcome::Fail(w) if w == "digest")
        );
    }

    #[test]
    fn digests_take_the_object_store_form() {
        // SHA-256 of "abc", as nats-server's object store clients write it.
        assert_eq!(digest_string(&Sha256::digest(b"abc")), "SHA-256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=");
    }

    #[test]
    fn the_outbox_is_every_ready_recording_not_recorded_as_uploaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("postcall.sqlite")).expect("store");
        let state = TeamState::open_at(&dir.path().join("team.sqlite")).expect("state");
        let c = store.connect().expect("writer");
        for id in [1, 2, 3] {
            crate::recordings::note_url(&c, id, &format!("https://x/{id}.mp3"), 0).expect("note");
        }
        c.execute("UPDATE recordings SET state = 'ready', file = call_id || '.mp3', fetched_ms = 10", [])
            .expect("ready");
        c.execute("UPDATE recordings SET state = 'failed' WHERE call_id = 3", []).expect("failed");
        let ids = |p: Vec<Ready>| p.into_iter().map(|r| r.call_id).collect::<Vec<_>>();
        assert_eq!(ids(pending(&store, &state).expect("pending")), [1, 2]);
        let one = Ready { call_id: 1, url: "https://x/1.mp3".into(), fetched_ms: 10 };
        record_uploaded(&state, &one, "SHA-256=x", 5).expect("record");
        assert_eq!(ids(pending(&store, &state).expect("pending")), [2]);
        // Fetched again (a new URL): it goes up again.
        c.execute("UPDATE recordings SET fetched_ms = 20 WHERE call_id = 1", []).expect("again");
        assert_eq!(ids(pending(&store, &state).expect("pending")), [1, 2]);
        assert_eq!(pending_count(&store, &state).expect("count"), 2);
    }
}
