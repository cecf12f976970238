//! The quickstart: derive a response model and look at what instructor builds from it.
//!
//! Run with `cargo run --example quickstart`.

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
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("Tool definition sent to the model:");
    println!("{}", serde_json::to_string_pretty(User::tool())?);

    let answer = r#"{"name": "Jason", "age": 25, "phone_number": "555-123-4567"}"#;
    let user: User = serde_json::from_str(answer)?;
    user.validate(&ValidationContext::empty())?;
    println!("\nA valid answer: {user:?}");

    let bad: User =
        serde_json::from_str(r#"{"name": "Jason", "age": 250, "phone_number": "call me"}"#)?;
    if let Err(errors) = bad.validate(&ValidationContext::empty()) {
        println!("\nWhat a reask would tell the model:\n{errors}");
    }

    let partial: PartialUser = serde_json::from_str(r#"{"name": "Jas"}"#)?;
    println!("\nA partial snapshot while streaming: {partial:?}");
    Ok(())
}
