//! The quickstart: extract a typed, validated `User` from text.
//!
//! ```sh
//! cargo run --example quickstart                          # offline, local replay server
//! OPENAI_API_KEY=sk-... cargo run --example quickstart    # the real OpenAI API
//! ```
//!
//! Offline, the replay server's first answer breaks a constraint (age 250), so you
//! see the reask: the validation error goes back to the model, which corrects it.

#[path = "support/replay.rs"]
mod replay;

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
        ])
        .await;
        println!(
            "No OPENAI_API_KEY: using a local replay server at {}.",
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
    Ok(())
}
