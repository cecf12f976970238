//! What a provider returned, in provider-neutral form, and token usage.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::message::ToolCall;

/// Token usage; summed over every attempt of a call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Tokens in the prompt(s).
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Their sum as reported.
    pub total_tokens: u64,
    /// Prompt tokens served from cache, when reported (Anthropic:
    /// `cache_read_input_tokens`).
    pub cached_tokens: u64,
    /// Prompt tokens written to the cache, when reported (Anthropic:
    /// `cache_creation_input_tokens`).
    pub cache_creation_tokens: u64,
    /// Reasoning tokens, when reported.
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Usage with the three basic counts.
    pub fn new(prompt_tokens: u64, completion_tokens: u64, total_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens,
            ..Self::default()
        }
    }
}

/// Saturating: counts come from servers, and a hostile one may send `u64::MAX`.
impl AddAssign for Usage {
    fn add_assign(&mut self, other: Self) {
        self.prompt_tokens = self.prompt_tokens.saturating_add(other.prompt_tokens);
        self.completion_tokens = self
            .completion_tokens
            .saturating_add(other.completion_tokens);
        self.total_tokens = self.total_tokens.saturating_add(other.total_tokens);
        self.cached_tokens = self.cached_tokens.saturating_add(other.cached_tokens);
        self.cache_creation_tokens = self
            .cache_creation_tokens
            .saturating_add(other.cache_creation_tokens);
        self.reasoning_tokens = self.reasoning_tokens.saturating_add(other.reasoning_tokens);
    }
}

/// Why the model stopped, provider-neutral: each provider maps its own words
/// (`finish_reason`, `stop_reason`, `finishReason`) onto these variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FinishReason {
    /// A natural stop.
    Stop,
    /// It called tools.
    ToolCalls,
    /// The output hit the token limit.
    Length,
    /// Content was filtered.
    ContentFilter,
    /// Anything else, as the provider named it.
    Other(String),
}

/// One provider response, provider-neutral, with the raw JSON kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Completion {
    /// The response id, when given.
    pub id: Option<String>,
    /// The model that answered.
    pub model: Option<String>,
    /// The text content (joined text parts), if any.
    pub text: Option<String>,
    /// The tool calls, in order.
    pub tool_calls: Vec<ToolCall>,
    /// A refusal message, if the model refused.
    pub refusal: Option<String>,
    /// Why generation stopped.
    pub finish_reason: Option<FinishReason>,
    /// Token usage of this response.
    pub usage: Usage,
    /// The provider's raw JSON response.
    pub raw: Value,
}

impl Completion {
    /// An empty completion around a raw response (providers fill the rest).
    pub fn from_raw(raw: Value) -> Self {
        Self {
            id: None,
            model: None,
            text: None,
            tool_calls: Vec::new(),
            refusal: None,
            finish_reason: None,
            usage: Usage::default(),
            raw,
        }
    }
}
