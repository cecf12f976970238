//! Bring your own HTTP client: every provider (OpenAI, an OpenAI-compatible preset,
//! Azure OpenAI, Anthropic, Gemini) sends through a caller's `reqwest::Client` (its
//! default header arrives), and every request carries `User-Agent:
//! instructor-rs/<version>` unless the caller set one.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking on what it did not expect"
)]

use instructor::prelude::*;
use instructor::providers::{AzureOpenAI, OpenAI, RetryPolicy, USER_AGENT};
use instructor::reqwest;
use serde::{Deserialize, Serialize};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request as Received, ResponseTemplate};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

/// The header only the caller's client sends.
const TAG: &str = "x-proxy-tag";

/// A caller's client: its own default header, pool settings, no proxy lookup.
fn callers_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        TAG,
        reqwest::header::HeaderValue::from_static("from-my-client"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(1)
        .no_proxy()
        .build()
        .unwrap()
}

/// A server that answers every POST with a 400, recording what arrived.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    server
}

/// Sends one call through `client` and returns the request the server received.
async fn one_request(client: Client, server: &MockServer) -> Received {
    let error = client
        .create::<User>(Request::new("m").user("Jason is 25").max_retries(0))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error:?}");
    let mut received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    received.remove(0)
}

fn header<'a>(request: &'a Received, name: &str) -> Option<&'a str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Every provider, pointed at `server`, with or without the caller's client.
fn every_provider(server: &MockServer, own_client: bool) -> Vec<(&'static str, Client)> {
    let uri = server.uri();
    let http = || own_client.then(callers_client);
    let openai = |p: OpenAI| {
        match http() {
            Some(c) => p.with_http_client(c),
            None => p,
        }
        .retry_policy(RetryPolicy::none())
    };
    let mut clients = vec![
        (
            "openai",
            instructor::from_openai(openai(OpenAI::new("sk").base_url(format!("{uri}/v1")))),
        ),
        (
            "groq preset",
            instructor::from_openai(openai(
                OpenAI::for_service("groq", Some("gsk".into()), Some(format!("{uri}/v1"))).unwrap(),
            )),
        ),
    ];
    let azure = AzureOpenAI::new(&uri, "az", "2024-10-21");
    let azure = match http() {
        Some(c) => azure.with_http_client(c),
        None => azure,
    };
    clients.push((
        "azure",
        instructor::from_openai(OpenAI::from(azure).retry_policy(RetryPolicy::none())),
    ));
    #[cfg(feature = "anthropic")]
    {
        let anthropic = instructor::providers::Anthropic::new("sk-ant").base_url(&uri);
        let anthropic = match http() {
            Some(c) => anthropic.with_http_client(c),
            None => anthropic,
        };
        clients.push((
            "anthropic",
            instructor::from_anthropic(anthropic.retry_policy(RetryPolicy::none())),
        ));
    }
    #[cfg(feature = "gemini")]
    {
        let gemini = instructor::providers::Gemini::new("AIza").base_url(format!("{uri}/v1beta"));
        let gemini = match http() {
            Some(c) => gemini.with_http_client(c),
            None => gemini,
        };
        clients.push((
            "gemini",
            instructor::from_gemini(gemini.retry_policy(RetryPolicy::none())),
        ));
    }
    clients
}

#[tokio::test]
async fn every_request_names_the_library_in_its_user_agent() {
    assert_eq!(
        USER_AGENT,
        concat!("instructor-rs/", env!("CARGO_PKG_VERSION"))
    );
    for own_client in [false, true] {
        let server = server().await;
        for (name, client) in every_provider(&server, own_client) {
            server.reset().await;
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(400))
                .mount(&server)
                .await;
            let received = one_request(client, &server).await;
            assert_eq!(
                header(&received, "user-agent"),
                Some(USER_AGENT),
                "{name} (own client: {own_client})"
            );
            // Only the caller's client adds its default header.
            let tag = header(&received, TAG);
            assert_eq!(
                tag,
                own_client.then_some("from-my-client"),
                "{name} (own client: {own_client})"
            );
        }
    }
}

#[tokio::test]
async fn a_user_agent_the_caller_set_wins() {
    let server = server().await;
    let provider = OpenAI::new("sk")
        .base_url(format!("{}/v1", server.uri()))
        .with_http_client(callers_client())
        .header("User-Agent", "my-app/2.0")
        .retry_policy(RetryPolicy::none());
    let received = one_request(instructor::from_openai(provider), &server).await;
    let agents: Vec<_> = received.headers.get_all("user-agent").iter().collect();
    assert_eq!(agents, ["my-app/2.0"]);

    // Set on the request instead, in another case.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    let client = instructor::from_openai(
        OpenAI::new("sk")
            .base_url(format!("{}/v1", server.uri()))
            .retry_policy(RetryPolicy::none()),
    );
    client
        .create::<User>(
            Request::new("m")
                .user("x")
                .header("user-AGENT", "batch-job/1")
                .max_retries(0),
        )
        .await
        .unwrap_err();
    let received = server.received_requests().await.unwrap();
    assert_eq!(header(&received[0], "user-agent"), Some("batch-job/1"));
}

#[test]
fn the_reqwest_reexport_is_the_providers_reqwest() {
    // Compiles only when `instructor::reqwest::Client` is the type providers take.
    let client: reqwest::Client = instructor::reqwest::Client::new();
    let provider = OpenAI::new("sk").with_http_client(client);
    assert!(format!("{provider:?}").contains("caller's reqwest::Client"));
}
