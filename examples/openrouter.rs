//! OpenRouter with instructor: tool calling, async, nested objects, structured outputs
//! with a phone-number pattern, JSON mode, and partial streaming (the Rust twin of the
//! "Structured outputs with OpenRouter" guide, seed 003).
//!
//! ```sh
//! cargo run --example openrouter                        # offline: replays recorded answers
//! OPENROUTER_API_KEY=sk-or-... cargo run --example openrouter   # the real OpenRouter API
//! ```
//!
//! Optional: `OPENROUTER_SITE_URL` and `OPENROUTER_APP_NAME` are sent as OpenRouter's
//! `HTTP-Referer` and `X-Title` attribution headers.

#[path = "support/replay.rs"]
mod replay;

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::OpenAI;
use replay::Replay;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    street: String,
    city: String,
    country: String,
}

/// The nested-object example's `User`.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(name = "User")]
struct UserWithAddresses {
    name: String,
    age: u32,
    addresses: Vec<Address>,
}

/// The structured-outputs and JSON-mode examples' `User`.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(name = "User")]
struct UserWithPhone {
    name: String,
    age: u32,
    #[instruct(pattern = r"^\+?1?\s*\(?(\d{3})\)?[-.\s]*(\d{3})[-.\s]*(\d{4})$")]
    phone_number: String,
}

/// An OpenRouter client in `mode` (`OPENROUTER_API_KEY`); offline, one over a replay
/// server serving `answers`, returned to be kept alive.
async fn openrouter(
    mode: Mode,
    answers: Vec<&'static str>,
) -> instructor::Result<(Client, Option<Replay>)> {
    let (provider, replay) = if replay::has_env("OPENROUTER_API_KEY") {
        (OpenAI::openrouter()?, None)
    } else {
        let replay = Replay::start(answers).await;
        let provider = OpenAI::for_service(
            "openrouter",
            Some("offline".into()),
            Some(replay.base_url()),
        )?;
        (provider, Some(replay))
    };
    Ok((instructor::from_openai(provider).with_mode(mode), replay))
}

/// OpenRouter's provider routing: only providers that honour every parameter.
fn require_parameters() -> serde_json::Value {
    json!({"provider": {"require_parameters": true}})
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENROUTER_API_KEY"),
        "OpenRouter",
        "OPENROUTER_API_KEY",
    );

    // --- Seed 003 "Simple User Example (Sync)": Mode::TOOLS. instructor for Rust is
    // async only, so the "sync" call is awaited here.
    let (client, _replay) = openrouter(Mode::Tools, vec![r#"{"name": "Ivan", "age": 28}"#]).await?;
    let resp: User = client
        .create(
            Request::new("google/gemini-2.0-flash-lite-001")
                .user("Ivan is 28 years old")
                .extra_body(require_parameters()),
        )
        .await?;
    println!("Simple user (tools): {resp:?}");

    // --- Seed 003 "Simple User Example (Async)": `async fn extract_user`.
    async fn extract_user(client: &Client) -> instructor::Result<User> {
        client
            .create(
                Request::new("google/gemini-2.0-flash-lite-001")
                    .user("Extract: Jason is 25 years old")
                    .extra_body(require_parameters()),
            )
            .await
    }
    let (client, _replay) =
        openrouter(Mode::Tools, vec![r#"{"name": "Jason", "age": 25}"#]).await?;
    let user = extract_user(&client).await?;
    println!("Simple user (async): {user:?}");

    // --- Seed 003 "Nested Object Example (Sync)".
    let (client, _replay) = openrouter(
        Mode::Tools,
        vec![
            r#"{"name": "Jason", "age": 25, "addresses": [{"street": "123 Main St", "city": "New York", "country": "USA"}, {"street": "456 Beach Rd", "city": "Miami", "country": "USA"}]}"#,
        ],
    )
    .await?;
    let user: UserWithAddresses = client
        .create(
            Request::new("anthropic/claude-3.7-sonnet")
                .user(
                    "
            Extract: Jason is 25 years old.
            He lives at 123 Main St, New York, USA
            and has a summer house at 456 Beach Rd, Miami, USA
        ",
                )
                .extra_body(require_parameters()),
        )
        .await?;
    println!("Nested objects: {user:#?}");

    // --- Seed 003 "Structured Outputs (Sync)": Mode::OPENROUTER_STRUCTURED_OUTPUTS; the
    // pattern is part of the schema the provider enforces.
    let (client, _replay) = openrouter(
        Mode::OpenRouterStructuredOutputs,
        vec![r#"{"name":"Jason","age":25,"phone_number":"+1 (212) 456-7890"}"#],
    )
    .await?;
    let user: UserWithPhone = client
        .create(
            Request::new("google/gemini-2.0-flash-001")
                .user(
                    "
            Extract: Jason is 25 years old and his number is 1-212-456-7890
        ",
                )
                .extra_body(require_parameters()),
        )
        .await?;
    println!("Structured outputs: {user:?}");

    // --- Seed 003 "JSON Mode": for models without tool calling. Nothing enforces the
    // pattern on the provider's side, so instructor checks it: offline, the recorded
    // first answer copies the number as written, fails the pattern, and is reasked.
    let (client, _replay) = openrouter(
        Mode::Json,
        vec![
            r#"{"name": "Jason", "age": 25, "phone_number": "1-212-456-7890"}"#,
            r#"{"name": "Jason", "age": 25, "phone_number": "+1 212-456-7890"}"#,
        ],
    )
    .await?;
    client.on(HookEvent::ParseError, |payload| {
        if let instructor::HookPayload::ParseError { error, attempt, .. } = payload {
            println!("  (attempt {attempt} rejected, reasking: {error})");
        }
    });
    let user: UserWithPhone = client
        .create(Request::new("openai/chatgpt-4o-latest").user(
            "
            Extract: Jason is 25 years old and his number is 1-212-456-7890
        ",
        ))
        .await?;
    println!("JSON mode: {user:?}");

    // --- Seed 003 "Streaming": `create_partial` in JSON mode.
    let (client, _replay) = openrouter(Mode::Json, vec![r#"{"name": "Jason", "age": 25}"#]).await?;
    let mut stream = client
        .create_partial::<User>(Request::new("openai/chatgpt-4o-latest").user(
            "
            Extract: Jason is 25 years old and his number is 1-212-456-7890
        ",
        ))
        .await?;
    println!("Streaming partials:");
    while let Some(chunk) = stream.next().await {
        println!("  {:?}", chunk?);
    }
    if let Some(user) = stream.take_final() {
        println!("Final: {user:?}");
    }
    Ok(())
}
