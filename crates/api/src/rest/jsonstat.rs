//! JSON-stat 2.0 datasets (<https://json-stat.org/format/>), the format of the Nordic statistics
//! agencies' PxWeb APIs: dimensions with categories (an index and labels), their sizes, and the
//! values in row-major order (the last dimension varies fastest), `null` where missing.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A JSON-stat 2.0 dataset, as the OpenAPI document describes it: what [`Cube::to_json`] writes.
pub struct JsonStatDataset;

impl PartialSchema for JsonStatDataset {
    fn schema() -> RefOr<Schema> {
        let strings = || ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String));
        let number_or_null = ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Number, Type::Null]));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("A JSON-stat 2.0 dataset (https://json-stat.org/format/)."))
            .property("version", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["2.0"])))
            .property(
                "class",
                ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["dataset"])),
            )
            .property("label", ObjectBuilder::new().schema_type(Type::String))
            .property("source", ObjectBuilder::new().schema_type(Type::String))
            .property("id", strings())
            .property(
                "size",
                ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))),
            )
            .property("dimension", ObjectBuilder::new().schema_type(Type::Object))
            .property("value", ArrayBuilder::new().items(number_or_null))
            .property("role", ObjectBuilder::new().schema_type(Type::Object))
            .property("status", ObjectBuilder::new().schema_type(Type::Object))
            .property("extension", ObjectBuilder::new().schema_type(Type::Object))
            .required("version")
            .required("class")
            .required("id")
            .required("size")
            .required("dimension")
            .required("value")
            .into()
    }
}

impl ToSchema for JsonStatDataset {}

/// The `application/json` answer of a resource that also comes as JSON-stat, for the document:
/// its own shape `T`, or, with `format=jsonstat` (or `Accept` asking for it), a
/// [`JsonStatDataset`].
pub fn json_or_jsonstat<T: ToSchema>() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(Ref::from_schema_name(T::name()))
        .item(Ref::from_schema_name(JsonStatDataset::name()))
        .into()
}

/// Declares `$name`, the document's [`json_or_jsonstat`] of `$t`.
macro_rules! or_jsonstat {
    ($(#[$doc:meta])* $name:ident, $t:ty) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::rest::jsonstat::json_or_jsonstat::<$t>()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use or_jsonstat;

/// One dimension: an id, a label and its categories (code, label) in order.
#[derive(Debug, Clone)]
pub struct Dimension {
    /// The id, e.g. `area`.
    pub id: &'static str,
    /// The label, e.g. "area".
    pub label: String,
    /// The categories in order: (code, label).
    pub categories: Vec<(String, String)>,
}

impl Dimension {
    /// A dimension with these categories.
    pub fn new(id: &'static str, label: impl Into<String>, categories: Vec<(String, String)>) -> Self {
        Self {
            id,
            label: label.into(),
            categories,
        }
    }
}

/// A dataset being filled in.
#[derive(Debug, Clone)]
pub struct Cube {
    label: String,
    dimensions: Vec<Dimension>,
    roles: Vec<(&'static str, &'static str)>,
    values: Vec<Option<f64>>,
    status: BTreeMap<usize, String>,
    extension: Value,
}

impl Cube {
    /// An empty dataset (every value missing) over these dimensions.
    pub fn new(label: impl Into<String>, dimensions: Vec<Dimension>) -> Self {
        let len = dimensions.iter().map(|d| d.categories.len()).product();
        Self {
            label: label.into(),
            dimensions,
            roles: Vec::new(),
            values: vec![None; len],
            status: BTreeMap::new(),
            extension: Value::Null,
        }
    }

    /// Gives a dimension a role: `geo`, `time` or `metric`.
    pub fn role(mut self, role: &'static str, dimension: &'static str) -> Self {
        self.roles.push((role, dimension));
        self
    }

    /// Extra, Styrhub-specific facts about the dataset (`extension`).
    pub fn extension(mut self, extension: Value) -> Self {
        self.extension = extension;
        self
    }

    /// The position of the value at these category codes, one per dimension in order.
    fn position(&self, codes: &[&str]) -> Option<usize> {
        if codes.len() != self.dimensions.len() {
            return None;
        }
        let mut pos = 0;
        for (d, code) in self.dimensions.iter().zip(codes) {
            let i = d.categories.iter().position(|(c, _)| c == code)?;
            pos = pos * d.categories.len() + i;
        }
        Some(pos)
    }

    /// Sets the value at these category codes, with a status (such as `example`) when given.
    /// Codes outside the dimensions are ignored.
    pub fn set(&mut self, codes: &[&str], value: Option<f64>, status: Option<String>) {
        if let Some(p) = self.position(codes) {
            self.values[p] = value;
            if let Some(s) = status {
                self.status.insert(p, s);
            }
        }
    }

    /// The dataset as JSON-stat 2.0.
    pub fn to_json(&self) -> Value {
        let mut dimension = Map::new();
        for d in &self.dimensions {
            let index: Map<String, Value> = d.categories.iter().enumerate().map(|(i, (c, _))| (c.clone(), json!(i))).collect();
            let label: Map<String, Value> = d.categories.iter().map(|(c, l)| (c.clone(), json!(l))).collect();
            dimension.insert(
                d.id.to_owned(),
                json!({ "label": d.label, "category": { "index": index, "label": label } }),
            );
        }
        let mut roles: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (role, dim) in &self.roles {
            roles.entry(role).or_default().push(dim);
        }
        let mut out = json!({
            "version": "2.0",
            "class": "dataset",
            "label": self.label,
            "source": "Styrhub",
            "id": self.dimensions.iter().map(|d| d.id).collect::<Vec<_>>(),
            "size": self.dimensions.iter().map(|d| d.categories.len()).collect::<Vec<_>>(),
            "dimension": dimension,
            "value": self.values,
        });
        if !roles.is_empty() {
            out["role"] = json!(roles);
        }
        if !self.status.is_empty() {
            let status: Map<String, Value> = self.status.iter().map(|(p, s)| (p.to_string(), json!(s))).collect();
            out["status"] = Value::Object(status);
        }
        if !self.extension.is_null() {
            out["extension"] = self.extension.clone();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats(codes: &[&str]) -> Vec<(String, String)> {
        codes.iter().map(|c| (c.to_string(), format!("label {c}"))).collect()
    }

    #[test]
    fn values_are_in_row_major_order_with_the_last_dimension_fastest() {
        let mut c = Cube::new(
            "t",
            vec![
                Dimension::new("area", "area", cats(&["1489", "0000"])),
                Dimension::new("period", "period", cats(&["2022", "2023"])),
                Dimension::new("gender", "gender", cats(&["T"])),
            ],
        );
        c.set(&["0000", "2022", "T"], Some(5.0), Some("example".into()));
        c.set(&["1489", "2023", "T"], Some(7.0), None);
        c.set(&["9999", "2023", "T"], Some(1.0), None);
        let j = c.role("geo", "area").to_json();
        assert_eq!(j["size"], json!([2, 2, 1]));
        assert_eq!(j["value"], json!([null, 7.0, 5.0, null]));
        assert_eq!(j["status"], json!({ "2": "example" }));
        assert_eq!(j["dimension"]["area"]["category"]["index"]["0000"], 1);
        assert_eq!(j["role"]["geo"], json!(["area"]));
    }
}
