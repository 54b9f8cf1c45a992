//! The read side, shared by every protocol: GraphQL resolvers and REST handlers both read
//! through here, and neither imports the other.
//!
//! It holds the read ports ([`Ports`]) and, per request, [`Loaders`]: every parent → child edge
//! fetched in one statement per request level, with the series' read model (compact points and
//! latest values kept by the writers, see `styrhub_domain::compact`). The rules it applies are
//! the domain's: [`status`] judges indicators with `rules::status`, [`goals`] rolls attainment
//! up the goal hierarchy with `rules::rollup::roll_up_tree`, so a verdict or an attainment is the
//! same whichever protocol asks.
//!
//! The batching itself is async-graphql's `DataLoader`, a generic utility with no GraphQL in it:
//! REST handlers use it the same way, reading at once ([`Batch::Now`]).
//!
//! # Layout
//! - [`loaders`]: the per-request loaders and their caches.
//! - [`status`]: indicators judged against their targets.
//! - [`goals`]: goal attainment over the hierarchy.
//! - [`groups`]: comparison groups: stored municipality groups and listed areas, and their figures.

use std::sync::Arc;

use styrhub_domain::ports::{GovernanceReader, IndicatorReader, SeriesReader};

pub mod goals;
pub mod groups;
pub mod loaders;
pub mod status;

pub use loaders::{load, Batch, LoadError, Loaders};

/// The read ports, by capability: one shared [`Readers`], since every request's loaders hold a
/// copy each (one reference count, not three).
#[derive(Clone)]
pub struct Ports(Arc<Readers>);

impl Ports {
    /// The ports of these readers.
    pub fn new(readers: Readers) -> Self {
        Self(Arc::new(readers))
    }
}

impl std::ops::Deref for Ports {
    type Target = Readers;

    fn deref(&self) -> &Readers {
        &self.0
    }
}

/// The read ports, by capability.
pub struct Readers {
    /// The governance chain.
    pub governance: Arc<dyn GovernanceReader>,
    /// Indicators, links and targets.
    pub indicators: Arc<dyn IndicatorReader>,
    /// Series (their read model) and key-figure metadata.
    pub series: Arc<dyn SeriesReader>,
    /// Whole tables, streamed.
    pub tables: Arc<dyn styrhub_domain::export::TableExporter>,
}
