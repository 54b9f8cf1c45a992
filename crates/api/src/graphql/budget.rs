//! Budgets per organisation unit and year.

use async_graphql::{Context, Enum, Object, Result};
use styrhub_domain::budget::{BudgetFilter, BudgetKind as DomainKind, BudgetLine as DomainLine};

use crate::error::gql;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, municipality, ports};
use crate::graphql::org_unit::OrgUnit;
use crate::graphql::page::{connection, page_request, KeysetPage};

/// Operating or investment budget.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum BudgetKind {
    /// Driftbudget (kommunbidrag, nettokostnadsram).
    Operating,
    /// Investeringsbudget.
    Investment,
}

impl From<DomainKind> for BudgetKind {
    fn from(k: DomainKind) -> Self {
        match k {
            DomainKind::Operating => Self::Operating,
            DomainKind::Investment => Self::Investment,
        }
    }
}

impl From<BudgetKind> for DomainKind {
    fn from(k: BudgetKind) -> Self {
        match k {
            BudgetKind::Operating => Self::Operating,
            BudgetKind::Investment => Self::Investment,
        }
    }
}

/// One budget line of a unit for a year.
pub struct BudgetLine(pub DomainLine);

/// One budget line of a unit for a year.
#[Object]
impl BudgetLine {
    /// Database id.
    async fn id(&self) -> i64 {
        self.0.id
    }
    /// The budget year.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// Operating or investment.
    async fn kind(&self) -> BudgetKind {
        self.0.kind.into()
    }
    /// The line as written in the budget.
    async fn line(&self) -> &str {
        &self.0.line
    }
    /// Amount in thousands of SEK.
    async fn amount_tkr(&self) -> f64 {
        self.0.amount_tkr
    }
    /// The unit it belongs to.
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(loaders(ctx)
            .org_unit
            .load_one(self.0.org_unit_id)
            .await
            .map_err(loader_err)?
            .map(OrgUnit))
    }
}

/// Budget queries.
#[derive(Default)]
pub struct BudgetQuery;

#[Object]
impl BudgetQuery {
    /// Budget lines of a municipality, by year and kind.
    #[allow(clippy::too_many_arguments)]
    async fn budgets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Municipality code, e.g. \"1489\".")] municipality: String,
        #[graphql(desc = "Only this unit's lines (id).")] org_unit: Option<i64>,
        #[graphql(desc = "Only this year.")] year: Option<i32>,
        #[graphql(desc = "Only operating or only investment lines.")] kind: Option<BudgetKind>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<BudgetLine>> {
        let m = self::municipality(ctx, &municipality).await?;
        let request = page_request(ctx, after, before, first, last)?;
        let filter = BudgetFilter {
            municipality_id: m.id,
            org_unit_ids: org_unit.map(|u| vec![u]),
            year,
            kind: kind.map(Into::into),
        };
        let page = ports(ctx).read.governance.budgets_page(&filter, &request).await.map_err(gql)?;
        Ok(connection(page, BudgetLine))
    }
}
