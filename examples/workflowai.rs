//! WorkflowAI with instructor: user info extraction, model switching, async, templated
//! input variables, and deployments (the Rust twin of the "Structured outputs with
//! WorkflowAI" guide, seeds 000 and 001).
//!
//! ```sh
//! cargo run --example workflowai          # offline: replays recorded answers locally
//! WORKFLOWAI_API_KEY=wai-... WORKFLOWAI_API_URL=https://run.workflowai.com/v1 \
//!     cargo run --example workflowai      # the real WorkflowAI API
//! ```
//!
//! `WORKFLOWAI_API_URL` is the variable the guide exports; when it is unset the
//! preset's URL (or `WORKFLOWAI_BASE_URL`) is used. Streaming is not covered: the
//! guide says WorkflowAI's endpoint does not stream yet.

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use instructor::providers::OpenAI;
use replay::Replay;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserInfo {
    name: String,
    age: u32,
}

/// Python's `Literal["personal", "work", "unsure"]`.
#[derive(Instruct, Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum EmailKind {
    Personal,
    Work,
    Unsure,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct EmailAddressClassificationOutput {
    kind: EmailKind,
}

/// A WorkflowAI client as in the guide (`from_openai` over WorkflowAI's URL and key,
/// mode `OPENROUTER_STRUCTURED_OUTPUTS`); offline, one over a replay server serving
/// `answers`, returned to be kept alive.
async fn workflowai(answers: Vec<&'static str>) -> instructor::Result<(Client, Option<Replay>)> {
    let (provider, replay) = if replay::has_env("WORKFLOWAI_API_KEY") {
        let provider = match std::env::var("WORKFLOWAI_API_URL") {
            Ok(url) if !url.trim().is_empty() => OpenAI::for_service(
                "workflowai",
                std::env::var("WORKFLOWAI_API_KEY").ok(),
                Some(url),
            )?,
            _ => OpenAI::workflowai()?,
        };
        (provider, None)
    } else {
        let replay = Replay::start(answers).await;
        let provider = OpenAI::for_service(
            "workflowai",
            Some("offline".into()),
            Some(replay.base_url()),
        )?;
        (provider, Some(replay))
    };
    let client = instructor::from_openai(provider).with_mode(Mode::OpenRouterStructuredOutputs);
    Ok((client, replay))
}

/// Seed 000 "Simple User Info Extraction Example": `extract_user_info`.
async fn extract_user_info(user_message: &str) -> instructor::Result<UserInfo> {
    let (client, _replay) = workflowai(vec![r#"{"name":"John Doe","age":32}"#]).await?;
    // Recommended: the `<agent_name>/<model_name>` format.
    let request = Request::new("user-info-extraction-agent/gpt-4o-mini-latest").user(user_message);
    client.create::<UserInfo>(request).await
}

/// Seed 000/001 "Access over 100+ models": the same agent, now on Claude 3.7 Sonnet.
async fn extract_user_info_claude(user_message: &str) -> instructor::Result<UserInfo> {
    let (client, _replay) = workflowai(vec![r#"{"name": "John Black", "age": 33}"#]).await?;
    let request =
        Request::new("user-info-extraction-agent/claude-3-7-sonnet-latest").user(user_message);
    client.create::<UserInfo>(request).await
}

/// Seed 000/001 "Async Support": `extract_user_info_async`. Every call in instructor
/// for Rust is async; this one is awaited like the Python coroutine.
async fn extract_user_info_async(user_message: &str) -> instructor::Result<UserInfo> {
    let (client, _replay) = workflowai(vec![r#"{"name":"John Black","age":33}"#]).await?;
    client
        .create::<UserInfo>(
            Request::new("user-info-extraction-agent/claude-3-7-sonnet-latest").user(user_message),
        )
        .await
}

/// Seed 000/001 "Templating with Input Variables": the `{{email_address}}` template is
/// rendered by WorkflowAI from `extra_body.input` (no request context is set, so
/// instructor sends the template untouched).
async fn classify_email_address(
    email_address: &str,
) -> instructor::Result<EmailAddressClassificationOutput> {
    let (client, _replay) = workflowai(vec![r#"{"kind":"work"}"#]).await?;
    let instructions = "You must classify the email address as:
    - 'personal' (gmail, yahoo, etc.),
    - 'work' (company email address)
    - or 'unsure'.
    The email address is:
    {{email_address}}";
    let request = Request::new("email-classifier-agent/gpt-4o-mini")
        .user(instructions)
        .extra_body(json!({"input": {"email_address": email_address}}));
    client.create(request).await
}

/// Seed 000/001 "Using Deployments for Server-Managed Instructions": no messages; the
/// instructions, model and temperature come from the deployment.
async fn classify_email_address_deployment(
    email_address: &str,
) -> instructor::Result<EmailAddressClassificationOutput> {
    let (client, _replay) = workflowai(vec![r#"{"kind":"personal"}"#]).await?;
    let request = Request::new("email-classifier-agent/#1/production")
        .extra_body(json!({"input": {"email_address": email_address}}));
    client.create(request).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("WORKFLOWAI_API_KEY"),
        "WorkflowAI",
        "WORKFLOWAI_API_KEY",
    );

    let user_info = extract_user_info("John Doe is 32 years old.").await?;
    println!("Basic example result: {user_info:?}");

    let user_info = extract_user_info_claude("John Black is 33 years old.").await?;
    println!("Claude 3.7 Sonnet result: {user_info:?}");

    let user_info = extract_user_info_async("John Black is 33 years old.").await?;
    println!("Async example result: {user_info:?}");

    let result = classify_email_address("steve@apple.com").await?;
    println!("Classification: {:?}", result.kind);

    let result = classify_email_address_deployment("john.doe@gmail.com").await?;
    println!("Deployment classification: {:?}", result.kind);
    Ok(())
}
