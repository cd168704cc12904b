//! Bursts of store events as one notice: a webhook burst or an import commits many batches a
//! second, and a view that re-reads on every one of them would do nothing else. [`next_burst`]
//! waits for the first event, gathers every event of the following `window`, and gives the calls
//! they touched once each. The window and `postcall serve`'s followers use it alike.

use std::time::Duration;

use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::ingest::StoreEvent;

/// How long a burst gathers after its first event.
pub const WINDOW: Duration = Duration::from_millis(200);

/// What a burst of store events changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Burst {
    /// The calls written, each once, in id order.
    pub calls: Vec<i64>,
    /// Whether a delivery failed (the failed-deliveries view is stale).
    pub failed_deliveries: bool,
    /// Events were missed (the receiver fell behind): everything may have changed.
    pub lagged: bool,
}

/// Waits for the next burst; `None` once the sender is gone and nothing is left.
pub async fn next_burst(rx: &mut Receiver<StoreEvent>, window: Duration) -> Option<Burst> {
    let mut burst = Burst::default();
    match rx.recv().await {
        Ok(e) => burst.add(e),
        Err(RecvError::Lagged(_)) => burst.lagged = true,
        Err(RecvError::Closed) => return None,
    }
    let deadline = tokio::time::sleep(window);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            next = rx.recv() => match next {
                Ok(e) => burst.add(e),
                Err(RecvError::Lagged(_)) => burst.lagged = true,
                Err(RecvError::Closed) => break,
            },
        }
    }
    burst.calls.sort_unstable();
    burst.calls.dedup();
    Some(burst)
}

impl Burst {
    fn add(&mut self, e: StoreEvent) {
        self.calls.extend(e.calls);
        self.failed_deliveries |= e.failed_deliveries;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(calls: &[i64], failed: bool) -> StoreEvent {
        StoreEvent { calls: calls.to_vec(), failed_deliveries: failed }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_gathers_its_window_and_the_next_starts_after_it() {
        let (tx, mut rx) = tokio::sync::broadcast::channel(64);
        tx.send(ev(&[3, 1], false)).expect("send");
        tx.send(ev(&[1, 2], true)).expect("send");
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            tx.send(ev(&[5], false)).expect("within the window");
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.send(ev(&[9], false)).expect("after the window");
        });
        let first = next_burst(&mut rx, WINDOW).await.expect("a burst");
        assert_eq!(first, Burst { calls: vec![1, 2, 3, 5], failed_deliveries: true, lagged: false });
        let second = next_burst(&mut rx, WINDOW).await.expect("another burst");
        assert_eq!(second.calls, [9]);
        assert!(!second.failed_deliveries);
        sender.await.expect("sender");
        assert_eq!(next_burst(&mut rx, WINDOW).await, None, "the sender is gone");
    }

    #[tokio::test(start_paused = true)]
    async fn a_receiver_that_fell_behind_says_so() {
        let (tx, mut rx) = tokio::sync::broadcast::channel(2);
        for i in 0..5 {
            tx.send(ev(&[i], false)).expect("send");
        }
        drop(tx);
        let burst = next_burst(&mut rx, WINDOW).await.expect("a burst");
        assert!(burst.lagged);
        assert_eq!(burst.calls, [3, 4], "what is still buffered");
    }
}
