//! Smoke test: the derive compiles for a plain struct and produces its schema.
use instructor::prelude::*;
use serde::{Deserialize, Serialize};

/// A person mentioned in the text.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    /// Full name as written in the text.
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
    #[instruct(pattern = r"^\+?1?\s*\(?(\d{3})\)?[-.\s]*(\d{3})[-.\s]*(\d{4})$")]
    phone_number: Option<String>,
    addresses: Vec<Address>,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    #[instruct(min_length = 2)]
    city: String,
}

#[test]
fn smoke() {
    println!(
        "{}",
        serde_json::to_string_pretty(User::json_schema()).unwrap()
    );
    println!("{}", serde_json::to_string_pretty(User::tool()).unwrap());
    let u = User {
        name: "x".into(),
        age: 200,
        phone_number: Some("abc".into()),
        addresses: vec![
            Address {
                city: "Paris".into(),
            },
            Address { city: "X".into() },
        ],
    };
    let e = u.validate(&ValidationContext::empty()).unwrap_err();
    println!("{e}");
    let p: PartialUser =
        serde_json::from_str(r#"{"name":"Ja","addresses":[{"city":"P"}]}"#).unwrap();
    println!("{p:?}");
    assert_eq!(e.len(), 3);
}
