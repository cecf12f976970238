//! Response models known only at run time (`DynamicModel`): the request each provider
//! receives equals the one for the equivalent derived type, valid answers pass for
//! `create`, `create_partial` and `create_iterable`, every constraint's violation is
//! reasked with its path, and schemas we cannot honour are refused at load with
//! their JSON pointer.
#![cfg(all(feature = "anthropic", feature = "gemini"))]

mod common;

use std::collections::HashSet;

use common::sse::*;
use common::{bodies, serve_chat, tool_answer};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{Anthropic, Gemini, OpenAI};
use instructor::{DynamicModel, SchemaError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------
// Derived twins of the JSON Schemas in the table
// ---------------------------------------------------------------------------------

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    /// Full name.
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
    nickname: Option<String>,
}

/// A postal address.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    /// City name.
    city: String,
    country: Option<String>,
}

/// A person with addresses.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Person {
    name: String,
    home: Address,
    /// Every other known address.
    others: Vec<Address>,
    previous: Option<Address>,
}

/// How the text feels.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Sentiment {
    Positive,
    Negative,
    Neutral,
}

/// A review.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Review {
    sentiment: Sentiment,
    #[instruct(one_of = [1, 2, 3, 4, 5])]
    stars: u8,
}

/// A recursive tree.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    value: i32,
    children: Vec<Node>,
}

/// A number or a point.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Shape {
    Number(f64),
    Point { x: i32, y: i32 },
}

/// A drawing.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Drawing {
    shape: Shape,
    label: Option<String>,
}

/// Every built-in constraint.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Constrained {
    #[instruct(pattern = r"^[A-Z][a-z]+$", min_length = 2, max_length = 20)]
    name: String,
    #[instruct(exclusive_minimum = 0.0, exclusive_maximum = 1.0)]
    ratio: f64,
    #[instruct(multiple_of = 5)]
    step: i64,
    #[instruct(min_items = 1, max_items = 3, unique_items)]
    tags: Vec<String>,
    #[instruct(format = "email")]
    email: String,
    #[instruct(format = "date")]
    born: Option<String>,
}

const I32: (i64, i64) = (i32::MIN as i64, i32::MAX as i64);
const I64: (i64, i64) = (i64::MIN, i64::MAX);

/// The table: each derived type's twin, written as a user would write it (titles,
/// `$schema`, draft 7 `definitions`, `$ref: "#"` recursion, comments).
fn twins() -> Vec<(&'static str, Value, Client2)> {
    vec![
        (
            "flat object with range and nullable",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "User",
                "description": "A user.",
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Full name."},
                    "age": {"type": "integer", "minimum": 0, "maximum": 150},
                    "nickname": {"type": ["string", "null"]}
                },
                "required": ["name", "age"]
            }),
            Client2::of::<User>(),
        ),
        (
            "nested objects and arrays through $defs",
            json!({
                "title": "Person",
                "description": "A person with addresses.",
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "home": {"$ref": "#/$defs/Address"},
                    "others": {"type": "array", "items": {"$ref": "#/$defs/Address"}, "description": "Every other known address."},
                    "previous": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]}
                },
                "required": ["name", "home", "others"],
                "$defs": {
                    "Address": {
                        "type": "object",
                        "description": "A postal address.",
                        "$comment": "comments are dropped",
                        "properties": {
                            "city": {"type": "string", "description": "City name."},
                            "country": {"type": ["string", "null"]}
                        },
                        "required": ["city"]
                    }
                }
            }),
            Client2::of::<Person>(),
        ),
        (
            "string enum under draft 7 definitions, integer enum",
            json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "title": "Review",
                "description": "A review.",
                "type": "object",
                "properties": {
                    "sentiment": {"$ref": "#/definitions/Sentiment"},
                    "stars": {"type": "integer", "minimum": 0, "maximum": 255, "enum": [1, 2, 3, 4, 5]}
                },
                "required": ["sentiment", "stars"],
                "definitions": {
                    "Sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"], "description": "How the text feels."}
                }
            }),
            Client2::of::<Review>(),
        ),
        (
            "recursion through $ref #",
            json!({
                "title": "Node",
                "type": "object",
                "description": "A recursive tree.",
                "properties": {
                    "value": {"type": "integer", "minimum": I32.0, "maximum": I32.1},
                    "children": {"type": "array", "items": {"$ref": "#"}}
                },
                "required": ["value", "children"]
            }),
            Client2::of::<Node>(),
        ),
        (
            "anyOf of a number, an object and null",
            json!({
                "title": "Drawing",
                "description": "A drawing.",
                "type": "object",
                "properties": {
                    "shape": {"$ref": "#/$defs/Shape"},
                    "label": {"type": ["string", "null"]}
                },
                "required": ["shape"],
                "$defs": {
                    "Shape": {
                        "anyOf": [
                            {"type": "number"},
                            {"type": "object", "properties": {
                                "x": {"type": "integer", "minimum": I32.0, "maximum": I32.1},
                                "y": {"type": "integer", "minimum": I32.0, "maximum": I32.1}
                            }, "required": ["x", "y"]}
                        ],
                        "description": "A number or a point."
                    }
                }
            }),
            Client2::of::<Drawing>(),
        ),
        (
            "every built-in constraint",
            json!({
                "title": "Constrained",
                "description": "Every built-in constraint.",
                "type": "object",
                "properties": {
                    "name": {"type": "string", "pattern": "^[A-Z][a-z]+$", "minLength": 2, "maxLength": 20},
                    "ratio": {"type": "number", "exclusiveMinimum": 0.0, "exclusiveMaximum": 1.0},
                    "step": {"type": "integer", "minimum": I64.0, "maximum": I64.1, "multipleOf": 5},
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3, "uniqueItems": true},
                    "email": {"type": "string", "format": "email"},
                    "born": {"type": ["string", "null"], "format": "date"}
                },
                "required": ["name", "ratio", "step", "tags", "email"]
            }),
            Client2::of::<Constrained>(),
        ),
        (
            "a top-level array (wrapped in {\"content\": ...})",
            json!({"type": "array", "items": {"type": "string"}}),
            Client2::of::<Vec<String>>(),
        ),
        (
            "a top-level string enum (wrapped, named by its title)",
            json!({"title": "Sentiment", "type": "string", "enum": ["positive", "negative", "neutral"], "description": "How the text feels."}),
            Client2::of::<Sentiment>(),
        ),
    ]
}

/// `prepare` for the derived twin, with the type erased.
struct Client2 {
    prepare: fn(&Client, &Request) -> instructor::Result<instructor::provider::ProviderRequest>,
    name: &'static str,
}

impl Client2 {
    fn of<T: Instruct>() -> Self {
        Self {
            prepare: |client, request| client.prepare::<T>(request),
            name: std::any::type_name::<T>(),
        }
    }
}

/// Every provider dialect: OpenAI (tools, strict tools, JSON schema), Anthropic
/// (tools, structured output), Gemini (tools, JSON).
fn dialect_clients() -> Vec<(&'static str, Client)> {
    let openai = || instructor::from_openai(OpenAI::new("sk-test")).with_model("gpt-4o-mini");
    let anthropic = || instructor::from_anthropic(Anthropic::new("sk-ant")).with_model("claude");
    let gemini = || instructor::from_gemini(Gemini::new("AIza")).with_model("gemini-2.0-flash");
    vec![
        ("openai tools", openai().with_mode(Mode::Tools)),
        ("openai tools strict", openai().with_mode(Mode::ToolsStrict)),
        ("openai json schema", openai().with_mode(Mode::JsonSchema)),
        ("openai md json", openai().with_mode(Mode::MdJson)),
        (
            "anthropic tools",
            anthropic().with_mode(Mode::AnthropicTools),
        ),
        (
            "anthropic json schema",
            anthropic().with_mode(Mode::JsonSchema),
        ),
        ("gemini tools", gemini().with_mode(Mode::GeminiTools)),
        ("gemini json", gemini().with_mode(Mode::GeminiJson)),
    ]
}

/// The body sent (or the error raised instead).
fn body(
    client: &Client,
    prepared: instructor::Result<instructor::provider::ProviderRequest>,
) -> Result<Value, String> {
    let prepared = prepared.map_err(|e| e.to_string())?;
    client
        .provider()
        .build_body(&prepared)
        .map_err(|e| e.to_string())
}

#[test]
fn each_schema_produces_the_same_request_as_its_derived_twin_in_every_dialect() {
    let request = Request::default().system("Extract.").user("some text");
    for (case, document, twin) in twins() {
        let model =
            DynamicModel::from_json_schema(&document).unwrap_or_else(|e| panic!("{case}: {e}"));
        let dynamic_request = request.clone().response_model(model);
        for (dialect, client) in dialect_clients() {
            let derived = body(&client, (twin.prepare)(&client, &request));
            let dynamic = body(&client, client.prepare::<Value>(&dynamic_request));
            assert_eq!(
                dynamic, derived,
                "{case} ({}) in {dialect}:\n dynamic {dynamic:#?}\n derived {derived:#?}",
                twin.name
            );
        }
    }
}

#[test]
fn the_iterable_request_equals_the_derived_iterable_request() {
    // The iterable wrapper is built from the same item schema; compared through
    // the first streamed request a server receives is covered below, and here
    // through the public spec of the single-answer model.
    let model = DynamicModel::from_json_schema(&twins()[1].1).unwrap();
    assert_eq!(model.name(), "Person");
    assert_eq!(model.json_schema(), Person::json_schema());
    let user = DynamicModel::from_json_schema(&twins()[0].1).unwrap();
    assert_eq!(user.response_spec().schema, User::tool().parameters);
    assert_eq!(user.response_spec().description, User::tool().description);
}
