//! Lenient parsing ([`Request::lenient`](crate::Request::lenient),
//! [`Client::with_lenient`](crate::Client::with_lenient)), for local and small models
//! that write almost-JSON. Off by default, as in Python instructor.
//!
//! Two steps, both before the usual strict parse (so validation, error paths and
//! reasks are the same as in strict mode):
//! 1. **Syntax**: the answer goes through the incremental parser with lenient syntax
//!    ([`PartialJson::with_lenient_syntax`]): trailing commas, comments, single
//!    quotes, unquoted keys, raw control characters in strings and Python literals are
//!    repaired into strict JSON. Streams use the same parser, so a partial snapshot
//!    and the final value read the answer the same way.
//! 2. **Scalars sent as strings**: guided by the response schema as sent (derived or
//!    a runtime [`DynamicModel`](crate::DynamicModel)), a string where the schema
//!    wants a number, an integer or a boolean (and not a string) is replaced by the
//!    number or boolean it spells (`"25"`, `" 3.5 "`, `"True"`). The walk follows
//!    `properties`, `additionalProperties`, `items`, `prefixItems`, `anyOf`/`oneOf`/
//!    `allOf` and local `$ref`s.
//!
//! An answer the lenient parser cannot read either is handed on as it is, so the
//! error reported (and sent back in the reask) is the strict parser's, naming the
//! field.

use std::borrow::Cow;

use serde_json::{Number, Value};

use super::stream::ITERABLE_FIELD;
use crate::partial::PartialJson;
use crate::validate::PathSegment;

/// Deepest schema nesting followed (recursive schemas stop here).
const MAX_DEPTH: usize = 64;

/// Lenient reading of answers for one response schema.
#[derive(Debug, Clone)]
pub(crate) struct Lenient {
    /// The response schema as sent (an object schema, with its `$defs`).
    schema: Value,
}

impl Lenient {
    /// Lenient reading for `schema` when `on`, else `None`.
    pub(crate) fn new(on: bool, schema: &crate::schema::Schema) -> Option<Self> {
        on.then(|| Self {
            schema: Value::Object(schema.as_map().clone()),
        })
    }

    /// The parser for a streamed answer: the answer's parser, with lenient syntax.
    pub(crate) fn parser(lenient: Option<&Self>) -> PartialJson {
        match lenient {
            Some(_) => PartialJson::answer().with_lenient_syntax(),
            None => PartialJson::answer(),
        }
    }

    /// The answer's JSON text repaired and coerced into strict JSON; the text as it
    /// is when even the lenient parser cannot read it.
    pub(crate) fn repair<'a>(&self, json: &'a str) -> Cow<'a, str> {
        let mut parser = Self::parser(Some(self));
        let Ok(mut value) = parser.push_str(json).and_then(|()| parser.finish()) else {
            return Cow::Borrowed(json);
        };
        self.coerce(&mut value);
        serde_json::to_string(&value).map_or(Cow::Borrowed(json), Cow::Owned)
    }

    /// Coerces a whole answer.
    pub(crate) fn coerce(&self, value: &mut Value) {
        coerce(value, &self.schema, &self.schema, 0);
    }

    /// Coerces a snapshot of the answer so far, whose value at `open` is still being
    /// written: a string there that would become a number or boolean is not shown
    /// yet (as an unfinished number is not), so a value never flickers (`3`, `31`).
    pub(crate) fn coerce_snapshot(&self, value: &mut Value, open: &[PathSegment]) {
        hide_open_scalar(value, &self.schema, &self.schema, open);
        self.coerce(value);
    }

    /// Coerces one top-level field `key` of the answer.
    pub(crate) fn coerce_field(&self, key: &str, value: &mut Value) {
        if let Some(schema) = property(&self.schema, key, &self.schema) {
            coerce(value, schema, &self.schema, 0);
        }
    }

    /// Coerces one item of an iterable answer (`{"tasks": [item, ...]}`).
    pub(crate) fn coerce_item(&self, value: &mut Value) {
        let items = property(&self.schema, ITERABLE_FIELD, &self.schema)
            .map(|tasks| resolve(tasks, &self.schema))
            .and_then(|tasks| tasks.get("items"));
        if let Some(schema) = items {
            coerce(value, schema, &self.schema, 0);
        }
    }

    /// A top-level field's JSON text, coerced (as written when nothing changed).
    pub(crate) fn coerce_field_json<'a>(&self, key: &str, json: &'a str) -> Cow<'a, str> {
        let Ok(mut value) = serde_json::from_str::<Value>(json) else {
            return Cow::Borrowed(json);
        };
        let before = value.clone();
        self.coerce_field(key, &mut value);
        if value == before {
            return Cow::Borrowed(json);
        }
        serde_json::to_string(&value).map_or(Cow::Borrowed(json), Cow::Owned)
    }
}

/// The schema `$ref` points to (local `#/$defs/..` and `#/definitions/..` only).
fn resolve<'s>(schema: &'s Value, root: &'s Value) -> &'s Value {
    let mut schema = schema;
    for _ in 0..MAX_DEPTH {
        let Some(target) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| root.pointer(pointer))
        else {
            break;
        };
        schema = target;
    }
    schema
}

/// The schema of property `key` of an object schema.
fn property<'s>(schema: &'s Value, key: &str, root: &'s Value) -> Option<&'s Value> {
    let schema = resolve(schema, root);
    schema
        .get("properties")
        .and_then(|p| p.get(key))
        .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
}

/// Removes the string at `open` (below `value`, whose schema is `schema`) when the
/// schema wants a number or boolean there.
fn hide_open_scalar(value: &mut Value, schema: &Value, root: &Value, open: &[PathSegment]) {
    let Some((first, rest)) = open.split_first() else {
        return;
    };
    let schema = resolve(schema, root);
    let (child, child_schema) = match (value, first) {
        (Value::Object(map), PathSegment::Field(key)) => {
            let Some(inner) = property(schema, key, root) else {
                return;
            };
            if rest.is_empty() {
                if map.get(key).is_some_and(|v| wants_scalar(v, inner, root)) {
                    map.remove(key);
                }
                return;
            }
            (map.get_mut(key), inner)
        }
        (Value::Array(items), PathSegment::Index(i)) => {
            let prefix = schema.get("prefixItems").and_then(Value::as_array);
            let Some(inner) = prefix
                .and_then(|p| p.get(*i))
                .or_else(|| schema.get("items").filter(|s| s.is_object()))
            else {
                return;
            };
            if rest.is_empty() {
                if items.get(*i).is_some_and(|v| wants_scalar(v, inner, root)) {
                    items.truncate(*i);
                }
                return;
            }
            (items.get_mut(*i), inner)
        }
        _ => return,
    };
    if let Some(child) = child {
        hide_open_scalar(child, child_schema, root, rest);
    }
}

/// Whether `value` is a string the schema wants as a number or boolean.
fn wants_scalar(value: &Value, schema: &Value, root: &Value) -> bool {
    if !value.is_string() {
        return false;
    }
    let mut allowed = Vec::new();
    types(schema, root, 0, &mut allowed);
    !allowed.iter().any(|t| t == "string")
        && allowed
            .iter()
            .any(|t| matches!(t.as_str(), "number" | "integer" | "boolean"))
}

/// The JSON types a schema allows (`type`, directly or in its branches).
fn types(schema: &Value, root: &Value, depth: usize, out: &mut Vec<String>) {
    let schema = resolve(schema, root);
    match schema.get("type") {
        Some(Value::String(t)) => out.push(t.clone()),
        Some(Value::Array(ts)) => {
            out.extend(ts.iter().filter_map(Value::as_str).map(str::to_owned))
        }
        _ => {}
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            types(branch, root, depth + 1, out);
        }
    }
}

/// Replaces strings that spell what the schema wants (a number or a boolean), all
/// the way down.
fn coerce(value: &mut Value, schema: &Value, root: &Value, depth: usize) {
    if depth >= MAX_DEPTH {
        return;
    }
    let schema = resolve(schema, root);
    match value {
        Value::String(text) => {
            if let Some(scalar) = scalar_from_string(text, schema, root) {
                *value = scalar;
            }
        }
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if let Some(inner) = property(schema, key, root) {
                    coerce(member, inner, root, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            let prefix = schema.get("prefixItems").and_then(Value::as_array);
            for (i, item) in items.iter_mut().enumerate() {
                let inner = prefix
                    .and_then(|p| p.get(i))
                    .or_else(|| schema.get("items").filter(|s| s.is_object()));
                if let Some(inner) = inner {
                    coerce(item, inner, root, depth + 1);
                }
            }
        }
        _ => {}
    }
    if !value.is_string() {
        for key in ["anyOf", "oneOf", "allOf"] {
            for branch in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if value.is_object() || value.is_array() {
                    coerce(value, branch, root, depth + 1);
                }
            }
        }
    }
}

/// The number or boolean a string spells, when the schema wants one and no string.
fn scalar_from_string(text: &str, schema: &Value, root: &Value) -> Option<Value> {
    let mut allowed = Vec::new();
    types(schema, root, 0, &mut allowed);
    if allowed.iter().any(|t| t == "string") {
        return None;
    }
    let trimmed = text.trim();
    let wants = |t: &str| allowed.iter().any(|a| a == t);
    if wants("boolean") {
        match trimmed.to_ascii_lowercase().as_str() {
            "true" => return Some(Value::Bool(true)),
            "false" => return Some(Value::Bool(false)),
            _ => {}
        }
    }
    if wants("integer") || wants("number") {
        let number: Number = serde_json::from_str(trimmed).ok()?;
        return Some(Value::Number(number));
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Lenient;
    use crate::schema::Schema;

    fn lenient(schema: serde_json::Value) -> Lenient {
        Lenient {
            schema: Schema::from_value(schema).map_or(json!({}), Schema::into_value),
        }
    }

    #[test]
    fn strings_become_what_the_schema_wants() {
        let l = lenient(json!({
            "type": "object",
            "properties": {
                "age": {"type": "integer"},
                "score": {"type": ["number", "null"]},
                "ok": {"type": "boolean"},
                "name": {"type": "string"},
                "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "pets": {"type": "array", "items": {"$ref": "#/$defs/Pet"}}
            },
            "$defs": {"Pet": {"type": "object", "properties": {"legs": {"type": "integer"}}}}
        }));
        let repaired = l.repair(
            r#"{age: "25", score: ' 3.5 ', ok: "True", name: "7", either: "8",
                pets: [{legs: "4",},], extra: "9"}"#,
        );
        let value: serde_json::Value = serde_json::from_str(&repaired).unwrap_or_default();
        assert_eq!(
            value,
            json!({"age": 25, "score": 3.5, "ok": true, "name": "7", "either": "8",
                   "pets": [{"legs": 4}], "extra": "9"})
        );
        // Not a number: left for the strict parse to report.
        assert_eq!(l.repair(r#"{"age": "twenty"}"#), r#"{"age":"twenty"}"#);
        // Unreadable even leniently: handed on as it is.
        assert_eq!(l.repair("{\"age\": 1 x"), "{\"age\": 1 x");
    }
}
