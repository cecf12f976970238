//! Response models known only at run time: a JSON Schema document becomes a
//! [`DynamicModel`], attached to a request with
//! [`Request::response_model`](crate::Request::response_model) and called with
//! `T = serde_json::Value`.
//!
//! A document is loaded once: every keyword is compiled into a check, accepted as an
//! annotation, or rejected with its JSON pointer ([`SchemaError`]). The schema sent
//! to a provider has the shape a derived type's has, so it goes through the same
//! dialects; the answer is checked against every constraint the document states with
//! core's own constraints, so failures read (and reask) as a derived type's do.
//!
//! ```
//! use instructor_core::{DynamicModel, ValidationContext};
//! use serde_json::json;
//!
//! let model = DynamicModel::from_json_schema(&json!({
//!     "title": "User",
//!     "type": "object",
//!     "properties": {"age": {"type": "integer", "minimum": 0, "maximum": 150}},
//!     "required": ["age"]
//! }))?;
//! let errors = model.validate(&json!({"age": 200}), &ValidationContext::empty()).unwrap_err();
//! assert_eq!(errors.errors()[0].path_string(), "age");
//!
//! // A schema we could not honour is refused at load, naming the place.
//! let bad = DynamicModel::from_json_schema(&json!({
//!     "type": "object",
//!     "properties": {"age": {"type": "integer", "minimum": 10, "maximum": 5}}
//! }));
//! assert_eq!(bad.unwrap_err().pointer(), Some("/properties/age/minimum"));
//! # Ok::<(), instructor_core::SchemaError>(())
//! ```

mod check;
mod error;
mod load;

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::SchemaError;

use crate::Instruct;
use crate::client::answer::{self, WRAPPER_FIELD, from_response_value, is_wrapped, wrap_schema};
use crate::client::json_path;
use crate::client::request::Request;
use crate::client::stream::ITERABLE_FIELD;
use crate::error::{AttemptError, Error};
use crate::provider::ResponseSpec;
use crate::schema::{Schema, default_description, tool_name};
use crate::validate::{ValidationContext, ValidationErrors, Validator};
use check::Compiled;

/// The name of a model whose schema has no `title` (as Python instructor's).
const DEFAULT_NAME: &str = "Response";

/// A response model loaded from a JSON Schema document at run time. Cheap to clone.
///
/// Attach it with [`Request::response_model`](crate::Request::response_model) and call
/// `client.create::<serde_json::Value>(request)` (or `create_partial`,
/// `create_iterable`, `create_many`). The schema's `title` names the tool (default
/// `Response`) and its root `description` describes it.
#[derive(Clone)]
pub struct DynamicModel {
    inner: Arc<Inner>,
}

struct Inner {
    /// The name as written (`title`), used for `$defs` and the iterable wrapper.
    schema_name: String,
    /// The schema as sent (root description included).
    schema: Schema,
    /// The response spec of a single answer.
    spec: ResponseSpec,
    /// The property the answer travels in: `content` for a non-object root, `tasks`
    /// for a list; `None` for an object.
    wrapper: Option<&'static str>,
    compiled: Compiled,
}

impl DynamicModel {
    /// Loads a JSON Schema document (draft 2020-12; draft 7's `definitions` are
    /// accepted too).
    pub fn from_json_schema(document: &Value) -> Result<Self, SchemaError> {
        let loaded = load::compile(document)?;
        let schema_name = document
            .get("title")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .unwrap_or(DEFAULT_NAME)
            .to_owned();
        let schema = Schema::from_value(Value::Object(loaded.normalized(document, &schema_name)))
            .unwrap_or_default();
        let (name, mut parameters, wrapper) = match list_item_name(&schema) {
            // A list travels as `create_iterable`'s (and `create::<Vec<T>>`'s) wrapper.
            Some(item_name) => {
                let mut item = schema
                    .get("items")
                    .cloned()
                    .and_then(Schema::from_value)
                    .unwrap_or_default();
                if let Some(defs) = schema.get("$defs") {
                    item.insert("$defs", defs.clone());
                }
                let name = match document.get("title").and_then(Value::as_str) {
                    Some(title) if !title.is_empty() => tool_name(title),
                    _ => answer::iterable_name(&item_name),
                };
                (
                    name,
                    answer::list_schema(item, &item_name),
                    Some(ITERABLE_FIELD),
                )
            }
            None => {
                let (parameters, wrapped) = wrap_schema(schema.clone());
                (
                    tool_name(&schema_name),
                    parameters,
                    wrapped.then_some(WRAPPER_FIELD),
                )
            }
        };
        let description = parameters
            .remove("description")
            .and_then(|d| d.as_str().map(str::to_owned))
            .unwrap_or_else(|| default_description(&name));
        Ok(Self {
            inner: Arc::new(Inner {
                schema_name,
                schema,
                spec: ResponseSpec {
                    name,
                    description,
                    schema: parameters,
                },
                wrapper,
                compiled: loaded.compiled,
            }),
        })
    }

    /// Loads a JSON Schema document from its text.
    pub fn from_json_schema_str(text: &str) -> Result<Self, SchemaError> {
        let document: Value = serde_json::from_str(text).map_err(SchemaError::Json)?;
        Self::from_json_schema(&document)
    }

    /// Loads a JSON Schema document from a file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json_schema_str(&text)
    }

    /// The tool / response-format name (the schema's `title`, or `Response`).
    pub fn name(&self) -> &str {
        &self.inner.spec.name
    }

    /// The schema as sent to providers (before a provider's dialect), with `$defs`.
    pub fn json_schema(&self) -> &Schema {
        &self.inner.schema
    }

    /// The response model as requested: name, description, object schema (wrapped in
    /// `{"content": ...}` when the document's root is not an object).
    pub fn response_spec(&self) -> &ResponseSpec {
        &self.inner.spec
    }

    /// Checks `value` against every constraint of the schema, returning every failure
    /// with its JSON path.
    pub fn validate(
        &self,
        value: &Value,
        context: &ValidationContext<'_>,
    ) -> Result<(), ValidationErrors> {
        let mut validator = Validator::new(context);
        let compiled = &self.inner.compiled;
        compiled.check(compiled.root, value, &mut validator);
        validator.finish()
    }

    /// Parses and checks an answer's JSON text (unwrapping `{"content": ...}`).
    fn parse(&self, json: &str, context: &ValidationContext<'_>) -> Result<Value, AttemptError> {
        let value: Value = json_path::from_str(json).map_err(answer::parse_error)?;
        let value = match self.inner.wrapper {
            Some(field) => unwrap(value, field),
            None => value,
        };
        self.validate(&value, context)
            .map_err(AttemptError::Validation)?;
        Ok(value)
    }

    /// Checks one top-level field of a streamed answer as soon as it is complete.
    fn validate_field(&self, key: &str, json: &str, validator: &mut Validator<'_>) {
        // Malformed JSON is reported (and reasked) at the end of the answer.
        if let Ok(value) = serde_json::from_str::<Value>(json) {
            self.inner.compiled.check_root_field(key, &value, validator);
        }
    }
}

impl fmt::Debug for DynamicModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicModel")
            .field("name", &self.inner.spec.name)
            .field("schema", &self.inner.schema)
            .finish_non_exhaustive()
    }
}

impl PartialEq for DynamicModel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
            || (self.inner.spec == other.inner.spec && self.inner.schema == other.inner.schema)
    }
}

/// `{field: x}` (and nothing else) is `x`; anything else is taken as it is.
fn unwrap(value: Value, field: &str) -> Value {
    match value {
        Value::Object(mut map) if map.len() == 1 && map.contains_key(field) => {
            map.remove(field).unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// For a root `{"type": "array", "items": ...}`, the items' name as a derived type
/// would have it: their `title`, else `String`, `Integer`, `Number`, `Boolean` for
/// those types, else `Item`.
fn list_item_name(schema: &Schema) -> Option<String> {
    if schema.get("type").and_then(Value::as_str) != Some("array") {
        return None;
    }
    let items = schema.get("items")?.as_object()?;
    if let Some(title) = items
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        return Some(title.to_owned());
    }
    Some(
        match items.get("type").and_then(Value::as_str) {
            Some("string") => "String",
            Some("integer") => "Integer",
            Some("number") => "Number",
            Some("boolean") => "Boolean",
            _ => "Item",
        }
        .to_owned(),
    )
}

/// How a call asks for and reads its answer as `T`: through `T`'s own
/// [`Instruct`] implementation, or, when the request carries a [`DynamicModel`],
/// through that model (then `T` must be `serde_json::Value`).
///
/// Entry points built on [`Client`](crate::Client) (`create`, streams, many calls,
/// batches) resolve it once per call with [`ResponseModel::for_request`].
pub struct ResponseModel<T> {
    dynamic: Option<DynamicModel>,
    spec: ResponseSpec,
    _answer: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ResponseModel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseModel")
            .field("dynamic", &self.dynamic)
            .field("spec", &self.spec)
            .finish()
    }
}

impl<T: Instruct> ResponseModel<T> {
    /// The model of `request` read as `T`. A request carrying a [`DynamicModel`]
    /// must be called with `T = serde_json::Value` (anything else is
    /// [`Error::Config`]: the model would otherwise be ignored).
    pub fn for_request(request: &Request) -> Result<Self, Error> {
        let Some(model) = &request.response_model else {
            return Ok(Self {
                dynamic: None,
                spec: answer::response_spec::<T>(),
                _answer: PhantomData,
            });
        };
        if TypeId::of::<T>() != TypeId::of::<Value>() {
            return Err(Error::config(format!(
                "the request carries the runtime response model `{}`, which yields serde_json::Value, but the call asks for `{}`; call it with serde_json::Value (e.g. `create::<serde_json::Value>`)",
                model.name(),
                std::any::type_name::<T>()
            )));
        }
        Ok(Self {
            spec: model.inner.spec.clone(),
            dynamic: Some(model.clone()),
            _answer: PhantomData,
        })
    }

    /// The response model as requested for a single answer.
    pub fn spec(&self) -> &ResponseSpec {
        &self.spec
    }

    /// The wrapper `{"tasks": [item, ...]}` requested by `create_iterable`.
    pub fn iterable_spec(&self) -> ResponseSpec {
        match &self.dynamic {
            Some(model) => crate::client::stream::iterable_spec_of(
                model.inner.schema.clone(),
                &model.inner.schema_name,
            ),
            None => {
                crate::client::stream::iterable_spec_of(T::json_schema().clone(), &T::schema_name())
            }
        }
    }

    /// Whether the answer travels wrapped in `{"content": ...}`.
    pub fn is_wrapped(&self) -> bool {
        match &self.dynamic {
            Some(model) => model.inner.wrapper.is_some(),
            None => is_wrapped::<T>(),
        }
    }
}

impl<T: Instruct + DeserializeOwned> ResponseModel<T> {
    /// Parses and validates an answer's JSON text.
    pub fn parse(&self, json: &str, context: &ValidationContext<'_>) -> Result<T, AttemptError> {
        match &self.dynamic {
            Some(model) => model.parse(json, context).and_then(cast),
            None => answer::parse_value::<T>(json, context),
        }
    }

    /// Reads and validates one item of an iterable answer (a bare value).
    pub fn parse_item(
        &self,
        value: Value,
        context: &ValidationContext<'_>,
    ) -> Result<T, AttemptError> {
        match &self.dynamic {
            Some(model) => {
                model
                    .validate(&value, context)
                    .map_err(AttemptError::Validation)?;
                cast(value)
            }
            None => {
                let item: T = from_response_value(value).map_err(answer::parse_error)?;
                item.transform_and_validate(context)
                    .map_err(AttemptError::Validation)
            }
        }
    }

    /// Checks one top-level field of a streamed answer as soon as it is complete
    /// (see [`Instruct::validate_field`]).
    pub fn validate_field(&self, key: &str, json: &str, validator: &mut Validator<'_>) {
        match &self.dynamic {
            Some(model) => model.validate_field(key, json, validator),
            None => T::validate_field(key, json, validator),
        }
    }
}

/// The checked `Value` as the call's `T` (which [`ResponseModel::for_request`] made
/// sure is `Value`).
fn cast<T: 'static>(value: Value) -> Result<T, AttemptError> {
    let boxed: Box<dyn Any> = Box::new(value);
    boxed.downcast::<T>().map(|b| *b).map_err(|_| {
        AttemptError::Parse("a runtime response model yields serde_json::Value".to_owned())
    })
}
