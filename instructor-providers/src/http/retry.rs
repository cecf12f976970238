//! Transport retries, apart from reasking: 408, 409, 429, 5xx (529 included) and
//! connection failures back off exponentially with jitter, honouring
//! `retry-after-ms` / `retry-after` (capped) and `x-should-retry`. 400, 401, 403, 404
//! and `insufficient_quota` are final. Only the provider layer retries, so a request
//! the server rejected is never sent again by the reask loop for that reason.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use instructor_core::Error;
use reqwest::header::HeaderMap;

/// How transport failures are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first try (the OpenAI SDK's default is 2).
    pub max_retries: u32,
    /// The first backoff delay.
    pub initial_delay: Duration,
    /// The largest backoff delay, and the cap on a server's `retry-after`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// No transport retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How long to wait before retry number `retries + 1`, or `None` to give up.
    pub fn delay_for(
        &self,
        error: &Error,
        should_retry: Option<bool>,
        retries: u32,
    ) -> Option<Duration> {
        if retries >= self.max_retries {
            return None;
        }
        let retryable = match should_retry {
            Some(explicit) => explicit && !is_quota(error),
            None => error.is_retryable(),
        };
        if !retryable {
            return None;
        }
        if let Error::Http(http) = error
            && let Some(after) = http.retry_after
        {
            return Some(after.min(self.max_delay));
        }
        Some(self.backoff(retries))
    }

    /// Exponential backoff with ±25% jitter.
    pub fn backoff(&self, retries: u32) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(retries))
            .min(self.max_delay);
        let jitter = 0.75 + 0.5 * unit_random();
        base.mul_f64(jitter).min(self.max_delay)
    }
}

fn is_quota(error: &Error) -> bool {
    matches!(error, Error::Http(h) if h.code.as_deref() == Some("insufficient_quota"))
}

/// The delay a server asked for: `retry-after-ms`, else `retry-after` in seconds or
/// as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return (ms >= 0.0 && ms.is_finite()).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    let value = get("retry-after")?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs >= 0.0 && secs.is_finite()).then(|| Duration::from_secs_f64(secs));
    }
    http_date_delay(value)
}

/// Seconds until an IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`).
fn http_date_delay(value: &str) -> Option<Duration> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let target = days * 86_400 + h * 3600 + m * 60 + s;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(Duration::from_secs(
        u64::try_from(target - now).unwrap_or(0),
    ))
}

/// A number in [0, 1) from a small xorshift seeded by the clock (jitter only).
fn unit_random() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64) | 1,
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::http_error;

    fn http(status: u16, code: Option<&str>) -> Error {
        let mut e = http_error(status, "x");
        e.code = code.map(str::to_owned);
        Error::Http(Box::new(e))
    }

    #[test]
    fn retries_only_transient_failures() {
        let policy = RetryPolicy::default();
        for status in [408, 409, 429, 500, 502, 503, 529] {
            assert!(
                policy.delay_for(&http(status, None), None, 0).is_some(),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 422] {
            assert!(
                policy.delay_for(&http(status, None), None, 0).is_none(),
                "{status}"
            );
        }
        assert!(
            policy
                .delay_for(&http(429, Some("insufficient_quota")), None, 0)
                .is_none()
        );
        assert!(
            policy
                .delay_for(&http(429, Some("insufficient_quota")), Some(true), 0)
                .is_none()
        );
        assert!(
            policy.delay_for(&http(400, None), Some(true), 0).is_some(),
            "x-should-retry wins"
        );
        assert!(
            policy.delay_for(&http(503, None), Some(false), 0).is_none(),
            "x-should-retry wins"
        );
        assert!(
            policy.delay_for(&http(500, None), None, 2).is_none(),
            "budget spent"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        for retries in 0..10 {
            let d = policy.backoff(retries);
            assert!(d <= policy.max_delay);
            assert!(
                d >= policy
                    .initial_delay
                    .mul_f64(0.75)
                    .min(policy.max_delay.mul_f64(0.75))
            );
        }
    }

    #[test]
    fn retry_after_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        let mut dated = HeaderMap::new();
        dated.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&dated),
            Some(Duration::ZERO),
            "a past date means now"
        );
    }
}
