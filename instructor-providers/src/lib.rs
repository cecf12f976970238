//! Provider clients for [instructor](https://docs.rs/instructor): OpenAI and every
//! OpenAI-compatible service (feature `openai`, default), Anthropic (feature
//! `anthropic`) and Gemini (feature `gemini`).
//!
//! Each provider keeps its wire format in its own module and implements
//! [`instructor_core::provider::Provider`]; shared HTTP plumbing (transport retries,
//! error envelopes, redacted keys) lives in [`http`].

#[cfg(any(feature = "openai", feature = "anthropic", feature = "gemini"))]
mod config;
pub mod http;
#[cfg(feature = "anthropic")]
pub mod anthropic;
#[cfg(feature = "gemini")]
pub mod gemini;
#[cfg(feature = "openai")]
pub mod openai;

#[cfg(feature = "anthropic")]
pub use anthropic::Anthropic;
#[cfg(feature = "gemini")]
pub use gemini::Gemini;
#[cfg(feature = "openai")]
pub use openai::{AzureOpenAI, OpenAI};
