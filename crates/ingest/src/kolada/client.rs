//! The Kolada client: configuration, the endpoints, and the request loop that ties paging,
//! retries, the rate limit and the concurrency bound together.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use styrhub_domain::ids::{AreaCode, KpiId};
use styrhub_domain::observation::NewObservation;
use tokio::sync::{mpsc, Semaphore};

use super::model::{self, AreaMeta, Group, KpiMeta, OuMeta};
use super::paging::{parse_page, snippet, BodyError, Pager, ParsedPage};
use super::query::{checked, chunks, endpoint, DataQuery, MAX_PER_PAGE};
use super::rate::RateLimiter;
use super::retry::{describe, is_retryable_status, retry_after, Backoff, Retryable};
use super::stats::{Counters, FetchStats, Meter};
use crate::error::IngestError;

/// The `User-Agent` sent with every request, so that Kolada's operators can tell who calls.
pub const USER_AGENT: &str = concat!("styrhub/", env!("CARGO_PKG_VERSION"), " (+https://github.com/styrhub/styrhub)");

/// Kolada's current API, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.kolada.se/v3";

/// How the client talks to Kolada. [`Default`] is polite to the real service; tests shorten the
/// timeout and the backoff.
#[derive(Debug, Clone, PartialEq)]
pub struct KoladaConfig {
    /// The API root, e.g. `https://api.kolada.se/v3`; a v2 root (or a mirror) works the same.
    pub base_url: String,
    /// Requests in flight at once, across all calls on this client (default 2).
    pub concurrency: usize,
    /// Requests started per second, retries and page follows included (default 5).
    pub requests_per_second: f64,
    /// Tries per request before giving up, the first included (default 5).
    pub max_tries: u32,
    /// Timeout of one try, from sending to the end of the body (default 30 s).
    pub timeout: Duration,
    /// Rows per page, at most 5000 (Kolada's cap and default).
    pub per_page: u32,
    /// Wait before the first retry, doubled for each further one, with jitter (default 500 ms).
    pub backoff_base: Duration,
    /// The longest wait between tries, unless `Retry-After` asks for longer (default 30 s).
    pub backoff_max: Duration,
}

impl Default for KoladaConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            concurrency: 2,
            requests_per_second: 5.0,
            max_tries: 5,
            timeout: Duration::from_secs(30),
            per_page: MAX_PER_PAGE,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// One page of data as it arrived: the observations of its rows, one per gender entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The URL the page came from.
    pub url: String,
    /// Source Kolada, series the row's KPI, area the municipality or unit.
    pub observations: Vec<NewObservation>,
}

/// A Kolada API client. Cheap to clone: clones share the connection pool, the rate limit, the
/// concurrency bound and the running totals.
#[derive(Debug, Clone)]
pub struct KoladaClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: Url,
    cfg: KoladaConfig,
    limiter: RateLimiter,
    permits: Semaphore,
    backoff: Backoff,
    totals: Counters,
}

/// A response that arrived with a 2xx status.
struct Arrived {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// Why a try did not give a 2xx response.
enum TryFailed {
    Retry(Retryable),
    Fatal(IngestError),
}

impl KoladaClient {
    /// A client for `cfg`, checked: the base URL must be http(s), the numbers positive and
    /// `per_page` at most 5000.
    pub fn new(cfg: KoladaConfig) -> Result<Self, IngestError> {
        let base = Url::parse(cfg.base_url.trim()).map_err(|e| IngestError::Invalid(format!("base URL `{}`: {e}", cfg.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(IngestError::Invalid(format!("base URL `{}` is not an http(s) URL", cfg.base_url)));
        }
        if cfg.concurrency == 0 {
            return Err(IngestError::Invalid("concurrency must be at least 1".into()));
        }
        if !(cfg.requests_per_second.is_finite() && cfg.requests_per_second > 0.0) {
            return Err(IngestError::Invalid(format!(
                "requests per second must be a positive number, not {}",
                cfg.requests_per_second
            )));
        }
        if cfg.max_tries == 0 {
            return Err(IngestError::Invalid("max tries must be at least 1".into()));
        }
        if cfg.timeout.is_zero() {
            return Err(IngestError::Invalid("the timeout must be longer than zero".into()));
        }
        if cfg.per_page == 0 || cfg.per_page > MAX_PER_PAGE {
            return Err(IngestError::Invalid(format!(
                "per_page must be between 1 and {MAX_PER_PAGE} (Kolada's cap), not {}",
                cfg.per_page
            )));
        }
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .build()
            .map_err(|e| IngestError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                limiter: RateLimiter::new(cfg.requests_per_second),
                permits: Semaphore::new(cfg.concurrency),
                backoff: Backoff {
                    base: cfg.backoff_base,
                    max: cfg.backoff_max,
                },
                totals: Counters::default(),
                cfg,
            }),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &KoladaConfig {
        &self.inner.cfg
    }

    /// Totals over every call on this client (and its clones) so far.
    pub fn stats(&self) -> FetchStats {
        self.inner.totals.snapshot()
    }

    /// KPI metadata: the listed ids (25 per request), or the whole catalogue when `None` (about
    /// 6,100 KPIs, more than one page). Unknown ids are simply absent from the answer.
    pub async fn kpis(&self, ids: Option<&[String]>) -> Result<Vec<KpiMeta>, IngestError> {
        let ids = ids
            .map(|ids| {
                checked("KPI", ids, |s| {
                    KpiId::parse(s).map(|k| k.as_str().to_owned()).map_err(|e| e.message)
                })
            })
            .transpose()?;
        self.metadata("kpi", ids, model::kpi).await
    }

    /// KPI groups with their member KPIs.
    pub async fn kpi_groups(&self) -> Result<Vec<Group>, IngestError> {
        self.metadata("kpi_groups", None, model::group).await
    }

    /// Municipalities, regions and the country (`0000`): the listed codes (25 per request), or
    /// all of them when `None`.
    pub async fn municipalities(&self, ids: Option<&[String]>) -> Result<Vec<AreaMeta>, IngestError> {
        let ids = ids.map(|ids| checked("municipality", ids, municipality_code)).transpose()?;
        self.metadata("municipality", ids, model::area).await
    }

    /// Municipality groups with their members.
    pub async fn municipality_groups(&self) -> Result<Vec<Group>, IngestError> {
        self.metadata("municipality_groups", None, model::group).await
    }

    /// Organisational units of the listed municipalities (25 per request), or every unit in
    /// Kolada when the list is empty.
    pub async fn ous(&self, municipalities: &[String]) -> Result<Vec<OuMeta>, IngestError> {
        let codes = checked("municipality", municipalities, municipality_code)?;
        let per_page = ("per_page", self.inner.cfg.per_page.to_string());
        let urls: Vec<Url> = if codes.is_empty() {
            vec![self.url(&["ou"], vec![per_page])]
        } else {
            chunks(&codes)
                .into_iter()
                .map(|chunk| self.url(&["ou"], vec![("municipality", chunk), per_page.clone()]))
                .collect()
        };
        self.collect_all(urls, model::ou).await
    }

    /// Fetches the values `q` asks for and hands each page to `on_page` as soon as it is parsed,
    /// so that the caller can write batch by batch with flat memory. The query is split into
    /// requests of at most 25 values per list, run `concurrency` at a time, each followed to its
    /// last page; pages of different requests may interleave. Pages with no observations are not
    /// handed over. At most `concurrency` parsed pages wait for `on_page` at a time, which holds
    /// the fetching back when writing is slower.
    ///
    /// Returns this call's counts. An error from `on_page` stops the fetch at once and is
    /// returned unchanged; a fetch error is returned after the pages already parsed have been
    /// handed over.
    pub async fn data<F, Fut>(&self, q: &DataQuery, mut on_page: F) -> Result<FetchStats, IngestError>
    where
        F: FnMut(Page) -> Fut,
        Fut: Future<Output = Result<(), IngestError>>,
    {
        let paths = q.paths()?;
        let mut query = Vec::new();
        if let Some(date) = q.from_date {
            query.push(("from_date", date.format("%Y-%m-%d").to_string()));
        }
        query.push(("per_page", self.inner.cfg.per_page.to_string()));
        let urls: Vec<Url> = paths.iter().map(|p| endpoint(&self.inner.base, p, &query)).collect();
        tracing::debug!(requests = urls.len(), ou = q.ou, "fetching Kolada data");

        let meter = Meter::new(&self.inner.totals);
        let concurrency = self.inner.cfg.concurrency;
        let (tx, mut rx) = mpsc::channel::<Page>(concurrency);
        let ou = q.ou;
        let meter_ref = &meter;
        let producer = async move {
            // Owned here so that the channel closes when the last request is done.
            let tx = tx;
            futures_util::stream::iter(urls)
                .map(|url| self.data_request(url, ou, meter_ref, &tx))
                .buffer_unordered(concurrency)
                .try_for_each(|()| async { Ok(()) })
                .await
        };
        let consumer = async {
            while let Some(page) = rx.recv().await {
                on_page(page).await?;
            }
            Ok::<(), IngestError>(())
        };
        let mut producer = pin!(producer);
        let mut consumer = pin!(consumer);
        let mut produced = None;
        loop {
            tokio::select! {
                r = &mut producer, if produced.is_none() => produced = Some(r),
                c = &mut consumer => {
                    // The caller's error wins, and dropping the producer cancels what is in flight.
                    c?;
                    break;
                }
            }
        }
        // The consumer ends only when the channel closes, which the producer's end causes.
        match produced {
            Some(r) => r?,
            None => producer.await?,
        }
        Ok(meter.stats())
    }

    /// One request of a data query, followed to its last page.
    async fn data_request(&self, first: Url, ou: bool, meter: &Meter<'_>, tx: &mpsc::Sender<Page>) -> Result<(), IngestError> {
        let mut pager = Pager::new(first);
        while let Some(url) = pager.next_url() {
            let page = self.fetch_page(&url, meter, |raw, out| model::observations(raw, ou, out)).await?;
            pager.advance(&url, page.rows, page.next.as_deref())?;
            meter.observations(page.items.len() as u64);
            if !page.items.is_empty() {
                let page = Page {
                    url: url.to_string(),
                    observations: page.items,
                };
                tx.send(page)
                    .await
                    .map_err(|_| IngestError::Write("the page handler stopped before the fetch ended".into()))?;
            }
        }
        Ok(())
    }

    /// A metadata route, whole (`ids` is `None`) or by id lists of at most 25.
    async fn metadata<T>(
        &self,
        route: &str,
        ids: Option<Vec<String>>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, IngestError> {
        let per_page = ("per_page", self.inner.cfg.per_page.to_string());
        let urls: Vec<Url> = match ids {
            None => vec![self.url(&[route], vec![per_page])],
            Some(ids) => chunks(&ids)
                .into_iter()
                .map(|chunk| self.url(&[route, &chunk], vec![per_page.clone()]))
                .collect(),
        };
        self.collect_all(urls, parse).await
    }

    /// Fetches every page of every URL (`concurrency` at a time), in the order of `urls`.
    async fn collect_all<T>(&self, urls: Vec<Url>, parse: fn(&str) -> Result<T, String>) -> Result<Vec<T>, IngestError> {
        let meter = Meter::new(&self.inner.totals);
        let meter = &meter;
        let lists: Vec<Vec<T>> = futures_util::stream::iter(urls)
            .map(|url| async move {
                let mut out = Vec::new();
                let mut pager = Pager::new(url);
                while let Some(url) = pager.next_url() {
                    let page = self
                        .fetch_page(&url, meter, |raw, items| {
                            items.push(parse(raw)?);
                            Ok(())
                        })
                        .await?;
                    pager.advance(&url, page.rows, page.next.as_deref())?;
                    out.extend(page.items);
                }
                Ok::<_, IngestError>(out)
            })
            .buffered(self.inner.cfg.concurrency)
            .try_collect()
            .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    fn url(&self, segments: &[&str], query: Vec<(&str, String)>) -> Url {
        let segments: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
        endpoint(&self.inner.base, &segments, &query)
    }

    /// Fetches and parses one page, trying again as the retry policy allows.
    async fn fetch_page<O>(
        &self,
        url: &Url,
        meter: &Meter<'_>,
        convert: impl Fn(&str, &mut Vec<O>) -> Result<(), String>,
    ) -> Result<ParsedPage<O>, IngestError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let failure = match self.try_once(url, meter).await {
                Ok(arrived) => match parse_page(url.as_str(), &arrived.body, &convert) {
                    Ok(page) => {
                        meter.page();
                        return Ok(page);
                    }
                    Err(BodyError::Row(e)) => return Err(e),
                    Err(BodyError::Envelope(message)) => Retryable {
                        status: Some(arrived.status),
                        message: format!(
                            "{message}; body ({}): {}",
                            arrived.content_type,
                            snippet(&String::from_utf8_lossy(&arrived.body), 200)
                        ),
                        bad_body: true,
                        retry_after: None,
                    },
                },
                Err(TryFailed::Fatal(e)) => return Err(e),
                Err(TryFailed::Retry(r)) => r,
            };
            if tries >= self.inner.cfg.max_tries {
                return Err(failure.give_up(url.as_str(), tries));
            }
            let delay = failure.retry_after.unwrap_or_else(|| self.inner.backoff.delay(tries));
            tracing::warn!(
                url = %url,
                tries,
                status = failure.status,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %failure.message,
                "Kolada request failed, retrying: {url}"
            );
            meter.retry();
            tokio::time::sleep(delay).await;
        }
    }

    /// One try: waits for a concurrency permit and a rate slot, sends, reads the whole body.
    async fn try_once(&self, url: &Url, meter: &Meter<'_>) -> Result<Arrived, TryFailed> {
        let inner = &self.inner;
        // Held until the body is read, not during backoff: a waiting retry does not block others.
        let _permit = inner
            .permits
            .acquire()
            .await
            .map_err(|_| TryFailed::Fatal(IngestError::Invalid("the client was shut down".into())))?;
        inner.limiter.acquire().await;
        meter.request();
        let started = tokio::time::Instant::now();
        let transport = |e: reqwest::Error, status: Option<u16>| {
            if e.is_builder() {
                TryFailed::Fatal(IngestError::Http {
                    url: url.to_string(),
                    status,
                    message: e.to_string(),
                })
            } else {
                TryFailed::Retry(Retryable {
                    status,
                    message: describe(&e, inner.cfg.timeout),
                    bad_body: false,
                    retry_after: None,
                })
            }
        };
        let response = inner.http.get(url.clone()).send().await.map_err(|e| transport(e, None))?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers());
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_owned();
        let body = response.bytes().await.map_err(|e| transport(e, Some(status)))?.to_vec();
        tracing::debug!(
            url = %url,
            status,
            bytes = body.len(),
            duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Kolada response"
        );
        if (200..300).contains(&status) {
            return Ok(Arrived {
                status,
                content_type,
                body,
            });
        }
        let text = snippet(&String::from_utf8_lossy(&body), 200);
        if is_retryable_status(status) {
            Err(TryFailed::Retry(Retryable {
                status: Some(status),
                message: format!("status {status}: {text}"),
                bad_body: false,
                retry_after: wait,
            }))
        } else {
            Err(TryFailed::Fatal(IngestError::Http {
                url: url.to_string(),
                status: Some(status),
                message: format!("not retried: {text}"),
            }))
        }
    }
}

/// A municipality or region code (four digits, leading zeros kept).
fn municipality_code(s: &str) -> Result<String, String> {
    let code = AreaCode::parse(s).map_err(|e| e.message)?;
    if code.is_municipality() {
        Ok(code.as_str().to_owned())
    } else {
        Err(format!("`{code}` is not a municipality code (four digits, such as 1489)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_names_styrhub_and_its_version() {
        assert!(USER_AGENT.starts_with(&format!("styrhub/{} ", env!("CARGO_PKG_VERSION"))));
        assert!(USER_AGENT.ends_with("(+https://github.com/styrhub/styrhub)"));
    }

    #[test]
    fn the_default_config_is_polite_to_kolada() {
        let cfg = KoladaConfig::default();
        assert_eq!(cfg.base_url, "https://api.kolada.se/v3");
        assert_eq!((cfg.concurrency, cfg.per_page), (2, 5000));
        assert_eq!(cfg.requests_per_second, 5.0);
        assert_eq!(cfg.timeout, Duration::from_secs(30));
        assert!(KoladaClient::new(cfg).is_ok());
    }

    #[test]
    fn a_bad_config_is_refused_with_a_reason() {
        let bad = |f: fn(&mut KoladaConfig)| {
            let mut cfg = KoladaConfig::default();
            f(&mut cfg);
            KoladaClient::new(cfg).unwrap_err()
        };
        assert!(bad(|c| c.per_page = 5001).to_string().contains("5000"));
        assert!(bad(|c| c.concurrency = 0).to_string().contains("concurrency"));
        assert!(bad(|c| c.requests_per_second = 0.0).to_string().contains("per second"));
        assert!(bad(|c| c.max_tries = 0).to_string().contains("tries"));
        assert!(bad(|c| c.base_url = "ftp://x/v3".into()).to_string().contains("http"));
        assert!(bad(|c| c.base_url = "not a url".into()).to_string().contains("base URL"));
    }

    #[tokio::test]
    async fn metadata_ids_are_checked_before_anything_is_sent() {
        // Port 9 (discard) on loopback: nothing listens, and nothing should be sent anyway.
        let client = KoladaClient::new(KoladaConfig {
            base_url: "http://127.0.0.1:9/v3".into(),
            ..KoladaConfig::default()
        })
        .unwrap();
        let err = client.kpis(Some(&["N01951".into(), "drop table".into()])).await.unwrap_err();
        assert!(matches!(err, IngestError::Invalid(m) if m.contains("drop table")));
        let err = client.ous(&["V15E108000701".into()]).await.unwrap_err();
        assert!(matches!(err, IngestError::Invalid(_)));
        assert_eq!(client.stats().requests, 0);
        assert!(client.kpis(Some(&[])).await.unwrap().is_empty(), "no ids, no request");
    }
}
