//! Transport retries, apart from reasking: 408, 409, 429, 5xx (529 included),
//! connection failures (also a body cut off while it is read) and request timeouts
//! back off exponentially with jitter, honouring `retry-after-ms` / `retry-after`
//! (capped) and `x-should-retry`. 400, 401, 403, 404 and `insufficient_quota` are
//! final. Only the provider layer retries, so a request the server rejected is never
//! sent again by the reask loop for that reason.
//!
//! As the official OpenAI SDK does (`_base_client.py`: a timeout or any other failure
//! while sending or reading a non-streamed response is retried, then raised as
//! `APITimeoutError` / `APIConnectionError`), a timeout and a non-streamed body that
//! breaks while it is read are retried. A stream that breaks after its first event
//! is not: what it delivered has been handed out already.
//!
//! # Server-requested waits
//! A wait read from a server (`retry-after-ms`, `retry-after` in seconds or as an
//! HTTP date, Gemini's `RetryInfo.retryDelay` in an error body) is bounded before
//! use: a negative, NaN or infinite value, a date that cannot be read, or any other
//! text is no hint at all; a value above [`MAX_SERVER_DELAY`] (`1e30`, a date
//! centuries away) reads as that cap; a date in the past reads as zero. The retry
//! loop then waits at most [`RetryPolicy::max_delay`]; [`HttpError::retry_after`]
//! (in `instructor_core`) reports the bounded hint.
//!
//! [`HttpError::retry_after`]: instructor_core::HttpError::retry_after

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use instructor_core::Error;
use reqwest::header::HeaderMap;

/// The longest wait a server's hint can ask for (10 minutes): a longer one is read
/// as this.
pub const MAX_SERVER_DELAY: Duration = Duration::from_secs(600);

/// How transport failures are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
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
    /// `max_retries` retries after the first try, backing off from `initial_delay`
    /// up to `max_delay` (also the cap on a server's `retry-after`).
    pub fn new(max_retries: u32, initial_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_retries,
            initial_delay,
            max_delay,
        }
    }

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
            None => is_transient(error),
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

    /// Exponential backoff with ±25% jitter, at most [`Self::max_delay`].
    pub fn backoff(&self, retries: u32) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(retries))
            .min(self.max_delay);
        let jitter = 0.75 + 0.5 * unit_random();
        Duration::try_from_secs_f64(base.as_secs_f64() * jitter)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// A failure another try may not meet: an HTTP status the server says is temporary,
/// a connection that failed or broke, a request that timed out.
fn is_transient(error: &Error) -> bool {
    error.is_retryable() || matches!(error, Error::Timeout(_))
}

fn is_quota(error: &Error) -> bool {
    matches!(error, Error::Http(h) if h.code.as_deref() == Some("insufficient_quota"))
}

/// The delay a server asked for: `retry-after-ms`, else `retry-after` in seconds or
/// as an HTTP date; bounded (see the module docs). A header that holds no valid
/// hint is passed over.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(delay) = get("retry-after-ms").and_then(|v| seconds_delay(v, 1000.0)) {
        return Some(delay);
    }
    let value = get("retry-after")?.trim();
    seconds_delay(value, 1.0).or_else(|| http_date_delay(value))
}

/// A number of seconds (`unit` of them make a second) written by a server, as a
/// bounded wait: `None` unless it is a non-negative number; at most
/// [`MAX_SERVER_DELAY`].
pub(crate) fn seconds_delay(text: &str, unit: f64) -> Option<Duration> {
    let text = text.trim();
    let value: f64 = text.parse().ok()?;
    if value.is_nan() || value < 0.0 {
        return None;
    }
    if value.is_infinite() {
        // Digits too large for an f64 (`1e400`) ask for a very long wait; the word
        // `inf` asks for nothing a number can say.
        let word = text.trim_start_matches('+');
        return (!word.eq_ignore_ascii_case("inf") && !word.eq_ignore_ascii_case("infinity"))
            .then_some(MAX_SERVER_DELAY);
    }
    let delay = Duration::try_from_secs_f64(value / unit).unwrap_or(MAX_SERVER_DELAY);
    Some(delay.min(MAX_SERVER_DELAY))
}

/// The time until an HTTP date (IMF-fixdate, RFC 850 or asctime), at most
/// [`MAX_SERVER_DELAY`]; zero for a date in the past.
fn http_date_delay(value: &str) -> Option<Duration> {
    let target = httpdate::parse_http_date(value).ok()?;
    let delay = target
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(delay.min(MAX_SERVER_DELAY))
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

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
            // From bytes: non-ASCII (obs-text) arrives as a server may send it.
            if let Ok(value) = reqwest::header::HeaderValue::from_bytes(value.as_bytes()) {
                map.insert(name, value);
            }
        }
        map
    }

    #[test]
    fn huge_or_odd_waits_are_bounded_not_a_panic() {
        // The fuzz findings: each used to panic in `Duration::from_secs_f64` or
        // overflow in the date arithmetic.
        let cases = [
            (("retry-after-ms", "1e30"), Some(MAX_SERVER_DELAY)),
            (("retry-after", "1e20"), Some(MAX_SERVER_DELAY)),
            (("retry-after", "1e400"), Some(MAX_SERVER_DELAY)),
            (
                ("retry-after", "18446744073709551616"),
                Some(MAX_SERVER_DELAY),
            ),
            (("retry-after", "Wed, 21 Oct 99999 07:28:00 GMT"), None),
            (
                (
                    "retry-after",
                    "Wed, 21 Oct 2015 99999999999999999:28:00 GMT",
                ),
                None,
            ),
            (
                ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
                Some(MAX_SERVER_DELAY),
            ),
            (("retry-after", "-1"), None),
            (("retry-after", "NaN"), None),
            (("retry-after", "inf"), None),
            (("retry-after-ms", "-infinity"), None),
            (("retry-after", "soon"), None),
            (("retry-after", "0"), Some(Duration::ZERO)),
            (("retry-after", " 1.5 "), Some(Duration::from_millis(1500))),
        ];
        for ((name, value), expected) in cases {
            assert_eq!(
                retry_after(&headers(&[(name, value)])),
                expected,
                "{name}: {value}"
            );
        }
        assert_eq!(
            retry_after(&headers(&[
                ("retry-after-ms", "soon"),
                ("retry-after", "2")
            ])),
            Some(Duration::from_secs(2)),
            "an unreadable retry-after-ms gives way to retry-after"
        );
        let far = RetryPolicy {
            max_delay: Duration::MAX,
            ..RetryPolicy::default()
        };
        for retries in [0, 1, 31, 32, 1000, u32::MAX] {
            assert!(far.backoff(retries) <= Duration::MAX);
        }
    }

    #[test]
    fn timeouts_and_broken_connections_are_retried() {
        let policy = RetryPolicy::default();
        let timeout = Error::Timeout(Duration::from_secs(1));
        let dropped = Error::Connection("connection reset".into());
        assert!(policy.delay_for(&timeout, None, 0).is_some());
        assert!(policy.delay_for(&dropped, None, 1).is_some());
        assert!(
            policy.delay_for(&timeout, None, 2).is_none(),
            "budget spent"
        );
        assert!(
            policy
                .delay_for(&Error::response("bad JSON".to_owned()), None, 0)
                .is_none()
        );
    }

    /// Header text a hostile server might send: numbers of every size and sign,
    /// HTTP dates with absurd fields, words, unicode.
    fn arb_wait_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            any::<f64>().prop_map(|f| f.to_string()),
            any::<f64>().prop_map(|f| format!("{f:e}")),
            any::<i128>().prop_map(|n| n.to_string()),
            any::<u128>().prop_map(|n| format!("{n}.{n}")),
            (0u32..400, -10_000i64..10_000).prop_map(|(e, m)| format!("{m}e{e}")),
            (
                prop::sample::select(vec!["Mon", "Sun", "Xyz", ""]),
                any::<i64>(),
                prop::sample::select(vec!["Jan", "Feb", "Dec", "Foo"]),
                any::<i64>(),
                any::<i64>(),
                any::<i64>(),
                any::<i64>(),
            )
                .prop_map(|(wd, d, mo, y, h, mi, s)| format!(
                    "{wd}, {d:02} {mo} {y} {h:02}:{mi:02}:{s:02} GMT"
                )),
            (1970i64..10_000, 0u32..30, 0u32..24)
                .prop_map(|(y, d, h)| format!("Tue, {:02} Mar {y} {h:02}:00:00 GMT", d + 1)),
            "[ -~]{0,40}",
            "\\PC{0,20}",
            prop::sample::select(vec![
                "inf", "-inf", "+inf", "Infinity", "NaN", "-0", "1e-400", "0x10", "1_000", "", " ",
                "+5", ".5", "5.",
            ])
            .prop_map(str::to_owned),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_server_wait_is_bounded_or_none(
            ms in arb_wait_text(),
            secs in arb_wait_text(),
            delay in arb_wait_text(),
            use_ms in proptest::bool::ANY,
        ) {
            let mut pairs = vec![("retry-after", secs.as_str())];
            if use_ms {
                pairs.push(("retry-after-ms", ms.as_str()));
            }
            if let Some(wait) = retry_after(&headers(&pairs)) {
                proptest::prop_assert!(wait <= MAX_SERVER_DELAY, "{wait:?} from {pairs:?}");
            }
            let body = serde_json::json!({"error": {"code": 429, "message": "slow down",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": format!("{delay}s")}]}});
            let error = super::super::error::parse_error_body(429, body.to_string().as_bytes());
            if let Some(wait) = error.retry_after {
                proptest::prop_assert!(wait <= MAX_SERVER_DELAY, "{wait:?} from {delay:?}");
            }
            let policy = RetryPolicy::default();
            let http = Error::Http(Box::new(error));
            if let Some(wait) = policy.delay_for(&http, None, 0) {
                proptest::prop_assert!(wait <= policy.max_delay);
            }
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
