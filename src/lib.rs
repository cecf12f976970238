//! # instructor
//!
//! Typed, validated structured output from LLMs. Annotate a type with
//! `#[derive(Instruct)]` and get its JSON Schema, its tool definition, a partial twin
//! for streaming, and a validator that reports every failure with its JSON path.
//!
//! ```
//! use instructor::prelude::*;
//!
//! /// A person mentioned in the text.
//! #[derive(Instruct, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
//! struct User {
//!     /// Full name as written in the text.
//!     name: String,
//!     #[instruct(range(min = 0, max = 150))]
//!     age: u32,
//! }
//!
//! let tool = User::tool();
//! assert_eq!(tool.name, "User");
//! assert_eq!(tool.description, "A person mentioned in the text.");
//!
//! let too_old = User { name: "Methuselah".into(), age: 969 };
//! let errors = too_old.validate(&ValidationContext::empty()).unwrap_err();
//! assert_eq!(errors.errors()[0].path_string(), "age");
//!
//! // The partial twin: every field optional.
//! let partial: PartialUser = serde_json::from_str(r#"{"name": "Jas"}"#).unwrap();
//! assert_eq!(partial.name.as_deref(), Some("Jas"));
//! assert_eq!(partial.age, None);
//! ```
//!
//! ## Optional features
//! - `openai` (default): OpenAI and OpenAI-compatible providers.
//! - `anthropic`, `gemini`, `cohere`: the Anthropic, Gemini and Cohere providers.
//! - `vertexai`: Vertex AI (Gemini and Claude models) with Google Application
//!   Default Credentials.
//! - `bedrock`: AWS Bedrock (Converse and ConverseStream, SigV4-signed).
//! - `chrono`, `uuid`, `url`: `Instruct` for those crates' types.
#![deny(missing_docs)]

#[doc = include_str!("../docs/differences-from-python.md")]
pub mod differences_from_python {}

pub use instructor_core::partial::TypedPartial;
pub use instructor_core::{
    AddressClass, Attachment, Audio, FetchFailure, Image, Media, MediaFetchError, MediaKind,
    MediaLimits, MediaSource, Pdf, UrlFetchPolicy,
};
pub use instructor_core::{AnswerCheck, LlmValidator, Verdict, llm_validator};
pub use instructor_core::{
    AttemptError, CallSummary, Client, Completion, Error, Extract, FailedAttempt, FinishReason,
    Header, HookEvent, HookHandle, HookPayload, HttpError, Instruct, Many, MapKey, Maybe, Message,
    Mode, Part, PartialMaybe, PartialValue, Progress, RateLimit, Request, Result, RetriesExhausted,
    Role, Schema, SchemaGenerator, ToolCall, ToolCallFailure, ToolDefinition, UnionMember,
    UnknownMode, Usage, ValidationContext, ValidationError, ValidationErrors, Validator,
};
pub use instructor_core::{
    BatchCounts, BatchError, BatchItem, BatchJob, BatchResults, BatchState, BatchStatus, Batches,
    NotRunReason,
};
pub use instructor_core::{BoxError, ErrorDetail, ItemStream, PartialStream};
pub use instructor_core::{
    CacheControl, Pricing, PromptCache, ReaskHistory, ResponseCache, UsageLimitExceeded,
    UsageLimitKind, UsageLimits,
};
pub use instructor_core::{DynamicModel, ResponseModel, SchemaError};
pub use instructor_derive::Instruct;

/// The JSON Schema model and provider dialects.
pub mod schema {
    pub use instructor_core::schema::*;
}

/// Validation: errors with paths, the context, built-in constraints.
pub mod validate {
    pub use instructor_core::validate::*;
}

/// The provider trait and neutral request/stream types, for writing providers.
pub mod provider {
    pub use instructor_core::provider::*;
}

/// Provider clients: OpenAI and OpenAI-compatible services, Anthropic, Gemini,
/// Cohere, Vertex AI, AWS Bedrock, transport settings.
pub mod providers {
    #[cfg(feature = "anthropic")]
    pub use instructor_providers::anthropic::Anthropic;
    #[cfg(feature = "bedrock")]
    pub use instructor_providers::bedrock::{AwsCredentials, Bedrock, FrameError};
    #[cfg(feature = "cohere")]
    pub use instructor_providers::cohere::Cohere;
    #[cfg(feature = "gemini")]
    pub use instructor_providers::gemini::{Gemini, SchemaField};
    pub use instructor_providers::http::{ApiKey, RetryPolicy, USER_AGENT};
    #[cfg(feature = "openai")]
    pub use instructor_providers::openai::{AzureOpenAI, OpenAI};
    #[cfg(feature = "vertexai")]
    pub use instructor_providers::vertex::{GoogleCredentials, Publisher, VertexAI};
}

/// The reqwest version the providers are built on: build the `reqwest::Client` you
/// pass to a provider's `with_http_client` with this one, so the types match. It is
/// the one dependency type in instructor's API, on purpose.
///
/// ```
/// use instructor::providers::OpenAI;
///
/// let http = instructor::reqwest::Client::builder()
///     .pool_max_idle_per_host(4)
///     .build()?;
/// let client = instructor::from_openai(OpenAI::new("sk-test").with_http_client(http));
/// # Ok::<(), instructor::reqwest::Error>(())
/// ```
pub use instructor_providers::reqwest;

/// A client over an OpenAI-compatible provider (`OpenAI`, `AzureOpenAI`, presets).
#[cfg(feature = "openai")]
pub fn from_openai(client: impl Into<instructor_providers::openai::OpenAI>) -> Client {
    Client::new(client.into())
}

/// A client over Anthropic's Messages API (default mode `AnthropicTools`).
#[cfg(feature = "anthropic")]
pub fn from_anthropic(client: instructor_providers::anthropic::Anthropic) -> Client {
    Client::new(client)
}

/// A client over Gemini's `generateContent` API (default mode `GeminiTools`).
#[cfg(feature = "gemini")]
pub fn from_gemini(client: instructor_providers::gemini::Gemini) -> Client {
    Client::new(client)
}

/// A client over Cohere's Chat API v2 (default mode `Tools`).
#[cfg(feature = "cohere")]
pub fn from_cohere(client: instructor_providers::cohere::Cohere) -> Client {
    Client::new(client)
}

/// A client over Vertex AI (default mode `GeminiTools` for Gemini models,
/// `AnthropicTools` for Claude models).
#[cfg(feature = "vertexai")]
pub fn from_vertexai(client: instructor_providers::vertex::VertexAI) -> Client {
    Client::new(client)
}

/// A client over AWS Bedrock's Converse API (default mode `Tools`).
#[cfg(feature = "bedrock")]
pub fn from_bedrock(client: instructor_providers::bedrock::Bedrock) -> Client {
    Client::new(client)
}

/// A client from `"<provider>/<model>"`, reading that provider's environment
/// variables: `openai/gpt-4o-mini`, `anthropic/claude-…` (feature `anthropic`),
/// `google/gemini-…` or `gemini/…` (feature `gemini`), `cohere/command-a-…` (feature
/// `cohere`; `CO_API_KEY`, `CO_API_URL`), `vertexai/gemini-…` or `vertexai/claude-…`
/// (feature `vertexai`; Google Application Default Credentials,
/// `GOOGLE_CLOUD_PROJECT`, `GOOGLE_CLOUD_LOCATION`, `GOOGLE_VERTEX_BASE_URL`),
/// `bedrock/<model id>` (feature `bedrock`; the AWS credential chain, `AWS_REGION`,
/// `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`; the model id may itself hold `/`, as an ARN
/// does), `azure/<deployment>`,
/// `openrouter/<vendor>/<model>`, `workflowai/<agent>/<model>`, `ollama/llama3`,
/// `groq/…`, `together/…`, `fireworks/…`, `deepseek/…`, `mistral/…`, `cerebras/…`,
/// `xai/…`, `lmstudio/…`, `llamacpp/…`, `vllm/…`.
pub fn from_provider(spec: &str) -> Result<Client> {
    let (prefix, model) = spec
        .split_once('/')
        .filter(|(p, m)| !p.is_empty() && !m.is_empty())
        .ok_or_else(|| Error::config(format!("expected \"<provider>/<model>\", got \"{spec}\"")))?;
    let client = match prefix {
        "anthropic" => anthropic_client()?,
        "google" | "gemini" => gemini_client()?,
        "cohere" => cohere_client()?,
        "vertexai" => vertex_client(model)?,
        "bedrock" => bedrock_client()?,
        _ => openai_client(prefix)?,
    };
    Ok(client.with_model(model))
}

#[cfg(not(all(
    feature = "openai",
    feature = "anthropic",
    feature = "gemini",
    feature = "cohere",
    feature = "vertexai",
    feature = "bedrock"
)))]
fn feature_missing(prefix: &str, feature: &str) -> Error {
    Error::config(format!(
        "provider `{prefix}` needs the `{feature}` feature of instructor"
    ))
}

#[cfg(feature = "anthropic")]
fn anthropic_client() -> Result<Client> {
    Ok(from_anthropic(
        instructor_providers::anthropic::Anthropic::from_env()?,
    ))
}

#[cfg(not(feature = "anthropic"))]
fn anthropic_client() -> Result<Client> {
    Err(feature_missing("anthropic", "anthropic"))
}

#[cfg(feature = "gemini")]
fn gemini_client() -> Result<Client> {
    Ok(from_gemini(
        instructor_providers::gemini::Gemini::from_env()?
    ))
}

#[cfg(not(feature = "gemini"))]
fn gemini_client() -> Result<Client> {
    Err(feature_missing("google", "gemini"))
}

#[cfg(feature = "cohere")]
fn cohere_client() -> Result<Client> {
    Ok(from_cohere(
        instructor_providers::cohere::Cohere::from_env()?
    ))
}

#[cfg(not(feature = "cohere"))]
fn cohere_client() -> Result<Client> {
    Err(feature_missing("cohere", "cohere"))
}

#[cfg(feature = "vertexai")]
fn vertex_client(model: &str) -> Result<Client> {
    use instructor_providers::vertex::{Publisher, VertexAI};
    Ok(from_vertexai(
        VertexAI::from_env()?.publisher(Publisher::for_model(model)),
    ))
}

#[cfg(not(feature = "vertexai"))]
fn vertex_client(_model: &str) -> Result<Client> {
    Err(feature_missing("vertexai", "vertexai"))
}

#[cfg(feature = "bedrock")]
fn bedrock_client() -> Result<Client> {
    Ok(from_bedrock(
        instructor_providers::bedrock::Bedrock::from_env()?,
    ))
}

#[cfg(not(feature = "bedrock"))]
fn bedrock_client() -> Result<Client> {
    Err(feature_missing("bedrock", "bedrock"))
}

#[cfg(feature = "openai")]
fn openai_client(prefix: &str) -> Result<Client> {
    Ok(Client::new(instructor_providers::openai::OpenAI::preset(
        prefix,
    )?))
}

#[cfg(not(feature = "openai"))]
fn openai_client(prefix: &str) -> Result<Client> {
    Err(feature_missing(prefix, "openai"))
}

/// The names most programs need: `use instructor::prelude::*;`.
pub mod prelude {
    pub use instructor_core::{
        Client, Error, Extract, HookEvent, Instruct, Maybe, Message, Mode, Request,
        ValidationContext, ValidationErrors,
    };
    pub use instructor_derive::Instruct;
}

#[doc(hidden)]
pub use instructor_core::__private;

/// The README's code blocks, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
