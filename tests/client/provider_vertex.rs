//! Vertex AI over real HTTP on loopback, with a local token endpoint that verifies
//! the service account's signed assertion (`tests/common/vertex.rs`): the regional
//! URL and the bearer token, the exact Gemini body of every mode (snapshot), reasks
//! in Gemini's shapes, one token for many calls (concurrent ones too), a refresh
//! when the token is about to expire, a 401 (not retried, its token dropped) and a
//! 429 (retried), Claude on Vertex (`rawPredict`, `anthropic_version`, no `model`),
//! no batch engine, and `from_provider("vertexai/..")` reading the environment.
//! Credentials flows are in `provider_vertex_auth.rs`, streams in
//! `provider_vertex_stream.rs`.
#![cfg(feature = "vertexai")]

use crate::common::person::{BAD, GOOD, IVAN, User, user};
use std::time::Duration;

use crate::common::vertex::{PROJECT, TokenEndpoint};
use crate::common::{bodies, serve};
use instructor::prelude::*;
use instructor::providers::{GoogleCredentials, Publisher, RetryPolicy, VertexAI};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

const MODEL: &str = "gemini-2.5-flash";
const ROUTE: &str = "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent";
const CLAUDE: &str = "claude-sonnet-4@20250514";
const CLAUDE_ROUTE: &str = "/v1/projects/test-project/locations/us-central1/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict";

/// A Vertex client for the API at `root` with `credentials`.
fn vertex(root: &str, credentials: GoogleCredentials) -> VertexAI {
    VertexAI::new(credentials)
        .base_url(root)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(1),
            Duration::from_secs(2),
        ))
}

fn client(root: &str, credentials: GoogleCredentials) -> Client {
    instructor::from_vertexai(vertex(root, credentials)).with_model(MODEL)
}

/// A `GenerateContentResponse` as Vertex sends it.
fn response(parts: Value, finish: &str, usage: (u64, u64)) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish}],
        "usageMetadata": {"promptTokenCount": usage.0, "candidatesTokenCount": usage.1,
            "totalTokenCount": usage.0 + usage.1, "trafficType": "ON_DEMAND"},
        "modelVersion": MODEL, "createTime": "2025-06-01T10:00:00.000000Z", "responseId": "vx_01"})
}

fn call_part(args: &str) -> Value {
    json!({"functionCall": {"name": "User", "args": serde_json::from_str::<Value>(args).unwrap()}})
}

/// What the model answers in `mode` when it means `json`.
fn answer(mode: Mode, json: &str, usage: (u64, u64)) -> Value {
    match mode {
        Mode::GeminiTools => response(json!([call_part(json)]), "STOP", usage),
        Mode::ParallelTools => response(json!([call_part(json), call_part(IVAN)]), "STOP", usage),
        Mode::GeminiJson => response(json!([{"text": json}]), "STOP", usage),
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

async fn serve_answers(route: &str, answers: Vec<Value>) -> MockServer {
    let answers = answers
        .into_iter()
        .map(|a| ResponseTemplate::new(200).set_body_json(a))
        .collect();
    serve(route, answers).await
}

fn request() -> Request {
    request_for(MODEL)
}

fn request_for(model: &str) -> Request {
    Request::new(model)
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

/// The bearer tokens the API received, in order.
async fn tokens(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn every_mode_sends_its_request_shape_with_one_cached_token() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let credentials = tokens_at.credentials();
    for mode in MODES {
        let server = serve_answers(ROUTE, vec![answer(mode, GOOD, (10, 5))]).await;
        let client = client(&server.uri(), credentials.clone())
            .try_with_mode(mode)
            .unwrap();
        let users = call(&client, mode, request().max_tokens(1024))
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
        assert_eq!(tokens(&server).await, ["Bearer ya29.test-token-1"]);
        let body: Value = serde_json::from_slice(&received[0].body).unwrap();
        assert_eq!(body["contents"][0]["role"], "user", "Vertex requires roles");
        insta::assert_json_snapshot!(format!("vertex_request_{}", mode.name()), body);
    }
    assert_eq!(tokens_at.issued(), 1, "one token for every call");
    assert!(
        tokens_at.refusals().is_empty(),
        "{:?}",
        tokens_at.refusals()
    );
}

#[tokio::test]
async fn every_mode_reasks_in_geminis_shape() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    for mode in MODES {
        let server = serve_answers(
            ROUTE,
            vec![answer(mode, BAD, (10, 5)), answer(mode, GOOD, (12, 6))],
        )
        .await;
        let client = client(&server.uri(), tokens_at.credentials()).with_mode(mode);
        let (users, completion) = if mode == Mode::ParallelTools {
            let users = call(&client, mode, request().max_retries(1)).await.unwrap();
            (users, None)
        } else {
            let (user, completion) = client
                .create_with_completion::<User>(request().max_retries(1))
                .await
                .unwrap();
            (vec![user], Some(completion))
        };
        assert_eq!(users[0], user("Jason", 25), "{mode}");
        if let Some(completion) = completion {
            let u = completion.usage();
            assert_eq!((u.prompt_tokens, u.completion_tokens), (22, 11), "{mode}");
        }
        let bodies = bodies(&server).await;
        assert_eq!(bodies.len(), 2, "{mode}");
        assert!(
            bodies[1]
                .to_string()
                .contains("name: must be at least 2 characters long (got 1)"),
            "{mode}"
        );
        insta::assert_json_snapshot!(
            format!("vertex_reask_{}", mode.name()),
            bodies[1]["contents"]
        );
    }
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let server = serve_answers(ROUTE, vec![answer(Mode::GeminiTools, GOOD, (1, 1)); 8]).await;
    let client = client(&server.uri(), tokens_at.credentials());
    let calls = (0..8).map(|_| {
        let client = client.clone();
        async move { client.create::<User>(request()).await }
    });
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap(), user("Jason", 25));
    }
    assert_eq!(tokens_at.issued(), 1, "one refresh at a time, shared");
    assert_eq!(tokens(&server).await, vec!["Bearer ya29.test-token-1"; 8]);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_then_reused() {
    // The first token lives 30 s, inside the refresh margin: the next call gets a
    // new one, which lives an hour and is reused.
    let tokens_at = TokenEndpoint::start(&[30, 3600]).await;
    let server = serve_answers(ROUTE, vec![answer(Mode::GeminiTools, GOOD, (1, 1)); 3]).await;
    let client = client(&server.uri(), tokens_at.credentials());
    for _ in 0..3 {
        let _: User = client.create(request()).await.unwrap();
    }
    assert_eq!(tokens_at.issued(), 2);
    assert_eq!(
        tokens(&server).await,
        [
            "Bearer ya29.test-token-1",
            "Bearer ya29.test-token-2",
            "Bearer ya29.test-token-2"
        ]
    );
}

#[tokio::test]
async fn a_token_is_refreshed_once_its_lifetime_has_passed() {
    // 61 s is one second past the refresh margin: valid now, stale a second later.
    let tokens_at = TokenEndpoint::start(&[61, 3600]).await;
    let server = serve_answers(ROUTE, vec![answer(Mode::GeminiTools, GOOD, (1, 1)); 3]).await;
    let client = client(&server.uri(), tokens_at.credentials());
    let _: User = client.create(request()).await.unwrap();
    let _: User = client.create(request()).await.unwrap();
    assert_eq!(tokens_at.issued(), 1, "still fresh");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let _: User = client.create(request()).await.unwrap();
    assert_eq!(tokens_at.issued(), 2, "refreshed after its time");
}

fn google_error(code: u16, status: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status}})
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_drops_the_token() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let server = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(401).set_body_json(google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
            )),
            ResponseTemplate::new(200).set_body_json(answer(Mode::GeminiTools, GOOD, (1, 1))),
        ],
    )
    .await;
    let client = client(&server.uri(), tokens_at.credentials());
    let error = client.create::<User>(request()).await.unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(http.status, 401);
    assert_eq!(http.kind.as_deref(), Some("UNAUTHENTICATED"));
    assert_eq!(bodies(&server).await.len(), 1, "a 401 is not retried");
    assert!(!format!("{error:?} {error}").contains("ya29."), "{error:?}");
    // The refused token is dropped: the next call gets a new one.
    let _: User = client.create(request()).await.unwrap();
    assert_eq!(tokens_at.issued(), 2);
    assert_eq!(
        tokens(&server).await,
        ["Bearer ya29.test-token-1", "Bearer ya29.test-token-2"]
    );
}

#[tokio::test]
async fn too_many_requests_is_retried_with_the_same_token() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let server = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(429).set_body_json(google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Resource exhausted. Please try again later.",
            )),
            ResponseTemplate::new(200).set_body_json(answer(Mode::GeminiTools, GOOD, (1, 1))),
        ],
    )
    .await;
    let user: User = client(&server.uri(), tokens_at.credentials())
        .create(request())
        .await
        .unwrap();
    assert_eq!(user, self::user("Jason", 25));
    assert_eq!(tokens(&server).await, vec!["Bearer ya29.test-token-1"; 2]);
    assert_eq!(tokens_at.issued(), 1);
}

/// A Messages API answer as Claude on Vertex sends it.
fn claude_answer(input: &str) -> Value {
    json!({"id": "msg_vrtx_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
        "content": [{"type": "tool_use", "id": "toolu_vrtx_01", "name": "User",
            "input": serde_json::from_str::<Value>(input).unwrap()}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 20, "output_tokens": 9}})
}

#[tokio::test]
async fn claude_on_vertex_uses_raw_predict_with_the_vertex_anthropic_version() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let server = serve_answers(CLAUDE_ROUTE, vec![claude_answer(BAD), claude_answer(GOOD)]).await;
    let provider = vertex(&server.uri(), tokens_at.credentials()).publisher(Publisher::Anthropic);
    let client = instructor::from_vertexai(provider).with_model(CLAUDE);
    assert_eq!(client.mode(), Mode::AnthropicTools, "the default");
    let (user, completion) = client
        .create_with_completion::<User>(request_for(CLAUDE).max_retries(1))
        .await
        .unwrap();
    assert_eq!(user, self::user("Jason", 25));
    assert_eq!(completion.usage().prompt_tokens, 40);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].url.path(), CLAUDE_ROUTE);
    assert!(received[0].headers.get("x-api-key").is_none());
    assert!(received[0].headers.get("anthropic-version").is_none());
    assert_eq!(tokens(&server).await, vec!["Bearer ya29.test-token-1"; 2]);
    let bodies = bodies(&server).await;
    assert_eq!(bodies[0]["anthropic_version"], "vertex-2023-10-16");
    assert!(bodies[0].get("model").is_none(), "the model is in the URL");
    assert_eq!(bodies[1]["messages"][1]["content"][0]["type"], "tool_use");
    assert_eq!(
        bodies[1]["messages"][2]["content"][0]["type"],
        "tool_result"
    );
    insta::assert_json_snapshot!("vertex_claude_request_tools", bodies[0]);
}

#[tokio::test]
async fn claude_on_vertex_modes() {
    let claude = instructor::from_vertexai(
        VertexAI::new(GoogleCredentials::access_token("ya29.fixed"))
            .publisher(Publisher::Anthropic),
    );
    for (mode, resolved) in [
        (Mode::Tools, Mode::AnthropicTools),
        (Mode::Json, Mode::AnthropicJson),
        (Mode::MdJson, Mode::AnthropicJson),
        (Mode::ParallelTools, Mode::ParallelTools),
    ] {
        assert_eq!(claude.clone().with_mode(mode).mode(), resolved, "{mode}");
    }
    let refused = claude.clone().try_with_mode(Mode::JsonSchema).unwrap_err();
    assert!(matches!(refused, Error::Config(_)), "{refused:?}");
    let gemini = instructor::from_vertexai(VertexAI::new(GoogleCredentials::access_token("t")));
    assert_eq!(gemini.mode(), Mode::GeminiTools);
    assert!(gemini.try_with_mode(Mode::AnthropicTools).is_err());
    assert_eq!(
        Publisher::for_model("claude-opus-4@20250514"),
        Publisher::Anthropic
    );
    assert_eq!(Publisher::for_model("gemini-2.5-pro"), Publisher::Google);
}

#[test]
fn the_endpoint_follows_the_location() {
    let credentials = GoogleCredentials::access_token("t");
    let at = |location: &str| VertexAI::new(credentials.clone()).location(location).url();
    assert_eq!(
        at("us-central1"),
        "https://us-central1-aiplatform.googleapis.com"
    );
    assert_eq!(
        at("europe-west4"),
        "https://europe-west4-aiplatform.googleapis.com"
    );
    assert_eq!(at("global"), "https://aiplatform.googleapis.com");
    let local = VertexAI::new(credentials).base_url("http://127.0.0.1:9/v1/");
    assert_eq!(local.url(), "http://127.0.0.1:9");
}

#[tokio::test]
async fn a_fixed_token_and_the_global_location() {
    let server = serve_answers(
        "/v1/projects/p1/locations/global/publishers/google/models/gemini-2.5-flash:generateContent",
        vec![answer(Mode::GeminiTools, GOOD, (1, 1))],
    )
    .await;
    let provider = vertex(
        &server.uri(),
        GoogleCredentials::access_token("ya29.fixed-token"),
    )
    .project("p1")
    .location("global");
    let user: User = instructor::from_vertexai(provider)
        .with_model(MODEL)
        .create(request())
        .await
        .unwrap();
    assert_eq!(user, self::user("Jason", 25));
    assert_eq!(tokens(&server).await, ["Bearer ya29.fixed-token"]);
}

#[tokio::test]
async fn vertex_has_no_batch_engine() {
    let client = client("http://127.0.0.1:9", GoogleCredentials::access_token("t"));
    let error = client.batch::<User>().list().await.unwrap_err();
    assert!(
        matches!(&error, Error::Batch(_) if error.to_string().contains("vertexai")),
        "{error:?}"
    );
}

#[tokio::test]
async fn no_project_is_a_config_error_naming_the_variable() {
    let credentials = GoogleCredentials::from_json(
        &json!({"type": "authorized_user", "client_id": "c", "client_secret": "s",
            "refresh_token": "r"})
        .to_string(),
    )
    .unwrap();
    let client =
        instructor::from_vertexai(VertexAI::new(credentials).base_url("http://127.0.0.1:9"))
            .with_model(MODEL);
    // The project is looked at before any token is asked for.
    let error = client.create::<User>(request()).await.unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("GOOGLE_CLOUD_PROJECT")),
        "{error:?}"
    );
}

/// Set for the child process of [`from_provider_reads_the_google_environment`].
const CHILD: &str = "INSTRUCTOR_TEST_VERTEX_CHILD";

#[tokio::test]
async fn from_provider_reads_the_google_environment() {
    // The variables are set for a child run of this binary, never in this process.
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let server = MockServer::start().await;
    let route = ROUTE.replace("us-central1", "europe-west4");
    let claude = CLAUDE_ROUTE.replace("us-central1", "europe-west4");
    for (route, answer) in [
        (route.as_str(), answer(Mode::GeminiTools, GOOD, (1, 1))),
        (claude.as_str(), claude_answer(GOOD)),
    ] {
        wiremock::Mock::given(wiremock::matchers::path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(&server)
            .await;
    }
    let dir = std::env::temp_dir().join(format!("instructor-vertex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("service-account.json");
    std::fs::write(&key_file, tokens_at.service_account_json()).unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "provider_vertex::from_provider_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("GOOGLE_APPLICATION_CREDENTIALS", &key_file)
        .env("GOOGLE_CLOUD_PROJECT", PROJECT)
        .env("GOOGLE_CLOUD_LOCATION", "europe-west4")
        .env("GOOGLE_VERTEX_BASE_URL", format!("{}/v1", server.uri()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let received = server.received_requests().await.unwrap();
    let paths: Vec<&str> = received.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, [route.as_str(), claude.as_str()]);
    assert_eq!(tokens_at.issued(), 2, "one token per client (process)");
    assert!(
        tokens_at.refusals().is_empty(),
        "{:?}",
        tokens_at.refusals()
    );
}

/// Run by [`from_provider_reads_the_google_environment`] with the variables set.
#[tokio::test]
#[ignore = "run as a child process with the Google variables set"]
async fn from_provider_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let gemini = instructor::from_provider(&format!("vertexai/{MODEL}")).unwrap();
    assert_eq!(gemini.provider().name(), "vertexai");
    assert_eq!(gemini.mode(), Mode::GeminiTools);
    let user: User = gemini.create(request()).await.unwrap();
    assert_eq!(user, self::user("Jason", 25));
    let claude = instructor::from_provider(&format!("vertexai/{CLAUDE}")).unwrap();
    assert_eq!(claude.mode(), Mode::AnthropicTools);
    let user: User = claude.create(request_for(CLAUDE)).await.unwrap();
    assert_eq!(user, self::user("Jason", 25));
}
