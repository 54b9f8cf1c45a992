//! Refusing introspection with an error. async-graphql's own switch
//! (`disable_introspection`) answers `__schema` and `__type` with `null` and no error, which a
//! client cannot tell from a bug; this extension, installed only when introspection is off,
//! refuses such queries before they run, with `extensions.code = "VALIDATION"`.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, Pos, ServerResult, Variables};

/// The extension's factory, for `SchemaBuilder::extension`.
pub struct NoIntrospection;

impl ExtensionFactory for NoIntrospection {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(NoIntrospection)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for NoIntrospection {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let operations: Vec<_> = match &doc.operations {
            DocumentOperations::Single(op) => vec![op],
            DocumentOperations::Multiple(ops) => ops.values().collect(),
        };
        let mut seen = HashSet::new();
        if let Some(pos) = operations
            .iter()
            .find_map(|op| introspects(&doc, &op.node.selection_set.node, &mut seen))
        {
            return Err(async_graphql::Error::new("introspection is disabled on this server")
                .extend_with(|_, e| e.set("code", "VALIDATION"))
                .into_server_error(pos));
        }
        Ok(doc)
    }
}

/// Where a selection set asks for `__schema` or `__type`, through fragments too (each fragment
/// looked at once: the document is not validated yet, so fragments may refer to each other).
fn introspects<'a>(doc: &'a ExecutableDocument, set: &'a SelectionSet, seen: &mut HashSet<&'a str>) -> Option<Pos> {
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(f) => matches!(f.node.name.node.as_str(), "__schema" | "__type").then_some(f.pos),
        Selection::InlineFragment(f) => introspects(doc, &f.node.selection_set.node, seen),
        Selection::FragmentSpread(s) => {
            let name = s.node.fragment_name.node.as_str();
            if !seen.insert(name) {
                return None;
            }
            let fragment = doc.fragments.get(&s.node.fragment_name.node)?;
            introspects(doc, &fragment.node.selection_set.node, seen)
        }
    })
}
