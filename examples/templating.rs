//! Templating: `{{ data }}` in a message is rendered (Jinja syntax, by minijinja) from
//! the request's `context` before sending (the Rust twin of "Templating" on the
//! instructor front page, seed 002).
//!
//! ```sh
//! cargo run --example templating                        # offline: replays a recorded answer
//! OPENAI_API_KEY=sk-... cargo run --example templating  # the real OpenAI API
//! ```

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

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
    let (provider, _replay) =
        replay::openai_or_replay(vec![r#"{"name": "John Doe", "age": 30}"#]).await?;
    let client = instructor::from_openai(provider);

    // --- Seed 002 "Templating": `context={"data": ...}`.
    let request = Request::new("gpt-4o-mini")
        .user(
            "Extract the information from the
            following text: {{ data }}",
        )
        .context(json!({"data": "John Doe is thirty years old"}));

    // What will be sent: the template rendered.
    let prepared = client.prepare::<User>(&request)?;
    println!(
        "Rendered message: {:?}",
        prepared.messages[0].text_content()
    );

    let response: User = client.create(request).await?;
    println!("{response:?}");

    // Not in the seed: a variable missing from the context is an error, and nothing
    // is sent (Python renders it as an empty string).
    let missing = Request::new("gpt-4o-mini")
        .user("Extract: {{ text }}")
        .context(json!({"data": "John Doe is thirty years old"}));
    match client.create::<User>(missing).await {
        Err(error) => println!("Undefined variable: {error}"),
        Ok(user) => println!("Unexpectedly rendered: {user:?}"),
    }
    Ok(())
}
