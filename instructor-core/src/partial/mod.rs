//! Partial values for streaming: the incremental JSON parser.

mod json;

pub use json::{Limits, PartialJson, PartialJsonError};
