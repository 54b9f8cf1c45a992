//! Pages of list endpoints: `limit` (100 by default, at most 1000) and an opaque `cursor`. The
//! body carries `next_cursor`; the `Link` header carries the next page's URL (`rel="next"`).

use axum::http::{header, HeaderValue, Uri};
use axum::response::Response;
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
    /// Items per page: 100 by default, at most 1000 (the deployment's `--max-page-size`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Where to go on: the `next_cursor` of the previous page (opaque). A cursor this list did
    /// not make names no page of it: 404.
    #[param(pattern = r"^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page asked for of a list the database pages itself (keyset cursors, see
    /// [`styrhub_domain::page`]): at most `max` long, counted (the body's `total`).
    pub fn keyset(&self, max: usize) -> Result<DomainPageRequest, Problem> {
        let limit = self.parse_limit(max)?;
        Ok(DomainPageRequest::forward(self.cursor.clone().map(Cursor), limit, true))
    }

    fn parse_limit(&self, max: usize) -> Result<usize, Problem> {
        match &self.limit {
            None => Ok(DEFAULT_LIMIT.min(max)),
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(Problem::invalid("limit", format!("`{raw}` is not a page size between 1 and {max}"))),
            },
        }
    }
}

/// A store's error for a page. A cursor the list did not make names no page of it: 404, with
/// `cursor` as the parameter. (Not 400: a cursor is opaque, so no description of the parameter
/// could tell a client which strings are cursors; the string is well formed, it just names
/// nothing, like an unknown id.)
pub fn cursor_problem(e: RepoError) -> Problem {
    match e {
        RepoError::Invalid(d) if d.field == "after" => {
            Problem::names_nothing("cursor", format!("no page of this list starts at this cursor: {}", d.message))
        }
        e => e.into(),
    }
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
    fn the_cursor_goes_to_the_store_as_given_and_the_limit_is_capped() {
        let p = PageParams {
            limit: Some("2".into()),
            cursor: Some("abc".into()),
        };
        let req = p.keyset(MAX_LIMIT).unwrap();
        assert_eq!((req.after, req.first, req.count), (Some(Cursor("abc".into())), Some(2), true));
        let over = PageParams {
            limit: Some("1001".into()),
            cursor: None,
        };
        assert_eq!(over.keyset(MAX_LIMIT).unwrap_err().parameter.as_deref(), Some("limit"));
    }

    #[test]
    fn only_a_page_with_more_after_it_has_a_next_cursor() {
        let items = vec![(Cursor("a".into()), 1), (Cursor("b".into()), 2)];
        let more = DomainPage {
            items: items.clone(),
            has_previous: false,
            has_next: true,
            total: Some(5),
        };
        let page = Page::keyset(more, 2);
        assert_eq!((page.items, page.total, page.next_cursor.as_deref()), (vec![1, 2], 5, Some("b")));
        let last = DomainPage {
            items,
            has_previous: true,
            has_next: false,
            total: None,
        };
        assert!(Page::keyset(last, 2).next_cursor.is_none());
    }
}
