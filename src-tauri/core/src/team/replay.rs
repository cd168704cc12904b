//! Replaying a stream from a sequence, in chunks: what the calls consumer and the review events'
//! puller share. A chunk is what arrived together: the first message is awaited (or the caller's
//! cancellation), then more are gathered for a few milliseconds, up to a size, so a backlog is
//! applied in large transactions and a live stream within moments.

use std::time::Duration;

use async_nats::jetstream::consumer::{pull, DeliverPolicy};
use async_nats::jetstream::Message;
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{Connection, TeamError};

/// How long a chunk waits for more messages before it is applied.
const GATHER: Duration = Duration::from_millis(25);

/// An ordered replay of one stream from a sequence on.
pub struct Replay {
    messages: pull::Ordered,
    /// The stream's last sequence when the replay started.
    pub last: u64,
}

/// One chunk of a replay.
pub struct Chunk {
    /// The messages with their stream sequence, in stream order.
    pub messages: Vec<(u64, Message)>,
    /// The replay reached the end of the stream as it was at the start (or had nothing pending).
    pub caught_up: bool,
}

impl Replay {
    /// Starts replaying `stream` (its `subjects`) at sequence `from`. `None` when the stream
    /// holds nothing from there and `once` asks only for what is already there.
    pub async fn start(
        conn: &Connection,
        stream: &'static str,
        subjects: &str,
        from: u64,
        once: bool,
    ) -> Result<(Option<Replay>, u64), TeamError> {
        let mut handle = conn.jetstream.get_stream(stream).await.map_err(|e| {
            let missing = matches!(e.kind(), async_nats::jetstream::context::GetStreamErrorKind::JetStream(j)
                if j.error_code() == async_nats::jetstream::ErrorCode::STREAM_NOT_FOUND);
            if missing {
                TeamError::NoStream { stream }
            } else {
                conn.explain(e)
            }
        })?;
        let last = handle.info().await.map_err(|e| conn.explain(e))?.state.last_sequence;
        if once && last < from {
            return Ok((None, last));
        }
        let consumer = handle
            .create_consumer(pull::OrderedConfig {
                filter_subject: subjects.to_string(),
                deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: from },
                ..Default::default()
            })
            .await
            .map_err(|e| conn.explain(e))?;
        let messages = consumer.messages().await.map_err(|e| conn.explain(e))?;
        Ok((Some(Replay { messages, last }), last))
    }

    /// The next chunk of at most `max` messages; `None` once `cancel` fires while waiting for the
    /// first one. An error ends the replay (the caller starts a new one).
    pub async fn next_chunk(
        &mut self,
        conn: &Connection,
        max: usize,
        cancel: &CancellationToken,
    ) -> Result<Option<Chunk>, TeamError> {
        let mut chunk = Chunk { messages: Vec::new(), caught_up: false };
        loop {
            let next = if chunk.messages.is_empty() {
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(None),
                    m = self.messages.next() => m,
                }
            } else {
                match tokio::time::timeout(GATHER, self.messages.next()).await {
                    Ok(m) => m,
                    // Nothing more within the gathering time: apply what is there.
                    Err(_) => return Ok(Some(chunk)),
                }
            };
            let m = match next {
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(conn.explain(e)),
                None => return Err(TeamError::Nats("the team server closed the stream".into())),
            };
            let (seq, pending) = match m.info() {
                Ok(i) => (i.stream_sequence, i.pending),
                Err(e) => return Err(TeamError::Nats(format!("a message without stream metadata: {e}"))),
            };
            chunk.messages.push((seq, m));
            chunk.caught_up = pending == 0 || seq >= self.last;
            if chunk.caught_up || chunk.messages.len() >= max {
                return Ok(Some(chunk));
            }
        }
    }
}
