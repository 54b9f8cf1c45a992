//! Pages of a list, cut by the database: keyset cursors in the list's own order, never a loaded
//! list sliced in memory. A cursor is opaque to everyone but the store that made it (it holds
//! the sort key of an item), so a page stays stable when rows are added before it, and a page
//! costs the same wherever it is in the list.

use crate::error::DomainError;

/// A cursor of a page item, as the store made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(pub String);

/// Which page: Relay's four arguments. `first` and `last` are page sizes already checked
/// against the page cap; neither means `default` items from the start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Items after this one.
    pub after: Option<Cursor>,
    /// Items before this one.
    pub before: Option<Cursor>,
    /// The first this many (after `after`).
    pub first: Option<usize>,
    /// The last this many (before `before`).
    pub last: Option<usize>,
    /// The page size when neither `first` nor `last` is given.
    pub default: usize,
    /// Whether to count every matching item (a statement of its own: only when asked).
    pub count: bool,
}

impl PageRequest {
    /// The first `n` items after `after`.
    pub fn forward(after: Option<Cursor>, n: usize, count: bool) -> Self {
        Self {
            after,
            first: Some(n),
            default: n,
            count,
            ..Self::default()
        }
    }

    /// Whether the page is read from the end backwards: `last` without `first`.
    pub fn backward(&self) -> bool {
        self.first.is_none() && self.last.is_some()
    }

    /// Items on the page at most.
    pub fn size(&self) -> usize {
        self.first.or(self.last).unwrap_or(self.default)
    }
}

/// One page of a list, in the list's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, each with its cursor.
    pub items: Vec<(Cursor, T)>,
    /// Whether items come before the page.
    pub has_previous: bool,
    /// Whether items come after the page.
    pub has_next: bool,
    /// Every matching item, when [`PageRequest::count`] asked.
    pub total: Option<usize>,
}

impl<T> Page<T> {
    /// The page of `items` read in the page's direction (`items` ends with one extra item when
    /// more lie beyond), as asked by `req`: put in the list's order.
    pub fn from_read(mut items: Vec<(Cursor, T)>, req: &PageRequest, total: Option<usize>) -> Self {
        let size = req.size();
        let beyond = items.len() > size;
        items.truncate(size);
        if req.backward() {
            items.reverse();
            Page {
                items,
                has_previous: beyond,
                has_next: req.before.is_some(),
                total,
            }
        } else {
            Page {
                items,
                has_previous: req.after.is_some(),
                has_next: beyond,
                total,
            }
        }
    }
}

/// A cursor that no store made: named after the argument that carried it.
pub fn bad_cursor(argument: &str) -> DomainError {
    DomainError::new(argument, "not a cursor of this list (use the endCursor or startCursor of a page)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(n: usize) -> Vec<(Cursor, usize)> {
        (0..n).map(|i| (Cursor(i.to_string()), i)).collect()
    }

    #[test]
    fn a_forward_page_says_more_follow_when_the_read_brought_one_extra() {
        let req = PageRequest::forward(None, 3, false);
        let p = Page::from_read(read(4), &req, None);
        assert_eq!(p.items.iter().map(|i| i.1).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(p.has_next && !p.has_previous);
        let last = Page::from_read(read(2), &PageRequest::forward(Some(Cursor("x".into())), 3, false), None);
        assert!(!last.has_next && last.has_previous);
    }

    #[test]
    fn a_backward_page_comes_in_the_list_order() {
        let req = PageRequest {
            last: Some(2),
            default: 100,
            ..PageRequest::default()
        };
        // Read from the end: 9, 8, then the extra 7.
        let items = vec![(Cursor("9".into()), 9), (Cursor("8".into()), 8), (Cursor("7".into()), 7)];
        let p = Page::from_read(items, &req, None);
        assert_eq!(p.items.iter().map(|i| i.1).collect::<Vec<_>>(), [8, 9]);
        assert!(p.has_previous && !p.has_next);
    }
}
