//! Google Gemini (Generative Language API, `models/{model}:generateContent`): a
//! forced function call ([`Mode::GeminiTools`], also `Mode::Tools`), JSON output with
//! the schema enforced by the service ([`Mode::GeminiJson`], also `Json` and
//! `JsonSchema`), the schema in the prompt (`Mode::MdJson`), and several function
//! calls (`Mode::ParallelTools`); batch mode (`batchGenerateContent`) in `batch.rs`.
//! The key goes in the `x-goog-api-key` header, never in the URL.

mod batch;
pub(crate) mod convert;
pub(crate) mod stream;
pub(crate) mod wire;

use instructor_core::provider::{BatchEngine, EventStream, Provider, ProviderRequest};
use instructor_core::{Completion, Error, Header, Mode};
use serde_json::Value;

use crate::config::{BaseUrl, optional_env, require_any_env};
use crate::http::{ApiKey, HttpRequest, Transport};

pub(crate) const MODES: &[Mode] = &[
    Mode::GeminiTools,
    Mode::GeminiJson,
    Mode::MdJson,
    Mode::ParallelTools,
];

/// The Gemini mode serving `mode` (shared with Gemini on Vertex AI).
pub(crate) fn resolve_mode(mode: Mode) -> Option<Mode> {
    match mode {
        Mode::Tools | Mode::GeminiTools => Some(Mode::GeminiTools),
        Mode::Json | Mode::JsonSchema | Mode::GeminiJson => Some(Mode::GeminiJson),
        Mode::MdJson => Some(Mode::MdJson),
        Mode::ParallelTools => Some(Mode::ParallelTools),
        _ => None,
    }
}

/// How the response schema is sent in [`Mode::GeminiJson`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SchemaField {
    /// `responseJsonSchema`: JSON Schema with `$defs`/`$ref` (default).
    #[default]
    JsonSchema,
    /// `responseSchema`: the OpenAPI subset (refs inlined, `nullable`), for older
    /// models and endpoints.
    OpenApi,
}

/// A Gemini client.
///
/// ```no_run
/// # fn main() -> instructor_core::Result<()> {
/// use instructor_providers::Gemini;
/// let gemini = Gemini::from_env()?; // GEMINI_API_KEY or GOOGLE_API_KEY, GEMINI_BASE_URL
/// let local = Gemini::new("test-key").base_url("http://127.0.0.1:8080/v1beta");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Gemini {
    base_url: BaseUrl,
    api_key: ApiKey,
    headers: Vec<Header>,
    schema_field: SchemaField,
    transport: Transport,
}

impl Gemini {
    /// Gemini at `https://generativelanguage.googleapis.com/v1beta` with `api_key`.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            base_url: BaseUrl::new("https://generativelanguage.googleapis.com/v1beta"),
            api_key: ApiKey::new(api_key),
            headers: Vec::new(),
            schema_field: SchemaField::default(),
            transport: Transport::new(),
        }
    }

    /// From `GEMINI_API_KEY` (or `GOOGLE_API_KEY`) and optionally `GEMINI_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        let mut client = Self::new(require_any_env(&["GEMINI_API_KEY", "GOOGLE_API_KEY"])?);
        if let Some(url) = optional_env("GEMINI_BASE_URL") {
            client = client.base_url(url);
        }
        Ok(client)
    }

    /// Replaces the base URL (up to the API version, e.g. `.../v1beta`).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = BaseUrl::new(&url.into());
        self
    }

    /// Chooses how [`Mode::GeminiJson`] sends the schema.
    #[must_use]
    pub fn schema_field(mut self, field: SchemaField) -> Self {
        self.schema_field = field;
        self
    }

    crate::config::transport_builders!();

    /// The base URL requests go to.
    pub fn url(&self) -> &str {
        self.base_url.as_str()
    }

    fn http_request<'a>(&self, request: &ProviderRequest, body: &'a Value) -> HttpRequest<'a> {
        let model = request
            .model
            .strip_prefix("models/")
            .unwrap_or(&request.model);
        let url = if request.stream {
            format!(
                "{}/models/{model}:streamGenerateContent?alt=sse",
                self.base_url.as_str()
            )
        } else {
            format!("{}/models/{model}:generateContent", self.base_url.as_str())
        };
        let mut headers = self.headers.clone();
        headers.push(Header::sensitive("x-goog-api-key", self.api_key.expose()));
        headers.extend(request.headers.iter().cloned());
        HttpRequest {
            url,
            headers,
            body,
            timeout: request.timeout,
            gate: request.gate.clone(),
        }
    }
}

#[async_trait::async_trait]
impl Provider for Gemini {
    fn name(&self) -> &str {
        "gemini"
    }

    fn resolve_mode(&self, mode: Mode) -> Option<Mode> {
        resolve_mode(mode)
    }

    fn supported_modes(&self) -> &[Mode] {
        MODES
    }

    fn default_mode(&self) -> Mode {
        Mode::GeminiTools
    }

    /// Gemini batch mode (`batchGenerateContent`, inlined requests).
    fn batch_engine(&self) -> Option<&dyn BatchEngine> {
        Some(self)
    }

    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error> {
        wire::generate_body(request, self.schema_field)
    }

    async fn send(&self, request: &ProviderRequest, body: &Value) -> Result<Completion, Error> {
        let raw = self
            .transport
            .post_json(&self.http_request(request, body))
            .await?;
        convert::generate_completion(raw)
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
