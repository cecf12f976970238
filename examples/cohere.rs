//! The "Cohere" tab of the instructor front page natively: Cohere's own Chat API v2
//! (`POST /v2/chat`), `ExtractUser` out of "Extract Jason is 25 years old." with a
//! forced tool call, then with `Mode::ToolsStrict` (Cohere's `strict_tools`), a
//! validation reask on the way.
//!
//! ```sh
//! cargo run --example cohere --features cohere               # offline: replays recorded answers
//! CO_API_KEY=... cargo run --example cohere --features cohere
//! ```
//!
//! With `CO_API_KEY` set it calls Cohere for real through
//! `from_provider("cohere/command-a-03-2025")` (`CO_API_URL` overrides the address,
//! `COHERE_MODEL` the model). Without it nothing leaves the machine: a local server
//! answers in Cohere's wire format. (Cohere's OpenAI-compatible endpoint works too:
//! see the `providers` example.)

use instructor::prelude::*;
use instructor::providers::Cohere;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ExtractUser {
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

const MODEL: &str = "command-a-03-2025";

/// A `/v2/chat` answer calling the `ExtractUser` tool with `arguments`.
fn tool_call_answer(arguments: &str) -> ResponseTemplate {
    let answer: Value = json!({
        "id": "c0a1", "finish_reason": "TOOL_CALL",
        "message": {"role": "assistant", "tool_plan": "I will extract the user.",
            "tool_calls": [{"id": "ExtractUser_1", "type": "function",
                "function": {"name": "ExtractUser", "arguments": arguments}}]},
        "usage": {"billed_units": {"input_tokens": 61, "output_tokens": 14},
            "tokens": {"input_tokens": 752, "output_tokens": 40}}
    });
    ResponseTemplate::new(200).set_body_json(answer)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = std::env::var("CO_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    let (client, server) = if live {
        let model = std::env::var("COHERE_MODEL").unwrap_or_else(|_| MODEL.to_owned());
        println!("Calling Cohere for real ({model}).\n");
        (instructor::from_provider(&format!("cohere/{model}"))?, None)
    } else {
        let server = MockServer::start().await;
        // The first answer breaks the age's range: the reask gets the second; the
        // strict call gets the third.
        for arguments in [
            r#"{"name": "Jason", "age": 250}"#,
            r#"{"name": "Jason", "age": 25}"#,
            r#"{"name": "Jason", "age": 25}"#,
        ] {
            Mock::given(method("POST"))
                .and(path("/v2/chat"))
                .respond_with(tool_call_answer(arguments))
                .up_to_n_times(1)
                .mount(&server)
                .await;
        }
        println!(
            "CO_API_KEY not set: replaying recorded Cohere answers from a local server at {} \
             (no network, no key).\n",
            server.uri()
        );
        let provider = Cohere::new("offline-key").base_url(server.uri());
        (
            instructor::from_cohere(provider).with_model(MODEL),
            Some(server),
        )
    };

    // --- The tab: a forced tool call (`tool_choice: "REQUIRED"`).
    let (user, summary) = client
        .create_with_completion::<ExtractUser>(
            Request::default()
                .user("Extract Jason is 25 years old.")
                .max_retries(2),
        )
        .await?;
    println!("create: {user:?} (attempts: {})", summary.attempts);

    // --- Cohere's structured outputs for tools: `strict_tools: true`.
    let strict: ExtractUser = client
        .clone()
        .try_with_mode(Mode::ToolsStrict)?
        .create(Request::default().user("Extract Jason is 25 years old."))
        .await?;
    println!("ToolsStrict: {strict:?}");

    if let Some(server) = server {
        let bodies: Vec<Value> = server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| serde_json::from_slice(&r.body).ok())
            .collect();
        println!(
            "requests: {} (a reask after `age` 250 failed its range); the last sent strict_tools: {}",
            bodies.len(),
            bodies.last().is_some_and(|b| b["strict_tools"] == true)
        );
        assert_eq!((user.age, summary.attempts, bodies.len()), (25, 2, 3));
        assert_eq!(bodies[2]["strict_tools"], true);
    }
    Ok(())
}
