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

/// One membership of an area in a municipality group, for the years `valid_from` (0: from
/// before the hub knew the group) to `valid_to` (`None`: still).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The member's area code.
    pub member: String,
    /// The first year it belongs.
    pub valid_from: i32,
    /// The last year it belongs; `None` while it still does.
    pub valid_to: Option<i32>,
}

impl Membership {
    /// True when it belongs in `year`.
    pub fn holds_in(&self, year: i32) -> bool {
        self.valid_from <= year && self.valid_to.is_none_or(|to| year <= to)
    }
}

/// What a sync that finds a group's members to be `served` in `year` changes in its stored
/// memberships, so that the group stays judged as it was in every earlier year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipChange {
    /// Memberships that ended last year: (member, valid_from), closed at `year - 1`.
    pub close: Vec<(String, i32)>,
    /// Memberships that began this very year and are already over: (member, valid_from).
    pub remove: Vec<(String, i32)>,
    /// New memberships, from this year (from year 0 for a group seen for the first time).
    pub open: Vec<Membership>,
}

impl MembershipChange {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty() && self.remove.is_empty() && self.open.is_empty()
    }
}

/// The change that brings `stored` memberships to `served` members in `year`.
pub fn membership_change(stored: &[Membership], served: &[String], year: i32) -> MembershipChange {
    let open_now = |m: &&Membership| m.valid_to.is_none();
    let mut change = MembershipChange::default();
    for m in stored.iter().filter(open_now) {
        if !served.contains(&m.member) {
            if m.valid_from >= year {
                change.remove.push((m.member.clone(), m.valid_from));
            } else {
                change.close.push((m.member.clone(), m.valid_from));
            }
        }
    }
    let first_seen = stored.is_empty();
    for member in served {
        if !stored.iter().filter(open_now).any(|m| &m.member == member) && !change.open.iter().any(|m| &m.member == member) {
            change.open.push(Membership {
                member: member.clone(),
                valid_from: if first_seen { 0 } else { year },
                valid_to: None,
            });
        }
    }
    change
}

/// Which areas a group's figures are taken over: the members of stored municipality groups
/// (`G…`) of each period, and areas listed by code, together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSpec {
    /// Municipality groups the hub stores: their members of each period.
    pub stored: Vec<crate::ids::AreaCode>,
    /// These areas, in every period.
    pub areas: Vec<crate::ids::AreaCode>,
}

/// A group's figures for one period, over the members that have a value then: the unweighted
/// mean (as Kolada computes a group's value), the median, the lowest and the highest.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFigure {
    /// The year.
    pub period: i32,
    /// The group's members in that year.
    pub members: u64,
    /// How many of them have a value.
    pub with_value: u64,
    /// The unweighted mean of their values.
    pub mean: f64,
    /// The median: the middle value, or the mean of the two middle ones.
    pub median: f64,
    /// The lowest value.
    pub min: f64,
    /// The highest value.
    pub max: f64,
}

/// An area's place in a group for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRank {
    /// The year.
    pub period: i32,
    /// The area's value.
    pub value: f64,
    /// Its rank, 1 being first; equal values share a rank (1, 2, 2, 4).
    pub rank: u64,
    /// How many are ranked: the members with a value, and the area itself when it is not one.
    pub of: u64,
}

impl GroupRank {
    /// Where the area stands, 0 to 100: the share of the others it ranks before or beside
    /// (100 first, 0 last; 100 when it is ranked alone).
    pub fn percentile(&self) -> f64 {
        if self.of <= 1 {
            return 100.0;
        }
        let behind = self.of - self.rank;
        (behind as f64 * 100.0 / (self.of - 1) as f64 * 10.0).round() / 10.0
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

    #[test]
    fn a_percentile_says_how_many_of_the_others_an_area_ranks_before() {
        let at = |rank, of| {
            GroupRank {
                period: 2022,
                value: 1.0,
                rank,
                of,
            }
            .percentile()
        };
        assert_eq!((at(1, 8), at(8, 8), at(1, 1)), (100.0, 0.0, 100.0));
        assert_eq!(at(3, 8), 71.4);
    }

    fn members(list: &[Membership], year: i32) -> Vec<&str> {
        list.iter().filter(|m| m.holds_in(year)).map(|m| m.member.as_str()).collect()
    }

    /// Applies a change as the store does.
    fn apply(stored: &mut Vec<Membership>, change: &MembershipChange, year: i32) {
        stored.retain(|m| {
            !change
                .remove
                .iter()
                .any(|(member, from)| &m.member == member && m.valid_from == *from)
        });
        for m in stored.iter_mut() {
            if change
                .close
                .iter()
                .any(|(member, from)| &m.member == member && m.valid_from == *from)
            {
                m.valid_to = Some(year - 1);
            }
        }
        stored.extend(change.open.iter().cloned());
    }

    #[test]
    fn a_group_is_judged_by_its_members_of_each_year() {
        let s = |v: &[&str]| v.iter().map(|m| m.to_string()).collect::<Vec<_>>();
        let mut stored = Vec::new();
        let first = membership_change(&stored, &s(&["0381", "0484", "0486"]), 2022);
        apply(&mut stored, &first, 2022);
        assert_eq!(members(&stored, 2015), ["0381", "0484", "0486"], "first seen: always");
        let again = membership_change(&stored, &s(&["0381", "0484", "0486"]), 2023);
        assert!(again.is_empty(), "{again:?}");
        let change = membership_change(&stored, &s(&["0381", "0484", "1980"]), 2024);
        apply(&mut stored, &change, 2024);
        assert_eq!(members(&stored, 2023), ["0381", "0484", "0486"]);
        assert_eq!(members(&stored, 2024), ["0381", "0484", "1980"]);
        // Gone again in the same year it came: as if it never belonged.
        let undo = membership_change(&stored, &s(&["0381", "0484"]), 2024);
        assert_eq!(undo.remove, vec![("1980".to_owned(), 2024)]);
        apply(&mut stored, &undo, 2024);
        assert_eq!(members(&stored, 2024), ["0381", "0484"]);
        assert_eq!(members(&stored, 2023), ["0381", "0484", "0486"]);
    }
}
