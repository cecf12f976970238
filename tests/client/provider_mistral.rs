//! The `mistral` preset over real HTTP on loopback, where Mistral differs from
//! OpenAI: the exact request of every mode (snapshot; `tool_choice: "any"`, strict
//! `json_schema`), the modes it refuses, a typed answer, a reask, a streamed tool
//! call with no `stream_options`, Mistral's error envelope, and `from_provider`
//! reading `MISTRAL_API_KEY` and `MISTRAL_BASE_URL`.

use std::time::Duration;

use crate::common::sse::{Script, chat_tool_stream, pieces, stream_server};
use crate::common::{bodies, serve, text_answer, tool_answer, tool_answer_many};
use instructor::prelude::*;
use instructor::providers::{OpenAI, RetryPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

const MODEL: &str = "mistral-large-latest";
const ROUTE: &str = "/v1/chat/completions";
const KEY: &str = "mistral-test-secret";

/// A person mentioned in the text.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    /// Full name.
    #[instruct(min_length = 2)]
    name: String,
    age: u32,
}

const GOOD: &str = r#"{"name":"Jason","age":25}"#;
const BAD: &str = r#"{"name":"J","age":25}"#;

fn provider(base: &str) -> OpenAI {
    OpenAI::for_service("mistral", Some(KEY.into()), Some(base.to_owned()))
        .unwrap()
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(100),
        ))
}

fn client(server: &MockServer) -> Client {
    instructor::from_openai(provider(&format!("{}/v1", server.uri()))).with_model(MODEL)
}

fn answer(mode: Mode, json: &str) -> Value {
    match mode {
        Mode::Tools => tool_answer("User", json, (10, 5)),
        Mode::ParallelTools => tool_answer_many(&[("User", json), ("User", json)], (10, 5)),
        Mode::MdJson => text_answer(&format!("```json\n{json}\n```"), (10, 5)),
        _ => text_answer(json, (10, 5)),
    }
}

async fn serve_answers(answers: Vec<Value>) -> MockServer {
    let answers = answers
        .into_iter()
        .map(|a| ResponseTemplate::new(200).set_body_json(a))
        .collect();
    serve(ROUTE, answers).await
}

fn request() -> Request {
    Request::new(MODEL)
        .system("Extract the user.")
        .user("Jason is 25 years old.")
}

const MODES: [Mode; 5] = [
    Mode::Tools,
    Mode::ParallelTools,
    Mode::Json,
    Mode::JsonSchema,
    Mode::MdJson,
];

#[tokio::test]
async fn every_mode_sends_mistrals_request_shape_and_returns_a_typed_value() {
    for mode in MODES {
        let server = serve_answers(vec![answer(mode, GOOD)]).await;
        let client = client(&server).try_with_mode(mode).unwrap();
        let users = if mode == Mode::ParallelTools {
            client.create_parallel::<User>(request()).await
        } else {
            client.create::<User>(request()).await.map(|u| vec![u])
        }
        .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(users[0].name, "Jason", "{mode}");
        let received = server.received_requests().await.unwrap();
        let auth = received[0].headers.get("authorization").unwrap();
        assert_eq!(auth.to_str().unwrap(), format!("Bearer {KEY}"));
        let body: Value = serde_json::from_slice(&received[0].body).unwrap();
        match mode {
            Mode::Tools | Mode::ParallelTools => assert_eq!(body["tool_choice"], "any", "{mode}"),
            Mode::JsonSchema => {
                let format = &body["response_format"];
                assert_eq!(format["type"], "json_schema");
                assert_eq!(format["json_schema"]["strict"], true);
                assert_eq!(
                    format["json_schema"]["schema"]["additionalProperties"],
                    false
                );
            }
            _ => assert!(body.get("tool_choice").is_none(), "{mode}"),
        }
        insta::assert_json_snapshot!(format!("mistral_request_{}", mode.name()), body);
    }
}

#[tokio::test]
async fn modes_mistral_does_not_document_are_refused() {
    let server = serve_answers(vec![]).await;
    for mode in [
        Mode::ToolsStrict,
        Mode::OpenRouterStructuredOutputs,
        Mode::Functions,
    ] {
        assert!(client(&server).try_with_mode(mode).is_err(), "{mode}");
    }
}

#[tokio::test]
async fn extra_body_still_wins_over_the_mistral_shape() {
    let server = serve_answers(vec![answer(Mode::Tools, GOOD)]).await;
    let _: User = client(&server)
        .create(request().extra_body(json!({"tool_choice": "required"})))
        .await
        .unwrap();
    assert_eq!(bodies(&server).await[0]["tool_choice"], "required");
}

#[tokio::test]
async fn a_failed_answer_is_reasked_with_a_tool_message() {
    let server = serve_answers(vec![answer(Mode::Tools, BAD), answer(Mode::Tools, GOOD)]).await;
    let user: User = client(&server)
        .create(request().max_retries(1))
        .await
        .unwrap();
    assert_eq!(user.name, "Jason");
    let second = &bodies(&server).await[1];
    let turns = second["messages"].as_array().unwrap();
    assert_eq!(turns[2]["role"], "assistant");
    assert_eq!(turns[2]["tool_calls"][0]["id"], "call_0");
    assert_eq!(turns[3]["role"], "tool");
    assert_eq!(turns[3]["tool_call_id"], "call_0");
    assert_eq!(second["tool_choice"], "any");
}

#[tokio::test]
async fn a_stream_forces_the_tool_with_any_and_sends_no_stream_options() {
    let args = r#"{"name": "Zoë", "age": 31}"#;
    let (url, mut received) = stream_server(vec![Script {
        events: chat_tool_stream("User", &pieces(args, 3), (7, 4)),
        ..Script::default()
    }])
    .await;
    let stream = instructor::from_openai(provider(&url))
        .with_model(MODEL)
        .create_partial::<User>(request())
        .await
        .unwrap();
    let user = stream.into_final().await.unwrap();
    assert_eq!((user.name.as_str(), user.age), ("Zoë", 31));
    let body = received.recv().await.unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["tool_choice"], "any");
    assert!(body.get("stream_options").is_none(), "Mistral rejects it");
}

#[tokio::test]
async fn mistrals_error_envelope_is_a_typed_http_error() {
    let server = serve(
        ROUTE,
        vec![ResponseTemplate::new(400).set_body_json(json!({
            "object": "error", "message": "Invalid model: nope", "type": "invalid_model",
            "param": null, "code": "1500"}))],
    )
    .await;
    let error = client(&server).create::<User>(request()).await.unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(http.status, 400);
    assert_eq!(http.message, "Invalid model: nope");
    assert_eq!(http.kind.as_deref(), Some("invalid_model"));
    assert!(!format!("{error:?}").contains(KEY));
}

/// Set for the child process of [`from_provider_reads_mistral_variables`].
const CHILD: &str = "INSTRUCTOR_TEST_MISTRAL_CHILD";

#[tokio::test]
async fn from_provider_reads_mistral_variables() {
    // The variables are set for a child run of this binary, never in this process.
    let server = serve_answers(vec![answer(Mode::Tools, GOOD)]).await;
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "provider_mistral::from_provider_child",
            "--ignored",
        ])
        .env(CHILD, "1")
        .env("MISTRAL_API_KEY", KEY)
        .env("MISTRAL_BASE_URL", format!("{}/v1", server.uri()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let body = &bodies(&server).await[0];
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["tool_choice"], "any");
}

/// Run by [`from_provider_reads_mistral_variables`] with the variables set.
#[tokio::test]
#[ignore = "run as a child process with MISTRAL_API_KEY and MISTRAL_BASE_URL set"]
async fn from_provider_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let client = instructor::from_provider(&format!("mistral/{MODEL}")).unwrap();
    assert_eq!(client.provider().name(), "mistral");
    let user: User = client.create(request()).await.unwrap();
    assert_eq!(user.name, "Jason");
}
