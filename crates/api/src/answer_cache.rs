//! Short-lived caches of whole answers, for the reads that are asked again and again: series
//! (REST) and GraphQL queries (a dashboard's goal tree, a BI tool's refresh).
//!
//! Off by default: a cache only pays where the same reads come in bursts, and every kept answer
//! is one an ingest in another process may already have made stale. An operator switches one on
//! with a time to live (`--series-cache-ttl-ms`, `--graphql-cache-ttl-ms`; `0`, the default,
//! keeps nothing).
//!
//! Values change when an ingest runs, and ingests run in other processes (`styrhub ingest …`),
//! which this process cannot hear. So a cache does not try to know: an answer is kept for its
//! time to live, meant to stay far inside the `Cache-Control: max-age=60` that series answers
//! already promise clients and proxies. Within it the same request gets the same bytes without
//! touching the database; after it, the next one reads the database again.
//!
//! Writes through this process are different: the process sees them. Every answer is made at a
//! count of committed writes ([`Commits`], kept by the gateway, which moves it on when a write
//! commits) and served only while that count holds. So a committed write forgets every kept
//! answer at once and its writer reads what it wrote, while a refused or rejected mutation
//! forgets nothing (no caller can flush the caches by sending one). An answer being made while a
//! write commits is not kept (see [`AnswerCache::put`]). Per process: another instance behind
//! the same load balancer forgets only when its own time to live runs out.
//!
//! The map is `moka`'s (its `sync` cache, no default features): bounded by weight, here the
//! bytes kept ([`MAX_BYTES`]), evicting the least valuable answers one by one (TinyLFU) instead
//! of the sweep the hand-written map did, and expiring each answer after the time to live. It
//! adds four small crates to the build (crossbeam's channel and epoch, `tagptr`, `moka`);
//! `quick_cache` was the lighter choice, but has no time to live of its own, which would have
//! meant keeping the clock checks by hand again.
//!
//! Only successful answers are kept; errors always reach the handlers again.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use styrhub_domain::RepoError;

pub use crate::gateway::Commits;
use crate::rest::problem::Problem;

/// Larger answers are not kept. A municipality's whole goal tree is under a megabyte.
const MAX_BODY: usize = 8 << 20;
/// The bytes kept at most, over all answers of one cache (see [`weight`]).
pub const MAX_BYTES: u64 = 128 << 20;
/// What an answer weighs besides its body: its headers, its key and the map's bookkeeping, so
/// that a flood of tiny answers is bounded too (128 MiB holds at most 256 Ki of them).
const ENTRY_OVERHEAD: usize = 512;

/// A cache of answers by `K`, each kept for the time to live.
pub struct AnswerCache<K> {
    /// `None` when the time to live is zero: nothing is kept.
    kept: Option<moka::sync::Cache<K, Answer>>,
    /// The writes committed in this process; answers made at an older count are stale.
    commits: Arc<Commits>,
    /// The count the cache last saw, to drop the stale answers at once when it moves on
    /// (they are never served either way: [`AnswerCache::get`] compares each answer's count).
    seen: AtomicU64,
}

impl<K> std::fmt::Debug for AnswerCache<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache")
            .field("enabled", &self.kept.is_some())
            .field("commits", &self.commits.count())
            .finish_non_exhaustive()
    }
}

/// One kept answer: its headers and body, and the count of committed writes it was made at.
#[derive(Debug, Clone)]
pub struct Answer {
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

/// What an answer weighs against [`MAX_BYTES`]: its body and a fixed overhead.
fn weight<K>(_: &K, answer: &Answer) -> u32 {
    u32::try_from(answer.body.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
}

impl<K: Hash + Eq + Send + Sync + 'static> AnswerCache<K> {
    /// A cache keeping answers for `ttl`, forgetting them when `commits` moves on; a zero `ttl`
    /// keeps nothing.
    pub fn new(ttl: Duration, commits: Arc<Commits>) -> Arc<Self> {
        let kept = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(weight::<K>)
                .time_to_live(ttl)
                .build()
        });
        let seen = AtomicU64::new(commits.count());
        Arc::new(Self { kept, commits, seen })
    }

    /// Whether the cache keeps anything at all.
    pub fn enabled(&self) -> bool {
        self.kept.is_some()
    }

    /// The current count of committed writes: read it before making an answer, and hand it to
    /// [`Self::put`].
    pub fn generation(&self) -> u64 {
        self.commits.count()
    }

    /// The kept answers, once those of older generations are let go.
    fn current(&self) -> Option<(&moka::sync::Cache<K, Answer>, u64)> {
        let kept = self.kept.as_ref()?;
        let generation = self.generation();
        if self.seen.swap(generation, Ordering::AcqRel) != generation {
            // Frees the memory now rather than at the end of the time to live.
            kept.invalidate_all();
        }
        Some((kept, generation))
    }

    /// The answer kept for `key`, if it is fresh.
    pub fn get(&self, key: &K) -> Option<Answer> {
        let (kept, generation) = self.current()?;
        // The time to live is moka's to check; the generation is ours.
        kept.get(key).filter(|a| a.generation == generation)
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

    /// Keeps an answer made from what the database held at `generation`. When a write committed
    /// since (the count moved on), the answer may predate it and is not kept. A write that
    /// commits between this check and the insert is caught by [`Self::get`], which serves an
    /// answer only at the generation it was made at.
    pub fn put(&self, key: K, generation: u64, headers: HeaderMap, body: Bytes) {
        let Some((kept, now)) = self.current() else { return };
        if generation != now || body.len() > MAX_BODY {
            return;
        }
        kept.insert(key, Answer { generation, headers, body });
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

    fn bytes(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn an_answer_made_across_a_commit_is_not_kept_and_a_commit_forgets_every_answer() {
        let commits = Arc::new(Commits::default());
        let cache = AnswerCache::<u32>::new(Duration::from_secs(60), commits.clone());
        let before = cache.generation();
        cache.put(1, before, HeaderMap::new(), bytes("one"));
        assert_eq!(cache.get(&1).map(|a| a.body), Some(bytes("one")));
        // A commit: what was kept goes, and an answer begun before it is not kept.
        commits.committed(None);
        assert!(cache.get(&1).is_none());
        cache.put(2, before, HeaderMap::new(), bytes("two"));
        assert!(cache.get(&2).is_none());
        cache.put(2, cache.generation(), HeaderMap::new(), bytes("two"));
        assert!(cache.get(&2).is_some());
    }

    #[test]
    fn an_answer_inserted_just_after_a_commit_it_predates_is_never_served() {
        let commits = Arc::new(Commits::default());
        let cache = AnswerCache::<u32>::new(Duration::from_secs(60), commits.clone());
        // As if the commit landed between `put`'s check and its insert.
        let kept = cache.kept.as_ref().unwrap();
        let stale = Answer {
            generation: cache.generation(),
            headers: HeaderMap::new(),
            body: bytes("stale"),
        };
        commits.committed(None);
        cache.current();
        kept.insert(1, stale);
        assert!(cache.get(&1).is_none());
    }

    #[test]
    fn answers_expire_after_their_time_to_live() {
        let cache = AnswerCache::<u32>::new(Duration::from_millis(50), Arc::default());
        cache.put(1, cache.generation(), HeaderMap::new(), bytes("one"));
        assert!(cache.get(&1).is_some());
        std::thread::sleep(Duration::from_millis(80));
        assert!(cache.get(&1).is_none());
    }

    #[test]
    fn the_bytes_kept_are_bounded_and_answers_go_one_by_one() {
        let cache = AnswerCache::<u32>::new(Duration::from_secs(60), Arc::default());
        let kept = cache.kept.as_ref().unwrap();
        let body = Bytes::from(vec![0u8; MAX_BODY]);
        let fits = (MAX_BYTES / (MAX_BODY + ENTRY_OVERHEAD) as u64) as u32;
        for key in 0..fits + 8 {
            cache.put(key, cache.generation(), HeaderMap::new(), body.clone());
            kept.run_pending_tasks();
        }
        assert!(kept.weighted_size() <= MAX_BYTES, "{} bytes kept", kept.weighted_size());
        assert!(kept.entry_count() > 0, "evicting an answer does not empty the cache");
    }

    #[test]
    fn a_zero_time_to_live_keeps_nothing() {
        let cache = AnswerCache::<u32>::new(Duration::ZERO, Arc::default());
        assert!(!cache.enabled());
        cache.put(1, cache.generation(), HeaderMap::new(), bytes("one"));
        assert!(cache.get(&1).is_none());
    }
}
