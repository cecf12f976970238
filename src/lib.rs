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
//! - `anthropic`, `gemini`: the Anthropic and Gemini providers.
//! - `chrono`, `uuid`, `url`: `Instruct` for those crates' types.

#[doc = include_str!("../docs/differences-from-python.md")]
pub mod differences_from_python {}

pub use instructor_core::{
    AttemptError, CallCompletion, Client, Completion, Error, Extract, FailedAttempt, FinishReason,
    HookEvent, HookHandle, HookPayload, HttpError, Instruct, MapKey, Maybe, Message, Mode, Part,
    PartialMaybe, PartialValue, Request, Result, RetriesExhausted, Role, Schema, SchemaGenerator,
    ToolCall, ToolDefinition, Usage, ValidationContext, ValidationError, ValidationErrors,
    Validator,
};
pub use instructor_derive::Instruct;

/// The JSON Schema model and provider dialects.
pub mod schema {
    pub use instructor_core::schema::*;
}

/// Validation: errors with paths, the context, built-in constraints.
pub mod validate {
    pub use instructor_core::validate::*;
}

/// Response-model wrapping of simple types on the wire.
pub mod response {
    pub use instructor_core::response::*;
}

/// The provider trait and neutral request/stream types, for writing providers.
pub mod provider {
    pub use instructor_core::provider::*;
}

/// Provider clients: OpenAI and OpenAI-compatible services, transport settings.
pub mod providers {
    pub use instructor_providers::http::{ApiKey, RetryPolicy};
    #[cfg(feature = "openai")]
    pub use instructor_providers::openai::{AzureOpenAI, OpenAI};
}

/// A client over an OpenAI-compatible provider (`OpenAI`, `AzureOpenAI`, presets).
#[cfg(feature = "openai")]
pub fn from_openai(client: impl Into<instructor_providers::openai::OpenAI>) -> Client {
    Client::new(client.into())
}

/// A client from `"<provider>/<model>"`, reading that provider's environment
/// variables: `openai/gpt-4o-mini`, `azure/<deployment>`, `openrouter/<vendor>/<model>`,
/// `workflowai/<agent>/<model>`, `ollama/llama3`, `groq/…`, `together/…`,
/// `fireworks/…`, `deepseek/…`, `mistral/…`, `cerebras/…`, `xai/…`, `lmstudio/…`,
/// `llamacpp/…`, `vllm/…`.
#[cfg(feature = "openai")]
pub fn from_provider(spec: &str) -> Result<Client> {
    let (prefix, model) = spec
        .split_once('/')
        .filter(|(p, m)| !p.is_empty() && !m.is_empty())
        .ok_or_else(|| Error::Config(format!("expected \"<provider>/<model>\", got \"{spec}\"")))?;
    let provider = instructor_providers::openai::OpenAI::preset(prefix)?;
    Ok(Client::new(provider).with_model(model))
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
