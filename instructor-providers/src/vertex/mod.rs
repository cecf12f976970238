//! Vertex AI natively: Gemini models through `generateContent` /
//! `streamGenerateContent?alt=sse`, and Anthropic's Claude models through
//! `rawPredict` / `streamRawPredict`, on the regional endpoint
//! `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/{google|anthropic}/models/{model}:{method}`
//! (location `global`: `https://aiplatform.googleapis.com`), authenticated with a
//! Google OAuth access token from [`GoogleCredentials`] (Application Default
//! Credentials).
//!
//! The bodies are the Gemini and Anthropic ones (their wire modules are reused):
//! a Claude body carries `anthropic_version: "vertex-2023-10-16"` and no `model`
//! (the model is in the URL). The modes are the publisher's: Gemini's
//! (`GeminiTools`, `GeminiJson`, `MdJson`, `ParallelTools`) or Anthropic's
//! (`AnthropicTools`, `AnthropicJson`, `ParallelTools`; Claude's native structured
//! output is not offered on Vertex). Vertex's batch prediction jobs read and write
//! Cloud Storage or BigQuery, so this provider has no batch engine.

mod auth;
mod external;
mod jwt;

use std::sync::Arc;

use instructor_core::provider::{EventStream, Provider, ProviderRequest};
use instructor_core::{Completion, Error, Header, Media, Mode, UrlFetchPolicy};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

pub use auth::{CLOUD_PLATFORM_SCOPE, GoogleCredentials, REFRESH_MARGIN};

use crate::anthropic::DEFAULT_MAX_TOKENS;
use crate::config::{BaseUrl, optional_env};
use crate::gemini::SchemaField;
use crate::http::{ApiKey, HttpRequest, Transport};
use crate::{anthropic, gemini};

/// The `anthropic_version` a Claude body on Vertex AI carries.
pub const VERTEX_ANTHROPIC_VERSION: &str = "vertex-2023-10-16";

/// The location used when none is given nor set in `GOOGLE_CLOUD_LOCATION`.
pub const DEFAULT_LOCATION: &str = "us-central1";

const ANTHROPIC_MODES: &[Mode] = &[
    Mode::AnthropicTools,
    Mode::AnthropicJson,
    Mode::ParallelTools,
];

/// Whose models a [`VertexAI`] client calls: the publisher in the URL, the wire
/// format and the modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Publisher {
    /// Google's Gemini models (`generateContent`).
    #[default]
    Google,
    /// Anthropic's Claude models (`rawPredict`, Messages API bodies).
    Anthropic,
}

impl Publisher {
    /// The publisher of a model name: `claude-*` is Anthropic's, anything else
    /// Google's.
    pub fn for_model(model: &str) -> Self {
        if model.starts_with("claude-") {
            Self::Anthropic
        } else {
            Self::Google
        }
    }

    /// The publisher's name in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Anthropic => "anthropic",
        }
    }
}

/// A Vertex AI client.
///
/// ```no_run
/// # fn main() -> instructor_core::Result<()> {
/// use instructor_providers::vertex::{GoogleCredentials, Publisher, VertexAI};
///
/// // GOOGLE_APPLICATION_CREDENTIALS (or gcloud's ADC file, or the metadata server),
/// // GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION, GOOGLE_VERTEX_BASE_URL.
/// let gemini = VertexAI::from_env()?;
/// let claude = VertexAI::from_env()?.publisher(Publisher::Anthropic);
/// let explicit = VertexAI::new(GoogleCredentials::from_file("sa.json")?)
///     .project("my-project")
///     .location("europe-west4");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct VertexAI {
    credentials: GoogleCredentials,
    project: Option<String>,
    location: String,
    base_url: Option<BaseUrl>,
    publisher: Publisher,
    schema_field: SchemaField,
    max_tokens: u32,
    headers: Vec<Header>,
    transport: Transport,
    /// The project read from the metadata server, when none was given.
    metadata_project: Arc<OnceCell<String>>,
}

impl VertexAI {
    /// Gemini models on Vertex AI with `credentials`, in [`DEFAULT_LOCATION`]; the
    /// project is the one the credentials name until [`project`](Self::project)
    /// sets one (on the metadata server, the machine's project).
    pub fn new(credentials: GoogleCredentials) -> Self {
        Self {
            project: credentials.project_id().map(str::to_owned),
            credentials,
            location: DEFAULT_LOCATION.to_owned(),
            base_url: None,
            publisher: Publisher::Google,
            schema_field: SchemaField::default(),
            max_tokens: DEFAULT_MAX_TOKENS,
            headers: Vec::new(),
            transport: Transport::new(),
            metadata_project: Arc::new(OnceCell::new()),
        }
    }

    /// From Application Default Credentials ([`GoogleCredentials::from_env`]),
    /// `GOOGLE_CLOUD_PROJECT` (else the credentials' project), `GOOGLE_CLOUD_LOCATION`
    /// (else [`DEFAULT_LOCATION`]) and optionally `GOOGLE_VERTEX_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        let mut client = Self::new(GoogleCredentials::from_env()?);
        if let Some(project) = optional_env("GOOGLE_CLOUD_PROJECT") {
            client = client.project(project);
        }
        if let Some(location) = optional_env("GOOGLE_CLOUD_LOCATION") {
            client = client.location(location);
        }
        if let Some(url) = optional_env("GOOGLE_VERTEX_BASE_URL") {
            client = client.base_url(url);
        }
        Ok(client)
    }

    /// Sets the Google Cloud project.
    #[must_use]
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// Sets the location (`us-central1`, `europe-west4`, `global`...).
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = location.into();
        self
    }

    /// Replaces the endpoint (up to the host; a trailing `/v1` is accepted), e.g.
    /// to point at a local server or a private endpoint.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(BaseUrl::without_version(&url.into(), "/v1"));
        self
    }

    /// Chooses whose models this client calls (Google's by default).
    #[must_use]
    pub fn publisher(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    /// Chooses how [`Mode::GeminiJson`] sends the schema (Gemini models).
    #[must_use]
    pub fn schema_field(mut self, field: SchemaField) -> Self {
        self.schema_field = field;
        self
    }

    /// The `max_tokens` sent to Claude models when a request sets none
    /// (the Messages API requires it).
    #[must_use]
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    crate::config::transport_builders!();

    /// The endpoint requests go to: the base URL, else the location's.
    pub fn url(&self) -> String {
        match &self.base_url {
            Some(url) => url.as_str().to_owned(),
            None if self.location == "global" => "https://aiplatform.googleapis.com".to_owned(),
            None => format!("https://{}-aiplatform.googleapis.com", self.location),
        }
    }

    /// The credentials (shared, with their token cache, by every clone).
    pub fn credentials(&self) -> &GoogleCredentials {
        &self.credentials
    }

    /// The publisher whose models this client calls.
    pub fn publisher_kind(&self) -> Publisher {
        self.publisher
    }

    /// The project: the one set, else the metadata server's, else an error.
    async fn project_id(&self) -> Result<&str, Error> {
        if let Some(project) = &self.project {
            return Ok(project);
        }
        let Some(root) = self.credentials.metadata_root() else {
            return Err(Error::config(
                "no Google Cloud project: set GOOGLE_CLOUD_PROJECT or call `.project(..)`"
                    .to_owned(),
            ));
        };
        let url = format!("{root}/computeMetadata/v1/project/project-id?alt=json");
        let project = self
            .metadata_project
            .get_or_try_init(|| async {
                let answer = self
                    .transport
                    .get_json(&url, &[Header::new("Metadata-Flavor", "Google")])
                    .await?;
                answer.as_str().map(str::to_owned).ok_or_else(|| {
                    Error::response("the metadata server named no project".to_owned())
                })
            })
            .await?;
        Ok(project)
    }

    /// The project, then a token (so a missing project fails before any token
    /// request), and the HTTP request carrying it.
    async fn http_request<'a>(
        &self,
        request: &ProviderRequest,
        body: &'a Value,
    ) -> Result<(HttpRequest<'a>, ApiKey), Error> {
        let project = self.project_id().await?;
        let token = self.credentials.token(&self.transport).await?;
        let method = match (self.publisher, request.stream) {
            (Publisher::Google, false) => "generateContent",
            (Publisher::Google, true) => "streamGenerateContent?alt=sse",
            (Publisher::Anthropic, false) => "rawPredict",
            (Publisher::Anthropic, true) => "streamRawPredict",
        };
        let model = request
            .model
            .strip_prefix("models/")
            .unwrap_or(&request.model);
        let url = format!(
            "{}/v1/projects/{}/locations/{}/publishers/{}/models/{model}:{method}",
            self.url(),
            project,
            self.location,
            self.publisher.as_str(),
        );
        let mut headers = self.headers.clone();
        headers.push(Header::sensitive(
            "authorization",
            format!("Bearer {}", token.expose()),
        ));
        if let Some(project) = self.credentials.quota_project() {
            headers.push(Header::new("x-goog-user-project", project));
        }
        headers.extend(request.headers.iter().cloned());
        let http = HttpRequest {
            url,
            headers,
            body,
            timeout: request.timeout,
            gate: request.gate.clone(),
        };
        Ok((http, token))
    }

    /// After a 401 the call's token is dropped from the cache, so the next call
    /// asks for a new one.
    async fn forget_refused(&self, error: &Error, token: &ApiKey) {
        if error.status() == Some(401) {
            self.credentials.invalidate(token).await;
        }
    }
}

/// A Claude body for Vertex AI: the Messages API body with `anthropic_version`
/// first and without `model`.
fn anthropic_body(request: &ProviderRequest, max_tokens: u32) -> Result<Value, Error> {
    let messages = anthropic::wire::messages_body(request, max_tokens)?;
    let mut body = Map::new();
    body.insert(
        "anthropic_version".into(),
        Value::from(VERTEX_ANTHROPIC_VERSION),
    );
    if let Value::Object(fields) = messages {
        body.extend(fields.into_iter().filter(|(k, _)| k != "model"));
    }
    Ok(Value::Object(body))
}

#[async_trait::async_trait]
impl Provider for VertexAI {
    fn name(&self) -> &str {
        "vertexai"
    }

    fn resolve_mode(&self, mode: Mode) -> Option<Mode> {
        match self.publisher {
            Publisher::Google => gemini::resolve_mode(mode),
            Publisher::Anthropic => match mode {
                Mode::Tools | Mode::AnthropicTools => Some(Mode::AnthropicTools),
                Mode::Json | Mode::MdJson | Mode::AnthropicJson => Some(Mode::AnthropicJson),
                Mode::ParallelTools => Some(Mode::ParallelTools),
                _ => None,
            },
        }
    }

    fn supported_modes(&self) -> &[Mode] {
        match self.publisher {
            Publisher::Google => gemini::MODES,
            Publisher::Anthropic => ANTHROPIC_MODES,
        }
    }

    fn default_mode(&self) -> Mode {
        match self.publisher {
            Publisher::Google => Mode::GeminiTools,
            Publisher::Anthropic => Mode::AnthropicTools,
        }
    }

    /// Claude's rules for URL parts (a text file is downloaded); Gemini takes URLs.
    fn takes_url(&self, _mode: Mode, media: &Media) -> bool {
        match self.publisher {
            Publisher::Google => true,
            Publisher::Anthropic => anthropic::takes_url(media),
        }
    }

    async fn fetch_url(
        &self,
        media: &Media,
        policy: &UrlFetchPolicy,
        max_bytes: u64,
    ) -> Result<Media, Error> {
        crate::http::fetch::fetch_media(media, policy, max_bytes).await
    }

    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error> {
        match self.publisher {
            Publisher::Google => gemini::wire::generate_body(request, self.schema_field),
            Publisher::Anthropic => anthropic_body(request, self.max_tokens),
        }
    }

    async fn send(&self, request: &ProviderRequest, body: &Value) -> Result<Completion, Error> {
        let (http, token) = self.http_request(request, body).await?;
        let raw = match self.transport.post_json(&http).await {
            Ok(raw) => raw,
            Err(error) => {
                self.forget_refused(&error, &token).await;
                return Err(error);
            }
        };
        match self.publisher {
            Publisher::Google => gemini::convert::generate_completion(raw),
            Publisher::Anthropic => anthropic::convert::message_completion(raw),
        }
    }

    async fn send_stream(
        &self,
        request: &ProviderRequest,
        body: &Value,
    ) -> Result<EventStream, Error> {
        let (http, token) = self.http_request(request, body).await?;
        let response = match self.transport.post_stream(&http).await {
            Ok(response) => response,
            Err(error) => {
                self.forget_refused(&error, &token).await;
                return Err(error);
            }
        };
        Ok(match self.publisher {
            Publisher::Google => gemini::stream::events(response),
            Publisher::Anthropic => anthropic::stream::events(response),
        })
    }
}

#[cfg(test)]
mod tests {
    use instructor_core::provider::Provider;
    use instructor_core::{Attachment, Image, Mode};

    use super::{GoogleCredentials, Publisher, VertexAI};

    #[test]
    fn claude_on_vertex_downloads_text_files_like_anthropic_and_gemini_takes_urls() {
        let text = Attachment::from_url("https://example.com/notes.txt").into_media();
        let image = Image::from_url("https://example.com/a.png").into_media();
        let gemini = VertexAI::new(GoogleCredentials::access_token("t"));
        let claude = gemini.clone().publisher(Publisher::Anthropic);
        assert!(gemini.takes_url(Mode::GeminiTools, &text));
        assert!(!claude.takes_url(Mode::AnthropicTools, &text));
        assert!(claude.takes_url(Mode::AnthropicTools, &image));
    }
}
