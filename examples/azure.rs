//! Azure OpenAI with instructor: authentication, basic and async extraction, nested
//! models, partial streaming, iterables, and every instructor mode (the Rust twin of
//! the "Structured outputs with Azure OpenAI" guide, seed 004).
//!
//! ```sh
//! cargo run --example azure            # offline: replays recorded answers locally
//! AZURE_OPENAI_API_KEY=... AZURE_OPENAI_ENDPOINT=https://<resource>.openai.azure.com \
//!     cargo run --example azure        # the real Azure OpenAI service
//! ```
//!
//! The request's model is the deployment name: `gpt-4o-mini` as in the guide, or
//! `AZURE_OPENAI_DEPLOYMENT` when set. The API versions are the guide's.

#[path = "support/replay.rs"]
mod replay;

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::AzureOpenAI;
use replay::Replay;
use serde::{Deserialize, Serialize};

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

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserWithAddress {
    name: String,
    age: u32,
    addresses: Vec<Address>,
}

/// The partial-streaming example's `User`.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(name = "User")]
struct UserWithBio {
    name: String,
    age: u32,
    bio: String,
}

/// Seed 004 "Authentication": `AzureOpenAI(api_key, api_version, azure_endpoint)`
/// wrapped by `from_openai`. Offline, the endpoint is a replay server serving
/// `answers` (returned to be kept alive), reached through the same deployment URLs.
async fn azure(
    api_version: &str,
    answers: Vec<&'static str>,
) -> instructor::Result<(Client, Option<Replay>)> {
    let (azure, replay) = if live() {
        let endpoint = std::env::var("AZURE_OPENAI_ENDPOINT").unwrap_or_default();
        let key = std::env::var("AZURE_OPENAI_API_KEY").unwrap_or_default();
        (AzureOpenAI::new(endpoint, key, api_version), None)
    } else {
        let replay = Replay::start(answers).await;
        (
            AzureOpenAI::new(replay.uri(), "offline", api_version),
            Some(replay),
        )
    };
    Ok((instructor::from_openai(azure), replay))
}

fn live() -> bool {
    replay::has_env("AZURE_OPENAI_API_KEY") && replay::has_env("AZURE_OPENAI_ENDPOINT")
}

/// The deployment name (the guide's `model="gpt-4o-mini"  # Your deployment name`).
fn deployment() -> String {
    std::env::var("AZURE_OPENAI_DEPLOYMENT")
        .ok()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| "gpt-4o-mini".to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        live(),
        "Azure OpenAI",
        "AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT",
    );

    // --- Seed 004 "Basic Usage".
    let (client, _replay) = azure("2024-02-01", vec![r#"{"name":"John","age":30}"#]).await?;
    let user: User = client
        .create(Request::new(deployment()).user("John is 30 years old"))
        .await?;
    println!("Basic usage: {user:?}");

    // --- Seed 004 "Async Implementation": `get_user_async` (every call is async in
    // instructor for Rust).
    async fn get_user_async(client: &Client) -> instructor::Result<User> {
        client
            .create(Request::new(deployment()).user("John is 30 years old"))
            .await
    }
    let (client, _replay) =
        azure("2024-02-15-preview", vec![r#"{"name":"John","age":30}"#]).await?;
    println!("Async: {:?}", get_user_async(&client).await?);

    // --- Seed 004 "Nested Models".
    let (client, _replay) = azure(
        "2024-02-01",
        vec![
            r#"{"name":"John","age":30,"addresses":[{"street":"123 Main St","city":"New York","country":"USA"},{"street":"456 High St","city":"London","country":"UK"}]}"#,
        ],
    )
    .await?;
    let resp: UserWithAddress = client
        .create(Request::new(deployment()).user(
            "
        John is 30 years old and has two addresses:
        1. 123 Main St, New York, USA
        2. 456 High St, London, UK
        ",
        ))
        .await?;
    println!("Nested models: {resp:#?}");

    // --- Seed 004 "Streaming Support" / "Partials": `create_partial`.
    let (client, _replay) = azure(
        "2024-02-01",
        vec![
            r#"{"name": "Jason", "age": 25, "bio": "A tech enthusiast who loves coding, gaming, and exploring new technologies"}"#,
        ],
    )
    .await?;
    let mut user = client
        .create_partial::<UserWithBio>(
            Request::new(deployment()).user("Create a user profile for Jason, age 25"),
        )
        .await?;
    println!("Partials:");
    while let Some(user_partial) = user.next().await {
        println!("  {:?}", user_partial?);
    }

    // --- Seed 004 "Iterable Responses": `create_iterable`.
    let (client, _replay) = azure(
        "2024-02-01",
        vec![
            r#"{"tasks": [{"name": "Jason", "age": 25}, {"name": "Sarah", "age": 30}, {"name": "Mike", "age": 28}]}"#,
        ],
    )
    .await?;
    let mut users = client
        .create_iterable::<User>(Request::new(deployment()).user(
            "
            Extract users:
            1. Jason is 25 years old
            2. Sarah is 30 years old
            3. Mike is 28 years old
        ",
        ))
        .await?;
    println!("Iterable:");
    while let Some(user) = users.next().await {
        println!("  {:?}", user?);
    }

    // --- Seed 004 "Instructor Modes": the same extraction in each of the seven modes
    // the guide lists (PARALLEL_TOOLS returns a list, through `create_parallel`).
    println!("Modes:");
    let modes = [
        Mode::Tools,
        Mode::Json,
        Mode::Functions,
        Mode::ParallelTools,
        Mode::MdJson,
        Mode::ToolsStrict,
        Mode::JsonO1,
    ];
    for mode in modes {
        let answer = if mode == Mode::ParallelTools {
            r#"[{"name":"John","age":30},{"name":"Mary","age":27}]"#
        } else {
            r#"{"name":"John","age":30}"#
        };
        let (client, _replay) = azure("2024-02-01", vec![answer]).await?;
        let client = client.try_with_mode(mode)?;
        if mode == Mode::ParallelTools {
            let request =
                Request::new(deployment()).user("John is 30 years old; Mary is 27 years old");
            let users: Vec<User> = client.create_parallel(request).await?;
            println!("  {:<18} {users:?}", mode.name());
        } else {
            let user: User = client
                .create(Request::new(deployment()).user("John is 30 years old"))
                .await?;
            println!("  {:<18} {user:?}", mode.name());
        }
    }
    Ok(())
}
