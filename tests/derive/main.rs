//! The derive at run time (one test binary, so CI links once): schemas against
//! snapshots, an oracle and the JSON Schema test suite; partial twins; validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

mod derive_partial;
mod derive_partial_inc;
mod derive_partial_union;
mod derive_recursion;
mod derive_schema;
mod derive_smoke;
mod derive_stream_controls;
mod derive_transform;
mod derive_validate;
mod json_schema_suite;
mod schema_oracle;
mod ui_pass;
