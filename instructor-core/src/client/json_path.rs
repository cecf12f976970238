//! Deserializing an answer so that a failure names the field it happened at.
//!
//! A model reads `age: invalid type: string "twenty", expected u32` and knows what to
//! fix; `... at line 1 column 29` in one-line tool arguments means nothing to it. The
//! fast path is plain `serde_json`; only when it fails is the input read a second
//! time through [`serde_path_to_error`] to find the path, so a successful parse
//! pays nothing for it.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A deserialization failure with the JSON path of the value it happened at.
#[derive(Debug)]
pub(crate) struct PathError {
    /// `address.city`, `items[2]`; empty at the root.
    path: String,
    error: serde_json::Error,
}

impl PathError {
    /// Whether the text was not JSON at all (or was cut off), rather than JSON of
    /// another shape.
    pub(crate) fn is_syntax(&self) -> bool {
        !matches!(self.error.classify(), serde_json::error::Category::Data)
    }

    /// The failure as the model and the hooks see it: `path: message` for a value of
    /// the wrong shape (no line and column), `invalid JSON: ...` for text that is not
    /// JSON (with its position, and the path it reached when not the root).
    pub(crate) fn message(&self) -> String {
        if self.is_syntax() {
            return match self.path.as_str() {
                "" => format!("invalid JSON: {}", self.error),
                path => format!("invalid JSON (in `{path}`): {}", self.error),
            };
        }
        let text = without_position(&self.error);
        match self.path.as_str() {
            "" => text,
            path => format!("{path}: {text}"),
        }
    }

    /// The same failure one level down, under `field` of the object the model wrote
    /// (`{"content": ...}` for a wrapped type).
    pub(crate) fn under(mut self, field: &str) -> Self {
        self.path = join(field, &self.path);
        self
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// `T` from JSON text; a failure carries its path.
pub(crate) fn from_str<T: DeserializeOwned>(json: &str) -> Result<T, PathError> {
    serde_json::from_str(json).map_err(|error| {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        located::<T>(serde_path_to_error::deserialize(&mut deserializer), error)
    })
}

/// `T` from a parsed value, moved (not cloned) into it; a failure carries its path.
/// The value cannot be read twice, so its path is tracked as it is read (cheap next
/// to the strings a borrowed read would clone).
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, PathError> {
    serde_path_to_error::deserialize(value).map_err(tracked_error)
}

/// The path found by the second, tracked read (its own error, which is the same
/// failure); the first error at the root if the second read disagrees.
fn located<T>(
    tracked: Result<T, serde_path_to_error::Error<serde_json::Error>>,
    first: serde_json::Error,
) -> PathError {
    match tracked {
        Err(error) => tracked_error(error),
        Ok(_) => PathError {
            path: String::new(),
            error: first,
        },
    }
}

/// A tracked read's failure with its path (empty at the root).
fn tracked_error(error: serde_path_to_error::Error<serde_json::Error>) -> PathError {
    let path = error.path().to_string();
    PathError {
        path: if path == "." { String::new() } else { path },
        error: error.into_inner(),
    }
}

/// `field` then `path` (`content`, `content.age`, `content[2]`).
fn join(field: &str, path: &str) -> String {
    match path {
        "" => field.to_owned(),
        p if p.starts_with('[') => format!("{field}{p}"),
        p => format!("{field}.{p}"),
    }
}

/// The error's message without serde_json's ` at line L column C`.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    if error.line() == 0 {
        return text;
    }
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::{from_str, from_value};

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "read only to fail")]
    struct Address {
        city: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "read only to fail")]
    struct User {
        name: String,
        age: u32,
        #[serde(default)]
        addresses: Vec<Address>,
        #[serde(default)]
        tags: BTreeMap<String, u8>,
    }

    fn text_error(json: &str) -> String {
        from_str::<User>(json).map(|_| ()).unwrap_err().message()
    }

    #[test]
    fn a_wrong_type_names_the_field_without_a_position() {
        assert_eq!(
            text_error(r#"{"name": "Jason", "age": "twenty"}"#),
            r#"age: invalid type: string "twenty", expected u32"#
        );
        assert_eq!(
            text_error(r#"{"name": "J", "age": 1, "addresses": [{"city": "a"}, {"city": 7}]}"#),
            "addresses[1].city: invalid type: integer `7`, expected a string"
        );
        assert_eq!(
            text_error(r#"{"name": "J", "age": 1, "tags": {"x": 300}}"#),
            "tags.x: invalid value: integer `300`, expected u8"
        );
    }

    #[test]
    fn a_missing_field_names_its_object() {
        assert_eq!(text_error(r#"{"age": 3}"#), "missing field `name`");
        assert_eq!(
            text_error(r#"{"name": "J", "age": 1, "addresses": [{}]}"#),
            "addresses[0]: missing field `city`"
        );
    }

    #[test]
    fn text_that_is_not_json_keeps_its_position() {
        let message = text_error(r#"{"name": "J", "age": 1, "addresses": [{"city": "#);
        assert!(
            message.starts_with("invalid JSON (in `addresses[0].city`): EOF"),
            "{message}"
        );
        assert!(message.contains("column"), "{message}");
        assert!(text_error("nope").starts_with("invalid JSON: expected"));
    }

    #[test]
    fn values_and_wrappers_name_the_path_the_model_wrote() {
        let value = json!([1, "two"]);
        let error = from_value::<Vec<u32>>(value).unwrap_err().under("content");
        assert_eq!(
            error.message(),
            r#"content[1]: invalid type: string "two", expected u32"#
        );
        let error = from_value::<u32>(json!("x")).unwrap_err().under("content");
        assert_eq!(
            error.message(),
            r#"content: invalid type: string "x", expected u32"#
        );
    }

    #[test]
    fn success_is_the_plain_value() {
        let user: User = from_str(r#"{"name": "J", "age": 4}"#).unwrap();
        assert_eq!(user.age, 4);
    }
}
