//! Cohere's Chat API v2 over real HTTP on loopback: the exact request body of every
//! mode (snapshot) and its auth header, typed results, reasks in Cohere's shapes
//! (`tool_calls` echoed with the plan, then `tool` messages), usage from `tokens`
//! summed over attempts, truncation, and typed HTTP errors (Cohere's flat
//! `{"message"}` envelope; 429 retried, 400 not). Streaming is in
//! `provider_cohere_stream.rs`.
#![cfg(feature = "cohere")]

use crate::common::person::{BAD, GOOD, IVAN, User, user};
use std::time::Duration;

use crate::common::{bodies, serve};
use instructor::prelude::*;
use instructor::providers::{Cohere, RetryPolicy};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

const MODEL: &str = "command-a-03-2025";
const ROUTE: &str = "/v2/chat";
const KEY: &str = "co-test-secret";

fn client(url: &str) -> Client {
    let provider = Cohere::new(KEY)
        .base_url(url)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(100),
        ));
    instructor::from_cohere(provider).with_model(MODEL)
}

/// A `/v2/chat` answer.
fn chat(message: Value, finish_reason: &str, usage: (u64, u64)) -> Value {
    json!({"id": "c0a1", "finish_reason": finish_reason, "message": message,
        "usage": {"billed_units": {"input_tokens": 1, "output_tokens": 1},
            "tokens": {"input_tokens": usage.0, "output_tokens": usage.1}}})
}

fn call(id: &str, name: &str, arguments: &str) -> Value {
    json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
}

fn text_message(text: &str) -> Value {
    json!({"role": "assistant", "content": [{"type": "text", "text": text}]})
}

/// What the model answers in `mode` when it means `json`.
fn answer(mode: Mode, json: &str, usage: (u64, u64)) -> Value {
    match mode {
        Mode::Tools | Mode::ToolsStrict => chat(
            json!({"role": "assistant", "tool_plan": "I will extract the user.",
                "tool_calls": [call("User_abc", "User", json)]}),
            "TOOL_CALL",
            usage,
        ),
        Mode::ParallelTools => chat(
            json!({"role": "assistant", "tool_calls": [
                call("User_1", "User", json), call("User_2", "User", IVAN)]}),
            "TOOL_CALL",
            usage,
        ),
        Mode::MdJson => chat(
            text_message(&format!("Here it is:\n```json\n{json}\n```")),
            "COMPLETE",
            usage,
        ),
        _ => chat(text_message(json), "COMPLETE", usage),
    }
}

const MODES: [Mode; 6] = [
    Mode::Tools,
    Mode::ToolsStrict,
    Mode::ParallelTools,
    Mode::JsonSchema,
    Mode::Json,
    Mode::MdJson,
];

async fn serve_chat(answers: Vec<Value>) -> MockServer {
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

async fn run(client: &Client, mode: Mode, request: Request) -> instructor::Result<Vec<User>> {
    if mode == Mode::ParallelTools {
        client.create_parallel::<User>(request).await
    } else {
        client.create::<User>(request).await.map(|u| vec![u])
    }
}

#[tokio::test]
async fn every_mode_sends_its_request_shape_and_returns_a_typed_value() {
    for mode in MODES {
        let server = serve_chat(vec![answer(mode, GOOD, (10, 5))]).await;
        let client = client(&server.uri()).try_with_mode(mode).unwrap();
        let users = run(&client, mode, request())
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let mut expected = vec![user("Jason", 25)];
        if mode == Mode::ParallelTools {
            expected.push(user("Ivan", 28));
        }
        assert_eq!(users, expected, "{mode}");
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), 1, "{mode}");
        assert_eq!(received[0].url.path(), ROUTE);
        let auth = received[0].headers.get("authorization").unwrap();
        assert_eq!(auth.to_str().unwrap(), format!("Bearer {KEY}"));
        let body: Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(body["messages"][0]["role"], "system", "{mode}");
        assert_eq!(body["messages"][1]["role"], "user", "{mode}");
        insta::assert_json_snapshot!(format!("cohere_request_{}", mode.name()), body);
    }
}

#[tokio::test]
async fn mode_shapes_and_request_options() {
    let server = serve_chat(vec![answer(Mode::Tools, GOOD, (1, 1)); 3]).await;
    assert_eq!(client(&server.uri()).mode(), Mode::Tools, "the default");
    assert!(
        client(&server.uri())
            .try_with_mode(Mode::AnthropicTools)
            .is_err(),
        "another provider's mode is refused"
    );
    let request = request().max_tokens(512).temperature(0.0);
    let _: User = client(&server.uri()).create(request).await.unwrap();
    let body = &bodies(&server).await[0];
    assert_eq!(body["max_tokens"], 512);
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["tool_choice"], "REQUIRED");
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "User");
    assert_eq!(
        body["tools"][0]["function"]["parameters"]["required"],
        json!(["name", "age"])
    );
    assert!(body.get("stream").is_none());
}

#[tokio::test]
async fn json_schema_mode_sends_the_schema_in_response_format() {
    let server = serve_chat(vec![answer(Mode::JsonSchema, GOOD, (1, 1))]).await;
    let _: User = client(&server.uri())
        .with_mode(Mode::JsonSchema)
        .create(request())
        .await
        .unwrap();
    let body = &bodies(&server).await[0];
    assert_eq!(body["response_format"]["type"], "json_object");
    let schema = &body["response_format"]["json_schema"];
    assert_eq!(schema["properties"]["name"]["minLength"], 2);
    assert_eq!(schema["description"], "A person mentioned in the text.");
    assert!(body.get("tools").is_none());
    // The service enforces the schema: it is not repeated in the prompt.
    assert!(!body["messages"].to_string().contains("minLength"));
}

#[tokio::test]
async fn every_mode_reasks_in_cohere_shape() {
    for mode in MODES {
        let server = serve_chat(vec![
            answer(mode, BAD, (10, 5)),
            answer(mode, GOOD, (12, 6)),
        ])
        .await;
        let client = client(&server.uri()).with_mode(mode);
        let users = run(&client, mode, request().max_retries(1))
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(users[0], user("Jason", 25), "{mode}");
        let bodies = bodies(&server).await;
        assert_eq!(bodies.len(), 2, "{mode}");
        let reask: Vec<Value> = bodies[1]["messages"].as_array().unwrap()[2..].to_vec();
        assert!(
            bodies[1]
                .to_string()
                .contains("name: must be at least 2 characters long (got 1)"),
            "{mode}: the error is sent"
        );
        match mode {
            Mode::Tools | Mode::ToolsStrict | Mode::ParallelTools => {
                let calls = reask[0]["tool_calls"].as_array().unwrap();
                assert_eq!(reask[0]["role"], "assistant");
                assert_eq!(calls[0]["function"]["arguments"], BAD);
                assert_eq!(reask.len(), 1 + calls.len(), "{mode}: every call answered");
                for (result, call) in reask[1..].iter().zip(calls) {
                    assert_eq!(result["role"], "tool");
                    assert_eq!(result["tool_call_id"], call["id"]);
                }
                if mode != Mode::ParallelTools {
                    assert_eq!(reask[0]["tool_plan"], "I will extract the user.");
                }
            }
            _ => {
                assert_eq!(reask[0]["role"], "assistant");
                assert_eq!(reask[1]["role"], "user");
            }
        }
        insta::assert_json_snapshot!(format!("cohere_reask_{}", mode.name()), reask);
    }
}

#[tokio::test]
async fn usage_reads_tokens_and_sums_over_attempts() {
    let server = serve_chat(vec![
        answer(Mode::Tools, BAD, (100, 20)),
        answer(Mode::Tools, GOOD, (130, 22)),
    ])
    .await;
    let (_, completion) = client(&server.uri())
        .create_with_completion::<User>(request().max_retries(1))
        .await
        .unwrap();
    let u = completion.usage();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (230, 42, 272)
    );
    assert_eq!(completion.attempts, 2);
    assert_eq!(completion.raw()["id"], "c0a1");
}

#[tokio::test]
async fn max_tokens_is_truncation_and_is_not_reasked() {
    let cut = r#"{"name": "Jas"#;
    let server = serve_chat(vec![chat(text_message(cut), "MAX_TOKENS", (10, 64))]).await;
    match client(&server.uri())
        .with_mode(Mode::JsonSchema)
        .create::<User>(request().max_retries(2))
        .await
    {
        Err(Error::Truncated { partial, usage, .. }) => {
            assert_eq!(partial, cut);
            assert_eq!(usage.completion_tokens, 64);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(bodies(&server).await.len(), 1);
}

fn cohere_error(message: &str) -> Value {
    json!({"id": "4f3c2a", "message": message})
}

#[tokio::test]
async fn a_bad_request_is_a_typed_http_error_and_not_retried() {
    let server = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(400)
                .set_body_json(cohere_error("invalid request: model 'nope' not found")),
        ],
    )
    .await;
    let error = client(&server.uri())
        .create::<User>(request())
        .await
        .unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(http.status, 400);
    assert_eq!(http.message, "invalid request: model 'nope' not found");
    assert!(!format!("{error:?}").contains(KEY), "the key never prints");
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn too_many_requests_is_retried_then_succeeds() {
    let server = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(429).set_body_json(cohere_error("too many requests")),
            ResponseTemplate::new(200).set_body_json(answer(Mode::Tools, GOOD, (1, 1))),
        ],
    )
    .await;
    let user: User = client(&server.uri()).create(request()).await.unwrap();
    assert_eq!(user, self::user("Jason", 25));
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn base_url_takes_a_v2_suffix_and_debug_hides_the_key() {
    let provider = Cohere::new(KEY).base_url("http://127.0.0.1:9/v2/");
    assert_eq!(provider.url(), "http://127.0.0.1:9");
    assert!(!format!("{provider:?}").contains(KEY));
}

/// Set for the child process of [`from_provider_reads_co_api_key_and_co_api_url`].
const CHILD: &str = "INSTRUCTOR_TEST_COHERE_CHILD";

#[tokio::test]
async fn from_provider_reads_co_api_key_and_co_api_url() {
    // The variables are set for a child run of this binary, never in this process.
    let server = serve_chat(vec![answer(Mode::Tools, GOOD, (1, 1))]).await;
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "provider_cohere::from_provider_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("CO_API_KEY", KEY)
        .env("CO_API_URL", format!("{}/v2", server.uri()))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "the child called the server");
    assert_eq!(
        received[0].headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["tool_choice"], "REQUIRED", "the default mode is Tools");
}

/// Run by [`from_provider_reads_co_api_key_and_co_api_url`] with the variables set.
#[tokio::test]
#[ignore = "run as a child process with CO_API_KEY and CO_API_URL set"]
async fn from_provider_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let client = instructor::from_provider(&format!("cohere/{MODEL}")).unwrap();
    assert_eq!(client.provider().name(), "cohere");
    let user: User = client.create(request()).await.unwrap();
    assert_eq!(user, self::user("Jason", 25));
}

#[test]
fn from_provider_without_co_api_key_names_the_variable() {
    if std::env::var("CO_API_KEY").is_ok() {
        return;
    }
    let error = instructor::from_provider("cohere/command-a-03-2025").unwrap_err();
    assert!(
        matches!(error, Error::Config(ref m) if m.contains("CO_API_KEY")),
        "{error:?}"
    );
}
