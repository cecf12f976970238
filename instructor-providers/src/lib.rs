//! Provider clients for [instructor](https://docs.rs/instructor): OpenAI and every
//! OpenAI-compatible service (feature `openai`, default), Anthropic (feature
//! `anthropic`), Gemini (feature `gemini`), Cohere (feature `cohere`), Vertex AI
//! (feature `vertexai`: Gemini and Claude models with Google credentials) and AWS
//! Bedrock (feature `bedrock`).
//!
//! Each provider keeps its wire format in its own module and implements
//! [`instructor_core::provider::Provider`]; shared HTTP plumbing (transport retries,
//! error envelopes, redacted keys) lives in [`http`].
//!
//! ```
//! use instructor_core::provider::Provider;
//! use instructor_core::Mode;
//! use instructor_providers::http::RetryPolicy;
//! use instructor_providers::OpenAI;
//!
//! let provider = OpenAI::new("sk-test")
//!     .base_url("http://127.0.0.1:8080/v1")
//!     .retry_policy(RetryPolicy::none());
//! assert!(provider.supports_mode(Mode::ResponsesTools));
//! assert!(format!("{provider:?}").contains("<redacted>"));
//! ```
//!
//! Every provider accepts your own `reqwest::Client` (proxies, custom roots, a shared
//! pool) through `with_http_client`; build it with the re-exported [`reqwest`]:
//!
//! ```
//! # #[cfg(feature = "openai")] {
//! use instructor_providers::{OpenAI, reqwest};
//!
//! let http = reqwest::Client::builder()
//!     .pool_max_idle_per_host(4)
//!     .build()
//!     .unwrap();
//! let provider = OpenAI::new("sk-test").with_http_client(http);
//! # }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "anthropic")]
pub mod anthropic;
#[cfg(feature = "bedrock")]
pub mod bedrock;
#[cfg(feature = "cohere")]
pub mod cohere;
#[cfg(any(
    feature = "openai",
    feature = "anthropic",
    feature = "gemini",
    feature = "cohere",
    feature = "bedrock"
))]
mod config;
#[cfg(feature = "gemini")]
pub mod gemini;
pub mod http;
#[cfg(feature = "openai")]
pub mod openai;
#[cfg(feature = "vertexai")]
pub mod vertex;

/// The reqwest version this crate is built on, for
/// [`with_http_client`](OpenAI::with_http_client): build your `reqwest::Client` with
/// this one so the types match. `reqwest::Client` in `with_http_client` is the one
/// reqwest type in this crate's API, on purpose.
pub use reqwest;

#[cfg(feature = "anthropic")]
pub use anthropic::Anthropic;
#[cfg(feature = "bedrock")]
pub use bedrock::{AwsCredentials, Bedrock};
#[cfg(feature = "cohere")]
pub use cohere::Cohere;
#[cfg(feature = "gemini")]
pub use gemini::Gemini;
#[cfg(feature = "openai")]
pub use openai::{AzureOpenAI, OpenAI};
#[cfg(feature = "vertexai")]
pub use vertex::VertexAI;
