//! What follows a tunnel's changes, for the window and `postcall serve` alike: every status goes
//! to the caller (the window's event and tray, or the terminal), and each time the public URL
//! becomes reachable again after it was not, the caller catches up on what Intellixent sent
//! meanwhile (webhooks to an unreachable URL are lost upstream; the calls API still has them).

use tokio::sync::watch;

use super::{TunnelState, TunnelStatus};

/// Whether Intellixent can reach the listener through the tunnel now.
pub fn reachable(status: &TunnelStatus) -> bool {
    matches!(status.state, TunnelState::Online { reachable: true, .. })
}

/// Calls `each` with every status (the current one first), and `back` on each return to
/// reachable after a time unreachable (not on the first time: nothing was missed before it).
/// Ends when the tunnel's sender is dropped (the tunnel stopped).
pub async fn follow(
    mut rx: watch::Receiver<TunnelStatus>,
    mut each: impl FnMut(&TunnelStatus),
    mut back: impl FnMut(),
) {
    let mut seen_reachable = false;
    let mut was = false;
    loop {
        let status = rx.borrow_and_update().clone();
        each(&status);
        let now = reachable(&status);
        if now && !was && seen_reachable {
            back();
        }
        seen_reachable |= now;
        was = now;
        if rx.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    fn online(reachable: bool) -> TunnelStatus {
        TunnelStatus {
            provider: "bore",
            state: TunnelState::Online {
                public_url: "http://bore.example:1234/hooks/s".into(),
                reachable,
                checked_at_ms: None,
                check_error: None,
            },
            warning: None,
        }
    }

    fn reconnecting() -> TunnelStatus {
        TunnelStatus {
            provider: "bore",
            state: TunnelState::Reconnecting { reason: "link lost".into() },
            warning: None,
        }
    }

    #[tokio::test]
    async fn catches_up_on_each_return_to_reachable_only() {
        let (tx, rx) = watch::channel(TunnelStatus::off());
        let seen = Arc::new(Mutex::new(0));
        let backs = Arc::new(Mutex::new(0));
        let task = {
            let (seen, backs) = (seen.clone(), backs.clone());
            tokio::spawn(follow(
                rx,
                move |_| *seen.lock().expect("seen") += 1,
                move || *backs.lock().expect("backs") += 1,
            ))
        };
        let step = |s: TunnelStatus| {
            tx.send(s).expect("send");
            async { tokio::time::sleep(std::time::Duration::from_millis(20)).await }
        };
        step(online(false)).await;
        step(online(true)).await;
        assert_eq!(*backs.lock().expect("backs"), 0, "the first time reachable misses nothing");
        step(online(true)).await;
        step(reconnecting()).await;
        step(online(false)).await;
        step(online(true)).await;
        assert_eq!(*backs.lock().expect("backs"), 1, "back after an outage: catch up once");
        step(reconnecting()).await;
        step(online(true)).await;
        assert_eq!(*backs.lock().expect("backs"), 2);
        drop(tx);
        task.await.expect("follow ends with the tunnel");
        assert!(*seen.lock().expect("seen") >= 8, "every status is passed on");
    }
}
