//! Follow-ups: interim reports, annual reports and monthly reports, and each goal's assessment.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{AreaCode, Gender};
use crate::indicator::Indicator;
use crate::observation::ValueSource;
use crate::series::{Point, SeriesDigest};
use crate::target::{Target, TargetRule};

/// Which report a follow-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// Delårsrapport 1 (typically January–April).
    #[serde(rename = "interim_report_1")]
    InterimReport1,
    /// Delårsrapport 2 (typically January–August).
    #[serde(rename = "interim_report_2")]
    InterimReport2,
    /// Årsredovisning.
    AnnualReport,
    /// Månadsrapport, where a committee decides.
    Monthly,
}

impl FollowUpKind {
    /// Every kind.
    pub const ALL: [FollowUpKind; 4] = [Self::InterimReport1, Self::InterimReport2, Self::AnnualReport, Self::Monthly];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InterimReport1 => "interim_report_1",
            Self::InterimReport2 => "interim_report_2",
            Self::AnnualReport => "annual_report",
            Self::Monthly => "monthly",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            DomainError::new(
                "kind",
                format!("`{s}` is not a follow-up kind (interim_report_1, interim_report_2, annual_report, monthly)"),
            )
        })
    }
}

/// How a goal was judged in a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// Uppfyllt.
    Achieved,
    /// Delvis uppfyllt.
    PartlyAchieved,
    /// Ej uppfyllt.
    NotAchieved,
    /// Ej bedömt.
    NotAssessed,
}

impl Assessment {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Achieved => "achieved",
            Self::PartlyAchieved => "partly_achieved",
            Self::NotAchieved => "not_achieved",
            Self::NotAssessed => "not_assessed",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "achieved" => Ok(Self::Achieved),
            "partly_achieved" => Ok(Self::PartlyAchieved),
            "not_achieved" => Ok(Self::NotAchieved),
            "not_assessed" => Ok(Self::NotAssessed),
            other => Err(DomainError::new(
                "assessment",
                format!("`{other}` is not an assessment (achieved, partly_achieved, not_achieved, not_assessed)"),
            )),
        }
    }
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowUpFilter {
    /// Of this municipality's governance models.
    pub municipality_id: i64,
    /// Of this governance model only.
    pub governance_model_id: Option<i64>,
    /// Reporting on this year.
    pub year: Option<i32>,
    /// This kind of report.
    pub kind: Option<FollowUpKind>,
}

/// A follow-up period as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// Database id.
    pub id: i64,
    /// The governance model whose calendar defines it.
    pub governance_model_id: i64,
    /// Which report.
    pub kind: FollowUpKind,
    /// The year it reports on.
    pub year: i32,
    /// The month, for monthly reports.
    pub month: Option<u32>,
    /// When it was approved; an approved follow-up is locked.
    pub approved_at: Option<DateTime<Utc>>,
    /// The values the report was based on, frozen when it was approved; `None` until then.
    pub snapshot: Option<Vec<SnapshotValue>>,
}

/// One value frozen into an approved follow-up, so that the report can always show what it was
/// based on, however the series is revised later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotValue {
    /// The indicator (of a goal of the report) the value belongs to.
    pub indicator_id: i64,
    /// The series the value was read from: `kpi:N00973` or `indicator:42`.
    pub series_key: String,
    /// The area: the municipality, or the reference area of a relative target.
    pub area: String,
    /// The year of the value: the report's year, or the latest earlier year with a value.
    pub period: i32,
    /// The value.
    pub value: Option<f64>,
    /// Where the value came from.
    pub source: ValueSource,
}

/// The point a snapshot keeps for `year`: that year's if it has a value, else the latest earlier
/// one with a value. Later years are never used: the report could not have known them.
pub fn snapshot_point(points: &[Point], year: i32) -> Option<&Point> {
    points.iter().rev().find(|p| p.period <= year && p.value.is_some())
}

/// The areas a snapshot keeps for an indicator: the municipality, then the reference areas of
/// its relative targets that hold in `year`, each once.
pub fn snapshot_areas(municipality: &AreaCode, indicator_id: i64, targets: &[Target], year: i32) -> Vec<AreaCode> {
    let mut areas = vec![municipality.clone()];
    for t in targets.iter().filter(|t| t.indicator_id == indicator_id && t.applies_to(year)) {
        if let TargetRule::Relative { reference_area, .. } = &t.rule {
            if !areas.contains(reference_area) {
                areas.push(reference_area.clone());
            }
        }
    }
    areas
}

/// The snapshot of a report on `year`: for every indicator, its series' value (total, gender T)
/// for the municipality and for the reference areas of its relative targets, as
/// [`snapshot_point`] picks it; a series without a value up to `year` is left out. Ordered by
/// indicator, then area as [`snapshot_areas`] lists them.
pub fn build_snapshot(
    year: i32,
    municipality: &AreaCode,
    indicators: &[Indicator],
    targets: &[Target],
    digests: &[SeriesDigest],
) -> Vec<SnapshotValue> {
    let mut indicators: Vec<&Indicator> = indicators.iter().collect();
    indicators.sort_by_key(|i| i.id);
    indicators.dedup_by_key(|i| i.id);
    let mut out = Vec::new();
    for ind in indicators {
        let series = ind.series();
        let key = series.key();
        for area in snapshot_areas(municipality, ind.id, targets, year) {
            let digest = digests
                .iter()
                .find(|d| d.series == series && d.area == area && d.gender == Gender::Total);
            if let Some(p) = digest.and_then(|d| snapshot_point(&d.points, year)) {
                out.push(SnapshotValue {
                    indicator_id: ind.id,
                    series_key: key.clone(),
                    area: area.to_string(),
                    period: p.period,
                    value: p.value,
                    source: p.source,
                });
            }
        }
    }
    out
}

/// A goal's assessment in one follow-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalAssessment {
    /// Database id.
    pub id: i64,
    /// The follow-up.
    pub follow_up_id: i64,
    /// The goal.
    pub goal_id: i64,
    /// The judgement.
    pub assessment: Assessment,
    /// Forecast for the year's end, as the same scale.
    pub forecast: Option<Assessment>,
    /// The analysis as written.
    pub analysis: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::{Direction, IndicatorKind};
    use crate::target::Relation;

    fn point(period: i32, value: Option<f64>) -> Point {
        Point {
            period,
            value,
            status: None,
            source: ValueSource::Example,
        }
    }

    fn indicator(id: i64) -> Indicator {
        Indicator {
            id,
            municipality_id: 1,
            key: format!("i{id}"),
            title: "I".into(),
            kind: IndicatorKind::GoalIndicator,
            unit: None,
            direction: Direction::Increase,
            desired_text: None,
            measure_first: false,
            kpi: None,
            owner_id: None,
            position: 0,
        }
    }

    fn digest(key: &str, area: &str, gender: Gender, points: Vec<Point>) -> SeriesDigest {
        SeriesDigest {
            series: crate::observation::SeriesRef::parse(key).unwrap(),
            area: AreaCode::parse(area).unwrap(),
            gender,
            points,
        }
    }

    fn relative(indicator_id: i64, area: &str, from: i32, to: Option<i32>) -> Target {
        Target {
            id: 1,
            indicator_id,
            area: AreaCode::parse("1489").unwrap(),
            period_from: from,
            period_to: to,
            rule: TargetRule::Relative {
                relation: Relation::Above,
                reference_area: AreaCode::parse(area).unwrap(),
            },
            note: None,
        }
    }

    #[test]
    fn a_snapshot_takes_the_years_value_when_there_is_one() {
        let pts = [point(2021, Some(1.0)), point(2022, Some(2.0)), point(2023, Some(3.0))];
        assert_eq!(snapshot_point(&pts, 2022).unwrap().value, Some(2.0));
    }

    #[test]
    fn a_missing_year_falls_back_to_the_latest_earlier_value_never_a_later_one() {
        let pts = [point(2020, Some(1.0)), point(2021, None), point(2023, Some(3.0))];
        assert_eq!(snapshot_point(&pts, 2022).unwrap().period, 2020);
        assert!(snapshot_point(&pts, 2019).is_none());
    }

    #[test]
    fn reference_areas_come_from_relative_targets_in_force_that_year() {
        let m = AreaCode::parse("1489").unwrap();
        let targets = [
            relative(7, "0000", 2021, Some(2023)),
            relative(7, "G92790", 2024, None),
            relative(8, "0001", 2021, None),
        ];
        let areas: Vec<String> = snapshot_areas(&m, 7, &targets, 2022).iter().map(|a| a.to_string()).collect();
        assert_eq!(areas, ["1489", "0000"]);
    }

    #[test]
    fn a_snapshot_keeps_totals_only_and_skips_series_without_values() {
        let m = AreaCode::parse("1489").unwrap();
        let digests = [
            digest("indicator:7", "1489", Gender::Women, vec![point(2022, Some(9.0))]),
            digest("indicator:7", "1489", Gender::Total, vec![point(2022, Some(5.0))]),
            digest("indicator:7", "0000", Gender::Total, vec![point(2021, Some(4.0))]),
            digest("indicator:8", "1489", Gender::Total, vec![point(2022, None)]),
        ];
        let snap = build_snapshot(
            2022,
            &m,
            &[indicator(8), indicator(7), indicator(7)],
            &[relative(7, "0000", 2021, None)],
            &digests,
        );
        assert_eq!(snap.len(), 2, "{snap:?}");
        assert_eq!((snap[0].area.as_str(), snap[0].value, snap[0].period), ("1489", Some(5.0), 2022));
        assert_eq!((snap[1].area.as_str(), snap[1].value, snap[1].period), ("0000", Some(4.0), 2021));
        assert_eq!(snap[0].series_key, "indicator:7");
    }
}
