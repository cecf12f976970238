//! The OpenAI-compatible client's configuration and the presets for compatible
//! services: base URLs, auth headers, environment variables, supported modes.

use instructor_core::{Error, Header, Mode};

use crate::config::{BaseUrl, optional_env, require_env};
use crate::http::{ApiKey, Transport};

/// How the API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `api-key: <key>` (Azure OpenAI).
    ApiKeyHeader,
}

/// Where the chat endpoint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `{base}/chat/completions`.
    Standard,
    /// Azure: `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=..`.
    AzureDeployment { api_version: String },
}

const ALL_OPENAI_MODES: &[Mode] = &[
    Mode::Tools,
    Mode::ToolsStrict,
    Mode::ParallelTools,
    Mode::Json,
    Mode::JsonSchema,
    Mode::MdJson,
    Mode::Functions,
    Mode::JsonO1,
    Mode::OpenRouterStructuredOutputs,
    Mode::ResponsesTools,
];
const COMPATIBLE_MODES: &[Mode] = &[
    Mode::Tools,
    Mode::ToolsStrict,
    Mode::ParallelTools,
    Mode::Json,
    Mode::JsonSchema,
    Mode::MdJson,
    Mode::OpenRouterStructuredOutputs,
];
const JSON_ONLY_MODES: &[Mode] = &[
    Mode::Json,
    Mode::JsonSchema,
    Mode::MdJson,
    Mode::Tools,
    Mode::ParallelTools,
];

/// A client for OpenAI's API or any OpenAI-compatible service.
#[derive(Clone, Debug)]
pub struct OpenAI {
    pub(crate) name: String,
    pub(crate) base_url: BaseUrl,
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) auth: Auth,
    pub(crate) layout: Layout,
    pub(crate) headers: Vec<Header>,
    pub(crate) modes: &'static [Mode],
    pub(crate) default_mode: Mode,
    /// Whether a streamed request asks for usage (`stream_options.include_usage`).
    pub(crate) stream_usage: bool,
    pub(crate) transport: Transport,
}

impl OpenAI {
    /// OpenAI at `https://api.openai.com/v1` with `key`.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self::compatible(
            "openai",
            "https://api.openai.com/v1",
            Some(api_key.into()),
            ALL_OPENAI_MODES,
        )
    }

    /// From `OPENAI_API_KEY` and optionally `OPENAI_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        let mut client = Self::new(require_env("OPENAI_API_KEY")?);
        if let Some(url) = optional_env("OPENAI_BASE_URL") {
            client.base_url = BaseUrl::new(&url);
        }
        if let Some(org) = optional_env("OPENAI_ORG_ID") {
            client.headers.push(Header::new("OpenAI-Organization", org));
        }
        if let Some(project) = optional_env("OPENAI_PROJECT_ID") {
            client.headers.push(Header::new("OpenAI-Project", project));
        }
        Ok(client)
    }

    /// Any OpenAI-compatible server at `base_url` (e.g. `http://localhost:8000/v1`).
    pub fn with_base_url(base_url: impl Into<String>, api_key: Option<String>) -> Self {
        Self::compatible(
            "openai-compatible",
            &base_url.into(),
            api_key,
            COMPATIBLE_MODES,
        )
    }

    fn compatible(
        name: &str,
        base_url: &str,
        api_key: Option<String>,
        modes: &'static [Mode],
    ) -> Self {
        Self {
            name: name.to_owned(),
            base_url: BaseUrl::new(base_url),
            api_key: api_key.filter(|k| !k.is_empty()).map(ApiKey::new),
            auth: Auth::Bearer,
            layout: Layout::Standard,
            headers: Vec::new(),
            modes,
            default_mode: Mode::Tools,
            stream_usage: name == "openai",
            transport: Transport::new(),
        }
    }

    /// Whether streamed requests send `stream_options: {"include_usage": true}`. On
    /// for OpenAI, Azure API versions that take it, and the services known to accept
    /// it; off for other servers, some of which reject unknown parameters. Usage a
    /// server sends unasked (in its last chunk, or Groq's `x_groq.usage`) is read
    /// either way.
    #[must_use]
    pub fn stream_usage(mut self, on: bool) -> Self {
        self.stream_usage = on;
        self
    }

    /// Replaces the base URL (e.g. to point at a local server).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = BaseUrl::new(&url.into());
        self
    }

    crate::config::transport_builders!();

    /// The service name (`openai`, `openrouter`, `azure`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base URL requests go to.
    pub fn url(&self) -> &str {
        self.base_url.as_str()
    }

    /// A preset by its `from_provider` prefix, reading that service's environment
    /// variables (`groq` -> `GROQ_API_KEY`, optional `GROQ_BASE_URL`).
    pub fn preset(prefix: &str) -> Result<Self, Error> {
        match prefix {
            "openai" => return Self::from_env(),
            "azure" => return AzureOpenAI::from_env().map(Into::into),
            _ => {}
        }
        let service = service(prefix)?;
        let key = if service.needs_key {
            Some(require_env(service.key_var)?)
        } else {
            optional_env(service.key_var)
        };
        let base_var = service.key_var.replace("_API_KEY", "_BASE_URL");
        // WorkflowAI's own docs name the variable WORKFLOWAI_API_URL.
        let base = optional_env(&base_var).or_else(|| {
            (prefix == "workflowai")
                .then(|| optional_env("WORKFLOWAI_API_URL"))
                .flatten()
        });
        let mut client = Self::for_service(prefix, key, base)?;
        if prefix == "openrouter" {
            if let Some(referer) = optional_env("OPENROUTER_SITE_URL") {
                client.headers.push(Header::new("HTTP-Referer", referer));
            }
            if let Some(title) = optional_env("OPENROUTER_APP_NAME") {
                client.headers.push(Header::new("X-Title", title));
            }
        }
        Ok(client)
    }

    /// A preset configured explicitly (no environment): the service's URL (or
    /// `base_url`), modes and quirks, with `api_key`.
    pub fn for_service(
        prefix: &str,
        api_key: Option<String>,
        base_url: Option<String>,
    ) -> Result<Self, Error> {
        let service = service(prefix)?;
        let base = base_url.unwrap_or_else(|| service.url.to_owned());
        let mut client = Self::compatible(prefix, &base, api_key, service.modes);
        client.stream_usage = accepts_stream_usage(prefix);
        if prefix == "workflowai" {
            client.default_mode = Mode::OpenRouterStructuredOutputs;
        }
        if prefix == "openai" {
            client.modes = ALL_OPENAI_MODES;
        }
        Ok(client)
    }

    /// OpenRouter (`OPENROUTER_API_KEY`); optional `HTTP-Referer`/`X-Title` from
    /// `OPENROUTER_SITE_URL`/`OPENROUTER_APP_NAME`.
    pub fn openrouter() -> Result<Self, Error> {
        Self::preset("openrouter")
    }

    /// WorkflowAI (`WORKFLOWAI_API_KEY`, optional `WORKFLOWAI_BASE_URL` or
    /// `WORKFLOWAI_API_URL`); models are
    /// `<agent>/<model>` or deployments `<agent>/#<schema>/<env>`.
    pub fn workflowai() -> Result<Self, Error> {
        Self::preset("workflowai")
    }

    /// Ollama's OpenAI-compatible endpoint (`OLLAMA_BASE_URL`, default localhost).
    pub fn ollama() -> Result<Self, Error> {
        Self::preset("ollama")
    }

    pub(crate) fn chat_url(&self, model: &str) -> String {
        match &self.layout {
            Layout::Standard => format!("{}/chat/completions", self.base_url.as_str()),
            Layout::AzureDeployment { api_version } => format!(
                "{}/openai/deployments/{model}/chat/completions?api-version={api_version}",
                self.base_url.as_str()
            ),
        }
    }

    pub(crate) fn responses_url(&self) -> String {
        match &self.layout {
            Layout::Standard => format!("{}/responses", self.base_url.as_str()),
            Layout::AzureDeployment { api_version } => {
                format!(
                    "{}/openai/responses?api-version={api_version}",
                    self.base_url.as_str()
                )
            }
        }
    }

    pub(crate) fn request_headers(&self, extra: &[Header]) -> Vec<Header> {
        let mut headers = self.headers.clone();
        if let Some(key) = &self.api_key {
            headers.push(match self.auth {
                Auth::Bearer => {
                    Header::sensitive("Authorization", format!("Bearer {}", key.expose()))
                }
                Auth::ApiKeyHeader => Header::sensitive("api-key", key.expose()),
            });
        }
        headers.extend(extra.iter().cloned());
        headers
    }
}

/// Azure OpenAI: deployment URLs, the `api-key` header and `api-version`; the
/// request's model is the deployment name. With `api_version = "v1"` the
/// version-less `{endpoint}/openai/v1` API is used instead.
#[derive(Clone, Debug)]
pub struct AzureOpenAI {
    endpoint: BaseUrl,
    api_key: ApiKey,
    api_version: String,
    transport: Transport,
}

impl AzureOpenAI {
    /// An Azure resource endpoint (`https://<name>.openai.azure.com`), key and API version.
    pub fn new(
        endpoint: impl Into<String>,
        api_key: impl Into<String>,
        api_version: impl Into<String>,
    ) -> Self {
        Self {
            endpoint: BaseUrl::new(&endpoint.into()),
            api_key: ApiKey::new(api_key),
            api_version: api_version.into(),
            transport: Transport::new(),
        }
    }

    /// Sends every request through the caller's `client` (proxies, custom roots,
    /// pools); see [`OpenAI::with_http_client`].
    #[must_use]
    pub fn with_http_client(mut self, client: crate::reqwest::Client) -> Self {
        self.transport.set_client(client);
        self
    }

    /// From `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_ENDPOINT` and `OPENAI_API_VERSION`
    /// (default `2024-10-21`).
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::new(
            require_env("AZURE_OPENAI_ENDPOINT")?,
            require_env("AZURE_OPENAI_API_KEY")?,
            optional_env("OPENAI_API_VERSION").unwrap_or_else(|| "2024-10-21".to_owned()),
        ))
    }
}

impl From<AzureOpenAI> for OpenAI {
    fn from(azure: AzureOpenAI) -> Self {
        let v1 = azure.api_version == "v1";
        let base = if v1 {
            format!("{}/openai/v1", azure.endpoint.as_str())
        } else {
            azure.endpoint.as_str().to_owned()
        };
        let mut client = OpenAI::compatible(
            "azure",
            &base,
            Some(azure.api_key.expose().to_owned()),
            ALL_OPENAI_MODES,
        );
        client.auth = Auth::ApiKeyHeader;
        client.transport = azure.transport;
        client.stream_usage = azure_accepts_stream_usage(&azure.api_version);
        if !v1 {
            client.layout = Layout::AzureDeployment {
                api_version: azure.api_version,
            };
        }
        client
    }
}

/// A compatible service's defaults.
/// Whether the service behind a preset accepts `stream_options.include_usage`
/// (documented by each; Mistral rejects unknown parameters, the local servers and
/// the rest send usage in their last chunk unasked or not at all).
fn accepts_stream_usage(prefix: &str) -> bool {
    matches!(
        prefix,
        "openai"
            | "openrouter"
            | "together"
            | "fireworks"
            | "deepseek"
            | "groq"
            | "vllm"
            | "ollama"
    )
}

/// Azure takes `stream_options` from API version 2024-09-01-preview, and in the
/// version-less v1 API.
fn azure_accepts_stream_usage(api_version: &str) -> bool {
    matches!(api_version, "v1" | "latest" | "preview")
        || api_version
            .get(..10)
            .is_some_and(|date| date >= "2024-09-01")
}

struct Service {
    url: &'static str,
    key_var: &'static str,
    modes: &'static [Mode],
    needs_key: bool,
}

fn service(prefix: &str) -> Result<Service, Error> {
    let (url, key_var, modes, needs_key) = match prefix {
        "openai" => (
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
            ALL_OPENAI_MODES,
            true,
        ),
        "openrouter" => (
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
            COMPATIBLE_MODES,
            true,
        ),
        "workflowai" => (
            "https://run.workflowai.com/v1",
            "WORKFLOWAI_API_KEY",
            COMPATIBLE_MODES,
            true,
        ),
        "ollama" => (
            "http://localhost:11434/v1",
            "OLLAMA_API_KEY",
            JSON_ONLY_MODES,
            false,
        ),
        "lmstudio" => (
            "http://localhost:1234/v1",
            "LMSTUDIO_API_KEY",
            JSON_ONLY_MODES,
            false,
        ),
        "llamacpp" => (
            "http://localhost:8080/v1",
            "LLAMACPP_API_KEY",
            JSON_ONLY_MODES,
            false,
        ),
        "vllm" => (
            "http://localhost:8000/v1",
            "VLLM_API_KEY",
            COMPATIBLE_MODES,
            false,
        ),
        "groq" => (
            "https://api.groq.com/openai/v1",
            "GROQ_API_KEY",
            COMPATIBLE_MODES,
            true,
        ),
        "together" => (
            "https://api.together.xyz/v1",
            "TOGETHER_API_KEY",
            COMPATIBLE_MODES,
            true,
        ),
        "fireworks" => (
            "https://api.fireworks.ai/inference/v1",
            "FIREWORKS_API_KEY",
            COMPATIBLE_MODES,
            true,
        ),
        "deepseek" => (
            "https://api.deepseek.com/v1",
            "DEEPSEEK_API_KEY",
            COMPATIBLE_MODES,
            true,
        ),
        "cerebras" => (
            "https://api.cerebras.ai/v1",
            "CEREBRAS_API_KEY",
            COMPATIBLE_MODES,
            true,
        ),
        "mistral" => (
            "https://api.mistral.ai/v1",
            "MISTRAL_API_KEY",
            super::mistral::MODES,
            true,
        ),
        "xai" => ("https://api.x.ai/v1", "XAI_API_KEY", COMPATIBLE_MODES, true),
        other => {
            return Err(Error::config(format!(
                "unknown OpenAI-compatible provider `{other}`"
            )));
        }
    };
    Ok(Service {
        url,
        key_var,
        modes,
        needs_key,
    })
}
