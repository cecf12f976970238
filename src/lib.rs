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

pub use instructor_core::{
    Instruct, MapKey, Maybe, PartialMaybe, PartialValue, Schema, SchemaGenerator, ToolDefinition,
    ValidationContext, ValidationError, ValidationErrors, Validator,
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

/// The names most programs need: `use instructor::prelude::*;`.
pub mod prelude {
    pub use instructor_core::{Instruct, Maybe, ValidationContext, ValidationErrors};
    pub use instructor_derive::Instruct;
}

#[doc(hidden)]
pub use instructor_core::__private;
