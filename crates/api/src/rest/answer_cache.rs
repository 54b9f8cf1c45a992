//! A short-lived cache of series answers, the busiest reads of the REST API.
//!
//! Series change only when an ingest runs, and ingests run in other processes (`styrhub ingest
//! …`), which this process cannot hear. So the cache does not try to know: an answer is kept for
//! a fixed time to live (one second by default, `--series-cache-ttl-ms`), far inside the
//! `Cache-Control: max-age=60` that every series answer already promises clients and proxies.
//! Within that time the same URL and `Accept` get the same bytes without touching the database;
//! after it, the next request reads the database again. `0` turns the cache off.
//!
//! Only successful answers of the series routes are kept (`/api/v1/kpis/{kpi}/series`,
//! `/api/v1/indicators/{id}/series`); errors and everything else always go to the handlers. The
//! `ETag`/304 layer sits outside this one, so conditional requests work on cached answers too.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rustc_hash::FxHashMap;
use std::sync::Arc;
use styrhub_domain::RepoError;

use crate::rest::problem::Problem;

/// Answers kept at most; when full, expired answers go first, then all of them (a sweep is
/// cheaper than bookkeeping for an LRU, and a full cache of one-second answers is rare).
const MAX_ENTRIES: usize = 10_000;
/// Larger answers are not kept: a few series rarely make more.
const MAX_BODY: usize = 1 << 20;

/// The cache: the answers by URL and `Accept`, with the time each was made.
#[derive(Debug, Default)]
pub struct AnswerCache {
    ttl: Duration,
    answers: Mutex<FxHashMap<(String, Option<HeaderValue>), Kept>>,
}

#[derive(Debug, Clone)]
struct Kept {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

impl AnswerCache {
    /// A cache keeping answers for `ttl`; zero keeps nothing.
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            ttl,
            answers: Mutex::default(),
        })
    }

    fn get(&self, key: &(String, Option<HeaderValue>)) -> Option<Kept> {
        let answers = self.answers.lock().expect("answer cache lock");
        answers.get(key).filter(|k| k.at.elapsed() < self.ttl).cloned()
    }

    fn put(&self, key: (String, Option<HeaderValue>), kept: Kept) {
        let mut answers = self.answers.lock().expect("answer cache lock");
        if answers.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            answers.retain(|_, k| k.at.elapsed() < ttl);
            if answers.len() >= MAX_ENTRIES {
                answers.clear();
            }
        }
        answers.insert(key, kept);
    }
}

/// Whether a path is one of the cached series routes.
fn is_series(path: &str) -> bool {
    path.strip_prefix("/api/v1/")
        .and_then(|rest| rest.strip_suffix("/series"))
        .and_then(|middle| middle.split_once('/'))
        .is_some_and(|(kind, id)| matches!(kind, "kpis" | "indicators") && !id.is_empty() && !id.contains('/'))
}

/// The middleware: answers a series GET from the cache when it holds a fresh answer, and keeps
/// every successful series answer it lets through.
pub async fn cached_series(State(cache): State<Arc<AnswerCache>>, req: Request, next: Next) -> Response {
    if cache.ttl.is_zero() || !matches!(*req.method(), Method::GET | Method::HEAD) || !is_series(req.uri().path()) {
        return next.run(req).await;
    }
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let key = (uri, req.headers().get(header::ACCEPT).cloned());
    if let Some(kept) = cache.get(&key) {
        let mut res = Response::new(Body::from(kept.body));
        *res.headers_mut() = kept.headers;
        return res;
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    // Series answers are built in memory, so buffering one costs nothing extra.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return Problem::from(RepoError::Internal(format!("cannot read the answer: {e}"))).into_response(),
    };
    if body.len() <= MAX_BODY {
        cache.put(
            key,
            Kept {
                at: Instant::now(),
                headers: parts.headers.clone(),
                body: body.clone(),
            },
        );
    }
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::is_series;

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
}
