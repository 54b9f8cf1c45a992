//! Comparison groups: Kolada's municipality groups and a municipality's own, with their
//! members year by year.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use styrhub_domain::area_group::{AreaGroup, GroupDefinition, GroupSource as DomainSource, MemberSpec};
use styrhub_domain::ids::AreaCode;
use styrhub_domain::{DomainError, RepoError};

use crate::error::gql;
use crate::graphql::context::ports;

/// Where a comparison group comes from.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum GroupSource {
    /// One of Kolada's municipality groups (`G…`), synced with the metadata.
    Kolada,
    /// A municipality's own group (`1489:jamforelsekommuner`).
    Own,
}

impl From<DomainSource> for GroupSource {
    fn from(s: DomainSource) -> Self {
        match s {
            DomainSource::Kolada => Self::Kolada,
            DomainSource::Own => Self::Own,
        }
    }
}

/// One membership: an area in a group for the years `from` to `to`.
#[derive(SimpleObject)]
pub struct GroupMembership {
    /// The member's area code.
    pub area: String,
    /// The first year it belongs; null: from before the hub knew the group.
    pub from: Option<i32>,
    /// The last year it belongs; null: still.
    pub to: Option<i32>,
}

/// A comparison group: a set of municipalities compared with, year by year. Use its `code`
/// wherever an area list takes a group (`groupSeries`, REST `ranking?group=`, a relative
/// target's `referenceArea`).
pub struct ComparisonGroup(pub AreaGroup);

/// A comparison group: a set of municipalities compared with, year by year.
#[Object]
impl ComparisonGroup {
    /// `G92790` (Kolada's) or `1489:jamforelsekommuner` (a municipality's own).
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }
    /// The title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Kolada's or a municipality's own.
    async fn source(&self) -> GroupSource {
        self.0.source.into()
    }
    /// The owning municipality's code (own groups).
    async fn owner(&self) -> Option<&str> {
        self.0.owner.as_deref()
    }
    /// The first year the group holds (own groups).
    async fn valid_from(&self) -> Option<i32> {
        self.0.valid_from
    }
    /// The last year it holds (own groups); null: until further notice.
    async fn valid_to(&self) -> Option<i32> {
        self.0.valid_to
    }
    /// The members of `year` (area codes, sorted); every member ever when no year is given.
    async fn members(&self, #[graphql(desc = "The year, e.g. 2022.")] year: Option<i32>) -> Vec<String> {
        match year {
            Some(y) => self.0.members_in(y).into_iter().map(str::to_owned).collect(),
            None => {
                let mut all: Vec<String> = self.0.members.iter().map(|m| m.member.clone()).collect();
                all.sort();
                all.dedup();
                all
            }
        }
    }
    /// Every membership with its years.
    async fn memberships(&self) -> Vec<GroupMembership> {
        self.0
            .members
            .iter()
            .map(|m| GroupMembership {
                area: m.member.clone(),
                from: (m.valid_from > 0).then_some(m.valid_from),
                to: m.valid_to,
            })
            .collect()
    }
}

/// Reading comparison groups.
#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    /// The stored comparison groups, by code: Kolada's municipality groups the hub has synced
    /// and the municipalities' own; with `municipality`, Kolada's and that municipality's own.
    async fn comparison_groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A municipality code, e.g. 1489: its own groups and Kolada's.")] municipality: Option<String>,
    ) -> Result<Vec<ComparisonGroup>> {
        let owner = municipality.as_deref().map(str::trim);
        if let Some(m) = owner {
            if !(m.len() == 4 && m.bytes().all(|b| b.is_ascii_digit())) {
                return Err(gql(RepoError::Invalid(DomainError::new(
                    "municipality",
                    format!("`{m}` is not a municipality code (4 digits, e.g. 1489)"),
                ))));
            }
        }
        let groups = ports(ctx).read.series.area_groups(owner).await.map_err(gql)?;
        Ok(groups.into_iter().map(ComparisonGroup).collect())
    }

    /// One comparison group by code; null when the hub stores none by that code.
    async fn comparison_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`G92790` or `1489:jamforelsekommuner`.")] code: String,
    ) -> Result<Option<ComparisonGroup>> {
        let code = AreaCode::parse(&code).map_err(|e| gql(RepoError::Invalid(DomainError::new("code", e.message))))?;
        Ok(ports(ctx).read.series.area_group(&code).await.map_err(gql)?.map(ComparisonGroup))
    }
}

/// A member of a group being saved.
#[derive(InputObject)]
pub struct GroupMemberInput {
    /// A municipality or region code, e.g. 1440.
    pub area: String,
    /// The first year it belongs; the group's first year when left out.
    pub from: Option<i32>,
    /// The last year it belongs; the group's last year when left out.
    pub to: Option<i32>,
}

/// A municipality's own comparison group, created or replaced whole.
#[derive(InputObject)]
pub struct SaveComparisonGroupInput {
    /// The owning municipality's code, e.g. 1489.
    pub municipality: String,
    /// The group's key within the municipality (lower-case ASCII letters, digits and `-`); its
    /// code is `municipality:key`.
    pub key: String,
    /// The title, e.g. "Alingsås jämförelsekommuner".
    pub title: String,
    /// The first year the group holds.
    pub valid_from: Option<i32>,
    /// The last year it holds.
    pub valid_to: Option<i32>,
    /// The members (1 to 500).
    pub members: Vec<GroupMemberInput>,
}

impl From<SaveComparisonGroupInput> for GroupDefinition {
    fn from(i: SaveComparisonGroupInput) -> Self {
        Self {
            municipality: i.municipality.trim().to_owned(),
            key: i.key,
            title: i.title,
            valid_from: i.valid_from,
            valid_to: i.valid_to,
            members: i
                .members
                .into_iter()
                .map(|m| MemberSpec {
                    area: m.area.trim().to_owned(),
                    from: m.from,
                    to: m.to,
                })
                .collect(),
        }
    }
}

/// Which value ranks first in a group.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RankOrder {
    /// The highest value first.
    Desc,
    /// The lowest value first.
    Asc,
}

/// A group's figures for one year, with the ranked area's place when one was asked for.
#[derive(SimpleObject)]
pub struct GroupFigure {
    /// The year.
    pub period: i32,
    /// The group's members that year.
    pub members: i64,
    /// How many of them have a value.
    pub with_value: i64,
    /// The unweighted mean of their values.
    pub mean: f64,
    /// The median.
    pub median: f64,
    /// The lowest value.
    pub min: f64,
    /// The highest value.
    pub max: f64,
    /// The ranked area's value that year.
    pub value: Option<f64>,
    /// Its rank, 1 being first; equal values share a rank.
    pub rank: Option<i64>,
    /// How many were ranked: the members with a value, and the area when it is not one.
    pub of: Option<i64>,
    /// Where it stands, 0 to 100: the share of the others it ranks before or beside.
    pub percentile: Option<f64>,
}

/// Most areas and groups one group argument may list.
const MAX_GROUP: usize = 500;

/// What a `groupSeries` field asks.
pub struct GroupAsk {
    /// Area and group codes.
    pub group: Vec<String>,
    /// The area to rank.
    pub area: Option<String>,
    /// First year.
    pub from: Option<i32>,
    /// Last year.
    pub to: Option<i32>,
    /// The gender.
    pub gender: styrhub_domain::ids::Gender,
}

fn invalid(field: &str, message: impl Into<String>) -> async_graphql::Error {
    gql(RepoError::Invalid(DomainError::new(field, message)))
}

/// A series' figures over a group, read through the read module REST uses.
pub async fn group_series(
    ctx: &Context<'_>,
    series: &styrhub_domain::observation::SeriesRef,
    ask: GroupAsk,
    order: RankOrder,
) -> Result<Vec<GroupFigure>> {
    if ask.group.is_empty() || ask.group.len() > MAX_GROUP {
        return Err(invalid("group", format!("give 1 to {MAX_GROUP} area or group codes")));
    }
    let codes = ask
        .group
        .iter()
        .map(|a| AreaCode::parse(a).map_err(|e| invalid("group", e.message)))
        .collect::<Result<Vec<_>>>()?;
    let area = ask
        .area
        .as_deref()
        .map(|a| AreaCode::parse(a).map_err(|e| invalid("area", e.message)))
        .transpose()?;
    if area.as_ref().is_some_and(AreaCode::is_group) {
        return Err(invalid("area", "rank one area, not a group, e.g. \"1489\""));
    }
    let p = ports(ctx);
    let spec = match crate::read::groups::spec(&p.read, codes).await.map_err(gql)? {
        Ok(spec) => spec,
        Err(unknown) => return Err(gql(RepoError::NotFound(crate::read::groups::unknown_group(&unknown)))),
    };
    let query = crate::read::groups::GroupQuery {
        spec: &spec,
        area: area.as_ref(),
        higher_first: order == RankOrder::Desc,
        gender: ask.gender,
        from: ask.from,
        to: ask.to,
    };
    let figures = crate::read::groups::figures(&p.read, series, &query).await.map_err(gql)?;
    Ok(figures
        .into_iter()
        .map(|(f, r)| GroupFigure {
            period: f.period,
            members: f.members as i64,
            with_value: f.with_value as i64,
            mean: f.mean,
            median: f.median,
            min: f.min,
            max: f.max,
            value: r.as_ref().map(|r| r.value),
            rank: r.as_ref().map(|r| r.rank as i64),
            of: r.as_ref().map(|r| r.of as i64),
            percentile: r.as_ref().map(styrhub_domain::kpi::GroupRank::percentile),
        })
        .collect())
}
