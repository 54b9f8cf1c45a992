//! The governance chain's smaller lists, a page at a time: basic missions, quality factors,
//! political directions, assignments, budget lines and follow-ups, each in its own total order
//! with a keyset cursor ([`crate::keyset`]), every filter in SQL.
//!
//! Two orders are not plain columns, and their keys are expressions the same on both
//! databases:
//! - an assignment without a deadline comes last (PostgreSQL sorts nulls last and SQLite
//!   first, and a null has no place in a row comparison), so the deadline is read as
//!   `COALESCE(deadline, '9999-12-31')`;
//! - follow-ups are newest first, but a keyset compares every column in one direction: the
//!   year and month are negated, and the kind of report is ranked (the later report first).

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, IntoCondition, Query};
use sea_orm::{ColumnTrait, Condition};
use serde::{Deserialize, Serialize};
use styrhub_domain::assignment::{Assignment, AssignmentFilter};
use styrhub_domain::budget::{BudgetFilter, BudgetLine};
use styrhub_domain::follow_up::{FollowUp, FollowUpFilter, FollowUpKind};
use styrhub_domain::mission::{BasicMission, PoliticalDirection, QualityFactor};
use styrhub_domain::page::{Page, PageRequest};
use styrhub_domain::RepoError;

use crate::entities::{assignment, basic_mission, budget, follow_up, governance_model, org_unit, political_direction, quality_factor};
use crate::governance::convert;
use crate::keyset::{self, ListOrder};
use crate::Store;

/// A municipality's rows, or those of some of its units only.
fn of_units<C: ColumnTrait>(unit: C, municipality: C, municipality_id: i64, org_unit_ids: Option<&[i64]>) -> Condition {
    let mut cond = municipality.eq(municipality_id).into_condition();
    if let Some(ids) = org_unit_ids {
        cond = cond.add(unit.is_in(ids.iter().copied()));
    }
    cond
}

/// A basic mission's place: its id.
#[derive(Serialize, Deserialize)]
struct BasicMissionKey(i64);

impl ListOrder<BasicMission> for BasicMissionKey {
    type Entity = basic_mission::Entity;
    fn columns() -> Vec<Expr> {
        vec![Expr::col(basic_mission::Column::Id)]
    }
    fn of(m: &BasicMission) -> Self {
        Self(m.id)
    }
    fn values(&self) -> Vec<Expr> {
        vec![Expr::val(self.0)]
    }
}

/// A quality factor's place: its id.
#[derive(Serialize, Deserialize)]
struct QualityFactorKey(i64);

impl ListOrder<QualityFactor> for QualityFactorKey {
    type Entity = quality_factor::Entity;
    fn columns() -> Vec<Expr> {
        vec![Expr::col(quality_factor::Column::Id)]
    }
    fn of(q: &QualityFactor) -> Self {
        Self(q.id)
    }
    fn values(&self) -> Vec<Expr> {
        vec![Expr::val(self.0)]
    }
}

/// A political direction's place: the day it applies from, then its id.
#[derive(Serialize, Deserialize)]
struct PoliticalDirectionKey(NaiveDate, i64);

impl ListOrder<PoliticalDirection> for PoliticalDirectionKey {
    type Entity = political_direction::Entity;
    fn columns() -> Vec<Expr> {
        vec![
            Expr::col(political_direction::Column::ValidFrom),
            Expr::col(political_direction::Column::Id),
        ]
    }
    fn of(p: &PoliticalDirection) -> Self {
        Self(p.validity.from, p.id)
    }
    fn values(&self) -> Vec<Expr> {
        vec![Expr::val(self.0), Expr::val(self.1)]
    }
}

/// The deadline of an assignment without one, in the order: after every real one. The same
/// day in SQL (`AssignmentKey::columns`) and in the cursor (`AssignmentKey::of`).
const NO_DEADLINE: &str = "9999-12-31";

fn no_deadline() -> NaiveDate {
    NO_DEADLINE.parse().expect("a valid date")
}

/// An assignment's place: its deadline (none last), then its id.
#[derive(Serialize, Deserialize)]
struct AssignmentKey(NaiveDate, i64);

impl ListOrder<Assignment> for AssignmentKey {
    type Entity = assignment::Entity;
    fn columns() -> Vec<Expr> {
        vec![
            Expr::cust(format!("COALESCE(deadline, '{NO_DEADLINE}')")),
            Expr::col(assignment::Column::Id),
        ]
    }
    fn of(a: &Assignment) -> Self {
        Self(a.deadline.unwrap_or_else(no_deadline), a.id)
    }
    fn values(&self) -> Vec<Expr> {
        vec![Expr::val(self.0), Expr::val(self.1)]
    }
}

/// A budget line's place: year, kind, id.
#[derive(Serialize, Deserialize)]
struct BudgetKey(i32, String, i64);

impl ListOrder<BudgetLine> for BudgetKey {
    type Entity = budget::Entity;
    fn columns() -> Vec<Expr> {
        vec![
            Expr::col(budget::Column::Year),
            Expr::col(budget::Column::Kind),
            Expr::col(budget::Column::Id),
        ]
    }
    fn of(b: &BudgetLine) -> Self {
        Self(b.year, b.kind.as_str().to_owned(), b.id)
    }
    fn values(&self) -> Vec<Expr> {
        vec![Expr::val(self.0), Expr::val(self.1.clone()), Expr::val(self.2)]
    }
}

/// A follow-up's place, newest first: the year and the month negated (a report of no month,
/// an annual or interim one, before the monthly ones of its year, as month 13), the kind
/// ranked (the later report first), then the id.
#[derive(Serialize, Deserialize)]
struct FollowUpKey(i32, i32, i32, i64);

/// The rank of a kind of report: the later in the year, the earlier in the list.
fn kind_rank(kind: FollowUpKind) -> i32 {
    match kind {
        FollowUpKind::Monthly => 0,
        FollowUpKind::AnnualReport => 1,
        FollowUpKind::InterimReport2 => 2,
        FollowUpKind::InterimReport1 => 3,
    }
}

impl ListOrder<FollowUp> for FollowUpKey {
    type Entity = follow_up::Entity;
    fn columns() -> Vec<Expr> {
        let rank = FollowUpKind::ALL
            .iter()
            .map(|k| format!("WHEN '{}' THEN {}", k.as_str(), kind_rank(*k)))
            .collect::<Vec<_>>()
            .join(" ");
        vec![
            Expr::cust("-year"),
            // 0 stands for "no month" in the table (see `convert`).
            Expr::cust("-(CASE month WHEN 0 THEN 13 ELSE month END)"),
            Expr::cust(format!("CASE kind {rank} END")),
            Expr::col(follow_up::Column::Id),
        ]
    }
    fn of(f: &FollowUp) -> Self {
        Self(-f.year, -(f.month.map_or(13, |m| m as i32)), kind_rank(f.kind), f.id)
    }
    fn values(&self) -> Vec<Expr> {
        vec![Expr::val(self.0), Expr::val(self.1), Expr::val(self.2), Expr::val(self.3)]
    }
}

/// Reads one page of `K`'s list: every filter is SQL.
async fn page<T, K>(
    store: &Store,
    condition: Condition,
    convert: impl Fn(Vec<<K::Entity as sea_orm::EntityTrait>::Model>) -> Result<Vec<T>, RepoError>,
    page: &PageRequest,
) -> Result<Page<T>, RepoError>
where
    K: ListOrder<T>,
    <K::Entity as sea_orm::EntityTrait>::Model: Sync,
{
    keyset::page::<T, K, _, fn(&T) -> bool>(store.connection(), condition, convert, None, page).await
}

impl Store {
    /// See [`styrhub_domain::ports::GovernanceReader::basic_missions_page`].
    pub(crate) async fn basic_missions_page_of(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        request: &PageRequest,
    ) -> Result<Page<BasicMission>, RepoError> {
        let cond = of_units(
            basic_mission::Column::OrgUnitId,
            basic_mission::Column::MunicipalityId,
            municipality_id,
            org_unit_ids,
        );
        page::<BasicMission, BasicMissionKey>(self, cond, convert, request).await
    }

    /// See [`styrhub_domain::ports::GovernanceReader::quality_factors_page`].
    pub(crate) async fn quality_factors_page_of(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        request: &PageRequest,
    ) -> Result<Page<QualityFactor>, RepoError> {
        let cond = of_units(
            quality_factor::Column::OrgUnitId,
            quality_factor::Column::MunicipalityId,
            municipality_id,
            org_unit_ids,
        );
        let convert = |rows: Vec<quality_factor::Model>| Ok(rows.into_iter().map(QualityFactor::from).collect());
        page::<QualityFactor, QualityFactorKey>(self, cond, convert, request).await
    }

    /// See [`styrhub_domain::ports::GovernanceReader::political_directions_page`].
    pub(crate) async fn political_directions_page_of(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        request: &PageRequest,
    ) -> Result<Page<PoliticalDirection>, RepoError> {
        let cond = of_units(
            political_direction::Column::OrgUnitId,
            political_direction::Column::MunicipalityId,
            municipality_id,
            org_unit_ids,
        );
        page::<PoliticalDirection, PoliticalDirectionKey>(self, cond, convert, request).await
    }

    /// See [`styrhub_domain::ports::GovernanceReader::assignments_page`].
    pub(crate) async fn assignments_page_of(
        &self,
        filter: &AssignmentFilter,
        request: &PageRequest,
    ) -> Result<Page<Assignment>, RepoError> {
        let mut cond = Condition::all().add(assignment::Column::MunicipalityId.eq(filter.municipality_id));
        if let Some(id) = filter.from_org_unit_id {
            cond = cond.add(assignment::Column::FromOrgUnitId.eq(id));
        }
        if let Some(id) = filter.to_org_unit_id {
            cond = cond.add(assignment::Column::ToOrgUnitId.eq(id));
        }
        if let Some(s) = filter.status {
            cond = cond.add(assignment::Column::Status.eq(s.as_str()));
        }
        if let Some(g) = filter.goal_id {
            cond = cond.add(assignment::Column::GoalId.eq(g));
        }
        page::<Assignment, AssignmentKey>(self, cond, convert, request).await
    }

    /// See [`styrhub_domain::ports::GovernanceReader::budgets_page`].
    pub(crate) async fn budgets_page_of(&self, filter: &BudgetFilter, request: &PageRequest) -> Result<Page<BudgetLine>, RepoError> {
        let mut cond = Condition::all();
        cond = match &filter.org_unit_ids {
            Some(ids) => cond.add(budget::Column::OrgUnitId.is_in(ids.iter().copied())),
            None => cond.add(
                budget::Column::OrgUnitId.in_subquery(
                    Query::select()
                        .column(org_unit::Column::Id)
                        .from(org_unit::Entity)
                        .and_where(org_unit::Column::MunicipalityId.eq(filter.municipality_id))
                        .to_owned(),
                ),
            ),
        };
        if let Some(y) = filter.year {
            cond = cond.add(budget::Column::Year.eq(y));
        }
        if let Some(k) = filter.kind {
            cond = cond.add(budget::Column::Kind.eq(k.as_str()));
        }
        page::<BudgetLine, BudgetKey>(self, cond, convert, request).await
    }

    /// See [`styrhub_domain::ports::GovernanceReader::follow_ups_page`].
    pub(crate) async fn follow_ups_page_of(&self, filter: &FollowUpFilter, request: &PageRequest) -> Result<Page<FollowUp>, RepoError> {
        let mut cond = Condition::all().add(
            follow_up::Column::GovernanceModelId.in_subquery(
                Query::select()
                    .column(governance_model::Column::Id)
                    .from(governance_model::Entity)
                    .and_where(governance_model::Column::MunicipalityId.eq(filter.municipality_id))
                    .to_owned(),
            ),
        );
        if let Some(m) = filter.governance_model_id {
            cond = cond.add(follow_up::Column::GovernanceModelId.eq(m));
        }
        if let Some(y) = filter.year {
            cond = cond.add(follow_up::Column::Year.eq(y));
        }
        if let Some(k) = filter.kind {
            cond = cond.add(follow_up::Column::Kind.eq(k.as_str()));
        }
        page::<FollowUp, FollowUpKey>(self, cond, convert, request).await
    }
}
