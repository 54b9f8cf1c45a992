//! Identifiers and small values, parsed rather than validated: once you hold an [`AreaCode`]
//! it is well-formed.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// The code of an area a value is measured for: a municipality or region (`1489`, `0001`),
/// the whole country (`0000`), a municipality group (`G92790`) or an organisational unit
/// (`V15E144001301`). Never an integer: leading zeros matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    /// The whole country, "Riket".
    pub const COUNTRY: &'static str = "0000";

    /// Parses an area code, naming what is wrong when it is not one.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let ok = (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            || (s.len() > 1 && s.starts_with('G') && s[1..].bytes().all(|b| b.is_ascii_digit()))
            || (s.len() > 4 && s.starts_with('V') && s[1..].bytes().all(|b| b.is_ascii_alphanumeric()))
            || crate::area_group::own_group_parts(s).is_some();
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::new(
                "area",
                format!(
                    "`{s}` is not an area code (4 digits such as 1489 or 0000, a group such as G92790 or 1489:jamforelsekommuner, or a unit such as V15E144001301)"
                ),
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a comparison group: Kolada's (`G92790`) or a municipality's own
    /// (`1489:jamforelsekommuner`). A group stands for its members of each year.
    pub fn is_group(&self) -> bool {
        self.0.starts_with('G') || self.0.contains(':')
    }

    /// True for a municipality or region code (four digits).
    pub fn is_municipality(&self) -> bool {
        self.0.len() == 4 && self.0.bytes().all(|b| b.is_ascii_digit())
    }
}

impl TryFrom<String> for AreaCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(a: AreaCode) -> Self {
        a.0
    }
}

impl AsRef<str> for AreaCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Kolada KPI id: `N` or `U` followed by five digits, e.g. `N00973`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KpiId(String);

impl KpiId {
    /// Parses a KPI id.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() == 6 && (b[0] == b'N' || b[0] == b'U') && b[1..].iter().all(u8::is_ascii_digit) {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::new(
                "kpi",
                format!("`{s}` is not a Kolada KPI id (N or U and five digits, such as N00973)"),
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KpiId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<KpiId> for String {
    fn from(k: KpiId) -> Self {
        k.0
    }
}

impl fmt::Display for KpiId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The gender dimension of a value, as Kolada uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Gender {
    /// `T`: total.
    #[serde(rename = "T")]
    Total,
    /// `K`: kvinnor, women.
    #[serde(rename = "K")]
    Women,
    /// `M`: män, men.
    #[serde(rename = "M")]
    Men,
}

impl Gender {
    /// Parses `T`, `K` or `M`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim() {
            "T" => Ok(Self::Total),
            "K" => Ok(Self::Women),
            "M" => Ok(Self::Men),
            other => Err(DomainError::new(
                "gender",
                format!("`{other}` is not a gender (T total, K women, M men)"),
            )),
        }
    }

    /// The one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Total => "T",
            Self::Women => "K",
            Self::Men => "M",
        }
    }
}

/// A calendar year, the period of a key figure. Bounded so that a typo such as 20223 is caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub struct Year(i32);

impl Year {
    /// The earliest year accepted.
    pub const MIN: i32 = 1900;
    /// The latest year accepted.
    pub const MAX: i32 = 2200;

    /// A year between [`Year::MIN`] and [`Year::MAX`].
    pub fn new(y: i32) -> Result<Self, DomainError> {
        if (Self::MIN..=Self::MAX).contains(&y) {
            Ok(Self(y))
        } else {
            Err(DomainError::new(
                "year",
                format!("{y} is not a year between {} and {}", Self::MIN, Self::MAX),
            ))
        }
    }

    /// The year as a number.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl TryFrom<i32> for Year {
    type Error = DomainError;
    fn try_from(y: i32) -> Result<Self, Self::Error> {
        Self::new(y)
    }
}

impl From<Year> for i32 {
    fn from(y: Year) -> Self {
        y.0
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A period of validity: from a date, to an optional date (open-ended: "tills vidare").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// First day in force.
    pub from: NaiveDate,
    /// Last day in force; `None` until further notice.
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// A well-formed range: `to`, when given, is not before `from`.
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Self, DomainError> {
        match to {
            Some(to) if to < from => Err(DomainError::new("valid_to", format!("ends {to}, before it starts ({from})"))),
            _ => Ok(Self { from, to }),
        }
    }

    /// True when the range includes any day of `year`.
    pub fn overlaps_year(&self, year: i32) -> bool {
        self.from.year() <= year && self.to.is_none_or(|to| year <= to.year())
    }

    /// True when `inner` lies within this range.
    pub fn contains_range(&self, inner: &DateRange) -> bool {
        if inner.from < self.from {
            return false;
        }
        match (self.to, inner.to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(outer), Some(inner_to)) => inner_to <= outer,
        }
    }
}

/// Parses a `YYYY-MM-DD` date, naming the field when it is not one.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, DomainError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| DomainError::new(field, format!("`{s}` is not a date (YYYY-MM-DD)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_codes_keep_their_leading_zeros() {
        assert_eq!(AreaCode::parse("0000").unwrap().as_str(), "0000");
        assert_eq!(AreaCode::parse("0764").unwrap().as_str(), "0764");
        assert!(AreaCode::parse("G92790").is_ok());
        assert!(AreaCode::parse("V15E144001301").is_ok());
    }

    #[test]
    fn an_integer_looking_code_of_the_wrong_length_is_rejected() {
        let err = AreaCode::parse("764").unwrap_err();
        assert_eq!(err.field, "area");
        assert!(err.message.contains("764"));
    }

    #[test]
    fn kpi_ids_need_a_prefix_and_five_digits() {
        assert!(KpiId::parse("N00973").is_ok());
        assert!(KpiId::parse("U21468").is_ok());
        assert!(KpiId::parse("X00973").is_err());
        assert!(KpiId::parse("N0097").is_err());
    }

    #[test]
    fn genders_are_kolada_letters_not_f() {
        assert_eq!(Gender::parse("K").unwrap(), Gender::Women);
        assert!(Gender::parse("F").is_err());
    }

    #[test]
    fn a_five_digit_year_is_a_typo() {
        assert!(Year::new(2023).is_ok());
        assert!(Year::new(20223).is_err());
    }

    #[test]
    fn a_range_may_not_end_before_it_starts() {
        let d = |s| parse_date("d", s).unwrap();
        assert!(DateRange::new(d("2021-01-01"), Some(d("2020-12-31"))).is_err());
        let r = DateRange::new(d("2021-01-01"), Some(d("2023-12-31"))).unwrap();
        assert!(r.overlaps_year(2022));
        assert!(!r.overlaps_year(2024));
        let open = DateRange::new(d("2020-06-15"), None).unwrap();
        assert!(open.contains_range(&r));
        assert!(!r.contains_range(&open));
    }
}

/// Database ids of one kind of record, each a type of its own: a goal's id cannot be passed
/// where an indicator's is meant, and the ports say which ids they take. The wire shape is the
/// bare number (`serde(transparent)`), as before.
macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number, as stored.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

record_id!(
    /// A goal's id.
    GoalId
);
record_id!(
    /// An indicator's id.
    IndicatorId
);
