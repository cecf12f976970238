//! Provider batch engines against local emulations of their batch endpoints (one
//! test binary, so CI links once): typed items, reask rounds, saved jobs carried on
//! by another process, hostile result lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

#[path = "../common/mod.rs"]
mod common;

mod batch_anthropic;
mod batch_gemini;
mod batch_openai;
