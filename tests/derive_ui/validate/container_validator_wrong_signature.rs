use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(validate = check_user)]
struct User {
    name: String,
}

// Takes a `&str` instead of `&User`.
fn check_user(name: &str, _: &ValidationContext<'_>) -> Result<(), String> {
    if name.is_empty() { Err("empty".into()) } else { Ok(()) }
}

fn main() {}
