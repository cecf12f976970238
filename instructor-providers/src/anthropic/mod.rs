//! Anthropic Messages API (`POST /v1/messages`): forced `tool_use`
//! ([`Mode::AnthropicTools`], also reached as `Mode::Tools`), JSON in the text with
//! the schema in the top-level system ([`Mode::AnthropicJson`], also `Json` and
//! `MdJson`), native structured output (`Mode::JsonSchema`, `output_config.format`),
//! and several `tool_use` blocks (`Mode::ParallelTools`). Message Batches
//! (`/v1/messages/batches`) run [`Batches`](instructor_core::Batches) jobs.

mod batch;
pub(crate) mod convert;
pub(crate) mod stream;
pub(crate) mod wire;

use instructor_core::provider::{BatchEngine, EventStream, Provider, ProviderRequest};
use instructor_core::{Completion, Error, Header, Media, MediaKind, Mode, UrlFetchPolicy};
use serde_json::Value;

use crate::config::{BaseUrl, optional_env, require_env};
use crate::http::{ApiKey, HttpRequest, Transport};

/// The API version header sent with every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// `max_tokens` is required by the API; this is used when the request sets none
/// (Python instructor's default).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

const MODES: &[Mode] = &[
    Mode::AnthropicTools,
    Mode::AnthropicJson,
    Mode::JsonSchema,
    Mode::ParallelTools,
];

/// An Anthropic client (`x-api-key`, `anthropic-version`).
///
/// ```no_run
/// # fn main() -> instructor_core::Result<()> {
/// use instructor_providers::Anthropic;
/// let anthropic = Anthropic::from_env()?; // ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
/// let local = Anthropic::new("sk-ant-test").base_url("http://127.0.0.1:8080");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Anthropic {
    base_url: BaseUrl,
    api_key: ApiKey,
    betas: Vec<String>,
    headers: Vec<Header>,
    max_tokens: u32,
    transport: Transport,
}

impl Anthropic {
    /// Anthropic at `https://api.anthropic.com` with `api_key`.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            base_url: BaseUrl::new("https://api.anthropic.com"),
            api_key: ApiKey::new(api_key),
            betas: Vec::new(),
            headers: Vec::new(),
            max_tokens: DEFAULT_MAX_TOKENS,
            transport: Transport::new(),
        }
    }

    /// From `ANTHROPIC_API_KEY` and optionally `ANTHROPIC_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        let mut client = Self::new(require_env("ANTHROPIC_API_KEY")?);
        if let Some(url) = optional_env("ANTHROPIC_BASE_URL") {
            client = client.base_url(url);
        }
        Ok(client)
    }

    /// Replaces the base URL (without `/v1`), e.g. to point at a local server.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = BaseUrl::without_version(&url.into(), "/v1");
        self
    }

    /// Adds an `anthropic-beta` feature flag.
    #[must_use]
    pub fn beta(mut self, flag: impl Into<String>) -> Self {
        self.betas.push(flag.into());
        self
    }

    crate::config::transport_builders!();

    /// The base URL requests go to.
    pub fn url(&self) -> &str {
        self.base_url.as_str()
    }

    /// The headers of every request: the caller's, the key, the version, the betas.
    fn base_headers(&self) -> Vec<Header> {
        let mut headers = self.headers.clone();
        headers.push(Header::sensitive("x-api-key", self.api_key.expose()));
        headers.push(Header::new("anthropic-version", ANTHROPIC_VERSION));
        if !self.betas.is_empty() {
            headers.push(Header::new("anthropic-beta", self.betas.join(",")));
        }
        headers
    }

    fn http_request<'a>(&self, request: &ProviderRequest, body: &'a Value) -> HttpRequest<'a> {
        let mut headers = self.base_headers();
        headers.extend(request.headers.iter().cloned());
        HttpRequest {
            url: format!("{}/v1/messages", self.base_url.as_str()),
            headers,
            body,
            timeout: request.timeout,
            gate: request.gate.clone(),
        }
    }
}

#[async_trait::async_trait]
impl Provider for Anthropic {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn resolve_mode(&self, mode: Mode) -> Option<Mode> {
        match mode {
            Mode::Tools | Mode::AnthropicTools => Some(Mode::AnthropicTools),
            Mode::Json | Mode::MdJson | Mode::AnthropicJson => Some(Mode::AnthropicJson),
            Mode::JsonSchema => Some(Mode::JsonSchema),
            Mode::ParallelTools => Some(Mode::ParallelTools),
            _ => None,
        }
    }

    fn supported_modes(&self) -> &[Mode] {
        MODES
    }

    fn default_mode(&self) -> Mode {
        Mode::AnthropicTools
    }

    /// Message Batches (`/v1/messages/batches`).
    fn batch_engine(&self) -> Option<&dyn BatchEngine> {
        Some(self)
    }

    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error> {
        wire::messages_body(request, self.max_tokens)
    }

    /// Everything but a text file: a text `document` takes its content inline.
    fn takes_url(&self, _mode: Mode, media: &Media) -> bool {
        takes_url(media)
    }

    async fn fetch_url(
        &self,
        media: &Media,
        policy: &UrlFetchPolicy,
        max_bytes: u64,
    ) -> Result<Media, Error> {
        crate::http::fetch::fetch_media(media, policy, max_bytes).await
    }

    async fn send(&self, request: &ProviderRequest, body: &Value) -> Result<Completion, Error> {
        let raw = self
            .transport
            .post_json(&self.http_request(request, body))
            .await?;
        convert::message_completion(raw)
    }

    async fn send_stream(
        &self,
        request: &ProviderRequest,
        body: &Value,
    ) -> Result<EventStream, Error> {
        let response = self
            .transport
            .post_stream(&self.http_request(request, body))
            .await?;
        Ok(stream::events(response))
    }
}

/// Whether Anthropic takes `media` as a URL source: every kind but text files (a
/// text document is sent as its text, so its URL is downloaded first).
pub(crate) fn takes_url(media: &Media) -> bool {
    !(media.kind() == MediaKind::File && media.mime().is_some_and(|m| m.starts_with("text/")))
}
