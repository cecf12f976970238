//! The JSON Schema model: [`Schema`], the [`SchemaGenerator`] that composes schemas of
//! nested types through the [`Instruct`] trait (with `$defs`/`$ref` for
//! named types and recursion), the [`ToolDefinition`], and the provider dialects.
//!
//! Schemas are plain JSON objects (draft 2020-12). Keys keep insertion order, so the
//! output is deterministic and snapshot-friendly.

pub mod dialect;

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Instruct;

/// A JSON Schema object (draft 2020-12).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schema(Map<String, Value>);

impl Schema {
    /// An empty schema (`{}`), which accepts any JSON value.
    pub fn any() -> Self {
        Self(Map::new())
    }

    /// A schema with a single `"type"` keyword.
    pub fn of_type(ty: &str) -> Self {
        let mut s = Self::any();
        s.insert("type", ty);
        s
    }

    /// A `{"$ref": "#/$defs/<name>"}` schema.
    pub fn reference(name: &str) -> Self {
        let mut s = Self::any();
        s.insert("$ref", format!("#/$defs/{name}"));
        s
    }

    /// Sets a keyword, replacing any previous value.
    pub fn insert(&mut self, key: &str, value: impl Into<Value>) {
        self.0.insert(key.to_owned(), value.into());
    }

    /// Returns a keyword's value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Removes a keyword, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }

    /// The keywords of this schema.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The keywords of this schema, mutably.
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }

    /// Converts the schema into a JSON value.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// Converts a JSON value into a schema; a non-object value becomes `None`.
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self(map)),
            _ => None,
        }
    }

    /// Whether the schema describes a JSON object at its root (`"type": "object"`).
    ///
    /// Response models whose schema is not an object (strings, numbers, lists, enums)
    /// are wrapped in an object on the wire, since tool parameters must be objects.
    pub fn is_object(&self) -> bool {
        self.get("type").and_then(Value::as_str) == Some("object")
    }

    /// Makes the schema also accept `null`: adds `"null"` to `type` (and to `enum`
    /// when present), or wraps it as `anyOf: [schema, {"type": "null"}]`.
    pub fn into_nullable(mut self) -> Self {
        let null = Value::String("null".into());
        let has_ref = self.0.contains_key("$ref");
        match self.0.get_mut("type") {
            Some(Value::String(t)) if !has_ref => {
                let t = Value::String(std::mem::take(t));
                self.0.insert("type".into(), Value::Array(vec![t, null]));
                if let Some(Value::Array(values)) = self.0.get_mut("enum") {
                    values.push(Value::Null);
                }
                self
            }
            Some(Value::Array(types)) => {
                if !types.contains(&null) {
                    types.push(null);
                }
                self
            }
            _ => {
                let mut wrapper = Self::any();
                wrapper.insert(
                    "anyOf",
                    vec![self.into_value(), Self::of_type("null").into_value()],
                );
                wrapper
            }
        }
    }

    /// Whether this schema accepts `null` (a nullable type or an `anyOf` null branch).
    pub fn is_nullable(&self) -> bool {
        let null_type = |v: &Value| match v {
            Value::String(s) => s == "null",
            Value::Array(a) => a.iter().any(|t| t == "null"),
            _ => false,
        };
        if self.get("type").is_some_and(null_type) {
            return true;
        }
        self.get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| {
                branches
                    .iter()
                    .any(|b| b.get("type").is_some_and(null_type))
            })
    }
}

impl From<Schema> for Value {
    fn from(schema: Schema) -> Self {
        schema.into_value()
    }
}

/// Builds schemas for a root type and collects the named types it uses into `$defs`.
///
/// Named types (derived structs and enums) are generated once, placed under
/// `$defs/<name>` and referenced with `$ref`; that is also how recursive types work.
/// Two different types with the same name get distinct definitions (`Name`, `Name2`).
#[derive(Debug, Default)]
pub struct SchemaGenerator {
    defs: Map<String, Value>,
    names: HashMap<TypeId, String>,
    root: Option<(TypeId, bool)>,
}

impl SchemaGenerator {
    /// A generator with no definitions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The schema to embed where a value of type `T` appears: the inline schema for
    /// primitives and containers, a `$ref` to a definition for named types.
    pub fn subschema_for<T: Instruct>(&mut self) -> Schema {
        if T::inline_schema() {
            return T::schema(self);
        }
        // Only the calls through `T` are generic: the bookkeeping is written once.
        self.named_subschema(TypeId::of::<T>(), T::schema_name, T::schema)
    }

    /// [`Self::subschema_for`] of a named type: its reference, generated once.
    fn named_subschema(
        &mut self,
        id: TypeId,
        schema_name: fn() -> Cow<'static, str>,
        schema: fn(&mut Self) -> Schema,
    ) -> Schema {
        if let Some(name) = self.names.get(&id) {
            if let Some((root, referenced)) = &mut self.root
                && *root == id
            {
                *referenced = true;
            }
            return Schema::reference(name);
        }
        let name = self.unique_name(schema_name());
        self.names.insert(id, name.clone());
        // A placeholder keeps the slot (and the order) while the type is generated,
        // so a recursive reference finds its name.
        self.defs.insert(name.clone(), Value::Null);
        let generated = schema(self);
        self.defs.insert(name.clone(), generated.into_value());
        Schema::reference(&name)
    }

    /// The complete schema of `T`: its own schema inlined at the root, plus `$defs`.
    pub fn root_schema_for<T: Instruct>() -> Schema {
        Self::root_schema(
            TypeId::of::<T>(),
            T::inline_schema(),
            T::schema_name,
            T::schema,
        )
    }

    /// [`Self::root_schema_for`], written once for every type.
    fn root_schema(
        id: TypeId,
        inline: bool,
        schema_name: fn() -> Cow<'static, str>,
        schema: fn(&mut Self) -> Schema,
    ) -> Schema {
        let mut generator = Self::new();
        let root_name = (!inline).then(|| {
            let name = schema_name().into_owned();
            generator.names.insert(id, name.clone());
            generator.root = Some((id, false));
            name
        });
        let mut root = schema(&mut generator);
        if let (Some(name), Some((_, true))) = (root_name, generator.root) {
            // The root refers to itself: it must be addressable as a definition too.
            generator.defs.insert(name, root.clone().into_value());
        }
        if !generator.defs.is_empty() {
            root.insert("$defs", Value::Object(generator.defs));
        }
        root
    }

    /// The definition a `#/$defs/<name>` reference points to, if generated already.
    pub fn definition(&self, reference: &str) -> Option<Schema> {
        let name = reference.strip_prefix("#/$defs/")?;
        self.defs.get(name).cloned().and_then(Schema::from_value)
    }

    fn unique_name(&self, base: Cow<'static, str>) -> String {
        if !self.defs.contains_key(base.as_ref()) && !self.names.values().any(|n| *n == base) {
            return base.into_owned();
        }
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|candidate| {
                !self.defs.contains_key(candidate) && !self.names.values().any(|n| n == candidate)
            })
            .unwrap_or_else(|| base.into_owned())
    }
}

/// A function-calling tool definition: `{"name", "description", "parameters"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    /// The tool's name, matching `^[a-zA-Z0-9_-]{1,64}$`.
    pub name: String,
    /// What the tool extracts; the type's doc comment, or a default sentence.
    pub description: String,
    /// The JSON Schema of the arguments (always an object schema).
    pub parameters: Schema,
}

impl ToolDefinition {
    /// Builds the tool for `T`: the root schema (wrapped in an object when `T`'s schema
    /// is not one), with the description moved from the schema to the tool.
    pub fn for_type<T: Instruct>() -> Self {
        let name = match T::list_item() {
            // A list is requested under `create_iterable`'s name.
            Some((item_name, _)) => crate::client::answer::iterable_name(&item_name),
            None => tool_name(&T::schema_name()),
        };
        let (mut parameters, _) = crate::client::answer::response_schema::<T>();
        let description = parameters
            .remove("description")
            .and_then(|d| d.as_str().map(str::to_owned))
            .unwrap_or_else(|| default_description(&name));
        Self {
            name,
            description,
            parameters,
        }
    }
}

/// The description used when a type has no doc comment, as Python instructor does.
pub fn default_description(name: &str) -> String {
    format!("Correctly extracted `{name}` with all the required parameters with correct types")
}

/// Turns a schema name into a valid tool name (`^[a-zA-Z0-9_-]{1,64}$`).
pub fn tool_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if out.is_empty() {
        out.push_str("Response");
    }
    out
}
