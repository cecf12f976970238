use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(validate = not_blank)]
    name: String,
}

// A validator may leave out the `&ValidationContext<'_>` parameter.
fn not_blank(value: &String) -> Result<(), String> {
    if value.trim().is_empty() { Err("blank".into()) } else { Ok(()) }
}

fn main() {}
