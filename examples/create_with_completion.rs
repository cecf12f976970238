//! Typed calls: `create` (the type is inferred from the binding), an `async fn` that
//! returns the typed value, and `create_with_completion`, which also returns the
//! provider's completion (the Rust twin of "Correct Type Inference" on the instructor
//! front page, seed 002: "Calling `create`", "Handling async: `await create`",
//! "Returning the original completion: `create_with_completion`").
//!
//! ```sh
//! cargo run --example create_with_completion                        # offline replay
//! OPENAI_API_KEY=sk-... cargo run --example create_with_completion  # the real OpenAI API
//! ```

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

/// Seed 002 "Handling async: `await create`": the function's type says what it returns.
async fn extract(client: &Client) -> instructor::Result<User> {
    client
        .create(Request::new("gpt-4-turbo-preview").user("Create a user"))
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENAI_API_KEY"),
        "OpenAI",
        "OPENAI_API_KEY",
    );
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"{"name": "John Doe", "age": 30}"#,
        r#"{"name": "Jane Smith", "age": 25}"#,
        r#"{"name": "John Doe", "age": 30}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider);

    // --- Seed 002 "Calling `create`": `user: User` is what the call returns.
    let user: User = client
        .create(Request::new("gpt-4-turbo-preview").user("Create a user"))
        .await?;
    println!("create: {user:?}");

    let user = extract(&client).await?;
    println!("await create: {user:?}");

    // --- Seed 002 "Returning the original completion: `create_with_completion`".
    let (user, completion) = client
        .create_with_completion::<User>(Request::new("gpt-4-turbo-preview").user("Create a user"))
        .await?;
    println!("create_with_completion: {user:?}");
    let last = &completion.last;
    println!(
        "  id: {:?}, model: {:?}, finish_reason: {:?}",
        last.id, last.model, last.finish_reason
    );
    println!("  tool calls: {:?}", last.tool_calls);
    println!(
        "  attempts: {}, usage: {:?}",
        completion.attempts,
        completion.usage()
    );
    println!(
        "  raw completion: {}",
        serde_json::to_string_pretty(completion.raw())?
    );
    Ok(())
}
