use instructor::prelude::*;

#[derive(Debug)]
struct Blank;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(validate = not_blank)]
    name: String,
}

// The error type must implement Display; `Blank` does not.
fn not_blank(value: &String, _: &ValidationContext<'_>) -> Result<(), Blank> {
    if value.trim().is_empty() { Err(Blank) } else { Ok(()) }
}

fn main() {}
