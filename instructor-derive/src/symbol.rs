//! The keys `#[instruct(...)]` accepts, as constants: the parsers dispatch on them and
//! the did-you-mean suggestions are drawn from the same per-position lists, so a key
//! is spelled once.

use std::fmt;

use syn::{Ident, Path};

/// One attribute key.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Symbol(&'static str);

impl Symbol {
    pub(crate) fn as_str(self) -> &'static str {
        self.0
    }
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

// Container.
pub(crate) const NAME: Symbol = Symbol("name");
pub(crate) const DESCRIPTION: Symbol = Symbol("description");
pub(crate) const TITLE: Symbol = Symbol("title");
pub(crate) const TRANSFORM: Symbol = Symbol("transform");
pub(crate) const STRICT: Symbol = Symbol("strict");
pub(crate) const VALIDATE: Symbol = Symbol("validate");
pub(crate) const PARTIAL: Symbol = Symbol("partial");
pub(crate) const CRATE: Symbol = Symbol("crate");
pub(crate) const STREAM: Symbol = Symbol("stream");
// Inside `stream(...)`.
pub(crate) const DONE: Symbol = Symbol("done");
pub(crate) const NOT_NULL: Symbol = Symbol("not_null");
// Inside `partial(...)`.
pub(crate) const DERIVE: Symbol = Symbol("derive");
// Field.
pub(crate) const PATTERN: Symbol = Symbol("pattern");
pub(crate) const MIN_LENGTH: Symbol = Symbol("min_length");
pub(crate) const MAX_LENGTH: Symbol = Symbol("max_length");
pub(crate) const RANGE: Symbol = Symbol("range");
pub(crate) const EXCLUSIVE_MINIMUM: Symbol = Symbol("exclusive_minimum");
pub(crate) const EXCLUSIVE_MAXIMUM: Symbol = Symbol("exclusive_maximum");
pub(crate) const MULTIPLE_OF: Symbol = Symbol("multiple_of");
pub(crate) const MIN_ITEMS: Symbol = Symbol("min_items");
pub(crate) const MAX_ITEMS: Symbol = Symbol("max_items");
pub(crate) const UNIQUE_ITEMS: Symbol = Symbol("unique_items");
pub(crate) const FORMAT: Symbol = Symbol("format");
pub(crate) const ONE_OF: Symbol = Symbol("one_of");
pub(crate) const EXAMPLE: Symbol = Symbol("example");
pub(crate) const EXAMPLES: Symbol = Symbol("examples");
// Inside `range(...)`.
pub(crate) const MIN: Symbol = Symbol("min");
pub(crate) const MAX: Symbol = Symbol("max");

/// The keys each position accepts, in the order error messages list them.
pub(crate) const CONTAINER_KEYS: &[Symbol] = &[
    NAME,
    TITLE,
    DESCRIPTION,
    STRICT,
    VALIDATE,
    TRANSFORM,
    PARTIAL,
    STREAM,
    CRATE,
];
pub(crate) const PARTIAL_KEYS: &[Symbol] = &[NAME, DERIVE];
pub(crate) const STREAM_KEYS: &[Symbol] = &[DONE, NOT_NULL];
pub(crate) const FIELD_KEYS: &[Symbol] = &[
    PATTERN,
    MIN_LENGTH,
    MAX_LENGTH,
    RANGE,
    EXCLUSIVE_MINIMUM,
    EXCLUSIVE_MAXIMUM,
    MULTIPLE_OF,
    MIN_ITEMS,
    MAX_ITEMS,
    UNIQUE_ITEMS,
    FORMAT,
    ONE_OF,
    VALIDATE,
    TRANSFORM,
    TITLE,
    DESCRIPTION,
    EXAMPLE,
    EXAMPLES,
    STREAM,
];
pub(crate) const RANGE_KEYS: &[Symbol] = &[MIN, MAX];
pub(crate) const VARIANT_KEYS: &[Symbol] = &[DESCRIPTION];

/// The closest known word to `unknown`, if one is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let close = |k: &str| {
        strsim::jaro_winkler(unknown, k) > 0.8
            || (unknown.len() <= 4 && strsim::levenshtein(unknown, k) <= 1)
    };
    known.into_iter().filter(|k| close(k)).max_by(|a, b| {
        strsim::jaro_winkler(unknown, a).total_cmp(&strsim::jaro_winkler(unknown, b))
    })
}

/// "unknown `x` attribute; expected one of ..., did you mean `y`?"
pub(crate) fn unknown_key_message(position: &str, unknown: &str, known: &[Symbol]) -> String {
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match did_you_mean(unknown, known.iter().map(|k| k.as_str())) {
        Some(suggestion) => format!(
            "unknown {position} attribute `{unknown}`; did you mean `{suggestion}`? (expected one of {list})"
        ),
        None => format!("unknown {position} attribute `{unknown}` (expected one of {list})"),
    }
}
