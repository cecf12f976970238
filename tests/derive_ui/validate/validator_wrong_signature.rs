use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(validate = not_blank)]
    name: String,
}

// Takes `&u32` where the field is a `String`.
fn not_blank(value: &u32, _: &ValidationContext<'_>) -> Result<(), String> {
    if *value == 0 { Err("zero".into()) } else { Ok(()) }
}

fn main() {}
