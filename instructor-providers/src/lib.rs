//! Provider clients for [instructor](https://docs.rs/instructor): OpenAI and every
//! OpenAI-compatible service (feature `openai`, default).
//!
//! Each provider keeps its wire format in its own module and implements
//! [`instructor_core::provider::Provider`]; shared HTTP plumbing (transport retries,
//! error envelopes, redacted keys) lives in [`http`].

pub mod http;
#[cfg(feature = "openai")]
pub mod openai;

#[cfg(feature = "openai")]
pub use openai::{AzureOpenAI, OpenAI};
