//! Cohere Chat API v2 (`POST /v2/chat`): a tool call forced with
//! `tool_choice: "REQUIRED"` (`Mode::Tools`, the default; `Mode::ToolsStrict` adds
//! `strict_tools: true`, Cohere's structured outputs for tools; `Mode::ParallelTools` for
//! several calls), JSON output with the schema enforced by the service
//! (`Mode::JsonSchema`: `response_format: {"type": "json_object", "json_schema"}`),
//! JSON output with the schema in the prompt (`Mode::Json`), and the schema in the
//! prompt with the answer in a fenced block (`Mode::MdJson`). Streams decode Cohere's
//! own events (`content-delta`, `tool-call-start`, `tool-call-delta`, `message-end`).

mod convert;
mod stream;
mod wire;

use instructor_core::provider::{EventStream, Provider, ProviderRequest};
use instructor_core::{Completion, Error, Header, Mode};
use serde_json::Value;

use crate::config::{BaseUrl, optional_env, require_env};
use crate::http::{ApiKey, HttpRequest, Transport};

const MODES: &[Mode] = &[
    Mode::Tools,
    Mode::ToolsStrict,
    Mode::ParallelTools,
    Mode::JsonSchema,
    Mode::Json,
    Mode::MdJson,
];

/// A Cohere client (`Authorization: Bearer`), speaking the v2 Chat API.
///
/// ```no_run
/// # fn main() -> instructor_core::Result<()> {
/// use instructor_providers::Cohere;
/// let cohere = Cohere::from_env()?; // CO_API_KEY, CO_API_URL
/// let local = Cohere::new("co-test").base_url("http://127.0.0.1:8080");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Cohere {
    base_url: BaseUrl,
    api_key: ApiKey,
    headers: Vec<Header>,
    transport: Transport,
}

impl Cohere {
    /// Cohere at `https://api.cohere.com` with `api_key`.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            base_url: BaseUrl::new("https://api.cohere.com"),
            api_key: ApiKey::new(api_key),
            headers: Vec::new(),
            transport: Transport::new(),
        }
    }

    /// From `CO_API_KEY` and optionally `CO_API_URL` (the variables Cohere's SDKs
    /// read).
    pub fn from_env() -> Result<Self, Error> {
        let mut client = Self::new(require_env("CO_API_KEY")?);
        if let Some(url) = optional_env("CO_API_URL") {
            client = client.base_url(url);
        }
        Ok(client)
    }

    /// Replaces the base URL (with or without `/v2`), e.g. to point at a local
    /// server or a private deployment.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = BaseUrl::without_version(&url.into(), "/v2");
        self
    }

    crate::config::transport_builders!();

    /// The base URL requests go to.
    pub fn url(&self) -> &str {
        self.base_url.as_str()
    }

    fn http_request<'a>(&self, request: &ProviderRequest, body: &'a Value) -> HttpRequest<'a> {
        let mut headers = self.headers.clone();
        headers.push(Header::sensitive(
            "Authorization",
            format!("Bearer {}", self.api_key.expose()),
        ));
        headers.extend(request.headers.iter().cloned());
        HttpRequest {
            url: format!("{}/v2/chat", self.base_url.as_str()),
            headers,
            body,
            timeout: request.timeout,
            gate: request.gate.clone(),
        }
    }
}

#[async_trait::async_trait]
impl Provider for Cohere {
    fn name(&self) -> &str {
        "cohere"
    }

    fn supported_modes(&self) -> &[Mode] {
        MODES
    }

    fn default_mode(&self) -> Mode {
        Mode::Tools
    }

    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error> {
        wire::chat_body(request)
    }

    async fn send(&self, request: &ProviderRequest, body: &Value) -> Result<Completion, Error> {
        let raw = self
            .transport
            .post_json(&self.http_request(request, body))
            .await?;
        convert::chat_completion(raw)
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
