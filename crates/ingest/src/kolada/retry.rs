//! When to try a request again, and how long to wait first.
//!
//! Retried: timeouts and connection errors, 429 (after `Retry-After` seconds when sent), 5xx,
//! and bodies that are not Kolada JSON (HTML during outages, truncated JSON). Not retried: other
//! 4xx (a bad request stays bad) and rows of the wrong type (the same page would come again).

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::IngestError;

/// The longest `Retry-After` honoured: a server asking for more is treated as asking for this,
/// so that one header cannot park a sync for hours.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    /// The wait before the first retry, before jitter.
    pub(crate) base: Duration,
    /// The longest wait, before jitter.
    pub(crate) max: Duration,
}

impl Backoff {
    /// The wait before retry number `retry` (1 for the first): `base · 2^(retry-1)`, capped at
    /// `max`, then drawn uniformly from its upper half. The jitter keeps concurrent requests that
    /// failed together from retrying together; the floor of half keeps the growth.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let exp = self.base.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let capped = exp.min(self.max);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// `Retry-After` in seconds. The HTTP-date form is not used by Kolada's front end as far as
/// known; when sent, the ordinary backoff applies instead.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// A failed try that may be retried.
#[derive(Debug)]
pub(crate) struct Retryable {
    /// The status, when a response arrived.
    pub(crate) status: Option<u16>,
    /// What went wrong.
    pub(crate) message: String,
    /// Whether the body was the problem (the error is then `Malformed`, not `Http`).
    pub(crate) bad_body: bool,
    /// The server's `Retry-After`, when sent with a 429 or 503.
    pub(crate) retry_after: Option<Duration>,
}

impl Retryable {
    /// The error once the tries have run out, naming the URL, the last status and the count.
    pub(crate) fn give_up(self, url: &str, tries: u32) -> IngestError {
        let message = format!("gave up after {tries} tries; last: {}", self.message);
        if self.bad_body {
            let status = self.status.map(|s| format!(" (status {s})")).unwrap_or_default();
            IngestError::Malformed {
                url: url.to_owned(),
                message: format!("{message}{status}"),
            }
        } else {
            IngestError::Http {
                url: url.to_owned(),
                status: self.status,
                message,
            }
        }
    }
}

/// Whether a status is worth another try.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// Describes a transport error without the URL (the caller's error names it once).
pub(crate) fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("timed out after {} ms", timeout.as_millis())
    } else if err.is_connect() {
        format!("connection failed: {}", root_cause(err))
    } else {
        root_cause(err)
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_cap() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let first = b.delay(1);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let third = b.delay(3);
            assert!(
                third >= Duration::from_millis(200) && third <= Duration::from_millis(400),
                "{third:?}"
            );
            assert!(b.delay(30) <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, "86400".parse().unwrap());
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn only_429_and_5xx_are_retried() {
        assert!(is_retryable_status(429));
        assert!(is_retryable_status(503));
        assert!(!is_retryable_status(400));
        assert!(!is_retryable_status(404));
        assert!(!is_retryable_status(410));
    }

    #[test]
    fn giving_up_names_the_url_status_and_tries() {
        let err = Retryable {
            status: Some(503),
            message: "server error".into(),
            bad_body: false,
            retry_after: None,
        }
        .give_up("http://h/v3/kpi", 4);
        let text = err.to_string();
        assert!(
            text.contains("http://h/v3/kpi") && text.contains("503") && text.contains("4 tries"),
            "{text}"
        );
    }
}
