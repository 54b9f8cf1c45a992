//! Comparison groups: Kolada's municipality groups (`G…`) and groups a municipality defines for
//! itself ("liknande kommuner", its comparison municipalities), with a title, an owner and the
//! years the group holds. A group is judged as it was in the year asked about: its members are
//! kept year by year ([`Membership`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::AreaCode;
use crate::kpi::Membership;

/// Where a group comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSource {
    /// One of Kolada's municipality groups, synced with the metadata.
    Kolada,
    /// A municipality's own group.
    Own,
}

impl GroupSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kolada => "kolada",
            Self::Own => "own",
        }
    }

    /// The source of a stored name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "kolada" => Ok(Self::Kolada),
            "own" => Ok(Self::Own),
            other => Err(DomainError::new("source", format!("`{other}` is not a group source (kolada, own)"))),
        }
    }
}

/// A stored comparison group with its memberships.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaGroup {
    /// Database id (the audit log's entity id).
    pub id: i64,
    /// `G92790` or `1489:jamforelsekommuner`.
    pub code: AreaCode,
    /// The title, e.g. "Alingsås jämförelsekommuner".
    pub title: String,
    /// Kolada's or the municipality's own.
    pub source: GroupSource,
    /// The owning municipality's code (own groups).
    pub owner: Option<String>,
    /// The first year the group holds; `None`: from the start.
    pub valid_from: Option<i32>,
    /// The last year; `None`: until further notice.
    pub valid_to: Option<i32>,
    /// Every membership, over all years.
    pub members: Vec<Membership>,
}

impl AreaGroup {
    /// The members of `year`, by code.
    pub fn members_in(&self, year: i32) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .members
            .iter()
            .filter(|m| m.holds_in(year))
            .map(|m| m.member.as_str())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The municipality and the key of an own group's code (`1489:jamforelsekommuner`), when `code`
/// is one.
pub fn own_group_parts(code: &str) -> Option<(&str, &str)> {
    let (municipality, key) = code.split_once(':')?;
    let municipality_ok = municipality.len() == 4 && municipality.bytes().all(|b| b.is_ascii_digit());
    let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (municipality_ok && key_ok).then_some((municipality, key))
}

/// One member of an own group, for the years `from` to `to` (both optional: the group's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSpec {
    /// A municipality or region code (four digits).
    pub area: String,
    /// The first year it belongs.
    pub from: Option<i32>,
    /// The last year it belongs.
    pub to: Option<i32>,
}

/// An own group as a municipality defines it: created or replaced whole (from the CLI, a
/// package or GraphQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDefinition {
    /// The owning municipality's code.
    pub municipality: String,
    /// The group's key within the municipality: lower-case ASCII letters, digits and `-`.
    pub key: String,
    /// The title.
    pub title: String,
    /// The first year the group holds.
    pub valid_from: Option<i32>,
    /// The last year it holds.
    pub valid_to: Option<i32>,
    /// The members.
    pub members: Vec<MemberSpec>,
}

impl crate::access::Command for GroupDefinition {
    fn action(&self) -> crate::access::Action {
        crate::access::Action::SaveGroup {
            municipality: self.municipality.clone(),
        }
    }
}

/// At most this many members in one group.
pub const MAX_MEMBERS: usize = 500;

impl GroupDefinition {
    /// The group's code: `1489:jamforelsekommuner`.
    pub fn code(&self) -> AreaCode {
        AreaCode::parse(&format!("{}:{}", self.municipality, self.key)).expect("a checked definition makes a code")
    }

    /// Checks the definition, naming the field that is wrong.
    pub fn check(&self) -> Result<(), DomainError> {
        if !(self.municipality.len() == 4 && self.municipality.bytes().all(|b| b.is_ascii_digit())) {
            return Err(DomainError::new(
                "municipality",
                format!("`{}` is not a municipality code (4 digits, e.g. 1489)", self.municipality),
            ));
        }
        crate::commands::check_key("key", &self.key)?;
        if self.title.trim().is_empty() {
            return Err(DomainError::new("title", "must not be empty"));
        }
        let years = |field: &str, from: Option<i32>, to: Option<i32>| -> Result<(), DomainError> {
            for y in [from, to].into_iter().flatten() {
                if !(1900..=2200).contains(&y) {
                    return Err(DomainError::new(field, format!("{y} is not a year between 1900 and 2200")));
                }
            }
            match (from, to) {
                (Some(f), Some(t)) if f > t => Err(DomainError::new(field, format!("starts in {f}, after it ends in {t}"))),
                _ => Ok(()),
            }
        };
        years("valid_from", self.valid_from, self.valid_to)?;
        if self.members.is_empty() {
            return Err(DomainError::new("members", "a group needs at least one member"));
        }
        if self.members.len() > MAX_MEMBERS {
            return Err(DomainError::new("members", format!("at most {MAX_MEMBERS} members")));
        }
        let mut seen: BTreeMap<&str, Vec<(i32, i32)>> = BTreeMap::new();
        for m in &self.members {
            let code = AreaCode::parse(&m.area).map_err(|e| DomainError::new("members", e.message))?;
            if !code.is_municipality() {
                return Err(DomainError::new(
                    "members",
                    format!(
                        "`{}` is not a municipality or region code (4 digits): a group's members are places",
                        m.area
                    ),
                ));
            }
            years("members", m.from, m.to)?;
            let (from, to) = (m.from.unwrap_or(i32::MIN), m.to.unwrap_or(i32::MAX));
            if self.valid_from.is_some_and(|g| to < g) || self.valid_to.is_some_and(|g| from > g) {
                return Err(DomainError::new(
                    "members",
                    format!("{} belongs only outside the years the group holds", m.area),
                ));
            }
            let spans = seen.entry(m.area.as_str()).or_default();
            if spans.iter().any(|&(f, t)| from <= t && f <= to) {
                return Err(DomainError::new(
                    "members",
                    format!("{} is listed twice for the same years", m.area),
                ));
            }
            spans.push((from, to));
        }
        if self.municipality == "0000" {
            return Err(DomainError::new("municipality", "the country owns no groups; give a municipality"));
        }
        Ok(())
    }

    /// The memberships to store: each member's years within the group's (0 and `None` for
    /// "from the start" and "still"), in member order.
    pub fn memberships(&self) -> Vec<Membership> {
        let mut out: Vec<Membership> = self
            .members
            .iter()
            .map(|m| {
                let from = match (m.from, self.valid_from) {
                    (Some(a), Some(b)) => a.max(b),
                    (a, b) => a.or(b).unwrap_or(0),
                };
                let to = match (m.to, self.valid_to) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                Membership {
                    member: m.area.clone(),
                    valid_from: from,
                    valid_to: to,
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.member, a.valid_from).cmp(&(&b.member, b.valid_from)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(members: Vec<MemberSpec>) -> GroupDefinition {
        GroupDefinition {
            municipality: "1489".into(),
            key: "jamforelsekommuner".into(),
            title: "Jämförelsekommuner".into(),
            valid_from: Some(2015),
            valid_to: None,
            members,
        }
    }

    fn member(area: &str, from: Option<i32>, to: Option<i32>) -> MemberSpec {
        MemberSpec {
            area: area.into(),
            from,
            to,
        }
    }

    #[test]
    fn an_own_group_has_a_code_of_its_municipality_and_key() {
        let d = def(vec![member("1440", None, None)]);
        assert!(d.check().is_ok());
        assert_eq!(d.code().as_str(), "1489:jamforelsekommuner");
        assert!(d.code().is_group());
        assert_eq!(own_group_parts("1489:jamforelsekommuner"), Some(("1489", "jamforelsekommuner")));
        for bad in ["1489:", ":x", "148:x", "1489:X", "1489:a b"] {
            assert_eq!(own_group_parts(bad), None, "{bad}");
            assert!(AreaCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_members_years_are_cut_to_the_groups() {
        let d = def(vec![member("1440", None, None), member("1401", Some(2019), Some(2030))]);
        let d = GroupDefinition { valid_to: Some(2022), ..d };
        assert_eq!(
            d.memberships(),
            vec![
                Membership {
                    member: "1401".into(),
                    valid_from: 2019,
                    valid_to: Some(2022)
                },
                Membership {
                    member: "1440".into(),
                    valid_from: 2015,
                    valid_to: Some(2022)
                },
            ]
        );
    }

    #[test]
    fn a_bad_definition_names_what_is_wrong() {
        let cases = [
            (
                GroupDefinition {
                    key: "Jämförelse".into(),
                    ..def(vec![member("1440", None, None)])
                },
                "key",
            ),
            (
                GroupDefinition {
                    title: " ".into(),
                    ..def(vec![member("1440", None, None)])
                },
                "title",
            ),
            (
                GroupDefinition {
                    valid_to: Some(2010),
                    ..def(vec![member("1440", None, None)])
                },
                "valid_from",
            ),
            (def(vec![]), "members"),
            (def(vec![member("G92790", None, None)]), "members"),
            (def(vec![member("14400", None, None)]), "members"),
            (def(vec![member("1440", None, None), member("1440", Some(2020), None)]), "members"),
            (def(vec![member("1440", Some(2001), Some(2010))]), "members"),
        ];
        for (d, field) in cases {
            assert_eq!(d.check().unwrap_err().field, field, "{d:?}");
        }
        // The same member in years that do not overlap is a member that left and came back.
        assert!(def(vec![member("1440", None, Some(2017)), member("1440", Some(2020), None)])
            .check()
            .is_ok());
    }
}
