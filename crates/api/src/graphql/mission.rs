//! Basic missions, quality factors and political directions: what governs a unit besides goals.

use async_graphql::{Context, Object, Result};
use styrhub_domain::mission::{BasicMission as DomainMission, PoliticalDirection as DomainDirection, QualityFactor as DomainFactor};

use crate::error::gql;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, municipality, ports};
use crate::graphql::org_unit::OrgUnit;
use crate::graphql::page::{connection, page_request, KeysetPage};

async fn unit(ctx: &Context<'_>, id: i64) -> Result<Option<OrgUnit>> {
    Ok(loaders(ctx).org_unit.load_one(id).await.map_err(loader_err)?.map(OrgUnit))
}

/// A unit's basic mission (grunduppdrag): why it exists, for whom, under what, with what risks.
pub struct BasicMission(pub DomainMission);

/// A unit's basic mission (grunduppdrag): why it exists, for whom, under what, with what risks.
#[Object]
impl BasicMission {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// What the unit exists for.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }
    /// Whom it serves.
    async fn target_groups(&self) -> &[String] {
        &self.0.target_groups
    }
    /// Laws and documents that govern it.
    async fn governing_documents(&self) -> &[String] {
        &self.0.governing_documents
    }
    /// Its risks.
    async fn risks(&self) -> &[String] {
        &self.0.risks
    }
    /// The unit.
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit(ctx, self.0.org_unit_id).await
    }
}

/// A quality factor (kvalitetsfaktor): what marks good quality in a basic mission.
pub struct QualityFactor(pub DomainFactor);

/// A quality factor (kvalitetsfaktor): what marks good quality in a basic mission.
#[Object]
impl QualityFactor {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Title as written.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description as written.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The unit.
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit(ctx, self.0.org_unit_id).await
    }
}

/// A political direction (politisk inriktning): a committee's stated priority.
pub struct PoliticalDirection(pub DomainDirection);

/// A political direction (politisk inriktning): a committee's stated priority.
#[Object]
impl PoliticalDirection {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Title as written.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description as written.
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
    /// Whether it is followed up (Alingsås 2024: not by default).
    async fn followed_up(&self) -> bool {
        self.0.followed_up
    }
    /// The unit that stated it.
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit(ctx, self.0.org_unit_id).await
    }
}

/// Queries of basic missions, quality factors and political directions.
#[derive(Default)]
pub struct MissionQuery;

#[Object]
impl MissionQuery {
    /// Basic missions of a municipality, optionally of one unit.
    #[allow(clippy::too_many_arguments)]
    async fn basic_missions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"0764\".")] municipality: String,
        #[graphql(desc = "Only this unit's (id).")] org_unit: Option<i64>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<BasicMission>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let units = org_unit.map(|u| vec![u]);
        let page = ports(ctx)
            .read
            .governance
            .basic_missions_page(m.id, units.as_deref(), &request)
            .await
            .map_err(gql)?;
        Ok(connection(page, BasicMission))
    }

    /// Quality factors of a municipality, optionally of one unit.
    #[allow(clippy::too_many_arguments)]
    async fn quality_factors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"0764\".")] municipality: String,
        #[graphql(desc = "Only this unit's (id).")] org_unit: Option<i64>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<QualityFactor>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let units = org_unit.map(|u| vec![u]);
        let page = ports(ctx)
            .read
            .governance
            .quality_factors_page(m.id, units.as_deref(), &request)
            .await
            .map_err(gql)?;
        Ok(connection(page, QualityFactor))
    }

    /// Political directions of a municipality, optionally of one unit.
    #[allow(clippy::too_many_arguments)]
    async fn political_directions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Only this unit's (id).")] org_unit: Option<i64>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<PoliticalDirection>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let units = org_unit.map(|u| vec![u]);
        let page = ports(ctx)
            .read
            .governance
            .political_directions_page(m.id, units.as_deref(), &request)
            .await
            .map_err(gql)?;
        Ok(connection(page, PoliticalDirection))
    }
}
