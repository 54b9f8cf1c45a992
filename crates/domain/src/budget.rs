//! Budgets per organisation unit and year.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// Operating or investment budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetKind {
    /// Driftbudget (kommunbidrag / nettokostnadsram).
    Operating,
    /// Investeringsbudget.
    Investment,
}

impl BudgetKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operating => "operating",
            Self::Investment => "investment",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "operating" => Ok(Self::Operating),
            "investment" => Ok(Self::Investment),
            other => Err(DomainError::new(
                "kind",
                format!("`{other}` is not a budget kind (operating, investment)"),
            )),
        }
    }
}

/// One budget line as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// Database id.
    pub id: i64,
    /// The unit it belongs to.
    pub org_unit_id: i64,
    /// The budget year.
    pub year: i32,
    /// Operating or investment.
    pub kind: BudgetKind,
    /// The line as written in the budget.
    pub line: String,
    /// Amount in thousands of SEK.
    pub amount_tkr: f64,
}

/// Which budget lines to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetFilter {
    /// Of this municipality.
    pub municipality_id: i64,
    /// Of these units only.
    pub org_unit_ids: Option<Vec<i64>>,
    /// For this year.
    pub year: Option<i32>,
    /// Operating or investment.
    pub kind: Option<BudgetKind>,
}
