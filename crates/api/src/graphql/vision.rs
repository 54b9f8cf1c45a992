//! Visions and focus areas: the top of the governance chain.

use async_graphql::{Context, Object, Result};
use styrhub_domain::vision::{FocusArea as DomainFocusArea, Vision as DomainVision};

use crate::error::gql;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, municipality, ports};
use crate::graphql::goal::Goal;

/// A long-term vision with its values (värdegrund), e.g. "Vision 2040".
pub struct Vision(pub DomainVision);

/// A long-term vision with its values (värdegrund), e.g. "Vision 2040".
#[Object]
impl Vision {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// Stable key, e.g. vision-2040.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Title, e.g. "Vision 2040".
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The vision statement as written.
    async fn statement(&self) -> &str {
        &self.0.statement
    }
    /// The year the vision looks to.
    async fn horizon_year(&self) -> Option<i32> {
        self.0.horizon_year
    }
    /// Values (värdegrund) that go with it.
    async fn values(&self) -> &[String] {
        &self.0.values
    }
    /// Its focus areas, in order.
    async fn focus_areas(&self, ctx: &Context<'_>) -> Result<Vec<FocusArea>> {
        Ok(loaders(ctx)
            .focus_areas_of_vision
            .load_one(self.0.id)
            .await
            .map_err(loader_err)?
            .unwrap_or_default()
            .into_iter()
            .map(FocusArea)
            .collect())
    }
}

/// A focus area (fokusområde, målområde) that groups goals under a vision.
pub struct FocusArea(pub DomainFocusArea);

/// A focus area (fokusområde, målområde) that groups goals under a vision.
#[Object]
impl FocusArea {
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
    /// Order under the vision.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// The vision it belongs to.
    async fn vision(&self, ctx: &Context<'_>) -> Result<Option<Vision>> {
        Ok(loaders(ctx)
            .vision
            .load_one(self.0.vision_id)
            .await
            .map_err(loader_err)?
            .map(Vision))
    }
    /// The goals (not archived) of this focus area.
    async fn goals(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        Ok(loaders(ctx)
            .goals_of_focus_area
            .load_one(self.0.id)
            .await
            .map_err(loader_err)?
            .unwrap_or_default()
            .into_iter()
            .map(Goal)
            .collect())
    }
}

/// Queries of visions and focus areas.
#[derive(Default)]
pub struct VisionQuery;

#[Object]
impl VisionQuery {
    /// The visions of a municipality.
    async fn visions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
    ) -> Result<Vec<Vision>> {
        let m = crate::graphql::context::municipality(ctx, &municipality).await?;
        Ok(ports(ctx)
            .read
            .governance
            .visions(m.id)
            .await
            .map_err(gql)?
            .into_iter()
            .map(Vision)
            .collect())
    }

    /// The focus areas of a municipality's visions, in order.
    async fn focus_areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
    ) -> Result<Vec<FocusArea>> {
        let m = self::municipality(ctx, &municipality).await?;
        let visions: Vec<i64> = ports(ctx)
            .read
            .governance
            .visions(m.id)
            .await
            .map_err(gql)?
            .into_iter()
            .map(|v| v.id)
            .collect();
        Ok(ports(ctx)
            .read
            .governance
            .focus_areas_of(&visions)
            .await
            .map_err(gql)?
            .into_iter()
            .map(FocusArea)
            .collect())
    }
}
