//! The parser's typed errors and resource limits.

/// Why the input is not (a prefix of) valid JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PartialJsonError {
    /// A byte that cannot appear here.
    #[error("unexpected {found} at byte {offset}")]
    Unexpected {
        /// What was found.
        found: String,
        /// Its offset in the input.
        offset: usize,
    },
    /// A number that is not valid JSON.
    #[error("invalid number `{text}` at byte {offset}")]
    InvalidNumber {
        /// The number as written.
        text: String,
        /// Where it ended.
        offset: usize,
    },
    /// Invalid UTF-8 in a string.
    #[error("invalid UTF-8 in a string ending at byte {offset}")]
    InvalidUtf8 {
        /// Where the string ended.
        offset: usize,
    },
    /// A `\uXXXX` UTF-16 surrogate without its other half (rejected, as serde_json
    /// rejects it).
    #[error("lone UTF-16 surrogate \\u{unit:04x} in a string at byte {offset}")]
    LoneSurrogate {
        /// The surrogate code unit.
        unit: u32,
        /// Where the string went wrong.
        offset: usize,
    },
    /// Nesting deeper than allowed.
    #[error("nesting deeper than {limit} levels")]
    DepthLimit {
        /// The limit.
        limit: usize,
    },
    /// More input than allowed.
    #[error("input larger than {limit} bytes")]
    SizeLimit {
        /// The limit.
        limit: usize,
    },
    /// The input ended before the value was complete.
    #[error("the input ended before the JSON value was complete")]
    Incomplete,
    /// The input held no JSON value at all.
    #[error("no JSON value in the input")]
    Empty,
}

/// Resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest allowed nesting of arrays and objects.
    pub max_depth: usize,
    /// Largest allowed input, in bytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 128,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}
