//! What a full sync was served, one bit per value of its scope: memory set by the scope (KPIs ×
//! areas × years × 3 genders, 8 values a byte), never by how many values arrive. All of Kolada's
//! 6,000 KPIs for the 312 areas over 25 years is 17 MB; a sync without a year list keeps 128
//! years (1950–2077), 90 MB for the same. A value outside the scope's index (a year past those)
//! is kept in a set of its own, so nothing served is ever forgotten.

use std::collections::{HashMap, HashSet};

use styrhub_domain::ids::{Gender, KpiId};
use styrhub_domain::observation::ObservationKey;

/// The first year kept when a sync names no years, and how many.
const ALL_YEARS: (i32, usize) = (1950, 128);

/// The values served, by key.
pub(crate) struct Served {
    kpis: HashMap<KpiId, usize>,
    areas: HashMap<String, usize>,
    first_year: i32,
    years: usize,
    bits: Vec<u64>,
    outside: HashSet<ObservationKey>,
}

impl Served {
    /// Nothing served yet of the scope `kpis` × `areas` × `years` (every year when empty).
    pub(crate) fn new(kpis: &[KpiId], areas: &[String], years: &[i32]) -> Self {
        let (first_year, years) = match (years.iter().min(), years.iter().max()) {
            (Some(&lo), Some(&hi)) => (lo, (hi - lo + 1) as usize),
            _ => ALL_YEARS,
        };
        let kpis: HashMap<KpiId, usize> = kpis.iter().cloned().enumerate().map(|(i, k)| (k, i)).collect();
        let areas: HashMap<String, usize> = areas.iter().cloned().enumerate().map(|(i, a)| (a, i)).collect();
        let values = kpis.len() * areas.len() * years * 3;
        Self {
            kpis,
            areas,
            first_year,
            years,
            bits: vec![0; values.div_ceil(64)],
            outside: HashSet::new(),
        }
    }

    fn index(&self, key: &ObservationKey) -> Option<usize> {
        let k = *self.kpis.get(&key.kpi)?;
        let a = *self.areas.get(key.area.as_str())?;
        let y = usize::try_from(key.period.get() - self.first_year)
            .ok()
            .filter(|y| *y < self.years)?;
        let g = match key.gender {
            Gender::Total => 0,
            Gender::Women => 1,
            Gender::Men => 2,
        };
        Some(((k * self.areas.len() + a) * self.years + y) * 3 + g)
    }

    /// Notes `key` as served.
    pub(crate) fn insert(&mut self, key: ObservationKey) {
        match self.index(&key) {
            Some(i) => self.bits[i / 64] |= 1 << (i % 64),
            None => {
                self.outside.insert(key);
            }
        }
    }

    /// Whether `key` was served.
    pub(crate) fn contains(&self, key: &ObservationKey) -> bool {
        match self.index(key) {
            Some(i) => self.bits[i / 64] & (1 << (i % 64)) != 0,
            None => self.outside.contains(key),
        }
    }

    /// Bytes held.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bits.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use styrhub_domain::ids::{AreaCode, Year};

    use super::*;

    fn key(kpi: &str, area: &str, year: i32, gender: Gender) -> ObservationKey {
        ObservationKey {
            kpi: KpiId::parse(kpi).unwrap(),
            area: AreaCode::parse(area).unwrap(),
            period: Year::new(year).unwrap(),
            gender,
        }
    }

    #[test]
    fn served_values_are_found_and_others_not_in_memory_set_by_the_scope() {
        let kpis: Vec<KpiId> = ["N00090", "N00003"].iter().map(|k| KpiId::parse(k).unwrap()).collect();
        let areas = vec!["1489".to_owned(), "0000".to_owned()];
        let mut served = Served::new(&kpis, &areas, &[2020, 2021, 2022]);
        assert_eq!(served.bytes(), 8, "2 × 2 × 3 × 3 = 36 bits");
        served.insert(key("N00003", "0000", 2022, Gender::Men));
        served.insert(key("N00090", "1489", 2020, Gender::Total));
        // Outside the scope's index: kept as it is.
        served.insert(key("N00090", "1489", 2031, Gender::Total));
        served.insert(key("N00999", "1489", 2020, Gender::Total));
        for (k, a, y, g, yes) in [
            ("N00003", "0000", 2022, Gender::Men, true),
            ("N00003", "0000", 2022, Gender::Women, false),
            ("N00090", "1489", 2020, Gender::Total, true),
            ("N00090", "0000", 2020, Gender::Total, false),
            ("N00090", "1489", 2021, Gender::Total, false),
            ("N00090", "1489", 2031, Gender::Total, true),
            ("N00999", "1489", 2020, Gender::Total, true),
            ("N00999", "1489", 2021, Gender::Total, false),
        ] {
            assert_eq!(served.contains(&key(k, a, y, g)), yes, "{k} {a} {y} {g:?}");
        }
        let all_years = Served::new(&kpis, &areas, &[]);
        assert_eq!(all_years.bytes(), (2 * 2 * 128 * 3usize).div_ceil(64) * 8);
    }
}
