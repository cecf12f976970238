//! Gemini's `generateContent` API over real HTTP on loopback: the exact request body
//! of every mode (snapshot), the URL and the `x-goog-api-key` header, typed results,
//! reasks in Gemini's shapes (`functionCall` echoed with its `thoughtSignature`, then
//! `functionResponse` with an error), usage, truncation, blocked content, and typed
//! errors (a bad key is a 400 not retried; a 429's `retryDelay` is honoured).
//! Streaming is in `provider_gemini_stream.rs`.
#![cfg(feature = "gemini")]

use crate::common::person::{BAD, GOOD, IVAN, User, user};
use std::time::{Duration, Instant};

use crate::common::{bodies, serve};
use instructor::prelude::*;
use instructor::providers::{Gemini, RetryPolicy, SchemaField};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

const MODEL: &str = "gemini-1.5-flash-latest";
const ROUTE: &str = "/v1beta/models/gemini-1.5-flash-latest:generateContent";
const KEY: &str = "AIza-test-secret";

/// A client for a server at `root` (the Gemini base URL is `{root}/v1beta`).
fn gemini(root: &str) -> Gemini {
    Gemini::new(KEY)
        .base_url(format!("{}/v1beta", root.trim_end_matches("/v1")))
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(1),
            Duration::from_secs(2),
        ))
}

fn client(root: &str) -> Client {
    instructor::from_gemini(gemini(root)).with_model(MODEL)
}

/// A `GenerateContentResponse`.
fn response(parts: Value, finish: &str, usage: (u64, u64)) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish,
            "index": 0, "safetyRatings": []}],
        "usageMetadata": {"promptTokenCount": usage.0, "candidatesTokenCount": usage.1,
            "totalTokenCount": usage.0 + usage.1},
        "modelVersion": MODEL, "responseId": "resp_01"})
}

fn call_part(name: &str, args: &str) -> Value {
    json!({"functionCall": {"name": name, "args": serde_json::from_str::<Value>(args).unwrap()}})
}

/// What the model answers in `mode` when it means `json`.
fn answer(mode: Mode, json: &str, usage: (u64, u64)) -> Value {
    match mode {
        Mode::GeminiTools => {
            let mut call = call_part("User", json);
            call["thoughtSignature"] = json!("c2lnbmF0dXJl");
            let thought = json!({"text": "The user is Jason.", "thought": true});
            response(json!([thought, call]), "STOP", usage)
        }
        Mode::ParallelTools => response(
            json!([call_part("User", json), call_part("User", IVAN)]),
            "STOP",
            usage,
        ),
        // JSON text may arrive split across parts.
        Mode::GeminiJson => {
            let (a, b) = json.split_at(9);
            response(json!([{"text": a}, {"text": b}]), "STOP", usage)
        }
        _ => response(
            json!([{"text": format!("```json\n{json}\n```")}]),
            "STOP",
            usage,
        ),
    }
}

const MODES: [Mode; 4] = [
    Mode::GeminiTools,
    Mode::GeminiJson,
    Mode::MdJson,
    Mode::ParallelTools,
];

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

async fn call(client: &Client, mode: Mode, request: Request) -> instructor::Result<Vec<User>> {
    if mode == Mode::ParallelTools {
        client.create_parallel::<User>(request).await
    } else {
        client.create::<User>(request).await.map(|u| vec![u])
    }
}

#[tokio::test]
async fn every_mode_sends_its_request_shape_to_its_url_and_returns_a_typed_value() {
    let cases = MODES
        .iter()
        .map(|&m| (m, SchemaField::JsonSchema, m.name().to_owned()))
        .chain([(
            Mode::GeminiJson,
            SchemaField::OpenApi,
            "gemini_json_openapi".to_owned(),
        )]);
    for (mode, field, label) in cases {
        let server = serve_answers(vec![answer(mode, GOOD, (10, 5))]).await;
        let provider = gemini(&server.uri()).schema_field(field);
        let client = instructor::from_gemini(provider)
            .try_with_mode(mode)
            .unwrap();
        // The model may be named with its `models/` prefix, as the Python SDK does.
        let mut request = request().max_tokens(1024).temperature(0.0);
        request.model = format!("models/{MODEL}");
        let users = call(&client, mode, request)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let mut expected = vec![user("Jason", 25)];
        if mode == Mode::ParallelTools {
            expected.push(user("Ivan", 28));
        }
        assert_eq!(users, expected, "{label}");
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), 1, "{label}");
        let r = &received[0];
        assert_eq!(r.url.path(), ROUTE);
        assert_eq!(r.url.query(), None, "{label}: the key is never in the URL");
        assert_eq!(r.headers.get("x-goog-api-key").unwrap(), KEY);
        assert!(r.headers.get("authorization").is_none());
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["contents"][0]["role"], "user");
        assert_eq!(body["generationConfig"]["maxOutputTokens"], 1024);
        assert!(
            body["systemInstruction"]["parts"][0]["text"]
                .as_str()
                .unwrap()
                .starts_with("Extract the user.")
        );
        insta::assert_json_snapshot!(format!("request_{label}"), body);
    }
}

#[test]
fn core_modes_resolve_to_gemini_modes() {
    let client = client("http://127.0.0.1:9");
    assert_eq!(client.mode(), Mode::GeminiTools, "the default");
    for (mode, resolved) in [
        (Mode::Tools, Mode::GeminiTools),
        (Mode::Json, Mode::GeminiJson),
        (Mode::JsonSchema, Mode::GeminiJson),
        (Mode::MdJson, Mode::MdJson),
        (Mode::ParallelTools, Mode::ParallelTools),
    ] {
        assert_eq!(client.clone().with_mode(mode).mode(), resolved, "{mode}");
    }
}

#[tokio::test]
async fn every_mode_reasks_in_geminis_shape() {
    for mode in MODES {
        let server = serve_answers(vec![
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
            "{mode}: {second}"
        );
        // Consecutive messages of one role are one content: in JSON modes the reask
        // text joins the user's turn.
        let contents = bodies[1]["contents"].as_array().unwrap();
        let roles: Vec<&str> = contents
            .iter()
            .map(|c| c["role"].as_str().unwrap())
            .collect();
        let reask: Vec<Value> = contents[1..].to_vec();
        match mode {
            Mode::GeminiTools | Mode::ParallelTools => {
                // The model's call(s), then one functionResponse with the error per call.
                assert_eq!(reask.len(), 2, "{reask:?}");
                assert_eq!(reask[0]["role"], "model");
                assert_eq!(
                    reask[0]["parts"][0]["functionCall"]["args"],
                    json!({"name": "J", "age": 25})
                );
                assert_eq!(reask[1]["role"], "user");
                let calls = reask[0]["parts"].as_array().unwrap().len();
                let answers = reask[1]["parts"].as_array().unwrap();
                assert_eq!(answers.len(), calls, "{mode}: every call answered");
                for (part, call) in answers.iter().zip(reask[0]["parts"].as_array().unwrap()) {
                    assert_eq!(part["functionResponse"]["name"], "User");
                    let response = &part["functionResponse"]["response"];
                    // Only the failing call gets an error; a valid one is told so.
                    if call["functionCall"]["args"]["name"] == "J" {
                        let error = response["error"].as_str().unwrap();
                        assert!(error.starts_with("Validation Error found:\n"), "{error}");
                    } else {
                        assert!(response.get("error").is_none(), "{response}");
                        assert!(response["result"].as_str().unwrap().contains("valid"));
                    }
                }
            }
            Mode::GeminiJson => {
                assert_eq!(roles, ["user"], "Python's shape: no model turn");
                let text = contents[0]["parts"][1]["text"].as_str().unwrap();
                assert!(text.starts_with(&format!(
                    "Correct the following JSON response, based on the errors given below:\n\nJSON:\n{BAD}\n\nExceptions:\n"
                )), "{text}");
            }
            _ => {
                assert_eq!(roles, ["user", "model", "user"]);
                assert_eq!(reask[0]["parts"][0]["text"], format!("```json\n{BAD}\n```"));
            }
        }
        insta::assert_json_snapshot!(format!("reask_{}", mode.name()), contents);
    }
}

#[tokio::test]
async fn the_thought_signature_goes_back_with_the_echoed_call() {
    let server = serve_answers(vec![
        answer(Mode::GeminiTools, BAD, (1, 1)),
        answer(Mode::GeminiTools, GOOD, (1, 1)),
    ])
    .await;
    let (_, completion) = client(&server.uri())
        .create_with_completion::<User>(request().max_retries(1))
        .await
        .unwrap();
    let echoed = &bodies(&server).await[1]["contents"][1]["parts"][0];
    assert_eq!(echoed["thoughtSignature"], "c2lnbmF0dXJl");
    assert_eq!(echoed["functionCall"]["name"], "User");
    assert!(
        completion.last.text.is_none(),
        "thought parts are not the answer"
    );
}

#[tokio::test]
async fn a_malformed_function_call_is_reasked() {
    let malformed = json!({"candidates": [{"content": {}, "finishReason": "MALFORMED_FUNCTION_CALL",
        "finishMessage": "Malformed function call: print(default_api.User(name='Jason', age=25",
        "index": 0}], "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}});
    let server = serve_answers(vec![malformed, answer(Mode::GeminiTools, GOOD, (9, 5))]).await;
    let (user, completion) = client(&server.uri())
        .create_with_completion::<User>(request().max_retries(1))
        .await
        .unwrap();
    assert_eq!(user, self::user("Jason", 25));
    assert_eq!(completion.attempts, 2);
    let second = &bodies(&server).await[1];
    for content in second["contents"].as_array().unwrap() {
        assert!(
            content["parts"].as_array().is_some_and(|p| !p.is_empty()),
            "a content without parts is rejected by the API: {second}"
        );
    }
    // The answer without content is left out, so the reask joins the user's turn.
    let contents = second["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 1, "{second}");
    let reask = contents[0]["parts"][1]["text"].as_str().unwrap();
    assert!(reask.contains("no tool was called; call `User`"), "{reask}");
}

#[tokio::test]
async fn usage_metadata_is_read_and_summed_over_attempts() {
    let mut first = answer(Mode::GeminiTools, BAD, (0, 0));
    first["usageMetadata"] = json!({"promptTokenCount": 100, "candidatesTokenCount": 20,
        "thoughtsTokenCount": 45, "cachedContentTokenCount": 60, "totalTokenCount": 165,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}]});
    let server = serve_answers(vec![first, answer(Mode::GeminiTools, GOOD, (110, 10))]).await;
    let (_, completion) = client(&server.uri())
        .create_with_completion::<User>(request().max_retries(1))
        .await
        .unwrap();
    let u = completion.usage();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (210, 75, 285)
    );
    assert_eq!((u.cached_tokens, u.reasoning_tokens), (60, 45));
    assert_eq!(completion.raw()["responseId"], "resp_01");
}

#[tokio::test]
async fn max_tokens_is_truncation_and_blocks_are_content_filtered() {
    let cut = r#"{"name": "Jas"#;
    let blocked = json!({"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8}});
    let server = serve_answers(vec![
        response(json!([{"text": cut}]), "MAX_TOKENS", (10, 1024)),
        blocked,
        response(json!([]), "SAFETY", (8, 0)),
        response(json!([{"text": "{"}]), "PROHIBITED_CONTENT", (8, 1)),
    ])
    .await;
    let client = client(&server.uri()).with_mode(Mode::GeminiJson);
    match client.create::<User>(request()).await {
        Err(Error::Truncated { partial, usage, .. }) => {
            assert_eq!(partial, cut);
            assert_eq!(usage.completion_tokens, 1024);
        }
        other => panic!("{other:?}"),
    }
    match client.create::<User>(request()).await {
        Err(Error::ContentFiltered { usage, .. }) => assert_eq!(usage.prompt_tokens, 8),
        other => panic!("{other:?}"),
    }
    for _ in 0..2 {
        let result = client.create::<User>(request()).await;
        assert!(
            matches!(result, Err(Error::ContentFiltered { .. })),
            "{result:?}"
        );
    }
    assert_eq!(bodies(&server).await.len(), 4, "none of these is reasked");
}

fn google_error(code: u16, status: &str, message: &str, details: Value) -> Value {
    json!({"error": {"code": code, "message": message, "status": status, "details": details}})
}

#[tokio::test]
async fn a_bad_key_is_a_400_that_is_not_retried() {
    let body = google_error(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
            "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}]),
    );
    let server = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(400).set_body_json(body),
            ResponseTemplate::new(200).set_body_json(answer(Mode::GeminiTools, GOOD, (1, 1))),
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
    assert_eq!(http.kind.as_deref(), Some("INVALID_ARGUMENT"));
    assert_eq!(http.code.as_deref(), Some("API_KEY_INVALID"));
    assert_eq!(
        http.message,
        "API key not valid. Please pass a valid API key."
    );
    assert!(
        !format!("{error} {error:?}").contains(KEY),
        "the key never prints"
    );
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_429_retry_delay_is_honoured_then_succeeds() {
    let body = google_error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota.",
        json!([{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.2s"}]),
    );
    // An error may also come wrapped in an array.
    let unavailable = json!([google_error(
        503,
        "UNAVAILABLE",
        "The model is overloaded.",
        json!([])
    )]);
    let server = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(429).set_body_json(body),
            ResponseTemplate::new(503).set_body_json(unavailable),
            ResponseTemplate::new(200).set_body_json(answer(Mode::GeminiTools, GOOD, (1, 1))),
        ],
    )
    .await;
    let started = Instant::now();
    let user: User = client(&server.uri()).create(request()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(user, self::user("Jason", 25));
    assert_eq!(bodies(&server).await.len(), 3, "a 429 and a 503 retried");
}

#[tokio::test]
async fn an_unsupported_mode_is_a_config_error_naming_the_supported_modes() {
    let server = serve_answers(vec![]).await;
    for mode in [
        Mode::Functions,
        Mode::ResponsesTools,
        Mode::AnthropicTools,
        Mode::ToolsStrict,
    ] {
        let error = client(&server.uri()).try_with_mode(mode).unwrap_err();
        let Error::Config(text) = &error else {
            panic!("{error:?}")
        };
        assert!(text.contains(&format!("{mode:?}")), "{text}");
        assert!(
            text.contains("GeminiTools, GeminiJson, MdJson, ParallelTools"),
            "{text}"
        );
    }
    let result = client(&server.uri())
        .with_mode(Mode::Functions)
        .create::<User>(request())
        .await;
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
    assert!(bodies(&server).await.is_empty());
}

#[test]
fn from_provider_and_secrets() {
    let key_set = ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|k| !k.trim().is_empty()));
    for spec in [
        "google/gemini-1.5-flash-latest",
        "gemini/gemini-1.5-flash-latest",
    ] {
        let result = instructor::from_provider(spec);
        if key_set {
            let client = result.unwrap();
            assert_eq!(client.provider().name(), "gemini");
            assert_eq!(client.model(), Some(MODEL));
            assert_eq!(client.mode(), Mode::GeminiTools);
        } else {
            let error = result.err();
            assert!(
                matches!(&error, Some(Error::Config(m)) if m.contains("GEMINI_API_KEY") && m.contains("GOOGLE_API_KEY")),
                "{error:?}"
            );
        }
    }
    for bad in ["vertex/gemini-pro", "googl/gemini", "google", "google/"] {
        let error = instructor::from_provider(bad).err();
        assert!(matches!(error, Some(Error::Config(_))), "{bad}: {error:?}");
    }
    let provider = Gemini::new("AIza-very-secret");
    let client = instructor::from_gemini(provider.clone());
    for text in [format!("{provider:?}"), format!("{client:?}")] {
        assert!(!text.contains("very-secret"), "{text}");
    }
}
