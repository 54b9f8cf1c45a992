//! Which way a series is moving, judged by which way is better.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::indicator::Direction;

/// The direction of a series, in terms of good and bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendKind {
    /// Moving the desired way.
    Improving,
    /// Moving against the desired way.
    Worsening,
    /// Not moving (within a small relative tolerance).
    Stable,
    /// Moving, but the indicator has no desired direction.
    Changing,
    /// Fewer than two values.
    Insufficient,
}

impl TrendKind {
    /// The snake_case name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Improving => "improving",
            Self::Worsening => "worsening",
            Self::Stable => "stable",
            Self::Changing => "changing",
            Self::Insufficient => "insufficient",
        }
    }

    /// The kind named by [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Improving, Self::Worsening, Self::Stable, Self::Changing, Self::Insufficient]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A trend over a range of periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The verdict.
    pub kind: TrendKind,
    /// First period of the run the verdict covers ("improving since 2021").
    pub since: Option<i32>,
    /// Change from `since` to the latest period.
    pub change: Option<f64>,
}

/// Relative change below this is "stable": 0.5 % of the level.
const STABLE_SHARE: f64 = 0.005;

/// The trend of `points` (period, value), ignoring missing values: the latest run of moves in
/// one direction, and when it started. Two values are enough; periods need not be consecutive.
pub fn trend(points: &[(i32, Option<f64>)], direction: Direction) -> Trend {
    let mut pts: Vec<(i32, f64)> = points.iter().filter_map(|(p, v)| v.map(|v| (*p, v))).collect();
    pts.sort_by_key(|(p, _)| *p);
    pts.dedup_by_key(|(p, _)| *p);
    if pts.len() < 2 {
        return Trend {
            kind: TrendKind::Insufficient,
            since: None,
            change: None,
        };
    }
    let sign = |a: f64, b: f64| {
        let tol = STABLE_SHARE * a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
        if (b - a).abs() <= tol {
            0
        } else if b > a {
            1
        } else {
            -1
        }
    };
    let n = pts.len();
    let last_sign = sign(pts[n - 2].1, pts[n - 1].1);
    // Walk back while the moves keep the same sign: that run is the current trend.
    let mut start = n - 2;
    while start > 0 && sign(pts[start - 1].1, pts[start].1) == last_sign {
        start -= 1;
    }
    let change = pts[n - 1].1 - pts[start].1;
    let kind = match (last_sign, direction) {
        (0, _) => TrendKind::Stable,
        (_, Direction::None) => TrendKind::Changing,
        (1, Direction::Increase) | (-1, Direction::Decrease) => TrendKind::Improving,
        _ => TrendKind::Worsening,
    };
    Trend {
        kind,
        since: Some(pts[start].0),
        change: Some(change),
    }
}

impl Trend {
    /// A short phrase, e.g. "improving since 2021".
    pub fn describe(&self) -> String {
        let mut out = String::new();
        self.describe_into(&mut out);
        out
    }

    /// [`Trend::describe`] written at the end of `out`: a goal tree describes thousands, each
    /// after its verdict's phrase, and writes them without a string each.
    pub fn describe_into(&self, out: &mut String) {
        out.push_str(match self.kind {
            TrendKind::Improving => "improving",
            TrendKind::Worsening => "worsening",
            TrendKind::Stable => "stable",
            TrendKind::Changing => "changing",
            TrendKind::Insufficient => return out.push_str("too few values for a trend"),
        });
        if let Some(s) = self.since {
            let _ = write!(out, " since {s}");
        }
    }

    /// The same in Swedish, e.g. "förbättras sedan 2021".
    pub fn describe_sv(&self) -> String {
        let mut out = String::new();
        self.describe_sv_into(&mut out);
        out
    }

    /// [`Trend::describe_sv`] written at the end of `out`.
    pub fn describe_sv_into(&self, out: &mut String) {
        out.push_str(match self.kind {
            TrendKind::Improving => "förbättras",
            TrendKind::Worsening => "försämras",
            TrendKind::Stable => "oförändrat",
            TrendKind::Changing => "förändras",
            TrendKind::Insufficient => return out.push_str("för få värden för en trend"),
        });
        if let Some(s) = self.since {
            let _ = write!(out, " sedan {s}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        use crate::rules::evaluate::TargetStatus;
        for k in [
            TrendKind::Improving,
            TrendKind::Worsening,
            TrendKind::Stable,
            TrendKind::Changing,
            TrendKind::Insufficient,
        ] {
            assert_eq!(TrendKind::parse(k.as_str()), Some(k));
        }
        for s in [TargetStatus::OnTarget, TargetStatus::NotOnTarget, TargetStatus::NoData] {
            assert_eq!(TargetStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TrendKind::parse("sideways"), None);
    }

    #[test]
    fn a_rising_series_is_improving_when_higher_is_better() {
        let t = trend(
            &[
                (2019, Some(5.0)),
                (2020, Some(4.0)),
                (2021, Some(4.5)),
                (2022, Some(5.5)),
                (2023, Some(6.0)),
            ],
            Direction::Increase,
        );
        assert_eq!(t.kind, TrendKind::Improving);
        assert_eq!(t.since, Some(2020));
        assert_eq!(t.describe(), "improving since 2020");
    }

    #[test]
    fn a_rising_series_is_worsening_when_lower_is_better() {
        let t = trend(&[(2022, Some(5.0)), (2023, Some(6.0))], Direction::Decrease);
        assert_eq!(t.kind, TrendKind::Worsening);
    }

    #[test]
    fn missing_values_are_skipped_not_read_as_zero() {
        let t = trend(&[(2021, Some(5.0)), (2022, None), (2023, Some(6.0))], Direction::Increase);
        assert_eq!(t.kind, TrendKind::Improving);
        assert_eq!(t.since, Some(2021));
    }

    #[test]
    fn one_value_is_not_a_trend() {
        assert_eq!(trend(&[(2023, Some(1.0))], Direction::Increase).kind, TrendKind::Insufficient);
    }

    #[test]
    fn tiny_moves_are_stable() {
        let t = trend(&[(2022, Some(100.0)), (2023, Some(100.2))], Direction::Increase);
        assert_eq!(t.kind, TrendKind::Stable);
    }
}
