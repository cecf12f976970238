//! [`SchemaError`]: why a JSON Schema document cannot become a response model.

use std::fmt;
use std::path::PathBuf;

/// Why a JSON Schema document cannot be used as a [`DynamicModel`](crate::DynamicModel):
/// it could not be read, or it states something the providers or our checks cannot
/// honour. Every schema problem names its place as a JSON pointer
/// (`/properties/age/minimum`; the empty pointer is the document's root).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema file could not be read.
    #[error("cannot read the schema file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("the schema is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A keyword we cannot check (`if`, `patternProperties`, ...), or a form of one
    /// we do not support (a `$ref` outside `#/$defs`, an unknown `format`).
    #[error("unsupported `{keyword}` at {}: {reason}", Pointer(pointer))]
    Unsupported {
        /// Where, as a JSON pointer.
        pointer: String,
        /// The keyword.
        keyword: String,
        /// What we cannot do, in words.
        reason: String,
    },
    /// A `$ref` that points nowhere in the document.
    #[error("unresolvable `$ref` {reference:?} at {}", Pointer(pointer))]
    UnresolvedRef {
        /// Where, as a JSON pointer.
        pointer: String,
        /// The reference as written.
        reference: String,
    },
    /// A keyword whose value is malformed (a negative `minLength`, a `type` that is
    /// no JSON type, an invalid regular expression).
    #[error("invalid `{keyword}` at {}: {reason}", Pointer(pointer))]
    Invalid {
        /// Where, as a JSON pointer.
        pointer: String,
        /// The keyword.
        keyword: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// Keywords that contradict each other, so no answer could ever pass
    /// (`minimum` above `maximum`, a required property that is not allowed).
    #[error("contradiction at {}: {reason}", Pointer(pointer))]
    Contradiction {
        /// Where, as a JSON pointer (the later of the two keywords).
        pointer: String,
        /// The contradiction, in words.
        reason: String,
    },
}

impl SchemaError {
    /// The JSON pointer of the problem in the document (`None` for read and JSON
    /// syntax errors).
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::Read { .. } | Self::Json(_) => None,
            Self::Unsupported { pointer, .. }
            | Self::UnresolvedRef { pointer, .. }
            | Self::Invalid { pointer, .. }
            | Self::Contradiction { pointer, .. } => Some(pointer),
        }
    }
}

/// A JSON pointer as shown in messages (the root, whose pointer is empty, by name).
struct Pointer<'a>(&'a str);

impl fmt::Display for Pointer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the schema root")
        } else {
            f.write_str(self.0)
        }
    }
}

/// `pointer` with one more reference token, escaped as RFC 6901 requires.
pub(crate) fn child(pointer: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}
