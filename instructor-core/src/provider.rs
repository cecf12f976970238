//! The provider trait: how the client talks to a service. A provider shapes the
//! wire request for each mode, sends it (with its own transport retries), and turns
//! the answer into a provider-neutral [`Completion`]; streaming providers also
//! decode their event streams into neutral [`StreamEvent`]s.

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use serde_json::{Map, Value};

pub use crate::batch::{
    BatchEngine, BatchInputStream, BatchLine, BatchLineResult, BatchLineStream, ListedBatch,
};
use crate::completion::{Completion, FinishReason, Usage};
use crate::error::Error;
use crate::header::Header;
pub use crate::header::redact_url;
pub use crate::many::TransportGate;
use crate::media::{Media, UrlFetchPolicy};
use crate::message::{Message, PromptCache};
use crate::mode::Mode;
use crate::schema::Schema;

/// The response model as the provider must request it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseSpec {
    /// Tool / response-format name.
    pub name: String,
    /// Tool description.
    pub description: String,
    /// The JSON Schema (always an object; not yet in the provider's dialect).
    pub schema: Schema,
}

impl ResponseSpec {
    /// The schema with the model's own description (its doc comment) at the top, as
    /// Python instructor sends `model_json_schema()` in JSON-style modes and in
    /// Anthropic's `input_schema`: users write instructions there. The generated
    /// default description (a type without a doc comment) is not added.
    pub fn described_schema(&self) -> Schema {
        if self.description.is_empty()
            || self.schema.get("description").is_some()
            || self.description == crate::schema::default_description(&self.name)
        {
            return self.schema.clone();
        }
        let mut schema = Schema::any();
        schema.insert("description", self.description.as_str());
        for (key, value) in self.schema.as_map() {
            schema.insert(key, value.clone());
        }
        schema
    }
}

/// A provider-neutral request: everything a provider needs to build its body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProviderRequest {
    /// The model (or deployment).
    pub model: String,
    /// The mode.
    pub mode: Mode,
    /// The conversation, templated and with any injected schema prompt.
    pub messages: Vec<Message>,
    /// The response model.
    pub response: ResponseSpec,
    /// The tools of a union of models in `Mode::ParallelTools` (see
    /// [`Instruct::union_members`](crate::Instruct::union_members)): one per member,
    /// in order. Empty otherwise, when `response` is the one tool; read both cases
    /// through [`ProviderRequest::tool_specs`].
    pub tools: Vec<ResponseSpec>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Output token limit.
    pub max_tokens: Option<u32>,
    /// Fields merged verbatim into the body.
    pub extra_body: Map<String, Value>,
    /// Extra HTTP headers (sensitive values never print).
    pub headers: Vec<Header>,
    /// Per-request timeout.
    pub timeout: Option<Duration>,
    /// Whether to stream.
    pub stream: bool,
    /// Paces and pauses this call's HTTP attempts when it is part of a
    /// [`create_many`](crate::Client::create_many) run: await
    /// [`TransportGate::ready`] before each attempt and report failures with
    /// [`TransportGate::attempt_failed`]. `None` for a single call.
    pub gate: Option<TransportGate>,
    /// Prompt-cache steering, for the providers that take it.
    pub cache: PromptCache,
    /// The usage limits this call answers to.
    pub(crate) meters: crate::limits::Meters,
    /// What a reask keeps of earlier attempts.
    pub(crate) reask: crate::client::reask::ReaskPolicy,
    /// The call's own hooks (from its [`Request`](crate::Request)).
    pub(crate) hooks: crate::client::hooks::CallHooks,
}

impl ProviderRequest {
    /// A request for `model` in `mode` with `messages` and the response model; no
    /// sampling settings, extra body or headers, not streamed, no gate.
    pub fn new(
        model: impl Into<String>,
        mode: Mode,
        messages: Vec<Message>,
        response: ResponseSpec,
    ) -> Self {
        Self {
            model: model.into(),
            mode,
            messages,
            response,
            tools: Vec::new(),
            temperature: None,
            max_tokens: None,
            extra_body: Map::new(),
            headers: Vec::new(),
            timeout: None,
            stream: false,
            gate: None,
            hooks: crate::client::hooks::CallHooks::default(),
            cache: PromptCache::default(),
            reask: crate::client::reask::ReaskPolicy::default(),
            meters: crate::limits::Meters::default(),
        }
    }

    /// The tools to offer: the union's members when there are any, else the one
    /// response model.
    pub fn tool_specs(&self) -> &[ResponseSpec] {
        if self.tools.is_empty() {
            std::slice::from_ref(&self.response)
        } else {
            &self.tools
        }
    }
}

/// One decoded event of a streamed response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A piece of text content.
    TextDelta(String),
    /// A piece of a tool call's arguments (`index` tells parallel calls apart).
    ToolCallDelta {
        /// Which call.
        index: usize,
        /// The call id, when this delta carries it.
        id: Option<String>,
        /// The tool name, when this delta carries it.
        name: Option<String>,
        /// Argument text.
        arguments: String,
    },
    /// The provider's signature of a tool call, to be echoed with it (see
    /// [`ToolCall::signature`](crate::ToolCall::signature)).
    ToolCallSignature {
        /// Which call.
        index: usize,
        /// The opaque token.
        signature: String,
    },
    /// A piece of a refusal.
    RefusalDelta(String),
    /// Usage (usually in the last chunk).
    Usage(Usage),
    /// Why generation stopped.
    Finish(FinishReason),
    /// The raw event as received, for inspection and debugging (parsed only on demand).
    Raw(RawEvent),
}

/// A provider's stream event exactly as it arrived: the text of its SSE `data:`
/// field. Providers keep the text rather than a parsed tree, so streaming pays
/// nothing for it; [`RawEvent::json`] parses it when someone looks.
///
/// ```
/// use instructor_core::provider::RawEvent;
///
/// let raw = RawEvent::new(r#"{"choices":[]}"#);
/// assert_eq!(raw.data(), r#"{"choices":[]}"#);
/// assert!(raw.json().unwrap()["choices"].is_array());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    data: String,
}

impl RawEvent {
    /// An event with this `data:` text.
    pub fn new(data: impl Into<String>) -> Self {
        Self { data: data.into() }
    }

    /// The `data:` text.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The `data:` text, owned.
    pub fn into_data(self) -> String {
        self.data
    }

    /// The `data:` text parsed as JSON.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.data)
    }
}

/// A stream of decoded events.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, Error>> + Send>>;

/// A service that can answer structured-output requests.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// A short name (`openai`, `anthropic`, `gemini`, or a preset's name).
    fn name(&self) -> &str;

    /// Every mode this provider serves under its own name (named in configuration
    /// errors).
    fn supported_modes(&self) -> &[Mode];

    /// The mode this provider actually uses for `mode`: core names map to the
    /// provider's own (`Mode::Tools` on Anthropic is `Mode::AnthropicTools`). `None`
    /// when it cannot serve it. By default, `mode` itself if it is supported.
    fn resolve_mode(&self, mode: Mode) -> Option<Mode> {
        self.supported_modes().contains(&mode).then_some(mode)
    }

    /// Whether this provider can serve `mode` (as given, or through
    /// [`Provider::resolve_mode`]).
    fn supports_mode(&self, mode: Mode) -> bool {
        self.resolve_mode(mode).is_some()
    }

    /// The mode used when the client sets none.
    fn default_mode(&self) -> Mode {
        Mode::Tools
    }

    /// Builds the exact JSON body that will be sent (shown to `CompletionKwargs` hooks).
    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error>;

    /// Sends a body built by [`Provider::build_body`], with transport retries, and
    /// parses the answer.
    async fn send(&self, request: &ProviderRequest, body: &Value) -> Result<Completion, Error>;

    /// Whether this provider takes `media`, a part with a remote URL, as a URL in
    /// `mode`. When it does not, the client downloads the URL first with
    /// [`Provider::fetch_url`] (if its [`UrlFetchPolicy`] is enabled) and the part
    /// reaches [`Provider::build_body`] inline. By default, true.
    fn takes_url(&self, mode: Mode, media: &Media) -> bool {
        let _ = (mode, media);
        true
    }

    /// Downloads the URL of `media` (a part [`Provider::takes_url`] refused) under
    /// `policy`, reading at most `max_bytes` of its body, and returns the part with
    /// the content inline (see [`Media::inlined`]). Called once per part when a call
    /// starts, never on transport retries or reasks. By default, [`Error::Config`]:
    /// this provider cannot download.
    async fn fetch_url(
        &self,
        media: &Media,
        policy: &UrlFetchPolicy,
        max_bytes: u64,
    ) -> Result<Media, Error> {
        let _ = (policy, max_bytes);
        Err(Error::config(format!(
            "{} cannot be sent to {}: it takes this kind of content inline only and cannot download URLs",
            media.label(),
            self.name()
        )))
    }

    /// The provider's batch engine (see [`Client::batch`](crate::Client::batch)),
    /// when it has one.
    fn batch_engine(&self) -> Option<&dyn BatchEngine> {
        None
    }

    /// Sends a streaming request and decodes its events.
    async fn send_stream(
        &self,
        request: &ProviderRequest,
        body: &Value,
    ) -> Result<EventStream, Error> {
        let _ = (request, body);
        Err(Error::config(format!(
            "{} does not support streaming",
            self.name()
        )))
    }
}
