//! [`RateLimit`]: requests and tokens per minute, shared by every call of a run
//! (GCRA through `governor`), plus the run-wide pause a 429 asks for.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::client::request::Request;
use crate::message::{Message, Part};

/// Output tokens assumed for a request that sets no `max_tokens`.
pub(crate) const DEFAULT_OUTPUT_TOKENS: u64 = 256;
/// Tokens assumed for each image (a high-detail 1024×1024 image on OpenAI).
const IMAGE_TOKENS: u64 = 765;
/// Tokens of framing around each message (role, separators).
const MESSAGE_OVERHEAD: u64 = 4;
/// The longest pause one 429 can impose on a run.
const MAX_PAUSE: Duration = Duration::from_secs(60);

/// Rate limits for a run of [`create_many`](crate::Client::create_many): requests and
/// tokens per minute, spread evenly (GCRA: no burst above one second's share).
///
/// A clone shares its state: give clones of one `RateLimit` to several runs and they
/// share one budget (and one pause when the provider answers 429). Each setter starts
/// a fresh limiter, so set the limits first and clone afterwards.
///
/// Before each HTTP attempt a call takes one request and its estimated tokens (the
/// request text at about four characters a token, the response schema, and
/// `max_tokens` or 256); once the call is over, the tokens the provider reported
/// beyond that estimate are charged to the calls that follow.
///
/// ```
/// use instructor_core::RateLimit;
///
/// let limit = RateLimit::new().requests_per_minute(500).tokens_per_minute(200_000);
/// assert_eq!(limit.requests_per_minute_limit(), Some(500));
/// assert_eq!(limit.tokens_per_minute_limit(), Some(200_000));
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct RateLimit {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    requests: Option<Limiter>,
    tokens: Option<Limiter>,
    /// Tokens reported beyond the estimates, owed by the next call.
    debt: AtomicU64,
    /// No attempt starts before this instant (set by 429s).
    paused_until: Mutex<Option<Instant>>,
}

struct Limiter {
    per_minute: NonZeroU32,
    /// One second's share: the most one wait may take at once.
    burst: NonZeroU32,
    gcra: DefaultDirectRateLimiter,
}

impl Limiter {
    fn new(per_minute: NonZeroU32) -> Self {
        let burst = NonZeroU32::new(per_minute.get() / 60).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self {
            per_minute,
            burst,
            gcra: RateLimiter::direct(quota),
        }
    }

    /// Waits for `n` cells, one second's share at a time (a single wait larger than
    /// the burst would never be granted).
    async fn take(&self, mut n: u64) {
        while n > 0 {
            let chunk = u32::try_from(n).unwrap_or(u32::MAX).min(self.burst.get());
            let Some(cells) = NonZeroU32::new(chunk) else {
                return;
            };
            if self.gcra.until_n_ready(cells).await.is_err() {
                // Cannot happen (the chunk is at most the burst); never loop on it.
                return;
            }
            n -= u64::from(chunk);
        }
    }
}

impl RateLimit {
    /// No limits: calls are only paused when the provider answers 429.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `n` requests a minute (every HTTP attempt counts, reasks and
    /// transport retries included), spread evenly. `0` removes the limit.
    pub fn requests_per_minute(self, n: u32) -> Self {
        let tokens = self.shared.tokens.as_ref().map(|l| l.per_minute);
        Self::with(NonZeroU32::new(n), tokens)
    }

    /// At most `n` tokens a minute (prompt and output), spread evenly. `0` removes
    /// the limit.
    pub fn tokens_per_minute(self, n: u32) -> Self {
        let requests = self.shared.requests.as_ref().map(|l| l.per_minute);
        Self::with(requests, NonZeroU32::new(n))
    }

    /// The request limit, if set.
    pub fn requests_per_minute_limit(&self) -> Option<u32> {
        self.shared.requests.as_ref().map(|l| l.per_minute.get())
    }

    /// The token limit, if set.
    pub fn tokens_per_minute_limit(&self) -> Option<u32> {
        self.shared.tokens.as_ref().map(|l| l.per_minute.get())
    }

    fn with(requests: Option<NonZeroU32>, tokens: Option<NonZeroU32>) -> Self {
        Self {
            shared: Arc::new(Shared {
                requests: requests.map(Limiter::new),
                tokens: tokens.map(Limiter::new),
                ..Shared::default()
            }),
        }
    }

    /// Waits for one request and `tokens` tokens (plus any debt left by calls that
    /// used more than their estimate).
    pub(crate) async fn acquire(&self, tokens: u64) {
        if let Some(limiter) = &self.shared.tokens {
            let debt = self.shared.debt.swap(0, Ordering::Relaxed);
            limiter.take(tokens.saturating_add(debt)).await;
        }
        if let Some(limiter) = &self.shared.requests {
            limiter.take(1).await;
        }
    }

    /// Charges `tokens` to the calls that follow.
    pub(crate) fn add_debt(&self, tokens: u64) {
        if tokens > 0 && self.shared.tokens.is_some() {
            self.shared.debt.fetch_add(tokens, Ordering::Relaxed);
        }
    }

    /// Tokens owed by the next call.
    #[cfg(test)]
    pub(crate) fn debt(&self) -> u64 {
        self.shared.debt.load(Ordering::Relaxed)
    }

    /// Pauses every call sharing this limit for `wait` from now (a longer pause
    /// already in force stays).
    pub(crate) fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait.min(MAX_PAUSE);
        let mut paused = self
            .shared
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// How long the current pause has left, if any.
    pub(crate) fn pause_left(&self) -> Option<Duration> {
        let paused = *self
            .shared
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        paused
            .map(|until| until.saturating_duration_since(Instant::now()))
            .filter(|left| !left.is_zero())
    }

    /// Waits until no pause is in force (a pause may be extended while waiting).
    pub(crate) async fn wait_unpaused(&self) {
        while let Some(left) = self.pause_left() {
            futures_timer::Delay::new(left).await;
        }
    }

    /// Whether `self` and `other` share their state.
    #[cfg(test)]
    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("requests_per_minute", &self.requests_per_minute_limit())
            .field("tokens_per_minute", &self.tokens_per_minute_limit())
            .finish_non_exhaustive()
    }
}

/// Tokens a call of `request` is expected to use per attempt: its text at four
/// characters a token, framing per message, `schema_chars` of response schema, and
/// `max_tokens` (or [`DEFAULT_OUTPUT_TOKENS`]) of output.
pub(crate) fn estimate_tokens(request: &Request, schema_chars: usize) -> u64 {
    let prompt: u64 = request.messages.iter().map(message_tokens).sum();
    let output = request.max_tokens.map_or(DEFAULT_OUTPUT_TOKENS, u64::from);
    prompt + chars_to_tokens(schema_chars) + output
}

fn message_tokens(message: &Message) -> u64 {
    let parts: u64 = message
        .parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => chars_to_tokens(text.chars().count()),
            Part::Media(media) if media.kind() != crate::MediaKind::Image => {
                // About a token per 4 bytes of a PDF, audio clip or file.
                (media.inline_bytes() / 4).max(IMAGE_TOKENS)
            }
            _ => IMAGE_TOKENS,
        })
        .sum();
    let calls: u64 = message
        .tool_calls
        .iter()
        .map(|call| chars_to_tokens(call.name.len() + call.arguments.len()))
        .sum();
    MESSAGE_OVERHEAD + parts + calls
}

fn chars_to_tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[test]
    fn estimate_counts_text_schema_and_output() {
        let request = Request::default()
            .system("x".repeat(40))
            .user("y".repeat(400));
        // 2 messages × 4 framing + 10 + 100 text + 25 schema + 256 output.
        assert_eq!(estimate_tokens(&request, 100), 8 + 10 + 100 + 25 + 256);
        let capped = request.max_tokens(50);
        assert_eq!(estimate_tokens(&capped, 100), 8 + 10 + 100 + 25 + 50);
        let image = Request::default().message(Message::user_with_image("hi", "data:,x"));
        assert_eq!(estimate_tokens(&image, 0), 4 + 1 + IMAGE_TOKENS + 256);
    }

    #[test]
    fn requests_are_spread_and_clones_share_the_budget() {
        // 60 a minute: one a second, a burst of one.
        let limit = RateLimit::new().requests_per_minute(60);
        assert!(limit.acquire(0).now_or_never().is_some());
        assert!(
            limit.acquire(0).now_or_never().is_none(),
            "the second request waits"
        );
        let clone = limit.clone();
        assert!(
            clone.acquire(0).now_or_never().is_none(),
            "a clone shares the budget"
        );
        let fresh = RateLimit::new().requests_per_minute(60);
        assert!(fresh.acquire(0).now_or_never().is_some());
        assert!(!fresh.same(&limit) && clone.same(&limit));
    }

    #[test]
    fn burst_is_one_seconds_share() {
        // 6,000 a minute: 100 a second at once, then one every 10 ms.
        let limit = RateLimit::new().requests_per_minute(6_000);
        let granted = (0..150)
            .filter(|_| limit.acquire(0).now_or_never().is_some())
            .count();
        assert!((100..=102).contains(&granted), "{granted}");
    }

    #[test]
    fn tokens_follow_the_estimate_and_reported_usage() {
        // 6,000 tokens a minute: 100 a second.
        let limit = RateLimit::new().tokens_per_minute(6_000);
        assert!(limit.acquire(60).now_or_never().is_some());
        assert!(
            limit.acquire(60).now_or_never().is_none(),
            "120 tokens exceed one second's share"
        );

        let limit = RateLimit::new().tokens_per_minute(6_000);
        assert!(limit.acquire(10).now_or_never().is_some());
        assert!(limit.acquire(10).now_or_never().is_some());
        limit.add_debt(75);
        assert_eq!(limit.debt(), 75);
        assert!(
            limit.acquire(10).now_or_never().is_none(),
            "the debt is paid before the next call goes"
        );
        assert_eq!(limit.debt(), 0);

        // Without a token limit there is nothing to owe.
        let requests_only = RateLimit::new().requests_per_minute(60);
        requests_only.add_debt(1_000);
        assert_eq!(requests_only.debt(), 0);
    }

    #[tokio::test]
    async fn a_call_larger_than_the_burst_waits_instead_of_failing() {
        // 60,000 tokens a minute: 1,000 a second; 1,500 tokens take half a second more.
        let limit = RateLimit::new().tokens_per_minute(60_000);
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(5), limit.acquire(1_500))
            .await
            .expect("granted in chunks, no deadlock");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(450), "{waited:?}");
    }

    #[tokio::test]
    async fn a_pause_holds_every_clone() {
        let limit = RateLimit::new();
        let clone = limit.clone();
        assert!(clone.wait_unpaused().now_or_never().is_some());
        limit.pause_for(Duration::from_millis(150));
        limit.pause_for(Duration::from_millis(10));
        assert!(
            clone
                .pause_left()
                .is_some_and(|left| left > Duration::from_millis(100)),
            "a shorter pause does not cut a longer one"
        );
        let started = Instant::now();
        clone.wait_unpaused().await;
        assert!(started.elapsed() >= Duration::from_millis(140));
        assert!(clone.pause_left().is_none());
    }
}
