//! Key figures and series: KPI metadata, values for any area, and comparisons of areas side by
//! side, independent of goals.

use async_graphql::parser::types::Field as PlainField;
use async_graphql::{Context, Enum, Object, Result, SimpleObject, Value};
use styrhub_domain::ids::{AreaCode, Gender as DomainGender, KpiId};
use styrhub_domain::kpi::{Kpi as DomainKpi, KpiFilter};
use styrhub_domain::observation::{SeriesRef, ValueSource as DomainSource};
use styrhub_domain::series::Point as DomainPoint;
use styrhub_domain::{DomainError, RepoError};

use crate::error::gql;
use crate::graphql::context::batch;
use crate::graphql::context::loader_err;
use crate::graphql::context::{loaders, ports};
use crate::graphql::group::{group_series, GroupAsk, GroupFigure, RankOrder};
use crate::graphql::page::{connection, page_request, KeysetPage};
use crate::graphql::plain::{self, Cx, Plain};
use crate::read::loaders::{load, DigestKey};

/// Most areas one series or comparison call may ask for.
pub const MAX_AREAS: usize = 50;

/// The gender dimension of a value.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Gender {
    /// Total.
    T,
    /// Kvinnor, women.
    K,
    /// Män, men.
    M,
}

impl From<Gender> for DomainGender {
    fn from(g: Gender) -> Self {
        match g {
            Gender::T => Self::Total,
            Gender::K => Self::Women,
            Gender::M => Self::Men,
        }
    }
}

impl From<DomainGender> for Gender {
    fn from(g: DomainGender) -> Self {
        match g {
            DomainGender::Total => Self::T,
            DomainGender::Women => Self::K,
            DomainGender::Men => Self::M,
        }
    }
}

/// Where a value came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ValueSource {
    /// Fetched from Kolada.
    Kolada,
    /// Imported from a file.
    File,
    /// Entered by hand.
    Manual,
    /// Generated for the demo: not a real figure.
    Example,
}

impl From<DomainSource> for ValueSource {
    fn from(s: DomainSource) -> Self {
        match s {
            DomainSource::Kolada => Self::Kolada,
            DomainSource::File => Self::File,
            DomainSource::Manual => Self::Manual,
            DomainSource::Example => Self::Example,
        }
    }
}

/// One value of a series.
pub struct Point(pub DomainPoint);

plain::scalar_fields! {
/// One value of a series.
impl Point (p in DomainPoint) {
    /// The year.
    period / "period": i32 = p.period;
    /// The value; null when missing (zero is a value).
    value / "value": Option<f64> = p.value;
    /// The source's status flag, such as "Missing".
    status / "status": Option<&str> = p.status.as_deref();
    /// Where the value came from.
    source / "source": ValueSource = p.source.into();
    /// True for generated demo values, which are not real figures.
    is_example / "isExample": bool = p.source == DomainSource::Example;
}
}

plain::plain_enums!(ValueSource);

impl Plain for DomainPoint {
    const TYPE: &'static str = "Point";

    fn plain(&self, _: &Cx<'_>, field: &PlainField) -> Option<Value> {
        Point::plain_scalar_of(self, field.name.node.as_str())
    }
}

/// The values of one series for one area and gender, oldest first.
pub struct Series {
    series: SeriesRef,
    area: AreaCode,
    gender: DomainGender,
    points: Vec<DomainPoint>,
}

/// The values of one series for one area and gender, oldest first.
#[Object]
impl Series {
    /// kpi:ID or indicator:ID.
    async fn series_key(&self) -> String {
        self.series.key()
    }
    /// The area code.
    async fn area(&self) -> &str {
        self.area.as_str()
    }
    /// The area's name, when the hub knows it (Riket for 0000).
    async fn area_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)
            .area
            .load_one(self.area.clone())
            .await
            .map_err(loader_err)?
            .map(|a| a.title))
    }
    /// The gender.
    async fn gender(&self) -> Gender {
        self.gender.into()
    }
    /// The values, oldest first.
    async fn points(&self) -> Vec<Point> {
        self.points.iter().cloned().map(Point).collect()
    }
}

fn invalid(field: &str, message: impl Into<String>) -> async_graphql::Error {
    gql(RepoError::Invalid(DomainError::new(field, message)))
}

fn check_areas(areas: &[String]) -> Result<Vec<AreaCode>> {
    if areas.is_empty() {
        return Err(invalid("areas", "give at least one area code, such as 1489 or 0000"));
    }
    if areas.len() > MAX_AREAS {
        return Err(invalid("areas", format!("{} areas asked for; at most {MAX_AREAS}", areas.len())));
    }
    areas
        .iter()
        .map(|a| AreaCode::parse(a).map_err(|e| invalid("areas", e.message)))
        .collect()
}

/// The series `series` for each of `areas` (in that order; an area without values gets an
/// empty series), limited to `from..=to`. One batched read for all areas.
pub async fn series_for(
    ctx: &Context<'_>,
    series: &SeriesRef,
    areas: &[String],
    from: Option<i32>,
    to: Option<i32>,
    gender: DomainGender,
) -> Result<Vec<Series>> {
    let areas = check_areas(areas)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(invalid("to", format!("{t} is before from ({f})")));
        }
    }
    let keys: Vec<DigestKey> = areas
        .iter()
        .map(|a| DigestKey {
            series: series.clone(),
            area: a.clone(),
            gender,
        })
        .collect();
    let found = load(&loaders(ctx).digest, keys.clone(), batch(ctx)).await.map_err(loader_err)?;
    Ok(keys
        .into_iter()
        .map(|k| {
            let points = found
                .get(&k)
                .and_then(|d| d.as_deref())
                .map(|d| {
                    d.points
                        .iter()
                        .filter(|p| from.is_none_or(|f| p.period >= f) && to.is_none_or(|t| p.period <= t))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            Series {
                series: k.series,
                area: k.area,
                gender,
                points,
            }
        })
        .collect())
}

/// Several areas' values side by side, one row per period: what BI users compare.
#[derive(SimpleObject)]
pub struct Comparison {
    /// The series compared.
    pub series_key: String,
    /// The areas, in the order of each row's values.
    pub areas: Vec<String>,
    /// One row per period that has a value for any area, oldest first.
    pub rows: Vec<ComparisonRow>,
}

/// One period of a comparison.
#[derive(SimpleObject)]
pub struct ComparisonRow {
    /// The year.
    pub period: i32,
    /// The value of each area, in the order of `areas`; null where missing.
    pub values: Vec<Option<f64>>,
    /// True when any value of the row is a generated demo value.
    pub has_examples: bool,
}

/// A key figure's metadata (a Kolada KPI).
pub struct Kpi(pub DomainKpi);

/// A key figure's metadata (a Kolada KPI).
#[Object]
impl Kpi {
    /// The id, e.g. N00090.
    async fn id(&self) -> &str {
        &self.0.id
    }
    /// Title as the source writes it.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description as the source writes it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The source's operating area (verksamhetsområde).
    async fn operating_area(&self) -> Option<&str> {
        self.0.operating_area.as_deref()
    }
    /// K (municipalities), L (regions) or both.
    async fn municipality_type(&self) -> Option<&str> {
        self.0.municipality_type.as_deref()
    }
    /// Whether values come per gender besides the total.
    async fn is_divided_by_gender(&self) -> Option<bool> {
        self.0.is_divided_by_gender
    }
    /// When the source published it.
    async fn publication_date(&self) -> Option<&str> {
        self.0.publication_date.as_deref()
    }
    /// The values for one or more areas.
    async fn series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Area codes, e.g. [\"1489\", \"0000\"].")] areas: Vec<String>,
        #[graphql(desc = "First year.")] from: Option<i32>,
        #[graphql(desc = "Last year.")] to: Option<i32>,
        #[graphql(desc = "Gender; the total by default.", default_with = "Gender::T")] gender: Gender,
    ) -> Result<Vec<Series>> {
        let kpi = KpiId::parse(&self.0.id).map_err(|e| gql(RepoError::Internal(e.to_string())))?;
        series_for(ctx, &SeriesRef::Kpi(kpi), &areas, from, to, gender.into()).await
    }
    /// A group's figures year by year: its members that year, how many have a value, and
    /// their unweighted mean (as Kolada computes a group's value), median, lowest and highest
    /// value; with `area`, that area's value, rank and percentile in the group each year
    /// (`order`: the highest value first unless asked otherwise, since a bare key figure has no
    /// desired direction). Computed by the database. A group's code (`G…`,
    /// `1489:jamforelsekommuner`) stands for its members of each year.
    #[allow(clippy::too_many_arguments)]
    async fn group_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Area codes and stored groups, e.g. [\"1489:jamforelsekommuner\"] or [\"1440\", \"1441\"] (at most 500).")]
        group: Vec<String>,
        #[graphql(desc = "An area to rank in the group each year, e.g. \"1489\".")] area: Option<String>,
        #[graphql(desc = "First year.")] from: Option<i32>,
        #[graphql(desc = "Last year.")] to: Option<i32>,
        #[graphql(desc = "Gender; the total by default.", default_with = "Gender::T")] gender: Gender,
        #[graphql(desc = "Which value ranks first; the highest by default.")] order: Option<RankOrder>,
    ) -> Result<Vec<GroupFigure>> {
        let kpi = KpiId::parse(&self.0.id).map_err(|e| gql(RepoError::Internal(e.to_string())))?;
        let ask = GroupAsk {
            group,
            area,
            from,
            to,
            gender: gender.into(),
        };
        group_series(ctx, &SeriesRef::Kpi(kpi), ask, order.unwrap_or(RankOrder::Desc)).await
    }
}

fn series_of(kpi: Option<String>, indicator: Option<i64>) -> Result<SeriesRef> {
    match (kpi, indicator) {
        (Some(k), None) => Ok(SeriesRef::Kpi(KpiId::parse(&k).map_err(|e| invalid("kpi", e.message))?)),
        (None, Some(i)) => Ok(SeriesRef::Indicator(i)),
        _ => Err(invalid("kpi", "give exactly one of kpi and indicator")),
    }
}

/// Key-figure queries.
#[derive(Default)]
pub struct SeriesQuery;

#[Object]
impl SeriesQuery {
    /// A KPI's metadata by id.
    async fn kpi(&self, ctx: &Context<'_>, #[graphql(desc = "KPI id, e.g. \"N00090\".")] id: String) -> Result<Option<Kpi>> {
        Ok(loaders(ctx).kpi.load_one(id).await.map_err(loader_err)?.map(Kpi))
    }

    /// KPI metadata, by id, optionally only those whose id or title contains `search`.
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Text in the id or title (case-insensitive).")] search: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<KeysetPage<Kpi>> {
        let request = page_request(ctx, after, before, first, last)?;
        let found = ports(ctx)
            .read
            .series
            .kpis_page(&KpiFilter { ids: None, text: search }, &request)
            .await
            .map_err(gql)?;
        Ok(connection(found, Kpi))
    }

    /// A series for one or more areas: a KPI's (any area, with or without goals) or an
    /// indicator's own (by id). Give exactly one of `kpi` and `indicator`.
    #[allow(clippy::too_many_arguments)]
    async fn series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "KPI id, e.g. \"N00090\".")] kpi: Option<String>,
        #[graphql(desc = "Indicator id, for indicators measured without a KPI.")] indicator: Option<i64>,
        #[graphql(desc = "Area codes, e.g. [\"1489\", \"0000\"].")] areas: Vec<String>,
        #[graphql(desc = "First year.")] from: Option<i32>,
        #[graphql(desc = "Last year.")] to: Option<i32>,
        #[graphql(desc = "Gender; the total by default.", default_with = "Gender::T")] gender: Gender,
    ) -> Result<Vec<Series>> {
        series_for(ctx, &series_of(kpi, indicator)?, &areas, from, to, gender.into()).await
    }

    /// Several areas side by side, one row per period: the municipality, the whole country
    /// (0000), comparable municipalities … Give exactly one of `kpi` and `indicator`.
    #[allow(clippy::too_many_arguments)]
    async fn compare(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "KPI id, e.g. \"N00090\".")] kpi: Option<String>,
        #[graphql(desc = "Indicator id, for indicators measured without a KPI.")] indicator: Option<i64>,
        #[graphql(desc = "Area codes in the order wanted, e.g. [\"1489\", \"0000\"].")] areas: Vec<String>,
        #[graphql(desc = "First year.")] from: Option<i32>,
        #[graphql(desc = "Last year.")] to: Option<i32>,
        #[graphql(desc = "Gender; the total by default.", default_with = "Gender::T")] gender: Gender,
    ) -> Result<Comparison> {
        let key = series_of(kpi, indicator)?;
        let series = series_for(ctx, &key, &areas, from, to, gender.into()).await?;
        let mut periods: Vec<i32> = series
            .iter()
            .flat_map(|s| s.points.iter().filter(|p| p.value.is_some()).map(|p| p.period))
            .collect();
        periods.sort_unstable();
        periods.dedup();
        let rows = periods
            .into_iter()
            .map(|period| {
                let at: Vec<Option<&DomainPoint>> = series.iter().map(|s| s.points.iter().find(|p| p.period == period)).collect();
                ComparisonRow {
                    period,
                    values: at.iter().map(|p| p.and_then(|p| p.value)).collect(),
                    has_examples: at.iter().flatten().any(|p| p.source == DomainSource::Example),
                }
            })
            .collect();
        Ok(Comparison {
            series_key: key.key(),
            areas: series.iter().map(|s| s.area.to_string()).collect(),
            rows,
        })
    }
}
