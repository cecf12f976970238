//! Streaming iterables with `create_iterable`: several `User`s, each yielded (and
//! validated) as soon as its closing brace arrives (the Rust twin of "Streaming
//! Iterables: `create_iterable`" on the instructor front page, seed 002).
//!
//! ```sh
//! cargo run --example iterable                        # offline: replays a recorded stream
//! OPENAI_API_KEY=sk-... cargo run --example iterable  # the real OpenAI API
//! ```

#[path = "support/replay.rs"]
mod replay;

use futures::StreamExt;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENAI_API_KEY"),
        "OpenAI",
        "OPENAI_API_KEY",
    );

    // --- Seed 002 "Streaming Iterables: `create_iterable`": the model fills one
    // `{"tasks": [...]}` tool call; items are parsed out of it as they complete.
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"{"tasks": [{"name": "John Doe", "age": 30}, {"name": "Jane Doe", "age": 28}]}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider);
    let mut users = client
        .create_iterable::<User>(Request::new("gpt-4-turbo-preview").user("Create 2 users"))
        .await?;
    while let Some(user) = users.next().await {
        println!("{:?}", user?);
    }

    // Not in the seed: with `Mode::ParallelTools` each item is its own tool call.
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"[{"name": "Jason", "age": 25}, {"name": "Sarah", "age": 30}, {"name": "Mike", "age": 28}]"#,
    ])
    .await?;
    let client = instructor::from_openai(provider).try_with_mode(Mode::ParallelTools)?;
    let mut users = client
        .create_iterable::<User>(Request::new("gpt-4o-mini").user(
            "Extract users: Jason is 25 years old, Sarah is 30 years old, Mike is 28 years old",
        ))
        .await?;
    println!("Parallel tool calls:");
    while let Some(user) = users.next().await {
        println!("  {:?}", user?);
    }
    Ok(())
}
