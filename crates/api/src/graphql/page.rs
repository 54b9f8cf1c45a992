//! Relay-style pagination: every list that can grow is a connection with opaque cursors, a
//! default page of [`DEFAULT_PAGE`] and a cap of [`MAX_PAGE`]. Every page is cut by the
//! database (keyset cursors, see `styrhub_domain::page`); none is sliced from a loaded list.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, OutputType, Result, SimpleObject};
use styrhub_domain::page::{Cursor, Page as DomainPage, PageRequest};
use styrhub_domain::{DomainError, RepoError};

use crate::error::gql;

/// Items in a page when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: usize = 100;
/// The largest page a client may ask for by default (`--max-page-size`): a whole goal tree of
/// a large municipality fits.
pub const MAX_PAGE: usize = 1_000;

/// The page cap of a schema, kept as schema data by `graphql::build_schema`.
#[derive(Clone, Copy, Debug)]
pub struct PageCap(pub usize);

/// Fields every connection has besides its edges.
#[derive(SimpleObject)]
pub struct PageTotals {
    /// How many items match, over all pages.
    pub total_count: usize,
}

/// The page `after`/`before`/`first`/`last` ask for, for a list the database pages itself
/// ([`styrhub_domain::page`]): sizes checked against the cap; `totalCount` counted only when
/// the query selects it.
pub fn page_request(
    ctx: &Context<'_>,
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
) -> Result<PageRequest> {
    let max = page_cap(ctx);
    Ok(PageRequest {
        after: after.map(Cursor),
        before: before.map(Cursor),
        first: page_size(max, "first", first)?,
        last: page_size(max, "last", last)?,
        default: DEFAULT_PAGE.min(max),
        count: ctx.look_ahead().field("totalCount").exists(),
    })
}

/// The schema's page cap.
fn page_cap(ctx: &Context<'_>) -> usize {
    ctx.data_opt::<PageCap>().map_or(MAX_PAGE, |c| c.0)
}

/// `first` or `last` (`name`) as a page size, refused when negative or over `max`.
fn page_size(max: usize, name: &str, n: Option<i32>) -> Result<Option<usize>> {
    match n {
        Some(n) if n < 0 || n as usize > max => Err(gql(RepoError::Invalid(DomainError::new(
            name,
            format!("{n} is not a page size between 0 and {max}"),
        )))),
        n => Ok(n.map(|n| n as usize)),
    }
}

/// A connection of a page the database cut, its cursors the store's.
pub type KeysetPage<N> = Connection<String, N, PageTotals>;

/// The connection of `page`, each item mapped by `map`.
pub fn connection<T, N: OutputType>(page: DomainPage<T>, map: impl Fn(T) -> N) -> KeysetPage<N> {
    let mut c = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        PageTotals {
            // Only read when the query selected it, and then counted.
            total_count: page.total.unwrap_or_default(),
        },
    );
    c.edges
        .extend(page.items.into_iter().map(|(cursor, item)| Edge::new(cursor.0, map(item))));
    c
}
