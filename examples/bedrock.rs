//! AWS Bedrock natively (the Converse API, SigV4-signed): `ExtractUser` out of
//! "Extract Jason is 25 years old.", with a validation reask.
//!
//! ```sh
//! cargo run --example bedrock --features bedrock       # offline: replays recorded answers
//! AWS_PROFILE=dev AWS_REGION=us-east-1 cargo run --example bedrock --features bedrock
//! ```
//!
//! With AWS credentials in the environment (`AWS_ACCESS_KEY_ID`, or `AWS_PROFILE`) it
//! calls Bedrock for real through
//! `from_provider("bedrock/anthropic.claude-3-5-haiku-20241022-v1:0")` (override with
//! `BEDROCK_MODEL`). Without them nothing leaves the machine: a local server answers
//! in Converse's wire format, with made-up keys signing each request.

use instructor::prelude::*;
use instructor::providers::{AwsCredentials, Bedrock};
use serde::{Deserialize, Serialize};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ExtractUser {
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

/// A Converse answer calling the `ExtractUser` tool with `input`.
fn converse_answer(input: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "tooluse_1", "name": "ExtractUser", "input": input}}]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 412, "outputTokens": 24, "totalTokens": 436}
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]
    .iter()
    .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()));
    let (client, server) = if live {
        let model = std::env::var("BEDROCK_MODEL").unwrap_or_else(|_| MODEL.to_owned());
        println!("Calling Bedrock for real ({model}).\n");
        (
            instructor::from_provider(&format!("bedrock/{model}"))?,
            None,
        )
    } else {
        let server = MockServer::start().await;
        // The first answer breaks the age's range: the reask gets the second.
        for input in [
            serde_json::json!({"name": "Jason", "age": 250}),
            serde_json::json!({"name": "Jason", "age": 25}),
        ] {
            Mock::given(method("POST"))
                .and(path_regex(r"^/model/[^/]+/converse$"))
                .respond_with(converse_answer(input))
                .up_to_n_times(1)
                .mount(&server)
                .await;
        }
        println!(
            "No AWS credentials set: replaying recorded Converse answers from a local server \
             at {} (no network).\n",
            server.uri()
        );
        let credentials = AwsCredentials::new("AKIDEXAMPLE", "offline-secret-key");
        let provider = Bedrock::new("us-east-1", credentials).endpoint(server.uri());
        println!("provider: {provider:?}\n");
        (
            instructor::from_bedrock(provider).with_model(MODEL),
            Some(server),
        )
    };

    let (user, summary) = client
        .create_with_completion::<ExtractUser>(
            Request::default()
                .user("Extract Jason is 25 years old.")
                .max_retries(2),
        )
        .await?;
    println!("create: {user:?}");
    println!(
        "attempts: {}, tokens: {}",
        summary.attempts, summary.total_usage.total_tokens
    );
    if let Some(server) = server {
        let requests = server.received_requests().await.unwrap_or_default();
        let signed = requests.iter().all(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
        });
        println!(
            "requests: {} (a reask after `age` 250 failed its range), each SigV4-signed: {signed}",
            requests.len()
        );
        assert_eq!((user.age, summary.attempts, requests.len()), (25, 2, 2));
        assert!(signed);
    }
    Ok(())
}
