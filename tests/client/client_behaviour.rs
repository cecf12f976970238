//! Client behaviour over loopback HTTP: transport retries, typed errors, hooks,
//! templating, presets, secrets.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use instructor::prelude::*;
use instructor::providers::{AzureOpenAI, OpenAI, RetryPolicy};
use instructor::{FinishReason, HookPayload, Usage};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wiremock::ResponseTemplate;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

const GOOD: &str = r#"{"name":"Jason","age":25}"#;

fn ok(answer: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(answer)
}

fn request() -> Request {
    Request::new("gpt-4o-mini").user("Jason is 25")
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured_then_succeeds() {
    let server = serve(
        "/v1/chat/completions",
        vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after-ms", "150")
                .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}})),
            ok(tool_answer("User", GOOD, (5, 5))),
        ],
    )
    .await;
    let provider = OpenAI::new("sk-x")
        .base_url(format!("{}/v1", server.uri()))
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(1),
            Duration::from_secs(2),
        ));
    let started = Instant::now();
    let user: User = instructor::from_openai(provider)
        .create(request())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(user.name, "Jason");
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn a_500_then_success() {
    let server = serve(
        "/v1/chat/completions",
        vec![
            ResponseTemplate::new(500),
            ok(tool_answer("User", GOOD, (5, 5))),
        ],
    )
    .await;
    let user: User = client(&server).create(request()).await.unwrap();
    assert_eq!(user.age, 25);
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_providers_message() {
    for (status, message, code) in [
        (
            400,
            "Invalid schema for function 'User'",
            "invalid_request_error",
        ),
        (
            401,
            "Incorrect API key provided: sk-x***",
            "invalid_api_key",
        ),
        (429, "You exceeded your current quota", "insufficient_quota"),
    ] {
        let body =
            json!({"error": {"message": message, "type": code, "param": null, "code": code}});
        let server = serve(
            "/v1/chat/completions",
            vec![
                ResponseTemplate::new(status).set_body_json(body),
                ok(tool_answer("User", GOOD, (1, 1))),
            ],
        )
        .await;
        let error = client(&server).create::<User>(request()).await.unwrap_err();
        let Error::Http(http) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(http.status, status);
        assert_eq!(http.message, message);
        assert_eq!(http.code.as_deref(), Some(code));
        assert!(error.to_string().contains(message));
        assert_eq!(
            bodies(&server).await.len(),
            1,
            "{status} must not be retried"
        );
    }
}

#[tokio::test]
async fn a_hung_server_hits_the_timeout() {
    // A timeout is retried (as the OpenAI SDK does): every try hangs here.
    let hung = || ok(tool_answer("User", GOOD, (1, 1))).set_delay(Duration::from_secs(5));
    let server = serve("/v1/chat/completions", vec![hung(), hung(), hung()]).await;
    let started = Instant::now();
    let error = client(&server)
        .create::<User>(request().timeout(Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout(d) if d == Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        bodies(&server).await.len(),
        3,
        "the first try and two retries"
    );
}

#[tokio::test]
async fn a_timeout_is_retried_then_succeeds() {
    let server = serve(
        "/v1/chat/completions",
        vec![
            ok(tool_answer("User", GOOD, (1, 1))).set_delay(Duration::from_secs(5)),
            ok(tool_answer("User", GOOD, (1, 1))),
        ],
    )
    .await;
    let user: User = client(&server)
        .create(request().timeout(Duration::from_millis(200)))
        .await
        .unwrap();
    assert_eq!(user.name, "Jason");
    assert_eq!(bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn refusal_truncation_and_filtering_are_typed_errors() {
    let mut refusal = text_answer("", (3, 2));
    refusal["choices"][0]["message"]["refusal"] = json!("I can't help with that.");
    let mut truncated = tool_answer("User", r#"{"name":"Jas"#, (3, 100));
    truncated["choices"][0]["finish_reason"] = json!("length");
    let mut filtered = text_answer("", (3, 0));
    filtered["choices"][0]["finish_reason"] = json!("content_filter");
    let server = serve_chat(vec![refusal, truncated, filtered]).await;
    let client = client(&server);
    match client.create::<User>(request()).await {
        Err(Error::Refusal(text)) => assert_eq!(text, "I can't help with that."),
        other => panic!("{other:?}"),
    }
    let error = client.create::<User>(request()).await.unwrap_err();
    match &error {
        Error::Truncated { partial, usage, .. } => {
            assert_eq!(partial, r#"{"name":"Jas"#);
            assert_eq!(usage.completion_tokens, 100);
        }
        other => panic!("{other:?}"),
    }
    // The cut-off response itself, as Python's exceptions carry `last_completion`.
    let last = error.last_completion().unwrap();
    assert_eq!(last.finish_reason, Some(FinishReason::Length));
    assert_eq!(last.tool_calls[0].arguments, r#"{"name":"Jas"#);
    let error = client.create::<User>(request()).await.unwrap_err();
    assert!(matches!(error, Error::ContentFiltered { .. }), "{error:?}");
    assert_eq!(
        error.last_completion().unwrap().finish_reason,
        Some(FinishReason::ContentFilter)
    );
    assert_eq!(bodies(&server).await.len(), 3, "none of these is reasked");
}

#[tokio::test]
async fn zero_several_and_misnamed_tool_calls_are_reasked() {
    let server = serve_chat(vec![
        text_answer("I think the user is Jason.", (1, 1)),
        tool_answer_many(&[("User", GOOD), ("User", GOOD)], (1, 1)),
        tool_answer("Person", GOOD, (1, 1)),
        tool_answer("User", GOOD, (1, 1)),
    ])
    .await;
    let user: User = client(&server)
        .create(request().max_retries(3))
        .await
        .unwrap();
    assert_eq!(user.name, "Jason");
    let bodies = bodies(&server).await;
    let texts: Vec<String> = bodies[1..]
        .iter()
        .map(|b| b["messages"].to_string())
        .collect();
    assert!(
        texts[0].contains("no tool was called; call `User`"),
        "{}",
        texts[0]
    );
    assert!(
        texts[1].contains("2 tool calls were made; call `User` exactly once"),
        "{}",
        texts[1]
    );
    assert!(texts[2].contains("called tool `Person`"), "{}", texts[2]);
}

#[tokio::test]
async fn a_server_that_ignores_tool_choice_and_answers_in_text_still_works() {
    let server = serve_chat(vec![text_answer(&format!("```json\n{GOOD}\n```"), (1, 1))]).await;
    let user: User = client(&server).create(request()).await.unwrap();
    assert_eq!(user.age, 25);
}

#[tokio::test]
async fn hooks_see_every_stage_and_a_panicking_hook_breaks_nothing() {
    let server = serve_chat(vec![
        tool_answer("User", r#"{"name":"Jason"}"#, (10, 2)),
        tool_answer("User", GOOD, (11, 3)),
    ])
    .await;
    let client = client(&server);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    for event in [
        HookEvent::CompletionKwargs,
        HookEvent::CompletionResponse,
        HookEvent::ParseError,
        HookEvent::Usage,
        HookEvent::CompletionError,
        HookEvent::CompletionLastAttempt,
    ] {
        let seen = Arc::clone(&seen);
        client.on(event, move |payload| {
            let label = match payload {
                HookPayload::CompletionKwargs { body, attempt } => {
                    format!("kwargs#{attempt}:{}", body["model"])
                }
                HookPayload::CompletionResponse { attempt, .. } => format!("response#{attempt}"),
                HookPayload::ParseError {
                    attempt,
                    will_retry,
                    ..
                } => format!("parse_error#{attempt}:{will_retry}"),
                HookPayload::Usage { total, .. } => format!("usage:{}", total.total_tokens),
                other => format!("{:?}", other.event()),
            };
            seen.lock().unwrap().push(label);
        });
    }
    let panicking = client.on(HookEvent::CompletionResponse, |_| panic!("a buggy hook"));
    let user: User = client.create(request().max_retries(1)).await.unwrap();
    assert_eq!(user.name, "Jason");
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "kwargs#1:\"gpt-4o-mini\"",
            "response#1",
            "usage:12",
            "parse_error#1:true",
            "kwargs#2:\"gpt-4o-mini\"",
            "response#2",
            "usage:26",
        ]
    );
    assert!(client.off(panicking));
    assert!(!client.off(panicking));
    client.clear();
}

#[tokio::test]
async fn the_exact_body_reaches_the_kwargs_hook() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let client = client(&server);
    let captured = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&captured);
    client.on(HookEvent::CompletionKwargs, move |p| {
        if let HookPayload::CompletionKwargs { body, .. } = p {
            *sink.lock().unwrap() = Some((*body).clone());
        }
    });
    let _: User = client.create(request()).await.unwrap();
    let sent = bodies(&server).await.remove(0);
    assert_eq!(captured.lock().unwrap().clone().unwrap(), sent);
}

#[tokio::test]
async fn templates_render_from_context_and_reach_validators() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let request = Request::new("gpt-4o-mini")
        .system("Extract users from {{ source }} text.")
        .user("{{ text }}")
        .context(json!({"source": "chat", "text": "Jason is 25"}));
    let _: User = client(&server).create(request).await.unwrap();
    let body = &bodies(&server).await[0];
    assert_eq!(
        body["messages"][0]["content"],
        "Extract users from chat text."
    );
    assert_eq!(body["messages"][1]["content"], "Jason is 25");
}

#[tokio::test]
async fn an_undefined_template_variable_is_an_error_not_silence() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let request = request()
        .user("Hello {{ missing }}")
        .context(json!({"other": 1}));
    let error = client(&server).create::<User>(request).await.unwrap_err();
    assert!(
        matches!(&error, Error::Template(m) if m.contains("the context has no `missing`")),
        "{error:?}"
    );
    assert!(bodies(&server).await.is_empty(), "nothing is sent");
}

#[tokio::test]
async fn server_side_templates_pass_through_without_context() {
    // WorkflowAI renders {{var}} itself from extra_body.input.
    let server = serve_chat(vec![text_answer(GOOD, (1, 1))]).await;
    let request = Request::new("email-classifier-agent/gpt-4o-mini")
        .system("Classify {{email_address}}")
        .extra_body(json!({"input": {"email_address": "a@b.c"}}));
    let client = client(&server).with_mode(Mode::OpenRouterStructuredOutputs);
    let _: User = client.create(request).await.unwrap();
    let body = &bodies(&server).await[0];
    assert_eq!(body["messages"][0]["content"], "Classify {{email_address}}");
    assert_eq!(body["input"]["email_address"], "a@b.c");
}

#[tokio::test]
async fn a_deployment_may_be_called_with_no_messages() {
    let server = serve_chat(vec![text_answer(GOOD, (1, 1))]).await;
    let request = Request::new("email-classifier-agent/#1/production")
        .extra_body(json!({"input": {"email_address": "a@b.c"}}));
    let _: User = client(&server)
        .with_mode(Mode::OpenRouterStructuredOutputs)
        .create(request)
        .await
        .unwrap();
    assert_eq!(bodies(&server).await[0]["messages"], json!([]));
}

#[tokio::test]
async fn extract_uses_the_default_model() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let user = User::extract(&client(&server), "Jason is 25")
        .await
        .unwrap();
    assert_eq!(
        user,
        User {
            name: "Jason".into(),
            age: 25
        }
    );
    let body = &bodies(&server).await[0];
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Jason is 25"}])
    );
}

#[tokio::test]
async fn simple_types_are_wrapped_on_the_wire_and_unwrapped() {
    #[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Label {
        Spam,
        Ham,
    }
    let server = serve_chat(vec![
        tool_answer("Label", r#"{"content":"Spam"}"#, (1, 1)),
        tool_answer(
            "IterableUser",
            r#"{"tasks":[{"name":"A","age":1},{"name":"B","age":2}]}"#,
            (1, 1),
        ),
    ])
    .await;
    let client = client(&server);
    let label: Label = client.create(request()).await.unwrap();
    assert_eq!(label, Label::Spam);
    let users: Vec<User> = client.create(request()).await.unwrap();
    assert_eq!(users.len(), 2);
    let bodies = bodies(&server).await;
    assert_eq!(
        bodies[0]["tools"][0]["function"]["parameters"]["required"],
        json!(["content"])
    );
    // A list travels as `create_iterable`'s wrapper (Python's `Iterable[T]`/`list[T]`).
    assert_eq!(bodies[1]["tool_choice"]["function"]["name"], "IterableUser");
    let function = &bodies[1]["tools"][0]["function"];
    assert_eq!(
        function["description"],
        "Correct segmentation of `User` tasks"
    );
    assert_eq!(function["parameters"]["required"], json!(["tasks"]));
    assert_eq!(
        function["parameters"]["properties"]["tasks"]["description"],
        "Correctly segmented list of `User` tasks"
    );
}

#[tokio::test]
async fn a_mode_the_provider_cannot_serve_fails_before_any_request() {
    let server = serve_chat(vec![]).await;
    let client = client(&server);
    assert!(client.clone().try_with_mode(Mode::AnthropicTools).is_err());
    let error = client
        .with_mode(Mode::GeminiJson)
        .create::<User>(request())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("not supported")),
        "{error:?}"
    );
    assert!(bodies(&server).await.is_empty());
}

#[tokio::test]
async fn azure_uses_deployment_urls_and_the_api_key_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/openai/deployments/my-gpt4o/chat/completions"))
        .and(query_param("api-version", "2024-10-21"))
        .and(header("api-key", "azure-secret"))
        .respond_with(ok(tool_answer("User", GOOD, (1, 1))))
        .mount(&server)
        .await;
    let azure = AzureOpenAI::new(server.uri(), "azure-secret", "2024-10-21");
    let client = instructor::from_openai(azure).with_model("my-gpt4o");
    let user = User::extract(&client, "Jason is 25").await.unwrap();
    assert_eq!(user.age, 25);
}

#[tokio::test]
async fn bearer_auth_and_extra_headers_are_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer sk-test-secret"))
        .and(header("x-trace", "abc"))
        .respond_with(ok(tool_answer("User", GOOD, (1, 1))))
        .mount(&server)
        .await;
    let _: User = client(&server)
        .create(request().header("x-trace", "abc"))
        .await
        .unwrap();
}

#[test]
fn secrets_never_print() {
    let provider = OpenAI::new("sk-very-secret");
    let azure = AzureOpenAI::new(
        "https://x.openai.azure.com",
        "azure-very-secret",
        "2024-10-21",
    );
    let client = instructor::from_openai(provider.clone());
    for text in [
        format!("{provider:?}"),
        format!("{azure:?}"),
        format!("{client:?}"),
    ] {
        assert!(!text.contains("very-secret"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}

#[test]
fn from_provider_knows_every_prefix_and_its_key_variable() {
    let err = instructor::from_provider("groq/llama-3.1-8b").err();
    // Unset key: a clear configuration error naming the variable.
    if std::env::var("GROQ_API_KEY").is_err() {
        assert!(
            matches!(err, Some(Error::Config(ref m)) if m.contains("GROQ_API_KEY")),
            "{err:?}"
        );
    }
    let ollama = instructor::from_provider("ollama/llama3.2").unwrap();
    assert_eq!(ollama.model(), Some("llama3.2"));
    assert_eq!(ollama.provider().name(), "ollama");
    let or = instructor::from_provider("openrouter/anthropic/claude-3.5-sonnet");
    if let Ok(c) = or {
        assert_eq!(c.model(), Some("anthropic/claude-3.5-sonnet"));
    }
    assert!(instructor::from_provider("nope/x").is_err());
    assert!(instructor::from_provider("openai").is_err());
    let _ = Usage::default();
}

#[tokio::test]
async fn the_token_budget_stops_reasking() {
    let bad = r#"{"name":"Jason"}"#;
    let server = serve_chat(vec![
        tool_answer("User", bad, (60, 50)),
        tool_answer("User", GOOD, (60, 50)),
    ])
    .await;
    let error = client(&server)
        .create::<User>(request().max_retries(3).token_budget(100))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::TokenBudgetExceeded {
                budget: 100,
                used: 110
            }
        ),
        "{error:?}"
    );
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn parallel_tools_return_every_call() {
    let server = serve_chat(vec![tool_answer_many(
        &[("User", GOOD), ("User", r#"{"name":"Ivan","age":28}"#)],
        (1, 1),
    )])
    .await;
    let users: Vec<User> = client(&server).create_parallel(request()).await.unwrap();
    assert_eq!(
        users.iter().map(|u| u.age).collect::<Vec<_>>(),
        vec![25, 28]
    );
    let body = &bodies(&server).await[0];
    assert_eq!(body["tool_choice"], "auto");
}

#[tokio::test]
async fn a_parallel_reask_tells_each_call_its_own_error() {
    let ivan = r#"{"name":"Ivan","age":28}"#;
    let server = serve_chat(vec![
        tool_answer_many(
            &[
                ("User", GOOD),
                ("User", r#"{"name":"Jason"}"#),
                ("User", ivan),
            ],
            (1, 1),
        ),
        tool_answer_many(
            &[
                ("User", GOOD),
                ("User", r#"{"name":"Ann","age":30}"#),
                ("User", ivan),
            ],
            (1, 1),
        ),
    ])
    .await;
    let users: Vec<User> = client(&server)
        .create_parallel(request().max_retries(1))
        .await
        .unwrap();
    assert_eq!(
        users.iter().map(|u| u.age).collect::<Vec<_>>(),
        vec![25, 30, 28]
    );
    let second = &bodies(&server).await[1];
    let messages = second["messages"].as_array().unwrap();
    let results: Vec<&str> = messages[messages.len() - 3..]
        .iter()
        .map(|m| {
            assert_eq!(m["role"], "tool");
            m["content"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        results[0],
        "This call is valid; repeat it unchanged alongside the corrected calls."
    );
    assert!(
        results[1].starts_with("Validation Error found:\n") && results[1].contains("age"),
        "{}",
        results[1]
    );
    assert_eq!(
        results[2],
        "This call is valid; repeat it unchanged alongside the corrected calls."
    );
    let ids: Vec<&str> = messages[messages.len() - 3..]
        .iter()
        .map(|m| m["tool_call_id"].as_str().unwrap())
        .collect();
    let calls = messages[messages.len() - 4]["tool_calls"]
        .as_array()
        .unwrap();
    let call_ids: Vec<&str> = calls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, call_ids);
}

#[tokio::test]
async fn parallel_failures_name_each_failing_call() {
    let server = serve_chat(vec![tool_answer_many(
        &[
            ("User", GOOD),
            ("Other", GOOD),
            ("User", r#"{"name":"Jason"}"#),
        ],
        (1, 1),
    )])
    .await;
    let error = client(&server)
        .create_parallel::<User>(request().max_retries(0))
        .await
        .unwrap_err();
    let last = error.last_completion().unwrap();
    assert_eq!(last.tool_calls.len(), 3, "the last attempt's response");
    let Error::RetriesExhausted(details) = error else {
        panic!("{error:?}");
    };
    assert_eq!(
        details.last_completion(),
        Some(&details.attempts[0].completion)
    );
    let instructor::AttemptError::Calls(failures) = &details.attempts[0].error else {
        panic!("{:?}", details.attempts[0].error);
    };
    assert_eq!(
        failures.iter().map(|f| f.index).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(matches!(
        failures[0].error,
        instructor::AttemptError::ToolCall(_)
    ));
    let text = details.attempts[0].error.to_string();
    assert!(
        text.starts_with("tool call 2: called unknown tool `Other`")
            && text.contains("\ntool call 3: "),
        "{text}"
    );
}

// ---- Error predicates and causes over loopback -----------------------------

/// A client with no transport retries, so one failure comes back as it is.
fn no_retry_client(base: &str) -> instructor::Client {
    let provider = OpenAI::new("sk-x")
        .base_url(format!("{base}/v1"))
        .retry_policy(RetryPolicy::none());
    instructor::from_openai(provider)
}

#[tokio::test]
async fn a_refused_connection_is_connect_with_its_cause_in_the_source_chain() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let error = no_retry_client(&format!("http://127.0.0.1:{port}"))
        .create::<User>(request())
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert!(!error.is_timeout() && !error.is_rate_limited(), "{error:?}");
    let mut chain = Vec::new();
    let mut cause = std::error::Error::source(&error);
    while let Some(c) = cause {
        chain.push(c.to_string());
        cause = c.source();
    }
    assert!(!chain.is_empty(), "no source chain: {error:?}");
    let alternate = format!("{error:#}");
    assert!(alternate.starts_with(&error.to_string()), "{alternate}");
    assert!(alternate.len() > error.to_string().len(), "{alternate}");
    assert!(!alternate.contains("sk-x"), "{alternate}");
}

#[tokio::test]
async fn a_hung_server_is_timeout() {
    let server = serve(
        "/v1/chat/completions",
        vec![ok(tool_answer("User", GOOD, (1, 1))).set_delay(Duration::from_secs(5))],
    )
    .await;
    let error = no_retry_client(&server.uri())
        .create::<User>(request().timeout(Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(!error.is_connect() && !error.is_rate_limited(), "{error:?}");
}

#[tokio::test]
async fn a_429_is_rate_limited_with_retry_after_and_request_id() {
    let server = serve(
        "/v1/chat/completions",
        vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .insert_header("x-request-id", "req_abc123")
                .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})),
        ],
    )
    .await;
    let error = no_retry_client(&server.uri())
        .create::<User>(request())
        .await
        .unwrap_err();
    assert!(error.is_rate_limited(), "{error:?}");
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(error.request_id(), Some("req_abc123"));
    assert!(!error.is_timeout() && !error.is_connect(), "{error:?}");
}

// ---- No silent drops: unusable request inputs fail before sending ----------

/// A value whose `Serialize` always fails.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value refuses to serialize"))
    }
}

#[tokio::test]
async fn a_context_that_fails_to_serialize_is_an_error_and_nothing_is_sent() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let error = client(&server)
        .create::<User>(request().context(Unserializable))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("context")),
        "{error:?}"
    );
    let source = std::error::Error::source(&error).expect("the serializer's error");
    assert!(
        source.to_string().contains("refuses to serialize"),
        "{source}"
    );
    assert!(bodies(&server).await.is_empty(), "nothing may be sent");
    // Streaming calls check it too.
    let streamed = client(&server)
        .create_partial::<User>(request().context(Unserializable))
        .await;
    assert!(matches!(streamed, Err(Error::Config(_))), "{streamed:?}");
    assert!(bodies(&server).await.is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn an_extra_body_that_is_not_an_object_is_an_error_and_nothing_is_sent() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    for bad in [json!([1, 2]), json!("seed=1"), json!(7), json!(null)] {
        let error = client(&server)
            .create::<User>(request().extra_body(bad.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains("extra_body") && m.contains("JSON object")),
            "{bad}: {error:?}"
        );
    }
    assert!(bodies(&server).await.is_empty(), "nothing may be sent");
    // An object is still merged.
    let user: User = client(&server)
        .create(request().extra_body(json!({"seed": 1})))
        .await
        .unwrap();
    assert_eq!(user.age, 25);
    assert_eq!(bodies(&server).await[0]["seed"], 1);
}
