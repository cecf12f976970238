//! Response models known only at run time (`DynamicModel`): the request each provider
//! receives equals the one for the equivalent derived type, valid answers pass for
//! `create`, `create_partial` and `create_iterable`, every constraint's violation is
//! reasked with its path, and schemas we cannot honour are refused at load with
//! their JSON pointer.
#![cfg(all(feature = "anthropic", feature = "gemini"))]

use std::collections::HashSet;

use crate::common::sse::*;
use crate::common::{bodies, serve_chat, tool_answer};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{Anthropic, Gemini, OpenAI};
use instructor::{AttemptError, DynamicModel, SchemaError};
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
                    "stars": {"type": "integer", "minimum": 0, "enum": [1, 2, 3, 4, 5]}
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
                    "value": {"type": "integer"},
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
                                "x": {"type": "integer"},
                                "y": {"type": "integer"}
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
                    "step": {"type": "integer", "multipleOf": 5},
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3, "uniqueItems": true},
                    "email": {"type": "string", "format": "email"},
                    "born": {"type": ["string", "null"], "format": "date"}
                },
                "required": ["name", "ratio", "step", "tags", "email"]
            }),
            Client2::of::<Constrained>(),
        ),
        (
            "a top-level array (wrapped in {\"tasks\": [...]}, as create_iterable)",
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

// ---------------------------------------------------------------------------------
// Calls over loopback
// ---------------------------------------------------------------------------------

const PERSON: &str =
    r#"{"name": "Ann", "home": {"city": "Oslo", "country": null}, "others": [{"city": "Rome"}]}"#;

fn person_model() -> DynamicModel {
    DynamicModel::from_json_schema(&twins()[1].1).unwrap()
}

fn openai(url: &str) -> Client {
    instructor::from_openai(OpenAI::new("sk-test").base_url(url)).with_model("gpt-4o-mini")
}

/// The text of every tool message of a request body (what a reask tells the model).
fn tool_texts(body: &Value) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "tool")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn create_returns_the_valid_answer_as_a_value() {
    let server = serve_chat(vec![tool_answer("Person", PERSON, (5, 5))]).await;
    let client = crate::common::client(&server);
    let request = Request::default()
        .user("Ann lives in Oslo")
        .response_model(person_model());
    let value: Value = client.create(request).await.unwrap();
    assert_eq!(value, serde_json::from_str::<Value>(PERSON).unwrap());
    let sent = &bodies(&server).await[0];
    assert_eq!(sent["tools"][0]["function"]["name"], "Person");
    assert_eq!(
        sent["tools"][0]["function"]["parameters"],
        serde_json::to_value(&Person::tool().parameters).unwrap()
    );
}

#[tokio::test]
async fn a_top_level_array_is_unwrapped_from_tasks() {
    let server = serve_chat(vec![
        tool_answer("IterableString", r#"{"tasks": ["a"]}"#, (5, 5)),
        tool_answer("IterableString", r#"{"tasks": ["a", "b"]}"#, (5, 5)),
    ])
    .await;
    let model = DynamicModel::from_json_schema(
        &json!({"type": "array", "items": {"type": "string"}, "minItems": 2}),
    )
    .unwrap();
    let value: Value = crate::common::client(&server)
        .create(Request::default().user("x").response_model(model))
        .await
        .unwrap();
    assert_eq!(value, json!(["a", "b"]));
    // The array's own constraints are checked on the unwrapped list and reasked.
    let reask = bodies(&server).await[1]["messages"].to_string();
    assert!(reask.contains("at least 2"), "{reask}");
}

#[tokio::test]
async fn a_model_on_a_call_that_is_not_for_value_is_a_config_error_and_sends_nothing() {
    let server = serve_chat(vec![tool_answer("Person", PERSON, (5, 5))]).await;
    let request = Request::default().user("x").response_model(person_model());
    let result = crate::common::client(&server)
        .create::<Person>(request)
        .await;
    match result {
        Err(Error::Config(message)) => {
            assert!(message.contains("serde_json::Value"), "{message}");
            assert!(message.contains("Person"), "{message}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
    assert!(bodies(&server).await.is_empty());
}

#[tokio::test]
async fn create_partial_streams_growing_values_then_the_validated_final_value() {
    let (url, mut received) = stream_server(vec![Script {
        events: chat_tool_stream("Person", &pieces(PERSON, 5), (5, 5)),
        ..Script::default()
    }])
    .await;
    let request = Request::default()
        .user("Ann")
        .response_model(person_model());
    let mut stream = openai(&url).create_partial::<Value>(request).await.unwrap();
    let mut snapshots = Vec::new();
    while let Some(snapshot) = stream.next().await {
        snapshots.push(snapshot.unwrap());
    }
    assert!(snapshots.len() > 3, "{snapshots:?}");
    assert_eq!(snapshots[0].get("home"), None);
    let expected: Value = serde_json::from_str(PERSON).unwrap();
    assert_eq!(snapshots.last(), Some(&expected));
    assert_eq!(stream.take_final(), Some(expected));
    let sent = received.recv().await.unwrap();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["tools"][0]["function"]["name"], "Person");
}

#[tokio::test]
async fn create_partial_reasks_a_field_as_soon_as_it_breaks_a_constraint() {
    let model = DynamicModel::from_json_schema(&json!({
        "title": "Bio", "type": "object",
        "properties": {"name": {"type": "string", "minLength": 2}, "bio": {"type": "string"}},
        "required": ["name", "bio"]
    }))
    .unwrap();
    let bad = r#"{"name": "Z", "bio": "a long biography"}"#;
    let good = r#"{"name": "Zoe", "bio": "short"}"#;
    let (url, mut received) = stream_server(vec![
        Script {
            events: chat_tool_stream("Bio", &pieces(bad, 4), (5, 5)),
            ..Script::default()
        },
        Script {
            events: chat_tool_stream("Bio", &pieces(good, 4), (5, 5)),
            ..Script::default()
        },
    ])
    .await;
    let request = Request::default()
        .user("Zoe")
        .max_retries(1)
        .response_model(model);
    let stream = openai(&url).create_partial::<Value>(request).await.unwrap();
    assert_eq!(
        stream.into_final().await.unwrap(),
        serde_json::from_str::<Value>(good).unwrap()
    );
    let _first = received.recv().await.unwrap();
    let second = received.recv().await.unwrap();
    let told = tool_texts(&second);
    assert!(
        told.contains("name: must be at least 2 characters long (got 1)"),
        "{told}"
    );
    // Cut at the failing field: the bio had not been needed.
    assert!(
        !told.contains("biography") || second.to_string().contains("\\\"name\\\""),
        "{second}"
    );
}

#[tokio::test]
async fn create_iterable_yields_each_valid_item_and_an_error_with_its_path_for_an_invalid_one() {
    let args = r#"{"tasks": [{"name": "Ann", "home": {"city": "Oslo"}, "others": []}, {"name": "Bob", "home": {"city": 7}, "others": []}, {"name": "Cid", "home": {"city": "Bern"}, "others": [{"city": "Rome"}]}]}"#;
    let (url, mut received) = stream_server(vec![Script {
        events: chat_tool_stream("IterablePerson", &pieces(args, 7), (5, 5)),
        ..Script::default()
    }])
    .await;
    let request = Request::default()
        .user("people")
        .response_model(person_model());
    let mut items = openai(&url)
        .create_iterable::<Value>(request)
        .await
        .unwrap();
    let first = items.next().await.unwrap().unwrap();
    assert_eq!(first["name"], "Ann");
    match items.next().await.unwrap() {
        Err(Error::InvalidItem {
            index: 1,
            error: AttemptError::Validation(errors),
        }) => {
            assert_eq!(errors.errors()[0].path_string(), "home.city");
            assert_eq!(
                errors.errors()[0].message,
                "must be a string (got number 7)"
            );
        }
        other => panic!("expected an invalid item, got {other:?}"),
    }
    let third = items.next().await.unwrap().unwrap();
    assert_eq!(third["others"][0]["city"], "Rome");
    assert!(items.next().await.is_none());
    let sent = received.recv().await.unwrap();
    assert_eq!(sent["tools"][0]["function"]["name"], "IterablePerson");
    let derived = instructor::from_openai(OpenAI::new("sk-test")).with_model("gpt-4o-mini");
    // The same wrapper as for the derived type: compare with a derived stream's
    // first request.
    let (url2, mut received2) = stream_server(vec![Script {
        events: chat_tool_stream("IterablePerson", &pieces(r#"{"tasks": []}"#, 7), (5, 5)),
        ..Script::default()
    }])
    .await;
    drop(derived);
    let mut derived_items = openai(&url2)
        .create_iterable::<Person>(Request::default().user("people"))
        .await
        .unwrap();
    while derived_items.next().await.is_some() {}
    let derived_sent = received2.recv().await.unwrap();
    assert_eq!(sent["tools"], derived_sent["tools"]);
    assert_eq!(sent["tool_choice"], derived_sent["tool_choice"]);
}

/// One constraint's violation: the property schema `v`, an answer breaking it, one
/// keeping it, and what the reask must say (`path: message`).
struct Violation {
    schema: Value,
    bad: Value,
    good: Value,
    told: &'static str,
}

fn violations() -> Vec<Violation> {
    let v = |schema: Value, bad: Value, good: Value, told: &'static str| Violation {
        schema,
        bad,
        good,
        told,
    };
    let tree = json!({"$ref": "#/$defs/T"});
    vec![
        v(
            json!({"type": "integer"}),
            json!("x"),
            json!(3),
            r#"v: must be an integer (got string "x")"#,
        ),
        v(
            json!({"type": "integer"}),
            json!(1.5),
            json!(3),
            "v: must be an integer (got number 1.5)",
        ),
        v(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}),
            json!({}),
            json!({"a": "x"}),
            "v.a: is required but missing; add this field",
        ),
        v(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}),
            json!({"a": "x", "b": 1}),
            json!({"a": "x"}),
            "v.b: is not an allowed field; remove it (allowed fields: a)",
        ),
        v(
            json!({"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}),
            json!({"a": -1}),
            json!({"a": 1}),
            "v.a: must be greater than or equal to 0 (got -1)",
        ),
        v(
            json!({"enum": ["a", "b"]}),
            json!("c"),
            json!("a"),
            r#"v: must be one of "a", "b" (got "c")"#,
        ),
        v(
            json!({"const": "x"}),
            json!("y"),
            json!("x"),
            r#"v: must be exactly "x" (got "y")"#,
        ),
        v(
            json!({"type": "string", "pattern": "^[a-z]+$"}),
            json!("A1"),
            json!("ab"),
            r#"v: must match the pattern `^[a-z]+$` (got "A1")"#,
        ),
        v(
            json!({"type": "string", "minLength": 3}),
            json!("ab"),
            json!("abc"),
            "v: must be at least 3 characters long (got 2)",
        ),
        v(
            json!({"type": "string", "maxLength": 2}),
            json!("abc"),
            json!("ab"),
            "v: must be at most 2 characters long (got 3)",
        ),
        v(
            json!({"type": "integer", "minimum": 10}),
            json!(5),
            json!(10),
            "v: must be greater than or equal to 10 (got 5)",
        ),
        v(
            json!({"type": "number", "maximum": 10}),
            json!(10.5),
            json!(10),
            "v: must be less than or equal to 10 (got 10.5)",
        ),
        v(
            json!({"type": "number", "exclusiveMinimum": 0}),
            json!(0),
            json!(0.5),
            "v: must be greater than 0 (got 0)",
        ),
        v(
            json!({"type": "number", "exclusiveMaximum": 1}),
            json!(1),
            json!(0.5),
            "v: must be less than 1 (got 1)",
        ),
        v(
            json!({"type": "number", "multipleOf": 0.1}),
            json!(0.25),
            json!(0.3),
            "v: must be a multiple of 0.1 (got 0.25)",
        ),
        v(
            json!({"type": "array", "items": {"type": "integer"}}),
            json!([1, "x"]),
            json!([1, 2]),
            r#"v[1]: must be an integer (got string "x")"#,
        ),
        v(
            json!({"type": "array", "minItems": 2}),
            json!([1]),
            json!([1, 2]),
            "v: must have at least 2 items (got 1)",
        ),
        v(
            json!({"type": "array", "maxItems": 1}),
            json!([1, 2]),
            json!([1]),
            "v: must have at most 1 item (got 2)",
        ),
        v(
            json!({"type": "array", "uniqueItems": true}),
            json!([1, {"a": 1}, 1.0]),
            json!([1, 2]),
            "v: must not contain duplicate items (items 0 and 2 are equal)",
        ),
        v(
            json!({"type": "array", "prefixItems": [{"type": "string"}], "items": false}),
            json!(["a", 2]),
            json!(["a"]),
            "v[1]: no value is allowed here",
        ),
        v(
            json!({"type": "string", "format": "email"}),
            json!("nope"),
            json!("a@b.co"),
            r#"v: must be a valid email address (got "nope")"#,
        ),
        v(
            json!({"type": "string", "format": "date"}),
            json!("2023-02-29"),
            json!("2024-02-29"),
            r#"v: must be a date in YYYY-MM-DD form (got "2023-02-29")"#,
        ),
        v(
            json!({"type": "string", "format": "uuid"}),
            json!("123"),
            json!("123e4567-e89b-12d3-a456-426614174000"),
            "v: must be a UUID",
        ),
        v(
            json!({"type": "string", "format": "ipv4"}),
            json!("1.2.3.256"),
            json!("1.2.3.4"),
            "v: must be an IPv4 address",
        ),
        v(
            json!({"anyOf": [{"type": "string"}, {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}]}),
            json!({"n": "x"}),
            json!({"n": 1}),
            r#"v.n: must be an integer (got string "x")"#,
        ),
        v(
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            json!(true),
            json!(1),
            "v: does not match any of the allowed shapes (option 1: must be a string (got boolean true); option 2: must be an integer (got boolean true))",
        ),
        v(
            json!({"oneOf": [{"type": "integer"}, {"type": "number"}]}),
            json!(3),
            json!(3.5),
            "v: matches more than one of the allowed shapes (options 1 and 2); it must match exactly one",
        ),
        v(
            json!({"allOf": [{"type": "integer"}, {"minimum": 3}]}),
            json!(2),
            json!(3),
            "v: must be greater than or equal to 3 (got 2)",
        ),
        v(
            json!({"not": {"type": "null"}}),
            json!(null),
            json!(0),
            "v: must not match the excluded shape (got null)",
        ),
        v(
            tree.clone(),
            json!({"n": 1, "child": {"child": {"n": 9}}}),
            json!({"n": 1, "child": {"n": 2}}),
            "v.child.child.n: must be less than or equal to 3 (got 9)",
        ),
        v(
            json!({"type": "array", "items": {"$ref": "#/$defs/City"}}),
            json!([{"city": "Oslo"}, {"city": ""}]),
            json!([{"city": "Oslo"}]),
            "v[1].city: must be at least 1 character long (got 0)",
        ),
    ]
}

fn violation_model(schema: &Value) -> DynamicModel {
    DynamicModel::from_json_schema(&json!({
        "title": "Answer",
        "type": "object",
        "properties": {"v": schema},
        "required": ["v"],
        "$defs": {
            "T": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}, "child": {"$ref": "#/$defs/T"}}},
            "City": {"type": "object", "properties": {"city": {"type": "string", "minLength": 1}}, "required": ["city"]}
        }
    }))
    .unwrap_or_else(|e| panic!("{schema}: {e}"))
}

#[tokio::test]
async fn each_constraint_violation_is_reasked_with_its_path_and_message() {
    for case in violations() {
        let model = violation_model(&case.schema);
        let bad = json!({"v": case.bad}).to_string();
        let good = json!({"v": case.good}).to_string();
        // The checks agree with the model's own validate().
        assert!(
            model
                .validate(&json!({"v": case.good}), &ValidationContext::empty())
                .is_ok(),
            "{}: good answer rejected",
            case.schema
        );
        let server = serve_chat(vec![
            tool_answer("Answer", &bad, (5, 5)),
            tool_answer("Answer", &good, (5, 5)),
        ])
        .await;
        let request = Request::default()
            .user("x")
            .max_retries(1)
            .response_model(model);
        let value: Value = crate::common::client(&server)
            .create(request)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.schema));
        assert_eq!(value, json!({"v": case.good}), "{}", case.schema);
        let received = bodies(&server).await;
        assert_eq!(received.len(), 2, "{}", case.schema);
        let told = tool_texts(&received[1]);
        assert!(
            told.contains(case.told),
            "{}:\n expected {:?}\n told {told:?}",
            case.schema,
            case.told
        );
        assert!(
            told.starts_with("Validation Error found:\n1 validation error found:\n- "),
            "{}: {told}",
            case.schema
        );
    }
}

#[tokio::test]
async fn every_failure_of_an_answer_is_reported_and_exhausting_retries_keeps_them() {
    let model = violation_model(&json!({"type": "object", "properties": {
        "a": {"type": "string", "minLength": 3},
        "b": {"type": "integer", "maximum": 1}
    }, "required": ["a", "b", "c"]}));
    let bad = json!({"v": {"a": "x", "b": 2}}).to_string();
    let server = serve_chat(vec![tool_answer("Answer", &bad, (5, 5))]).await;
    let request = Request::default()
        .user("x")
        .max_retries(0)
        .response_model(model);
    let error = crate::common::client(&server)
        .create::<Value>(request)
        .await
        .unwrap_err();
    let Error::RetriesExhausted(exhausted) = error else {
        panic!("{error:?}")
    };
    let AttemptError::Validation(errors) = &exhausted.attempts[0].error else {
        panic!("{exhausted:?}")
    };
    let paths: HashSet<String> = errors.errors().iter().map(|e| e.path_string()).collect();
    assert_eq!(
        paths,
        HashSet::from(["v.a".to_owned(), "v.b".to_owned(), "v.c".to_owned()])
    );
}

// ---------------------------------------------------------------------------------
// Loading: what cannot be honoured is refused with its pointer
// ---------------------------------------------------------------------------------

fn object_with(name: &str, property: Value) -> Value {
    json!({"type": "object", "properties": {name: property}})
}

#[test]
fn schemas_we_cannot_honour_are_refused_at_load_naming_the_pointer() {
    type Kind = fn(&SchemaError) -> bool;
    let unsupported: Kind = |e| matches!(e, SchemaError::Unsupported { .. });
    let unresolved: Kind = |e| matches!(e, SchemaError::UnresolvedRef { .. });
    let invalid: Kind = |e| matches!(e, SchemaError::Invalid { .. });
    let contradiction: Kind = |e| matches!(e, SchemaError::Contradiction { .. });
    let cases: Vec<(Value, &str, Kind, &str)> = vec![
        (
            object_with(
                "a",
                json!({"type": "string", "if": {"minLength": 1}, "then": {"maxLength": 3}}),
            ),
            "/properties/a/if",
            unsupported,
            "unsupported `if` at /properties/a/if",
        ),
        (
            json!({"type": "object", "patternProperties": {"^x": {}}}),
            "/patternProperties",
            unsupported,
            "cannot check",
        ),
        (
            json!({"type": "object", "dependentSchemas": {"a": {}}}),
            "/dependentSchemas",
            unsupported,
            "cannot check",
        ),
        (
            json!({"type": "object", "unevaluatedProperties": false}),
            "/unevaluatedProperties",
            unsupported,
            "cannot check",
        ),
        (
            json!({"type": "array", "contains": {"type": "string"}}),
            "/contains",
            unsupported,
            "cannot check",
        ),
        (
            object_with("a", json!({"type": "string", "nullable": true})),
            "/properties/a/nullable",
            unsupported,
            "\"null\"",
        ),
        (
            object_with("a", json!({"$ref": "#/$defs/Missing"})),
            "/properties/a/$ref",
            unresolved,
            "#/$defs/Missing",
        ),
        (
            json!({"type": "object", "properties": {"a": {"$ref": "other.json#/A"}}, "$defs": {}}),
            "/properties/a/$ref",
            unresolved,
            "other.json",
        ),
        (
            json!({"type": "object", "properties": {"a": {"$ref": "#/properties/b"}, "b": {"type": "string"}}}),
            "/properties/a/$ref",
            unresolved,
            "#/properties/b",
        ),
        (
            object_with(
                "age",
                json!({"type": "integer", "minimum": 10, "maximum": 5}),
            ),
            "/properties/age/minimum",
            contradiction,
            "minimum 10 is above maximum 5",
        ),
        (
            object_with(
                "r",
                json!({"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 1}),
            ),
            "/properties/r/exclusiveMinimum",
            contradiction,
            "no number fits",
        ),
        (
            object_with(
                "r",
                json!({"type": "number", "minimum": 1, "exclusiveMaximum": 1}),
            ),
            "/properties/r/minimum",
            contradiction,
            "no number fits",
        ),
        (
            object_with(
                "name",
                json!({"type": "string", "minLength": 5, "maxLength": 2}),
            ),
            "/properties/name/minLength",
            contradiction,
            "minLength 5 is above maxLength 2",
        ),
        (
            object_with(
                "tags",
                json!({"type": "array", "minItems": 3, "maxItems": 1}),
            ),
            "/properties/tags/minItems",
            contradiction,
            "minItems 3 is above maxItems 1",
        ),
        (
            json!({"type": "object", "properties": {"a": {}}, "required": ["a", "b"], "additionalProperties": false}),
            "/required/1",
            contradiction,
            "\"b\" is required",
        ),
        (
            object_with("a", json!({"type": "string", "enum": ["x", 1]})),
            "/properties/a/enum/1",
            contradiction,
            "not of the schema's `type`",
        ),
        (
            object_with("a", json!({"const": "z", "enum": ["x", "y"]})),
            "/properties/a/const",
            contradiction,
            "not among the `enum`",
        ),
        (
            object_with("a", json!({"type": "string", "minimum": 1})),
            "/properties/a/minimum",
            contradiction,
            "applies to numbers",
        ),
        (
            object_with("a", json!({"type": "integer", "items": {}})),
            "/properties/a/items",
            contradiction,
            "applies to arrays",
        ),
        (
            object_with("a", json!({"type": "string", "pattern": "(unclosed"})),
            "/properties/a/pattern",
            invalid,
            "not a valid regular expression",
        ),
        (
            object_with("a", json!({"type": "string", "format": "hostname"})),
            "/properties/a/format",
            unsupported,
            "supported formats: email",
        ),
        (
            object_with("a", json!({"type": "strin"})),
            "/properties/a/type",
            invalid,
            "not a JSON type",
        ),
        (
            object_with("a", json!({"type": "string", "minLength": -1})),
            "/properties/a/minLength",
            invalid,
            "non-negative integer",
        ),
        (
            object_with("a", json!({"type": "number", "multipleOf": 0})),
            "/properties/a/multipleOf",
            invalid,
            "greater than 0",
        ),
        (
            object_with(
                "a",
                json!({"type": "number", "exclusiveMaximum": true, "maximum": 3}),
            ),
            "/properties/a/exclusiveMaximum",
            unsupported,
            "draft-4",
        ),
        (
            object_with("a", json!({"enum": []})),
            "/properties/a/enum",
            invalid,
            "non-empty",
        ),
        (
            object_with("a", json!({"anyOf": []})),
            "/properties/a/anyOf",
            invalid,
            "non-empty",
        ),
        (
            object_with("a", json!(42)),
            "/properties/a",
            invalid,
            "object or a boolean",
        ),
        (
            object_with("a", json!({"$defs": {"B": {}}})),
            "/properties/a/$defs",
            unsupported,
            "only at the root",
        ),
        (
            object_with("a", json!({"$id": "https://x"})),
            "/properties/a/$id",
            unsupported,
            "only at the root",
        ),
        (
            json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"anyOf": [{"$ref": "#/$defs/A"}]}}}),
            "/$defs/",
            unsupported,
            "loops back",
        ),
        (
            object_with(
                "a/b~c",
                json!({"type": "integer", "minimum": 2, "maximum": 1}),
            ),
            "/properties/a~1b~0c/minimum",
            contradiction,
            "/properties/a~1b~0c/minimum",
        ),
        (json!(true), "", invalid, "the schema root"),
        (
            json!({"$defs": {}, "definitions": {}}),
            "/definitions",
            unsupported,
            "keep one",
        ),
    ];
    for (document, pointer, kind, words) in cases {
        let error = DynamicModel::from_json_schema(&document)
            .map(|_| ())
            .expect_err(&format!("{document} must be refused"));
        let at = error.pointer().unwrap_or_default();
        assert!(
            if pointer.ends_with('/') {
                at.starts_with(pointer)
            } else {
                at == pointer
            },
            "{document}: pointer {at:?}, expected {pointer:?} ({error})"
        );
        assert!(kind(&error), "{document}: wrong kind {error:?}");
        assert!(error.to_string().contains(words), "{document}: {error}");
        // Through `?` in a function returning instructor's error, it stays typed.
        let converted: instructor::Error = error.into();
        assert!(
            matches!(converted, instructor::Error::Schema(_)),
            "{converted:?}"
        );
    }
}

#[test]
fn annotations_are_accepted_and_kept_out_of_the_checks() {
    let model = DynamicModel::from_json_schema(&json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.com/user.json",
        "$comment": "a comment",
        "title": "User",
        "description": "A user.",
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "Name", "examples": ["Ann"], "default": "x", "deprecated": false, "readOnly": true, "writeOnly": false, "$comment": "c"}
        },
        "required": ["name"]
    }))
    .unwrap();
    assert_eq!(model.name(), "User");
    let schema = serde_json::to_value(model.json_schema()).unwrap();
    for gone in ["$schema", "$id", "$comment", "title"] {
        assert!(schema.get(gone).is_none(), "{gone} in {schema}");
    }
    assert!(schema["properties"]["name"].get("$comment").is_none());
    assert_eq!(schema["properties"]["name"]["examples"], json!(["Ann"]));
    assert!(
        model
            .validate(&json!({"name": "Bo"}), &ValidationContext::empty())
            .is_ok()
    );
}

#[test]
fn documents_load_from_text_and_files_with_typed_errors() {
    let text = r#"{"title": "Tag", "type": "object", "properties": {"t": {"type": "string"}}}"#;
    let from_text = DynamicModel::from_json_schema_str(text).unwrap();
    let dir = std::env::temp_dir().join(format!("instructor-dynamic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tag.json");
    std::fs::write(&path, text).unwrap();
    let from_file = DynamicModel::from_path(&path).unwrap();
    assert_eq!(from_text, from_file);
    assert_eq!(from_file.name(), "Tag");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(
        DynamicModel::from_json_schema_str("{not json"),
        Err(SchemaError::Json(_))
    ));
    let missing = DynamicModel::from_path(dir.join("missing.json")).unwrap_err();
    assert!(matches!(missing, SchemaError::Read { .. }), "{missing:?}");
    assert!(missing.to_string().contains("missing.json"), "{missing}");
    assert!(std::error::Error::source(&missing).is_some());
}

// ---------------------------------------------------------------------------------
// Properties: the checks never panic, and agree with an independent validator
// ---------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1000i64..1000).prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            (-100.0f64..100.0).prop_map(Value::from),
            "[a-zA-Z0-9@._ -]{0,12}".prop_map(Value::from),
            prop::sample::select(vec![
                "Oslo",
                "a@b.co",
                "2024-02-29",
                "1.2.3.4",
                "Ann",
                "x",
                "positive"
            ])
            .prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop::sample::select(vec![
                            "name",
                            "home",
                            "others",
                            "city",
                            "country",
                            "value",
                            "children",
                            "v",
                            "n",
                            "child",
                            "x",
                            "y",
                            "shape",
                            "tags",
                            "ratio",
                            "step",
                            "email",
                            "born",
                            "previous",
                            "label",
                            "stars",
                            "sentiment",
                            "content"
                        ]),
                        inner
                    ),
                    0..6
                )
                .prop_map(|entries| Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect()
                )),
            ]
        })
    }

    /// Every schema of the tests: the twins and each violation's.
    fn documents() -> Vec<Value> {
        let mut out: Vec<Value> = twins().into_iter().map(|(_, d, _)| d).collect();
        out.extend(violations().into_iter().map(|case| {
            json!({
                "type": "object",
                "properties": {"v": case.schema},
                "required": ["v"],
                "$defs": {
                    "T": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}, "child": {"$ref": "#/$defs/T"}}},
                    "City": {"type": "object", "properties": {"city": {"type": "string", "minLength": 1}}, "required": ["city"]}
                }
            })
        }));
        out
    }

    fn oracle(document: &Value) -> jsonschema::Validator {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(document)
            .unwrap_or_else(|e| panic!("jsonschema rejects {document}: {e}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_values_never_panic_and_agree_with_jsonschema(value in json_value(), wrap in any::<bool>()) {
            for document in documents() {
                let model = DynamicModel::from_json_schema(&document).unwrap();
                let oracle = oracle(&document);
                // Also as the value of the single property, to reach deeper checks.
                let value = if wrap { json!({"v": value.clone()}) } else { value.clone() };
                let ours = model.validate(&value, &ValidationContext::empty());
                prop_assert_eq!(ours.is_ok(), oracle.is_valid(&value), "{} on {}: {:?}", document, value, ours);
            }
        }

        #[test]
        fn random_documents_never_panic_the_loader(document in json_value()) {
            if let Ok(model) = DynamicModel::from_json_schema(&document) {
                let _ = model.validate(&document, &ValidationContext::empty());
            }
        }
    }
}

#[tokio::test]
async fn parallel_tools_check_each_call_and_reask_only_the_failing_one() {
    let model = DynamicModel::from_json_schema(&json!({
        "title": "City", "type": "object",
        "properties": {"city": {"type": "string", "minLength": 2}}, "required": ["city"]
    }))
    .unwrap();
    let server = serve_chat(vec![
        crate::common::tool_answer_many(
            &[
                ("City", r#"{"city": "Oslo"}"#),
                ("City", r#"{"city": "R"}"#),
            ],
            (5, 5),
        ),
        crate::common::tool_answer_many(
            &[
                ("City", r#"{"city": "Oslo"}"#),
                ("City", r#"{"city": "Rome"}"#),
            ],
            (5, 5),
        ),
    ])
    .await;
    let request = Request::default()
        .user("cities")
        .max_retries(1)
        .response_model(model);
    let cities: Vec<Value> = crate::common::client(&server)
        .with_mode(Mode::ParallelTools)
        .create_parallel(request)
        .await
        .unwrap();
    assert_eq!(
        cities,
        vec![json!({"city": "Oslo"}), json!({"city": "Rome"})]
    );
    let told = tool_texts(&bodies(&server).await[1]);
    assert!(
        told.contains("city: must be at least 2 characters long (got 1)"),
        "{told}"
    );
    assert!(told.contains("This call is valid"), "{told}");
}
