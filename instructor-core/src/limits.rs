//! Usage limits: stop spending at a budget of requests and tokens, per call
//! ([`Request::usage_limits`](crate::Request::usage_limits)), per client
//! ([`Client::with_usage_limits`](crate::Client::with_usage_limits), shared by its
//! clones) or per run ([`Many::usage_limits`](crate::Many::usage_limits)).
//!
//! Every HTTP attempt of a call counts (reasks and streamed attempts included). Before
//! an attempt is sent, its input is estimated from the request body (4 bytes a
//! token): an attempt that would cross a request or input/total token limit is not
//! sent, and the call ends with [`Error::UsageLimitExceeded`] carrying the usage so
//! far. Output tokens are known only afterwards: once they reach their limit, no
//! further attempt is made. A provider's transport retries (a 429, a 5xx, a dropped
//! connection) count as requests too: a retry that would cross the request limit is
//! not sent (see [`TransportGate::admit_retry`](crate::provider::TransportGate::admit_retry)).

use std::sync::{Arc, Mutex};

use crate::completion::Usage;
use crate::error::Error;

/// Prices per million tokens, for a cost limit ([`UsageLimits::max_cost`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Pricing {
    /// Per million input tokens not read from a cache.
    pub input_per_million: f64,
    /// Per million input tokens read from the provider's prompt cache.
    pub cached_input_per_million: f64,
    /// Per million output tokens.
    pub output_per_million: f64,
}

impl Pricing {
    /// Prices per million input and output tokens (cached input at the input price
    /// until [`cached_input`](Pricing::cached_input) says otherwise).
    pub fn new(input_per_million: f64, output_per_million: f64) -> Self {
        Self {
            input_per_million,
            cached_input_per_million: input_per_million,
            output_per_million,
        }
    }

    /// The price per million cached input tokens.
    #[must_use]
    pub fn cached_input(mut self, per_million: f64) -> Self {
        self.cached_input_per_million = per_million;
        self
    }

    /// What `usage` costs.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let cached = usage.cached_tokens.min(usage.prompt_tokens);
        let fresh = usage.prompt_tokens - cached;
        (fresh as f64 * self.input_per_million
            + cached as f64 * self.cached_input_per_million
            + usage.completion_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// Budgets of requests, tokens and (with a price table) cost; unset ones are
/// unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct UsageLimits {
    /// HTTP attempts (reasks included).
    pub max_requests: Option<u64>,
    /// Prompt (input) tokens.
    pub max_input_tokens: Option<u64>,
    /// Completion (output) tokens.
    pub max_output_tokens: Option<u64>,
    /// Input and output tokens together.
    pub max_total_tokens: Option<u64>,
    /// Spend, in the currency of its [`Pricing`] table, and the prices.
    pub max_cost: Option<(f64, Pricing)>,
}

impl UsageLimits {
    /// No limits yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `n` HTTP attempts.
    #[must_use]
    pub fn max_requests(mut self, n: u64) -> Self {
        self.max_requests = Some(n);
        self
    }

    /// At most `n` input tokens.
    #[must_use]
    pub fn max_input_tokens(mut self, n: u64) -> Self {
        self.max_input_tokens = Some(n);
        self
    }

    /// At most `n` output tokens.
    #[must_use]
    pub fn max_output_tokens(mut self, n: u64) -> Self {
        self.max_output_tokens = Some(n);
        self
    }

    /// At most `n` tokens in all.
    #[must_use]
    pub fn max_total_tokens(mut self, n: u64) -> Self {
        self.max_total_tokens = Some(n);
        self
    }

    /// At most `amount` spent at `pricing`: an attempt whose estimated input would
    /// cross it is not sent, and none is sent once output has crossed it.
    #[must_use]
    pub fn max_cost(mut self, amount: f64, pricing: Pricing) -> Self {
        self.max_cost = Some((amount, pricing));
        self
    }
}

/// Which limit an attempt would have crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageLimitKind {
    /// [`UsageLimits::max_requests`].
    Requests,
    /// [`UsageLimits::max_input_tokens`].
    InputTokens,
    /// [`UsageLimits::max_output_tokens`].
    OutputTokens,
    /// [`UsageLimits::max_total_tokens`].
    TotalTokens,
    /// [`UsageLimits::max_cost`].
    Cost,
}

/// The details of [`Error::UsageLimitExceeded`]: which limit an attempt would have
/// crossed, and what was spent before it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UsageLimitExceeded {
    /// Which limit.
    pub kind: UsageLimitKind,
    /// The limits in force.
    pub limits: UsageLimits,
    /// HTTP attempts made under these limits so far.
    pub requests: u64,
    /// Usage so far under these limits.
    pub usage: Usage,
}

/// What a set of limits has counted so far.
#[derive(Debug, Default)]
struct Spent {
    requests: u64,
    usage: Usage,
}

/// Limits and what has been spent against them, shared by everything they cover.
#[derive(Debug)]
pub(crate) struct UsageMeter {
    limits: UsageLimits,
    spent: Mutex<Spent>,
}

impl UsageMeter {
    pub(crate) fn new(limits: UsageLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            spent: Mutex::default(),
        })
    }

    /// Counts an attempt about to be sent with `body_bytes` of request body, or
    /// refuses it when it would cross a limit.
    pub(crate) fn admit(&self, body_bytes: usize) -> Result<(), Error> {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        let estimate = u64::try_from(body_bytes / 4).unwrap_or(u64::MAX);
        let limits = &self.limits;
        let crossed = |limit: Option<u64>, value: u64| limit.is_some_and(|max| value > max);
        let kind = if crossed(limits.max_requests, spent.requests.saturating_add(1)) {
            Some(UsageLimitKind::Requests)
        } else if crossed(
            limits.max_input_tokens,
            spent.usage.prompt_tokens.saturating_add(estimate),
        ) {
            Some(UsageLimitKind::InputTokens)
        } else if limits
            .max_output_tokens
            .is_some_and(|max| spent.usage.completion_tokens >= max)
        {
            Some(UsageLimitKind::OutputTokens)
        } else if crossed(
            limits.max_total_tokens,
            spent.usage.total_tokens.saturating_add(estimate),
        ) {
            Some(UsageLimitKind::TotalTokens)
        } else if limits.max_cost.is_some_and(|(max, pricing)| {
            let mut next = spent.usage;
            next.prompt_tokens = next.prompt_tokens.saturating_add(estimate);
            pricing.cost(&next) > max
        }) {
            Some(UsageLimitKind::Cost)
        } else {
            None
        };
        match kind {
            Some(kind) => Err(Error::UsageLimitExceeded(Box::new(UsageLimitExceeded {
                kind,
                limits: self.limits,
                requests: spent.requests,
                usage: spent.usage,
            }))),
            None => {
                spent.requests += 1;
                Ok(())
            }
        }
    }

    /// Takes back an admitted request that another meter then refused.
    fn refund_request(&self) {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        spent.requests = spent.requests.saturating_sub(1);
    }

    /// Adds an attempt's reported usage.
    pub(crate) fn record(&self, usage: &Usage) {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        spent.usage += *usage;
    }
}

/// The meters one call answers to (its own, its run's, its client's).
#[derive(Debug, Clone, Default)]
pub(crate) struct Meters(Vec<Arc<UsageMeter>>);

impl Meters {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, meter: Arc<UsageMeter>) {
        self.0.push(meter);
    }

    pub(crate) fn extend(&mut self, other: &Meters) {
        self.0.extend(other.0.iter().cloned());
    }

    /// Admits an attempt with request `body` under every meter, or refuses it under
    /// the first it would cross (the others are then not charged).
    pub(crate) fn admit(&self, body: &serde_json::Value) -> Result<(), Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        self.admit_bytes(body.to_string().len())
    }

    /// Admits a provider's transport retry of an attempt already admitted: one more
    /// request, no new input estimate (what the provider reports is recorded once).
    pub(crate) fn admit_retry(&self) -> Result<(), Error> {
        self.admit_bytes(0)
    }

    fn admit_bytes(&self, body_bytes: usize) -> Result<(), Error> {
        for (i, meter) in self.0.iter().enumerate() {
            if let Err(error) = meter.admit(body_bytes) {
                for earlier in &self.0[..i] {
                    earlier.refund_request();
                }
                return Err(error);
            }
        }
        Ok(())
    }

    pub(crate) fn record(&self, usage: &Usage) {
        for meter in &self.0 {
            meter.record(usage);
        }
    }
}

impl PartialEq for Meters {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }
}
