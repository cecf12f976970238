//! Helpers the media examples share: printing the media parts a request body carries
//! (base64 shortened), and the same message built for Anthropic and Gemini offline.
#![allow(dead_code, reason = "each example uses a subset")]

use serde_json::Value;

/// `value` with every long string shortened to its first 40 characters.
pub(crate) fn shorten(value: &Value) -> Value {
    match value {
        Value::String(s) if s.len() > 60 => {
            Value::from(format!("{}… ({} chars)", &s[..40], s.len()))
        }
        Value::Array(items) => Value::Array(items.iter().map(shorten).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shorten(v))).collect())
        }
        other => other.clone(),
    }
}

/// Prints `body` at `pointer` (the user content), shortened.
pub(crate) fn print_content(label: &str, body: &Value, pointer: &str) {
    let content = body.pointer(pointer).map(shorten).unwrap_or(Value::Null);
    println!(
        "{label}: {}",
        serde_json::to_string_pretty(&content).unwrap_or_default()
    );
}
