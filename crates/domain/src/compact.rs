//! Compact points: how a whole series is kept in one row for reading.
//!
//! A goal tree judges thousands of series per request and a series endpoint returns a few whole
//! ones, so the stored form of a series is read far more often than it is written. JSON text
//! (what the digest held first) had to be parsed field by field on every read, and that parse
//! was the largest part of a goal tree's CPU. This form is read with a bounds check and a few
//! little-endian loads per point, and is a quarter of JSON's size.
//!
//! Layout (all integers little-endian), oldest point first:
//!
//! ```text
//! version: u8 = 1
//! per point:
//!   period: i32
//!   flags:  u8   bit 0: has a value; bit 1: has a status; bits 2–3: the source
//!   value:  f64  only when bit 0 is set (a missing value is no value, zero is a value)
//!   status: u16 length, then that many bytes of UTF-8, only when bit 1 is set
//! ```
//!
//! No serialization crate is used: the format is a dozen lines each way, fixed, versioned, and
//! any general format would add per-field tags or varints that this one does not need.

use crate::observation::ValueSource;
use crate::series::Point;

/// The layout written by [`encode`].
const VERSION: u8 = 1;
const HAS_VALUE: u8 = 1;
const HAS_STATUS: u8 = 2;
const SOURCE_SHIFT: u8 = 2;

/// Why stored bytes are not a series.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compact points: {0}")]
pub struct CompactError(String);

fn source_code(s: ValueSource) -> u8 {
    match s {
        ValueSource::Kolada => 0,
        ValueSource::File => 1,
        ValueSource::Manual => 2,
        ValueSource::Example => 3,
    }
}

fn source_of(code: u8) -> ValueSource {
    match code & 3 {
        0 => ValueSource::Kolada,
        1 => ValueSource::File,
        2 => ValueSource::Manual,
        _ => ValueSource::Example,
    }
}

/// The stored form of `points` (oldest first).
pub fn encode(points: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + points.len() * 13);
    out.push(VERSION);
    for p in points {
        out.extend_from_slice(&p.period.to_le_bytes());
        // A status longer than u16 is cut: sources send one or two words ("Missing").
        let status = p.status.as_deref().map(|s| truncate(s, u16::MAX as usize));
        let flags =
            (u8::from(p.value.is_some()) * HAS_VALUE) | (u8::from(status.is_some()) * HAS_STATUS) | (source_code(p.source) << SOURCE_SHIFT);
        out.push(flags);
        if let Some(v) = p.value {
            out.extend_from_slice(&v.to_le_bytes());
        }
        if let Some(s) = status {
            out.extend_from_slice(&(s.len() as u16).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
    out
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// One point as laid out, its status not yet copied out of the bytes.
struct Raw<'a> {
    period: i32,
    flags: u8,
    value: Option<f64>,
    status: Option<&'a [u8]>,
}

/// The points of `bytes` one by one, read in place: what [`decode`] and [`value_at`] share.
fn raw_points(bytes: &[u8]) -> Result<impl Iterator<Item = Result<Raw<'_>, CompactError>>, CompactError> {
    let (&version, mut rest) = bytes.split_first().ok_or_else(|| CompactError("empty".into()))?;
    if version != VERSION {
        return Err(CompactError(format!("layout version {version}, this build reads {VERSION}")));
    }
    let short = || CompactError("the bytes end inside a point".into());
    Ok(std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut next = || -> Result<Raw<'_>, CompactError> {
            let (period, r) = rest.split_first_chunk::<4>().ok_or_else(short)?;
            let (&flags, r) = r.split_first().ok_or_else(short)?;
            rest = r;
            let value = if flags & HAS_VALUE != 0 {
                let (v, r) = rest.split_first_chunk::<8>().ok_or_else(short)?;
                rest = r;
                Some(f64::from_le_bytes(*v))
            } else {
                None
            };
            let status = if flags & HAS_STATUS != 0 {
                let (len, r) = rest.split_first_chunk::<2>().ok_or_else(short)?;
                let len = u16::from_le_bytes(*len) as usize;
                if r.len() < len {
                    return Err(short());
                }
                let (s, r) = r.split_at(len);
                rest = r;
                Some(s)
            } else {
                None
            };
            Ok(Raw {
                period: i32::from_le_bytes(*period),
                flags,
                value,
                status,
            })
        };
        let point = next();
        if point.is_err() {
            // Nothing after broken bytes is read.
            rest = &[];
        }
        Some(point)
    }))
}

/// The points kept as `bytes` by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Vec<Point>, CompactError> {
    let mut out = Vec::with_capacity(bytes.len() / 13);
    for raw in raw_points(bytes)? {
        let raw = raw?;
        let status = raw
            .status
            .map(|s| String::from_utf8(s.to_vec()).map_err(|e| CompactError(format!("a status is not UTF-8: {e}"))))
            .transpose()?;
        out.push(Point {
            period: raw.period,
            value: raw.value,
            status,
            source: source_of(raw.flags >> SOURCE_SHIFT),
        });
    }
    Ok(out)
}

/// The value kept in `bytes` for `period`: `None` when the series has no point for it,
/// `Some(None)` when its point holds no value. Read in place, without decoding the series: a
/// goal tree asks this of thousands of reference series for one period each.
pub fn value_at(bytes: &[u8], period: i32) -> Result<Option<Option<f64>>, CompactError> {
    for raw in raw_points(bytes)? {
        let raw = raw?;
        if raw.period == period {
            return Ok(Some(raw.value));
        }
    }
    Ok(None)
}

/// What a read of the latest values needs of a series, kept beside its points so that such a
/// read takes two numbers instead of the series.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeriesFacts {
    /// The latest period with a value, and that value.
    pub latest: Option<(i32, f64)>,
    /// The period with a value before it, and that value.
    pub previous: Option<(i32, f64)>,
}

impl SeriesFacts {
    /// The facts of `points` (oldest first), as [`crate::series::SeriesDigest::latest`] and
    /// `previous_before` find them.
    pub fn of(points: &[Point]) -> Self {
        let mut valued = points.iter().rev().filter_map(|p| p.value.map(|v| (p.period, v)));
        let latest = valued.next();
        let previous = valued.next();
        Self { latest, previous }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(period: i32, value: Option<f64>, status: Option<&str>, source: ValueSource) -> Point {
        Point {
            period,
            value,
            status: status.map(str::to_owned),
            source,
        }
    }

    #[test]
    fn points_come_back_as_they_went_in() {
        let points = vec![
            point(1998, Some(0.0), None, ValueSource::Kolada),
            point(2021, None, Some("Missing"), ValueSource::File),
            point(2022, Some(-7.25), Some("åäö"), ValueSource::Manual),
            point(2023, Some(f64::MAX), None, ValueSource::Example),
        ];
        assert_eq!(decode(&encode(&points)).unwrap(), points);
        assert_eq!(decode(&encode(&[])).unwrap(), []);
    }

    #[test]
    fn one_value_is_read_in_place_as_decoding_reads_it() {
        let bytes = encode(&[
            point(2020, Some(1.0), Some("åäö"), ValueSource::Kolada),
            point(2021, None, Some("Missing"), ValueSource::File),
            point(2022, Some(2.5), None, ValueSource::Manual),
        ]);
        assert_eq!(value_at(&bytes, 2022).unwrap(), Some(Some(2.5)));
        assert_eq!(value_at(&bytes, 2021).unwrap(), Some(None), "a point without a value");
        assert_eq!(value_at(&bytes, 2019).unwrap(), None, "no point");
        // Cut inside the point asked for (the last, 13 bytes): refused, not misread.
        for end in bytes.len() - 12..bytes.len() {
            assert!(value_at(&bytes[..end], 2022).is_err(), "cut at {end}");
        }
        assert!(value_at(&[], 2022).is_err());
    }

    #[test]
    fn a_point_with_a_value_takes_thirteen_bytes() {
        let one = encode(&[point(2023, Some(1.5), None, ValueSource::Kolada)]);
        assert_eq!(one.len(), 1 + 13);
    }

    #[test]
    fn cut_or_foreign_bytes_are_refused_not_misread() {
        let bytes = encode(&[point(2023, Some(1.5), Some("x"), ValueSource::Kolada)]);
        for end in 2..bytes.len() {
            assert!(decode(&bytes[..end]).is_err(), "cut at {end}");
        }
        assert!(decode(&[]).is_err());
        assert!(decode(b"[{\"period\":2021}]").is_err(), "JSON is not this layout");
    }

    #[test]
    fn facts_skip_missing_values() {
        let points = [
            point(2020, Some(1.0), None, ValueSource::Kolada),
            point(2021, None, None, ValueSource::Kolada),
            point(2022, Some(2.0), None, ValueSource::Kolada),
            point(2023, None, Some("Missing"), ValueSource::Kolada),
        ];
        let f = SeriesFacts::of(&points);
        assert_eq!(f.latest, Some((2022, 2.0)));
        assert_eq!(f.previous, Some((2020, 1.0)));
        assert_eq!(SeriesFacts::of(&[]), SeriesFacts::default());
    }
}
