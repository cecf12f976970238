//! The client against local servers (one test binary, so CI links once): every mode
//! and provider over real HTTP on loopback, streams, hostile servers, secrets, your
//! own HTTP client, runtime schemas and the seeds' requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

#[path = "../common/mod.rs"]
mod common;

mod client_behaviour;
mod client_modes;
mod client_stream;
mod dynamic_model;
mod fallback;
mod hostile_server;
mod http_client;
mod lenient;
mod media;
mod media_fetch;
mod parallel_union;
mod parse_errors;
mod prompt_cache;
mod provider_anthropic;
mod provider_anthropic_stream;
mod provider_bedrock;
mod provider_bedrock_stream;
mod provider_cohere;
mod provider_cohere_stream;
mod provider_gemini;
mod provider_gemini_stream;
mod provider_mistral;
mod provider_vertex;
mod provider_vertex_auth;
mod provider_vertex_stream;
mod reask_history;
mod response_cache;
mod secrets;
mod seed_requests;
mod semantic;
mod transforms;
mod typed_hooks;
mod usage_limits;
