//! Hooks: log the exact request body before it is sent and any error of the provider
//! call (the Rust twin of "Using Hooks" on the instructor front page, seed 002).
//!
//! ```sh
//! cargo run --example hooks                        # offline: replays a recorded answer
//! OPENAI_API_KEY=sk-... cargo run --example hooks  # the real OpenAI API
//! ```
//!
//! Python's `"completion:kwargs"` and `"completion:error"` are
//! `HookEvent::CompletionKwargs` and `HookEvent::CompletionError`; a hook gets one
//! `HookPayload` (the JSON body, the error) instead of Python's `**kwargs`.

#[path = "support/replay.rs"]
mod replay;

use std::time::Duration;

use instructor::HookPayload;
use instructor::prelude::*;
use instructor::providers::{OpenAI, RetryPolicy};
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserInfo {
    name: String,
    age: u32,
}

/// `def log_kwargs(**kwargs)`: the request body, exactly as it is sent.
fn log_kwargs(payload: &HookPayload<'_>) {
    if let HookPayload::CompletionKwargs { body, attempt } = payload {
        let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
        println!("Function called with kwargs (attempt {attempt}): {pretty}");
    }
}

/// `def log_exception(exception)`.
fn log_exception(payload: &HookPayload<'_>) {
    if let HookPayload::CompletionError { error, .. } = payload {
        println!("An exception occurred: {error}");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENAI_API_KEY"),
        "OpenAI",
        "OPENAI_API_KEY",
    );

    // --- Seed 002 "Using Hooks".
    let (provider, _replay) = replay::openai_or_replay(vec![r#"{"name":"John","age":20}"#]).await?;
    let client = instructor::from_openai(provider);
    client.on(HookEvent::CompletionKwargs, log_kwargs);
    client.on(HookEvent::CompletionError, log_exception);

    let user_info: UserInfo = client
        .create(Request::new("gpt-4o-mini").user("Extract the user name: 'John is 20 years old'"))
        .await?;
    println!("Name: {}, Age: {}", user_info.name, user_info.age);

    // Not in the seed: the error hook firing. The same hooks on a client whose server
    // cannot be reached (nothing listens on port 9; transport retries off).
    let unreachable = OpenAI::new("sk-unused")
        .base_url("http://127.0.0.1:9/v1")
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::none());
    let failing = instructor::from_openai(unreachable);
    failing.on(HookEvent::CompletionError, log_exception);
    let result = failing
        .create::<UserInfo>(Request::new("gpt-4o-mini").user("John is 20 years old"))
        .await;
    println!("The call returned: {:?}", result.map_err(|e| e.to_string()));
    Ok(())
}
