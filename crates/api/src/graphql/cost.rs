//! What a query costs, counted with its fan-out, and the refusal of one that costs too much.
//!
//! async-graphql's own complexity counts each field once, so a thousand goals, each with all
//! its descendants, each with all their indicators' series, cost no more than one goal would.
//! Here a field costs 1 plus what is selected under it, and that is counted once for every item
//! the field may return:
//! - a connection (a field with `first`/`last`) returns its page: the number asked for, or the
//!   default page; its `nodes` and `edges` are that page, not a further fan-out;
//! - any other list returns up to [`LIST_FANOUT`] items (a goal's indicators, a series'
//!   points), or as many as a list argument names if that is more (`series(areas: [...])`);
//! - an object returns one.
//!
//! Every field is counted, aliases and fragments included (a fragment where it is spread), so
//! `a: goals(…) b: goals(…)` costs twice one. The types come from the schema's registry, so a
//! new list field is counted without anyone remembering to annotate it. The check runs as soon
//! as the query is parsed, before validation and before anything is read, and refuses a query
//! over the limit with `extensions.code = "TOO_COMPLEX"`.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::registry::{MetaTypeName, Registry};
use async_graphql::{ErrorExtensions, Name, Pos, ServerResult, Value, Variables};
// The parser's value (variables not yet filled in), which async-graphql does not re-export.
use async_graphql_value::Value as GqlValue;

use crate::graphql::page::DEFAULT_PAGE;

/// How many items a list that is not paged is taken to hold: ten is above what the demo's and
/// the bench's trees hold per goal and indicator.
pub const LIST_FANOUT: usize = 10;

/// Nesting past which a selection is not walked further but costs the limit: validation
/// refuses anything this deep anyway (`--graphql-max-depth`), and the walk must not recurse
/// without bound on a hostile document.
const MAX_WALK_DEPTH: usize = 64;

/// The extension's factory, for `SchemaBuilder::extension`: refuses queries costing more than
/// `limit`.
pub struct CostLimit {
    /// The largest cost accepted (`--graphql-max-complexity`).
    pub limit: usize,
}

impl ExtensionFactory for CostLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostLimit { limit: self.limit })
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let cost = cost(&ctx.schema_env.registry, &doc, variables);
        if cost > self.limit {
            return Err(async_graphql::Error::new(format!(
                "the query is too complex: it may cost {cost}, over the limit of {}; ask for smaller pages (`first`) or fewer nested lists",
                self.limit
            ))
            .extend_with(|_, e| e.set("code", "TOO_COMPLEX"))
            .into_server_error(Pos::default()));
        }
        Ok(doc)
    }
}

/// The cost of the document's costliest operation (the operation to run is not known while
/// parsing; a document names it only when it holds several).
pub fn cost(registry: &Registry, doc: &ExecutableDocument, variables: &Variables) -> usize {
    let walk = Walk { registry, doc, variables };
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    operations
        .into_iter()
        .map(|op| {
            let root = match op.node.ty {
                async_graphql::parser::types::OperationType::Mutation => registry.mutation_type.as_deref(),
                async_graphql::parser::types::OperationType::Subscription => registry.subscription_type.as_deref(),
                async_graphql::parser::types::OperationType::Query => Some(registry.query_type.as_str()),
            };
            walk.set(root, &op.node.selection_set.node, false, &mut Vec::new(), 0)
        })
        .max()
        .unwrap_or(0)
}

struct Walk<'a> {
    registry: &'a Registry,
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
}

impl<'a> Walk<'a> {
    /// The cost of a selection set on the type named `ty` (`None`: not known, as under a field
    /// the schema does not have; validation will name it). `in_page`: the set is a connection's,
    /// whose lists are its page. `spreading`: the fragments being spread, against cycles.
    fn set(&self, ty: Option<&str>, set: &'a SelectionSet, in_page: bool, spreading: &mut Vec<&'a Name>, depth: usize) -> usize {
        if depth > MAX_WALK_DEPTH {
            return usize::MAX;
        }
        set.items.iter().fold(0usize, |sum, item| {
            let cost = match &item.node {
                Selection::Field(f) => self.field(ty, &f.node, in_page, spreading, depth),
                Selection::InlineFragment(f) => {
                    let on = f.node.type_condition.as_ref().map(|c| c.node.on.node.as_str()).or(ty);
                    self.set(on, &f.node.selection_set.node, in_page, spreading, depth + 1)
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    match self.doc.fragments.get(name) {
                        Some(fragment) if !spreading.contains(&name) => {
                            spreading.push(name);
                            let on = fragment.node.type_condition.node.on.node.as_str();
                            let cost = self.set(Some(on), &fragment.node.selection_set.node, in_page, spreading, depth + 1);
                            spreading.pop();
                            cost
                        }
                        // Unknown or cyclic: validation refuses the document.
                        _ => 0,
                    }
                }
            };
            sum.saturating_add(cost)
        })
    }

    /// One field: 1, plus what is selected under it once per item it may return.
    fn field(&self, ty: Option<&str>, field: &'a Field, in_page: bool, spreading: &mut Vec<&'a Name>, depth: usize) -> usize {
        let meta = ty
            .and_then(|t| self.registry.types.get(t))
            .and_then(|t| t.field_by_name(&field.name.node));
        let Some(meta) = meta else {
            // `__typename`, or a field validation will refuse: only what is under it counts.
            return 1usize.saturating_add(self.set(None, &field.selection_set.node, false, spreading, depth + 1));
        };
        let paged = meta.args.contains_key("first") || meta.args.contains_key("last");
        let items = if paged {
            self.page_size(field)
        } else if meta.ty.starts_with('[') && !in_page {
            // A list the query names its items of (`series(areas: [...])`) returns as many.
            LIST_FANOUT.max(self.longest_list_argument(field))
        } else {
            1
        };
        let inner = MetaTypeName::concrete_typename(&meta.ty);
        let under = self.set(Some(inner), &field.selection_set.node, paged, spreading, depth + 1);
        items.saturating_mul(under).saturating_add(1)
    }

    /// The most items any list argument of `field` holds (as written, or in its variable).
    fn longest_list_argument(&self, field: &Field) -> usize {
        field
            .arguments
            .iter()
            .map(|(_, value)| match self.argument(&value.node) {
                Value::List(items) => items.len(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }

    /// An argument's value, its variables filled in (null for one not given).
    fn argument(&self, value: &GqlValue) -> Value {
        value
            .clone()
            .into_const_with(|v| Ok::<_, std::convert::Infallible>(self.variables.get(&v).cloned().unwrap_or(Value::Null)))
            .unwrap_or(Value::Null)
    }

    /// The page a connection field asks for: `first`, else `last`, else the default page. A
    /// value that is not a number is left to the resolver to refuse; the default stands in.
    fn page_size(&self, field: &Field) -> usize {
        ["first", "last"]
            .iter()
            .find_map(|name| match self.argument(&field.get_argument(name)?.node) {
                Value::Number(n) => n.as_u64().map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                _ => None,
            })
            .unwrap_or(DEFAULT_PAGE)
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{Request, Variables};
    use serde_json::json;

    use crate::graphql::build_schema;
    use crate::limits::Limits;

    /// What `query` costs, as the refusal under a limit of 0 says.
    async fn cost_of(query: &str, variables: serde_json::Value) -> usize {
        let schema = build_schema(&Limits {
            graphql_max_complexity: 0,
            ..Limits::default()
        });
        let res = schema.execute(Request::new(query).variables(Variables::from_json(variables))).await;
        let e = &res.errors[0];
        assert_eq!(
            e.extensions.as_ref().and_then(|x| x.get("code")),
            Some(&async_graphql::Value::from("TOO_COMPLEX")),
            "{e:?}"
        );
        let cost = e.message.split("may cost ").nth(1).and_then(|r| r.split(',').next()).unwrap();
        cost.parse().unwrap()
    }

    #[tokio::test]
    async fn a_page_costs_what_is_under_it_once_per_item_asked_for() {
        // goals: 3 × (nodes: 1 × id 1 + 1) + 1; a connection's nodes are its page, no more.
        assert_eq!(
            cost_of(r#"{ goals(municipality: "1489", first: 3) { nodes { id } } }"#, json!({})).await,
            7
        );
        assert_eq!(
            cost_of(r#"{ goals(municipality: "1489", last: 3) { nodes { id } } }"#, json!({})).await,
            7
        );
        let by_variable = r#"query($n: Int) { goals(municipality: "1489", first: $n) { nodes { id } } }"#;
        assert_eq!(cost_of(by_variable, json!({ "n": 5 })).await, 11);
        // The default page when none is asked for.
        let default = 1 + super::DEFAULT_PAGE * 2;
        assert_eq!(
            cost_of(r#"{ goals(municipality: "1489") { nodes { id } } }"#, json!({})).await,
            default
        );
        assert_eq!(cost_of(by_variable, json!({})).await, default);
    }

    #[tokio::test]
    async fn other_lists_count_ten_items_and_aliases_and_fragments_count_where_they_stand() {
        // indicators: 10 × 1 + 1; nodes: 11 + 1; goals: 12 + 1.
        let one = r#"goals(municipality: "1489", first: 1) { nodes { indicators { id } } }"#;
        assert_eq!(cost_of(&format!("{{ {one} }}"), json!({})).await, 13);
        assert_eq!(cost_of(&format!("{{ a: {one} b: {one} }}"), json!({})).await, 26);
        let fragment = r#"{ goals(municipality: "1489", first: 1) { nodes { ...G ...G } } } fragment G on Goal { indicators { id } }"#;
        assert_eq!(cost_of(fragment, json!({})).await, 1 + (1 + 2 * 11));
        // A list that names its items costs as many as it names, when they are more than ten.
        let areas: Vec<String> = (0..30).map(|n| format!("{:04}", 1400 + n)).collect();
        let series = r#"query($a: [String!]!) { series(kpi: "N00090", areas: $a) { area } }"#;
        assert_eq!(cost_of(series, json!({ "a": areas })).await, 30 + 1);
        assert_eq!(cost_of(series, json!({ "a": ["1489"] })).await, 10 + 1);
    }

    #[tokio::test]
    async fn the_default_limit_takes_a_whole_tree_and_refuses_its_fan_out() {
        let limit = Limits::default().graphql_max_complexity;
        let tree = cost_of(crate::synthetic::TREE_QUERY, json!({ "m": "9999" })).await;
        assert!(tree <= limit, "the bench's 1,000-goal tree: {tree}");
        let fan_out = r#"{ goals(municipality: "1489", first: 1000) { nodes { descendants { goal { indicators {
            series(areas: ["1489"]) { points { period value } } } } } } } }"#;
        let cost = cost_of(fan_out, json!({})).await;
        assert!(cost > limit * 10, "{cost}");
        // GraphiQL's introspection query (the one async-graphql's playground sends) passes.
        let introspection = cost_of(INTROSPECTION, json!({})).await;
        assert!(introspection <= limit, "{introspection}");
    }

    /// The introspection query GraphiQL sends, as graphql-js writes it.
    const INTROSPECTION: &str = r#"
      query IntrospectionQuery {
        __schema {
          queryType { name } mutationType { name } subscriptionType { name }
          types { ...FullType }
          directives { name description locations args { ...InputValue } }
        }
      }
      fragment FullType on __Type {
        kind name description
        fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
        inputFields { ...InputValue }
        interfaces { ...TypeRef }
        enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
        possibleTypes { ...TypeRef }
      }
      fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
      fragment TypeRef on __Type {
        kind name
        ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
      }"#;
}
