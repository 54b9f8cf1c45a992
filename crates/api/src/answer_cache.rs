//! Short-lived caches of whole answers, for the reads that are asked again and again: series
//! (REST) and GraphQL queries (a dashboard's goal tree, a BI tool's refresh).
//!
//! Values change when an ingest runs, and ingests run in other processes (`styrhub ingest …`),
//! which this process cannot hear. So a cache does not try to know: an answer is kept for a fixed
//! time to live (one second by default: `--series-cache-ttl-ms`, `--graphql-cache-ttl-ms`), far
//! inside the `Cache-Control: max-age=60` that series answers already promise clients and
//! proxies. Within that time the same request gets the same bytes without touching the database;
//! after it, the next one reads the database again. `0` turns a cache off.
//!
//! Writes through this process's GraphQL mutations are different: the process sees them, so
//! they [`invalidate`](AnswerCache::invalidate) every cache at once, and a client reads its own
//! writes. An answer being made while a write commits is not kept (see [`AnswerCache::put`]).
//!
//! Only successful answers are kept; errors always reach the handlers again.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rustc_hash::FxHashMap;
use styrhub_domain::RepoError;

use crate::rest::problem::Problem;

/// Answers kept at most; when full, expired answers go first, then all of them (a sweep is
/// cheaper than bookkeeping for an LRU, and a full cache of one-second answers is rare).
const MAX_ENTRIES: usize = 10_000;
/// Larger answers are not kept. A municipality's whole goal tree is under a megabyte.
const MAX_BODY: usize = 8 << 20;
/// The bytes kept at most, over all answers of one cache.
const MAX_BYTES: usize = 128 << 20;

/// A cache of answers by `K`, each kept for the time to live.
#[derive(Debug)]
pub struct AnswerCache<K> {
    ttl: Duration,
    /// Bumped by every write this process makes; answers of an older generation are stale.
    generation: AtomicU64,
    kept: Mutex<Kept<K>>,
}

#[derive(Debug)]
struct Kept<K> {
    answers: FxHashMap<K, Answer>,
    bytes: usize,
}

/// One kept answer: its headers and body, and when it was made.
#[derive(Debug, Clone)]
pub struct Answer {
    at: Instant,
    generation: u64,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The answer's body.
    pub body: Bytes,
}

impl Answer {
    /// The answer as a response.
    pub fn into_response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.headers_mut() = self.headers;
        res
    }
}

impl<K: Hash + Eq> AnswerCache<K> {
    /// A cache keeping answers for `ttl`; zero keeps nothing.
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            ttl,
            generation: AtomicU64::new(0),
            kept: Mutex::new(Kept {
                answers: FxHashMap::default(),
                bytes: 0,
            }),
        })
    }

    /// Whether the cache keeps anything at all.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The current generation: read it before making an answer, and hand it to [`Self::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets every answer: this process has written something.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut kept = self.kept.lock().expect("answer cache lock");
        kept.answers.clear();
        kept.bytes = 0;
    }

    /// The answer kept for `key`, if it is fresh.
    pub fn get(&self, key: &K) -> Option<Answer> {
        if !self.enabled() {
            return None;
        }
        let generation = self.generation();
        let kept = self.kept.lock().expect("answer cache lock");
        kept.answers
            .get(key)
            .filter(|a| a.at.elapsed() < self.ttl && a.generation == generation)
            .cloned()
    }

    /// Keeps `res` for `key` (see [`Self::put`]) and gives it back. Answers are built in memory,
    /// so buffering one costs nothing extra.
    pub async fn keep(&self, key: K, generation: u64, res: Response) -> Response {
        let (parts, body) = res.into_parts();
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(body) => {
                self.put(key, generation, parts.headers.clone(), body.clone());
                Response::from_parts(parts, Body::from(body))
            }
            Err(e) => Problem::from(RepoError::Internal(format!("cannot read the answer: {e}"))).into_response(),
        }
    }

    /// Keeps an answer made from what the database held at `generation`. When a write came in
    /// since (the generation moved on), the answer may predate it and is not kept.
    pub fn put(&self, key: K, generation: u64, headers: HeaderMap, body: Bytes) {
        if !self.enabled() || body.len() > MAX_BODY {
            return;
        }
        let mut kept = self.kept.lock().expect("answer cache lock");
        // Checked under the lock, which `invalidate` takes after moving the generation on.
        if generation != self.generation() {
            return;
        }
        if kept.answers.len() >= MAX_ENTRIES || kept.bytes + body.len() > MAX_BYTES {
            let ttl = self.ttl;
            kept.answers.retain(|_, a| a.at.elapsed() < ttl);
            kept.bytes = kept.answers.values().map(|a| a.body.len()).sum();
            if kept.answers.len() >= MAX_ENTRIES || kept.bytes + body.len() > MAX_BYTES {
                kept.answers.clear();
                kept.bytes = 0;
            }
        }
        kept.bytes += body.len();
        let answer = Answer {
            at: Instant::now(),
            generation,
            headers,
            body,
        };
        if let Some(old) = kept.answers.insert(key, answer) {
            kept.bytes -= old.body.len();
        }
    }
}

/// Series answers by URL (path and query) and `Accept`.
pub type SeriesAnswers = AnswerCache<(String, Option<HeaderValue>)>;

/// Whether a path is one of the cached series routes.
fn is_series(path: &str) -> bool {
    path.strip_prefix("/api/v1/")
        .and_then(|rest| rest.strip_suffix("/series"))
        .and_then(|middle| middle.split_once('/'))
        .is_some_and(|(kind, id)| matches!(kind, "kpis" | "indicators") && !id.is_empty() && !id.contains('/'))
}

/// The REST middleware: answers a series GET from the cache when it holds a fresh answer, and
/// keeps every successful series answer it lets through (`/api/v1/kpis/{kpi}/series`,
/// `/api/v1/indicators/{id}/series`). The `ETag`/304 layer sits outside this one, so
/// conditional requests work on kept answers too.
pub async fn cached_series(State(cache): State<Arc<SeriesAnswers>>, req: Request, next: Next) -> Response {
    if !cache.enabled() || !matches!(*req.method(), Method::GET | Method::HEAD) || !is_series(req.uri().path()) {
        return next.run(req).await;
    }
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let key = (uri, req.headers().get(header::ACCEPT).cloned());
    if let Some(kept) = cache.get(&key) {
        return kept.into_response();
    }
    let generation = cache.generation();
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    cache.keep(key, generation, res).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_series_routes_are_cached() {
        assert!(is_series("/api/v1/kpis/N00973/series"));
        assert!(is_series("/api/v1/indicators/42/series"));
        assert!(!is_series("/api/v1/kpis/N00973"));
        assert!(!is_series("/api/v1/kpis/N00973/ranking"));
        assert!(!is_series("/api/v1/goals/1/series"));
        assert!(!is_series("/api/v1/kpis//series"));
        assert!(!is_series("/api/v1/kpis/a/b/series"));
    }

    #[test]
    fn an_answer_made_across_a_write_is_not_kept_and_a_write_forgets_every_answer() {
        let cache = AnswerCache::<u32>::new(Duration::from_secs(60));
        let before = cache.generation();
        cache.put(1, before, HeaderMap::new(), Bytes::from_static(b"one"));
        assert_eq!(cache.get(&1).map(|a| a.body), Some(Bytes::from_static(b"one")));
        // A write: what was kept goes, and an answer begun before it is not kept.
        cache.invalidate();
        assert!(cache.get(&1).is_none());
        cache.put(2, before, HeaderMap::new(), Bytes::from_static(b"two"));
        assert!(cache.get(&2).is_none());
        cache.put(2, cache.generation(), HeaderMap::new(), Bytes::from_static(b"two"));
        assert!(cache.get(&2).is_some());
    }

    #[test]
    fn a_zero_time_to_live_keeps_nothing() {
        let cache = AnswerCache::<u32>::new(Duration::ZERO);
        cache.put(1, cache.generation(), HeaderMap::new(), Bytes::from_static(b"one"));
        assert!(cache.get(&1).is_none());
    }
}
