//! Pages of list endpoints: `limit` (100 by default, at most 1000) and an opaque `cursor`. The
//! body carries `next_cursor`; the `Link` header carries the next page's URL (`rel="next"`).

use axum::http::{header, HeaderValue, Uri};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use styrhub_domain::page::{Cursor, Page as DomainPage, PageRequest as DomainPageRequest};
use styrhub_domain::RepoError;

use crate::rest::problem::Problem;

/// Items in a page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page a client may ask for by default (`--max-page-size`).
pub const MAX_LIMIT: usize = 1_000;

/// `limit` and `cursor`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page: 100 by default, at most 1000.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// Where to go on: the `next_cursor` of the previous page (opaque).
    pub cursor: Option<String>,
}

/// A page asked for: where it starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items to skip.
    pub offset: usize,
    /// Items at most.
    pub limit: usize,
}

impl PageParams {
    /// The page asked for, at most `max` long, or a problem naming `limit` or `cursor`.
    pub fn parse(&self, max: usize) -> Result<PageRequest, Problem> {
        let limit = self.parse_limit(max)?;
        let offset = match &self.cursor {
            None => 0,
            Some(c) => decode(c).ok_or_else(|| Problem::invalid("cursor", format!("`{c}` is not a cursor this API gave out")))?,
        };
        Ok(PageRequest { offset, limit })
    }

    /// The page asked for of a list the database pages itself (keyset cursors, see
    /// [`styrhub_domain::page`]): at most `max` long, counted (the body's `total`).
    pub fn keyset(&self, max: usize) -> Result<DomainPageRequest, Problem> {
        let limit = self.parse_limit(max)?;
        Ok(DomainPageRequest::forward(self.cursor.clone().map(Cursor), limit, true))
    }

    fn parse_limit(&self, max: usize) -> Result<usize, Problem> {
        match &self.limit {
            None => Ok(DEFAULT_LIMIT.min(max)),
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(Problem::invalid("limit", format!("`{raw}` is not a page size between 1 and {max}"))),
            },
        }
    }
}

/// A store's error for a page: a cursor it did not make is the `cursor` parameter's fault.
pub fn cursor_problem(e: RepoError) -> Problem {
    match e {
        RepoError::Invalid(d) if d.field == "after" => Problem::invalid("cursor", d.message),
        e => e.into(),
    }
}

fn encode(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("offset:")?.parse().ok()
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page, in the list's order.
    pub items: Vec<T>,
    /// How many items match, over all pages.
    pub total: usize,
    /// The page size used.
    pub limit: usize,
    /// The cursor of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts the page asked for out of the whole list, already filtered and ordered.
    pub fn of(all: Vec<T>, req: PageRequest) -> Self {
        let total = all.len();
        let end = req.offset.saturating_add(req.limit).min(total);
        let items: Vec<T> = all.into_iter().skip(req.offset).take(req.limit).collect();
        Self {
            items,
            total,
            limit: req.limit,
            next_cursor: (end < total).then(|| encode(end)),
        }
    }

    /// The page the database cut, as the body shows it.
    pub fn keyset(page: DomainPage<T>, limit: usize) -> Self {
        let next_cursor = if page.has_next {
            page.items.last().map(|(c, _)| c.0.clone())
        } else {
            None
        };
        Self {
            total: page.total.unwrap_or_default(),
            items: page.items.into_iter().map(|(_, item)| item).collect(),
            limit,
            next_cursor,
        }
    }

    /// The same page with other items (the wire shape of each).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            limit: self.limit,
            next_cursor: self.next_cursor,
        }
    }
}

/// Adds `Link: <…>; rel="next"` to an answer: the request's own path and query with the next
/// cursor, so that the next page keeps every filter and the format.
pub fn link_next(mut res: Response, uri: &Uri, next_cursor: Option<&str>) -> Response {
    let Some(cursor) = next_cursor else { return res };
    let mut pairs: Vec<(String, String)> = uri.query().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor");
    pairs.push(("cursor".to_owned(), cursor.to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if let Ok(v) = HeaderValue::from_str(&format!("<{}?{query}>; rel=\"next\"", uri.path())) {
        res.headers_mut().insert(header::LINK, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_refused() {
        let p = PageParams {
            limit: Some("2".into()),
            cursor: Some(encode(4)),
        };
        assert_eq!(p.parse(MAX_LIMIT).unwrap(), PageRequest { offset: 4, limit: 2 });
        let bad = PageParams {
            limit: None,
            cursor: Some("nonsense!".into()),
        };
        assert_eq!(bad.parse(MAX_LIMIT).unwrap_err().parameter.as_deref(), Some("cursor"));
    }

    #[test]
    fn the_limit_is_capped() {
        let p = PageParams {
            limit: Some("1001".into()),
            cursor: None,
        };
        assert_eq!(p.parse(MAX_LIMIT).unwrap_err().parameter.as_deref(), Some("limit"));
    }

    #[test]
    fn the_last_page_has_no_next_cursor() {
        let page = Page::of((0..5).collect::<Vec<_>>(), PageRequest { offset: 2, limit: 2 });
        assert_eq!(page.items, [2, 3]);
        assert_eq!(decode(page.next_cursor.as_deref().unwrap()), Some(4));
        let last = Page::of((0..5).collect::<Vec<_>>(), PageRequest { offset: 4, limit: 2 });
        assert_eq!(last.items, [4]);
        assert!(last.next_cursor.is_none());
    }
}
