//! [`Maybe<T>`]: a value, or the model's reason why there is none.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Instruct;
use crate::schema::{Schema, SchemaGenerator};
use crate::validate::Validator;

/// Either an extracted `T` or an explanation of why none could be extracted, so a
/// model is never forced to invent a value (Python instructor's `Maybe`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Maybe<T> {
    /// The extracted value, if any.
    #[serde(default = "none")]
    pub result: Option<T>,
    /// Whether extraction failed.
    #[serde(default)]
    pub error: bool,
    /// Why there is no result; short.
    #[serde(default)]
    pub message: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Maybe<T> {
    /// The value, when there is one.
    pub fn into_option(self) -> Option<T> {
        self.result
    }

    /// The value, or the model's message as the error.
    pub fn into_result(self) -> Result<T, String> {
        match self.result {
            Some(v) if !self.error => Ok(v),
            _ => Err(self
                .message
                .unwrap_or_else(|| "no result was found".to_owned())),
        }
    }
}

/// The partial twin of [`Maybe`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "P: Serialize",
    deserialize = "P: serde::de::DeserializeOwned"
))]
pub struct PartialMaybe<P> {
    /// The value received so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<P>,
    /// Whether extraction failed, once received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<bool>,
    /// The message received so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl<P> Default for PartialMaybe<P> {
    fn default() -> Self {
        Self {
            result: None,
            error: None,
            message: None,
        }
    }
}

impl<T: Instruct> Instruct for Maybe<T> {
    type Partial = PartialMaybe<T::PartialField>;
    type PartialField = PartialMaybe<T::PartialField>;

    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Maybe{}", T::schema_name()))
    }
    fn description() -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(
            "Either the extracted result, or an error with a short message explaining why nothing was extracted.",
        ))
    }
    fn inline_schema() -> bool {
        false
    }
    fn schema(generator: &mut SchemaGenerator) -> Schema {
        let mut result = generator.subschema_for::<T>().into_nullable();
        result.insert(
            "description",
            "Correctly extracted result from the model, if any, otherwise null",
        );
        let mut error = Schema::of_type("boolean");
        error.insert("default", false);
        let mut message = Schema::of_type("string").into_nullable();
        message.insert(
            "description",
            "Error message if no result was found, should be short and concise",
        );
        let mut properties = Map::new();
        properties.insert("result".into(), result.into_value());
        properties.insert("error".into(), error.into_value());
        properties.insert("message".into(), message.into_value());
        let mut s = Schema::of_type("object");
        if let Some(d) = Self::description() {
            s.insert("description", d.into_owned());
        }
        s.insert("properties", Value::Object(properties));
        s
    }
    fn validate_into(&self, validator: &mut Validator<'_>) {
        if let Some(result) = &self.result {
            validator.at_field("result", |v| result.validate_into(v));
        }
    }
}
