use instructor::{Instruct, ValidationContext};

fn check(_: &u64, _: &ValidationContext<'_>) -> Result<(), String> {
    Ok(())
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    name: String,
    #[serde(skip)]
    #[instruct(validate = check)]
    cache: u64,
}

fn main() {}
