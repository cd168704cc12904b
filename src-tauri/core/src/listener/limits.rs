//! A fixed-window limit on failed authentications, so the secret path cannot be guessed at speed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    max: u32,
    window: Duration,
    state: Mutex<(Instant, u32)>,
}

impl FailureLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self { max, window, state: Mutex::new((Instant::now(), 0)) }
    }

    /// Records a failure; false once the window's budget is spent.
    pub fn allow(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.0.elapsed() >= self.window {
            *s = (Instant::now(), 0);
        }
        s.1 += 1;
        s.1 <= self.max
    }
}
