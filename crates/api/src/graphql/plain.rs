//! A shortcut past the executor for large lists whose answers are already in memory.
//!
//! A goal tree's 2,000 indicators with their latest values, statuses and targets are about
//! 30,000 fields. Through the executor each costs a boxed future, a context, a match on the
//! field's name and a map insert, and together they were most of the tree's time, although
//! every one of them only looks up what the list resolver prefetched. A list of [`Plain`]
//! items is answered by walking the query's selection set directly instead, building the same
//! values. Whenever any item cannot answer a selected field that way (an argument, a fragment,
//! a directive, a field that needs a loader, nothing prefetched) the whole list goes through the
//! executor as usual, so the answer is the same either way; a test compares the two.
//!
//! A type's plain fields are written once, in `scalar_fields!`: each becomes both its
//! resolver and its shortcut's answer (goals, indicators, statuses, targets, trends, points).
//! Three kinds of field keep a shortcut arm beside their resolver, because the resolver does
//! what the shortcut never needs: the fields a list resolver prefetches (an indicator's latest
//! value, status and targets: their resolvers take an area and a year and read through the
//! loaders), the phrases answered without their `language` argument (`explanation`,
//! `description`: English, their default), and the objects within a status (its target and
//! trend).

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

use crate::graphql::context::GoalIndicators;
use crate::read::Loaders;

/// What a plain answer may read: the request's loaders (their prefetched facts) and the goals'
/// prefetched indicators.
pub struct Cx<'a> {
    /// The request's loaders.
    pub loaders: &'a Loaders,
    /// The goals' prefetched indicators, when the request has them.
    pub goal_indicators: Option<&'a GoalIndicators>,
}

impl<'a> Cx<'a> {
    /// What `ctx` holds, or `None` without loaders.
    fn of(ctx: &ContextSelectionSet<'a>) -> Option<Self> {
        Some(Self {
            loaders: ctx.data::<Loaders>().ok()?,
            goal_indicators: ctx.data::<GoalIndicators>().ok(),
        })
    }
}

/// An object type that can answer some of its fields from memory.
pub trait Plain {
    /// The GraphQL type's name, for `__typename`.
    const TYPE: &'static str;

    /// The value of `field` (whose arguments are known to be empty), or `None` when it needs
    /// the executor.
    fn plain(&self, cx: &Cx<'_>, field: &Field) -> Option<Value>;
}

/// The fields of `set` by response key, when every one can be answered plainly as far as the
/// query alone tells (no fragment, directive or argument, no key twice); `None` sends the
/// list through the executor. Worked out once per selection, not once per item.
fn plain_fields(set: &SelectionSet) -> Option<Vec<(&Name, &Field)>> {
    let mut fields: Vec<(&Name, &Field)> = Vec::with_capacity(set.items.len());
    for selection in &set.items {
        // Fragments and directives are rare in big lists; the executor knows them.
        let Selection::Field(field) = &selection.node else { return None };
        let field = &field.node;
        if !field.directives.is_empty() || !field.arguments.is_empty() {
            return None;
        }
        let key = &field.response_key().node;
        // The same key twice is merged by the executor's rules.
        if fields.iter().any(|(k, _)| *k == key) {
            return None;
        }
        fields.push((key, field));
    }
    Some(fields)
}

/// The object `item` answering `fields` (see [`plain_fields`]), or `None` when any needs the
/// executor.
fn object_of<T: Plain>(item: &T, cx: &Cx<'_>, fields: &[(&Name, &Field)]) -> Option<Value> {
    let mut map = IndexMap::with_capacity(fields.len());
    for (key, field) in fields {
        let value = match field.name.node.as_str() {
            "__typename" => Value::String(T::TYPE.to_owned()),
            _ => item.plain(cx, field)?,
        };
        map.insert((*key).clone(), value);
    }
    Some(Value::Object(map))
}

/// The object `item` answering the selection `set`, or `None` when any field needs the
/// executor.
pub fn object<T: Plain>(item: &T, cx: &Cx<'_>, set: &SelectionSet) -> Option<Value> {
    object_of(item, cx, &plain_fields(set)?)
}

/// An optional object: null, or the object.
pub fn optional<T: Plain>(item: Option<&T>, cx: &Cx<'_>, set: &SelectionSet) -> Option<Value> {
    match item {
        Some(i) => object(i, cx, set),
        None => Some(Value::Null),
    }
}

/// A list of objects.
pub fn list<'i, T: Plain + 'i>(items: impl IntoIterator<Item = &'i T>, cx: &Cx<'_>, set: &SelectionSet) -> Option<Value> {
    let fields = plain_fields(set)?;
    items
        .into_iter()
        .map(|i| object_of(i, cx, &fields))
        .collect::<Option<Vec<_>>>()
        .map(Value::List)
}

/// A field's Rust value as the executor would answer it: what `scalar_fields!` builds the
/// shortcut's answers with.
pub trait ToPlain {
    /// The GraphQL value.
    fn to_plain(self) -> Value;
}

impl ToPlain for i64 {
    fn to_plain(self) -> Value {
        Value::from(self)
    }
}

impl ToPlain for i32 {
    fn to_plain(self) -> Value {
        Value::from(self)
    }
}

impl ToPlain for bool {
    fn to_plain(self) -> Value {
        Value::Boolean(self)
    }
}

impl ToPlain for f64 {
    fn to_plain(self) -> Value {
        Value::from(self)
    }
}

impl ToPlain for &str {
    fn to_plain(self) -> Value {
        Value::String(self.to_owned())
    }
}

impl ToPlain for String {
    fn to_plain(self) -> Value {
        Value::String(self)
    }
}

impl<T: ToPlain> ToPlain for Option<T> {
    fn to_plain(self) -> Value {
        self.map_or(Value::Null, ToPlain::to_plain)
    }
}

impl<T: ToPlain> ToPlain for Vec<T> {
    fn to_plain(self) -> Value {
        Value::List(self.into_iter().map(ToPlain::to_plain).collect())
    }
}

/// Enums answer their GraphQL name.
macro_rules! plain_enums {
    ($($ty:ty),*) => {$(
        impl $crate::graphql::plain::ToPlain for $ty {
            fn to_plain(self) -> async_graphql::Value {
                async_graphql::InputType::to_value(&self)
            }
        }
    )*};
}
pub(crate) use plain_enums;

/// An object type whose plain fields (no arguments, answered from the object alone) are each
/// defined once: every one becomes a resolver of the type's `#[Object(serial)]` block and an
/// arm of `plain_scalar`, the executor shortcut's answer for it. The rest of the block (the
/// fields with arguments or loaders) follows as written.
///
/// ```ignore
/// scalar_fields! {
///     /// The type's description.
///     impl Goal (g) {
///         /// Database id.
///         id / "id": i64 = g.0.id;
///     }
///     /// A field through the loaders.
///     async fn owner(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> { … }
/// }
/// ```
macro_rules! scalar_fields {
    // A wrapper of a domain value (`struct Point(DomainPoint)`) whose fields read the value
    // alone: `$this` is the wrapped value, and `plain_scalar_of` answers for a bare domain
    // value, as the facts a list prefetched hold them (no wrapper, no clone).
    (
        $(#[$type_meta:meta])*
        impl $ty:ident ($this:ident in $inner:ty) {
            $( $(#[$doc:meta])* $name:ident / $gql:literal : $ret:ty = $value:expr; )*
        }
        $($rest:tt)*
    ) => {
        $(#[$type_meta])*
        #[async_graphql::Object(serial)]
        impl $ty {
            $(
                $(#[$doc])*
                async fn $name(&self) -> $ret {
                    let $this: &$inner = &self.0;
                    $value
                }
            )*
            $($rest)*
        }

        impl $ty {
            /// The plain field `name` (its GraphQL name) of `value` as its resolver answers
            /// it, or `None` when it is not one.
            pub(crate) fn plain_scalar_of(value: &$inner, name: &str) -> Option<async_graphql::Value> {
                let $this = value;
                match name {
                    $( $gql => {
                        let value: $ret = $value;
                        Some($crate::graphql::plain::ToPlain::to_plain(value))
                    } )*
                    _ => None,
                }
            }
        }
    };
    (
        $(#[$type_meta:meta])*
        impl $ty:ident ($this:ident) {
            $( $(#[$doc:meta])* $name:ident / $gql:literal : $ret:ty = $value:expr; )*
        }
        $($rest:tt)*
    ) => {
        $(#[$type_meta])*
        #[async_graphql::Object(serial)]
        impl $ty {
            $(
                $(#[$doc])*
                async fn $name(&self) -> $ret {
                    let $this = self;
                    $value
                }
            )*
            $($rest)*
        }

        impl $ty {
            /// The plain field `name` (its GraphQL name) as its resolver answers it, or `None`
            /// when it is not one.
            fn plain_scalar(&self, name: &str) -> Option<async_graphql::Value> {
                let $this = self;
                match name {
                    $( $gql => {
                        let value: $ret = $value;
                        Some($crate::graphql::plain::ToPlain::to_plain(value))
                    } )*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use scalar_fields;

/// An item answered plainly when it can be, and by `T`'s own resolvers otherwise: the same
/// GraphQL type as `T`. For the items of a connection (a goal tree's 500 goals), whose list
/// async-graphql resolves itself.
pub struct PlainItem<T>(pub T);

impl<T: OutputType + Plain> OutputType for PlainItem<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        // As for `PlainList`: no extension hooks fields.
        if let Some(cx) = Cx::of(ctx) {
            if let Some(value) = object(&self.0, &cx, &ctx.item.node) {
                return Ok(value);
            }
        }
        self.0.resolve(ctx, field).await
    }
}

/// A list answered plainly when it can be: the same GraphQL type as `Vec<T>` (`[T!]!`).
pub struct PlainList<T>(pub Vec<T>);

impl<T: OutputType + Plain> OutputType for PlainList<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        // The schema's only extension (`graphql::build_schema`: refusing introspection) hooks
        // the parse; one with per-field hooks would not see the fields answered here.
        if let Some(cx) = Cx::of(ctx) {
            if let Some(value) = list(&self.0, &cx, &ctx.item.node) {
                return Ok(value);
            }
        }
        resolve_list(ctx, field, &self.0, Some(self.0.len())).await
    }
}
