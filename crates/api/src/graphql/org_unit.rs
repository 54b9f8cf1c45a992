//! Municipalities, organisation units as a tree, and governance models.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use styrhub_domain::governance_model::{CalendarEvent as DomainEvent, FollowUpRule, GoalLevel, GovernanceModel as DomainModel};
use styrhub_domain::org_unit::{OrgUnit as DomainOrgUnit, OrgUnitKind as DomainKind};
use styrhub_domain::RepoError;

use crate::error::gql;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, municipality, ports};
use crate::graphql::follow_up::FollowUpKind;
use crate::graphql::goal::GoalKind;
use crate::graphql::page::{connection, page_request, KeysetPage};

/// What kind of body an organisation unit is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrgUnitKind {
    /// Kommun / kommunkoncern: the root of the tree.
    Municipality,
    /// Kommunfullmäktige, the council.
    Council,
    /// Kommunstyrelsen, the executive board.
    ExecutiveBoard,
    /// Nämnd, a committee.
    Committee,
    /// Förvaltning or kontor.
    Administration,
    /// Enhet, a unit.
    Unit,
    /// Bolag, a company.
    Company,
    /// Moderbolag, a holding company.
    HoldingCompany,
}

impl From<DomainKind> for OrgUnitKind {
    fn from(k: DomainKind) -> Self {
        match k {
            DomainKind::Municipality => Self::Municipality,
            DomainKind::Council => Self::Council,
            DomainKind::ExecutiveBoard => Self::ExecutiveBoard,
            DomainKind::Committee => Self::Committee,
            DomainKind::Administration => Self::Administration,
            DomainKind::Unit => Self::Unit,
            DomainKind::Company => Self::Company,
            DomainKind::HoldingCompany => Self::HoldingCompany,
        }
    }
}

impl From<OrgUnitKind> for DomainKind {
    fn from(k: OrgUnitKind) -> Self {
        match k {
            OrgUnitKind::Municipality => Self::Municipality,
            OrgUnitKind::Council => Self::Council,
            OrgUnitKind::ExecutiveBoard => Self::ExecutiveBoard,
            OrgUnitKind::Committee => Self::Committee,
            OrgUnitKind::Administration => Self::Administration,
            OrgUnitKind::Unit => Self::Unit,
            OrgUnitKind::Company => Self::Company,
            OrgUnitKind::HoldingCompany => Self::HoldingCompany,
        }
    }
}

/// An organisation unit: the municipality, its council, board, committees, offices, units and
/// companies.
pub struct OrgUnit(pub DomainOrgUnit);

/// A unit reached by walking the tree, with how far it is.
#[derive(SimpleObject)]
pub struct OrgUnitAtDepth {
    /// Steps from the unit asked about: 1 for a parent or child.
    pub depth: u32,
    /// The unit.
    pub unit: OrgUnit,
}

impl OrgUnit {
    async fn tree(&self, ctx: &Context<'_>) -> Result<std::sync::Arc<crate::read::loaders::OrgTree>> {
        loaders(ctx)
            .org_tree
            .load_one(self.0.municipality_id)
            .await
            .map_err(loader_err)?
            .ok_or_else(|| {
                gql(RepoError::Internal(format!(
                    "no organisation tree for municipality {}",
                    self.0.municipality_id
                )))
            })
    }
}

/// An organisation unit: the municipality, its council, board, committees, offices, units and
/// companies.
#[Object]
impl OrgUnit {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key within the municipality (for a municipality: its code).
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Name as the municipality writes it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Abbreviation such as KF or KS.
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    /// What kind of body it is.
    async fn kind(&self) -> OrgUnitKind {
        self.0.kind.into()
    }
    /// Kolada/SCB municipality code (on municipalities only), e.g. 1489.
    async fn municipality_code(&self) -> Option<&str> {
        self.0.municipality_code.as_deref()
    }
    /// Kolada organisational-unit id, where known.
    async fn kolada_ou_id(&self) -> Option<&str> {
        self.0.kolada_ou_id.as_deref()
    }
    /// Id of the parent unit; null for a municipality.
    async fn parent_id(&self) -> Option<i64> {
        self.0.parent_id
    }
    /// The parent unit; null for a municipality.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        let Some(p) = self.0.parent_id else { return Ok(None) };
        Ok(self.tree(ctx).await?.units.get(&p).cloned().map(OrgUnit))
    }
    /// The municipality this unit belongs to (itself, for a municipality).
    async fn municipality(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(self.tree(ctx).await?.units.get(&self.0.municipality_id).cloned().map(OrgUnit))
    }
    /// The units directly below, by name.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<OrgUnit>> {
        let tree = self.tree(ctx).await?;
        let mut out: Vec<DomainOrgUnit> = tree
            .hierarchy
            .children(self.0.id)
            .iter()
            .filter_map(|id| tree.units.get(id).cloned())
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out.into_iter().map(OrgUnit).collect())
    }
    /// Every unit above, nearest first, up to the municipality.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<OrgUnitAtDepth>> {
        let tree = self.tree(ctx).await?;
        Ok(tree
            .hierarchy
            .ancestors(self.0.id)
            .into_iter()
            .filter_map(|r| {
                tree.units.get(&r.id).cloned().map(|u| OrgUnitAtDepth {
                    depth: r.depth,
                    unit: OrgUnit(u),
                })
            })
            .collect())
    }
    /// Every unit below, nearest first.
    async fn descendants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Stop this many levels down; all levels when left out.")] max_depth: Option<u32>,
    ) -> Result<Vec<OrgUnitAtDepth>> {
        let tree = self.tree(ctx).await?;
        Ok(tree
            .hierarchy
            .descendants(self.0.id, max_depth)
            .into_iter()
            .filter_map(|r| {
                tree.units.get(&r.id).cloned().map(|u| OrgUnitAtDepth {
                    depth: r.depth,
                    unit: OrgUnit(u),
                })
            })
            .collect())
    }
}

/// Which goals an organisation level may set.
#[derive(SimpleObject)]
pub struct GoalLevelRule {
    /// The level.
    pub org_kind: OrgUnitKind,
    /// The goal kinds units at this level may set.
    pub goal_kinds: Vec<GoalKind>,
    /// A cap on all goals per unit at this level (exceeding it is a warning).
    pub max_goals: Option<u32>,
    /// Caps per goal kind per unit, such as Alvesta's three development goals.
    pub max_per_kind: Vec<GoalKindCap>,
}

/// A cap on one goal kind.
#[derive(SimpleObject)]
pub struct GoalKindCap {
    /// The goal kind.
    pub kind: GoalKind,
    /// At most this many per unit.
    pub max: u32,
}

/// A report of the follow-up calendar (årshjul).
#[derive(SimpleObject)]
pub struct FollowUpReportRule {
    /// Which report.
    pub kind: FollowUpKind,
    /// The municipality's name for it, e.g. "Delårsrapport 1".
    pub name: String,
    /// Start of the period it covers, MM-DD.
    pub covers_from: Option<String>,
    /// End of the period it covers, MM-DD.
    pub covers_to: Option<String>,
    /// The level that approves it.
    pub decided_by: Option<OrgUnitKind>,
    /// Month it is due or decided (1–12).
    pub due_month: Option<u32>,
    /// True where only some committees report (monthly reports).
    pub optional: bool,
}

/// Another event of the annual cycle.
#[derive(SimpleObject)]
pub struct CalendarEvent {
    /// Month, 1–12.
    pub month: u32,
    /// What happens.
    pub event: String,
}

/// A governance model (styrmodell) of a municipality: who sets which goals, which plans exist,
/// and the follow-up calendar.
pub struct GovernanceModel(pub DomainModel);

/// A governance model (styrmodell) of a municipality: who sets which goals, which plans exist,
/// and the follow-up calendar.
#[Object]
impl GovernanceModel {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key, e.g. styrmodell-2024.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Name as written.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The decision that adopted it, e.g. "KF 2024-11-06 § 149".
    async fn decision(&self) -> Option<&str> {
        self.0.decision.as_deref()
    }
    /// A summary of the model.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// First day in force (YYYY-MM-DD).
    async fn valid_from(&self) -> String {
        self.0.validity.from.to_string()
    }
    /// Last day in force; null until further notice.
    async fn valid_to(&self) -> Option<String> {
        self.0.validity.to.map(|d| d.to_string())
    }
    /// Whether quality indicators may have targets (Alvesta: never).
    async fn quality_indicators_have_targets(&self) -> bool {
        self.0.rules.quality_indicators_have_targets
    }
    /// Whether political directions are followed up by default (Alingsås 2024: no).
    async fn political_directions_followed_up(&self) -> bool {
        self.0.rules.political_directions_followed_up
    }
    /// The chain of plans, top down.
    async fn plans(&self) -> &[String] {
        &self.0.rules.plans
    }
    /// Which levels set which goals, and how many.
    async fn levels(&self) -> Vec<GoalLevelRule> {
        self.0.rules.levels.iter().map(level).collect()
    }
    /// The reports of the follow-up calendar.
    async fn follow_up_rules(&self) -> Vec<FollowUpReportRule> {
        self.0.rules.follow_ups.iter().map(report).collect()
    }
    /// The reports of the follow-up calendar, by name.
    async fn follow_up_reports(&self) -> Vec<&str> {
        self.0.rules.follow_ups.iter().map(|f| f.name.as_str()).collect()
    }
    /// Other events of the annual cycle.
    async fn calendar(&self) -> Vec<CalendarEvent> {
        self.0
            .rules
            .calendar
            .iter()
            .map(|e: &DomainEvent| CalendarEvent {
                month: e.month,
                event: e.event.clone(),
            })
            .collect()
    }
}

fn level(l: &GoalLevel) -> GoalLevelRule {
    GoalLevelRule {
        org_kind: l.org_kind.into(),
        goal_kinds: l.goal_kinds.iter().map(|k| (*k).into()).collect(),
        max_goals: l.max_goals,
        max_per_kind: l
            .max_per_kind
            .iter()
            .map(|(k, n)| GoalKindCap {
                kind: (*k).into(),
                max: *n,
            })
            .collect(),
    }
}

fn report(f: &FollowUpRule) -> FollowUpReportRule {
    FollowUpReportRule {
        kind: f.kind.into(),
        name: f.name.clone(),
        covers_from: f.covers_from.map(String::from),
        covers_to: f.covers_to.map(String::from),
        decided_by: f.decided_by.map(Into::into),
        due_month: f.due_month,
        optional: f.optional,
    }
}

/// Queries of municipalities, organisation units and governance models.
#[derive(Default)]
pub struct OrgUnitQuery;

#[Object]
impl OrgUnitQuery {
    /// Every municipality in the hub, by code (Sweden has 290: a bounded list).
    async fn municipalities(&self, ctx: &Context<'_>) -> Result<Vec<OrgUnit>> {
        Ok(ports(ctx)
            .read
            .governance
            .municipalities()
            .await
            .map_err(gql)?
            .into_iter()
            .map(OrgUnit)
            .collect())
    }

    /// A municipality by its Kolada/SCB code, e.g. "1489"; null when the hub does not have it.
    async fn municipality(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] code: String,
    ) -> Result<Option<OrgUnit>> {
        match municipality(ctx, &code).await {
            Ok(m) => Ok(Some(OrgUnit(m))),
            Err(e)
                if e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .is_some_and(|c| c == &async_graphql::Value::from("NOT_FOUND")) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// An organisation unit by id.
    async fn org_unit(&self, ctx: &Context<'_>, id: i64) -> Result<Option<OrgUnit>> {
        Ok(loaders(ctx).org_unit.load_one(id).await.map_err(loader_err)?.map(OrgUnit))
    }

    /// The organisation units of a municipality, top down, optionally of one kind.
    #[allow(clippy::too_many_arguments)]
    async fn org_units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Only units of this kind.")] kind: Option<OrgUnitKind>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<OrgUnit>> {
        let m = crate::graphql::context::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let page = ports(ctx)
            .read
            .governance
            .org_units_page(m.id, kind.map(DomainKind::from), &request)
            .await
            .map_err(gql)?;
        // Fields below ask for these units again (parents, children): prime the loader.
        loaders(ctx)
            .org_unit
            .feed_many(page.items.iter().map(|(_, u)| (u.id, u.clone())))
            .await;
        Ok(connection(page, OrgUnit))
    }

    /// The governance models of a municipality, oldest first.
    async fn governance_models(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
    ) -> Result<Vec<GovernanceModel>> {
        let m = crate::graphql::context::municipality(ctx, &municipality).await?;
        Ok(ports(ctx)
            .read
            .governance
            .governance_models(m.id)
            .await
            .map_err(gql)?
            .into_iter()
            .map(GovernanceModel)
            .collect())
    }
}
