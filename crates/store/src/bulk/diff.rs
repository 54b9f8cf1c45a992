//! The batch against what is stored, one series at a time, in Rust: which rows are new, which
//! differ, which are stored exactly so, and the series' digest after the batch. Both databases'
//! writers read a series' stored rows, ask this, and write only the difference.

use styrhub_domain::compact::{encode, SeriesFacts};
use styrhub_domain::observation::{NewObservation, ValueSource, WriteCounts};
use styrhub_domain::series::Point;

use super::Staged;

/// A stored row of a series the batch writes.
pub(super) struct Stored {
    pub(super) id: i64,
    pub(super) period: i32,
    pub(super) value: Option<f64>,
    pub(super) status: Option<String>,
    pub(super) count: Option<i32>,
    pub(super) source: ValueSource,
    pub(super) deleted: bool,
}

/// What becomes of a series' digest.
pub(super) enum Digest {
    /// Nothing in the series changed.
    Unchanged,
    /// No current (non-deleted) value is left.
    Drop,
    /// The series' points in the compact form (oldest first, see `styrhub_domain::compact`)
    /// and its latest and previous values: the read model of the series.
    Put { points: Vec<u8>, facts: SeriesFacts },
}

/// The batch's rows in runs of one series (key × area × gender) each: `staged` is sorted so.
pub(super) fn series_runs<'s, 'a>(staged: &'s [Staged<'a>]) -> impl Iterator<Item = &'s [Staged<'a>]> {
    staged.chunk_by(|a, b| a.series_key == b.series_key && a.o.area == b.o.area && a.o.gender == b.o.gender)
}

fn differs(s: &Stored, o: &NewObservation) -> bool {
    s.value != o.value || s.status != o.status || s.count != o.count || s.source != o.source || s.deleted != o.deleted
}

/// One row of a series as it is after the batch.
struct Merged<'a> {
    period: i32,
    value: Option<f64>,
    status: Option<&'a str>,
    source: ValueSource,
    deleted: bool,
}

impl<'a> Merged<'a> {
    fn of(o: &'a NewObservation) -> Self {
        Merged {
            period: o.period.get(),
            value: o.value,
            status: o.status.as_deref(),
            source: o.source,
            deleted: o.deleted,
        }
    }
}

/// Compares one series' batch rows (`rows`, sorted by period) with its stored rows (`stored`,
/// sorted by period), calls `insert` for each new row and `update` (with the stored row's id)
/// for each differing one, adds to `counts`, and says what becomes of the digest.
pub(super) fn diff_series<'r, E>(
    stored: &[Stored],
    rows: &'r [Staged<'r>],
    counts: &mut WriteCounts,
    mut insert: impl FnMut(&'r Staged<'r>) -> Result<(), E>,
    mut update: impl FnMut(i64, &'r Staged<'r>) -> Result<(), E>,
) -> Result<Digest, E> {
    let mut after: Vec<Merged<'_>> = Vec::with_capacity(stored.len().max(rows.len()));
    let mut changed = false;
    let (mut i, mut j) = (0, 0);
    while i < stored.len() || j < rows.len() {
        match (stored.get(i), rows.get(j)) {
            (Some(s), Some(r)) if s.period == r.o.period.get() => {
                if differs(s, r.o) {
                    update(s.id, r)?;
                    counts.updated += 1;
                    changed = true;
                } else {
                    counts.unchanged += 1;
                }
                after.push(Merged::of(r.o));
                i += 1;
                j += 1;
            }
            (Some(s), r) if r.is_none_or(|r| s.period < r.o.period.get()) => {
                after.push(Merged {
                    period: s.period,
                    value: s.value,
                    status: s.status.as_deref(),
                    source: s.source,
                    deleted: s.deleted,
                });
                i += 1;
            }
            (_, Some(r)) => {
                insert(r)?;
                counts.inserted += 1;
                changed = true;
                after.push(Merged::of(r.o));
                j += 1;
            }
            (_, None) => unreachable!("the loop runs while either side has rows"),
        }
    }
    if !changed {
        return Ok(Digest::Unchanged);
    }
    let points: Vec<Point> = after
        .into_iter()
        .filter(|p| !p.deleted)
        .map(|p| Point {
            period: p.period,
            value: p.value,
            status: p.status.map(str::to_owned),
            source: p.source,
        })
        .collect();
    if points.is_empty() {
        return Ok(Digest::Drop);
    }
    let facts = SeriesFacts::of(&points);
    Ok(Digest::Put {
        points: encode(&points),
        facts,
    })
}

/// One series' diff gathered: the rows to insert, the rows to update (with the stored row's id)
/// and the digest, for writers that write after diffing.
pub(super) struct Changes<'r> {
    pub(super) inserts: Vec<&'r Staged<'r>>,
    pub(super) updates: Vec<(i64, &'r Staged<'r>)>,
    pub(super) digest: Digest,
}

/// [`diff_series`], gathered into [`Changes`].
pub(super) fn diff_gathered<'r>(stored: &[Stored], rows: &'r [Staged<'r>], counts: &mut WriteCounts) -> Changes<'r> {
    let (mut inserts, mut updates) = (Vec::new(), Vec::new());
    let digest = diff_series::<std::convert::Infallible>(
        stored,
        rows,
        counts,
        |r| {
            inserts.push(r);
            Ok(())
        },
        |id, r| {
            updates.push((id, r));
            Ok(())
        },
    )
    .unwrap_or_else(|never| match never {});
    Changes { inserts, updates, digest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
    use styrhub_domain::observation::{SeriesRef, ValueSource};

    fn new(period: i32, value: Option<f64>, deleted: bool) -> NewObservation {
        NewObservation {
            series: SeriesRef::Kpi(KpiId::parse("N00090").unwrap()),
            area: AreaCode::parse("1489").unwrap(),
            period: Year::new(period).unwrap(),
            gender: Gender::Total,
            value,
            status: None,
            count: None,
            source: ValueSource::Kolada,
            deleted,
        }
    }

    fn stored(id: i64, period: i32, value: Option<f64>) -> Stored {
        Stored {
            id,
            period,
            value,
            status: None,
            count: None,
            source: ValueSource::Kolada,
            deleted: false,
        }
    }

    fn staged(obs: &[NewObservation]) -> Vec<Staged<'_>> {
        obs.iter()
            .map(|o| Staged {
                series_key: o.series.key(),
                o,
            })
            .collect()
    }

    /// Runs the diff and returns (inserted periods, updated ids, counts, digest).
    fn run(stored: &[Stored], obs: &[NewObservation]) -> (Vec<i32>, Vec<i64>, WriteCounts, Digest) {
        let rows = staged(obs);
        let (mut ins, mut upd, mut counts) = (Vec::new(), Vec::new(), WriteCounts::default());
        let digest = diff_series::<()>(
            stored,
            &rows,
            &mut counts,
            |r| {
                ins.push(r.o.period.get());
                Ok(())
            },
            |id, _| {
                upd.push(id);
                Ok(())
            },
        )
        .unwrap();
        (ins, upd, counts, digest)
    }

    #[test]
    fn new_differing_and_equal_rows_are_told_apart_and_the_digest_holds_all_periods() {
        let stored = [stored(1, 2020, Some(1.0)), stored(2, 2021, Some(2.0)), stored(3, 2023, Some(3.0))];
        let obs = [
            new(2019, Some(0.5), false),
            new(2021, Some(2.5), false),
            new(2023, Some(3.0), false),
            new(2024, None, false),
        ];
        let (ins, upd, counts, digest) = run(&stored, &obs);
        assert_eq!(ins, [2019, 2024]);
        assert_eq!(upd, [2]);
        assert_eq!((counts.inserted, counts.updated, counts.unchanged), (2, 1, 1));
        let Digest::Put { points, facts } = digest else {
            panic!("a digest")
        };
        let periods: Vec<i32> = styrhub_domain::compact::decode(&points).unwrap().iter().map(|p| p.period).collect();
        assert_eq!(
            periods,
            [2019, 2020, 2021, 2023, 2024],
            "stored periods the batch leaves alone stay in"
        );
        assert_eq!(facts.latest, Some((2023, 3.0)), "2024 has no value");
        assert_eq!(facts.previous, Some((2021, 2.5)), "the batch's revision is the previous value");
    }

    #[test]
    fn an_unchanged_series_keeps_its_digest_and_a_fully_deleted_one_drops_it() {
        let stored = [stored(1, 2020, Some(1.0))];
        let (_, _, counts, digest) = run(&stored, &[new(2020, Some(1.0), false)]);
        assert_eq!(counts.unchanged, 1);
        assert!(matches!(digest, Digest::Unchanged));
        let (_, upd, _, digest) = run(&stored, &[new(2020, Some(1.0), true)]);
        assert_eq!(upd, [1], "a tombstone is an update");
        assert!(matches!(digest, Digest::Drop));
    }
}
