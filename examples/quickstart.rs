//! The quickstart: extract a typed, validated `User` from text.
//!
//! ```sh
//! cargo run --example quickstart                          # offline, local replay server
//! OPENAI_API_KEY=sk-... cargo run --example quickstart    # the real OpenAI API
//! ```
//!
//! It runs the whole pipeline over real HTTP: a `create` whose first answer breaks a
//! constraint (age 250), so you see the reask (the validation error goes back to the
//! model, which corrects it); the one-line `extract`; a streamed partial (typed
//! snapshots as the JSON arrives); and an iterable (each item as it completes).
//! Offline, a local server replays recorded model answers in OpenAI's wire format
//! (SSE included).

#[path = "support/replay.rs"]
mod replay;

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::OpenAI;
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _replay;
    let provider = if std::env::var("OPENAI_API_KEY").is_ok_and(|k| !k.is_empty()) {
        println!("Using the OpenAI API (OPENAI_API_KEY is set).");
        OpenAI::from_env()?
    } else {
        let replay = replay::Replay::start(vec![
            r#"{"name": "Jason", "age": 250, "phone_number": "555-123-4567"}"#,
            r#"{"name": "Jason", "age": 25, "phone_number": "555-123-4567"}"#,
            r#"{"name": "Ivan", "age": 28, "phone_number": null}"#,
            r#"{"name": "Sarah Connor", "age": 29, "phone_number": "(213) 555-0199"}"#,
            r#"{"tasks": [{"name": "Ada", "age": 36, "phone_number": null}, {"name": "Alan", "age": 41, "phone_number": "555-867-5309"}]}"#,
        ])
        .await;
        println!(
            "No OPENAI_API_KEY: replaying recorded model answers from a local server at {} \
             (no network). Run `OPENAI_API_KEY=sk-... cargo run --example quickstart` to use \
             the real API.",
            replay.base_url()
        );
        let provider = OpenAI::new("offline").base_url(replay.base_url());
        _replay = replay;
        provider
    };
    let client = instructor::from_openai(provider)
        .with_mode(Mode::Tools)
        .with_model("gpt-4o-mini");

    client.on(HookEvent::ParseError, |payload| {
        if let instructor::HookPayload::ParseError { error, attempt, .. } = payload {
            println!("\nAttempt {attempt} was invalid; reasking with:\n{error}");
        }
    });

    let request = Request::new("gpt-4o-mini")
        .system("Extract the user from the text.")
        .user("Jason is 25 years old; call him at 555-123-4567.")
        .max_retries(2);
    let (user, completion) = client.create_with_completion::<User>(request).await?;
    println!("\n{user:#?}");
    println!(
        "attempts: {}, tokens over all attempts: {}",
        completion.attempts,
        completion.usage().total_tokens
    );

    let again = User::extract(&client, "Ivan is 28.").await?;
    println!("\nThe one-liner: {again:?}");

    println!("\nStreaming a partial User (each snapshot is typed; complete fields are final):");
    let mut partials = client
        .create_partial::<User>(
            Request::new("gpt-4o-mini").user("Sarah Connor, 29, (213) 555-0199."),
        )
        .await?;
    while let Some(partial) = partials.next().await {
        println!("  {:?}", partial?);
    }
    println!("final: {:?}", partials.take_final());

    println!("\nStreaming an iterable (each User as soon as its closing brace arrives):");
    let mut users = client
        .create_iterable::<User>(
            Request::new("gpt-4o-mini").user("Ada is 36. Alan is 41, call 555-867-5309."),
        )
        .await?;
    while let Some(user) = users.next().await {
        println!("  {:?}", user?);
    }
    Ok(())
}
