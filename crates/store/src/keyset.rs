//! Pages of a list cut by the database: keyset cursors in the list's own total order
//! (`styrhub_domain::page`). A list says what its order is ([`ListOrder`]); [`page`] reads one
//! page past a cursor, in either direction, with one statement when every filter is SQL and in
//! batches when some filter is applied in Rust (the free-text filters, see `text_matches`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{Condition, DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter, QuerySelect, Select};
use serde::de::DeserializeOwned;
use serde::Serialize;
use styrhub_domain::page::{bad_cursor, Cursor, Page, PageRequest};
use styrhub_domain::RepoError;

use crate::db::repo_err;

/// A list's total order: the columns it is sorted by (the id last, so that no two rows tie) and
/// an item's values of them, which its cursor holds.
pub(crate) trait ListOrder<T>: Serialize + DeserializeOwned + Sized {
    /// The entity the list reads.
    type Entity: EntityTrait;

    /// The sort columns, in order.
    fn columns() -> Vec<Expr>;
    /// The sort values of `item`, in the order of [`ListOrder::columns`].
    fn of(item: &T) -> Self;
    /// The same values as SQL values.
    fn values(&self) -> Vec<Expr>;

    /// The rows past this key in `order` (after it ascending, before it descending).
    fn beyond(&self, order: &Order) -> SimpleExpr {
        let cols = Expr::tuple(Self::columns());
        let key = Expr::tuple(self.values());
        match order {
            Order::Desc => cols.lt(key),
            _ => cols.gt(key),
        }
    }

    /// `q` sorted by the list's order.
    fn sort(q: Select<Self::Entity>, order: &Order) -> Select<Self::Entity> {
        Self::columns()
            .into_iter()
            .fold(q, |q, c| sea_orm::QueryOrder::order_by(q, c, order.clone()))
    }

    /// The cursor of `item`.
    fn cursor(&self) -> Cursor {
        cursor_of(self)
    }

    /// The key a cursor holds; a cursor this list did not make is the client's mistake,
    /// named after the argument that carried it.
    fn parse(c: &Cursor, argument: &str) -> Result<Self, RepoError> {
        parse_cursor(c, argument)
    }
}

/// The cursor holding `key`: opaque to the client.
pub(crate) fn cursor_of<K: Serialize>(key: &K) -> Cursor {
    Cursor(URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default()))
}

/// The key `c` holds; a cursor this list did not make is the client's mistake, named after the
/// argument that carried it.
pub(crate) fn parse_cursor<K: DeserializeOwned>(c: &Cursor, argument: &str) -> Result<K, RepoError> {
    URL_SAFE_NO_PAD
        .decode(c.0.trim())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| RepoError::Invalid(bad_cursor(argument)))
}

/// One page of the list of `K`'s entity that `condition` (its SQL filter) and `keep` (its Rust
/// filter, when it has one) select, as `page` asks: read in the page's direction from its start,
/// a batch at a time, until one more than the page matched (one statement when the filter is
/// all SQL); counted only when asked.
pub(crate) async fn page<T, K, C, F>(
    db: &DatabaseConnection,
    condition: Condition,
    convert: C,
    keep: Option<F>,
    page: &PageRequest,
) -> Result<Page<T>, RepoError>
where
    K: ListOrder<T>,
    <K::Entity as EntityTrait>::Model: Sync,
    C: Fn(Vec<<K::Entity as EntityTrait>::Model>) -> Result<Vec<T>, RepoError>,
    F: Fn(&T) -> bool,
{
    let after = page.after.as_ref().map(|c| K::parse(c, "after")).transpose()?;
    let before = page.before.as_ref().map(|c| K::parse(c, "before")).transpose()?;
    let (order, backward) = if page.backward() {
        (Order::Desc, true)
    } else {
        (Order::Asc, false)
    };
    let wanted = page.size() + 1;
    let batch = if keep.is_some() { wanted.max(200) } else { wanted };
    let (from, to) = if backward { (&before, &after) } else { (&after, &before) };
    let mut start = from.as_ref().map(|k| k.beyond(&order));
    // The far end, when both are given: the page stays between them.
    let end = to.as_ref().map(|k| k.beyond(if backward { &Order::Asc } else { &Order::Desc }));
    // The count is a statement of its own: it runs beside the page's reads, on a connection
    // of its own, so that a page with `totalCount` waits for the longer, not for both.
    let read = async {
        let mut items: Vec<(Cursor, T)> = Vec::with_capacity(wanted);
        loop {
            let mut q = K::Entity::find().filter(condition.clone());
            if let Some(s) = start.take() {
                q = q.filter(s);
            }
            if let Some(e) = &end {
                q = q.filter(e.clone());
            }
            let rows = K::sort(q, &order).limit(batch as u64).all(db).await.map_err(repo_err)?;
            let read = rows.len();
            let found = convert(rows)?;
            start = found.last().map(|last| K::of(last).beyond(&order));
            items.extend(
                found
                    .into_iter()
                    .filter(|i| keep.as_ref().is_none_or(|keep| keep(i)))
                    .map(|i| (K::of(&i).cursor(), i)),
            );
            if items.len() >= wanted || read < batch {
                break;
            }
        }
        items.truncate(wanted);
        Ok::<_, RepoError>(items)
    };
    let count = async {
        Ok(match (&keep, page.count) {
            (_, false) => None,
            (None, true) => Some(K::Entity::find().filter(condition.clone()).count(db).await.map_err(repo_err)? as usize),
            // A Rust filter counts what it keeps: every matching row is read (only when asked).
            (Some(keep), true) => {
                let rows = K::Entity::find().filter(condition.clone()).all(db).await.map_err(repo_err)?;
                Some(convert(rows)?.iter().filter(|i| keep(i)).count())
            }
        })
    };
    let (items, total) = tokio::try_join!(read, count)?;
    Ok(Page::from_read(items, page, total))
}
