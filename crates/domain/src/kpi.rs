//! Key-figure metadata (Kolada KPIs) and the areas values are measured for.

use serde::{Deserialize, Serialize};

/// A key figure's metadata as the source describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    /// The id, e.g. N00090.
    pub id: String,
    /// Title as the source writes it.
    pub title: String,
    /// Description as the source writes it.
    pub description: Option<String>,
    /// The source's operating area (verksamhetsområde).
    pub operating_area: Option<String>,
    /// K (municipalities), L (regions) or both.
    pub municipality_type: Option<String>,
    /// Whether values come per gender (K, M) besides the total.
    pub is_divided_by_gender: Option<bool>,
    /// When the source published it.
    pub publication_date: Option<String>,
}

/// Which key figures to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiFilter {
    /// Only these ids.
    pub ids: Option<Vec<String>>,
    /// Title or id containing this text (case-insensitive).
    pub text: Option<String>,
}

/// An area values are measured for: a municipality, a region, the country or a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// The code, e.g. 1489 or 0000.
    pub code: String,
    /// The name, e.g. Alingsås or Riket.
    pub title: String,
    /// K municipality, L region (or the country), G group, OU organisational unit.
    pub area_type: String,
    /// For an organisational unit: its municipality's code.
    pub parent: Option<String>,
}

/// Which areas to list. Both REST parameters and the store read it; the store turns the type
/// and parent into SQL and applies the text in Rust (see [`crate::goal::text_matches`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaFilter {
    /// Only areas of these types (K, L, G, OU).
    pub types: Option<Vec<String>>,
    /// Only the organisational units of this municipality (its code).
    pub parent: Option<String>,
    /// Code or name containing this text (case-insensitive).
    pub text: Option<String>,
}

impl AreaFilter {
    /// True when `area` passes the filter.
    pub fn matches(&self, area: &Area) -> bool {
        self.types.as_ref().is_none_or(|t| t.iter().any(|t| t == &area.area_type))
            && self.parent.as_ref().is_none_or(|p| area.parent.as_ref() == Some(p))
            && self
                .text
                .as_deref()
                .is_none_or(|t| crate::goal::text_matches(t, &[Some(&area.code), Some(&area.title)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &str, title: &str, area_type: &str, parent: Option<&str>) -> Area {
        Area {
            code: code.into(),
            title: title.into(),
            area_type: area_type.into(),
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn an_area_filter_checks_type_parent_and_text_together() {
        let school = area("V15E148900101", "Ängaboskolan", "OU", Some("1489"));
        let f = AreaFilter {
            types: Some(vec!["OU".into()]),
            parent: Some("1489".into()),
            text: Some("änga".into()),
        };
        assert!(f.matches(&school));
        assert!(!f.matches(&area("1489", "Alingsås", "K", None)));
        assert!(AreaFilter::default().matches(&school));
    }
}
