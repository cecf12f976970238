//! The "Gemini" tab of the instructor front page (seed 002) in Rust: `from_gemini` in
//! `Mode::GeminiJson` (JSON output with the schema enforced by the service), then
//! `ExtractUser` out of "Extract Jason is 25 years old." Not in the tab, the same
//! client streams: `create_partial` (a typed snapshot per text chunk) and
//! `create_iterable` (each user as soon as it completes), and `Mode::GeminiTools`
//! (a forced function call, Python's `GEMINI_TOOLS`).
//!
//! ```sh
//! cargo run --example gemini --features gemini                 # offline: replays recorded answers
//! GEMINI_API_KEY=... cargo run --example gemini --features gemini
//! ```
//!
//! Without `GEMINI_API_KEY` (or `GOOGLE_API_KEY`) nothing leaves the machine: a local
//! server replays recorded answers in Gemini's wire format (JSON, and server-sent
//! events for the streams). The tab's model, `models/gemini-1.5-flash-latest`, is
//! retired; with a key, set `GEMINI_MODEL` to a current one (the default is
//! `gemini-2.5-flash`).

#[path = "support/replay_gemini.rs"]
mod replay_gemini;

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
    let (provider, replay) = replay_gemini::gemini_or_replay(vec![
        r#"{"name": "Jason", "age": 25}"#,
        r#"{"name": "John Doe", "age": 30}"#,
        r#"{"tasks": [{"name": "Jason", "age": 25}, {"name": "Sarah", "age": 30}, {"name": "Mike", "age": 28}]}"#,
        r#"{"name": "Ivan", "age": 28}"#,
    ])
    .await?;
    let model = match &replay {
        Some(replay) => {
            println!(
                "GEMINI_API_KEY / GOOGLE_API_KEY not set: replaying recorded Gemini answers from \
                 a local server at {} (no network, no key). Set GEMINI_API_KEY to call the real API.\n",
                replay.base_url()
            );
            "models/gemini-1.5-flash-latest".to_owned()
        }
        None => {
            println!("Calling the real Gemini API (GEMINI_API_KEY or GOOGLE_API_KEY set).\n");
            std::env::var("GEMINI_MODEL").unwrap_or_else(|_| "gemini-2.5-flash".to_owned())
        }
    };

    // --- The seed's "Gemini" tab: the model is the client's, the mode GEMINI_JSON.
    let client = instructor::from_gemini(provider)
        .with_model(&model)
        .try_with_mode(Mode::GeminiJson)?;
    let resp: ExtractUser = client
        .create(Request::default().user("Extract Jason is 25 years old."))
        .await?;
    assert_eq!(resp.name, "Jason");
    assert_eq!(resp.age, 25);
    println!("create: {resp:?}");

    // --- Streaming partial objects (`streamGenerateContent?alt=sse`).
    let mut user_stream = client
        .create_partial::<ExtractUser>(Request::default().user("Create a user"))
        .await?;
    println!("\ncreate_partial:");
    while let Some(user) = user_stream.next().await {
        println!("  {:?}", user?);
    }
    println!("  usage: {:?}", user_stream.usage());
    println!("  final, validated: {:?}", user_stream.take_final());

    // --- Streaming iterables: each user as soon as its closing brace arrives.
    let mut users = client
        .create_iterable::<ExtractUser>(Request::default().user(
            "Extract users: Jason is 25 years old, Sarah is 30 years old, Mike is 28 years old",
        ))
        .await?;
    println!("\ncreate_iterable:");
    while let Some(user) = users.next().await {
        println!("  {:?}", user?);
    }

    // --- A forced function call instead (Python's GEMINI_TOOLS; `Mode::Tools` too).
    let client = client.try_with_mode(Mode::GeminiTools)?;
    let (ivan, completion) = client
        .create_with_completion::<ExtractUser>(Request::default().user("Extract Ivan is 28."))
        .await?;
    println!(
        "\nMode::GeminiTools: {ivan:?} ({} tokens)",
        completion.usage().total_tokens
    );
    Ok(())
}
