//! The "Vertex AI" tab of the instructor front page (seed 002) natively: Gemini on
//! Vertex AI (`generateContent` on the regional endpoint) with Google Application
//! Default Credentials, `ExtractUser` out of "Extract Jason is 25 years old.", then a
//! stream of partial users, with one access token for every call.
//!
//! ```sh
//! cargo run --example vertexai --features vertexai          # offline: replays recorded answers
//! GOOGLE_CLOUD_PROJECT=my-project cargo run --example vertexai --features vertexai
//! ```
//!
//! With `GOOGLE_CLOUD_PROJECT` set it calls Vertex AI for real through
//! `from_provider("vertexai/gemini-2.5-flash")`: credentials from
//! `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's `application-default login`, or the
//! metadata server; `GOOGLE_CLOUD_LOCATION` (default `us-central1`). A `claude-*`
//! model (`vertexai/claude-sonnet-4@20250514`) goes to Anthropic's models on Vertex.
//!
//! Without it nothing leaves the machine: a local server replays recorded answers in
//! Vertex's (Gemini's) wire format and plays Google's token endpoint for made-up
//! gcloud user credentials, so the refresh-token exchange runs too.

#[path = "support/replay_gemini.rs"]
mod replay_gemini;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{GoogleCredentials, VertexAI};
use serde::{Deserialize, Serialize};
use wiremock::{Mock, ResponseTemplate};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ExtractUser {
    name: String,
    age: u32,
}

const MODEL: &str = "gemini-2.5-flash";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = std::env::var("GOOGLE_CLOUD_PROJECT").is_ok_and(|p| !p.trim().is_empty());
    let token_requests = Arc::new(AtomicUsize::new(0));
    let (client, _replay) = if live {
        println!("Calling Vertex AI for real (GOOGLE_CLOUD_PROJECT set).\n");
        let model = std::env::var("VERTEX_MODEL").unwrap_or_else(|_| MODEL.to_owned());
        (
            instructor::from_provider(&format!("vertexai/{model}"))?,
            None,
        )
    } else {
        let replay = replay_gemini::GeminiReplay::start(vec![
            r#"{"name": "Jason", "age": 25}"#,
            r#"{"name": "John Doe", "age": 30}"#,
        ])
        .await;
        // Google's token endpoint, on the same local server (ahead of the replay).
        let counter = token_requests.clone();
        Mock::given(wiremock::matchers::path("/token"))
            .respond_with(move |_: &wiremock::Request| {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "access_token": format!("ya29.offline-{n}"), "expires_in": 3599,
                    "token_type": "Bearer"}))
            })
            .with_priority(1)
            .mount(&replay.server)
            .await;
        println!(
            "GOOGLE_CLOUD_PROJECT not set: replaying recorded Vertex AI answers from a local \
             server at {} (no network, no credentials).\n",
            replay.server.uri()
        );
        // What `gcloud auth application-default login` writes, made up, with the
        // local token endpoint.
        let credentials = GoogleCredentials::from_json(
            &serde_json::json!({"type": "authorized_user", "client_id": "offline.apps.googleusercontent.com",
                "client_secret": "offline-secret", "refresh_token": "offline-refresh-token",
                "quota_project_id": "offline-project",
                "token_uri": format!("{}/token", replay.server.uri())})
            .to_string(),
        )?;
        let provider = VertexAI::new(credentials).base_url(replay.server.uri());
        println!("provider: {provider:?}\n");
        (instructor::from_vertexai(provider), Some(replay))
    };
    let client = client.with_model(MODEL);

    // --- The seed's "Vertex AI" tab: VERTEXAI_TOOLS is a forced function call.
    let resp: ExtractUser = client
        .create(Request::default().user("Extract Jason is 25 years old."))
        .await?;
    assert_eq!(resp.name, "Jason");
    assert_eq!(resp.age, 25);
    println!("create: {resp:?}");

    // --- Streaming partial objects (`streamGenerateContent?alt=sse`), JSON mode.
    let mut user_stream = client
        .clone()
        .try_with_mode(Mode::GeminiJson)?
        .create_partial::<ExtractUser>(Request::default().user("Create a user"))
        .await?;
    println!("\ncreate_partial:");
    while let Some(user) = user_stream.next().await {
        println!("  {:?}", user?);
    }
    println!("  final, validated: {:?}", user_stream.take_final());

    if !live {
        let n = token_requests.load(Ordering::SeqCst);
        println!("\naccess tokens requested for both calls: {n}");
        assert_eq!(n, 1, "the token is cached and shared");
    }
    Ok(())
}
