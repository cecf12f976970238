//! Response models on the wire. Tool parameters and JSON answers must be objects, so a
//! type whose schema is not an object (a string, a number, a list, an enum) is wrapped
//! in `{"content": ...}` on the wire and unwrapped on return, as Python instructor's
//! `Response` adapter does.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::Instruct;
use crate::schema::Schema;

/// The property holding a wrapped simple-type answer.
pub(crate) const WRAPPER_FIELD: &str = "content";

/// Whether `T` is wrapped in `{"content": ...}` on the wire.
pub(crate) fn is_wrapped<T: Instruct>() -> bool {
    !T::json_schema().is_object()
}

/// The object schema sent for `T`, and whether it is a wrapper.
pub(crate) fn response_schema<T: Instruct>() -> (Schema, bool) {
    wrap_schema(T::json_schema().clone())
}

/// The object schema sent for a response model whose schema is `schema` (with its
/// `$defs`), and whether it is a wrapper.
pub(crate) fn wrap_schema(schema: Schema) -> (Schema, bool) {
    if schema.is_object() {
        return (schema, false);
    }
    let mut inner = schema;
    let defs = inner.remove("$defs");
    let mut wrapper = Schema::of_type("object");
    wrapper.insert("description", "Correctly formatted and extracted response.");
    let mut properties = Map::new();
    properties.insert(WRAPPER_FIELD.to_owned(), inner.into_value());
    wrapper.insert("properties", Value::Object(properties));
    wrapper.insert("required", vec![WRAPPER_FIELD]);
    if let Some(defs) = defs {
        wrapper.insert("$defs", defs);
    }
    (wrapper, true)
}

/// The name used for `T`'s tool or response format: the type's own name for named
/// types, `Response` for wrapped simple types (as Python instructor).
pub(crate) fn response_name<T: Instruct>() -> String {
    if T::inline_schema() {
        "Response".to_owned()
    } else {
        crate::schema::tool_name(&T::schema_name())
    }
}

/// Reads `T` from the JSON the model produced, unwrapping `{"content": ...}` when
/// `T` is wrapped (a bare value is accepted too).
pub(crate) fn from_response_value<T: Instruct + DeserializeOwned>(
    value: Value,
) -> Result<T, serde_json::Error> {
    if is_wrapped::<T>()
        && let Value::Object(mut map) = value
    {
        return match map.remove(WRAPPER_FIELD) {
            Some(inner) if map.is_empty() => serde_json::from_value(inner),
            Some(inner) => {
                map.insert(WRAPPER_FIELD.to_owned(), inner);
                serde_json::from_value(Value::Object(map))
            }
            None => serde_json::from_value(Value::Object(map)),
        };
    }
    serde_json::from_value(value)
}
