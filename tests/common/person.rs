//! The person the provider tests extract, with the answers they replay: a good one,
//! one that fails `min_length` (to be reasked) and another good one.

use instructor::Instruct;
use serde::{Deserialize, Serialize};

/// A person mentioned in the text.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Full name.
    #[instruct(min_length = 2)]
    pub name: String,
    pub age: u32,
}

pub const GOOD: &str = r#"{"name":"Jason","age":25}"#;
pub const BAD: &str = r#"{"name":"J","age":25}"#;
pub const IVAN: &str = r#"{"name":"Ivan","age":28}"#;

/// A `User`.
pub fn user(name: &str, age: u32) -> User {
    User {
        name: name.into(),
        age,
    }
}
