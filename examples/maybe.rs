//! `Maybe<T>`: either the extracted value or the model's short explanation of why there
//! is none, so the model is never pushed into inventing a value.
//!
//! ```sh
//! cargo run --example maybe                        # offline: replays recorded answers
//! OPENAI_API_KEY=sk-... cargo run --example maybe  # the real OpenAI API
//! ```

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserDetail {
    age: u32,
    name: String,
    role: Option<String>,
}

async fn get_user_detail(client: &Client, text: &str) -> instructor::Result<Maybe<UserDetail>> {
    client
        .create(Request::new("gpt-4o-mini").user(format!("Get user details for {text}")))
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
        r#"{"result": {"age": 25, "name": "Jason", "role": null}, "error": false, "message": null}"#,
        r#"{"result": null, "error": true, "message": "The text does not mention the user's age."}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider);

    for text in ["Jason is 25 years old", "Jason is a man"] {
        let user = get_user_detail(&client, text).await?;
        println!("{text:?} -> {user:?}");
        match user.into_result() {
            Ok(detail) => println!("  found: {} ({})", detail.name, detail.age),
            Err(message) => println!("  nothing extracted: {message}"),
        }
    }
    Ok(())
}
