//! The "Anthropic" tab of the instructor front page (seed 002) in Rust:
//! `from_anthropic`, then `ExtractUser` out of "Extract Jason is 25 years old." with
//! `max_tokens: 1024` (a forced `tool_use` call, Python's `ANTHROPIC_TOOLS`). Not in
//! the tab, the same client streams: `create_partial` (a typed snapshot per
//! `input_json_delta`) and `create_iterable` (each user as soon as it completes),
//! plus Anthropic's native structured output (`Mode::JsonSchema`).
//!
//! ```sh
//! cargo run --example anthropic --features anthropic        # offline: replays recorded answers
//! ANTHROPIC_API_KEY=sk-ant-... cargo run --example anthropic --features anthropic
//! ```
//!
//! Without `ANTHROPIC_API_KEY` nothing leaves the machine: a local server replays
//! recorded answers in Anthropic's wire format (JSON, and server-sent events for the
//! streams). The tab's model, `claude-3-5-sonnet-20240620`, is retired; with a key,
//! set `ANTHROPIC_MODEL` to a current one (the default is `claude-sonnet-4-5`).

#[path = "support/replay_anthropic.rs"]
mod replay_anthropic;

use futures::StreamExt;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ExtractUser {
    name: String,
    age: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (provider, replay) = replay_anthropic::anthropic_or_replay(vec![
        r#"{"name": "Jason", "age": 25}"#,
        r#"{"name": "John Doe", "age": 30}"#,
        r#"{"tasks": [{"name": "Jason", "age": 25}, {"name": "Sarah", "age": 30}, {"name": "Mike", "age": 28}]}"#,
        r#"{"name": "Ivan", "age": 28}"#,
    ])
    .await?;
    let model = match &replay {
        Some(replay) => {
            println!(
                "ANTHROPIC_API_KEY not set: replaying recorded Anthropic answers from a local \
                 server at {} (no network, no key). Set ANTHROPIC_API_KEY to call the real API.\n",
                replay.base_url()
            );
            "claude-3-5-sonnet-20240620".to_owned()
        }
        None => {
            println!("Calling the real Anthropic API (ANTHROPIC_API_KEY set).\n");
            std::env::var("ANTHROPIC_MODEL").unwrap_or_else(|_| "claude-sonnet-4-5".to_owned())
        }
    };

    // --- The seed's "Anthropic" tab.
    let client = instructor::from_anthropic(provider);
    let resp: ExtractUser = client
        .create(
            Request::new(&model)
                .max_tokens(1024)
                .user("Extract Jason is 25 years old."),
        )
        .await?;
    assert_eq!(resp.name, "Jason");
    assert_eq!(resp.age, 25);
    println!("create: {resp:?}");

    // --- Streaming partial objects: a snapshot each time a delta changes something.
    let mut user_stream = client
        .create_partial::<ExtractUser>(Request::new(&model).max_tokens(1024).user("Create a user"))
        .await?;
    println!("\ncreate_partial:");
    while let Some(user) = user_stream.next().await {
        println!("  {:?}", user?);
    }
    println!("  usage: {:?}", user_stream.usage());
    println!("  final, validated: {:?}", user_stream.take_final());

    // --- Streaming iterables: each user as soon as its closing brace arrives.
    let mut users = client
        .create_iterable::<ExtractUser>(Request::new(&model).max_tokens(1024).user(
            "Extract users: Jason is 25 years old, Sarah is 30 years old, Mike is 28 years old",
        ))
        .await?;
    println!("\ncreate_iterable:");
    while let Some(user) = users.next().await {
        println!("  {:?}", user?);
    }

    // --- Native structured output: the schema in `output_config.format`, the JSON in
    // a text block (needs a model that supports it).
    let client = client.try_with_mode(Mode::JsonSchema)?;
    let ivan: ExtractUser = client
        .create(
            Request::new(&model)
                .max_tokens(1024)
                .user("Extract Ivan is 28."),
        )
        .await?;
    println!("\nMode::JsonSchema: {ivan:?}");
    Ok(())
}
