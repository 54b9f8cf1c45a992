//! The limits a public deployment needs: how big a request body may be, how long a request may
//! run, how deep and how complex a GraphQL query may be, whether the schema may be introspected,
//! and how many requests an address or a token may make per minute.
//!
//! Every limit answers the way the rest of the API answers errors: REST (and everything that is
//! not `/graphql`) with an RFC 9457 problem, `/graphql` with a GraphQL error body whose
//! `extensions.code` says the same, so that clients need one error path per API.
//!
//! # Layout
//! - [`Limits`]: the values, with their defaults (documented in the README's configuration table).
//! - [`body_limit`], [`timeout`], [`rate_limit`]: the middleware, layered in [`crate::app::router`].
//! - [`RateLimiter`]: buckets (governor's GCRA) per client address and per verified bearer
//!   token, with the access layer's recent verdicts on tokens.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::Quota;

use crate::access::TokenDigest;
use crate::app::AppState;
use crate::rest::problem::Problem;

/// Every configurable limit. [`Limits::default`] holds the documented defaults, which
/// `styrhub serve` starts from; a zero turns the rate limits and the timeout off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// How long a request may take before it is answered 503 (zero: no limit).
    pub request_timeout: Duration,
    /// The deepest nesting a GraphQL query may have.
    pub graphql_max_depth: usize,
    /// The largest cost a GraphQL query may have, counted with its fan-out (`graphql::cost`).
    pub graphql_max_complexity: usize,
    /// The longest page a list answers (REST `limit`, GraphQL `first`/`last`).
    pub max_page_size: usize,
    /// Rows per page of an OData feed (`@odata.nextLink` leads on).
    pub odata_page_size: u64,
    /// Whether the GraphQL schema answers `__schema` and `__type` (private deployments turn it off).
    pub introspection: bool,
    /// Requests per minute from one client address without a bearer token (zero: no limit).
    pub per_address_per_minute: u32,
    /// Requests per minute with one bearer token (zero: no limit).
    pub per_token_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client: behind one, every request
    /// comes from the proxy's address, and one bucket would throttle all clients together.
    /// Empty by default: the header is ignored, since any client can send it.
    pub trusted_proxies: Vec<IpAddr>,
}

/// 1 MiB: a GraphQL query with its variables is a few KiB; nothing the API takes is larger.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// 30 s: the slowest legitimate answers (a whole municipality's tree as CSV) take well under one.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Ten requests a second from one address, sustained, with bursts up to the minute's count: a
/// dashboard opening makes a handful, a BI refresh a few dozen.
pub const DEFAULT_PER_ADDRESS_PER_MINUTE: u32 = 600;
/// A token names an integration, which may legitimately make more requests than a browser.
pub const DEFAULT_PER_TOKEN_PER_MINUTE: u32 = 1200;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            graphql_max_depth: crate::graphql::MAX_DEPTH,
            graphql_max_complexity: crate::graphql::MAX_COMPLEXITY,
            max_page_size: crate::rest::page::MAX_LIMIT,
            odata_page_size: crate::odata::PAGE_SIZE,
            introspection: true,
            per_address_per_minute: DEFAULT_PER_ADDRESS_PER_MINUTE,
            per_token_per_minute: DEFAULT_PER_TOKEN_PER_MINUTE,
            trusted_proxies: Vec::new(),
        }
    }
}

/// An error answer in the shape the path's clients read: a GraphQL body with
/// `extensions.code` on `/graphql`, a problem everywhere else.
fn refuse(path: &str, status: StatusCode, code: &'static str, detail: String) -> Response {
    if path == "/graphql" {
        let body = serde_json::json!({ "errors": [{ "message": detail, "extensions": { "code": code } }] });
        (status, axum::Json(body)).into_response()
    } else {
        Problem::new(status, code, detail, None).into_response()
    }
}

/// Refuses bodies larger than [`Limits::max_body_bytes`] with 413, before any handler or
/// extractor sees them. A declared `Content-Length` is refused without reading; a body without
/// one (chunked) is read up to the limit and refused when it goes past it. Doing this here, not
/// in the extractors, matters for `/graphql`: its extractor reports any body error as a 400.
pub async fn body_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let max = state.http.limits.max_body_bytes;
    let path = req.uri().path().to_owned();
    let too_large = || {
        refuse(
            &path,
            StatusCode::PAYLOAD_TOO_LARGE,
            "TOO_LARGE",
            format!("the request body is larger than the limit of {max} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max as u64 => {
            state.metrics.refused("too_large");
            return too_large();
        }
        // GET and HEAD requests without a body need no buffering.
        Some(0) => return next.run(req).await,
        None if !req.headers().contains_key(header::TRANSFER_ENCODING) => return next.run(req).await,
        _ => {}
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, max).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(e) => {
            // `to_bytes` reports the limit as an error whose source is a `LengthLimitError`.
            let over = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over {
                state.metrics.refused("too_large");
                too_large()
            } else {
                refuse(
                    &path,
                    StatusCode::BAD_REQUEST,
                    "VALIDATION",
                    format!("the request body could not be read: {e}"),
                )
            }
        }
    }
}

/// Answers 503 with code `TIMEOUT` when a request takes longer than
/// [`Limits::request_timeout`]. 503 rather than 504: no gateway is involved, the server itself
/// is too busy (or the database too slow) right now, and a later try may succeed. The handler's
/// future is dropped, which rolls back any open transaction.
pub async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.http.limits.request_timeout;
    if limit.is_zero() {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(path = %path, timeout_ms = limit.as_millis() as u64, "request timed out");
            state.metrics.refused("timeout");
            refuse(
                &path,
                StatusCode::SERVICE_UNAVAILABLE,
                "TIMEOUT",
                format!("the request took longer than {} ms; try again shortly", limit.as_millis()),
            )
        }
    }
}

/// Counts every request against its client's bucket: a verified token's own bucket when the
/// request names a token the access layer has verified lately, the client address's otherwise
/// (no token, or one that is not, or not yet, known to verify). So an invented token costs its
/// sender's address as much as no token at all, and cannot buy a fresh bucket. The health
/// endpoints are exempt, so that an orchestrator never sees a throttled probe as a dead process.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if matches!(path, "/healthz" | "/readyz") {
        return next.run(req).await;
    }
    let address = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| {
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        client_address(addr.ip(), forwarded, &state.http.limits.trusted_proxies)
    });
    // Served without connection info (a router called directly) and no verified token:
    // nothing to key on.
    let Some(key) = state.limiter.key_for(bearer(&req), address) else {
        return next.run(req).await;
    };
    match state.limiter.check(key) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            state.metrics.refused("rate_limited");
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            let path = path.to_owned();
            let mut res = refuse(
                &path,
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("too many requests; try again in {secs} s"),
            );
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            res
        }
    }
}

/// Why text may not hold NUL: PostgreSQL cannot store or compare it (it would fail the
/// statement, a 500), and SQLite would answer differently. Refusing it at the edge gives one
/// clear answer on both databases.
const NUL_MESSAGE: &str = "text may not contain the NUL character (U+0000)";

/// Refuses a NUL character (`%00`) in the path or a query parameter with a 400 naming the
/// parameter. `/graphql` checks its query and variables itself ([`nul_in_graphql`]).
pub async fn reject_nul(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let has_nul = |s: &str| s.contains("%00");
    if has_nul(uri.path()) {
        return Problem::invalid("path", NUL_MESSAGE).into_response();
    }
    if let Some(query) = uri.query().filter(|q| has_nul(q)) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let name = pairs
            .into_iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map(|(k, _)| k)
            .unwrap_or_else(|| "query".to_owned());
        let name = if name.contains('\0') { "query".to_owned() } else { name };
        return Problem::invalid(&name, NUL_MESSAGE).into_response();
    }
    next.run(req).await
}

/// A GraphQL error when the query or a variable holds a NUL character (see [`reject_nul`]).
pub fn nul_in_graphql(req: &async_graphql::Request) -> Option<async_graphql::Response> {
    fn has_nul(v: &async_graphql::Value) -> bool {
        use async_graphql::Value as V;
        match v {
            V::String(s) => s.contains('\0'),
            V::List(items) => items.iter().any(has_nul),
            V::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    let found = req.query.contains('\0') || req.variables.iter().any(|(k, v)| k.contains('\0') || has_nul(v));
    found.then(|| {
        use async_graphql::ErrorExtensions;
        let e = async_graphql::Error::new(NUL_MESSAGE).extend_with(|_, e| e.set("code", "VALIDATION"));
        async_graphql::Response::from_errors(vec![e.into_server_error(async_graphql::Pos::default())])
    })
}

/// How `/graphql` answers a request it cannot read: JSON with `extensions.code`, as every other
/// GraphQL error, instead of async-graphql's plain-text 400 (its rejection prints a Rust debug
/// string). Malformed JSON is a 400 `VALIDATION` naming what the parser saw; a body over the
/// limit a 413 `TOO_LARGE` (normally caught earlier, by [`body_limit`]).
pub struct GraphQLRejection(pub async_graphql::ParseRequestError);

impl From<async_graphql::ParseRequestError> for GraphQLRejection {
    fn from(e: async_graphql::ParseRequestError) -> Self {
        Self(e)
    }
}

impl IntoResponse for GraphQLRejection {
    fn into_response(self) -> Response {
        use async_graphql::ParseRequestError as E;
        let (status, code, message) = match &self.0 {
            E::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "TOO_LARGE",
                "the request body is too large".to_owned(),
            ),
            E::InvalidRequest(e) => (
                StatusCode::BAD_REQUEST,
                "VALIDATION",
                format!("the request body is not a GraphQL request in JSON ({{\"query\": …, \"variables\": …}}): {e}"),
            ),
            other => (
                StatusCode::BAD_REQUEST,
                "VALIDATION",
                format!("the request cannot be read: {other}"),
            ),
        };
        refuse("/graphql", status, code, message)
    }
}

/// The value of an `Authorization: Bearer …` header, if any.
/// The client's address: the peer's, unless the peer is a trusted proxy and says whom it
/// forwards for. `X-Forwarded-For` lists the hops oldest first, each proxy appending the address
/// it heard from, so the client is the last address that is not itself a trusted proxy; the
/// ones before it could have been written by the client. An unreadable hop ends the walk.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// The bearer token the request names, read as the access layer reads it; none (the address's
/// bucket) when the header is missing, malformed or empty.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?;
    crate::access::bearer(value).ok().filter(|t| !t.is_empty())
}

/// Whose requests a bucket counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A client address.
    Address(IpAddr),
    /// A verified bearer token, by its SHA-256.
    Token(TokenDigest),
}

/// At most this many clients of each kind are tracked at once. Past it, buckets that have
/// filled up again are dropped (at most once a second); when that is not enough, clients not
/// yet tracked share one overflow bucket until room is made. So memory is bounded whatever the
/// number of addresses or tokens a client invents, and a flood of them throttles itself.
pub const MAX_TRACKED: usize = 50_000;

/// How long the limiter remembers a token's verdict: a verified token's bucket is its own for
/// an hour after its last verification; a refused token is refused again for a minute without
/// a database look-up (a token minted within that minute after a typo'd one is unaffected: its
/// hash differs).
const VERIFIED_FOR: Duration = Duration::from_secs(3600);
const REFUSED_FOR: Duration = Duration::from_secs(60);

/// A keyed GCRA limiter (governor's), over a plain mutex-guarded map.
type Keyed<K, C> = governor::RateLimiter<K, HashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The buckets of one kind of client, with the bound on how many are tracked.
struct Buckets<K: Hash + Eq + Clone, C: Clock + Clone> {
    limiter: Keyed<K, C>,
    clock: C,
    /// Whom the overflow bucket stands for.
    overflow: K,
    /// When buckets were last pruned, in ms since `born`.
    pruned_ms: AtomicU64,
    born: C::Instant,
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> Buckets<K, C> {
    fn new(per_minute: u32, clock: C, overflow: K) -> Option<Self> {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute)?);
        Some(Self {
            limiter: governor::RateLimiter::hashmap_with_clock(quota, clock.clone()),
            born: clock.now(),
            clock,
            overflow,
            pruned_ms: AtomicU64::new(0),
        })
    }

    fn check(&self, key: K, max_tracked: usize) -> Result<(), Duration> {
        let now_ms = u64::try_from(Duration::from(self.clock.now().duration_since(self.born)).as_millis()).unwrap_or(u64::MAX);
        let last = self.pruned_ms.load(Ordering::Relaxed);
        // Buckets that are full again say nothing a new one would not: dropped once a minute,
        // or once a second while the map is at its bound.
        let due = now_ms.saturating_sub(last) >= if self.limiter.len() >= max_tracked { 1_000 } else { 60_000 };
        if due
            && self
                .pruned_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        let key = if self.limiter.len() >= max_tracked {
            self.overflow.clone()
        } else {
            key
        };
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn tracked(&self) -> usize {
        self.limiter.len()
    }
}

/// The rate limits: a bucket per client address and per verified token, each holding up to a
/// minute's requests and refilling at that rate (a client may burst up to the minute's count,
/// then goes at the steady rate), and what the access layer told it about tokens.
pub struct RateLimiter<C: Clock + Clone = DefaultClock> {
    addresses: Option<Buckets<IpAddr, C>>,
    tokens: Option<Buckets<TokenDigest, C>>,
    max_tracked: usize,
    verified: moka::sync::Cache<TokenDigest, ()>,
    refused: moka::sync::Cache<TokenDigest, ()>,
}

impl<C: Clock + Clone> std::fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("addresses", &self.addresses.as_ref().map(Buckets::tracked))
            .field("tokens", &self.tokens.as_ref().map(Buckets::tracked))
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// Buckets of these sizes (zero: that kind of client is not limited).
    pub fn new(per_address: u32, per_token: u32) -> Self {
        Self::with_clock(per_address, per_token, DefaultClock::default(), MAX_TRACKED)
    }

    /// Buckets of the sizes `limits` sets.
    pub fn for_limits(limits: &Limits) -> Self {
        Self::new(limits.per_address_per_minute, limits.per_token_per_minute)
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// Buckets on `clock`, tracking at most `max_tracked` clients of each kind.
    pub fn with_clock(per_address: u32, per_token: u32, clock: C, max_tracked: usize) -> Self {
        let remembered = |ttl| {
            moka::sync::Cache::builder()
                .max_capacity(max_tracked as u64)
                .time_to_live(ttl)
                .build()
        };
        Self {
            addresses: Buckets::new(per_address, clock.clone(), IpAddr::from([0u8; 16])),
            tokens: Buckets::new(per_token, clock, [0; 32]),
            max_tracked,
            verified: remembered(VERIFIED_FOR),
            refused: remembered(REFUSED_FOR),
        }
    }

    /// The bucket a request counts against: its token's own when the token verified lately,
    /// else its address's; `None` when neither is known.
    pub fn key_for(&self, token: Option<&str>, address: Option<IpAddr>) -> Option<Key> {
        match token.map(crate::access::digest) {
            Some(hash) if self.verified.contains_key(&hash) => Some(Key::Token(hash)),
            _ => address.map(Key::Address),
        }
    }

    /// Takes one request from `key`'s bucket; when it is empty, how long until it holds one.
    pub fn check(&self, key: Key) -> Result<(), Duration> {
        match key {
            Key::Address(ip) => self.addresses.as_ref().map_or(Ok(()), |b| b.check(ip, self.max_tracked)),
            Key::Token(hash) => self.tokens.as_ref().map_or(Ok(()), |b| b.check(hash, self.max_tracked)),
        }
    }

    /// The access layer verified the token of `digest`: its requests get their own bucket from
    /// now on.
    pub fn verified(&self, digest: TokenDigest) {
        self.refused.invalidate(&digest);
        self.verified.insert(digest, ());
    }

    /// The access layer refused the token of `digest` (unknown, revoked or expired): it is
    /// refused again for a while without a database look-up, and no longer has a bucket of its
    /// own.
    pub fn refused(&self, digest: TokenDigest) {
        self.verified.invalidate(&digest);
        self.refused.insert(digest, ());
    }

    /// Whether the token of `digest` was refused lately.
    pub fn was_refused(&self, digest: &TokenDigest) -> bool {
        self.refused.contains_key(digest)
    }

    /// How many clients' buckets are held (addresses, tokens).
    pub fn tracked(&self) -> (usize, usize) {
        (
            self.addresses.as_ref().map_or(0, Buckets::tracked),
            self.tokens.as_ref().map_or(0, Buckets::tracked),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    #[test]
    fn the_client_is_the_last_address_a_trusted_proxy_heard_from() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.1");
        let trusted = [proxy, ip("10.0.0.2")];
        let client = |peer: &str, header: Option<&str>| super::client_address(ip(peer), header, &trusted);
        // Not from a trusted proxy: the header is anyone's to write.
        assert_eq!(client("203.0.113.9", Some("198.51.100.1")), ip("203.0.113.9"));
        // From the proxy: the address it appended.
        assert_eq!(client("10.0.0.1", Some("203.0.113.5")), ip("203.0.113.5"));
        // Through two trusted proxies; what the client itself put first is not believed.
        assert_eq!(client("10.0.0.1", Some("1.2.3.4, 203.0.113.5, 10.0.0.2")), ip("203.0.113.5"));
        // No header, or an unreadable hop: the last readable address.
        assert_eq!(client("10.0.0.1", None), proxy);
        assert_eq!(client("10.0.0.1", Some("garbage")), proxy);
        assert_eq!(client("10.0.0.1", Some("2001:db8::7")), ip("2001:db8::7"));
    }

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limiter(per_address: u32, per_token: u32) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (RateLimiter::with_clock(per_address, per_token, clock.clone(), MAX_TRACKED), clock)
    }

    #[test]
    fn a_bucket_allows_its_burst_then_says_how_long_to_wait() {
        let (limiter, clock) = limiter(3, 0);
        let key = Key::Address(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..3 {
            assert!(limiter.check(key).is_ok());
        }
        let wait = limiter.check(key).unwrap_err();
        assert_eq!(wait.as_secs(), 20, "three a minute: one every 20 s");
        clock.advance(Duration::from_secs(20));
        assert!(limiter.check(key).is_ok(), "refilled");
    }

    #[test]
    fn only_a_verified_token_has_a_bucket_of_its_own() {
        let (limiter, _) = limiter(1, 2);
        let a = IpAddr::from([10, 0, 0, 1]);
        // Unknown tokens count against the address, whatever they are.
        assert_eq!(limiter.key_for(Some("styrhub_invented"), Some(a)), Some(Key::Address(a)));
        assert_eq!(limiter.key_for(None, Some(a)), Some(Key::Address(a)));
        assert!(limiter.check(Key::Address(a)).is_ok());
        assert!(limiter.check(Key::Address(a)).is_err());
        assert!(
            limiter.check(Key::Address(IpAddr::from([10, 0, 0, 2]))).is_ok(),
            "another address has its own"
        );
        limiter.verified(crate::access::digest("styrhub_real"));
        let token = limiter.key_for(Some("styrhub_real"), Some(a)).unwrap();
        assert!(matches!(token, Key::Token(_)));
        assert!(limiter.check(token).is_ok() && limiter.check(token).is_ok());
        assert!(limiter.check(token).is_err());
        // Refused later (revoked): back to the address's bucket, and remembered as refused.
        limiter.refused(crate::access::digest("styrhub_real"));
        assert!(limiter.was_refused(&crate::access::digest("styrhub_real")));
        assert_eq!(limiter.key_for(Some("styrhub_real"), Some(a)), Some(Key::Address(a)));
    }

    #[test]
    fn zero_means_no_limit_and_full_buckets_are_forgotten() {
        let (limiter, clock) = limiter(0, 5);
        for _ in 0..1000 {
            assert!(limiter.check(Key::Address(IpAddr::from([10, 0, 0, 1]))).is_ok());
        }
        assert_eq!(limiter.tracked().0, 0, "no limit, no buckets");
        limiter.check(Key::Token([1; 32])).unwrap();
        clock.advance(Duration::from_secs(120));
        limiter.check(Key::Token([2; 32])).unwrap();
        assert_eq!(limiter.tracked().1, 1, "the first token's bucket filled up again and was dropped");
    }

    #[test]
    fn memory_stays_bounded_under_100_000_distinct_addresses() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(2, 0, clock.clone(), 1_000);
        let mut refused = 0;
        for n in 0..100_000u32 {
            let ip = IpAddr::from((0xcb00_0000 | n).to_be_bytes());
            refused += usize::from(limiter.check(Key::Address(ip)).is_err());
            clock.advance(Duration::from_micros(100));
        }
        let (addresses, _) = limiter.tracked();
        assert!(addresses <= 1_001, "{addresses} buckets held");
        assert!(refused > 90_000, "the flood shares one overflow bucket: {refused} refused");
        // Once the flood's buckets have refilled, room is made and a newcomer has its own.
        clock.advance(Duration::from_secs(61));
        assert!(limiter.check(Key::Address(IpAddr::from([10, 0, 0, 9]))).is_ok());
        assert!(limiter.tracked().0 <= 2, "{:?}", limiter.tracked());
    }
}
