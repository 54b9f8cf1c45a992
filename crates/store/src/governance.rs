//! Reading the governance chain: [`GovernanceReader`] for the store.
//!
//! Every `…_by_ids` read is one statement for the whole batch (split only beyond
//! [`MAX_IN`] ids), which is what lets the API's data loaders keep a request's statement count
//! independent of how many goals it touches.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};
use styrhub_domain::assignment::{Assignment, AssignmentFilter};
use styrhub_domain::budget::{BudgetFilter, BudgetLine};
use styrhub_domain::follow_up::{FollowUp, FollowUpFilter, GoalAssessment};
use styrhub_domain::goal::{text_matches, Goal, GoalFilter};
use styrhub_domain::governance_model::GovernanceModel;
use styrhub_domain::hierarchy::Hierarchy;
use styrhub_domain::ids::GoalId;
use styrhub_domain::mission::{BasicMission, PoliticalDirection, QualityFactor};
use styrhub_domain::org_unit::{OrgUnit, OrgUnitKind};
use styrhub_domain::page::{Page, PageRequest};
use styrhub_domain::ports::GovernanceReader;
use styrhub_domain::vision::{FocusArea, Vision};
use styrhub_domain::{DomainError, RepoError};

use crate::any_of::any_of_ids;
use crate::db::repo_err;
use crate::entities::{focus_area, follow_up, goal, goal_assessment, goal_parent, governance_model, org_unit, quality_factor, vision};
use crate::keyset::{self, ListOrder};
use crate::Store;

/// Ids per `IN (…)` list: well below SQLite's and PostgreSQL's bind-parameter limits.
pub const MAX_IN: usize = 10_000;

/// Runs `query` for `ids` in chunks of [`MAX_IN`] and converts every row.
pub(crate) async fn by_ids<E, T, F, Fut, I>(ids: &[I], query: F) -> Result<Vec<T>, RepoError>
where
    I: Copy + Into<i64>,
    F: Fn(Vec<i64>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<E>, sea_orm::DbErr>>,
    T: TryFrom<E>,
    RepoError: From<T::Error>,
{
    let unique: Vec<i64> = ids.iter().map(|i| (*i).into()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut out = Vec::with_capacity(unique.len());
    for chunk in unique.chunks(MAX_IN) {
        for row in query(chunk.to_vec()).await.map_err(repo_err)? {
            out.push(T::try_from(row)?);
        }
    }
    Ok(out)
}

pub(crate) fn convert<E, T>(rows: Vec<E>) -> Result<Vec<T>, RepoError>
where
    T: TryFrom<E>,
    RepoError: From<T::Error>,
{
    rows.into_iter().map(|r| T::try_from(r).map_err(RepoError::from)).collect()
}

impl Store {
    /// The ids of `unit` and every unit below it.
    pub async fn org_unit_subtree(&self, unit: i64) -> Result<Vec<i64>, RepoError> {
        let Some(u) = org_unit::Entity::find_by_id(unit).one(self.connection()).await.map_err(repo_err)? else {
            return Err(RepoError::NotFound(format!("organisation unit {unit}")));
        };
        let municipality = u.municipality_id.unwrap_or(u.id);
        let units = org_unit::Entity::find()
            .filter(org_unit::Column::MunicipalityId.eq(municipality))
            .all(self.connection())
            .await
            .map_err(repo_err)?;
        let tree = Hierarchy::new(units.iter().filter_map(|u| u.parent_id.map(|p| (u.id, p))));
        Ok(std::iter::once(unit)
            .chain(tree.descendants(unit, None).into_iter().map(|r| r.id))
            .collect())
    }
}

#[async_trait]
impl GovernanceReader for Store {
    async fn municipalities(&self) -> Result<Vec<OrgUnit>, RepoError> {
        convert(
            org_unit::Entity::find()
                .filter(org_unit::Column::Kind.eq("municipality"))
                .order_by_asc(org_unit::Column::MunicipalityCode)
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )
    }

    async fn municipality_by_code(&self, code: &str) -> Result<Option<OrgUnit>, RepoError> {
        org_unit::Entity::find()
            .filter(org_unit::Column::MunicipalityCode.eq(code))
            .one(self.connection())
            .await
            .map_err(repo_err)?
            .map(OrgUnit::try_from)
            .transpose()
    }

    async fn org_units_by_ids(&self, ids: &[i64]) -> Result<Vec<OrgUnit>, RepoError> {
        by_ids(ids, |c| {
            org_unit::Entity::find()
                .filter(any_of_ids(self.backend(), org_unit::Column::Id, &c))
                .all(self.connection())
        })
        .await
    }

    async fn org_units_of(&self, municipality_ids: &[i64]) -> Result<Vec<OrgUnit>, RepoError> {
        by_ids(municipality_ids, |c| {
            org_unit::Entity::find()
                .filter(any_of_ids(self.backend(), org_unit::Column::MunicipalityId, &c))
                .order_by_asc(org_unit::Column::Id)
                .all(self.connection())
        })
        .await
    }

    async fn org_units_page(
        &self,
        municipality_id: i64,
        kind: Option<OrgUnitKind>,
        page: &PageRequest,
    ) -> Result<Page<OrgUnit>, RepoError> {
        self.org_units_page_of(municipality_id, kind, page).await
    }

    async fn governance_models(&self, municipality_id: i64) -> Result<Vec<GovernanceModel>, RepoError> {
        convert(
            governance_model::Entity::find()
                .filter(governance_model::Column::MunicipalityId.eq(municipality_id))
                .order_by_asc(governance_model::Column::ValidFrom)
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )
    }

    async fn governance_models_by_ids(&self, ids: &[i64]) -> Result<Vec<GovernanceModel>, RepoError> {
        by_ids(ids, |c| {
            governance_model::Entity::find()
                .filter(any_of_ids(self.backend(), governance_model::Column::Id, &c))
                .all(self.connection())
        })
        .await
    }

    async fn visions(&self, municipality_id: i64) -> Result<Vec<Vision>, RepoError> {
        convert(
            vision::Entity::find()
                .filter(vision::Column::MunicipalityId.eq(municipality_id))
                .order_by_asc(vision::Column::Id)
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )
    }

    async fn visions_by_ids(&self, ids: &[i64]) -> Result<Vec<Vision>, RepoError> {
        by_ids(ids, |c| {
            vision::Entity::find()
                .filter(any_of_ids(self.backend(), vision::Column::Id, &c))
                .all(self.connection())
        })
        .await
    }

    async fn focus_areas_by_ids(&self, ids: &[i64]) -> Result<Vec<FocusArea>, RepoError> {
        by_ids(ids, |c| {
            focus_area::Entity::find()
                .filter(any_of_ids(self.backend(), focus_area::Column::Id, &c))
                .order_by_asc(focus_area::Column::Position)
                .all(self.connection())
        })
        .await
    }

    async fn focus_areas_of(&self, vision_ids: &[i64]) -> Result<Vec<FocusArea>, RepoError> {
        by_ids(vision_ids, |c| {
            focus_area::Entity::find()
                .filter(any_of_ids(self.backend(), focus_area::Column::VisionId, &c))
                .order_by_asc(focus_area::Column::Position)
                .order_by_asc(focus_area::Column::Id)
                .all(self.connection())
        })
        .await
    }

    async fn goals(&self, filter: &GoalFilter) -> Result<Vec<Goal>, RepoError> {
        let cond = self.goal_condition(filter).await?;
        let goals: Vec<Goal> = convert(
            GoalKey::sort(goal::Entity::find().filter(cond), &Order::Asc)
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )?;
        Ok(goals.into_iter().filter(|g| goal_matches(filter, g)).collect())
    }

    async fn goals_page(&self, filter: &GoalFilter, page: &PageRequest) -> Result<Page<Goal>, RepoError> {
        let cond = self.goal_condition(filter).await?;
        let keep = has_rust_filter(filter).then_some(|g: &Goal| goal_matches(filter, g));
        keyset::page::<Goal, GoalKey, _, _>(self.connection(), cond, convert::<goal::Model, Goal>, keep, page).await
    }

    async fn goals_of_focus_areas(&self, focus_area_ids: &[i64]) -> Result<Vec<Goal>, RepoError> {
        by_ids(focus_area_ids, |c| {
            goal::Entity::find()
                .filter(any_of_ids(self.backend(), goal::Column::FocusAreaId, &c))
                .filter(goal::Column::Archived.eq(false))
                .order_by_asc(goal::Column::Kind)
                .order_by_asc(goal::Column::Position)
                .order_by_asc(goal::Column::Key)
                .all(self.connection())
        })
        .await
    }

    async fn goals_by_ids(&self, ids: &[GoalId]) -> Result<Vec<Goal>, RepoError> {
        by_ids(ids, |c| {
            goal::Entity::find()
                .filter(any_of_ids(self.backend(), goal::Column::Id, &c))
                .all(self.connection())
        })
        .await
    }

    async fn goal_edges(&self, municipality_ids: &[i64]) -> Result<Vec<(i64, i64)>, RepoError> {
        let mut out = Vec::new();
        for chunk in municipality_ids.chunks(MAX_IN) {
            let rows: Vec<(i64, i64)> = goal_parent::Entity::find()
                .select_only()
                .column(goal_parent::Column::GoalId)
                .column(goal_parent::Column::ParentId)
                .filter(
                    goal_parent::Column::GoalId.in_subquery(
                        Query::select()
                            .column(goal::Column::Id)
                            .from(goal::Entity)
                            .and_where(goal::Column::MunicipalityId.is_in(chunk.iter().copied()))
                            .to_owned(),
                    ),
                )
                .into_tuple()
                .all(self.connection())
                .await
                .map_err(repo_err)?;
            out.extend(rows);
        }
        Ok(out)
    }

    async fn basic_missions_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<BasicMission>, RepoError> {
        self.basic_missions_page_of(municipality_id, org_unit_ids, page).await
    }

    async fn quality_factors_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<QualityFactor>, RepoError> {
        self.quality_factors_page_of(municipality_id, org_unit_ids, page).await
    }

    async fn quality_factors_by_ids(&self, ids: &[i64]) -> Result<Vec<QualityFactor>, RepoError> {
        by_ids(ids, |c| {
            quality_factor::Entity::find()
                .filter(any_of_ids(self.backend(), quality_factor::Column::Id, &c))
                .all(self.connection())
        })
        .await
    }

    async fn political_directions_page(
        &self,
        municipality_id: i64,
        org_unit_ids: Option<&[i64]>,
        page: &PageRequest,
    ) -> Result<Page<PoliticalDirection>, RepoError> {
        self.political_directions_page_of(municipality_id, org_unit_ids, page).await
    }

    async fn assignments_page(&self, filter: &AssignmentFilter, page: &PageRequest) -> Result<Page<Assignment>, RepoError> {
        self.assignments_page_of(filter, page).await
    }

    async fn budgets_page(&self, filter: &BudgetFilter, page: &PageRequest) -> Result<Page<BudgetLine>, RepoError> {
        self.budgets_page_of(filter, page).await
    }

    async fn follow_ups_page(&self, filter: &FollowUpFilter, page: &PageRequest) -> Result<Page<FollowUp>, RepoError> {
        self.follow_ups_page_of(filter, page).await
    }

    async fn follow_ups_by_ids(&self, ids: &[i64]) -> Result<Vec<FollowUp>, RepoError> {
        by_ids(ids, |c| {
            follow_up::Entity::find()
                .filter(any_of_ids(self.backend(), follow_up::Column::Id, &c))
                .all(self.connection())
        })
        .await
    }

    async fn assessments_of_goals(&self, goal_ids: &[GoalId]) -> Result<Vec<GoalAssessment>, RepoError> {
        by_ids(goal_ids, |c| {
            goal_assessment::Entity::find()
                .filter(any_of_ids(self.backend(), goal_assessment::Column::GoalId, &c))
                .order_by_asc(goal_assessment::Column::Id)
                .all(self.connection())
        })
        .await
    }

    async fn assessments_in(&self, follow_up_ids: &[i64]) -> Result<Vec<GoalAssessment>, RepoError> {
        by_ids(follow_up_ids, |c| {
            goal_assessment::Entity::find()
                .filter(any_of_ids(self.backend(), goal_assessment::Column::FollowUpId, &c))
                .order_by_asc(goal_assessment::Column::Id)
                .all(self.connection())
        })
        .await
    }
}

impl Store {
    /// The SQL part of a goal filter (see [`goal_matches`] for the rest).
    async fn goal_condition(&self, filter: &GoalFilter) -> Result<Condition, RepoError> {
        let mut cond = Condition::all();
        if let Some(mid) = filter.municipality_id {
            cond = cond.add(goal::Column::MunicipalityId.eq(mid));
            if let Some(key) = &filter.governance_model {
                let model = governance_model::Entity::find()
                    .filter(governance_model::Column::MunicipalityId.eq(mid))
                    .filter(governance_model::Column::Key.eq(key.as_str()))
                    .one(self.connection())
                    .await
                    .map_err(repo_err)?
                    .ok_or_else(|| RepoError::NotFound(format!("governance model {key}")))?;
                cond = cond.add(goal::Column::GovernanceModelId.eq(model.id));
            }
        }
        if let Some(kind) = filter.kind {
            cond = cond.add(goal::Column::Kind.eq(kind.as_str()));
        }
        if let Some(owner) = filter.owner_id {
            let owners = if filter.include_subtree {
                self.org_unit_subtree(owner).await?
            } else {
                vec![owner]
            };
            cond = cond.add(goal::Column::OwnerId.is_in(owners));
        }
        if let Some(fa) = filter.focus_area_id {
            cond = cond.add(goal::Column::FocusAreaId.eq(fa));
        }
        if let Some(year) = filter.year {
            let (start, end) = match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) {
                (Some(s), Some(e)) => (s, e),
                _ => return Err(RepoError::Invalid(DomainError::new("year", format!("{year} is not a year")))),
            };
            cond = cond.add(goal::Column::ValidFrom.lte(end)).add(
                Condition::any()
                    .add(goal::Column::ValidTo.is_null())
                    .add(goal::Column::ValidTo.gte(start)),
            );
        }
        if !filter.include_archived {
            cond = cond.add(goal::Column::Archived.eq(false));
        }
        Ok(cond)
    }
}

/// Whether a goal filter has parts SQL does not match (free text, tags).
fn has_rust_filter(filter: &GoalFilter) -> bool {
    filter.agenda2030.is_some() || filter.text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// The parts of a goal filter matched in Rust: tags and free text (see `text_matches` for why
/// not in SQL).
fn goal_matches(filter: &GoalFilter, g: &Goal) -> bool {
    filter.agenda2030.is_none_or(|t| g.agenda2030.contains(&t))
        && filter
            .text
            .as_deref()
            .is_none_or(|t| text_matches(t, &[Some(&g.title), g.description.as_deref()]))
}

/// A goal's place in the list order (model, kind, position, key, and the id last so that the
/// order is total): what its cursor holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct GoalKey(i64, String, i32, String, i64);

impl ListOrder<Goal> for GoalKey {
    type Entity = goal::Entity;

    fn columns() -> Vec<Expr> {
        vec![
            Expr::col(goal::Column::GovernanceModelId),
            Expr::col(goal::Column::Kind),
            Expr::col(goal::Column::Position),
            Expr::col(goal::Column::Key),
            Expr::col(goal::Column::Id),
        ]
    }

    fn of(g: &Goal) -> Self {
        Self(g.governance_model_id, g.kind.as_str().to_owned(), g.position, g.key.clone(), g.id)
    }

    fn values(&self) -> Vec<Expr> {
        vec![
            Expr::val(self.0),
            Expr::val(self.1.clone()),
            Expr::val(self.2),
            Expr::val(self.3.clone()),
            Expr::val(self.4),
        ]
    }
}
