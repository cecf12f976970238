//! Provider schema dialects, as plain functions from the derived schema to what a
//! provider accepts. The user's type is never rewritten by hand: a provider applies
//! its dialect, and keywords a dialect cannot express move into the description
//! (the runtime validator still checks them, and a failure drives a reask).

use serde_json::{Map, Value};

use super::Schema;

/// Why a schema cannot be expressed in a provider's dialect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialectError {
    /// The schema uses a construct the dialect has no way to express.
    #[error("{dialect} cannot express {what} (at {path})")]
    Unsupported {
        /// The dialect's name.
        dialect: &'static str,
        /// The construct, in words.
        what: String,
        /// Where in the schema, as a JSON pointer.
        path: String,
    },
}

const OPENAI_STRICT_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "$ref",
    "$defs",
    "description",
    "title",
    "pattern",
    "format",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "minItems",
    "maxItems",
];
const OPENAI_STRICT_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// OpenAI strict mode (`strict: true` tools and `json_schema` response formats):
/// every object closed (`additionalProperties: false`) with every property required,
/// optional properties as nullable unions, `oneOf` as `anyOf`, `$ref` siblings
/// inlined, and unsupported keywords moved into descriptions.
///
/// Maps with free-form keys, untyped JSON values and tuples have no strict form.
pub fn openai_strict(schema: &Schema) -> Result<Schema, DialectError> {
    let mut root = schema.as_map().clone();
    let defs = root.get("$defs").cloned();
    transform(&mut root, "#", &mut |node, path| {
        inline_ref_with_siblings(node, defs.as_ref());
        rename_key(node, "oneOf", "anyOf");
        let dialect = "OpenAI strict mode";
        if node.is_empty() {
            return Err(unsupported(dialect, "a free-form JSON value", path));
        }
        if node.contains_key("prefixItems") {
            return Err(unsupported(dialect, "a tuple (prefixItems)", path));
        }
        if is_object_type(node) {
            if matches!(
                node.get("additionalProperties"),
                Some(Value::Object(_)) | Some(Value::Bool(true))
            ) {
                return Err(unsupported(dialect, "a map with arbitrary keys", path));
            }
            close_object(node);
            require_all_nullable_optional(node);
        }
        if let Some(Value::String(f)) = node.get("format")
            && !OPENAI_STRICT_FORMATS.contains(&f.as_str())
        {
            move_to_description(node, &["format"]);
        }
        move_unlisted_to_description(node, OPENAI_STRICT_KEYWORDS);
        Ok(())
    })?;
    Ok(Schema(root))
}

const GEMINI_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "properties",
    "required",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "anyOf",
    "additionalProperties",
    "propertyOrdering",
];

/// Gemini's `Schema` (function `parameters` and `responseSchema`): `$ref`s inlined
/// and `$defs` dropped, nullable unions as `nullable: true`, `const` as a one-value
/// string `enum` (`format: "enum"`), and other keywords moved into descriptions.
///
/// Recursive types cannot be inlined and are rejected.
pub fn gemini(schema: &Schema) -> Result<Schema, DialectError> {
    let mut root = schema.as_map().clone();
    let defs = root.shift_remove("$defs");
    inline_all_refs(&mut root, defs.as_ref(), &mut Vec::new(), "#")?;
    transform(&mut root, "#", &mut |node, _path| {
        rename_key(node, "oneOf", "anyOf");
        collapse_nullable(node);
        if let Some(c) = node.shift_remove("const") {
            node.insert("enum".into(), Value::Array(vec![c]));
        }
        if let Some(Value::Array(values)) = node.get("enum") {
            if values.iter().all(Value::is_string) {
                node.insert("format".into(), "enum".into());
            } else {
                move_to_description(node, &["enum"]);
            }
        }
        if let Some(Value::String(f)) = node.get("format")
            && !matches!(f.as_str(), "enum" | "date-time")
        {
            move_to_description(node, &["format"]);
        }
        if matches!(node.get("additionalProperties"), Some(Value::Bool(_))) {
            node.shift_remove("additionalProperties");
        }
        move_unlisted_to_description(node, GEMINI_KEYWORDS);
        Ok(())
    })?;
    Ok(Schema(root))
}

const ANTHROPIC_STRUCTURED_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "allOf",
    "enum",
    "const",
    "$ref",
    "$defs",
    "title",
    "description",
    "format",
    "minItems",
];
const ANTHROPIC_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Anthropic tool `input_schema`: full JSON Schema is accepted, so the schema is
/// passed through unchanged (the root is always an object for response models).
pub fn anthropic_tools(schema: &Schema) -> Schema {
    schema.clone()
}

/// Anthropic native structured output (`output_config.format`): closed objects,
/// `oneOf` as `anyOf`, its format subset, `minItems` only 0 or 1, and other
/// keywords moved into descriptions.
pub fn anthropic_structured(schema: &Schema) -> Result<Schema, DialectError> {
    let mut root = schema.as_map().clone();
    transform(&mut root, "#", &mut |node, _path| {
        rename_key(node, "oneOf", "anyOf");
        if is_object_type(node)
            && !matches!(node.get("additionalProperties"), Some(Value::Object(_)))
        {
            close_object(node);
        }
        if let Some(Value::String(f)) = node.get("format")
            && !ANTHROPIC_FORMATS.contains(&f.as_str())
        {
            move_to_description(node, &["format"]);
        }
        if node
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|n| n > 1)
        {
            move_to_description(node, &["minItems"]);
        }
        move_unlisted_to_description(node, ANTHROPIC_STRUCTURED_KEYWORDS);
        Ok(())
    })?;
    Ok(Schema(root))
}

type Visit<'a> = dyn FnMut(&mut Map<String, Value>, &str) -> Result<(), DialectError> + 'a;

/// Applies `visit` to `node` and then to every subschema below it.
fn transform(
    node: &mut Map<String, Value>,
    path: &str,
    visit: &mut Visit<'_>,
) -> Result<(), DialectError> {
    visit(node, path)?;
    for (key, value) in node.iter_mut() {
        let child_path = format!("{path}/{key}");
        match (key.as_str(), value) {
            ("properties" | "$defs", Value::Object(children)) => {
                for (name, child) in children.iter_mut() {
                    if let Value::Object(child) = child {
                        transform(child, &format!("{child_path}/{name}"), visit)?;
                    }
                }
            }
            ("items" | "additionalProperties" | "not", Value::Object(child)) => {
                transform(child, &child_path, visit)?;
            }
            ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(children)) => {
                for (i, child) in children.iter_mut().enumerate() {
                    if let Value::Object(child) = child {
                        transform(child, &format!("{child_path}/{i}"), visit)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn unsupported(dialect: &'static str, what: &str, path: &str) -> DialectError {
    DialectError::Unsupported {
        dialect,
        what: what.to_owned(),
        path: path.to_owned(),
    }
}

fn is_object_type(node: &Map<String, Value>) -> bool {
    match node.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => false,
    }
}

fn rename_key(node: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = node.shift_remove(from) {
        node.insert(to.to_owned(), v);
    }
}

fn close_object(node: &mut Map<String, Value>) {
    node.insert("additionalProperties".into(), Value::Bool(false));
    if !node.contains_key("properties") {
        node.insert("properties".into(), Value::Object(Map::new()));
    }
}

/// Lists every property as required; the ones that were optional become nullable.
fn require_all_nullable_optional(node: &mut Map<String, Value>) {
    let required: Vec<Value> = node
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(Value::Object(props)) = node.get_mut("properties") else {
        return;
    };
    let mut all = Vec::with_capacity(props.len());
    for (name, prop) in props.iter_mut() {
        all.push(Value::String(name.clone()));
        if !required.iter().any(|r| r == name)
            && let Value::Object(map) = prop
        {
            let schema = Schema(std::mem::take(map));
            let schema = if schema.is_nullable() {
                schema
            } else {
                schema.into_nullable()
            };
            *map = schema.0;
        }
    }
    node.insert("required".into(), Value::Array(all));
}

/// Replaces `{"$ref": .., "description": ..}` by the referenced definition with the
/// siblings merged in (OpenAI forbids siblings next to `$ref`).
fn inline_ref_with_siblings(node: &mut Map<String, Value>, defs: Option<&Value>) {
    if node.len() < 2 {
        return;
    }
    let Some(target) = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(r, defs))
    else {
        return;
    };
    node.shift_remove("$ref");
    let mut merged = target.clone();
    for (k, v) in std::mem::take(node) {
        merged.insert(k, v);
    }
    *node = merged;
}

fn resolve<'a>(reference: &str, defs: Option<&'a Value>) -> Option<&'a Map<String, Value>> {
    let name = reference.strip_prefix("#/$defs/")?;
    defs?.get(name)?.as_object()
}

fn inline_all_refs(
    node: &mut Map<String, Value>,
    defs: Option<&Value>,
    stack: &mut Vec<String>,
    path: &str,
) -> Result<(), DialectError> {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str).map(str::to_owned) {
        if stack.contains(&reference) || reference == "#" {
            return Err(unsupported("Gemini", "a recursive type", path));
        }
        let target = resolve(&reference, defs)
            .ok_or_else(|| unsupported("Gemini", "an unresolvable $ref", path))?;
        node.shift_remove("$ref");
        let siblings = std::mem::take(node);
        *node = target.clone();
        node.extend(siblings);
        stack.push(reference);
        let result = inline_all_refs(node, defs, stack, path);
        stack.pop();
        return result;
    }
    for (key, value) in node.iter_mut() {
        let child_path = format!("{path}/{key}");
        match value {
            Value::Object(child) if key != "properties" => {
                inline_all_refs(child, defs, stack, &child_path)?;
            }
            Value::Object(children) => {
                for (name, child) in children.iter_mut() {
                    if let Value::Object(child) = child {
                        inline_all_refs(child, defs, stack, &format!("{child_path}/{name}"))?;
                    }
                }
            }
            Value::Array(children) => {
                for (i, child) in children.iter_mut().enumerate() {
                    if let Value::Object(child) = child {
                        inline_all_refs(child, defs, stack, &format!("{child_path}/{i}"))?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `type: [x, "null"]` and `anyOf: [X, {"type": "null"}]` become `nullable: true`.
fn collapse_nullable(node: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = node.get("type") {
        let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if non_null.len() + 1 == types.len() && non_null.len() == 1 {
            node.insert("type".into(), non_null[0].clone());
            node.insert("nullable".into(), Value::Bool(true));
            if let Some(Value::Array(values)) = node.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
        }
    }
    let Some(Value::Array(branches)) = node.get("anyOf") else {
        return;
    };
    let is_null = |b: &Value| b.get("type").is_some_and(|t| t == "null");
    if branches.len() == 2 && branches.iter().any(is_null) {
        let Some(Value::Object(inner)) = branches.iter().find(|b| !is_null(b)).cloned() else {
            return;
        };
        node.shift_remove("anyOf");
        let siblings = std::mem::take(node);
        *node = inner;
        node.extend(siblings);
        node.insert("nullable".into(), Value::Bool(true));
        collapse_nullable(node);
    }
}

/// Moves every keyword not in `allowed` into the description.
fn move_unlisted_to_description(node: &mut Map<String, Value>, allowed: &[&str]) {
    let unlisted: Vec<String> = node
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .cloned()
        .collect();
    let keys: Vec<&str> = unlisted.iter().map(String::as_str).collect();
    move_to_description(node, &keys);
}

/// Removes `keys` from the node and states them in its description instead, so the
/// model still reads the constraint.
fn move_to_description(node: &mut Map<String, Value>, keys: &[&str]) {
    let mut notes = Vec::new();
    for key in keys {
        if let Some(value) = node.shift_remove(*key) {
            notes.push(format!("{key}: {value}"));
        }
    }
    if notes.is_empty() {
        return;
    }
    let note = format!("({})", notes.join(", "));
    let description = match node.get("description").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => format!("{d} {note}"),
        _ => note,
    };
    node.insert("description".into(), Value::String(description));
}
