//! A series: the values of one KPI or indicator for one area and gender, period by period.
//!
//! The store keeps each series whole in one digest row next to the observations, so that the
//! latest value, the previous one, the trend and the value at any period come from one read.
//! A goal tree of thousands of indicators then needs one query for all their values.

use serde::{Deserialize, Serialize};

use crate::ids::{AreaCode, Gender};
use crate::indicator::Direction;
use crate::kpi::Area;
use crate::observation::{SeriesRef, ValueSource};
use crate::rules::trend::{trend, Trend};

/// One value of a series as shown to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The year.
    pub period: i32,
    /// The value; `None` is missing (zero is a value).
    pub value: Option<f64>,
    /// The source's status flag, such as "Missing".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Where the value came from; `example` marks generated demo values.
    pub source: ValueSource,
}

/// A whole series: every stored, non-deleted value of one series key, area and gender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesDigest {
    /// The KPI or indicator it measures.
    pub series: SeriesRef,
    /// The area.
    pub area: AreaCode,
    /// The gender.
    pub gender: Gender,
    /// The values, oldest first.
    pub points: Vec<Point>,
}

/// A series with other areas' values for its latest period: what judging it against relative
/// targets ("över riksgenomsnittet") needs, without reading those areas' whole series (see
/// [`crate::ports::SeriesReader::digests_with_references`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencedDigest {
    /// The series.
    pub digest: SeriesDigest,
    /// Each reference area that has a row for the series' latest period, with its value
    /// (`None`: stored as missing).
    pub references: Vec<(AreaCode, Option<f64>)>,
}

impl ReferencedDigest {
    /// The value of `area` for `period`, known only for the series' latest period.
    pub fn reference_at(&self, area: &AreaCode, period: i32) -> Option<f64> {
        if self.digest.latest()?.period != period {
            return None;
        }
        self.references.iter().find(|(a, _)| a == area).and_then(|(_, v)| *v)
    }
}

/// What a key figure's series answer needs, read at once (see
/// [`crate::ports::SeriesReader::kpi_series`]): the series and what names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiSeriesView {
    /// The KPI's title from its metadata; `None` when no sync has brought the metadata.
    pub title: Option<String>,
    /// The title of the first indicator sourced from the KPI (by municipality, position and
    /// key); `None` when no indicator is.
    pub indicator_title: Option<String>,
    /// The areas among those asked for that the hub can name: the stored ones and the hub's
    /// own municipalities that are not stored (not the country, which is always named).
    pub areas: Vec<Area>,
    /// The series, of the areas and genders asked for, that have values.
    pub digests: Vec<SeriesDigest>,
}

impl KpiSeriesView {
    /// The KPI is known when the hub has its metadata or an indicator is sourced from it.
    pub fn is_known(&self) -> bool {
        self.title.is_some() || self.indicator_title.is_some()
    }
}

impl SeriesDigest {
    /// The latest period that has a value.
    pub fn latest(&self) -> Option<&Point> {
        self.points.iter().rev().find(|p| p.value.is_some())
    }

    /// The latest period before `period` that has a value.
    pub fn previous_before(&self, period: i32) -> Option<&Point> {
        self.points.iter().rev().find(|p| p.period < period && p.value.is_some())
    }

    /// The value for `period`, if there is one.
    pub fn value_at(&self, period: i32) -> Option<f64> {
        self.points.iter().find(|p| p.period == period).and_then(|p| p.value)
    }

    /// The trend, judged by which way is better.
    pub fn trend(&self, direction: Direction) -> Trend {
        let pts: Vec<(i32, Option<f64>)> = self.points.iter().map(|p| (p.period, p.value)).collect();
        trend(&pts, direction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(values: &[(i32, Option<f64>)]) -> SeriesDigest {
        SeriesDigest {
            series: SeriesRef::Kpi(crate::ids::KpiId::parse("N00090").unwrap()),
            area: AreaCode::parse("1489").unwrap(),
            gender: Gender::Total,
            points: values
                .iter()
                .map(|(p, v)| Point {
                    period: *p,
                    value: *v,
                    status: None,
                    source: ValueSource::Kolada,
                })
                .collect(),
        }
    }

    #[test]
    fn the_latest_value_skips_a_missing_last_year() {
        let d = digest(&[(2021, Some(7.0)), (2022, Some(7.2)), (2023, None)]);
        assert_eq!(d.latest().unwrap().period, 2022);
        assert_eq!(d.previous_before(2022).unwrap().value, Some(7.0));
        assert_eq!(d.value_at(2023), None);
    }

    #[test]
    fn zero_is_a_value() {
        let d = digest(&[(2021, Some(0.0))]);
        assert_eq!(d.latest().unwrap().value, Some(0.0));
    }
}
