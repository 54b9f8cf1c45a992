//! A request-rate limiter shared by every request of a client.
//!
//! Kolada documents no rate limit, but its maintained clients keep to about five requests a
//! second; staying under that is the difference between a polite client and a blocked one.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Hands out evenly spaced start times: each caller gets the next free slot and sleeps until it.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    next_free: Mutex<Instant>,
}

impl RateLimiter {
    /// A limiter for `per_second` requests a second (positive and finite, checked by the config).
    pub(crate) fn new(per_second: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next_free: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this caller's slot. The lock is held only to book the slot, never across the
    /// sleep, so waiting callers queue in booking order without blocking each other.
    pub(crate) async fn acquire(&self) {
        let slot = {
            // A poisoned lock only means another task panicked while booking: the instant is
            // still a valid instant.
            let mut next = self.next_free.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_by_the_interval() {
        let limiter = RateLimiter::new(5.0);
        let start = Instant::now();
        for _ in 0..6 {
            limiter.acquire().await;
        }
        // The first slot is immediate, the next five follow 200 ms apart.
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_limiter_does_not_bank_slots() {
        let limiter = RateLimiter::new(10.0);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let start = Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }
}
