//! Organisation units: the municipality and its council, board, committees, offices, units and
//! companies, as a tree.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// What kind of body an organisation unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    /// Kommun / kommunkoncern: the root of the tree.
    Municipality,
    /// Kommunfullmäktige.
    Council,
    /// Kommunstyrelsen.
    ExecutiveBoard,
    /// Nämnd.
    Committee,
    /// Förvaltning or kontor.
    Administration,
    /// Enhet or verksamhet.
    Unit,
    /// Bolag.
    Company,
    /// Moderbolag / stadshus-AB.
    HoldingCompany,
}

impl OrgUnitKind {
    /// All kinds, in order from the top of a municipality down.
    pub const ALL: [OrgUnitKind; 8] = [
        Self::Municipality,
        Self::Council,
        Self::ExecutiveBoard,
        Self::Committee,
        Self::Administration,
        Self::Unit,
        Self::HoldingCompany,
        Self::Company,
    ];

    /// The snake_case name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Municipality => "municipality",
            Self::Council => "council",
            Self::ExecutiveBoard => "executive_board",
            Self::Committee => "committee",
            Self::Administration => "administration",
            Self::Unit => "unit",
            Self::Company => "company",
            Self::HoldingCompany => "holding_company",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::new("kind", format!("`{s}` is not an organisation unit kind")))
    }
}

/// An organisation unit as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgUnit {
    /// Database id.
    pub id: i64,
    /// The municipality (root unit) this unit belongs to; the root points to itself.
    pub municipality_id: i64,
    /// The parent unit; `None` for the root.
    pub parent_id: Option<i64>,
    /// Stable natural key within the municipality, e.g. `kf`.
    pub key: String,
    /// Name as the municipality writes it.
    pub name: String,
    /// Abbreviation such as KF or KS.
    pub short_name: Option<String>,
    /// What kind of body it is.
    pub kind: OrgUnitKind,
    /// The Kolada/SCB municipality code, on the root only.
    pub municipality_code: Option<String>,
    /// Kolada's organisational-unit id, where known.
    pub kolada_ou_id: Option<String>,
}
