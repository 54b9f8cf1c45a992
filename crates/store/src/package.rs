//! Loading a municipality package: one transaction, upserts on natural keys, so that a second
//! load of the same package leaves exactly the same rows (same ids, same values).
//!
//! Entities the package does not mention are left alone: goals created through the API must
//! survive a reload of the seed. Link tables (goal parents, indicator links) of the entities
//! the package does mention are made to match it exactly.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, Iterable,
    PaginatorTrait, PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter,
};
use styrhub_domain::access::Author;
use styrhub_domain::ids::AreaCode;
use styrhub_domain::observation::{NewObservation, SeriesRef};
use styrhub_domain::package::ValidPackage;
use styrhub_domain::ports::{LoadReport, PackageWriter};
use styrhub_domain::RepoError;

use crate::access::record;
use crate::bulk::write_observations;
use crate::convert::{agenda_to_text, list_to_text};
use crate::db::repo_err;
use crate::entities::*;
use crate::Store;

/// Saves `new` in place of `old`: nothing when equal, an UPDATE when changed, an INSERT (with
/// the primary key left to the database) when there was nothing.
async fn save<A>(
    txn: &DatabaseTransaction,
    old: Option<<A::Entity as EntityTrait>::Model>,
    new: <A::Entity as EntityTrait>::Model,
) -> Result<<A::Entity as EntityTrait>::Model, RepoError>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send + From<<A::Entity as EntityTrait>::Model>,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + PartialEq + Clone,
{
    match old {
        Some(old) if old == new => Ok(old),
        Some(_) => A::from(new).reset_all().update(txn).await.map_err(repo_err),
        None => {
            let mut am = A::from(new).reset_all();
            // Auto-increment keys are the database's to choose; natural keys (area codes) stay.
            if <<A::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::auto_increment() {
                for pk in <A::Entity as EntityTrait>::PrimaryKey::iter() {
                    am.not_set(pk.into_column());
                }
            }
            am.insert(txn).await.map_err(repo_err)
        }
    }
}

fn by_key<M, K: Ord>(rows: Vec<M>, key: impl Fn(&M) -> K) -> BTreeMap<K, M> {
    rows.into_iter().map(|r| (key(&r), r)).collect()
}

fn id_of(ids: &BTreeMap<String, i64>, key: &str, what: &str) -> Result<i64, RepoError> {
    ids.get(key)
        .copied()
        .ok_or_else(|| RepoError::Internal(format!("{what} `{key}` was validated but not written")))
}

/// Makes the link table rows for `owner` equal `wanted`.
async fn sync_links<E, F, G>(
    txn: &DatabaseTransaction,
    existing: Vec<(i64, i64)>,
    wanted: BTreeSet<(i64, i64)>,
    delete: F,
    insert: G,
) -> Result<(), RepoError>
where
    E: EntityTrait,
    F: Fn(i64, i64) -> sea_orm::DeleteMany<E>,
    G: Fn(i64, i64) -> sea_orm::Insert<<E as EntityTrait>::ActiveModel>,
    <E as EntityTrait>::ActiveModel: ActiveModelTrait<Entity = E>,
{
    let have: BTreeSet<(i64, i64)> = existing.into_iter().collect();
    for (a, b) in have.difference(&wanted) {
        delete(*a, *b).exec(txn).await.map_err(repo_err)?;
    }
    for (a, b) in wanted.difference(&have) {
        insert(*a, *b).exec_without_returning(txn).await.map_err(repo_err)?;
    }
    Ok(())
}

#[async_trait]
impl PackageWriter for Store {
    async fn load_package(&self, vp: &ValidPackage) -> Result<LoadReport, RepoError> {
        let p = &vp.package;
        let txn = crate::db::begin_write(self.connection()).await?;
        let code = p.municipality.code.as_str().to_owned();

        // The municipality: the root of its organisation tree.
        let old_root = org_unit::Entity::find()
            .filter(org_unit::Column::MunicipalityCode.eq(code.as_str()))
            .one(&txn)
            .await
            .map_err(repo_err)?;
        let root_id = old_root.as_ref().map(|r| r.id).unwrap_or_default();
        let root = save::<org_unit::ActiveModel>(
            &txn,
            old_root,
            org_unit::Model {
                id: root_id,
                municipality_id: (root_id != 0).then_some(root_id),
                parent_id: None,
                key: code.clone(),
                name: p.municipality.name.clone(),
                short_name: None,
                kind: "municipality".into(),
                municipality_code: Some(code.clone()),
                kolada_ou_id: None,
            },
        )
        .await?;
        let mid = root.id;
        if root.municipality_id != Some(mid) {
            let fixed = org_unit::Model {
                municipality_id: Some(mid),
                ..root.clone()
            };
            save::<org_unit::ActiveModel>(&txn, Some(root), fixed).await?;
        }

        // Areas the package's values refer to.
        let mut areas: BTreeMap<String, (String, String)> = BTreeMap::new();
        areas.insert(code.clone(), (p.municipality.name.clone(), "K".into()));
        areas
            .entry(AreaCode::COUNTRY.into())
            .or_insert_with(|| ("Riket".into(), "L".into()));
        let old_areas = by_key(area::Entity::find().all(&txn).await.map_err(repo_err)?, |a| a.code.clone());
        for (c, (title, ty)) in areas {
            let old = old_areas.get(&c).cloned();
            // Keep a title another source (Kolada) already gave a known area.
            let title = match (&old, c == code) {
                (Some(o), false) => o.title.clone(),
                _ => title,
            };
            let parent_code = old.as_ref().and_then(|o| o.parent_code.clone());
            save::<area::ActiveModel>(
                &txn,
                old,
                area::Model {
                    code: c,
                    title,
                    area_type: ty,
                    parent_code,
                },
            )
            .await?;
        }

        // Organisation units, parents before children.
        let mut old_units = by_key(
            org_unit::Entity::find()
                .filter(org_unit::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |u| u.key.clone(),
        );
        let mut unit_ids: BTreeMap<String, i64> = BTreeMap::new();
        let mut pending: Vec<_> = p.org_units.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for u in pending {
                let parent_id = match &u.parent {
                    None => Some(mid),
                    Some(k) => match unit_ids.get(k) {
                        Some(id) => Some(*id),
                        None => {
                            rest.push(u);
                            continue;
                        }
                    },
                };
                let old = old_units.remove(&u.key);
                let row = save::<org_unit::ActiveModel>(
                    &txn,
                    old.clone(),
                    org_unit::Model {
                        id: old.map(|o| o.id).unwrap_or_default(),
                        municipality_id: Some(mid),
                        parent_id,
                        key: u.key.clone(),
                        name: u.name.clone(),
                        short_name: u.short_name.clone(),
                        kind: u.kind.as_str().into(),
                        municipality_code: None,
                        kolada_ou_id: u.kolada_ou_id.clone(),
                    },
                )
                .await?;
                unit_ids.insert(u.key.clone(), row.id);
            }
            if rest.len() == before {
                return Err(RepoError::Internal(
                    "organisation units with unresolvable parents passed validation".into(),
                ));
            }
            pending = rest;
        }

        // Governance models.
        let old_models = by_key(
            governance_model::Entity::find()
                .filter(governance_model::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        let mut model_ids = BTreeMap::new();
        for m in &p.governance_models {
            let old = old_models.get(&m.key).cloned();
            let rules = serde_json::to_string(&m.rules()).map_err(|e| RepoError::Internal(e.to_string()))?;
            let row = save::<governance_model::ActiveModel>(
                &txn,
                old.clone(),
                governance_model::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    key: m.key.clone(),
                    name: m.name.clone(),
                    description: m.description.clone(),
                    decision: m.decision.clone(),
                    valid_from: m.valid_from,
                    valid_to: m.valid_to,
                    rules,
                },
            )
            .await?;
            model_ids.insert(m.key.clone(), row.id);
        }

        // Visions and focus areas.
        let old_visions = by_key(
            vision::Entity::find()
                .filter(vision::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        let mut vision_ids = BTreeMap::new();
        for v in &p.visions {
            let old = old_visions.get(&v.key).cloned();
            let row = save::<vision::ActiveModel>(
                &txn,
                old.clone(),
                vision::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    key: v.key.clone(),
                    title: v.title.clone(),
                    statement: v.statement.clone(),
                    horizon_year: v.horizon_year,
                    vision_values: list_to_text(&v.values),
                },
            )
            .await?;
            vision_ids.insert(v.key.clone(), row.id);
        }
        let old_focus = by_key(
            focus_area::Entity::find()
                .filter(focus_area::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        let mut focus_ids = BTreeMap::new();
        for f in &p.focus_areas {
            let old = old_focus.get(&f.key).cloned();
            let row = save::<focus_area::ActiveModel>(
                &txn,
                old.clone(),
                focus_area::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    vision_id: id_of(&vision_ids, &f.vision, "vision")?,
                    key: f.key.clone(),
                    title: f.title.clone(),
                    description: f.description.clone(),
                    position: f.position,
                },
            )
            .await?;
            focus_ids.insert(f.key.clone(), row.id);
        }

        // Goals, then their parent links.
        let old_goals = by_key(
            goal::Entity::find()
                .filter(goal::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        let mut goal_ids = BTreeMap::new();
        for g in &p.goals {
            let old = old_goals.get(&g.key).cloned();
            let row = save::<goal::ActiveModel>(
                &txn,
                old.clone(),
                goal::Model {
                    id: old.as_ref().map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    governance_model_id: id_of(&model_ids, &g.governance_model, "governance model")?,
                    key: g.key.clone(),
                    title: g.title.clone(),
                    description: g.description.clone(),
                    kind: g.kind.as_str().into(),
                    owner_id: id_of(&unit_ids, &g.owner, "org unit")?,
                    focus_area_id: g.focus_area.as_ref().map(|k| id_of(&focus_ids, k, "focus area")).transpose()?,
                    valid_from: g.valid_from,
                    valid_to: g.valid_to,
                    agenda2030: agenda_to_text(&g.agenda2030),
                    decision: g.decision.clone(),
                    position: g.position,
                    // A reload does not un-archive a goal archived through the API.
                    archived: old.map(|o| o.archived).unwrap_or(false),
                },
            )
            .await?;
            goal_ids.insert(g.key.clone(), row.id);
        }
        let ids: Vec<i64> = goal_ids.values().copied().collect();
        let existing = goal_parent::Entity::find()
            .filter(goal_parent::Column::GoalId.is_in(ids.clone()))
            .all(&txn)
            .await
            .map_err(repo_err)?;
        let mut wanted = BTreeSet::new();
        for g in &p.goals {
            for parent in &g.parents {
                wanted.insert((goal_ids[&g.key], id_of(&goal_ids, parent, "goal")?));
            }
        }
        sync_links(
            &txn,
            existing.into_iter().map(|l| (l.goal_id, l.parent_id)).collect(),
            wanted,
            |a, b| {
                goal_parent::Entity::delete_many()
                    .filter(goal_parent::Column::GoalId.eq(a))
                    .filter(goal_parent::Column::ParentId.eq(b))
            },
            |a, b| {
                goal_parent::Entity::insert(goal_parent::ActiveModel {
                    goal_id: sea_orm::Set(a),
                    parent_id: sea_orm::Set(b),
                })
            },
        )
        .await?;

        // Basic missions and quality factors.
        let old_missions = by_key(
            basic_mission::Entity::find()
                .filter(basic_mission::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        let mut mission_ids = BTreeMap::new();
        for b in &p.basic_missions {
            let old = old_missions.get(&b.key).cloned();
            let row = save::<basic_mission::ActiveModel>(
                &txn,
                old.clone(),
                basic_mission::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    org_unit_id: id_of(&unit_ids, &b.org_unit, "org unit")?,
                    key: b.key.clone(),
                    purpose: b.purpose.clone(),
                    target_groups: list_to_text(&b.target_groups),
                    governing_documents: list_to_text(&b.governing_documents),
                    risks: list_to_text(&b.risks),
                },
            )
            .await?;
            mission_ids.insert(b.key.clone(), row.id);
        }
        let old_factors = by_key(
            quality_factor::Entity::find()
                .filter(quality_factor::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        let mut factor_ids = BTreeMap::new();
        for q in &p.quality_factors {
            let old = old_factors.get(&q.key).cloned();
            let row = save::<quality_factor::ActiveModel>(
                &txn,
                old.clone(),
                quality_factor::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    org_unit_id: id_of(&unit_ids, &q.org_unit, "org unit")?,
                    key: q.key.clone(),
                    title: q.title.clone(),
                    description: q.description.clone(),
                    basic_mission_id: q
                        .basic_mission
                        .as_ref()
                        .map(|k| id_of(&mission_ids, k, "basic mission"))
                        .transpose()?,
                },
            )
            .await?;
            factor_ids.insert(q.key.clone(), row.id);
        }

        // Indicators and their links.
        let old_indicators = by_key(
            indicator::Entity::find()
                .filter(indicator::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        let mut indicator_ids = BTreeMap::new();
        let mut indicator_kpis = BTreeMap::new();
        for (i, d) in p.indicators.iter().zip(&vp.directions) {
            let old = old_indicators.get(&i.key).cloned();
            let row = save::<indicator::ActiveModel>(
                &txn,
                old.clone(),
                indicator::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    key: i.key.clone(),
                    title: i.title.clone(),
                    kind: i.kind.as_str().into(),
                    unit: i.unit.clone(),
                    direction: d.direction.as_str().into(),
                    desired_text: i.desired.clone(),
                    measure_first: d.measure_first,
                    kpi_id: i.kpi.as_ref().map(|k| k.to_string()),
                    owner_id: i.owner.as_ref().map(|k| id_of(&unit_ids, k, "org unit")).transpose()?,
                    position: i.position,
                },
            )
            .await?;
            indicator_ids.insert(i.key.clone(), row.id);
            indicator_kpis.insert(i.key.clone(), i.kpi.clone());
        }
        let ids: Vec<i64> = indicator_ids.values().copied().collect();
        let existing = indicator_goal::Entity::find()
            .filter(indicator_goal::Column::IndicatorId.is_in(ids.clone()))
            .all(&txn)
            .await
            .map_err(repo_err)?;
        let mut wanted = BTreeSet::new();
        for i in &p.indicators {
            for g in &i.goals {
                wanted.insert((indicator_ids[&i.key], id_of(&goal_ids, g, "goal")?));
            }
        }
        sync_links(
            &txn,
            existing.into_iter().map(|l| (l.indicator_id, l.goal_id)).collect(),
            wanted,
            |a, b| {
                indicator_goal::Entity::delete_many()
                    .filter(indicator_goal::Column::IndicatorId.eq(a))
                    .filter(indicator_goal::Column::GoalId.eq(b))
            },
            |a, b| {
                indicator_goal::Entity::insert(indicator_goal::ActiveModel {
                    indicator_id: sea_orm::Set(a),
                    goal_id: sea_orm::Set(b),
                })
            },
        )
        .await?;
        let existing = indicator_quality_factor::Entity::find()
            .filter(indicator_quality_factor::Column::IndicatorId.is_in(ids))
            .all(&txn)
            .await
            .map_err(repo_err)?;
        let mut wanted = BTreeSet::new();
        for i in &p.indicators {
            for q in &i.quality_factors {
                wanted.insert((indicator_ids[&i.key], id_of(&factor_ids, q, "quality factor")?));
            }
        }
        sync_links(
            &txn,
            existing.into_iter().map(|l| (l.indicator_id, l.quality_factor_id)).collect(),
            wanted,
            |a, b| {
                indicator_quality_factor::Entity::delete_many()
                    .filter(indicator_quality_factor::Column::IndicatorId.eq(a))
                    .filter(indicator_quality_factor::Column::QualityFactorId.eq(b))
            },
            |a, b| {
                indicator_quality_factor::Entity::insert(indicator_quality_factor::ActiveModel {
                    indicator_id: sea_orm::Set(a),
                    quality_factor_id: sea_orm::Set(b),
                })
            },
        )
        .await?;

        // Targets, keyed by indicator, area and first year.
        let ids: Vec<i64> = indicator_ids.values().copied().collect();
        let old_targets = by_key(
            target::Entity::find()
                .filter(target::Column::IndicatorId.is_in(ids))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |t| (t.indicator_id, t.area_code.clone(), t.period_from),
        );
        for (t, rule) in p.targets.iter().zip(&vp.target_rules) {
            let indicator_id = id_of(&indicator_ids, &t.indicator, "indicator")?;
            let old = old_targets.get(&(indicator_id, t.area.to_string(), t.period_from)).cloned();
            let (kind, comparison, value, reference) = rule.to_parts();
            save::<target::ActiveModel>(
                &txn,
                old.clone(),
                target::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    indicator_id,
                    area_code: t.area.to_string(),
                    period_from: t.period_from,
                    period_to: t.period_to,
                    kind: kind.into(),
                    comparison: comparison.into(),
                    value,
                    reference_area: reference.map(str::to_owned),
                    note: t.note.clone(),
                },
            )
            .await?;
        }

        // Political directions and assignments.
        let models_by_key: BTreeMap<&str, bool> = p
            .governance_models
            .iter()
            .map(|m| (m.key.as_str(), m.political_directions_followed_up))
            .collect();
        let default_followed_up = p
            .governance_models
            .iter()
            .max_by_key(|m| m.valid_from)
            .map(|m| models_by_key[m.key.as_str()])
            .unwrap_or(true);
        let old_dirs = by_key(
            political_direction::Entity::find()
                .filter(political_direction::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        for d in &p.political_directions {
            let old = old_dirs.get(&d.key).cloned();
            save::<political_direction::ActiveModel>(
                &txn,
                old.clone(),
                political_direction::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    org_unit_id: id_of(&unit_ids, &d.org_unit, "org unit")?,
                    key: d.key.clone(),
                    title: d.title.clone(),
                    description: d.description.clone(),
                    valid_from: d.valid_from,
                    valid_to: d.valid_to,
                    followed_up: d.followed_up.unwrap_or(default_followed_up),
                },
            )
            .await?;
        }
        let old_assignments = by_key(
            assignment::Entity::find()
                .filter(assignment::Column::MunicipalityId.eq(mid))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |m| m.key.clone(),
        );
        for a in &p.assignments {
            let old = old_assignments.get(&a.key).cloned();
            // A package has no results: what the receiving unit reported stays.
            let result = old.as_ref().and_then(|o| o.result.clone());
            save::<assignment::ActiveModel>(
                &txn,
                old.clone(),
                assignment::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    municipality_id: mid,
                    key: a.key.clone(),
                    title: a.title.clone(),
                    description: a.description.clone(),
                    from_org_unit_id: id_of(&unit_ids, &a.from, "org unit")?,
                    to_org_unit_id: id_of(&unit_ids, &a.to, "org unit")?,
                    deadline: a.deadline,
                    funding: a.funding.clone(),
                    funding_tkr: a.funding_tkr,
                    status: a.status.as_str().into(),
                    goal_id: a.goal.as_ref().map(|k| id_of(&goal_ids, k, "goal")).transpose()?,
                    result,
                },
            )
            .await?;
        }

        // Budget lines.
        let unit_id_list: Vec<i64> = unit_ids.values().copied().chain([mid]).collect();
        let old_budget = by_key(
            budget::Entity::find()
                .filter(budget::Column::OrgUnitId.is_in(unit_id_list))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |b| (b.org_unit_id, b.year, b.kind.clone(), b.line.clone()),
        );
        for b in &p.budgets {
            let org_unit_id = id_of(&unit_ids, &b.org_unit, "org unit")?;
            let old = old_budget
                .get(&(org_unit_id, b.year.get(), b.kind.as_str().to_owned(), b.line.clone()))
                .cloned();
            save::<budget::ActiveModel>(
                &txn,
                old.clone(),
                budget::Model {
                    id: old.map(|o| o.id).unwrap_or_default(),
                    org_unit_id,
                    year: b.year.get(),
                    kind: b.kind.as_str().into(),
                    line: b.line.clone(),
                    amount_tkr: b.amount_tkr,
                },
            )
            .await?;
        }

        // Follow-ups and their assessments. An approved follow-up is locked: a reload may find
        // it as it is, but may not change it.
        let model_id_list: Vec<i64> = model_ids.values().copied().collect();
        let old_reports = by_key(
            follow_up::Entity::find()
                .filter(follow_up::Column::GovernanceModelId.is_in(model_id_list))
                .all(&txn)
                .await
                .map_err(repo_err)?,
            |r| (r.governance_model_id, r.kind.clone(), r.year, r.month),
        );
        for fu in &p.follow_ups {
            let governance_model_id = id_of(&model_ids, &fu.governance_model, "governance model")?;
            let month = fu.month.map(|m| m as i32).unwrap_or(0);
            let old = old_reports
                .get(&(governance_model_id, fu.kind.as_str().to_owned(), fu.year.get(), month))
                .cloned();
            let locked = old.as_ref().is_some_and(|o| o.approved_at.is_some());
            let report = match old {
                Some(o) => o,
                None => {
                    save::<follow_up::ActiveModel>(
                        &txn,
                        None,
                        follow_up::Model {
                            id: 0,
                            governance_model_id,
                            kind: fu.kind.as_str().into(),
                            year: fu.year.get(),
                            month,
                            approved_at: None,
                            snapshot: None,
                        },
                    )
                    .await?
                }
            };
            let old_assessments = by_key(
                goal_assessment::Entity::find()
                    .filter(goal_assessment::Column::FollowUpId.eq(report.id))
                    .all(&txn)
                    .await
                    .map_err(repo_err)?,
                |a| a.goal_id,
            );
            for a in &fu.assessments {
                let goal_id = id_of(&goal_ids, &a.goal, "goal")?;
                let old = old_assessments.get(&goal_id).cloned();
                let row = goal_assessment::Model {
                    id: old.as_ref().map(|o| o.id).unwrap_or_default(),
                    follow_up_id: report.id,
                    goal_id,
                    assessment: a.assessment.as_str().into(),
                    forecast: a.forecast.map(|f| f.as_str().into()),
                    analysis: a.analysis.clone(),
                };
                if locked && old.as_ref() != Some(&row) {
                    return Err(RepoError::Conflict(format!(
                        "{} {} of {} is approved and locked; its assessment of goal `{}` cannot change",
                        fu.kind.as_str(),
                        fu.year,
                        fu.governance_model,
                        a.goal
                    )));
                }
                save::<goal_assessment::ActiveModel>(&txn, old, row).await?;
            }
        }

        // Comparison groups of the municipality's own, each replaced whole (an unchanged one
        // writes nothing); audited with the load.
        for g in &p.comparison_groups {
            crate::groups::write(&txn, None, &g.definition(&code)).await?;
        }

        // Values: an indicator with a KPI stores its values as that KPI's series, so that a
        // later Kolada sync of the same KPI finds and revises them.
        let mut batch = Vec::with_capacity(p.observations.len());
        for o in &p.observations {
            let series = match (&o.kpi, &o.indicator) {
                (Some(k), _) => SeriesRef::Kpi(k.clone()),
                (None, Some(i)) => match indicator_kpis.get(i).cloned().flatten() {
                    Some(k) => SeriesRef::Kpi(k),
                    None => SeriesRef::Indicator(id_of(&indicator_ids, i, "indicator")?),
                },
                (None, None) => return Err(RepoError::Internal(format!("observation on line {} names no series", o.line))),
            };
            batch.push(NewObservation {
                series,
                area: o.area.clone(),
                period: o.period,
                gender: o.gender,
                value: o.value,
                status: o.status.clone(),
                count: None,
                source: o.source,
                deleted: false,
            });
        }
        let observations = write_observations(&txn, &batch, Utc::now()).await?;

        // The load is audited with what it did, in its own transaction: one entry per load,
        // as the system, not one per row it wrote.
        let summary = serde_json::json!({
            "municipality": code,
            "observations": { "inserted": observations.inserted, "updated": observations.updated, "unchanged": observations.unchanged },
            "warnings": vp.warnings.len(),
        });
        record(
            &txn,
            &Author::system("package"),
            "loadPackage",
            "municipality",
            mid,
            None,
            Some(summary),
        )
        .await?;

        // Its indicators judged again, with whatever of them the load changed.
        crate::statuses::mark_municipality(&txn, mid).await?;
        crate::statuses::judge_marked(&txn, Utc::now()).await?;

        let counts = table_counts(&txn).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(LoadReport {
            municipality: code,
            counts,
            observations,
            warnings: vp.warnings.clone(),
        })
    }
}

/// Rows per table, for reports and the idempotency tests.
pub async fn table_counts<C: ConnectionTrait>(c: &C) -> Result<Vec<(String, u64)>, RepoError> {
    macro_rules! count {
        ($($t:ident),*) => {
            vec![$((stringify!($t).to_owned(), $t::Entity::find().count(c).await.map_err(repo_err)?)),*]
        };
    }
    Ok(count!(
        org_unit,
        governance_model,
        vision,
        focus_area,
        goal,
        goal_parent,
        basic_mission,
        quality_factor,
        indicator,
        indicator_goal,
        indicator_quality_factor,
        target,
        political_direction,
        assignment,
        follow_up,
        goal_assessment,
        budget,
        area,
        area_group,
        area_group_member,
        kpi,
        observation,
        observation_revision,
        series_digest,
        indicator_status
    ))
}
