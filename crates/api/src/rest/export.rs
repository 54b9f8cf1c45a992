//! Whole tables as CSV for scripts, Grafana and spreadsheets: `/api/v1/export/{table}.csv`
//! (or `.csv.gz`), streamed from one database statement in constant memory. The rows are
//! written in chunks as they are read, so the first bytes leave before the last row is read;
//! a client that goes away stops the read.

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use serde::Deserialize;
use styrhub_domain::export::{Cell as Value, ExportFilter, RowSink, Stop, Table};
use styrhub_domain::ids::{IndicatorId, KpiId};
use styrhub_domain::RepoError;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use crate::reads::Reads;
use crate::rest::csv::{Cell, RowWriter};
use crate::rest::params::{parse_area, parse_id, parse_municipality_code, parse_year, AreaCodeParam, MunicipalityCodeParam, Params};
use crate::rest::problem::Problem;

/// How many bytes a chunk gathers before it is sent.
const CHUNK: usize = 64 * 1024;
/// How many chunks may wait for a slow client before the read waits too.
const IN_FLIGHT: usize = 4;

/// Which rows to export, and in which CSV variant.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// One key figure, e.g. N00090 (observations, kpis, indicators).
    #[param(pattern = r"^[^\u0000]*$")]
    pub kpi: Option<String>,
    /// One indicator by id (observations: its series; indicators; targets).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub indicator: Option<String>,
    /// One area, e.g. 1489 (observations, areas, targets).
    #[param(value_type = Option<AreaCodeParam>)]
    pub area: Option<String>,
    /// One municipality's rows, e.g. 1489 (the governance tables).
    #[param(value_type = Option<MunicipalityCodeParam>)]
    pub municipality: Option<String>,
    /// First year (observations, targets, follow-ups, budgets).
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub from: Option<String>,
    /// Last year.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub to: Option<String>,
    /// `csv` (the default: UTF-8, `,`, decimal points) or `csv-excel` (byte order mark, `;`,
    /// decimal commas, text that begins like a formula neutralised).
    #[param(value_type = Option<ExportFormatName>)]
    pub format: Option<String>,
}

/// The CSV variants of an export.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ExportFormatName {
    /// Plain CSV.
    Csv,
    /// CSV for Excel.
    CsvExcel,
}

/// The table a file name names, and whether it is gzipped.
fn table_of(file: &str) -> Result<(Table, bool), Problem> {
    let (name, gz) = match (file.strip_suffix(".csv.gz"), file.strip_suffix(".csv")) {
        (Some(name), _) => (name, true),
        (None, Some(name)) => (name, false),
        _ => {
            return Err(Problem::names_nothing(
                "table",
                format!("`{file}` is not an export: ask for TABLE.csv or TABLE.csv.gz, e.g. observations.csv"),
            ))
        }
    };
    let table = Table::parse(name).map_err(|e| Problem::names_nothing("table", e.message))?;
    Ok((table, gz))
}

/// A whole table as CSV, streamed from the database.
#[utoipa::path(
    get,
    path = "/api/v1/export/{file}",
    operation_id = "export_table",
    tag = "exports",
    params(
        ("file" = String, Path, pattern = r"^[a-z_]+\.csv(\.gz)?$",
         description = "TABLE.csv or TABLE.csv.gz: observations, kpis, areas, municipalities, org_units, goals, goal_edges, indicators, goal_indicators, targets, follow_ups, assessments, assignments, budgets."),
        ExportParams
    ),
    responses(
        (status = 200, description = "The table: a header row, then one row per record in the table's key order.", content(
            (String = "text/csv"),
            (Vec<u8> = "application/gzip"),
        )),
        (status = 400, description = "A bad parameter, or a filter the table does not take (named).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such table, or a municipality or indicator the hub does not hold.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export(reads: Reads, Path(file): Path<String>, Params(p): Params<ExportParams>) -> Result<Response, Problem> {
    let (table, gz) = table_of(&file)?;
    let excel = match p.format.as_deref() {
        None | Some("csv") => false,
        Some("csv-excel") => true,
        Some(other) => {
            return Err(Problem::invalid(
                "format",
                format!("`{other}` is not an export format (csv, csv-excel)"),
            ))
        }
    };
    let filter = ExportFilter {
        kpi: p
            .kpi
            .as_deref()
            .map(|k| KpiId::parse(k).map_err(|e| Problem::invalid("kpi", e.message)))
            .transpose()?,
        indicator: p.indicator.as_deref().map(|i| parse_id("indicator", i)).transpose()?,
        area: p.area.as_deref().map(|a| parse_area("area", a)).transpose()?,
        municipality: p
            .municipality
            .as_deref()
            .map(|m| parse_municipality_code("municipality", m).map(str::to_owned))
            .transpose()?,
        from: p.from.as_deref().map(|y| parse_year("from", y)).transpose()?,
        to: p.to.as_deref().map(|y| parse_year("to", y)).transpose()?,
    };
    filter.check(table).map_err(|e| Problem::invalid(&e.field, e.message))?;
    // A municipality or an indicator that does not exist names nothing: a 404, not an empty file.
    let ports = &reads;
    if let Some(code) = &filter.municipality {
        if ports.governance.municipality_by_code(code).await?.is_none() {
            return Err(Problem::names_nothing(
                "municipality",
                format!("municipality: the hub holds no municipality {code}"),
            ));
        }
    }
    if let Some(id) = filter.indicator {
        if ports.indicators.indicators_by_ids(&[IndicatorId(id)]).await?.is_empty() {
            return Err(Problem::names_nothing(
                "indicator",
                format!("indicator: the hub holds no indicator {id}"),
            ));
        }
    }
    let columns: Vec<&str> = table.columns().iter().map(|c| c.name).collect();
    let writer = RowWriter::new(excel, &columns).map_err(|e| RepoError::Internal(format!("cannot write CSV: {e}")))?;
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(IN_FLIGHT);
    let mut sink = Chunks {
        writer,
        gzip: gz.then(|| GzEncoder::new(Vec::new(), flate2::Compression::fast())),
        tx,
    };
    let tables = ports.tables.clone();
    tokio::spawn(async move {
        // The header leaves at once, before the statement's first row.
        if sink.send(false).await.is_err() {
            return;
        }
        match tables.export(table, &filter, &mut sink).await {
            // A client gone before the end stops here too: nobody waits for the rest.
            Ok(_) => {
                let _ = sink.send(true).await;
            }
            Err(e) => {
                tracing::error!(table = table.name(), error = %e, "export failed");
                // The body ends in an error: the client sees a broken transfer, not a short file.
                let _ = sink.tx.send(Err(std::io::Error::other(e.to_string()))).await;
            }
        }
    });
    let body = Body::from_stream(tokio_stream(rx));
    let (media, name) = if gz {
        ("application/gzip", format!("{}.csv.gz", table.name()))
    } else {
        ("text/csv; charset=utf-8; header=present", format!("{}.csv", table.name()))
    };
    let mut res = (([(header::CONTENT_TYPE, HeaderValue::from_static(media))]), body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    // Read anew each time: a table's export is not tagged or kept.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.extensions_mut().insert(crate::rest::Streamed);
    Ok(res)
}

/// The receiving end of the chunks as a body stream.
fn tokio_stream(mut rx: mpsc::Receiver<Result<Bytes, std::io::Error>>) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Writes rows as CSV (gzipped when asked) and sends them in chunks of about [`CHUNK`] bytes.
struct Chunks {
    writer: RowWriter,
    gzip: Option<GzEncoder<Vec<u8>>>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Chunks {
    /// Sends what is written: when `last`, all of it (and the gzip trailer); else what is
    /// pending, if any.
    async fn send(&mut self, last: bool) -> Result<(), Stop> {
        let csv = self.writer.take().map_err(|_| Stop)?;
        let bytes = match &mut self.gzip {
            None => csv,
            Some(gz) => {
                use std::io::Write;
                gz.write_all(&csv).map_err(|_| Stop)?;
                if last {
                    let done = std::mem::replace(gz, GzEncoder::new(Vec::new(), flate2::Compression::fast()));
                    done.finish().map_err(|_| Stop)?
                } else {
                    std::mem::take(gz.get_mut())
                }
            }
        };
        if bytes.is_empty() {
            return Ok(());
        }
        self.tx.send(Ok(Bytes::from(bytes))).await.map_err(|_| Stop)
    }
}

#[async_trait::async_trait]
impl RowSink for Chunks {
    async fn row(&mut self, cells: Vec<Value>) -> Result<(), Stop> {
        let row: Vec<Cell> = cells
            .into_iter()
            .map(|v| match v {
                Value::Null => Cell::Empty,
                Value::Text(s) => Cell::Text(s),
                Value::Int(n) => Cell::Int(n),
                Value::Num(x) => Cell::Num(Some(x)),
                Value::Bool(b) => Cell::Bool(b),
            })
            .collect();
        self.writer.row(&row).map_err(|_| Stop)?;
        if self.writer.pending() >= CHUNK {
            self.send(false).await?;
        }
        Ok(())
    }
}
