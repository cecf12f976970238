//! Secrets never print: every public type that holds a key or a header — providers
//! (keys through `ApiKey` and through `.header(..)`), clients, `Request`, the
//! `ProviderRequest` a provider receives, errors (a server echoing the key back, a
//! key in a URL's query) and every hook payload — printed with `{:?}`, `{:#?}` and
//! `{}` where implemented, contains none of the keys.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking on what it did not expect"
)]

use std::fmt::{Debug, Display};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::common::{serve, tool_answer};
use instructor::prelude::*;
use instructor::provider::{Provider, ProviderRequest};
use instructor::providers::{ApiKey, AzureOpenAI, OpenAI, RetryPolicy};
use instructor::{Completion, Header, HookPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

/// Through the `ApiKey` path (`OpenAI::new(key)`, ...).
const API_KEY: &str = "sk-apikey-path-0001";
/// `.header("Authorization", "Bearer ..")` on a provider.
const AUTH_HEADER: &str = "sk-header-auth-0002";
/// `.header("X-API-KEY", ..)`: any case.
const X_API_KEY: &str = "gw-xapikey-0003";
/// `.header("x-goog-api-key", ..)`.
const GOOG_KEY: &str = "AIza-goog-0004";
/// `.header("Cookie", ..)`.
const COOKIE: &str = "session=cookie-0005";
/// `.header("Proxy-Authorization", ..)`.
const PROXY_AUTH: &str = "Basic proxy-0006";
/// `.header("api-key", ..)` and Azure's key.
const AZURE_KEY: &str = "azure-api-key-0007";
/// `.sensitive_header("x-tenant", ..)`: a name that says nothing.
const MARKED: &str = "marked-sensitive-0008";
/// `Request::header("authorization", ..)`.
const REQUEST_AUTH: &str = "req-auth-0009";
/// `Request::sensitive_header("x-request-tenant", ..)`.
const REQUEST_MARKED: &str = "req-marked-0010";
/// A key in a base URL's query string.
const URL_KEY: &str = "url-query-key-0011";

const SECRETS: &[&str] = &[
    API_KEY,
    AUTH_HEADER,
    X_API_KEY,
    GOOG_KEY,
    COOKIE,
    PROXY_AUTH,
    AZURE_KEY,
    MARKED,
    REQUEST_AUTH,
    REQUEST_MARKED,
    URL_KEY,
];

/// A header that is no secret: it must still show.
const VISIBLE: &str = "visible-trace-value";

/// `{:?}` and `{:#?}`.
fn debug_forms(value: &impl Debug) -> Vec<String> {
    vec![format!("{value:?}"), format!("{value:#?}")]
}

/// `{:?}`, `{:#?}`, `{}` and `{:#}`.
fn all_forms(value: &(impl Debug + Display)) -> Vec<String> {
    let mut forms = debug_forms(value);
    forms.push(format!("{value}"));
    forms.push(format!("{value:#}"));
    forms
}

#[track_caller]
fn assert_no_secret(what: &str, printed: &[String]) {
    assert!(!printed.is_empty(), "{what}: nothing was printed");
    for text in printed {
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{what} prints the secret `{secret}`:\n{text}"
            );
        }
    }
}

/// Every secret header kind on a provider (each type has the same builders).
macro_rules! with_secret_headers {
    ($provider:expr) => {
        $provider
            .header("Authorization", format!("Bearer {AUTH_HEADER}"))
            .header("X-API-KEY", X_API_KEY)
            .header("x-goog-api-key", GOOG_KEY)
            .header("Cookie", COOKIE)
            .header("Proxy-Authorization", PROXY_AUTH)
            .header("api-key", AZURE_KEY)
            .sensitive_header("x-tenant", MARKED)
            .header("x-trace", VISIBLE)
    };
}

fn secret_request() -> Request {
    secret_request_for("gpt-4o-mini")
}

fn secret_request_for(model: &str) -> Request {
    Request::new(model)
        .user("Jason is 25")
        .header("authorization", format!("Bearer {REQUEST_AUTH}"))
        .sensitive_header("x-request-tenant", REQUEST_MARKED)
        .header("x-request-trace", VISIBLE)
        .max_retries(0)
}

/// A caller's client whose default headers carry a key: reqwest's own `Debug` would
/// print it.
fn callers_http_client() -> instructor::reqwest::Client {
    let mut headers = instructor::reqwest::header::HeaderMap::new();
    headers.insert(
        "x-api-key",
        instructor::reqwest::header::HeaderValue::from_static(X_API_KEY),
    );
    instructor::reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

#[test]
fn providers_clients_and_requests_never_print_a_key() {
    let openai = with_secret_headers!(OpenAI::new(API_KEY));
    let compatible = with_secret_headers!(OpenAI::with_base_url(
        format!("https://gateway.example/v1?key={URL_KEY}"),
        Some(API_KEY.into()),
    ));
    let preset =
        with_secret_headers!(OpenAI::for_service("groq", Some(API_KEY.into()), None).unwrap())
            .with_http_client(callers_http_client());
    let azure = AzureOpenAI::new("https://x.openai.azure.com", AZURE_KEY, "2024-10-21")
        .with_http_client(callers_http_client());
    let azure_client = with_secret_headers!(OpenAI::from(azure.clone()));

    let mut printed = Vec::new();
    for provider in [&openai, &compatible, &preset, &azure_client] {
        printed.extend(debug_forms(provider));
        printed.extend(debug_forms(&instructor::from_openai(provider.clone())));
    }
    printed.extend(debug_forms(&azure));
    printed.extend(debug_forms(&ApiKey::new(API_KEY)));
    #[cfg(feature = "anthropic")]
    {
        let anthropic = with_secret_headers!(instructor::providers::Anthropic::new(API_KEY))
            .with_http_client(callers_http_client());
        printed.extend(debug_forms(&anthropic));
        printed.extend(debug_forms(&instructor::from_anthropic(anthropic)));
    }
    #[cfg(feature = "gemini")]
    {
        let gemini = with_secret_headers!(
            instructor::providers::Gemini::new(API_KEY)
                .base_url(format!("https://g.example/v1beta?key={URL_KEY}"))
        );
        printed.extend(debug_forms(&gemini));
        printed.extend(debug_forms(&instructor::from_gemini(gemini)));
    }
    let request = secret_request();
    printed.extend(debug_forms(&request));
    for header in &request.headers {
        printed.extend(all_forms(header));
    }
    assert_no_secret("a provider, client or request", &printed);

    // Redaction is by header, not wholesale: what is no secret still shows.
    assert!(format!("{openai:?}").contains(VISIBLE), "{openai:?}");
    assert!(format!("{request:?}").contains(VISIBLE), "{request:?}");
    assert!(format!("{compatible:?}").contains("gateway.example"));
}

#[test]
fn a_credential_header_is_recognised_in_any_case() {
    for name in [
        "authorization",
        "AUTHORIZATION",
        "Proxy-Authorization",
        "API-KEY",
        "x-Api-Key",
        "X-Goog-Api-Key",
        "COOKIE",
    ] {
        let header = Header::new(name, API_KEY);
        assert!(header.is_sensitive(), "{name}");
        assert_no_secret(name, &all_forms(&header));
    }
    assert!(!Header::new("x-trace", VISIBLE).is_sensitive());
    assert!(
        Header::new("x-trace", VISIBLE)
            .to_string()
            .contains(VISIBLE)
    );
}

/// A provider that only records how the `ProviderRequest` it receives prints.
#[derive(Debug, Default)]
struct Recorder {
    printed: Mutex<Vec<String>>,
}

impl Provider for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn supported_modes(&self) -> &[Mode] {
        &[Mode::Tools]
    }

    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error> {
        self.printed.lock().unwrap().extend(debug_forms(request));
        Ok(json!({}))
    }

    // `#[async_trait]` by hand: the test needs no extra dependency.
    fn send<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        _request: &'life1 ProviderRequest,
        _body: &'life2 Value,
    ) -> Pin<Box<dyn Future<Output = Result<Completion, Error>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async { Err(Error::Config("recorded".into())) })
    }
}

#[tokio::test]
async fn the_provider_request_never_prints_a_key() {
    let recorder = Arc::new(Recorder::default());
    let client = Client::from_arc(recorder.clone());
    let error = client.create::<User>(secret_request()).await.unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m == "recorded"),
        "{error:?}"
    );

    let printed = recorder.printed.lock().unwrap().clone();
    assert_no_secret("the ProviderRequest", &printed);
    assert!(printed[0].contains(VISIBLE), "{}", printed[0]);
}

/// An error body that echoes back every secret a request sends (all but the URL's),
/// as some servers and gateways do.
fn echoing_error_body() -> Value {
    let sent: Vec<&str> = SECRETS.iter().copied().filter(|s| *s != URL_KEY).collect();
    let echoed = sent.join(", ");
    json!({"error": {"message": format!("Incorrect API key provided: {echoed}"),
        "type": "invalid_request_error", "code": "invalid_api_key"}})
}

/// Debug and Display of an error, and of its `HttpError` when it is one.
fn error_forms(error: &Error) -> Vec<String> {
    let mut printed = all_forms(error);
    if let Error::Http(http) = error {
        printed.extend(debug_forms(http));
    }
    printed
}

#[tokio::test]
async fn errors_never_print_a_key_even_when_the_server_echoes_it() {
    let rejecting = || ResponseTemplate::new(401).set_body_json(echoing_error_body());
    let no_retry = RetryPolicy::none();
    let mut errors = Vec::new();

    let server = serve("/v1/chat/completions", vec![rejecting()]).await;
    let openai =
        with_secret_headers!(OpenAI::new(API_KEY).base_url(format!("{}/v1", server.uri())))
            .retry_policy(no_retry);
    errors.push(
        instructor::from_openai(openai)
            .create::<User>(secret_request())
            .await
            .unwrap_err(),
    );

    let server = serve(
        "/openai/deployments/gpt-4o-mini/chat/completions",
        vec![rejecting()],
    )
    .await;
    let azure = with_secret_headers!(OpenAI::from(AzureOpenAI::new(
        server.uri(),
        API_KEY,
        "2024-10-21"
    )))
    .retry_policy(no_retry);
    errors.push(
        instructor::from_openai(azure)
            .create::<User>(secret_request())
            .await
            .unwrap_err(),
    );

    // A 200 whose body is not JSON but echoes the key: `Error::Response`.
    let echo = format!("<html>your key {API_KEY} and Bearer {AUTH_HEADER}</html>");
    let server = serve(
        "/v1/chat/completions",
        vec![ResponseTemplate::new(200).set_body_string(echo)],
    )
    .await;
    let openai =
        with_secret_headers!(OpenAI::new(API_KEY).base_url(format!("{}/v1", server.uri())))
            .retry_policy(no_retry);
    errors.push(
        instructor::from_openai(openai)
            .create::<User>(secret_request())
            .await
            .unwrap_err(),
    );

    #[cfg(feature = "anthropic")]
    {
        let server = serve("/v1/messages", vec![rejecting()]).await;
        let anthropic = with_secret_headers!(
            instructor::providers::Anthropic::new(API_KEY).base_url(server.uri())
        )
        .retry_policy(no_retry);
        errors.push(
            instructor::from_anthropic(anthropic)
                .create::<User>(secret_request())
                .await
                .unwrap_err(),
        );
    }
    #[cfg(feature = "gemini")]
    {
        let server = serve(
            "/v1beta/models/gemini-2.0-flash:generateContent",
            vec![ResponseTemplate::new(400).set_body_json(json!([echoing_error_body()]))],
        )
        .await;
        let gemini = with_secret_headers!(
            instructor::providers::Gemini::new(API_KEY)
                .base_url(format!("{}/v1beta", server.uri()))
        )
        .retry_policy(no_retry);
        errors.push(
            instructor::from_gemini(gemini)
                .create::<User>(secret_request_for("gemini-2.0-flash"))
                .await
                .unwrap_err(),
        );
    }

    // Nothing listens on port 1: a connection error for a URL with a key in its query.
    let unreachable = with_secret_headers!(OpenAI::with_base_url(
        format!("http://127.0.0.1:1/v1?key={URL_KEY}"),
        Some(API_KEY.into()),
    ))
    .retry_policy(no_retry);
    errors.push(
        instructor::from_openai(unreachable)
            .create::<User>(secret_request())
            .await
            .unwrap_err(),
    );

    let mut printed = Vec::new();
    for error in &errors {
        printed.extend(error_forms(error));
    }
    assert_no_secret("an error", &printed);
    let statuses: Vec<Option<u16>> = errors.iter().map(Error::status).collect();
    assert_eq!(statuses[..2], [Some(401), Some(401)], "{errors:#?}");
    assert!(matches!(errors[2], Error::Response(_)), "{:?}", errors[2]);
    assert!(
        matches!(errors.last(), Some(Error::Connection(_))),
        "{errors:#?}"
    );
    // The server's message is kept, with the keys cut out of it.
    assert!(
        printed[0].contains("Incorrect API key provided: <redacted>"),
        "{}",
        printed[0]
    );
}

/// What each hook printed, by event.
type Printed = Arc<Mutex<Vec<(HookEvent, Vec<String>)>>>;

/// Every hook payload of a call is printed as the hook sees it.
fn record_every_hook(client: &Client) -> Printed {
    let seen = Arc::new(Mutex::new(Vec::new()));
    for event in [
        HookEvent::CompletionKwargs,
        HookEvent::CompletionResponse,
        HookEvent::CompletionError,
        HookEvent::CompletionLastAttempt,
        HookEvent::ParseError,
        HookEvent::Usage,
    ] {
        let seen = Arc::clone(&seen);
        client.on(event, move |payload: &HookPayload<'_>| {
            let mut printed = debug_forms(payload);
            if let HookPayload::CompletionError { error, .. } = payload {
                printed.extend(error_forms(error));
            }
            if let HookPayload::ParseError { error, .. }
            | HookPayload::CompletionLastAttempt { error, .. } = payload
            {
                printed.extend(all_forms(*error));
            }
            seen.lock().unwrap().push((payload.event(), printed));
        });
    }
    seen
}

#[tokio::test]
async fn hook_payloads_never_print_a_key() {
    let server = serve(
        "/v1/chat/completions",
        vec![
            // Call 1: rejected, the key echoed back (CompletionError).
            ResponseTemplate::new(401).set_body_json(echoing_error_body()),
            // Call 2: a valid answer (CompletionKwargs, CompletionResponse, Usage).
            ResponseTemplate::new(200).set_body_json(tool_answer(
                "User",
                r#"{"name":"Jason","age":25}"#,
                (3, 4),
            )),
            // Call 3: an invalid answer, no reask (ParseError, CompletionLastAttempt).
            ResponseTemplate::new(200).set_body_json(tool_answer(
                "User",
                r#"{"name":"Jason"}"#,
                (3, 4),
            )),
        ],
    )
    .await;
    let openai =
        with_secret_headers!(OpenAI::new(API_KEY).base_url(format!("{}/v1", server.uri())))
            .retry_policy(RetryPolicy::none());
    let client = instructor::from_openai(openai);
    let seen = record_every_hook(&client);

    assert!(client.create::<User>(secret_request()).await.is_err());
    assert!(client.create::<User>(secret_request()).await.is_ok());
    assert!(client.create::<User>(secret_request()).await.is_err());

    let seen = seen.lock().unwrap();
    let events: Vec<HookEvent> = seen.iter().map(|(event, _)| *event).collect();
    for event in [
        HookEvent::CompletionKwargs,
        HookEvent::CompletionResponse,
        HookEvent::CompletionError,
        HookEvent::CompletionLastAttempt,
        HookEvent::ParseError,
        HookEvent::Usage,
    ] {
        assert!(events.contains(&event), "{event:?} never fired: {events:?}");
    }
    for (event, printed) in seen.iter() {
        assert_no_secret(&format!("the {event:?} hook payload"), printed);
    }
}
