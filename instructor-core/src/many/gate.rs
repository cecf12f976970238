//! [`TransportGate`]: the hook between a run of many calls and a provider's HTTP
//! loop. The provider awaits [`TransportGate::ready`] before every HTTP attempt
//! (first try and transport retries) and reports each failed attempt with
//! [`TransportGate::attempt_failed`], so one 429 pauses the whole run instead of
//! every in-flight call finding the limit on its own.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::rate_limit::RateLimit;
use crate::error::Error;
use crate::limits::Meters;

/// How long a 429 with no delay of its own pauses the run.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

/// Paces and pauses the HTTP attempts of one call of a
/// [`create_many`](crate::Client::create_many) run. Carried on
/// [`ProviderRequest::gate`](crate::provider::ProviderRequest::gate); a provider
/// that sends over HTTP awaits [`ready`](Self::ready) before each attempt and calls
/// [`attempt_failed`](Self::attempt_failed) after each failed one. Transport retries
/// stay the provider's; the gate only says when an attempt may go.
///
/// It also carries the call's usage limits: a provider asks
/// [`admit_retry`](Self::admit_retry) before each transport retry, so retries count
/// against [`UsageLimits`](crate::UsageLimits) like attempts do.
#[derive(Clone)]
pub struct TransportGate {
    /// The run's rate limit (`None` for a single call with usage limits).
    limit: Option<RateLimit>,
    call: Arc<Charge>,
    /// The usage limits the call answers to.
    meters: Meters,
}

/// What one call was charged.
struct Charge {
    /// Estimated tokens of one attempt.
    estimate: u64,
    /// Tokens taken from the limiter so far (every attempt).
    charged: AtomicU64,
}

impl TransportGate {
    /// A gate for one call expected to use `estimate` tokens per attempt.
    pub(crate) fn new(limit: RateLimit, estimate: u64) -> Self {
        Self {
            limit: Some(limit),
            call: Arc::new(Charge {
                estimate,
                charged: AtomicU64::new(0),
            }),
            meters: Meters::default(),
        }
    }

    /// A gate that only counts transport retries against usage limits.
    pub(crate) fn for_limits(meters: Meters) -> Self {
        Self {
            limit: None,
            call: Arc::new(Charge {
                estimate: 0,
                charged: AtomicU64::new(0),
            }),
            meters,
        }
    }

    /// The same gate, also answering to `meters`.
    pub(crate) fn with_meters(mut self, meters: Meters) -> Self {
        self.meters = meters;
        self
    }

    /// Counts a transport retry about to be sent against the call's usage limits,
    /// or refuses it ([`Error::UsageLimitExceeded`], with the usage so far) when it
    /// would cross one. Call it before each retry (not the first try, which the
    /// caller already counted).
    pub fn admit_retry(&self) -> Result<(), Error> {
        self.meters.admit_retry()
    }

    /// Waits until this call may send an HTTP attempt: out of any pause a 429 set,
    /// and within the run's rate limit (one request, and this call's estimated
    /// tokens). Await it before every attempt, retries included.
    pub async fn ready(&self) {
        let Some(limit) = &self.limit else {
            return;
        };
        limit.wait_unpaused().await;
        limit.acquire(self.call.estimate).await;
        self.call
            .charged
            .fetch_add(self.call.estimate, Ordering::Relaxed);
        // A 429 may have paused the run while this call waited for its turn.
        limit.wait_unpaused().await;
    }

    /// Reports a failed attempt and the delay before its retry (`None`: no retry).
    /// A 429, or any failure carrying a server's `retry-after`, pauses every call
    /// of the run for that long (the retry delay, else the server's delay, else
    /// one second; at most a minute).
    pub fn attempt_failed(&self, error: &Error, retry_in: Option<Duration>) {
        let (Some(limit), Error::Http(http)) = (&self.limit, error) else {
            return;
        };
        if http.status != 429 && http.retry_after.is_none() {
            return;
        }
        let wait = retry_in.or(http.retry_after).unwrap_or(DEFAULT_PAUSE);
        tracing::debug!(status = http.status, ?wait, "rate limited: pausing the run");
        limit.pause_for(wait);
    }

    /// The call is over and the provider reported `used` tokens in all: what went
    /// beyond the estimates already taken is charged to the calls that follow.
    pub(crate) fn settle(&self, used: u64) {
        let Some(limit) = &self.limit else {
            return;
        };
        let charged = self.call.charged.load(Ordering::Relaxed);
        limit.add_debt(used.saturating_sub(charged));
    }
}

impl PartialEq for TransportGate {
    /// Gates are equal when they are the same call's.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.call, &other.call)
    }
}

impl fmt::Debug for TransportGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportGate")
            .field("limit", &self.limit)
            .field("estimate", &self.call.estimate)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::error::HttpError;

    fn http(status: u16, retry_after: Option<Duration>) -> Error {
        Error::Http(Box::new(HttpError {
            status,
            message: "x".into(),
            kind: None,
            code: None,
            request_id: None,
            retry_after,
        }))
    }

    #[test]
    fn a_429_pauses_every_call_of_the_run() {
        let limit = RateLimit::new();
        let one = TransportGate::new(limit.clone(), 10);
        let other = TransportGate::new(limit.clone(), 10);
        assert!(other.ready().now_or_never().is_some());
        one.attempt_failed(&http(429, Some(Duration::from_secs(3))), None);
        assert!(
            other.ready().now_or_never().is_none(),
            "the other call waits"
        );
        assert!(
            limit
                .pause_left()
                .is_some_and(|l| l > Duration::from_secs(2))
        );
    }

    #[test]
    fn the_retry_delay_sets_the_pause_and_other_failures_do_not_pause() {
        let limit = RateLimit::new();
        let gate = TransportGate::new(limit.clone(), 10);
        gate.attempt_failed(&http(500, None), Some(Duration::from_secs(1)));
        gate.attempt_failed(&Error::Connection("reset".into()), None);
        assert!(limit.pause_left().is_none());
        gate.attempt_failed(&http(429, None), Some(Duration::from_millis(700)));
        let left = limit.pause_left().unwrap_or_default();
        assert!(left > Duration::from_millis(600) && left <= Duration::from_millis(700));
        let overloaded = RateLimit::new();
        TransportGate::new(overloaded.clone(), 0)
            .attempt_failed(&http(503, Some(Duration::from_secs(2))), None);
        assert!(overloaded.pause_left().is_some(), "a server's retry-after");
    }

    #[test]
    fn settling_charges_only_the_excess() {
        let limit = RateLimit::new().tokens_per_minute(600_000);
        let gate = TransportGate::new(limit.clone(), 100);
        assert!(gate.ready().now_or_never().is_some());
        assert!(
            gate.ready().now_or_never().is_some(),
            "a retry: 200 charged"
        );
        gate.settle(150);
        assert_eq!(limit.debt(), 0, "used less than charged");
        gate.settle(450);
        assert_eq!(limit.debt(), 250);
        assert_ne!(gate, TransportGate::new(limit.clone(), 100));
        assert_eq!(gate, gate.clone());
    }
}
