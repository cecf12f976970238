//! The one error type of a call.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::batch::BatchError;
use crate::completion::{Completion, Usage};
use crate::dynamic::SchemaError;
use crate::schema::dialect::DialectError;
use crate::validate::ValidationErrors;

/// A failure the model can fix when told about it: the reask sends its `Display`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// The answer was not valid JSON for the type.
    #[error("{0}")]
    Parse(String),
    /// The answer parsed but broke constraints.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// No tool call, several, or one with the wrong name.
    #[error("{0}")]
    ToolCall(String),
    /// Some of several tool calls (`Mode::ParallelTools`) failed: each failure with
    /// its call's position, so a reask tells each call what was wrong with it.
    #[error("{}", ToolCallFailure::list(.0))]
    Calls(Vec<ToolCallFailure>),
}

/// One failed tool call among the parallel tool calls of one answer
/// (`Mode::ParallelTools`), with its position: what [`AttemptError::Calls`] lists.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolCallFailure {
    /// The call's position among the answer's tool calls (0-based).
    pub index: usize,
    /// What was wrong with it.
    pub error: AttemptError,
}

impl ToolCallFailure {
    /// The failure of the call at `index` (0-based).
    pub fn new(index: usize, error: AttemptError) -> Self {
        Self { index, error }
    }

    /// The failures one per paragraph, each headed by its call's position.
    fn list(failures: &[ToolCallFailure]) -> String {
        let parts: Vec<String> = failures
            .iter()
            .map(|f| format!("tool call {}: {}", f.index + 1, f.error))
            .collect();
        parts.join("\n")
    }
}

/// One failed attempt: what came back and what was wrong with it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FailedAttempt {
    /// 1-based attempt number.
    pub number: u32,
    /// The provider's response.
    pub completion: Completion,
    /// What was wrong.
    pub error: AttemptError,
}

/// The details of a call that ran out of retries.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetriesExhausted {
    /// Every attempt, in order.
    pub attempts: Vec<FailedAttempt>,
    /// Usage summed over every attempt.
    pub usage: Usage,
}

impl FailedAttempt {
    /// Attempt `number` (1-based): what came back and what was wrong with it.
    pub fn new(number: u32, completion: Completion, error: AttemptError) -> Self {
        Self {
            number,
            completion,
            error,
        }
    }
}

impl RetriesExhausted {
    /// Every failed attempt, in order, and the usage summed over them.
    pub fn new(attempts: Vec<FailedAttempt>, usage: Usage) -> Self {
        Self { attempts, usage }
    }

    /// The provider's response in the last attempt.
    pub fn last_completion(&self) -> Option<&Completion> {
        self.attempts.last().map(|a| &a.completion)
    }
}

impl fmt::Display for RetriesExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.attempts.len();
        write!(
            f,
            "no valid answer after {n} attempt{}",
            if n == 1 { "" } else { "s" }
        )?;
        if let Some(last) = self.attempts.last() {
            write!(f, "; last error: {}", last.error)?;
        }
        Ok(())
    }
}

/// The details of an HTTP error response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpError {
    /// The HTTP status.
    pub status: u16,
    /// The provider's error message.
    pub message: String,
    /// The provider's error type (`invalid_request_error`, `INVALID_ARGUMENT`, ...).
    pub kind: Option<String>,
    /// The provider's error code (`insufficient_quota`, `model_not_found`, ...).
    pub code: Option<String>,
    /// The request id header, when sent.
    pub request_id: Option<String>,
    /// How long the server asked to wait.
    pub retry_after: Option<Duration>,
}

/// The error that caused another, boxed (any error type that can cross threads).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, in words, and the error that caused it when there is one (a
/// transport error, a JSON or template error, ...), kept for
/// [`std::error::Error::source`] rather than flattened into the text.
///
/// The message says what failed; the cause's own text is in the source chain, not
/// repeated in the message (print an [`Error`] with `{:#}` to see the whole chain).
/// It dereferences to its message, so `detail.contains("...")` reads the text.
/// Two details are equal when their messages are.
///
/// ```
/// use instructor_core::ErrorDetail;
///
/// let cause = serde_json::from_str::<u8>("x").unwrap_err();
/// let detail = ErrorDetail::with_source("the answer is not JSON", cause);
/// assert_eq!(detail.message(), "the answer is not JSON");
/// assert!(detail.source().is_some());
/// ```
#[derive(Clone)]
pub struct ErrorDetail {
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ErrorDetail {
    /// A detail with a message and no underlying cause.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A detail with a message and the error that caused it.
    pub fn with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            message: message.into(),
            source: Some(Arc::from(source.into())),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error that caused this one, if any.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl fmt::Debug for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ErrorDetail");
        d.field("message", &self.message);
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::ops::Deref for ErrorDetail {
    type Target = str;

    fn deref(&self) -> &str {
        &self.message
    }
}

impl PartialEq for ErrorDetail {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

impl Eq for ErrorDetail {}

impl PartialEq<str> for ErrorDetail {
    fn eq(&self, other: &str) -> bool {
        self.message == other
    }
}

impl PartialEq<&str> for ErrorDetail {
    fn eq(&self, other: &&str) -> bool {
        self.message == *other
    }
}

impl From<String> for ErrorDetail {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for ErrorDetail {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl HttpError {
    /// An HTTP error with a status and a message; the other details are unset.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            kind: None,
            code: None,
            request_id: None,
            retry_after: None,
        }
    }
}

/// Everything that can go wrong in a call.
///
/// The variants that wrap an [`ErrorDetail`] keep the error that caused them as
/// their [`source`](std::error::Error::source); predicates such as
/// [`is_timeout`](Error::is_timeout) and [`is_rate_limited`](Error::is_rate_limited)
/// answer the usual questions without a `match`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The provider answered with an HTTP error.
    Http(Box<HttpError>),
    /// The provider could not be reached, or the connection broke before the answer
    /// arrived.
    Connection(ErrorDetail),
    /// A request took longer than its timeout.
    Timeout(Duration),
    /// The model refused to answer.
    Refusal(String),
    /// The output hit the token limit before the answer was complete.
    Truncated {
        /// What arrived (text or tool arguments).
        partial: String,
        /// Usage so far, summed over attempts.
        usage: Usage,
        /// The provider's response that was cut off (see [`Error::last_completion`]).
        completion: Box<Completion>,
    },
    /// The provider filtered the content.
    ContentFiltered {
        /// Usage so far.
        usage: Usage,
        /// The provider's response (see [`Error::last_completion`]).
        completion: Box<Completion>,
    },
    /// Every attempt failed parsing or validation.
    RetriesExhausted(Box<RetriesExhausted>),
    /// One item of an iterable stream was invalid (the stream goes on).
    InvalidItem {
        /// The item's position in the stream.
        index: usize,
        /// What was wrong.
        error: AttemptError,
    },
    /// The token budget ran out before a valid answer.
    TokenBudgetExceeded {
        /// The budget.
        budget: u64,
        /// Tokens used.
        used: u64,
    },
    /// The provider's response did not have the expected shape.
    Response(ErrorDetail),
    /// A stream broke or ended early.
    Stream(ErrorDetail),
    /// A message template failed to render.
    Template(ErrorDetail),
    /// The schema cannot be sent in this mode's dialect.
    Dialect(DialectError),
    /// The client or request is misconfigured (missing key, unsupported mode, ...).
    Config(ErrorDetail),
    /// A JSON Schema document could not become a runtime response model.
    Schema(SchemaError),
    /// A batch job or one of its items failed (bad custom id, a job for another
    /// type, an item that never ran, ...).
    Batch(BatchError),
    /// A value broke a rule checked on its own, outside a call (an
    /// [`llm_validator`](crate::llm_validator)'s `check`): the failures, each with its
    /// reason.
    Invalid(ValidationErrors),
    /// An attempt would have crossed a [`UsageLimits`](crate::UsageLimits) budget, so
    /// it was not sent.
    UsageLimitExceeded(Box<crate::limits::UsageLimitExceeded>),
    /// A media URL this crate had to download (the provider takes the part inline
    /// only) was refused or failed: a forbidden address, too large, an HTTP error,
    /// ... (see [`UrlFetchPolicy`](crate::UrlFetchPolicy)). Nothing was sent to the
    /// provider.
    MediaFetch(Box<crate::MediaFetchError>),
}

impl fmt::Display for Error {
    /// The error in one line; with `{:#}`, followed by each cause in its
    /// [`source`](std::error::Error::source) chain (`: ` between them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_own(f)?;
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            while let Some(c) = cause {
                write!(f, ": {c}")?;
                cause = c.source();
            }
        }
        Ok(())
    }
}

impl Error {
    /// The error's own line, without its causes.
    fn fmt_own(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http(e) => write!(f, "HTTP {} from the provider: {}", e.status, e.message),
            Self::Connection(d) => write!(f, "connection failed: {d}"),
            Self::Timeout(after) => write!(f, "request timed out after {after:?}"),
            Self::Refusal(text) => write!(f, "the model refused: {text}"),
            Self::Truncated { partial, .. } => write!(
                f,
                "output truncated at the token limit (finish_reason=length); {} characters arrived",
                partial.chars().count()
            ),
            Self::ContentFiltered { .. } => f.write_str("content filtered by the provider"),
            Self::RetriesExhausted(r) => fmt::Display::fmt(r, f),
            Self::InvalidItem { index, error } => write!(f, "item {index} is invalid: {error}"),
            Self::TokenBudgetExceeded { budget, used } => {
                write!(f, "token budget of {budget} exceeded ({used} used)")
            }
            Self::Response(d) => write!(f, "unexpected response from the provider: {d}"),
            Self::Stream(d) => write!(f, "stream broken: {d}"),
            Self::Template(d) => write!(f, "template error: {d}"),
            Self::Dialect(e) => fmt::Display::fmt(e, f),
            Self::Config(d) => write!(f, "configuration error: {d}"),
            Self::Schema(e) => fmt::Display::fmt(e, f),
            Self::Batch(e) => fmt::Display::fmt(e, f),
            Self::Invalid(e) => write!(f, "invalid: {e}"),
            Self::MediaFetch(e) => fmt::Display::fmt(e, f),
            Self::UsageLimitExceeded(e) => write!(
                f,
                "usage limit reached ({:?}): {} requests and {} tokens ({} in, {} out) so far",
                e.kind,
                e.requests,
                e.usage.total_tokens,
                e.usage.prompt_tokens,
                e.usage.completion_tokens
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Connection(d)
            | Self::Response(d)
            | Self::Stream(d)
            | Self::Template(d)
            | Self::Config(d) => d.source().map(|s| s as &(dyn std::error::Error + 'static)),
            Self::InvalidItem { error, .. } => Some(error),
            // Transparent: their own source, not themselves.
            Self::Dialect(e) => std::error::Error::source(e),
            Self::Schema(e) => std::error::Error::source(e),
            Self::MediaFetch(e) => std::error::Error::source(e.as_ref()),
            _ => None,
        }
    }
}

impl From<DialectError> for Error {
    fn from(e: DialectError) -> Self {
        Self::Dialect(e)
    }
}

impl From<BatchError> for Error {
    fn from(e: BatchError) -> Self {
        Self::Batch(e)
    }
}

impl From<SchemaError> for Error {
    fn from(e: SchemaError) -> Self {
        Self::Schema(e)
    }
}

impl Error {
    /// [`Error::Config`] with a message.
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config(ErrorDetail::new(message))
    }

    /// [`Error::Response`] with a message.
    pub fn response(message: impl Into<String>) -> Self {
        Self::Response(ErrorDetail::new(message))
    }

    /// [`Error::Stream`] with a message.
    pub fn stream(message: impl Into<String>) -> Self {
        Self::Stream(ErrorDetail::new(message))
    }

    /// Whether a transport retry may help (429, 5xx, connection failures).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http(e) => {
                e.code.as_deref() != Some("insufficient_quota")
                    && matches!(e.status, 408 | 409 | 429 | 500..=599)
            }
            Self::Connection(_) => true,
            _ => false,
        }
    }

    /// Whether a request took longer than its timeout ([`Error::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// Whether the provider could not be reached or the connection broke
    /// ([`Error::Connection`]); the cause is in the [`source`](std::error::Error::source)
    /// chain.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Connection(_))
    }

    /// Whether the provider answered `429 Too Many Requests`.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// How long the provider asked to wait before trying again (from `retry-after`,
    /// `retry-after-ms` or the error body), for HTTP errors that said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http(e) => e.retry_after,
            _ => None,
        }
    }

    /// The provider's request id (`x-request-id` or `request-id`), for HTTP errors that
    /// carried one: what a provider's support asks for.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Http(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, for HTTP errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http(e) => Some(e.status),
            _ => None,
        }
    }

    /// The last response the provider sent before the call failed, as Python
    /// instructor's exceptions carry `last_completion`: the truncated or filtered
    /// answer, or the last attempt of a call that ran out of retries.
    pub fn last_completion(&self) -> Option<&Completion> {
        match self {
            Self::Truncated { completion, .. } | Self::ContentFiltered { completion, .. } => {
                Some(completion)
            }
            Self::RetriesExhausted(r) => r.last_completion(),
            _ => None,
        }
    }

    /// Usage that was spent before the failure, where known.
    pub fn usage(&self) -> Option<Usage> {
        match self {
            Self::Truncated { usage, .. } | Self::ContentFiltered { usage, .. } => Some(*usage),
            Self::RetriesExhausted(r) => Some(r.usage),
            Self::UsageLimitExceeded(e) => Some(e.usage),
            _ => None,
        }
    }
}

/// `Result<T, instructor::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use std::error::Error as _;
    use std::time::Duration;

    use super::{Error, ErrorDetail, HttpError};
    use crate::completion::Usage;

    fn http(status: u16) -> HttpError {
        HttpError::new(status, "no")
    }

    #[test]
    fn is_timeout_only_for_a_timeout() {
        assert!(Error::Timeout(Duration::from_secs(1)).is_timeout());
        assert!(!Error::Connection("reset".into()).is_timeout());
        assert!(!Error::Http(Box::new(http(408))).is_timeout());
    }

    #[test]
    fn is_connect_only_for_a_connection_failure() {
        assert!(Error::Connection("refused".into()).is_connect());
        assert!(!Error::Timeout(Duration::from_secs(1)).is_connect());
        assert!(!Error::stream("dropped").is_connect());
    }

    #[test]
    fn is_rate_limited_only_for_429() {
        assert!(Error::Http(Box::new(http(429))).is_rate_limited());
        assert!(!Error::Http(Box::new(http(503))).is_rate_limited());
        assert!(!Error::Connection("refused".into()).is_rate_limited());
    }

    #[test]
    fn retry_after_and_request_id_come_from_the_http_error() {
        let mut e = http(429);
        e.retry_after = Some(Duration::from_millis(1500));
        e.request_id = Some("req_123".to_owned());
        let error = Error::Http(Box::new(e));
        assert_eq!(error.retry_after(), Some(Duration::from_millis(1500)));
        assert_eq!(error.request_id(), Some("req_123"));
        let bare = Error::Http(Box::new(http(500)));
        assert_eq!((bare.retry_after(), bare.request_id()), (None, None));
        let other = Error::config("x");
        assert_eq!((other.retry_after(), other.request_id()), (None, None));
    }

    #[test]
    fn a_detail_keeps_its_cause_as_the_source() {
        let cause = serde_json::from_str::<u8>("x").unwrap_err();
        let cause_text = cause.to_string();
        let error = Error::Response(ErrorDetail::with_source("the body is not JSON", cause));
        assert_eq!(
            error.to_string(),
            "unexpected response from the provider: the body is not JSON"
        );
        let source = error.source().unwrap();
        assert_eq!(source.to_string(), cause_text);
        assert!(source.downcast_ref::<serde_json::Error>().is_some());
        assert_eq!(
            format!("{error:#}"),
            format!("unexpected response from the provider: the body is not JSON: {cause_text}")
        );
        assert!(Error::config("no cause").source().is_none());
    }

    #[test]
    fn truncated_counts_characters_not_bytes() {
        let error = Error::Truncated {
            partial: "héllo wörld ✓".to_owned(),
            usage: Usage::default(),
            completion: Box::new(crate::completion::Completion::from_raw(
                serde_json::Value::Null,
            )),
        };
        assert!(
            error.to_string().ends_with("; 13 characters arrived"),
            "{error}"
        );
    }
}
