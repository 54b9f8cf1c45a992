//! Reading the governance chain: [`GovernanceReader`] for the store.

use async_trait::async_trait;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use styrhub_domain::goal::{Goal, GoalFilter};
use styrhub_domain::governance_model::GovernanceModel;
use styrhub_domain::org_unit::OrgUnit;
use styrhub_domain::ports::GovernanceReader;
use styrhub_domain::vision::{FocusArea, Vision};
use styrhub_domain::RepoError;

use crate::db::repo_err;
use crate::entities::{focus_area, goal, governance_model, org_unit, vision};
use crate::Store;

#[async_trait]
impl GovernanceReader for Store {
    async fn municipalities(&self) -> Result<Vec<OrgUnit>, RepoError> {
        org_unit::Entity::find()
            .filter(org_unit::Column::Kind.eq("municipality"))
            .order_by_asc(org_unit::Column::MunicipalityCode)
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(OrgUnit::try_from)
            .collect()
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
        org_unit::Entity::find()
            .filter(org_unit::Column::Id.is_in(ids.iter().copied()))
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(OrgUnit::try_from)
            .collect()
    }

    async fn governance_models(&self, municipality_id: i64) -> Result<Vec<GovernanceModel>, RepoError> {
        governance_model::Entity::find()
            .filter(governance_model::Column::MunicipalityId.eq(municipality_id))
            .order_by_asc(governance_model::Column::ValidFrom)
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(GovernanceModel::try_from)
            .collect()
    }

    async fn visions(&self, municipality_id: i64) -> Result<Vec<Vision>, RepoError> {
        vision::Entity::find()
            .filter(vision::Column::MunicipalityId.eq(municipality_id))
            .order_by_asc(vision::Column::Id)
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(Vision::try_from)
            .collect()
    }

    async fn focus_areas_by_ids(&self, ids: &[i64]) -> Result<Vec<FocusArea>, RepoError> {
        Ok(focus_area::Entity::find()
            .filter(focus_area::Column::Id.is_in(ids.iter().copied()))
            .order_by_asc(focus_area::Column::Position)
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(FocusArea::from)
            .collect())
    }

    async fn goals(&self, filter: &GoalFilter) -> Result<Vec<Goal>, RepoError> {
        let mut cond = Condition::all();
        if let Some(code) = &filter.municipality_code {
            let Some(m) = self.municipality_by_code(code).await? else {
                return Err(RepoError::NotFound(format!("municipality {code}")));
            };
            cond = cond.add(goal::Column::MunicipalityId.eq(m.id));
            if let Some(key) = &filter.governance_model {
                let model = governance_model::Entity::find()
                    .filter(governance_model::Column::MunicipalityId.eq(m.id))
                    .filter(governance_model::Column::Key.eq(key.as_str()))
                    .one(self.connection())
                    .await
                    .map_err(repo_err)?
                    .ok_or_else(|| RepoError::NotFound(format!("governance model {key} of {code}")))?;
                cond = cond.add(goal::Column::GovernanceModelId.eq(model.id));
            }
        }
        if let Some(kind) = filter.kind {
            cond = cond.add(goal::Column::Kind.eq(kind.as_str()));
        }
        if let Some(year) = filter.year {
            let (start, end) = match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) {
                (Some(s), Some(e)) => (s, e),
                _ => {
                    return Err(RepoError::Invalid(styrhub_domain::DomainError::new(
                        "year",
                        format!("{year} is not a year"),
                    )))
                }
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
        goal::Entity::find()
            .filter(cond)
            .order_by_asc(goal::Column::GovernanceModelId)
            .order_by_asc(goal::Column::Kind)
            .order_by_asc(goal::Column::Position)
            .order_by_asc(goal::Column::Key)
            .all(self.connection())
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(Goal::try_from)
            .collect()
    }
}
