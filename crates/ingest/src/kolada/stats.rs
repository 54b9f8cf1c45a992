//! Counts of what a fetch did, per call and for the client's lifetime.

use std::sync::atomic::{AtomicU64, Ordering};

/// What fetching did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// HTTP requests sent, retries and page follows included.
    pub requests: u64,
    /// Pages received and parsed.
    pub pages: u64,
    /// Tries that failed and were tried again.
    pub retries: u64,
    /// Observations parsed from data pages (one per gender entry).
    pub observations: u64,
}

impl FetchStats {
    /// Adds another fetch's counts.
    pub fn add(&mut self, other: FetchStats) {
        self.requests += other.requests;
        self.pages += other.pages;
        self.retries += other.retries;
        self.observations += other.observations;
    }
}

/// Lock-free counters: requests run concurrently.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    pages: AtomicU64,
    retries: AtomicU64,
    observations: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> FetchStats {
        FetchStats {
            requests: self.requests.load(Ordering::Relaxed),
            pages: self.pages.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            observations: self.observations.load(Ordering::Relaxed),
        }
    }
}

/// Counts into one call's counters and the client's at once, so that `stats()` is current even
/// while a call runs.
#[derive(Debug)]
pub(crate) struct Meter<'a> {
    call: Counters,
    client: &'a Counters,
}

impl<'a> Meter<'a> {
    pub(crate) fn new(client: &'a Counters) -> Self {
        Self {
            call: Counters::default(),
            client,
        }
    }

    fn bump(&self, pick: impl Fn(&Counters) -> &AtomicU64, n: u64) {
        pick(&self.call).fetch_add(n, Ordering::Relaxed);
        pick(self.client).fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn request(&self) {
        self.bump(|c| &c.requests, 1);
    }

    pub(crate) fn page(&self) {
        self.bump(|c| &c.pages, 1);
    }

    pub(crate) fn retry(&self) {
        self.bump(|c| &c.retries, 1);
    }

    pub(crate) fn observations(&self, n: u64) {
        self.bump(|c| &c.observations, n);
    }

    /// This call's counts.
    pub(crate) fn stats(&self) -> FetchStats {
        self.call.snapshot()
    }
}
