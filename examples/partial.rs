//! Streaming partial objects with `create_partial`: a typed snapshot (`PartialUser`,
//! every field optional) each time a delta changes something, then the validated
//! `User` (the Rust twin of "Streaming Partial Objects: `create_partial`" on the
//! instructor front page, seed 002).
//!
//! ```sh
//! cargo run --example partial                        # offline: replays a recorded stream
//! OPENAI_API_KEY=sk-... cargo run --example partial  # the real OpenAI API
//! ```
//!
//! Offline, the replay server streams the recorded answer as OpenAI does: server-sent
//! events carrying a few bytes of the tool call's arguments each.

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

    // --- Seed 002 "Streaming Partial Objects: `create_partial`".
    let (provider, _replay) =
        replay::openai_or_replay(vec![r#"{"name": "John Doe", "age": 30}"#]).await?;
    let client = instructor::from_openai(provider);
    let mut user_stream = client
        .create_partial::<User>(Request::new("gpt-4-turbo-preview").user("Create a user"))
        .await?;
    while let Some(user) = user_stream.next().await {
        println!("{:?}", user?);
    }
    // `usage()` first: `take_final()` empties the slot both read from.
    println!("Usage over all attempts: {:?}", user_stream.usage());
    println!("Final, validated: {:?}", user_stream.take_final());

    // Not in the seed: the same stream through OpenAI's Responses API
    // (`Mode::ResponsesTools`), drained straight to the final value.
    let (provider, _replay) =
        replay::openai_or_replay(vec![r#"{"name": "Jane Doe", "age": 28}"#]).await?;
    let client = instructor::from_openai(provider).try_with_mode(Mode::ResponsesTools)?;
    let user = client
        .create_partial::<User>(Request::new("gpt-4o-mini").user("Create a user"))
        .await?
        .into_final()
        .await?;
    println!("Responses API, final: {user:?}");
    Ok(())
}
