//! Core of [instructor](https://docs.rs/instructor): the [`Instruct`] trait, the JSON
//! Schema model and provider dialects, validation with JSON paths, and response-model
//! wrapping.
//!
//! Users depend on the `instructor` facade and derive [`Instruct`]; this crate holds the
//! provider-agnostic runtime.
//!
//! ```
//! use instructor_core::{Instruct, ValidationContext};
//!
//! // Implemented for std types; derived for your own.
//! let schema = <Vec<String>>::json_schema();
//! assert_eq!(schema.get("type").and_then(|t| t.as_str()), Some("array"));
//! assert!(vec!["a".to_string()].validate(&ValidationContext::empty()).is_ok());
//! ```

mod impls;
mod instruct;
mod maybe;
pub mod response;
pub mod schema;
pub mod validate;

#[doc(hidden)]
pub mod __private;

pub use impls::MapKey;
pub use instruct::{Instruct, PartialValue};
pub use maybe::{Maybe, PartialMaybe};
pub use schema::{Schema, SchemaGenerator, ToolDefinition};
pub use validate::{ValidationContext, ValidationError, ValidationErrors, Validator};
