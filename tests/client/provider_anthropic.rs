//! The Anthropic Messages API over real HTTP on loopback: the exact request body of
//! every mode (snapshot) and its headers, typed results, reasks in Anthropic's shapes
//! (`tool_use` echoed, then `tool_result` with `is_error`), usage with cache counters,
//! truncation, refusal, and typed errors (529 retried, 401 not). Streaming is in
//! `provider_anthropic_stream.rs`.
#![cfg(feature = "anthropic")]

use crate::common::person::{BAD, GOOD, IVAN, User, user};
use std::time::Duration;

use crate::common::{bodies, serve};
use instructor::prelude::*;
use instructor::providers::{Anthropic, RetryPolicy};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

const MODEL: &str = "claude-3-5-sonnet-20240620";
const ROUTE: &str = "/v1/messages";
const KEY: &str = "sk-ant-test-secret";

fn client(url: &str) -> Client {
    let provider = Anthropic::new(KEY)
        .base_url(url)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(100),
        ));
    instructor::from_anthropic(provider).with_model(MODEL)
}

/// A Messages API answer.
fn message(content: Value, stop_reason: &str, usage: (u64, u64)) -> Value {
    json!({"id": "msg_01", "type": "message", "role": "assistant", "model": MODEL,
        "content": content, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": usage.0, "output_tokens": usage.1,
            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
}

fn tool_use(id: &str, name: &str, input: &str) -> Value {
    json!({"type": "tool_use", "id": id, "name": name,
        "input": serde_json::from_str::<Value>(input).unwrap()})
}

/// What the model answers in `mode` when it means `json`.
fn answer(mode: Mode, json: &str, usage: (u64, u64)) -> Value {
    match mode {
        Mode::AnthropicTools => message(
            json!([{"type": "text", "text": "I'll extract the user."}, tool_use("toolu_01", "User", json)]),
            "tool_use",
            usage,
        ),
        Mode::ParallelTools => message(
            json!([
                tool_use("toolu_01", "User", json),
                tool_use("toolu_02", "User", IVAN)
            ]),
            "tool_use",
            usage,
        ),
        Mode::AnthropicJson => message(
            json!([{"type": "text", "text": format!("Here it is:\n```json\n{json}\n```")}]),
            "end_turn",
            usage,
        ),
        _ => message(json!([{"type": "text", "text": json}]), "end_turn", usage),
    }
}

const MODES: [Mode; 4] = [
    Mode::AnthropicTools,
    Mode::AnthropicJson,
    Mode::JsonSchema,
    Mode::ParallelTools,
];

async fn serve_messages(answers: Vec<Value>) -> MockServer {
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

async fn call(client: &Client, mode: Mode, request: Request) -> instructor::Result<Vec<User>> {
    if mode == Mode::ParallelTools {
        client.create_parallel::<User>(request).await
    } else {
        client.create::<User>(request).await.map(|u| vec![u])
    }
}

#[tokio::test]
async fn every_mode_sends_its_request_shape_and_headers_and_returns_a_typed_value() {
    for mode in MODES {
        let server = serve_messages(vec![answer(mode, GOOD, (10, 5))]).await;
        let client = client(&server.uri()).try_with_mode(mode).unwrap();
        let users = call(&client, mode, request())
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let mut expected = vec![user("Jason", 25)];
        if mode == Mode::ParallelTools {
            expected.push(user("Ivan", 28));
        }
        assert_eq!(users, expected, "{mode}");
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), 1, "{mode}");
        let header = |name: &str| received[0].headers.get(name).map(|v| v.to_str().unwrap());
        assert_eq!(received[0].url.path(), ROUTE);
        assert_eq!(header("x-api-key"), Some(KEY));
        assert_eq!(header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(header("content-type"), Some("application/json"));
        assert_eq!(
            header("authorization"),
            None,
            "the key goes in x-api-key only"
        );
        let body: Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(body["max_tokens"], 4096, "{mode}: max_tokens defaulted");
        assert_eq!(
            body["system"][0]["type"], "text",
            "{mode}: system at the top level"
        );
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user"], "{mode}: no system message in the turns");
        insta::assert_json_snapshot!(format!("request_{}", mode.name()), body);
    }
}

#[tokio::test]
async fn request_options_and_core_mode_names() {
    let server = serve_messages(vec![answer(Mode::AnthropicTools, GOOD, (1, 1)); 3]).await;
    // Mode::Tools is AnthropicTools on this provider; Json and MdJson are AnthropicJson.
    let tools = client(&server.uri()).with_mode(Mode::Tools);
    assert_eq!(tools.mode(), Mode::AnthropicTools);
    assert_eq!(
        client(&server.uri()).mode(),
        Mode::AnthropicTools,
        "the default"
    );
    for (mode, resolved) in [
        (Mode::Json, Mode::AnthropicJson),
        (Mode::MdJson, Mode::AnthropicJson),
        (Mode::JsonSchema, Mode::JsonSchema),
        (Mode::ParallelTools, Mode::ParallelTools),
    ] {
        assert_eq!(client(&server.uri()).with_mode(mode).mode(), resolved);
    }
    let request = request()
        .max_tokens(1024)
        .temperature(0.0)
        .header("anthropic-beta", "structured-outputs-2025-11-13");
    let _: User = tools.create(request).await.unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&received.body).unwrap();
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "User", "disable_parallel_tool_use": true})
    );
    assert_eq!(
        received.headers.get("anthropic-beta").unwrap(),
        "structured-outputs-2025-11-13"
    );
}

#[tokio::test]
async fn every_mode_reasks_in_anthropics_shape() {
    for mode in MODES {
        let server = serve_messages(vec![
            answer(mode, BAD, (10, 5)),
            answer(mode, GOOD, (12, 6)),
        ])
        .await;
        let client = client(&server.uri()).with_mode(mode);
        let users = call(&client, mode, request().max_retries(1))
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(users[0], user("Jason", 25), "{mode}");
        let bodies = bodies(&server).await;
        assert_eq!(bodies.len(), 2, "{mode}");
        let second = bodies[1].to_string();
        assert!(
            second.contains("name: must be at least 2 characters long (got 1)"),
            "{mode}: the error is sent: {second}"
        );
        let reask: Vec<Value> = bodies[1]["messages"].as_array().unwrap()[1..].to_vec();
        match mode {
            Mode::AnthropicTools | Mode::ParallelTools => {
                // The assistant turn verbatim, then one tool_result per tool_use.
                let blocks = reask[0]["content"].as_array().unwrap();
                let uses: Vec<&Value> = blocks.iter().filter(|b| b["type"] == "tool_use").collect();
                let results = reask[1]["content"].as_array().unwrap();
                assert_eq!(reask[0]["role"], "assistant");
                assert_eq!(uses[0]["input"], json!({"name": "J", "age": 25}));
                assert_eq!(reask[1]["role"], "user");
                assert_eq!(results.len(), uses.len(), "{mode}: every tool_use answered");
                for (i, (result, call)) in results.iter().zip(&uses).enumerate() {
                    assert_eq!(result["type"], "tool_result");
                    assert_eq!(result["tool_use_id"], call["id"]);
                    // Only the failing call is an error; a valid one is told so.
                    let valid = call["input"]["name"] == "Ivan";
                    assert_eq!(result["is_error"], !valid, "{mode}: result {i}");
                }
            }
            Mode::AnthropicJson => {
                // Python's shape: no assistant turn, the attempt quoted in a user turn.
                assert_eq!(reask.len(), 1, "{reask:?}");
                let text = reask[0]["content"].as_str().unwrap();
                assert!(text.starts_with("Validation Errors found:\n"), "{text}");
                assert!(text.contains("Recall the function correctly, fix the errors found in the following attempt:\nHere it is:\n```json\n{\"name\":\"J\""), "{text}");
            }
            _ => {
                assert_eq!(reask[0], json!({"role": "assistant", "content": BAD}));
                assert_eq!(reask[1]["role"], "user");
            }
        }
        insta::assert_json_snapshot!(format!("reask_{}", mode.name()), reask);
    }
}

#[tokio::test]
async fn an_answer_without_content_is_reasked_without_an_empty_assistant_turn() {
    // The API rejects an assistant message with empty content, so the reask must not
    // echo an empty turn.
    let server = serve_messages(vec![
        message(json!([]), "end_turn", (5, 1)),
        answer(Mode::AnthropicTools, GOOD, (5, 5)),
    ])
    .await;
    let user: User = client(&server.uri())
        .create(request().max_retries(1))
        .await
        .unwrap();
    assert_eq!(user.age, 25);
    let second = &bodies(&server).await[1];
    for turn in second["messages"].as_array().unwrap() {
        assert!(
            turn["content"] != json!("") && turn["content"] != json!([]),
            "empty turn sent: {second}"
        );
    }
    let last = second["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], "user");
    assert!(
        last["content"]
            .as_str()
            .unwrap()
            .contains("no tool was called; call `User`")
    );
}

#[tokio::test]
async fn usage_counts_cache_reads_and_writes_and_sums_over_attempts() {
    let mut first = answer(Mode::AnthropicTools, BAD, (0, 0));
    first["usage"] = json!({"input_tokens": 100, "output_tokens": 20,
        "cache_creation_input_tokens": 50, "cache_read_input_tokens": 1000,
        "cache_creation": {"ephemeral_5m_input_tokens": 50, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard"});
    let mut second = answer(Mode::AnthropicTools, GOOD, (0, 0));
    second["usage"] =
        json!({"input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 1050});
    let server = serve_messages(vec![first, second]).await;
    let (_, completion) = client(&server.uri())
        .create_with_completion::<User>(request().max_retries(1))
        .await
        .unwrap();
    let last = completion.last.usage;
    assert_eq!((last.prompt_tokens, last.cached_tokens), (1057, 1050));
    let u = completion.usage();
    assert_eq!(
        u.prompt_tokens,
        1150 + 1057,
        "input + cache reads + cache writes"
    );
    assert_eq!(u.completion_tokens, 23);
    assert_eq!(u.total_tokens, 1150 + 1057 + 23);
    assert_eq!(u.cached_tokens, 2050);
    assert_eq!(u.cache_creation_tokens, 50);
    assert_eq!(completion.attempts, 2);
    assert_eq!(completion.raw()["id"], "msg_01");
}

#[tokio::test]
async fn max_tokens_is_truncation_with_what_arrived_and_is_not_reasked() {
    let cut = r#"{"name": "Jas"#;
    let server = serve_messages(vec![
        message(
            json!([{"type": "text", "text": cut}]),
            "max_tokens",
            (10, 4096),
        ),
        message(
            json!([tool_use("toolu_1", "User", r#"{"name":"Jason"}"#)]),
            "max_tokens",
            (10, 4096),
        ),
    ])
    .await;
    match client(&server.uri())
        .with_mode(Mode::AnthropicJson)
        .create::<User>(request())
        .await
    {
        Err(Error::Truncated { partial, usage, .. }) => {
            assert_eq!(partial, cut);
            assert_eq!(usage.completion_tokens, 4096);
        }
        other => panic!("{other:?}"),
    }
    match client(&server.uri()).create::<User>(request()).await {
        Err(Error::Truncated { partial, .. }) => assert_eq!(partial, r#"{"name":"Jason"}"#),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bodies(&server).await.len(),
        2,
        "truncation is never reasked"
    );
}

#[tokio::test]
async fn stop_reason_refusal_is_a_refusal_error() {
    let mut explained = message(json!([]), "refusal", (10, 0));
    explained["stop_details"] =
        json!({"type": "refusal", "category": "cyber", "explanation": "Policy: no malware."});
    let server = serve_messages(vec![
        message(
            json!([{"type": "text", "text": "I can't help with that."}]),
            "refusal",
            (10, 6),
        ),
        explained,
    ])
    .await;
    let client = client(&server.uri());
    match client.create::<User>(request()).await {
        Err(Error::Refusal(text)) => assert_eq!(text, "I can't help with that."),
        other => panic!("{other:?}"),
    }
    match client.create::<User>(request()).await {
        Err(Error::Refusal(text)) => assert_eq!(text, "Policy: no malware."),
        other => panic!("{other:?}"),
    }
    assert_eq!(bodies(&server).await.len(), 2);
}

fn anthropic_error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011"})
}

#[tokio::test]
async fn overloaded_529_is_retried_then_succeeds() {
    let server = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(529)
                .set_body_json(anthropic_error("overloaded_error", "Overloaded")),
            ResponseTemplate::new(200).set_body_json(answer(Mode::AnthropicTools, GOOD, (1, 1))),
        ],
    )
    .await;
    let user: User = client(&server.uri()).create(request()).await.unwrap();
    assert_eq!(user, self::user("Jason", 25));
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn overloaded_until_the_budget_is_spent_is_a_typed_http_error() {
    let overloaded = || {
        ResponseTemplate::new(529).set_body_json(anthropic_error("overloaded_error", "Overloaded"))
    };
    let server = serve(ROUTE, vec![overloaded(), overloaded(), overloaded()]).await;
    let error = client(&server.uri())
        .create::<User>(request())
        .await
        .unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (http.status, http.kind.as_deref()),
        (529, Some("overloaded_error"))
    );
    assert_eq!(bodies(&server).await.len(), 3, "one try and two retries");
}

#[tokio::test]
async fn authentication_and_request_errors_are_not_retried() {
    for (status, kind, text) in [
        (401, "authentication_error", "invalid x-api-key"),
        (
            400,
            "invalid_request_error",
            "tools.0.input_schema: JSON schema is invalid",
        ),
    ] {
        let server = serve(
            ROUTE,
            vec![
                ResponseTemplate::new(status)
                    .insert_header("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
                    .set_body_json(anthropic_error(kind, text)),
                ResponseTemplate::new(200).set_body_json(answer(
                    Mode::AnthropicTools,
                    GOOD,
                    (1, 1),
                )),
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
        assert_eq!(http.status, status);
        assert_eq!(http.kind.as_deref(), Some(kind));
        assert_eq!(http.message, text);
        assert_eq!(
            http.request_id.as_deref(),
            Some("req_011CSHoEeqs5C35K2UUqR7Fy")
        );
        assert!(
            !format!("{error} {error:?}").contains(KEY),
            "the key never prints"
        );
        assert_eq!(
            bodies(&server).await.len(),
            1,
            "{status} must not be retried"
        );
    }
}

#[tokio::test]
async fn an_unsupported_mode_is_a_config_error_naming_the_supported_modes() {
    let server = serve_messages(vec![]).await;
    for mode in [
        Mode::ResponsesTools,
        Mode::Functions,
        Mode::ToolsStrict,
        Mode::GeminiJson,
    ] {
        let error = client(&server.uri()).try_with_mode(mode).unwrap_err();
        let Error::Config(text) = &error else {
            panic!("{error:?}")
        };
        assert!(text.contains(&format!("{mode:?}")), "{text}");
        assert!(
            text.contains("AnthropicTools, AnthropicJson, JsonSchema, ParallelTools"),
            "{text}"
        );
    }
    let error = client(&server.uri())
        .with_mode(Mode::ResponsesTools)
        .create::<User>(request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(bodies(&server).await.is_empty(), "nothing is sent");
}

#[test]
fn from_provider_and_secrets() {
    let spec = "anthropic/claude-3-5-haiku-latest";
    if std::env::var("ANTHROPIC_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        let client = instructor::from_provider(spec).unwrap();
        assert_eq!(client.provider().name(), "anthropic");
        assert_eq!(client.model(), Some("claude-3-5-haiku-latest"));
        assert_eq!(client.mode(), Mode::AnthropicTools);
    } else {
        let error = instructor::from_provider(spec).err();
        assert!(
            matches!(&error, Some(Error::Config(m)) if m.contains("ANTHROPIC_API_KEY")),
            "{error:?}"
        );
    }
    for bad in [
        "anthropics/claude",
        "claude/x",
        "anthropic",
        "anthropic/",
        "/claude",
    ] {
        let error = instructor::from_provider(bad).err();
        assert!(matches!(error, Some(Error::Config(_))), "{bad}: {error:?}");
    }
    let provider = Anthropic::new("sk-ant-very-secret");
    let client = instructor::from_anthropic(provider.clone());
    for text in [format!("{provider:?}"), format!("{client:?}")] {
        assert!(!text.contains("very-secret"), "{text}");
    }
    assert_eq!(
        Anthropic::new("k").base_url("http://h/v1/").url(),
        "http://h"
    );
}
