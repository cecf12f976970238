use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    // A transform takes the value and returns the fixed value.
    #[instruct(transform = shout)]
    name: String,
}

fn shout(value: &String) -> Result<(), String> {
    let _ = value;
    Ok(())
}

fn main() {}
