//! Comparison groups: reading them with their memberships, naming Kolada's, and writing a
//! municipality's own (from the CLI, a package or GraphQL), audited.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};
use serde_json::json;
use styrhub_domain::access::{Author, Permit};
use styrhub_domain::area_group::{AreaGroup, GroupDefinition, GroupSource};
use styrhub_domain::ids::AreaCode;
use styrhub_domain::kpi::Membership;
use styrhub_domain::observation::WriteCounts;
use styrhub_domain::RepoError;

use crate::access::record;
use crate::db::repo_err;
use crate::entities::{area, area_group, area_group_member, org_unit};
use crate::Store;

/// Groups with their memberships: all of them, one by code, or Kolada's and one owner's.
pub(crate) async fn read(c: &impl ConnectionTrait, code: Option<&str>, owner: Option<&str>) -> Result<Vec<AreaGroup>, RepoError> {
    let mut q = area_group::Entity::find().order_by_asc(area_group::Column::Code);
    if let Some(code) = code {
        q = q.filter(area_group::Column::Code.eq(code));
    }
    if let Some(owner) = owner {
        q = q.filter(
            sea_orm::Condition::any()
                .add(area_group::Column::OwnerCode.eq(owner))
                .add(area_group::Column::OwnerCode.is_null()),
        );
    }
    let rows = q.all(c).await.map_err(repo_err)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut members: BTreeMap<String, Vec<Membership>> = BTreeMap::new();
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    for chunk in codes.chunks(500) {
        for m in area_group_member::Entity::find()
            .filter(area_group_member::Column::GroupCode.is_in(chunk.iter().copied()))
            .order_by_asc(area_group_member::Column::MemberCode)
            .order_by_asc(area_group_member::Column::ValidFrom)
            .all(c)
            .await
            .map_err(repo_err)?
        {
            members.entry(m.group_code.clone()).or_default().push(Membership::from(&m));
        }
    }
    rows.into_iter()
        .map(|r| {
            Ok(AreaGroup {
                id: r.id,
                code: AreaCode::parse(&r.code).map_err(|e| RepoError::Internal(format!("area_group {}: {e}", r.id)))?,
                members: members.remove(&r.code).unwrap_or_default(),
                title: r.title,
                source: GroupSource::parse(&r.source).map_err(|e| RepoError::Internal(format!("area_group {}: {e}", r.id)))?,
                owner: r.owner_code,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
            })
        })
        .collect()
}

/// The group as the audit log keeps it.
fn audit_state(g: &AreaGroup) -> serde_json::Value {
    json!({
        "code": g.code.as_str(),
        "title": g.title,
        "owner": g.owner,
        "valid_from": g.valid_from,
        "valid_to": g.valid_to,
        "members": g.members.iter().map(|m| json!({"area": m.member, "from": m.valid_from, "to": m.valid_to})).collect::<Vec<_>>(),
    })
}

/// Creates or replaces an own group in `txn`: the row, its area (so that listings and rankings
/// name it) and its memberships, audited as `by` under `action` when `audit` names them (a
/// package load is audited once as a whole instead). The same definition again writes nothing.
pub(crate) async fn write(
    txn: &impl ConnectionTrait,
    audit: Option<(&Author, &str)>,
    def: &GroupDefinition,
) -> Result<AreaGroup, RepoError> {
    def.check().map_err(RepoError::Invalid)?;
    let owner = org_unit::Entity::find()
        .filter(org_unit::Column::MunicipalityCode.eq(def.municipality.as_str()))
        .one(txn)
        .await
        .map_err(repo_err)?;
    if owner.is_none() {
        return Err(RepoError::NotFound(format!(
            "municipality {} (municipality): load its package first",
            def.municipality
        )));
    }
    let code = def.code();
    let before = read(txn, Some(code.as_str()), None).await?.pop();
    let memberships = def.memberships();
    let wanted = AreaGroup {
        id: before.as_ref().map(|b| b.id).unwrap_or_default(),
        code: code.clone(),
        title: def.title.trim().to_owned(),
        source: GroupSource::Own,
        owner: Some(def.municipality.clone()),
        valid_from: def.valid_from,
        valid_to: def.valid_to,
        members: memberships.clone(),
    };
    if before.as_ref() == Some(&wanted) {
        return Ok(wanted);
    }
    let previous = before.as_ref().map(audit_state);
    let row = area_group::ActiveModel {
        id: before.as_ref().map_or(NotSet, |b| Set(b.id)),
        code: Set(code.to_string()),
        title: Set(wanted.title.clone()),
        source: Set(GroupSource::Own.as_str().to_owned()),
        owner_code: Set(wanted.owner.clone()),
        valid_from: Set(wanted.valid_from),
        valid_to: Set(wanted.valid_to),
        updated_at: Set(Utc::now()),
    };
    let id = match before {
        Some(_) => row.update(txn).await.map_err(repo_err)?.id,
        None => row.insert(txn).await.map_err(repo_err)?.id,
    };
    area_group_member::Entity::delete_many()
        .filter(area_group_member::Column::GroupCode.eq(code.as_str()))
        .exec(txn)
        .await
        .map_err(repo_err)?;
    for m in &memberships {
        area_group_member::ActiveModel {
            id: NotSet,
            group_code: Set(code.to_string()),
            member_code: Set(m.member.clone()),
            valid_from: Set(m.valid_from),
            valid_to: Set(m.valid_to),
        }
        .insert(txn)
        .await
        .map_err(repo_err)?;
    }
    area::Entity::insert(area::ActiveModel {
        code: Set(code.to_string()),
        title: Set(wanted.title.clone()),
        area_type: Set("G".to_owned()),
        parent_code: Set(wanted.owner.clone()),
    })
    .on_conflict(
        OnConflict::column(area::Column::Code)
            .update_columns([area::Column::Title, area::Column::AreaType, area::Column::ParentCode])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await
    .map_err(repo_err)?;
    let saved = AreaGroup { id, ..wanted };
    // Targets relative to the group are judged again (by the caller, before its commit).
    crate::statuses::mark_groups(txn, &[code.as_str()]).await?;
    if let Some((by, action)) = audit {
        record(txn, by, action, "area_group", id, previous, Some(audit_state(&saved))).await?;
    }
    Ok(saved)
}

/// The GraphQL write, given its permit (checked in the same transaction).
pub(crate) async fn save(txn: &sea_orm::DatabaseTransaction, p: &Permit<&GroupDefinition>) -> Result<AreaGroup, RepoError> {
    let saved = write(txn, Some((p.author(), "saveComparisonGroup")), p.command()).await?;
    crate::statuses::judge_marked(txn, Utc::now()).await?;
    Ok(saved)
}

impl Store {
    /// [`styrhub_domain::ports::MetadataWriter::define_group`].
    pub(crate) async fn define_group_as(&self, by: &Author, def: &GroupDefinition) -> Result<AreaGroup, RepoError> {
        let txn = crate::db::begin_write(self.connection()).await?;
        let saved = write(&txn, Some((by, "defineComparisonGroup")), def).await?;
        crate::statuses::judge_marked(&txn, Utc::now()).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(saved)
    }

    /// [`styrhub_domain::ports::MetadataWriter::upsert_kolada_groups`].
    pub(crate) async fn upsert_kolada_groups_rows(&self, groups: &[(String, String)]) -> Result<WriteCounts, RepoError> {
        let mut counts = WriteCounts::default();
        if groups.is_empty() {
            return Ok(counts);
        }
        let txn = crate::db::begin_write(self.connection()).await?;
        let stored: BTreeMap<String, area_group::Model> = area_group::Entity::find()
            .filter(area_group::Column::Code.is_in(groups.iter().map(|(c, _)| c.as_str())))
            .all(&txn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|r| (r.code.clone(), r))
            .collect();
        for (code, title) in groups {
            match stored.get(code) {
                Some(r) if &r.title == title => counts.unchanged += 1,
                Some(r) => {
                    area_group::ActiveModel {
                        id: Set(r.id),
                        title: Set(title.clone()),
                        updated_at: Set(Utc::now()),
                        ..Default::default()
                    }
                    .update(&txn)
                    .await
                    .map_err(repo_err)?;
                    // A new title is named in the explanations of targets relative to it.
                    crate::statuses::mark_groups(&txn, &[code.as_str()]).await?;
                    counts.updated += 1;
                }
                None => {
                    area_group::ActiveModel {
                        id: NotSet,
                        code: Set(code.clone()),
                        title: Set(title.clone()),
                        source: Set(GroupSource::Kolada.as_str().to_owned()),
                        owner_code: Set(None),
                        valid_from: Set(None),
                        valid_to: Set(None),
                        updated_at: Set(Utc::now()),
                    }
                    .insert(&txn)
                    .await
                    .map_err(repo_err)?;
                    counts.inserted += 1;
                }
            }
        }
        crate::statuses::judge_marked(&txn, Utc::now()).await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(counts)
    }
}
