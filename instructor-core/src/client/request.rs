//! [`Request`]: what to ask, built with consuming setters. The caller's request is
//! never mutated by retries.

use std::time::Duration;

use serde_json::{Map, Value};

use super::hooks::{CallHooks, HookEvent, HookPayload, typed};
use super::reask::ReaskHistory;
use crate::completion::Usage;
use crate::dynamic::DynamicModel;
use crate::error::{AttemptError, Error, ErrorDetail};
use crate::header::Header;
use crate::limits::{Meters, UsageLimits, UsageMeter};
use crate::media::MediaLimits;
use crate::message::{CacheControl, Message, PromptCache, Role};
use crate::semantic::AnswerCheck;

/// The default number of reasks after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// A structured-output request, built with [`Request::new`] and its setters; the
/// fields can be read.
#[derive(Debug, Clone, PartialEq, Default)]
#[must_use]
#[non_exhaustive]
pub struct Request {
    /// The model (for Azure OpenAI: the deployment name). Empty: the client's default.
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Reasks after the first attempt (`max_retries(2)` = at most 3 attempts).
    pub max_retries: Option<u32>,
    /// Template variables (rendered into messages with Jinja syntax) and validator context.
    pub context: Option<Value>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Output token limit.
    pub max_tokens: Option<u32>,
    /// Fields merged verbatim into the provider's JSON body.
    pub extra_body: Map<String, Value>,
    /// Extra HTTP headers (sensitive values never print).
    pub headers: Vec<Header>,
    /// A timeout for each HTTP request of this call.
    pub timeout: Option<Duration>,
    /// Stop reasking once this many tokens were used in total.
    pub token_budget: Option<u64>,
    /// The usage limits of this call (and of a run it is part of).
    meters: Meters,
    /// What reasks keep of earlier attempts (default: the client's).
    pub reask_history: Option<ReaskHistory>,
    /// Bypass the client's response cache (neither read nor written).
    pub no_cache: bool,
    /// A response model known only at run time (call with `T = serde_json::Value`).
    pub response_model: Option<DynamicModel>,
    /// This call's own hooks, run after the client's.
    hooks: CallHooks,
    /// Prompt-cache steering ([`cache_tools`](Request::cache_tools),
    /// [`prompt_cache_key`](Request::prompt_cache_key),
    /// [`cached_content`](Request::cached_content)).
    pub cache: PromptCache,
    /// Size caps on this request's media parts; `None`: the client's
    /// ([`Client::with_media_limits`](crate::Client::with_media_limits)).
    pub media_limits: Option<MediaLimits>,
    /// Checks run on the parsed answer before it is returned (an
    /// [`llm_validator`](crate::llm_validator) on a field).
    checks: Vec<AnswerCheck>,
    /// Lenient parsing for this call (`None`: the client's setting, see
    /// [`Request::lenient`]).
    pub lenient: Option<bool>,
    /// The first setter input that could not be used (a context that failed to
    /// serialize, an `extra_body` that is not an object): the call fails with it
    /// before anything is sent.
    invalid: Option<ErrorDetail>,
}

impl Request {
    /// A request for `model` with no messages yet.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }

    /// Adds a check run on the parsed answer before `create` returns it, such as an
    /// [`llm_validator`](crate::llm_validator) on a field: a rejection is reasked with
    /// its reason at the field's path, like any failed check. Runs in `create`,
    /// `create_with_completion`, `create_parallel`'s single-call answers and
    /// `create_many`; streaming calls and batches refuse a request that has one.
    pub fn check(mut self, check: AnswerCheck) -> Self {
        self.checks.push(check);
        self
    }

    /// Registers a hook for `event` on this call only (run after the client's hooks).
    pub fn on(
        mut self,
        event: HookEvent,
        hook: impl Fn(&HookPayload<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.push((event, std::sync::Arc::new(hook)));
        self
    }

    /// On this call: `f` gets each attempt's exact request body.
    pub fn on_kwargs(mut self, f: impl Fn(&Value) + Send + Sync + 'static) -> Self {
        self.hooks.push(typed::kwargs(f));
        self
    }

    /// On this call: `f` gets each attempt's raw response.
    pub fn on_response(mut self, f: impl Fn(&Value) + Send + Sync + 'static) -> Self {
        self.hooks.push(typed::response(f));
        self
    }

    /// On this call: `f` gets each failed provider call.
    pub fn on_error(mut self, f: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.hooks.push(typed::error(f));
        self
    }

    /// On this call: `f` gets each answer that failed parsing or validation.
    pub fn on_parse_error(mut self, f: impl Fn(&AttemptError) + Send + Sync + 'static) -> Self {
        self.hooks.push(typed::parse_error(f));
        self
    }

    /// On this call: `f` gets the last attempt's failure.
    pub fn on_last_attempt(mut self, f: impl Fn(&AttemptError) + Send + Sync + 'static) -> Self {
        self.hooks.push(typed::last_attempt(f));
        self
    }

    /// On this call: `f` gets each attempt's usage.
    pub fn on_usage(mut self, f: impl Fn(&Usage) + Send + Sync + 'static) -> Self {
        self.hooks.push(typed::usage(f));
        self
    }

    /// A prompt-cache breakpoint after the tool definitions (Anthropic; see
    /// [`CacheControl`]). Mark messages with [`Message::with_cache_control`].
    pub fn cache_tools(mut self, cache_control: CacheControl) -> Self {
        self.cache.tools = Some(cache_control);
        self
    }

    /// OpenAI's `prompt_cache_key`: requests sharing a long prefix and this key are
    /// routed to the same prompt cache.
    pub fn prompt_cache_key(mut self, key: impl Into<String>) -> Self {
        self.cache.key = Some(key.into());
        self
    }

    /// Size caps on this request's media parts (instead of the client's), checked
    /// before anything is sent.
    pub fn media_limits(mut self, limits: MediaLimits) -> Self {
        self.media_limits = Some(limits);
        self
    }

    /// Gemini: build on a cached content created beforehand (`cachedContents/..`).
    pub fn cached_content(mut self, name: impl Into<String>) -> Self {
        self.cache.cached_content = Some(name.into());
        self
    }

    /// This call's own hooks.
    pub(crate) fn hooks(&self) -> &CallHooks {
        &self.hooks
    }

    /// The checks added with [`check`](Request::check).
    pub(crate) fn checks(&self) -> &[AnswerCheck] {
        &self.checks
    }

    /// Appends a message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Appends several messages.
    pub fn messages(mut self, messages: impl IntoIterator<Item = Message>) -> Self {
        self.messages.extend(messages);
        self
    }

    /// Appends a system message.
    pub fn system(self, text: impl Into<String>) -> Self {
        self.message(Message::system(text))
    }

    /// Appends a developer message.
    pub fn developer(self, text: impl Into<String>) -> Self {
        self.message(Message::developer(text))
    }

    /// Appends a user message.
    pub fn user(self, text: impl Into<String>) -> Self {
        self.message(Message::user(text))
    }

    /// Appends an assistant message.
    pub fn assistant(self, text: impl Into<String>) -> Self {
        self.message(Message::text(Role::Assistant, text))
    }

    /// Sets the number of reasks after the first attempt.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// Sets the template/validation context (any serializable value, usually an object).
    ///
    /// A value that fails to serialize is not dropped: the call fails with
    /// [`Error::Config`](crate::Error::Config), the serializer's error as its source,
    /// before anything is sent.
    pub fn context(mut self, context: impl serde::Serialize) -> Self {
        match serde_json::to_value(context) {
            Ok(value) => self.context = Some(value),
            Err(e) => self.invalid(ErrorDetail::with_source(
                "the request context could not be serialized to JSON",
                e,
            )),
        }
        self
    }

    /// Lenient parsing, for local and small models that write almost-JSON: trailing
    /// commas, `//` and `/* */` comments, single-quoted strings, unquoted keys, raw
    /// control characters in strings and Python's `True`/`False`/`None` are accepted,
    /// and a number or boolean sent as a string (`"25"`, `"true"`) is read as one
    /// where the schema wants a number or boolean. Streams included. Off by default
    /// (strict, as in Python instructor); overrides
    /// [`Client::with_lenient`](crate::Client::with_lenient).
    ///
    /// ```
    /// use instructor_core::Request;
    /// let request = Request::new("llama3.2").user("Jason is 25").lenient(true);
    /// assert_eq!(request.lenient, Some(true));
    /// ```
    pub fn lenient(mut self, on: bool) -> Self {
        self.lenient = Some(on);
        self
    }

    /// Sets the temperature.
    pub fn temperature(mut self, t: f64) -> Self {
        self.temperature = Some(t);
        self
    }

    /// Sets the output token limit.
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self
    }

    /// Merges `body` (a JSON object) into the provider request body.
    ///
    /// Any other JSON value is not dropped: the call fails with
    /// [`Error::Config`](crate::Error::Config) before anything is sent.
    pub fn extra_body(mut self, body: Value) -> Self {
        match body {
            Value::Object(map) => self.extra_body.extend(map),
            other => self.invalid(ErrorDetail::new(format!(
                "`extra_body` must be a JSON object, got {}",
                json_kind(&other)
            ))),
        }
        self
    }

    /// The error a setter stored, if any: the call fails with it before sending.
    pub(crate) fn invalid_input(&self) -> Option<&ErrorDetail> {
        self.invalid.as_ref()
    }

    /// Keeps the first unusable input.
    fn invalid(&mut self, detail: ErrorDetail) {
        self.invalid.get_or_insert(detail);
    }

    /// Adds an HTTP header. A credential header (`Authorization`, `api-key`,
    /// `x-api-key`, `Cookie`, ...: see [`is_credential_header`](crate::is_credential_header))
    /// is sensitive: its value never prints.
    ///
    /// ```
    /// use instructor_core::Request;
    ///
    /// let request = Request::new("gpt-4o-mini").header("Authorization", "Bearer sk-gateway");
    /// assert!(!format!("{request:?}").contains("sk-gateway"));
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Header::new(name, value));
        self
    }

    /// Adds an HTTP header whose value is a secret whatever its name: it never prints.
    ///
    /// ```
    /// use instructor_core::Request;
    ///
    /// let request = Request::new("gpt-4o-mini").sensitive_header("x-tenant", "acme-secret");
    /// assert!(!format!("{request:#?}").contains("acme-secret"));
    /// ```
    pub fn sensitive_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Header::sensitive(name, value));
        self
    }

    /// Sets a timeout for each HTTP request of this call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets a response model known only at run time: the call is then made as
    /// `create::<serde_json::Value>(..)` (or the streaming and many-call variants)
    /// and the answer is checked against the model's schema. A call for any other
    /// `T` fails at once with [`Error::Config`](crate::Error::Config) rather than
    /// silently ignoring the model.
    pub fn response_model(mut self, model: DynamicModel) -> Self {
        self.response_model = Some(model);
        self
    }

    /// Sets a token budget for the whole call (all attempts).
    pub fn token_budget(mut self, tokens: u64) -> Self {
        self.token_budget = Some(tokens);
        self
    }

    /// Limits for this call alone (every attempt and reask); see [`UsageLimits`].
    pub fn usage_limits(mut self, limits: UsageLimits) -> Self {
        self.meters.push(UsageMeter::new(limits));
        self
    }

    /// Puts this call under a run's shared limits.
    pub(crate) fn with_meter(mut self, meter: std::sync::Arc<UsageMeter>) -> Self {
        self.meters.push(meter);
        self
    }

    /// The limits this call answers to (its own and its run's).
    pub(crate) fn meters(&self) -> &Meters {
        &self.meters
    }

    /// Bypasses the client's [`ResponseCache`](crate::ResponseCache) for this call:
    /// the provider is asked, and the answer is not stored.
    pub fn no_cache(mut self) -> Self {
        self.no_cache = true;
        self
    }

    /// What this call's reasks keep of earlier failed attempts.
    pub fn reask_history(mut self, history: ReaskHistory) -> Self {
        self.reask_history = Some(history);
        self
    }
}

/// The JSON kind of a value, for messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
