//! Walking hierarchies: the organisation tree and the goal hierarchy (a goal may contribute to
//! more than one goal above it, so goals form a directed acyclic graph, not only a tree).
//!
//! Both are small per municipality (hundreds to a few thousand nodes), so the API loads a
//! municipality's edges once per request and walks them here, in memory, instead of issuing a
//! query per level.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A node reached from another, and how many steps away it is (1 = parent or child).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    /// The node.
    pub id: i64,
    /// Steps from the start; the shortest when there are several paths.
    pub depth: u32,
}

/// Child → parent edges, indexed both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hierarchy {
    parents: BTreeMap<i64, Vec<i64>>,
    children: BTreeMap<i64, Vec<i64>>,
}

impl Hierarchy {
    /// Builds the index from `(child, parent)` edges; duplicate edges count once.
    pub fn new(edges: impl IntoIterator<Item = (i64, i64)>) -> Self {
        let mut h = Self::default();
        let unique: BTreeSet<(i64, i64)> = edges.into_iter().collect();
        for (child, parent) in unique {
            h.parents.entry(child).or_default().push(parent);
            h.children.entry(parent).or_default().push(child);
        }
        h
    }

    /// The direct parents of `id`.
    pub fn parents(&self, id: i64) -> &[i64] {
        self.parents.get(&id).map(Vec::as_slice).unwrap_or_default()
    }

    /// The direct children of `id`.
    pub fn children(&self, id: i64) -> &[i64] {
        self.children.get(&id).map(Vec::as_slice).unwrap_or_default()
    }

    /// Every node above `id`, nearest first.
    pub fn ancestors(&self, id: i64) -> Vec<Reached> {
        walk(id, |n| self.parents(n))
    }

    /// Every node below `id`, nearest first; `max_depth` stops the walk early.
    pub fn descendants(&self, id: i64, max_depth: Option<u32>) -> Vec<Reached> {
        let mut all = walk(id, |n| self.children(n));
        if let Some(max) = max_depth {
            all.retain(|r| r.depth <= max);
        }
        all
    }

    /// True when `id` has no parent.
    pub fn is_root(&self, id: i64) -> bool {
        self.parents(id).is_empty()
    }
}

/// Breadth-first from `start`, each node once at its shortest depth. A cycle (which validation
/// refuses, but a database can still hold) ends the walk instead of looping.
fn walk<'a>(start: i64, next: impl Fn(i64) -> &'a [i64]) -> Vec<Reached> {
    let mut seen = BTreeSet::from([start]);
    let mut out = Vec::new();
    let mut queue = VecDeque::from([(start, 0u32)]);
    while let Some((node, depth)) = queue.pop_front() {
        for &n in next(node) {
            if seen.insert(n) {
                out.push(Reached { id: n, depth: depth + 1 });
                queue.push_back((n, depth + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // 1 ← 2 ← 4, 1 ← 3 ← 4: goal 4 contributes to both 2 and 3.
    fn diamond() -> Hierarchy {
        Hierarchy::new([(2, 1), (3, 1), (4, 2), (4, 3)])
    }

    #[test]
    fn a_goal_with_two_parents_is_reached_once_at_its_shortest_depth() {
        let d = diamond().descendants(1, None);
        assert_eq!(
            d,
            [
                Reached { id: 2, depth: 1 },
                Reached { id: 3, depth: 1 },
                Reached { id: 4, depth: 2 }
            ]
        );
    }

    #[test]
    fn ancestors_go_up_every_parent() {
        let ids: Vec<i64> = diamond().ancestors(4).iter().map(|r| r.id).collect();
        assert_eq!(ids, [2, 3, 1]);
    }

    #[test]
    fn max_depth_cuts_the_walk() {
        assert_eq!(diamond().descendants(1, Some(1)).len(), 2);
    }

    #[test]
    fn a_cycle_in_stored_data_ends_the_walk() {
        let h = Hierarchy::new([(1, 2), (2, 1)]);
        assert_eq!(h.ancestors(1).len(), 1);
    }
}
