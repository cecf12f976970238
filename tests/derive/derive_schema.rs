//! Snapshot tests of the derived JSON Schema and tool definitions.

use std::collections::{BTreeMap, HashSet};

use instructor::prelude::*;
use instructor::schema::dialect;
use serde::{Deserialize, Serialize};

/// A flat struct.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Flat {
    /// The name.
    name: String,
    age: u8,
    score: f64,
    active: bool,
    initial: char,
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
    nickname: Option<String>,
    tags: HashSet<String>,
    scores: BTreeMap<String, i32>,
}

fn check_email(value: &Option<String>, _ctx: &ValidationContext<'_>) -> Result<(), String> {
    match value {
        Some(v) if v.ends_with("@example.com") => Err("example.com addresses are not real".into()),
        _ => Ok(()),
    }
}

/// Every constraint the derive knows.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Constrained {
    #[instruct(pattern = r"^[A-Z][a-z]+$", min_length = 2, max_length = 20)]
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
    #[instruct(exclusive_minimum = 0.0, exclusive_maximum = 1.0)]
    ratio: f64,
    #[instruct(multiple_of = 5)]
    step: i64,
    #[instruct(min_items = 1, max_items = 3, unique_items)]
    labels: Vec<String>,
    #[instruct(format = "email", validate = check_email)]
    email: Option<String>,
    #[instruct(format = "date")]
    born: String,
    #[instruct(one_of = ["red", "green"])]
    color: String,
    #[instruct(one_of = [1, 2, 3])]
    level: Option<u8>,
    #[instruct(description = "Explicit description.", example = "x", examples = ["y", "z"])]
    note: String,
}

/// Unit variants become a string enum.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Sentiment {
    /// Happy text.
    Positive,
    Negative,
    Neutral,
}

/// Externally tagged (serde's default).
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
enum External {
    Empty,
    Text(String),
    Pair(u8, String),
    Point { x: i32, y: i32 },
}

/// Internally tagged.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Internal {
    Empty,
    Located(Address),
    Point { x: i32, y: i32 },
}

/// Adjacently tagged.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Empty,
    Text(String),
    Point { x: i32, y: i32 },
}

/// Untagged.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Untagged {
    Number(f64),
    Point { x: i32, y: i32 },
    Nothing,
}

/// A generic wrapper.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Page<T> {
    items: Vec<T>,
    next: Option<String>,
}

/// A recursive tree.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    value: i32,
    children: Vec<Node>,
    parent: Option<Box<Node>>,
}

/// Renames, defaults, flatten and skip.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Renamed {
    first_name: String,
    #[serde(rename = "surname")]
    last_name: String,
    #[serde(default)]
    middle_names: Vec<String>,
    #[serde(flatten)]
    address: Address,
    #[serde(skip)]
    cache: Option<String>,
}

/// Tool name override.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(name = "extract_user", description = "Extract the user.")]
struct NamedTool {
    id: u64,
}

/// A newtype with its own constraint.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Email(#[instruct(format = "email")] String);

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Contact {
    email: Email,
}

macro_rules! snapshot {
    ($name:ident, $ty:ty) => {
        #[test]
        fn $name() {
            insta::assert_json_snapshot!(stringify!($name), <$ty>::json_schema());
        }
    };
}

snapshot!(schema_flat, Flat);
snapshot!(schema_nested, Person);
snapshot!(schema_constraints, Constrained);
snapshot!(schema_string_enum, Sentiment);
snapshot!(schema_enum_external, External);
snapshot!(schema_enum_internal, Internal);
snapshot!(schema_enum_adjacent, Adjacent);
snapshot!(schema_enum_untagged, Untagged);
snapshot!(schema_generic, Page<Address>);
snapshot!(schema_recursive, Node);
snapshot!(schema_renames_flatten_default, Renamed);
snapshot!(schema_newtype, Contact);

#[test]
fn tool_definitions() {
    insta::assert_json_snapshot!("tool_person", Person::tool());
    insta::assert_json_snapshot!("tool_named", NamedTool::tool());
    insta::assert_json_snapshot!("tool_flat", Flat::tool());
    // Simple types and enums are wrapped in {"content": ...}.
    insta::assert_json_snapshot!("tool_enum_wrapped", Sentiment::tool());
    insta::assert_json_snapshot!("tool_vec_wrapped", <Vec<Address>>::tool());
}

#[test]
fn dialects() {
    let strict = dialect::openai_strict(Constrained::json_schema()).unwrap();
    insta::assert_json_snapshot!("strict_constraints", strict);
    let strict = dialect::openai_strict(
        Person::tool()
            .parameters
            .clone()
            .into_value()
            .as_object()
            .map(|_| &Person::tool().parameters)
            .unwrap(),
    );
    assert!(strict.is_err(), "maps with free keys have no strict form");
    insta::assert_json_snapshot!(
        "strict_recursive",
        dialect::openai_strict(Node::json_schema()).unwrap()
    );
    insta::assert_json_snapshot!(
        "strict_internal_enum",
        dialect::openai_strict(&Internal::tool().parameters).unwrap()
    );
    insta::assert_json_snapshot!(
        "gemini_constraints",
        dialect::gemini(Constrained::json_schema()).unwrap()
    );
    insta::assert_json_snapshot!(
        "gemini_nested",
        dialect::gemini(&Page::<Address>::tool().parameters).unwrap()
    );
    assert!(
        dialect::gemini(Node::json_schema()).is_err(),
        "recursion cannot be inlined"
    );
    insta::assert_json_snapshot!(
        "anthropic_structured",
        dialect::anthropic_structured(Constrained::json_schema()).unwrap()
    );
}

#[test]
fn doc_comments_become_descriptions() {
    let schema = serde_json::to_value(Person::json_schema()).unwrap();
    assert_eq!(schema["description"], "A person with addresses.");
    assert_eq!(
        schema["properties"]["others"]["description"],
        "Every other known address."
    );
    assert_eq!(
        schema["$defs"]["Address"]["description"],
        "A postal address."
    );
    assert_eq!(Person::tool().description, "A person with addresses.");
}

/// An invoice line.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(title = "Invoice line")]
struct Titled {
    /// What was bought.
    #[instruct(title = "Item", min_length = 1)]
    item: String,
    #[instruct(title = "Shipping address")]
    address: Address,
    quantity: u32,
}

#[test]
fn titles_on_containers_and_fields() {
    let schema = serde_json::to_value(Titled::json_schema()).unwrap();
    assert_eq!(schema["title"], "Invoice line");
    assert_eq!(schema["description"], "An invoice line.");
    assert_eq!(
        schema["properties"]["item"],
        serde_json::json!({"title": "Item", "type": "string", "minLength": 1, "description": "What was bought."})
    );
    assert_eq!(schema["properties"]["address"]["title"], "Shipping address");
    assert!(schema["properties"]["quantity"].get("title").is_none());
    // The title survives into the tool and every provider dialect.
    let tool = serde_json::to_value(&Titled::tool().parameters).unwrap();
    assert_eq!(tool["title"], "Invoice line");
    let gemini = instructor::schema::dialect::gemini(Titled::json_schema())
        .unwrap()
        .into_value();
    assert_eq!(gemini["properties"]["item"]["title"], "Item");
}

#[test]
fn schema_is_computed_once() {
    assert!(std::ptr::eq(Person::json_schema(), Person::json_schema()));
    assert!(std::ptr::eq(Person::tool(), Person::tool()));
}

/// `deny_unknown_fields` on an enum: serde rejects unknown keys in its struct
/// variants, so their object schemas are closed too.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
enum Shape {
    Circle { radius: f64 },
    Square { side: f64 },
}

#[test]
fn deny_unknown_fields_on_an_enum_closes_its_struct_variants() {
    let schema = serde_json::to_value(Shape::json_schema()).unwrap();
    let text = schema.to_string();
    let branches = schema["anyOf"].as_array().expect("two variants");
    for branch in branches {
        assert!(branch.get("$ref").is_none(), "variants are inline: {text}");
        assert_eq!(branch["additionalProperties"], false, "{text}");
    }
    assert!(serde_json::from_str::<Shape>(r#"{"kind":"Circle","radius":1.0,"x":1}"#).is_err());
}

/// A nesting whose strict compatibility is decided by its fields' types.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Holder {
    person: Person,
    address: Address,
}

#[test]
fn strict_compatibility_reaches_nested_types() {
    use instructor::__private::strict_compatible;
    const { assert!(strict_compatible::<Address>()) };
    // `Person` holds a `BTreeMap<String, i32>`: not strict-compatible, nor is what holds it.
    const { assert!(!strict_compatible::<Person>()) };
    const { assert!(!strict_compatible::<Holder>()) };
}
