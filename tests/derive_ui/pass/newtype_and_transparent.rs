use instructor::prelude::*;

/// An email address.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Email(#[instruct(format = "email")] String);

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(transparent)]
struct Age {
    #[instruct(range(max = 150))]
    years: u32,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    email: Email,
    age: Age,
}

fn main() {
    let u = User { email: Email("nope".into()), age: Age { years: 200 } };
    assert_eq!(u.validate(&ValidationContext::empty()).unwrap_err().len(), 2);
}
