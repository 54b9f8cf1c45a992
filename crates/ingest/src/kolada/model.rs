//! Kolada's wire types (v3, and v2 through the same structs) and their conversion to what the
//! client returns: metadata structs and domain observations.
//!
//! The wire structs are private and lenient where Kolada's versions differ (`auspice` /
//! `auspices`, booleans as `true` or `1`, `period` as number or string, optional `count`,
//! `status` and deleted flags) and ignore unknown fields, because fields have been renamed and
//! added before. They are strict about types that carry meaning: a `value` that is not a number
//! or null fails the row, naming it, rather than being skipped.

use serde::de::{self, Deserializer, Unexpected};
use serde::Deserialize;
use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::kpi::{Area, Kpi};
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};

/// A key figure's metadata as Kolada describes it (`/kpi`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiMeta {
    /// The id, e.g. `N01951`.
    pub id: String,
    /// The title; discontinued KPIs carry "(-YYYY)" in it. Empty when Kolada sent none.
    pub title: String,
    /// The description; may hold HTML entities and newlines.
    pub description: Option<String>,
    /// The operating area (verksamhetsområde), e.g. "Befolkning".
    pub operating_area: Option<String>,
    /// `K` municipalities, `L` regions, `A` both.
    pub municipality_type: Option<String>,
    /// Whether values come per gender (`K`, `M`) besides the total.
    pub is_divided_by_gender: Option<bool>,
    /// The *next* publication date as Kolada gives it (may be in the future).
    pub publication_date: Option<String>,
    /// The next preliminary publication date.
    pub prel_publication_date: Option<String>,
    /// The latest period published, e.g. "2025".
    pub publ_period: Option<String>,
    /// Whether the KPI also has values per organisational unit (`/oudata`).
    pub has_ou_data: Option<bool>,
    /// Who runs the measured activity: `E` own, `T` all, `P` private, `X` not applicable
    /// (v3 `auspice`, v2 `auspices`).
    pub auspice: Option<String>,
    /// Kolada's perspective, e.g. "Resurser".
    pub perspective: Option<String>,
}

impl KpiMeta {
    /// The domain's view of the metadata, as stored.
    pub fn to_domain(&self) -> Kpi {
        Kpi {
            id: self.id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            operating_area: self.operating_area.clone(),
            municipality_type: self.municipality_type.clone(),
            is_divided_by_gender: self.is_divided_by_gender,
            publication_date: self.publication_date.clone(),
        }
    }
}

/// A municipality, region or the country (`/municipality`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaMeta {
    /// The code with its leading zeros, e.g. `0114`; `0000` is the country.
    pub id: String,
    /// The name, e.g. "Upplands Väsby" or "Riket".
    pub title: String,
    /// `K` municipality, `L` region (the country is typed `L` too).
    pub area_type: String,
}

impl AreaMeta {
    /// The domain's area.
    pub fn to_domain(&self) -> Area {
        Area {
            code: self.id.clone(),
            title: self.title.clone(),
            area_type: self.area_type.clone(),
            parent: None,
        }
    }
}

/// An organisational unit: a school, a care home … (`/ou`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuMeta {
    /// The id, e.g. `V15E108000701`.
    pub id: String,
    /// The municipality it belongs to, e.g. `1080`.
    pub municipality: String,
    /// The name.
    pub title: String,
}

impl OuMeta {
    /// The domain's area, typed `OU`.
    pub fn to_domain(&self) -> Area {
        Area {
            code: self.id.clone(),
            title: self.title.clone(),
            area_type: "OU".to_owned(),
            parent: Some(self.municipality.clone()),
        }
    }
}

/// A group of KPIs or of municipalities (`/kpi_groups`, `/municipality_groups`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The id, e.g. `G114418`.
    pub id: String,
    /// The title.
    pub title: String,
    /// Members as (`member_id`, `member_title`), in Kolada's order.
    pub members: Vec<(String, String)>,
}

impl Group {
    /// A municipality group as a domain area, typed `G` (its values are the unweighted mean of
    /// its members). Not meaningful for KPI groups.
    pub fn to_area(&self) -> Area {
        Area {
            code: self.id.clone(),
            title: self.title.clone(),
            area_type: "G".to_owned(),
            parent: None,
        }
    }

    /// A municipality group's members as domain areas: municipalities (`K`), or regions and
    /// the country (`L`) for codes `00NN`.
    pub fn member_areas(&self) -> Vec<Area> {
        self.members
            .iter()
            .map(|(id, title)| Area {
                code: id.clone(),
                title: title.clone(),
                area_type: if id.starts_with("00") { "L" } else { "K" }.to_owned(),
                parent: None,
            })
            .collect()
    }
}

#[derive(Deserialize)]
struct WireKpi {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    is_divided_by_gender: Option<bool>,
    #[serde(default)]
    municipality_type: Option<String>,
    #[serde(default, alias = "auspices")]
    auspice: Option<String>,
    #[serde(default)]
    operating_area: Option<String>,
    #[serde(default)]
    perspective: Option<String>,
    #[serde(default)]
    prel_publication_date: Option<String>,
    #[serde(default)]
    publication_date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    publ_period: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    has_ou_data: Option<bool>,
}

#[derive(Deserialize)]
struct WireArea {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default, rename = "type")]
    area_type: Option<String>,
}

#[derive(Deserialize)]
struct WireOu {
    id: String,
    #[serde(default)]
    municipality: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
struct WireGroup {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    members: Option<Vec<WireMember>>,
}

/// A group member: `member_id`/`member_title` as v3 serves them; `id`/`title` as older (v2)
/// documentation and mirrors write them.
#[derive(Deserialize)]
struct WireMember {
    #[serde(alias = "id")]
    member_id: String,
    #[serde(default, alias = "title")]
    member_title: Option<String>,
}

#[derive(Deserialize)]
struct WireRow {
    kpi: String,
    #[serde(default)]
    municipality: Option<String>,
    #[serde(default)]
    ou: Option<String>,
    #[serde(deserialize_with = "period")]
    period: i32,
    #[serde(default)]
    values: Option<Vec<WireValue>>,
}

#[derive(Deserialize)]
struct WireValue {
    gender: Gender,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "count")]
    count: Option<i32>,
    #[serde(default, deserialize_with = "flag")]
    isdeleted: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    is_deleted: Option<bool>,
}

/// Parses one `/kpi` row.
pub(crate) fn kpi(raw: &str) -> Result<KpiMeta, String> {
    let w: WireKpi = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    Ok(KpiMeta {
        id: w.id,
        title: w.title.unwrap_or_default(),
        description: w.description,
        operating_area: w.operating_area,
        municipality_type: w.municipality_type,
        is_divided_by_gender: w.is_divided_by_gender,
        publication_date: w.publication_date,
        prel_publication_date: w.prel_publication_date,
        publ_period: w.publ_period,
        has_ou_data: w.has_ou_data,
        auspice: w.auspice,
        perspective: w.perspective,
    })
}

/// Parses one `/municipality` row.
pub(crate) fn area(raw: &str) -> Result<AreaMeta, String> {
    let w: WireArea = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    Ok(AreaMeta {
        id: w.id,
        title: w.title.unwrap_or_default(),
        area_type: w.area_type.unwrap_or_default(),
    })
}

/// Parses one `/ou` row. A missing `municipality` is read from the id (`V15E` + code + serial).
pub(crate) fn ou(raw: &str) -> Result<OuMeta, String> {
    let w: WireOu = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    let municipality = match w.municipality {
        Some(m) => m,
        None => {
            w.id.get(4..8)
                .filter(|m| m.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned)
                .ok_or_else(|| format!("no `municipality`, and `{}` does not contain one", w.id))?
        }
    };
    Ok(OuMeta {
        id: w.id,
        municipality,
        title: w.title.unwrap_or_default(),
    })
}

/// Parses one group row (`/kpi_groups`, `/municipality_groups`).
pub(crate) fn group(raw: &str) -> Result<Group, String> {
    let w: WireGroup = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    Ok(Group {
        id: w.id,
        title: w.title.unwrap_or_default(),
        members: w
            .members
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.member_id, m.member_title.unwrap_or_default()))
            .collect(),
    })
}

/// Parses one data row into one observation per gender entry, appended to `out`.
///
/// `ou` selects the area field: `ou` for `/oudata`, `municipality` for `/data`. Entries are
/// read by their `gender`, never by position: Kolada does not promise an order.
pub(crate) fn observations(raw: &str, ou: bool, out: &mut Vec<NewObservation>) -> Result<(), String> {
    let w: WireRow = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    let kpi = KpiId::parse(&w.kpi).map_err(|e| e.message)?;
    let (field, area) = if ou { ("ou", w.ou) } else { ("municipality", w.municipality) };
    let area = area.ok_or_else(|| format!("the row has no `{field}`"))?;
    let area = AreaCode::parse(&area).map_err(|e| e.message)?;
    let period = Year::new(w.period).map_err(|e| e.message)?;
    for v in w.values.unwrap_or_default() {
        out.push(NewObservation {
            series: SeriesRef::Kpi(kpi.clone()),
            area: area.clone(),
            period,
            gender: v.gender,
            value: v.value,
            status: v.status.filter(|s| !s.is_empty()),
            count: v.count,
            source: ValueSource::Kolada,
            deleted: v.isdeleted.or(v.is_deleted).unwrap_or(false),
        });
    }
    Ok(())
}

/// A flag as v3 (`true`) or v2 (`1`) sends it; null is unknown.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    match Option::<Flag>::deserialize(d)? {
        None => Ok(None),
        Some(Flag::Bool(b)) => Ok(Some(b)),
        Some(Flag::Int(0)) => Ok(Some(false)),
        Some(Flag::Int(1)) => Ok(Some(true)),
        Some(Flag::Int(n)) => Err(de::Error::invalid_value(Unexpected::Signed(n), &"a boolean or 0/1")),
    }
}

/// A year as a number or a string of digits.
fn period<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Period {
        Int(i64),
        Text(String),
    }
    let n = match Period::deserialize(d).map_err(|_| de::Error::custom("`period` is neither a year number nor a string of digits"))? {
        Period::Int(n) => n,
        Period::Text(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| de::Error::invalid_value(Unexpected::Str(&s), &"a year"))?,
    };
    i32::try_from(n).map_err(|_| de::Error::invalid_value(Unexpected::Signed(n), &"a year"))
}

/// A member count: a whole number (a float with no fraction is tolerated), or null.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(f) if f.fract() == 0.0 && f >= f64::from(i32::MIN) && f <= f64::from(i32::MAX) => Ok(Some(f as i32)),
        Some(f) => Err(de::Error::invalid_value(Unexpected::Float(f), &"a whole count")),
    }
}

/// Text that some versions send as a number (`publ_period`).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Str(String),
        Int(i64),
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::Str(s) => s,
        Text::Int(n) => n.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(raw: &str) -> Result<Vec<NewObservation>, String> {
        let mut out = Vec::new();
        observations(raw, false, &mut out)?;
        Ok(out)
    }

    #[test]
    fn values_are_read_by_gender_not_position() {
        let rows = obs(r#"{"kpi":"N01951","municipality":"1489","period":2022,"values":[
                {"gender":"M","value":3.0},{"gender":"T","value":1.0},{"gender":"K","value":2.0}]}"#)
        .unwrap();
        let by = |g| rows.iter().find(|o| o.gender == g).unwrap().value;
        assert_eq!(by(Gender::Total), Some(1.0));
        assert_eq!(by(Gender::Women), Some(2.0));
        assert_eq!(by(Gender::Men), Some(3.0));
    }

    #[test]
    fn null_stays_none_and_zero_stays_a_value() {
        let rows = obs(r#"{"kpi":"U30446","municipality":"0380","period":2026,"values":[
                {"gender":"T","value":0.0,"status":""},{"gender":"K","value":null,"status":"Missing"}]}"#)
        .unwrap();
        assert_eq!(rows[0].value, Some(0.0));
        assert_eq!(rows[0].status, None, "an empty status is no status");
        assert_eq!(rows[1].value, None);
        assert_eq!(rows[1].status.as_deref(), Some("Missing"));
    }

    #[test]
    fn period_may_be_a_string_and_flags_may_be_numbers() {
        let rows = obs(r#"{"kpi":"N00945","municipality":"0180","period":"2000","extra":{"new":1},
                "values":[{"gender":"T","count":3,"status":"","value":31.33,"is_deleted":1,"whatever":true}]}"#)
        .unwrap();
        assert_eq!(rows[0].period.get(), 2000);
        assert_eq!(rows[0].count, Some(3));
        assert!(rows[0].deleted);
        assert_eq!(rows[0].source, ValueSource::Kolada);
        assert_eq!(rows[0].series, SeriesRef::Kpi(KpiId::parse("N00945").unwrap()));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_an_error_not_a_skip() {
        let err = obs(r#"{"kpi":"N00945","municipality":"0180","period":2000,"values":[{"gender":"T","value":"abc"}]}"#).unwrap_err();
        assert!(err.contains("abc"), "{err}");
    }

    #[test]
    fn an_unknown_gender_or_a_bad_area_is_an_error() {
        assert!(obs(r#"{"kpi":"N00945","municipality":"0180","period":2000,"values":[{"gender":"F","value":1}]}"#).is_err());
        assert!(obs(r#"{"kpi":"N00945","municipality":"180","period":2000,"values":[]}"#).is_err());
        assert!(obs(r#"{"kpi":"N00945","ou":"V15E108000701","period":2000,"values":[]}"#).is_err());
    }

    #[test]
    fn ou_rows_read_the_ou_field() {
        let mut out = Vec::new();
        observations(
            r#"{"kpi":"N15033","ou":"V15E108000701","period":2023,"values":[{"gender":"T","value":12.5}]}"#,
            true,
            &mut out,
        )
        .unwrap();
        assert_eq!(out[0].area.as_str(), "V15E108000701");
    }

    #[test]
    fn v2_and_v3_kpis_parse_through_the_same_struct() {
        let v3 = kpi(r#"{"id":"N01951","title":"Invånare totalt, antal","is_divided_by_gender":true,"auspice":"X","has_ou_data":false,"publ_period":"2026"}"#).unwrap();
        let v2 =
            kpi(r#"{"id":"N00053","title":"t","is_divided_by_gender":1,"auspices":"E","ou_publication_date":null,"publ_period":2019}"#)
                .unwrap();
        assert_eq!(v3.is_divided_by_gender, Some(true));
        assert_eq!(v3.auspice.as_deref(), Some("X"));
        assert_eq!(v2.is_divided_by_gender, Some(true));
        assert_eq!(v2.auspice.as_deref(), Some("E"));
        assert_eq!(v2.publ_period.as_deref(), Some("2019"));
        assert_eq!(v3.to_domain().title, "Invånare totalt, antal");
    }

    #[test]
    fn a_kpi_flag_of_two_is_not_a_boolean() {
        assert!(kpi(r#"{"id":"N00001","is_divided_by_gender":2}"#).is_err());
    }

    #[test]
    fn an_ou_without_municipality_takes_it_from_its_id() {
        let o = ou(r#"{"id":"V15E108000701","title":"Rödebyskolan F-9"}"#).unwrap();
        assert_eq!(o.municipality, "1080");
    }

    #[test]
    fn groups_list_members_by_member_id() {
        let g =
            group(r#"{"id":"G114418","title":"Fyrkommunsnätverket","members":[{"member_id":"0682","member_title":"Nässjö"}]}"#).unwrap();
        assert_eq!(g.members, vec![("0682".to_owned(), "Nässjö".to_owned())]);
        assert_eq!(g.to_area().area_type, "G");
        // The older shape names members by `id` and `title`.
        let v2 = group(r#"{"id":"G114418","title":"Fyrkommunsnätverket","members":[{"id":"0682","title":"Nässjö"}]}"#).unwrap();
        assert_eq!(v2.members, g.members);
    }
}
