//! File import: figures no API has (a municipality's own measurements) or figures copied from
//! one (the demo's Kolada values), from CSV or from JSON in Kolada's data format; and KPI
//! metadata files. Rows are checked one by one and errors carry their line numbers; a file with
//! errors imports nothing unless the caller skips invalid rows.
//!
//! # CSV layout
//! A header row names the columns, in any order, case-insensitive; `,` or `;` separated (with
//! `;`, a decimal comma is accepted, as Swedish spreadsheets write it):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `kpi` | one of `kpi`/`indicator` | a Kolada KPI id, e.g. N00090 |
//! | `indicator` | | an indicator key of the municipality in `municipality` |
//! | `municipality` | with `indicator` | the municipality code the indicator belongs to |
//! | `area` | yes | the area the value is for: 1489, 0000, G92790, V15E144001301 |
//! | `period` | yes | the year |
//! | `gender` | no (T) | T, K or M |
//! | `value` | yes (may be empty) | the value; empty is a missing value, 0 is a value |
//! | `status` | no | the source's status flag, e.g. Missing |
//! | `source` | no (`file`) | where the value comes from: `kolada`, `file`, `manual` or `example`; the API shows it with every value |
//!
//! A file of values copied from Kolada (as the demo's `demo/kolada/values.csv`) says
//! `kolada`, so that they are shown, and cited, as Kolada's; `example` marks made-up values.
//!
//! # KPI metadata
//! [`parse_kpi_json`] reads KPI metadata in Kolada's format (`{"count", "values": […]}` as
//! Kolada's `/kpi` answers), [`parse_kpi_catalogue`] a catalogue CSV with the columns
//! `id,title,municipality_type,operating_area,publ_period` (as the rKolada client library keeps
//! it); both give what `MetadataWriter::upsert_kpis` stores.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use styrhub_domain::ids::{AreaCode, Gender, KpiId, Year};
use styrhub_domain::kpi::Kpi;
use styrhub_domain::observation::{NewObservation, SeriesRef, ValueSource};

/// The columns of the CSV layout (module doc), lower-case.
const COLUMNS: [&str; 9] = [
    "kpi",
    "indicator",
    "municipality",
    "area",
    "period",
    "gender",
    "value",
    "status",
    "source",
];

/// A row that could not be read, with its line number (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line in the file.
    pub line: usize,
    /// What is wrong, naming the column.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What a file held: the rows that parsed, and the errors of those that did not.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Valid rows.
    pub observations: Vec<NewObservation>,
    /// Invalid rows.
    pub errors: Vec<RowError>,
}

/// Parses a CSV file. `indicator` resolves (municipality code, indicator key) to the series
/// the indicator's values are stored under; `None` when there is no such indicator.
pub fn parse_csv(text: &str, indicator: &dyn Fn(&str, &str) -> Option<SeriesRef>) -> Result<Parsed, RowError> {
    let mut out = Parsed::default();
    read_csv(text.as_bytes(), indicator, &mut |line, row| out.push(line, row))?;
    Ok(out)
}

/// What a data file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// The CSV layout (module doc).
    Csv,
    /// JSON in Kolada's data format.
    KoladaJson,
}

impl DataFormat {
    /// The format of the file at `path`: JSON when it is named `.json` or starts with `{`.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            return Ok(Self::KoladaJson);
        }
        let mut head = [0u8; 64];
        let n = File::open(path)?.read(&mut head)?;
        let first = head[..n].iter().find(|b| !b.is_ascii_whitespace());
        Ok(if first == Some(&b'{') { Self::KoladaJson } else { Self::Csv })
    }
}

/// Reads the rows of a data file one at a time, in memory that does not grow with the file,
/// and hands each value to `each` with its line (the line a JSON row starts on): the value, or
/// what is wrong with its row. A Kolada row gives one value per gender. Fails only when the
/// file as a whole cannot be read: a header without the required columns, text that is not
/// JSON in Kolada's format.
pub fn read_rows(
    reader: impl Read,
    format: DataFormat,
    indicator: &dyn Fn(&str, &str) -> Option<SeriesRef>,
    each: &mut dyn FnMut(usize, Result<NewObservation, String>),
) -> Result<(), RowError> {
    match format {
        DataFormat::Csv => read_csv(reader, indicator, each),
        DataFormat::KoladaJson => read_kolada_json(reader, each),
    }
}

fn read_csv(
    reader: impl Read,
    indicator: &dyn Fn(&str, &str) -> Option<SeriesRef>,
    each: &mut dyn FnMut(usize, Result<NewObservation, String>),
) -> Result<(), RowError> {
    let unreadable = |e: std::io::Error| RowError {
        line: 1,
        message: format!("cannot read the file: {e}"),
    };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    if reader.fill_buf().map_err(unreadable)?.starts_with("\u{feff}".as_bytes()) {
        reader.consume(3);
    }
    let head = reader.fill_buf().map_err(unreadable)?;
    let first = &head[..head.iter().position(|b| *b == b'\n').unwrap_or(head.len())];
    let semicolon = first.contains(&b';');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if semicolon { b';' } else { b',' })
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(reader);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| RowError {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_lowercase)
        .collect();
    let col: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    for known in header.iter() {
        if !COLUMNS.contains(&known.as_str()) {
            return Err(RowError {
                line: 1,
                message: format!("unknown column `{known}` (see the documented layout)"),
            });
        }
    }
    for required in ["area", "period", "value"] {
        if !col.contains_key(required) {
            return Err(RowError {
                line: 1,
                message: format!("the header has no `{required}` column"),
            });
        }
    }
    if !col.contains_key("kpi") && !col.contains_key("indicator") {
        return Err(RowError {
            line: 1,
            message: "the header needs a `kpi` or an `indicator` column".into(),
        });
    }
    if col.contains_key("indicator") && !col.contains_key("municipality") {
        return Err(RowError {
            line: 1,
            message: "an `indicator` column needs a `municipality` column (indicator keys are per municipality)".into(),
        });
    }
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => each(
                line,
                row(
                    &Fields {
                        col: &col,
                        record: &record,
                    },
                    semicolon,
                    indicator,
                ),
            ),
            // A record the CSV reader cannot split (a wrong number of fields, bad UTF-8) is the
            // row's error; the reader goes on with the next one.
            Err(e) if !matches!(e.kind(), csv::ErrorKind::Io(_)) => each(line, Err(e.to_string())),
            Err(e) => {
                return Err(RowError {
                    line,
                    message: e.to_string(),
                })
            }
        }
    }
}

impl Parsed {
    fn push(&mut self, line: usize, row: Result<NewObservation, String>) {
        match row {
            Ok(o) => self.observations.push(o),
            Err(message) => self.errors.push(RowError { line, message }),
        }
    }
}

/// One record's fields by column name; empty fields are absent.
struct Fields<'a> {
    col: &'a HashMap<&'a str, usize>,
    record: &'a csv::StringRecord,
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.col.get(name).and_then(|i| self.record.get(*i)).filter(|s| !s.is_empty())
    }
}

fn row(f: &Fields<'_>, decimal_comma: bool, indicator: &dyn Fn(&str, &str) -> Option<SeriesRef>) -> Result<NewObservation, String> {
    let get = |name: &str| f.get(name);
    let series = match (get("kpi"), get("indicator")) {
        (Some(k), None) => SeriesRef::Kpi(KpiId::parse(k).map_err(|e| format!("column kpi: {}", e.message))?),
        (None, Some(key)) => {
            let m = get("municipality").ok_or("column municipality: needed with an indicator")?;
            indicator(m, key).ok_or_else(|| format!("column indicator: municipality {m} has no indicator `{key}`"))?
        }
        (Some(_), Some(_)) => return Err("columns kpi and indicator: give one, not both".into()),
        (None, None) => return Err("columns kpi and indicator: give one".into()),
    };
    let area = AreaCode::parse(get("area").unwrap_or_default()).map_err(|e| format!("column area: {}", e.message))?;
    let period_text = get("period").unwrap_or_default();
    let period = period_text
        .parse::<i32>()
        .map_err(|_| format!("column period: `{period_text}` is not a year"))
        .and_then(|y| Year::new(y).map_err(|e| format!("column period: {}", e.message)))?;
    let gender = match get("gender") {
        Some(g) => Gender::parse(g).map_err(|e| format!("column gender: {}", e.message))?,
        None => Gender::Total,
    };
    let value = match get("value") {
        None => None,
        Some(v) => {
            let normal = if decimal_comma { v.replace(',', ".") } else { v.to_owned() };
            Some(
                normal
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("column value: `{v}` is not a number"))?,
            )
        }
    };
    let source = match get("source") {
        Some(s) => ValueSource::parse(s).map_err(|e| format!("column source: {}", e.message))?,
        None => ValueSource::File,
    };
    Ok(NewObservation {
        series,
        area,
        period,
        gender,
        value,
        status: get("status").map(str::to_owned),
        count: None,
        source,
        deleted: false,
    })
}

/// Parses JSON in Kolada's data format: `{"values": [{"kpi", "municipality" | "ou", "period",
/// "values": [{"gender", "value", …}]}]}`, as Kolada's `/data` and `/oudata` answer and as dumps
/// keep it. Each row is checked on its own; errors carry the line the row starts on.
pub fn parse_kolada_json(text: &str) -> Result<Parsed, RowError> {
    let mut out = Parsed::default();
    read_kolada_json(text.as_bytes(), &mut |line, row| out.push(line, row))?;
    Ok(out)
}

/// [`read_rows`] of JSON in Kolada's data format: the `values` array is read one row at a time
/// (serde's visitor over the stream), never whole.
fn read_kolada_json(reader: impl Read, each: &mut dyn FnMut(usize, Result<NewObservation, String>)) -> Result<(), RowError> {
    use std::cell::Cell;
    use std::rc::Rc;

    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

    /// Counts the lines read so far: serde_json reads a stream a byte at a time, so when a row
    /// has been read the count is the line it ends on.
    struct Counting<R> {
        inner: R,
        lines: Rc<Cell<usize>>,
    }
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            let newlines = buf[..n].iter().filter(|b| **b == b'\n').count();
            if newlines > 0 {
                self.lines.set(self.lines.get() + newlines);
            }
            Ok(n)
        }
    }

    struct Envelope<'f> {
        lines: Rc<Cell<usize>>,
        each: &'f mut dyn FnMut(usize, Result<NewObservation, String>),
    }
    impl<'de> Visitor<'de> for Envelope<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object with a `values` array")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = false;
            while let Some(key) = map.next_key::<String>()? {
                if key == "values" {
                    map.next_value_seed(Rows {
                        lines: self.lines.clone(),
                        each: &mut *self.each,
                    })?;
                    seen = true;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if seen {
                Ok(())
            } else {
                Err(serde::de::Error::missing_field("values"))
            }
        }
    }

    struct Rows<'f> {
        lines: Rc<Cell<usize>>,
        each: &'f mut dyn FnMut(usize, Result<NewObservation, String>),
    }
    impl<'de> DeserializeSeed<'de> for Rows<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Rows<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of rows")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut obs = Vec::new();
            while let Some(raw) = seq.next_element::<Box<serde_json::value::RawValue>>()? {
                let row = raw.get();
                // Read up to its end: the line it starts on is that less its own line breaks.
                let line = self.lines.get() + 1 - row.matches('\n').count();
                let ou = serde_json::from_str::<serde_json::Value>(row)
                    .ok()
                    .is_some_and(|v| v.get("ou").is_some());
                obs.clear();
                match crate::kolada::parse_data_row(row, ou, &mut obs) {
                    Ok(()) => {
                        for o in obs.drain(..) {
                            (self.each)(
                                line,
                                Ok(NewObservation {
                                    source: ValueSource::File,
                                    ..o
                                }),
                            );
                        }
                    }
                    Err(message) => (self.each)(line, Err(message)),
                }
            }
            Ok(())
        }
    }

    let lines = Rc::new(Cell::new(0));
    let reader = Counting {
        inner: BufReader::with_capacity(1 << 16, reader),
        lines: lines.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let bad = |e: serde_json::Error| RowError {
        line: e.line().max(1),
        message: format!("not JSON in Kolada's data format: {e}"),
    };
    serde::Deserializer::deserialize_map(&mut de, Envelope { lines, each }).map_err(bad)?;
    de.end().map_err(bad)
}

/// Parses KPI metadata in Kolada's format: `{"count", "values": [{"id", "title", …}]}`, as
/// Kolada's `/kpi` answers and as dumps keep it. Metadata is all or nothing: the first row that
/// does not parse is the error, with the line it starts on.
pub fn parse_kpi_json(text: &str) -> Result<Vec<Kpi>, RowError> {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        values: Vec<&'a serde_json::value::RawValue>,
    }
    let env: Envelope<'_> = serde_json::from_str(text).map_err(|e| RowError {
        line: e.line(),
        message: format!("not KPI metadata in Kolada's format: {e}"),
    })?;
    env.values
        .into_iter()
        .map(|raw| {
            let row = raw.get();
            let offset = (row.as_ptr() as usize).saturating_sub(text.as_ptr() as usize).min(text.len());
            let line = text[..offset].matches('\n').count() + 1;
            let meta = crate::kolada::parse_kpi_row(row).map_err(|message| RowError { line, message })?;
            KpiId::parse(&meta.id).map_err(|e| RowError {
                line,
                message: format!("id: {}", e.message),
            })?;
            Ok(meta.to_domain())
        })
        .collect()
}

/// Parses a KPI catalogue: a CSV with the columns `id` and `title` (required) and
/// `municipality_type`, `operating_area`, `publ_period` (optional; the last is not stored), in
/// any order. Gives title-only metadata: no description, no gender flag, no publication date.
/// All or nothing, as [`parse_kpi_json`].
pub fn parse_kpi_catalogue(text: &str) -> Result<Vec<Kpi>, RowError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::Headers).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| RowError {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(str::to_lowercase)
        .collect();
    let col: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    for required in ["id", "title"] {
        if !col.contains_key(required) {
            return Err(RowError {
                line: 1,
                message: format!("the catalogue's header has no `{required}` column"),
            });
        }
    }
    let at = |name: &str| col.get(name).copied();
    let (id_at, title_at, type_at, area_at) = (at("id"), at("title"), at("municipality_type"), at("operating_area"));
    fn field(record: &csv::StringRecord, i: Option<usize>) -> Option<&str> {
        i.and_then(|i| record.get(i)).map(str::trim).filter(|s| !s.is_empty())
    }
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    while reader.read_record(&mut record).map_err(|e| RowError {
        line: line + 1,
        message: e.to_string(),
    })? {
        line += 1;
        let id = KpiId::parse(field(&record, id_at).unwrap_or_default()).map_err(|e| RowError {
            line,
            message: format!("column id: {}", e.message),
        })?;
        let title = field(&record, title_at).ok_or_else(|| RowError {
            line,
            message: "column title: empty".into(),
        })?;
        out.push(Kpi {
            id: id.as_str().to_owned(),
            title: title.to_owned(),
            description: None,
            operating_area: field(&record, area_at).map(str::to_owned),
            municipality_type: field(&record, type_at).map(str::to_owned),
            is_divided_by_gender: None,
            publication_date: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str, _: &str) -> Option<SeriesRef> {
        None
    }

    #[test]
    fn a_comma_file_reads_by_column_name() {
        let p = parse_csv("period,area,kpi,value,gender\n2023,1489,N00090,7.1,K\n2023,0000,N00090,,T\n", &none).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.observations.len(), 2);
        assert_eq!(p.observations[0].gender, Gender::Women);
        assert_eq!(p.observations[1].value, None);
    }

    #[test]
    fn a_semicolon_file_takes_decimal_commas() {
        let p = parse_csv("\u{feff}kpi;area;period;value\nN00090;1489;2022;7,25\n", &none).unwrap();
        assert_eq!(p.observations[0].value, Some(7.25));
    }

    #[test]
    fn row_errors_name_the_line_and_column() {
        let p = parse_csv(
            "kpi,area,period,value\nN00090,1489,2022,x\nN0009,1489,2022,1\nN00090,1489,2022,2\n",
            &none,
        )
        .unwrap();
        assert_eq!(p.observations.len(), 1);
        assert_eq!(p.errors[0].to_string(), "line 2: column value: `x` is not a number");
        assert!(p.errors[1].to_string().starts_with("line 3: column kpi"), "{}", p.errors[1]);
    }

    #[test]
    fn an_unknown_indicator_is_a_row_error() {
        let found = |m: &str, k: &str| (m == "1489" && k == "egen").then_some(SeriesRef::Indicator(7));
        let p = parse_csv(
            "municipality,indicator,area,period,value\n1489,egen,1489,2023,3\n1489,annan,1489,2023,3\n",
            &found,
        )
        .unwrap();
        assert_eq!(p.observations[0].series, SeriesRef::Indicator(7));
        assert!(p.errors[0].message.contains("no indicator `annan`"));
    }

    #[test]
    fn kolada_json_reads_by_gender_and_names_bad_rows_by_line() {
        let text = "{\"values\": [\n{\"kpi\": \"N00090\", \"municipality\": \"1489\", \"period\": \"2023\",\n \"values\": [{\"gender\": \"K\", \"value\": 8.1}, {\"gender\": \"T\", \"value\": null, \"status\": \"Missing\"}]},\n{\"kpi\": \"N00090\", \"municipality\": \"1489\", \"period\": 2022, \"values\": [{\"gender\": \"T\", \"value\": \"abc\"}]}\n]}";
        let p = parse_kolada_json(text).unwrap();
        assert_eq!(p.observations.len(), 2);
        assert_eq!(p.observations[0].gender, Gender::Women);
        assert_eq!(p.observations[1].value, None);
        assert_eq!(p.observations[0].source, ValueSource::File);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 4, "{:?}", p.errors);
    }

    #[test]
    fn a_header_without_the_required_columns_is_refused() {
        assert!(parse_csv("kpi,area,value\n", &none).unwrap_err().message.contains("period"));
        assert!(parse_csv("kpi,area,period,value,colour\n", &none)
            .unwrap_err()
            .message
            .contains("colour"));
    }

    #[test]
    fn the_source_column_names_where_values_come_from_and_defaults_to_file() {
        let p = parse_csv(
            "kpi,area,period,value,source\nN00090,1489,2022,8.9,kolada\nN00090,1489,2021,8.2,\nN00090,1489,2020,9,example\nN00090,1489,2019,7,scb\n",
            &none,
        )
        .unwrap();
        let sources: Vec<_> = p.observations.iter().map(|o| o.source).collect();
        assert_eq!(sources, [ValueSource::Kolada, ValueSource::File, ValueSource::Example]);
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].to_string().starts_with("line 5: column source"), "{}", p.errors[0]);
        let without = parse_csv("kpi,area,period,value\nN00090,1489,2022,8.9\n", &none).unwrap();
        assert_eq!(without.observations[0].source, ValueSource::File);
        let manual = parse_csv("kpi;area;period;value;Source\nN00090;1489;2022;8,9;manual\n", &none).unwrap();
        assert_eq!(manual.observations[0].source, ValueSource::Manual);
    }

    #[test]
    fn kpi_json_gives_kolada_metadata_and_names_a_bad_row_by_line() {
        let text = "{\"count\": 2, \"values\": [\n{\"id\": \"N00090\", \"title\": \"Sjukfrånvaro\", \"description\": \"Andel\", \"is_divided_by_gender\": true, \"municipality_type\": \"K\", \"operating_area\": \"Personal\", \"publication_date\": \"2024-04-01\"},\n{\"id\": \"U00200\", \"title\": \"HME\"}\n]}";
        let kpis = parse_kpi_json(text).unwrap();
        assert_eq!(kpis.len(), 2);
        assert_eq!(kpis[0].title, "Sjukfrånvaro");
        assert_eq!(kpis[0].is_divided_by_gender, Some(true));
        assert_eq!(kpis[1].description, None);
        let bad = parse_kpi_json("{\"values\": [\n{\"id\": \"N00090\"},\n{\"id\": \"X\"}\n]}").unwrap_err();
        assert_eq!(bad.line, 3, "{bad}");
        assert!(parse_kpi_json("[]").is_err());
    }

    #[test]
    fn a_catalogue_gives_title_only_metadata() {
        let kpis = parse_kpi_catalogue(
            "id,title,municipality_type,operating_area,publ_period\nN00003,\"Personalkostnader, kr/inv\",K,\"Kommunen, övergripande\",2025\nU00200,HME,,,\n",
        )
        .unwrap();
        assert_eq!(kpis.len(), 2);
        assert_eq!(kpis[0].title, "Personalkostnader, kr/inv");
        assert_eq!(kpis[0].operating_area.as_deref(), Some("Kommunen, övergripande"));
        assert_eq!(kpis[1].municipality_type, None);
        assert_eq!(kpis[1].description, None);
        let bad = parse_kpi_catalogue("id,title\nN00003,A\nnot-an-id,B\n").unwrap_err();
        assert!(bad.to_string().starts_with("line 3: column id"), "{bad}");
        assert!(parse_kpi_catalogue("kpi,title\n").unwrap_err().message.contains("`id`"));
    }
}
