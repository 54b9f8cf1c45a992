//! Reading indicators, their links and targets: [`IndicatorReader`] for the store.

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, JoinType, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait};
use styrhub_domain::goal::text_matches;
use styrhub_domain::ids::{GoalId, IndicatorId};
use styrhub_domain::indicator::{Indicator, IndicatorFilter};
use styrhub_domain::page::{Page, PageRequest};
use styrhub_domain::ports::IndicatorReader;
use styrhub_domain::target::Target;
use styrhub_domain::RepoError;

use crate::any_of::any_of_ids;
use crate::db::repo_err;
use crate::entities::{goal, indicator, indicator_goal, indicator_quality_factor, org_unit, target};
use crate::governance::{by_ids, convert, MAX_IN};
use crate::keyset::{self, ListOrder};
use crate::warm::Plan;
use crate::Store;

#[async_trait]
impl IndicatorReader for Store {
    async fn indicators(&self, filter: &IndicatorFilter) -> Result<Vec<Indicator>, RepoError> {
        let cond = self.indicator_condition(filter).await?;
        let all: Vec<Indicator> = convert(
            IndicatorKey::sort(indicator::Entity::find().filter(cond), &Order::Asc)
                .all(self.connection())
                .await
                .map_err(repo_err)?,
        )?;
        Ok(all.into_iter().filter(|i| indicator_matches(filter, i)).collect())
    }

    async fn indicators_page(&self, filter: &IndicatorFilter, page: &PageRequest) -> Result<Page<Indicator>, RepoError> {
        let cond = self.indicator_condition(filter).await?;
        let keep = filter
            .text
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
            .then_some(|i: &Indicator| indicator_matches(filter, i));
        keyset::page::<Indicator, IndicatorKey, _, _>(self.connection(), cond, convert::<indicator::Model, Indicator>, keep, page).await
    }

    async fn indicators_by_ids(&self, ids: &[IndicatorId]) -> Result<Vec<Indicator>, RepoError> {
        by_ids(ids, |c| {
            indicator::Entity::find()
                .filter(any_of_ids(self.backend(), indicator::Column::Id, &c))
                .all(self.connection())
        })
        .await
    }

    async fn indicators_of_goals(&self, goal_ids: &[GoalId]) -> Result<Vec<(GoalId, Indicator)>, RepoError> {
        let mut out = Vec::new();
        for chunk in goal_ids.chunks(MAX_IN) {
            // The indicator's own columns, then the goal it is linked to. A goal tree reads
            // here: on a kept connection, decoded by position (see `warm`).
            let stmt = indicator::Entity::find()
                .column_as(indicator_goal::Column::GoalId, "goal_id")
                .join(JoinType::InnerJoin, indicator_goal::Relation::Indicator.def().rev())
                .filter(any_of_ids(self.backend(), indicator_goal::Column::GoalId, chunk))
                .order_by_asc(indicator::Column::Position)
                .order_by_asc(indicator::Column::Key)
                .build(self.backend());
            for row in self.fetch_warm(&stmt, Plan::for_list(chunk.len())).await.map_err(repo_err)? {
                let goal: i64 = row.try_get_by_index(indicator::Model::COLUMNS).map_err(repo_err)?;
                let model = indicator::Model::from_columns(&row, 0).map_err(repo_err)?;
                out.push((GoalId(goal), Indicator::try_from(model)?));
            }
        }
        Ok(out)
    }

    async fn goal_links(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<(IndicatorId, GoalId)>, RepoError> {
        let mut out = Vec::new();
        for chunk in indicator_ids.chunks(MAX_IN) {
            let rows: Vec<(i64, i64)> = indicator_goal::Entity::find()
                .select_only()
                .column(indicator_goal::Column::IndicatorId)
                .column(indicator_goal::Column::GoalId)
                .filter(any_of_ids(self.backend(), indicator_goal::Column::IndicatorId, chunk))
                .order_by_asc(indicator_goal::Column::GoalId)
                .into_tuple()
                .all(self.connection())
                .await
                .map_err(repo_err)?;
            out.extend(rows.into_iter().map(|(i, g)| (IndicatorId(i), GoalId(g))));
        }
        Ok(out)
    }

    async fn quality_factor_links(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<(IndicatorId, i64)>, RepoError> {
        let mut out = Vec::new();
        for chunk in indicator_ids.chunks(MAX_IN) {
            let rows: Vec<(i64, i64)> = indicator_quality_factor::Entity::find()
                .select_only()
                .column(indicator_quality_factor::Column::IndicatorId)
                .column(indicator_quality_factor::Column::QualityFactorId)
                .filter(any_of_ids(self.backend(), indicator_quality_factor::Column::IndicatorId, chunk))
                .into_tuple()
                .all(self.connection())
                .await
                .map_err(repo_err)?;
            out.extend(rows.into_iter().map(|(i, q)| (IndicatorId(i), q)));
        }
        Ok(out)
    }

    async fn targets_of(&self, indicator_ids: &[IndicatorId]) -> Result<Vec<Target>, RepoError> {
        let mut out = Vec::new();
        for chunk in indicator_ids.chunks(MAX_IN) {
            // A goal tree's targets: on a kept connection, decoded by position (see `warm`).
            let stmt = target::Entity::find()
                .filter(any_of_ids(self.backend(), target::Column::IndicatorId, chunk))
                .order_by_asc(target::Column::PeriodFrom)
                .order_by_asc(target::Column::Id)
                .build(self.backend());
            for row in self.fetch_warm(&stmt, Plan::for_list(chunk.len())).await.map_err(repo_err)? {
                out.push(Target::try_from(target::Model::from_columns(&row).map_err(repo_err)?)?);
            }
        }
        Ok(out)
    }
}

impl Store {
    /// The SQL part of an indicator filter (the free text is matched in Rust, see
    /// [`indicator_matches`]).
    async fn indicator_condition(&self, filter: &IndicatorFilter) -> Result<Condition, RepoError> {
        let mut cond = Condition::all();

        if let Some(mid) = filter.municipality_id {
            cond = cond.add(indicator::Column::MunicipalityId.eq(mid));
        }
        if let Some(g) = filter.goal_id {
            cond = cond.add(
                indicator::Column::Id.in_subquery(
                    Query::select()
                        .column(indicator_goal::Column::IndicatorId)
                        .from(indicator_goal::Entity)
                        .and_where(indicator_goal::Column::GoalId.eq(g))
                        .to_owned(),
                ),
            );
        }
        if let Some(unit) = filter.org_unit_id {
            if org_unit::Entity::find_by_id(unit)
                .one(self.connection())
                .await
                .map_err(repo_err)?
                .is_none()
            {
                return Err(RepoError::NotFound(format!("organisation unit {unit}")));
            }
            let units = self.org_unit_subtree(unit).await?;
            let goals_there = Query::select()
                .column(goal::Column::Id)
                .from(goal::Entity)
                .and_where(goal::Column::OwnerId.is_in(units.clone()))
                .to_owned();
            let linked = Query::select()
                .column(indicator_goal::Column::IndicatorId)
                .from(indicator_goal::Entity)
                .and_where(indicator_goal::Column::GoalId.in_subquery(goals_there))
                .to_owned();
            cond = cond.add(
                Condition::any()
                    .add(indicator::Column::OwnerId.is_in(units))
                    .add(indicator::Column::Id.in_subquery(linked)),
            );
        }
        if let Some(kind) = filter.kind {
            cond = cond.add(indicator::Column::Kind.eq(kind.as_str()));
        }
        if let Some(kpi) = &filter.kpi {
            cond = cond.add(indicator::Column::KpiId.eq(kpi.as_str()));
        }
        Ok(cond)
    }
}

/// The part of an indicator filter matched in Rust: the free text (see `text_matches` for why
/// not in SQL).
fn indicator_matches(filter: &IndicatorFilter, i: &Indicator) -> bool {
    filter.text.as_deref().is_none_or(|t| text_matches(t, &[Some(&i.title)]))
}

/// An indicator's place in the list order (municipality, position, key, and the id last so that
/// the order is total): what its cursor holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct IndicatorKey(i64, i32, String, i64);

impl ListOrder<Indicator> for IndicatorKey {
    type Entity = indicator::Entity;

    fn columns() -> Vec<Expr> {
        vec![
            Expr::col(indicator::Column::MunicipalityId),
            Expr::col(indicator::Column::Position),
            Expr::col(indicator::Column::Key),
            Expr::col(indicator::Column::Id),
        ]
    }

    fn of(i: &Indicator) -> Self {
        Self(i.municipality_id, i.position, i.key.clone(), i.id)
    }

    fn values(&self) -> Vec<Expr> {
        vec![Expr::val(self.0), Expr::val(self.1), Expr::val(self.2.clone()), Expr::val(self.3)]
    }
}
