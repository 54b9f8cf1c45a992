//! CSV answers: a header row, then one row per value. The Excel variant starts with a byte
//! order mark (so that Excel reads UTF-8), separates fields with `;` and writes decimal commas,
//! as Swedish Excel expects. It is the variant made to be opened in a spreadsheet, so its text
//! cells are also neutralised against formula injection as OWASP describes: a title from Kolada,
//! a file or an editor that begins like a formula (`=`, `+`, `-`, `@`, a tab or a carriage
//! return) gets a leading `'`, which the spreadsheet shows as text and does not run. Numbers
//! stay numbers (a negative value is a value, not a formula). The plain variant is for programs
//! and keeps every cell as it is.

use std::fmt::Display;

/// One field of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text as is.
    Text(String),
    /// A whole number (a year, a rank, an id).
    Int(i64),
    /// A measured value; empty when missing.
    Num(Option<f64>),
    /// `true` or `false`.
    Bool(bool),
    /// Nothing.
    Empty,
}

impl Cell {
    /// Text, or an empty field for `None`.
    pub fn opt(s: Option<impl Display>) -> Self {
        s.map(|s| Self::Text(s.to_string())).unwrap_or(Self::Empty)
    }

    /// Any text.
    pub fn text(s: impl Display) -> Self {
        Self::Text(s.to_string())
    }

    fn render(&self, excel: bool) -> String {
        match self {
            Self::Text(s) if excel && s.starts_with(FORMULA_STARTS) => format!("'{s}"),
            Self::Text(s) => s.clone(),
            Self::Int(n) => n.to_string(),
            Self::Num(Some(v)) => {
                let s = v.to_string();
                if excel {
                    s.replace('.', ",")
                } else {
                    s
                }
            }
            Self::Num(None) | Self::Empty => String::new(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A table: named columns and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[&'static str]) -> Self {
        Self {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it has as many cells as there are columns.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row of {:?}", self.columns);
        self.rows.push(row);
    }

    /// The table as CSV bytes.
    pub fn to_csv(&self, excel: bool) -> Result<Vec<u8>, csv::Error> {
        let mut w = RowWriter::new(excel, &self.columns)?;
        for row in &self.rows {
            w.row(row)?;
        }
        w.take()
    }
}

/// CSV written row by row into a buffer that the caller empties as it goes: what a table and
/// a streamed export both write, in either variant.
pub struct RowWriter {
    excel: bool,
    w: csv::Writer<Vec<u8>>,
}

impl RowWriter {
    fn writer(excel: bool, out: Vec<u8>) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .delimiter(if excel { b';' } else { b',' })
            .terminator(csv::Terminator::CRLF)
            .from_writer(out)
    }

    /// A writer that has written the byte order mark (Excel) and the header.
    pub fn new(excel: bool, columns: &[&str]) -> Result<Self, csv::Error> {
        let out = if excel { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        let mut w = Self::writer(excel, out);
        w.write_record(columns)?;
        Ok(Self { excel, w })
    }

    /// Writes one row.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), csv::Error> {
        let excel = self.excel;
        self.w.write_record(cells.iter().map(|c| c.render(excel)))
    }

    /// The bytes written since the last take.
    pub fn take(&mut self) -> Result<Vec<u8>, csv::Error> {
        let done = std::mem::replace(&mut self.w, Self::writer(self.excel, Vec::new()));
        done.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }

    /// How many bytes wait to be taken (an estimate: the writer's own buffer is not counted).
    pub fn pending(&self) -> usize {
        self.w.get_ref().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(&["area", "title", "value"]);
        t.push(vec![Cell::text("1489"), Cell::text("Alingsås; kommun"), Cell::Num(Some(7.25))]);
        t.push(vec![Cell::text("0000"), Cell::text("Riket"), Cell::Num(None)]);
        t
    }

    #[test]
    fn plain_csv_has_a_header_and_decimal_points() {
        let s = String::from_utf8(table().to_csv(false).unwrap()).unwrap();
        assert_eq!(s, "area,title,value\r\n1489,Alingsås; kommun,7.25\r\n0000,Riket,\r\n");
    }

    #[test]
    fn excel_csv_has_a_bom_semicolons_and_decimal_commas() {
        let s = String::from_utf8(table().to_csv(true).unwrap()).unwrap();
        assert_eq!(s, "\u{feff}area;title;value\r\n1489;\"Alingsås; kommun\";7,25\r\n0000;Riket;\r\n");
    }

    #[test]
    fn excel_csv_neutralises_text_that_begins_like_a_formula_and_leaves_numbers_alone() {
        let mut t = Table::new(&["title", "value"]);
        for title in ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", "Borås"] {
            t.push(vec![Cell::text(title), Cell::Num(Some(-1.5))]);
        }
        let bytes = t.to_csv(true).unwrap();
        let mut r = csv::ReaderBuilder::new().delimiter(b';').from_reader(&bytes[3..]);
        let read: Vec<(String, String)> = r
            .records()
            .map(|rec| rec.unwrap())
            .map(|rec| (rec[0].to_owned(), rec[1].to_owned()))
            .collect();
        let titles: Vec<&str> = read.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            titles,
            [
                "'=HYPERLINK(\"http://x\")",
                "'+1",
                "'-1",
                "'@SUM(A1)",
                "'\tx",
                "'\rx",
                "a=b",
                "Borås"
            ]
        );
        assert!(read.iter().all(|(_, v)| v == "-1,5"), "numbers stay numbers: {read:?}");
        let plain = String::from_utf8(t.to_csv(false).unwrap()).unwrap();
        assert!(
            plain.contains("\"=HYPERLINK(\"\"http://x\"\")\"") && plain.contains("\n+1,"),
            "the plain variant keeps cells as they are: {plain}"
        );
    }
}
