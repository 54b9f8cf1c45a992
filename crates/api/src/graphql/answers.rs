//! Whole GraphQL answers kept for a moment (see [`crate::answer_cache`]): dashboards and BI
//! tools ask for the same goal tree again and again, and a tree of 2,000 indicators costs tens
//! of milliseconds to answer however few statements it takes.
//!
//! Off unless `--graphql-cache-ttl-ms` switches it on. Only queries are kept, only when they
//! answered without errors, and per caller (the same query may answer an admin more than an
//! anonymous reader). A write this process commits forgets every kept answer (the gateway counts
//! commits), so whoever writes reads what they wrote; a refused mutation forgets nothing.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use styrhub_domain::access::Actor;

use crate::answer_cache::AnswerCache;

/// What a GraphQL answer depends on: the request's text, operation and variables, and who asks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    query: String,
    operation: Option<String>,
    /// The variables as JSON: their order is the client's, so a reordered set is its own key.
    variables: String,
    /// The token, or none for an anonymous caller.
    token: Option<i64>,
}

/// GraphQL answers by [`Key`].
pub type GraphqlAnswers = AnswerCache<Key>;

impl Key {
    /// The key of `req` from `actor`, or `None` when the request carries extensions (persisted
    /// queries and the like), whose effect on the answer is not known here.
    pub fn of(req: &async_graphql::Request, actor: &Actor) -> Option<Self> {
        if !req.extensions.is_empty() {
            return None;
        }
        Some(Self {
            query: req.query.clone(),
            operation: req.operation_name.clone(),
            variables: serde_json::to_string(&req.variables).ok()?,
            token: actor.principal().map(|p| p.token_id),
        })
    }
}

/// What a request's operation does, as far as the caches care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A query: its answer may be kept.
    Query,
    /// A mutation: never kept (what it commits forgets the kept answers in the gateway).
    Mutation,
    /// Anything else (a subscription, or text that does not parse: the executor says why).
    Other,
}

/// The operation `req` runs: the one named by `operationName`, or the only one.
pub fn operation(req: &async_graphql::Request) -> Operation {
    let Ok(doc) = async_graphql::parser::parse_query(&req.query) else {
        return Operation::Other;
    };
    let ty = match (&doc.operations, req.operation_name.as_deref()) {
        (DocumentOperations::Single(op), None) => Some(op.node.ty),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), name) => match name {
            Some(name) => ops.get(name).map(|op| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    };
    match ty {
        Some(OperationType::Query) => Operation::Query,
        Some(OperationType::Mutation) => Operation::Mutation,
        _ => Operation::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(query: &str, name: Option<&str>) -> Operation {
        let mut req = async_graphql::Request::new(query);
        req.operation_name = name.map(str::to_owned);
        operation(&req)
    }

    #[test]
    fn the_operation_that_runs_decides() {
        assert_eq!(op("{ goals { totalCount } }", None), Operation::Query);
        assert_eq!(op("query Q { goals { totalCount } }", Some("Q")), Operation::Query);
        assert_eq!(op("mutation { archiveGoal(id: 1) { id } }", None), Operation::Mutation);
        let both = "query Q { goals { totalCount } } mutation M { archiveGoal(id: 1) { id } }";
        assert_eq!(op(both, Some("M")), Operation::Mutation);
        assert_eq!(op(both, Some("Q")), Operation::Query);
        assert_eq!(op(both, None), Operation::Other);
        assert_eq!(op("{ goals", None), Operation::Other);
        assert_eq!(op("subscription { x }", None), Operation::Other);
    }
}
