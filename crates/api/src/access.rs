//! API tokens over HTTP: minting and hashing them, and the middleware that turns an
//! `Authorization: Bearer …` header into the request's [`Actor`].
//!
//! A token is `styrhub_` followed by 32 random bytes in unpadded base64url. Only its SHA-256 is
//! stored; the secret is shown once, when it is made. Tokens are looked up by that hash.
//!
//! Reads are public by default (open data). With `require_token_for_reads` every GraphQL request
//! and every REST read needs a valid token; the health endpoints, the dashboard's files, the
//! API's description (`/api/openapi.json`, `/api/docs`), GraphiQL's page and `/metrics` (request
//! counts per route, no municipal data, scraped by Prometheus without credentials) stay public.

use std::fmt;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use styrhub_domain::access::{Actor, Denied};

use crate::app::AppState;
use crate::error::{denied_response, problem};

/// What every token starts with: makes tokens recognisable to secret scanners and people.
pub const TOKEN_PREFIX: &str = "styrhub_";

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// A token's secret, shown once. `Debug` hides it, so it never lands in a log by accident.
pub struct Secret(String);

impl Secret {
    /// The secret itself, to print once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A new random token and the hash to store.
pub fn mint() -> anyhow::Result<(Secret, String)> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
    let secret = format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&secret);
    Ok((Secret(secret), hash))
}

/// The SHA-256 of a presented token, hex: what the store keeps and looks up. A plain hash (no
/// salt, no slow KDF) suffices because the secret is 256 random bits, not a password.
pub fn hash(token: &str) -> String {
    hex(&digest(token))
}

/// A token's SHA-256 as bytes: what the rate limiter keeps instead of the token.
pub type TokenDigest = [u8; 32];

/// The SHA-256 of a presented token.
pub fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// A digest as the store keeps it: lower-case hex.
fn hex(digest: &TokenDigest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The query parameter an OData feed may carry its token in.
pub const QUERY_TOKEN: &str = "token";

/// Takes `token=…` out of an OData request's query string, returning it.
fn take_query_token(req: &mut Request) -> Option<String> {
    if !req.uri().path().starts_with("/odata") {
        return None;
    }
    let query = req.uri().query()?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let token = pairs.iter().find(|(k, _)| k == QUERY_TOKEN).map(|(_, v)| v.clone())?;
    let rest: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != QUERY_TOKEN).collect();
    let rest = serde_urlencoded::to_string(&rest).ok()?;
    let path = req.uri().path().to_owned();
    let uri = if rest.is_empty() { path } else { format!("{path}?{rest}") };
    if let Ok(uri) = uri.parse() {
        *req.uri_mut() = uri;
    }
    Some(token)
}

/// A URL as logs may show it: an OData token in the query string replaced by `REDACTED`.
pub fn redacted(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else { return uri.to_string() };
    if !query.split('&').any(|p| p.starts_with("token=")) {
        return uri.to_string();
    }
    let kept: Vec<String> = query
        .split('&')
        .map(|p| {
            if p.starts_with("token=") {
                "token=REDACTED".to_owned()
            } else {
                p.to_owned()
            }
        })
        .collect();
    format!("{}?{}", uri.path(), kept.join("&"))
}

/// The token in an `Authorization` header: `Bearer <token>` (the scheme in any case).
/// `Err` for a header that is there but not a bearer token.
pub(crate) fn bearer(value: &HeaderValue) -> Result<&str, Denied> {
    let s = value.to_str().map_err(|_| Denied::Unauthenticated)?;
    let (scheme, token) = s.split_once(' ').ok_or(Denied::Unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Denied::Unauthenticated);
    }
    Ok(token.trim())
}

/// Who the request is from, or why it is refused: what the GraphQL handler receives (it answers
/// a refusal as a GraphQL error, UNAUTHENTICATED, rather than as a REST problem).
#[derive(Debug, Clone)]
pub struct Caller(pub Result<Actor, Denied>);

/// Paths that never need a token and whose `Authorization` header is ignored.
fn is_public(method: &Method, path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/" | "/api/openapi.json" | "/api/docs")
        || path.starts_with("/assets/")
        || path.starts_with("/api/docs/")
        || (path == "/graphql" && method == Method::GET)
}

/// The middleware: resolves the bearer token (401 for an unknown, revoked or malformed one),
/// applies the reads setting, and puts the [`Caller`] (for GraphQL) and the [`Actor`] into the
/// request's extensions.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if is_public(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    // An OData feed may carry the token in its query string (Power BI's "Web API" key sends it
    // so): taken out of the URL here, before any handler, link or error can repeat it.
    let in_query = take_query_token(&mut req);
    let presented: Option<Result<&str, Denied>> = match (req.headers().get(header::AUTHORIZATION), &in_query) {
        (Some(value), _) => Some(bearer(value)),
        (None, Some(t)) => Some(Ok(t.as_str())),
        (None, None) => None,
    };
    let caller = match presented {
        None => Ok(Actor::Anonymous),
        Some(presented) => match presented {
            Err(d) => Err(d),
            // Anything without the prefix was never made here: no need to ask the database.
            Ok(token) if !token.starts_with(TOKEN_PREFIX) => Err(Denied::Unauthenticated),
            Ok(token) => {
                let digest = digest(token);
                // Refused within the last minute: refused again without asking the database,
                // so that repeating a bad token costs no more than a request without one.
                if state.limiter.was_refused(&digest) {
                    Err(Denied::Unauthenticated)
                } else {
                    // Each verdict goes to the rate limiter: a verified token counts against a
                    // bucket of its own from then on, a refused one against its sender's address.
                    match state.ports.tokens.principal_by_hash(&hex(&digest), chrono::Utc::now()).await {
                        Ok(Some(p)) => {
                            state.limiter.verified(digest);
                            Ok(Actor::Token(p))
                        }
                        Ok(None) => {
                            state.limiter.refused(digest);
                            Err(Denied::Unauthenticated)
                        }
                        Err(e) => return problem(e).into_response(),
                    }
                }
            }
        },
    };
    let require = state.http.require_token_for_reads;
    let caller = match caller {
        Ok(Actor::Anonymous) if require => Err(Denied::Unauthenticated),
        other => other,
    };
    if let Err(d) = &caller {
        tracing::info!(path = %req.uri().path(), reason = %d, "request refused");
    }
    let graphql = req.uri().path() == "/graphql";
    match caller {
        Err(d) if !graphql => return denied_response(&d),
        Ok(actor) => {
            req.extensions_mut().insert(actor.clone());
            req.extensions_mut().insert(Caller(Ok(actor)));
        }
        Err(d) => {
            req.extensions_mut().insert(Caller(Err(d)));
        }
    }
    let mut res = next.run(req).await;
    if require {
        // Answers that need a token are for their caller only: no shared cache may keep them.
        if let Some(cc) = res.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) {
            if let Ok(private) = HeaderValue::from_str(&cc.replace("public", "private")) {
                res.headers_mut().insert(header::CACHE_CONTROL, private);
            }
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_has_the_prefix_43_characters_and_hashes_to_what_is_stored() {
        let (secret, stored) = mint().unwrap();
        assert!(secret.expose().starts_with(TOKEN_PREFIX));
        assert_eq!(secret.expose().len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(hash(secret.expose()), stored);
        assert_eq!(stored.len(), 64);
        assert_ne!(mint().unwrap().1, stored, "every token is new");
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer(&HeaderValue::from_static("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(&HeaderValue::from_static("bearer abc")), Ok("abc"));
        assert!(bearer(&HeaderValue::from_static("Basic abc")).is_err());
        assert!(bearer(&HeaderValue::from_static("abc")).is_err());
    }
}
