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
