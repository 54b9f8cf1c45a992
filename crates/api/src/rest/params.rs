//! Query parameters: read from the query string as text and parsed here, each error naming its
//! parameter, exactly as strictly as the OpenAPI document describes them. The document's
//! shapes of the shared kinds of value are the [`ToSchema`] types below: what a parameter
//! accepts is written once, beside the code that accepts it.
//!
//! What the document says, the parsers hold to, in both directions: a value the document allows
//! is never refused as malformed (it may name something that does not exist: 404), and a value
//! it does not allow is refused (400). So a year is four digits between 1900 and 2200 with
//! nothing around them, a boolean is `true` or `false`, and a list is its items joined by
//! commas, with spaces allowed around each item and nothing else.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use styrhub_domain::ids::{AreaCode, Gender, Year};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::rest::problem::Problem;

/// Query parameters of type `T`, read from the query string; a malformed query string is a
/// problem (400) rather than axum's plain-text rejection. Fields are strings, parsed by the
/// handlers with the functions here, so that each error names its parameter.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
            .map(Params)
            .map_err(|e| Problem::invalid("query", e.to_string()))
    }
}

// ----- The document's shapes ----------------------------------------------------------------------

/// A string of `pattern`, for the document.
fn pattern(pattern: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .examples([serde_json::json!(example)])
        .into()
}

/// An area code: four digits (a municipality, a region, `0000` the country), a comparison
/// group (`G` and digits, Kolada's; `1489:key`, a municipality's own) or an organisational unit
/// (`V` and at least four letters or digits).
pub struct AreaCodeParam;

impl PartialSchema for AreaCodeParam {
    fn schema() -> RefOr<Schema> {
        pattern(r"^([0-9]{4}|G[0-9]+|V[A-Za-z0-9]{4,}|[0-9]{4}:[a-z0-9-]+)$", "1489")
    }
}

impl ToSchema for AreaCodeParam {}

/// One place, not a group: four digits or an organisational unit (what a group ranks).
pub struct PlaceCodeParam;

impl PartialSchema for PlaceCodeParam {
    fn schema() -> RefOr<Schema> {
        pattern(r"^([0-9]{4}|V[A-Za-z0-9]{4,})$", "1489")
    }
}

impl ToSchema for PlaceCodeParam {}

/// A municipality's code: four digits.
pub struct MunicipalityCodeParam;

impl PartialSchema for MunicipalityCodeParam {
    fn schema() -> RefOr<Schema> {
        pattern(r"^[0-9]{4}$", "1489")
    }
}

impl ToSchema for MunicipalityCodeParam {}

/// A gender: `T` total, `K` women (kvinnor), `M` men (män).
#[derive(ToSchema)]
pub enum GenderParam {
    /// Total.
    T,
    /// Women.
    K,
    /// Men.
    M,
}

/// An area type: `K` municipality, `L` region, `G` municipality group, `OU` organisational unit.
#[derive(ToSchema)]
pub enum AreaTypeParam {
    /// Municipality.
    K,
    /// Region.
    L,
    /// Municipality group.
    G,
    /// Organisational unit.
    OU,
}

/// A ranking's order.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum OrderParam {
    /// Highest value first.
    Desc,
    /// Lowest value first.
    Asc,
}

// ----- Parsing --------------------------------------------------------------------------------------

/// The items of a comma-separated list, each with the spaces around it removed. An empty item
/// (`1489,,0000`, a trailing comma) or other white space is a bad `parameter`.
pub fn parse_list<'a>(parameter: &str, raw: &'a str) -> Result<Vec<&'a str>, Problem> {
    raw.split(',')
        .map(|item| {
            let item = item.trim_matches(' ');
            if item.is_empty() {
                Err(Problem::invalid(
                    parameter,
                    format!("`{raw}` has an empty item: give values separated by commas"),
                ))
            } else if item.contains(char::is_whitespace) {
                Err(Problem::invalid(parameter, format!("`{item}` holds white space")))
            } else {
                Ok(item)
            }
        })
        .collect()
}

/// One area code, nothing around it.
pub fn parse_area(parameter: &str, raw: &str) -> Result<AreaCode, Problem> {
    if raw.contains(char::is_whitespace) {
        return Err(Problem::invalid(parameter, format!("`{raw}` holds white space")));
    }
    AreaCode::parse(raw).map_err(|e| Problem::invalid(parameter, e.message))
}

/// Area codes from a comma-separated list of at most `max` items (counted as given), each
/// parsed, duplicates dropped.
pub fn parse_areas(parameter: &str, raw: &str, max: usize) -> Result<Vec<AreaCode>, Problem> {
    let items = parse_list(parameter, raw)?;
    if items.len() > max {
        return Err(Problem::invalid(
            parameter,
            format!("{} areas asked for; at most {max}", items.len()),
        ));
    }
    let mut out: Vec<AreaCode> = Vec::with_capacity(items.len());
    for code in items {
        let a = parse_area(parameter, code)?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

/// A municipality's code: four digits. Whether the hub has it is the handler's question (404).
pub fn parse_municipality_code<'a>(parameter: &str, raw: &'a str) -> Result<&'a str, Problem> {
    if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw)
    } else {
        Err(Problem::invalid(
            parameter,
            format!("`{raw}` is not a municipality code (four digits, e.g. 1489)"),
        ))
    }
}

/// A year such as 2023, between [`Year::MIN`] and [`Year::MAX`].
pub fn parse_year(parameter: &str, raw: &str) -> Result<i32, Problem> {
    let y: i32 = raw
        .parse()
        .map_err(|_| Problem::invalid(parameter, format!("`{raw}` is not a year such as 2023")))?;
    Year::new(y).map(Year::get).map_err(|e| Problem::invalid(parameter, e.message))
}

/// Genders from a comma-separated list (T, K, M), duplicates dropped; the total when none is
/// given.
pub fn parse_genders(raw: Option<&str>) -> Result<Vec<Gender>, Problem> {
    let mut out = Vec::new();
    for g in raw.map(|r| parse_list("gender", r)).transpose()?.into_iter().flatten() {
        let g = Gender::parse(g).map_err(|e| Problem::invalid("gender", e.message))?;
        if !out.contains(&g) {
            out.push(g);
        }
    }
    if out.is_empty() {
        out.push(Gender::Total);
    }
    Ok(out)
}

/// An id given as a filter: a whole number from 1 (whether it names anything is the handler's
/// question).
pub fn parse_id(parameter: &str, raw: &str) -> Result<i64, Problem> {
    raw.parse()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(|| Problem::invalid(parameter, format!("`{raw}` is not an id (a whole number from 1)")))
}

/// `true` or `false`.
pub fn parse_bool(parameter: &str, raw: &str) -> Result<bool, Problem> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(Problem::invalid(parameter, format!("`{other}` is not true or false"))),
    }
}

/// The id in a path such as `/api/v1/goals/{id}`: anything but a whole number names nothing,
/// so it is a 404 like an id that does not exist.
pub fn path_id(what: &str, raw: &str) -> Result<i64, Problem> {
    raw.parse().map_err(|_| Problem::not_found(format!("{what} {raw}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_lists_are_parsed_deduplicated_and_bounded() {
        let a = parse_areas("area", "1489, 0000,1489", 50).unwrap();
        assert_eq!(a.iter().map(|a| a.as_str()).collect::<Vec<_>>(), ["1489", "0000"]);
        assert_eq!(parse_areas("area", "764", 50).unwrap_err().parameter.as_deref(), Some("area"));
        assert!(parse_areas("area", "1489,0000", 1).is_err());
        assert!(parse_areas("area", "1489,1489", 1).is_err(), "counted as given");
    }

    #[test]
    fn an_empty_item_or_white_space_in_a_list_is_a_bad_parameter() {
        for raw in [" , ", "1489,", ",1489", "1489,,0000", "1489\t", "14\u{a0}89", ""] {
            assert!(parse_areas("area", raw, 50).is_err(), "{raw:?}");
        }
        assert!(parse_area("area", " 1489").is_err());
    }

    #[test]
    fn a_five_digit_year_or_one_with_spaces_is_a_bad_parameter() {
        assert_eq!(parse_year("from", "2015").unwrap(), 2015);
        for raw in ["20155", "soon", " 2015", "1899", "2201"] {
            assert_eq!(parse_year("from", raw).unwrap_err().parameter.as_deref(), Some("from"), "{raw:?}");
        }
    }

    #[test]
    fn booleans_are_true_or_false() {
        assert!(parse_bool("subtree", "true").unwrap());
        assert!(!parse_bool("subtree", "false").unwrap());
        for raw in ["1", "yes", "TRUE", " true"] {
            assert!(parse_bool("subtree", raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn municipality_codes_are_four_digits() {
        assert_eq!(parse_municipality_code("municipality", "1489").unwrap(), "1489");
        for raw in ["148", "14890", "G1489", " 1489", ""] {
            assert!(parse_municipality_code("municipality", raw).is_err(), "{raw:?}");
        }
    }
}
