//! Every OpenAI-family mode over real HTTP on loopback: the exact request body
//! (snapshot), a typed result, and a reask carrying the model's answer and the error.

use crate::common::*;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wiremock::ResponseTemplate;

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

fn answer(mode: Mode, json: &str, usage: (u64, u64)) -> Value {
    match mode {
        Mode::Tools | Mode::ToolsStrict | Mode::ParallelTools => tool_answer("User", json, usage),
        Mode::Functions => function_answer("User", json, usage),
        Mode::ResponsesTools => responses_answer("User", json, usage),
        Mode::MdJson => text_answer(&format!("Here you go:\n```json\n{json}\n```"), usage),
        _ => text_answer(json, usage),
    }
}

fn route(mode: Mode) -> &'static str {
    if mode == Mode::ResponsesTools {
        "/v1/responses"
    } else {
        "/v1/chat/completions"
    }
}

const MODES: [Mode; 10] = [
    Mode::Tools,
    Mode::ToolsStrict,
    Mode::ParallelTools,
    Mode::Json,
    Mode::JsonSchema,
    Mode::MdJson,
    Mode::Functions,
    Mode::JsonO1,
    Mode::OpenRouterStructuredOutputs,
    Mode::ResponsesTools,
];

async fn run(
    mode: Mode,
    answers: Vec<Value>,
    request: Request,
) -> (Result<Vec<User>, Error>, Vec<Value>) {
    let server = serve(
        route(mode),
        answers
            .into_iter()
            .map(|a| ResponseTemplate::new(200).set_body_json(a))
            .collect(),
    )
    .await;
    let client = client(&server).with_mode(mode);
    let result = if mode == Mode::ParallelTools {
        client.create_parallel::<User>(request).await
    } else {
        client.create::<User>(request).await.map(|u| vec![u])
    };
    (result, bodies(&server).await)
}

fn request() -> Request {
    Request::new("gpt-4o-mini")
        .system("Extract the user.")
        .user("Jason is 25 years old.")
}

#[tokio::test]
async fn every_mode_sends_its_request_shape_and_returns_a_typed_value() {
    for mode in MODES {
        let (result, bodies) = run(mode, vec![answer(mode, GOOD, (10, 5))], request()).await;
        let users = result.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(
            users,
            vec![User {
                name: "Jason".into(),
                age: 25
            }],
            "{mode}"
        );
        assert_eq!(bodies.len(), 1, "{mode}");
        insta::assert_json_snapshot!(format!("request_{}", mode.name()), bodies[0]);
    }
}

#[tokio::test]
async fn every_mode_reasks_with_the_answer_and_the_error() {
    for mode in MODES {
        let answers = vec![answer(mode, BAD, (10, 5)), answer(mode, GOOD, (12, 6))];
        let server = serve(
            route(mode),
            answers
                .into_iter()
                .map(|a| ResponseTemplate::new(200).set_body_json(a))
                .collect(),
        )
        .await;
        let client = client(&server).with_mode(mode);
        let users: Vec<User> = if mode == Mode::ParallelTools {
            client
                .create_parallel::<User>(request().max_retries(1))
                .await
                .unwrap_or_else(|e| panic!("{mode}: {e}"))
        } else {
            let (user, completion) = client
                .create_with_completion::<User>(request().max_retries(1))
                .await
                .unwrap_or_else(|e| panic!("{mode}: {e}"));
            assert_eq!(
                completion.usage().total_tokens,
                33,
                "{mode}: usage of both attempts"
            );
            assert_eq!(completion.usage().prompt_tokens, 22, "{mode}");
            assert_eq!(completion.attempts, 2, "{mode}");
            vec![user]
        };
        assert_eq!(users[0].name, "Jason", "{mode}");
        let bodies = bodies(&server).await;
        assert_eq!(bodies.len(), 2, "{mode}");
        let second = serde_json::to_string(&bodies[1]).unwrap();
        assert!(
            second.contains(r#"{\"name\":\"J\",\"age\":25}"#),
            "{mode}: the model's own answer is sent back: {second}"
        );
        assert!(
            second.contains("name: must be at least 2 characters long (got 1)"),
            "{mode}: the error is sent: {second}"
        );
        let input_key = if mode == Mode::ResponsesTools {
            "input"
        } else {
            "messages"
        };
        let first_len = bodies[0][input_key].as_array().map_or(0, Vec::len);
        let reask: Vec<&Value> = bodies[1][input_key]
            .as_array()
            .unwrap()
            .iter()
            .skip(first_len)
            .collect();
        insta::assert_json_snapshot!(format!("reask_{}", mode.name()), reask);
    }
}

#[tokio::test]
async fn max_retries_zero_makes_one_attempt() {
    for mode in MODES {
        let answers = vec![answer(mode, BAD, (10, 5)), answer(mode, GOOD, (10, 5))];
        let (result, bodies) = run(mode, answers, request().max_retries(0)).await;
        let Err(Error::RetriesExhausted(exhausted)) = result else {
            panic!("{mode}: expected RetriesExhausted, got {result:?}");
        };
        assert_eq!(bodies.len(), 1, "{mode}");
        assert_eq!(exhausted.attempts.len(), 1, "{mode}");
        assert_eq!(exhausted.usage.total_tokens, 15, "{mode}");
    }
}

#[tokio::test]
async fn exhaustion_keeps_every_attempt_and_the_summed_usage() {
    let answers = vec![
        tool_answer("User", BAD, (10, 5)),
        tool_answer("User", "not json", (11, 5)),
        tool_answer("Other", GOOD, (12, 5)),
    ];
    let server = serve_chat(answers).await;
    let result = client(&server)
        .create::<User>(request().max_retries(2))
        .await;
    let Err(Error::RetriesExhausted(exhausted)) = result else {
        panic!("{result:?}")
    };
    let errors: Vec<String> = exhausted
        .attempts
        .iter()
        .map(|a| a.error.to_string())
        .collect();
    assert!(errors[0].contains("at least 2 characters"), "{errors:?}");
    assert!(errors[1].starts_with("invalid JSON"), "{errors:?}");
    assert!(errors[2].contains("called tool `Other`"), "{errors:?}");
    assert_eq!(exhausted.usage.total_tokens, 48);
    assert_eq!(
        exhausted.attempts[1].completion.tool_calls[0].arguments,
        "not json"
    );
    assert_eq!(bodies(&server).await.len(), 3);
}

#[tokio::test]
async fn the_callers_request_is_never_mutated() {
    let server = serve_chat(vec![
        tool_answer("User", BAD, (1, 1)),
        tool_answer("User", GOOD, (1, 1)),
    ])
    .await;
    let original = request().max_retries(1);
    let copy = original.clone();
    let _ = client(&server)
        .create::<User>(original.clone())
        .await
        .unwrap();
    assert_eq!(original, copy);
    assert_eq!(original.messages.len(), 2);
}

/// The streamed body a provider would send for `User`.
fn streamed_body(provider: instructor::providers::OpenAI) -> Value {
    let client = instructor::from_openai(provider).with_model("m");
    let mut prepared = client
        .prepare::<User>(&Request::default().user("Jason is 25"))
        .unwrap();
    prepared.stream = true;
    client.provider().build_body(&prepared).unwrap()
}

#[test]
fn stream_usage_is_asked_only_of_servers_that_take_it() {
    use instructor::providers::{AzureOpenAI, OpenAI};
    let asks = |provider: OpenAI| {
        let body = streamed_body(provider);
        assert_eq!(body["stream"], true);
        match body.get("stream_options") {
            Some(options) => {
                assert_eq!(options, &serde_json::json!({"include_usage": true}));
                true
            }
            None => false,
        }
    };
    let service = |name: &str| OpenAI::for_service(name, Some("k".into()), None).unwrap();
    assert!(asks(OpenAI::new("k")));
    for name in [
        "openrouter",
        "groq",
        "together",
        "fireworks",
        "deepseek",
        "vllm",
        "ollama",
    ] {
        assert!(asks(service(name)), "{name}");
    }
    for name in [
        "mistral",
        "xai",
        "cerebras",
        "lmstudio",
        "llamacpp",
        "workflowai",
    ] {
        assert!(!asks(service(name)), "{name}");
    }
    assert!(!asks(OpenAI::with_base_url("http://localhost:9/v1", None)));
    assert!(asks(
        OpenAI::with_base_url("http://localhost:9/v1", None).stream_usage(true)
    ));
    assert!(!asks(OpenAI::new("k").stream_usage(false)));
    let azure =
        |version: &str| OpenAI::from(AzureOpenAI::new("https://r.openai.azure.com", "k", version));
    assert!(asks(azure("2024-10-21")));
    assert!(asks(azure("2025-04-01-preview")));
    assert!(asks(azure("v1")));
    assert!(!asks(azure("2024-06-01")));
    assert!(!asks(azure("2024-02-15-preview")));
}
