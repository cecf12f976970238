//! The keys `#[instruct(...)]` accepts, per position, and did-you-mean suggestions.

pub(crate) const CONTAINER_KEYS: &[&str] = &[
    "name",
    "description",
    "strict",
    "validate",
    "partial",
    "crate",
];
pub(crate) const PARTIAL_KEYS: &[&str] = &["name", "derive"];
pub(crate) const FIELD_KEYS: &[&str] = &[
    "pattern",
    "min_length",
    "max_length",
    "range",
    "exclusive_minimum",
    "exclusive_maximum",
    "multiple_of",
    "min_items",
    "max_items",
    "unique_items",
    "format",
    "one_of",
    "validate",
    "description",
    "example",
    "examples",
];
pub(crate) const RANGE_KEYS: &[&str] = &["min", "max"];
pub(crate) const VARIANT_KEYS: &[&str] = &["description"];
pub(crate) const FORMATS: &[&str] = &["email", "uri", "uuid", "date", "date-time", "ipv4", "ipv6"];

/// The closest known key to `unknown`, if one is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let close = |k: &str| {
        strsim::jaro_winkler(unknown, k) > 0.8
            || (unknown.len() <= 4 && strsim::levenshtein(unknown, k) <= 1)
    };
    known
        .iter()
        .filter(|k| close(k))
        .max_by(|a, b| {
            strsim::jaro_winkler(unknown, a).total_cmp(&strsim::jaro_winkler(unknown, b))
        })
        .copied()
}

/// "unknown `x` attribute; expected one of ..., did you mean `y`?"
pub(crate) fn unknown_key_message(position: &str, unknown: &str, known: &[&str]) -> String {
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match did_you_mean(unknown, known) {
        Some(suggestion) => format!(
            "unknown {position} attribute `{unknown}`; did you mean `{suggestion}`? (expected one of {list})"
        ),
        None => format!("unknown {position} attribute `{unknown}` (expected one of {list})"),
    }
}
