//! Behaviour of the derived `validate`: every failure, each with its JSON path.

use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn no_reserved(name: &String, ctx: &ValidationContext<'_>) -> Result<(), String> {
    let reserved: Vec<String> = ctx.get_as("reserved").unwrap_or_default();
    if reserved.contains(name) {
        Err(format!("`{name}` is reserved; pick another name"))
    } else {
        Ok(())
    }
}

fn adults_only(user: &User, _ctx: &ValidationContext<'_>) -> Result<(), &'static str> {
    if user.age < 18 {
        Err("the user must be an adult")
    } else {
        Ok(())
    }
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(validate = adults_only)]
struct User {
    #[instruct(validate = no_reserved, min_length = 2)]
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
    addresses: Vec<Address>,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    #[instruct(min_length = 2, max_length = 5)]
    city: String,
    #[instruct(pattern = r"^\d{5}$")]
    zip: Option<String>,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
enum Shape {
    Circle {
        #[instruct(exclusive_minimum = 0)]
        radius: f64,
    },
    Square(Side),
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Side {
    #[instruct(multiple_of = 2)]
    length: u32,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Tagged {
    Labels(#[instruct(min_items = 1, unique_items)] Vec<String>),
    Other {
        #[instruct(one_of = ["a", "b"])]
        pick: String,
    },
}

fn errors_of<T: Instruct>(value: &T, ctx: &ValidationContext<'_>) -> Vec<(String, String)> {
    value
        .validate(ctx)
        .err()
        .map(|e| {
            e.errors()
                .iter()
                .map(|e| (e.path_string(), e.message.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_failure_is_reported_with_its_path() {
    let user = User {
        name: "X".into(),
        age: 200,
        addresses: vec![
            Address {
                city: "Paris".into(),
                zip: Some("75001".into()),
            },
            Address {
                city: "Y".into(),
                zip: Some("abc".into()),
            },
            Address {
                city: "Amsterdam".into(),
                zip: None,
            },
        ],
    };
    let errors = errors_of(&user, &ValidationContext::empty());
    assert_eq!(
        errors,
        vec![
            (
                "name".into(),
                "must be at least 2 characters long (got 1)".into()
            ),
            (
                "age".into(),
                "must be less than or equal to 150 (got 200)".into()
            ),
            (
                "addresses[1].city".into(),
                "must be at least 2 characters long (got 1)".into()
            ),
            (
                "addresses[1].zip".into(),
                r#"must match the pattern `^\d{5}$` (got "abc")"#.into()
            ),
            (
                "addresses[2].city".into(),
                "must be at most 5 characters long (got 9)".into()
            ),
        ]
    );
}

#[test]
fn valid_value_passes() {
    let user = User {
        name: "Jason".into(),
        age: 25,
        addresses: vec![],
    };
    assert!(user.validate(&ValidationContext::empty()).is_ok());
}

#[test]
fn custom_validators_see_the_context() {
    let user = User {
        name: "admin".into(),
        age: 10,
        addresses: vec![],
    };
    let context = json!({"reserved": ["admin", "root"]});
    let errors = errors_of(&user, &ValidationContext::new(&context));
    assert_eq!(
        errors,
        vec![
            (
                "name".into(),
                "`admin` is reserved; pick another name".into()
            ),
            (String::new(), "the user must be an adult".into()),
        ]
    );
    // Without the context the field validator has nothing to reject.
    assert_eq!(errors_of(&user, &ValidationContext::empty()).len(), 1);
}

#[test]
fn display_is_llm_readable() {
    let user = User {
        name: "X".into(),
        age: 30,
        addresses: vec![],
    };
    let text = user
        .validate(&ValidationContext::empty())
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        "1 validation error found:\n- name: must be at least 2 characters long (got 1)"
    );
}

#[test]
fn lengths_count_unicode_scalar_values() {
    let ok = Address {
        city: "Zürich".chars().take(5).collect(),
        zip: None,
    };
    assert!(
        ok.validate(&ValidationContext::empty()).is_ok(),
        "5 scalar values, 6 bytes"
    );
    let too_long = Address {
        city: "日本語のまち".into(),
        zip: None,
    };
    assert_eq!(
        errors_of(&too_long, &ValidationContext::empty()),
        vec![(
            "city".into(),
            "must be at most 5 characters long (got 6)".into()
        )]
    );
}

#[test]
fn enum_variants_are_validated() {
    let circle = Shape::Circle { radius: 0.0 };
    assert_eq!(
        errors_of(&circle, &ValidationContext::empty()),
        vec![("radius".into(), "must be greater than 0 (got 0)".into())]
    );
    let square = Shape::Square(Side { length: 3 });
    assert_eq!(
        errors_of(&square, &ValidationContext::empty()),
        vec![("length".into(), "must be a multiple of 2 (got 3)".into())]
    );
    let labels = Tagged::Labels(vec!["a".into(), "b".into(), "a".into()]);
    assert_eq!(
        errors_of(&labels, &ValidationContext::empty()),
        vec![(
            "Labels".into(),
            "must not contain duplicate items (items 0 and 2 are equal)".into()
        )]
    );
    let other = Tagged::Other { pick: "c".into() };
    assert_eq!(
        errors_of(&other, &ValidationContext::empty()),
        vec![(
            "Other.pick".into(),
            r#"must be one of "a", "b" (got "c")"#.into()
        )]
    );
}

#[test]
fn std_containers_validate_their_items() {
    let addresses = vec![Address {
        city: "P".into(),
        zip: None,
    }];
    let errors = errors_of(&addresses, &ValidationContext::empty());
    assert_eq!(errors[0].0, "[0].city");
    let mut map = std::collections::BTreeMap::new();
    map.insert(
        "home".to_string(),
        Address {
            city: "P".into(),
            zip: None,
        },
    );
    assert_eq!(
        errors_of(&map, &ValidationContext::empty())[0].0,
        "home.city"
    );
    let maybe: Option<Address> = Some(Address {
        city: "P".into(),
        zip: None,
    });
    assert_eq!(errors_of(&maybe, &ValidationContext::empty())[0].0, "city");
}

fn field_errors<T: Instruct>(
    key: &str,
    value: serde_json::Value,
    context: &serde_json::Value,
) -> Vec<String> {
    let context = ValidationContext::new(context);
    let mut validator = instructor::validate::Validator::new(&context);
    T::validate_field(key, &value.to_string(), &mut validator);
    match validator.finish() {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn a_completed_field_is_checked_alone_with_its_nested_values_and_context() {
    let ctx = json!({"reserved": ["root"]});
    assert_eq!(
        field_errors::<User>("name", json!("root"), &ctx),
        ["name: `root` is reserved; pick another name"]
    );
    assert_eq!(
        field_errors::<User>("age", json!(151), &ctx),
        ["age: must be less than or equal to 150 (got 151)"]
    );
    assert_eq!(
        field_errors::<User>("addresses", json!([{"city": "X", "zip": null}]), &ctx),
        ["addresses[0].city: must be at least 2 characters long (got 1)"]
    );
    // The container validator needs the whole value: not run for one field.
    assert!(field_errors::<User>("age", json!(3), &ctx).is_empty());
    // A value of another shape, or an unknown key, waits for the whole answer.
    assert!(field_errors::<User>("age", json!("old"), &ctx).is_empty());
    assert!(field_errors::<User>("nickname", json!("x"), &ctx).is_empty());
}

/// Derives `Instruct` without `Deserialize`: streamed fields are not checked alone,
/// and the derive still compiles.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize)]
struct SchemaOnly {
    #[instruct(min_length = 3)]
    name: String,
    inner: NotDeserialize,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize)]
struct NotDeserialize {
    #[instruct(min_length = 3)]
    code: String,
}

/// A generic wrapper: fields of a parameter's type are checked at the end only.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Labelled<T> {
    #[instruct(min_length = 2)]
    label: String,
    value: T,
}

#[test]
fn fields_without_their_own_deserialize_wait_for_the_whole_value() {
    let ctx = json!({});
    assert_eq!(
        field_errors::<SchemaOnly>("name", json!("ab"), &ctx),
        ["name: must be at least 3 characters long (got 2)"]
    );
    assert!(field_errors::<SchemaOnly>("inner", json!({"code": "x"}), &ctx).is_empty());
    assert_eq!(
        field_errors::<Labelled<Address>>("label", json!("x"), &ctx),
        ["label: must be at least 2 characters long (got 1)"]
    );
    assert!(field_errors::<Labelled<Address>>("value", json!({"city": "X"}), &ctx).is_empty());
}
