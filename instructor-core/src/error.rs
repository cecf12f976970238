//! The one error type of a call.

use std::fmt;
use std::time::Duration;

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
    #[error("{}", CallFailure::list(.0))]
    Calls(Vec<CallFailure>),
}

/// One failed call among several tool calls.
#[derive(Debug, Clone, PartialEq)]
pub struct CallFailure {
    /// The call's position among the answer's tool calls (0-based).
    pub index: usize,
    /// What was wrong with it.
    pub error: AttemptError,
}

impl CallFailure {
    /// The failures one per paragraph, each headed by its call's position.
    fn list(failures: &[CallFailure]) -> String {
        let parts: Vec<String> = failures
            .iter()
            .map(|f| format!("tool call {}: {}", f.index + 1, f.error))
            .collect();
        parts.join("\n")
    }
}

/// One failed attempt: what came back and what was wrong with it.
#[derive(Debug, Clone, PartialEq)]
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
pub struct RetriesExhausted {
    /// Every attempt, in order.
    pub attempts: Vec<FailedAttempt>,
    /// Usage summed over every attempt.
    pub usage: Usage,
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

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider answered with an HTTP error.
    #[error("HTTP {} from the provider: {}", .0.status, .0.message)]
    Http(Box<HttpError>),
    /// The provider could not be reached.
    #[error("connection failed: {0}")]
    Connection(String),
    /// A request took longer than its timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The model refused to answer.
    #[error("the model refused: {0}")]
    Refusal(String),
    /// The output hit the token limit before the answer was complete.
    #[error("output truncated at the token limit (finish_reason=length); {} characters arrived", .partial.len())]
    Truncated {
        /// What arrived (text or tool arguments).
        partial: String,
        /// Usage so far, summed over attempts.
        usage: Usage,
    },
    /// The provider filtered the content.
    #[error("content filtered by the provider")]
    ContentFiltered {
        /// Usage so far.
        usage: Usage,
    },
    /// Every attempt failed parsing or validation.
    #[error("{0}")]
    RetriesExhausted(Box<RetriesExhausted>),
    /// One item of an iterable stream was invalid (the stream goes on).
    #[error("item {index} is invalid: {error}")]
    InvalidItem {
        /// The item's position in the stream.
        index: usize,
        /// What was wrong.
        error: AttemptError,
    },
    /// The token budget ran out before a valid answer.
    #[error("token budget of {budget} exceeded ({used} used)")]
    TokenBudgetExceeded {
        /// The budget.
        budget: u64,
        /// Tokens used.
        used: u64,
    },
    /// The provider's response did not have the expected shape.
    #[error("unexpected response from the provider: {0}")]
    Response(String),
    /// A stream broke or ended early.
    #[error("stream broken: {0}")]
    Stream(String),
    /// A message template failed to render.
    #[error("template error: {0}")]
    Template(String),
    /// The schema cannot be sent in this mode's dialect.
    #[error(transparent)]
    Dialect(#[from] DialectError),
    /// The client or request is misconfigured (missing key, unsupported mode, ...).
    #[error("configuration error: {0}")]
    Config(String),
    /// A JSON Schema document could not become a runtime response model.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

impl Error {
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

    /// The HTTP status, for HTTP errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http(e) => Some(e.status),
            _ => None,
        }
    }

    /// Usage that was spent before the failure, where known.
    pub fn usage(&self) -> Option<Usage> {
        match self {
            Self::Truncated { usage, .. } | Self::ContentFiltered { usage } => Some(*usage),
            Self::RetriesExhausted(r) => Some(r.usage),
            _ => None,
        }
    }
}

/// `Result<T, instructor::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
