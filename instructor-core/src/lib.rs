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
#![deny(missing_docs)]

mod batch;
mod cache;
mod client;
mod completion;
mod dynamic;
mod error;
mod header;
mod impls;
mod instruct;
mod limits;
mod many;
mod maybe;
mod media;
mod message;
mod mode;
pub mod partial;
pub mod provider;
pub mod schema;
mod semantic;
mod strict;
mod union;
pub mod validate;

#[doc(hidden)]
pub mod __private;

pub use batch::{
    BatchCounts, BatchError, BatchItem, BatchJob, BatchResults, BatchState, BatchStatus, Batches,
    NotRunReason,
};
pub use cache::ResponseCache;
pub use client::call::CallSummary;
pub use client::hooks::{HookEvent, HookHandle, HookPayload};
pub use client::reask::ReaskHistory;
pub use client::request::{DEFAULT_MAX_RETRIES, Request};
pub use client::stream::{ItemStream, PartialStream};
pub use client::{Client, Extract};
pub use completion::{Completion, FinishReason, Usage};
pub use dynamic::{DynamicModel, ResponseModel, SchemaError};
pub use error::{
    AttemptError, BoxError, Error, ErrorDetail, FailedAttempt, HttpError, Result, RetriesExhausted,
    ToolCallFailure,
};
pub use header::{Header, is_credential_header};
pub use impls::MapKey;
pub use instruct::{Instruct, PartialValue};
pub use limits::{Pricing, UsageLimitExceeded, UsageLimitKind, UsageLimits};
pub use many::{Many, Progress, RateLimit};
pub use maybe::{Maybe, PartialMaybe};
pub use media::{
    AddressClass, Attachment, Audio, FetchFailure, Image, Media, MediaFetchError, MediaKind,
    MediaLimits, MediaSource, Pdf, UrlFetchPolicy,
};
pub use message::{CacheControl, Message, Part, PromptCache, Role, ToolCall};
pub use mode::{Mode, UnknownMode};
pub use schema::{Schema, SchemaGenerator, ToolDefinition};
pub use semantic::{AnswerCheck, LlmValidator, Verdict, llm_validator};
pub use union::UnionMember;
pub use validate::{ValidationContext, ValidationError, ValidationErrors, Validator};
