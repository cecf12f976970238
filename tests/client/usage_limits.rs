//! Usage limits (issue 17 item 5): a call, a client or a `create_many` run stops
//! before the attempt that would cross a request or token budget, with the usage so
//! far; streamed attempts and reasks count.

use crate::common::sse::{Script, chat_tool_stream, pieces, stream_server};
use crate::common::{bodies, client, serve_chat, tool_answer};
use instructor::prelude::*;
use instructor::providers::OpenAI;
use instructor::{Error, UsageLimitKind, UsageLimits};
use serde::{Deserialize, Serialize};

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

const BAD: &str = r#"{"name": "Jason", "age": 200}"#;
const GOOD: &str = r#"{"name": "Jason", "age": 25}"#;

fn exceeded(error: &Error) -> &instructor::UsageLimitExceeded {
    match error {
        Error::UsageLimitExceeded(e) => e,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_call_stops_before_the_request_that_would_cross_its_limit() {
    let server = serve_chat(vec![tool_answer("User", BAD, (100, 10)); 6]).await;
    let request = Request::default()
        .user("Jason")
        .max_retries(5)
        .usage_limits(UsageLimits::new().max_requests(2));
    let error = client(&server).create::<User>(request).await.unwrap_err();
    let e = exceeded(&error);
    assert_eq!(e.kind, UsageLimitKind::Requests);
    assert_eq!(e.requests, 2);
    assert_eq!(e.usage.total_tokens, 220, "the usage so far is reported");
    assert_eq!(error.usage().unwrap().total_tokens, 220);
    assert_eq!(
        bodies(&server).await.len(),
        2,
        "the third attempt was never sent"
    );
}

#[tokio::test]
async fn an_input_estimate_past_the_limit_sends_nothing() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let request = Request::default()
        .user("Jason")
        .usage_limits(UsageLimits::new().max_input_tokens(10));
    let error = client(&server).create::<User>(request).await.unwrap_err();
    assert_eq!(exceeded(&error).kind, UsageLimitKind::InputTokens);
    assert_eq!(exceeded(&error).requests, 0);
    assert!(bodies(&server).await.is_empty());
}

#[tokio::test]
async fn output_tokens_at_their_limit_stop_the_reasks() {
    let server = serve_chat(vec![tool_answer("User", BAD, (10, 50)); 3]).await;
    let request = Request::default()
        .user("Jason")
        .max_retries(2)
        .usage_limits(UsageLimits::new().max_output_tokens(50));
    let error = client(&server).create::<User>(request).await.unwrap_err();
    assert_eq!(exceeded(&error).kind, UsageLimitKind::OutputTokens);
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_clients_limits_are_shared_by_its_calls_and_clones() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (40, 10)); 3]).await;
    let limited = client(&server).with_usage_limits(UsageLimits::new().max_requests(2));
    let clone = limited.clone();
    limited
        .create::<User>(Request::default().user("a"))
        .await
        .unwrap();
    clone
        .create::<User>(Request::default().user("b"))
        .await
        .unwrap();
    let error = limited
        .create::<User>(Request::default().user("c"))
        .await
        .unwrap_err();
    assert_eq!(exceeded(&error).requests, 2);
    assert_eq!(exceeded(&error).usage.total_tokens, 100);
    // A client built without them is not limited.
    client(&server)
        .create::<User>(Request::default().user("d"))
        .await
        .unwrap();
}

#[tokio::test]
async fn streamed_attempts_count() {
    let (url, _) = stream_server(vec![
        Script {
            events: chat_tool_stream("User", &pieces(BAD, 7), (10, 5)),
            ..Script::default()
        },
        Script {
            events: chat_tool_stream("User", &pieces(GOOD, 7), (10, 5)),
            ..Script::default()
        },
    ])
    .await;
    let client = instructor::from_openai(OpenAI::new("sk-test").base_url(url))
        .with_model("gpt-4o-mini")
        .with_usage_limits(UsageLimits::new().max_requests(1));
    let error = client
        .create_partial::<User>(Request::default().user("Jason").max_retries(3))
        .await
        .unwrap()
        .into_final()
        .await
        .unwrap_err();
    assert_eq!(exceeded(&error).kind, UsageLimitKind::Requests);
}

#[tokio::test]
async fn a_runs_limit_fails_the_items_past_it_without_sending_them() {
    let server = serve_chat(vec![tool_answer("User", GOOD, (5, 5)); 5]).await;
    let requests = (0..5).map(|i| Request::default().user(format!("user {i}")));
    let results = client(&server)
        .create_many::<User>(requests)
        .concurrency(1)
        .usage_limits(UsageLimits::new().max_requests(3))
        .collect()
        .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 3);
    assert!(
        results[3..]
            .iter()
            .all(|r| matches!(r, Err(Error::UsageLimitExceeded(_))))
    );
    assert_eq!(bodies(&server).await.len(), 3);
}

#[tokio::test]
async fn a_batch_refuses_limits_it_cannot_enforce() {
    let server = serve_chat(vec![]).await;
    let request = Request::default()
        .user("a")
        .usage_limits(UsageLimits::new().max_requests(1));
    let error = client(&server)
        .batch::<User>()
        .submit([("a".to_owned(), request)])
        .await
        .unwrap_err();
    assert!(error.to_string().contains("usage limits"), "{error}");
    assert!(bodies(&server).await.is_empty());
}

#[tokio::test]
async fn a_cost_limit_uses_the_price_table() {
    use instructor::Pricing;
    let pricing = Pricing::new(10.0, 30.0).cached_input(1.0);
    let mut usage = instructor::Usage::new(100_000, 10_000, 110_000);
    assert!((pricing.cost(&usage) - 1.3).abs() < 1e-9);
    usage.cached_tokens = 50_000;
    assert!((pricing.cost(&usage) - (0.5 + 0.05 + 0.3)).abs() < 1e-9);

    let server = serve_chat(vec![tool_answer("User", GOOD, (100_000, 10_000)); 3]).await;
    let limited = client(&server).with_usage_limits(UsageLimits::new().max_cost(2.0, pricing));
    limited
        .create::<User>(Request::default().user("a"))
        .await
        .unwrap();
    limited
        .create::<User>(Request::default().user("b"))
        .await
        .unwrap();
    let error = limited
        .create::<User>(Request::default().user("c"))
        .await
        .unwrap_err();
    assert_eq!(exceeded(&error).kind, UsageLimitKind::Cost);
    assert_eq!(bodies(&server).await.len(), 2);
}

/// A 429 with no delay of its own (the policy's short backoff applies).
fn throttled() -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(429)
        .set_body_json(serde_json::json!({"error": {"message": "slow down", "type": "rate_limit"}}))
}

#[tokio::test]
async fn transport_retries_count_as_requests() {
    // Two 429s, then the answer: three HTTP requests for one attempt.
    let answers = vec![
        throttled(),
        throttled(),
        wiremock::ResponseTemplate::new(200).set_body_json(tool_answer("User", GOOD, (5, 5))),
    ];
    let server = crate::common::serve("/v1/chat/completions", answers.clone()).await;
    let request = Request::default()
        .user("Jason")
        .usage_limits(UsageLimits::new().max_requests(2));
    let error = client(&server).create::<User>(request).await.unwrap_err();
    let e = exceeded(&error);
    assert_eq!((e.kind, e.requests), (UsageLimitKind::Requests, 2));
    assert_eq!(
        bodies(&server).await.len(),
        2,
        "the retry that would be the third request was not sent"
    );

    // With room for the retries, the call goes through and they were counted: a
    // client-wide limit of 3 is then spent.
    let server = crate::common::serve("/v1/chat/completions", answers).await;
    let limited = client(&server).with_usage_limits(UsageLimits::new().max_requests(3));
    assert_eq!(
        limited
            .create::<User>(Request::default().user("Jason"))
            .await
            .unwrap()
            .age,
        25
    );
    let error = limited
        .create::<User>(Request::default().user("again"))
        .await
        .unwrap_err();
    assert_eq!(exceeded(&error).requests, 3);
}
