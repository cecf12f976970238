//! Fallback chains and round robin (issue 17 item 4): a primary that 500s, keeps
//! failing validation or is slow past its timeout falls through to the next client,
//! with usage summed and the answering client named; other errors stop at once.

use std::time::Duration;

use crate::common::{bodies, client, serve, serve_chat, tool_answer};
use instructor::prelude::*;
use instructor::{Client, Error};
use serde::{Deserialize, Serialize};
use wiremock::ResponseTemplate;

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

const GOOD: &str = r#"{"name": "Jason", "age": 25}"#;
const BAD: &str = r#"{"name": "Jason", "age": 400}"#;
const ROUTE: &str = "/v1/chat/completions";

fn request() -> Request {
    Request::default().user("Jason is 25").max_retries(1)
}

fn status(code: u16) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(serde_json::json!({"error": {"message": "down"}}))
}

#[tokio::test]
async fn a_primary_that_500s_falls_through_to_the_next() {
    let down = serve(ROUTE, vec![status(500); 3]).await;
    let up = serve_chat(vec![tool_answer("User", GOOD, (7, 3))]).await;
    let both = Client::fallback([client(&down), client(&up)]);
    let (user, summary) = both
        .create_with_completion::<User>(request())
        .await
        .unwrap();
    assert_eq!(user.age, 25);
    assert_eq!(summary.answered_by, 1);
    assert_eq!(summary.total_usage.total_tokens, 10);
    assert!(!bodies(&down).await.is_empty());
}

#[tokio::test]
async fn a_primary_out_of_reasks_falls_through_with_its_usage_summed() {
    let failing = serve_chat(vec![tool_answer("User", BAD, (10, 5)); 2]).await;
    let up = serve_chat(vec![tool_answer("User", GOOD, (7, 3))]).await;
    let (_, summary) = Client::fallback([client(&failing), client(&up)])
        .create_with_completion::<User>(request())
        .await
        .unwrap();
    assert_eq!(summary.answered_by, 1);
    assert_eq!(summary.total_usage.total_tokens, 15 + 15 + 10);
    assert_eq!(
        bodies(&failing).await.len(),
        2,
        "the primary used its own reask first"
    );
}

#[tokio::test]
async fn a_primary_slow_past_its_timeout_falls_through() {
    let slow = serve(
        ROUTE,
        vec![
            ResponseTemplate::new(200)
                .set_body_json(tool_answer("User", GOOD, (1, 1)))
                .set_delay(Duration::from_secs(3));
            3
        ],
    )
    .await;
    let up = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let started = std::time::Instant::now();
    let (_, summary) = Client::fallback([client(&slow), client(&up)])
        .create_with_completion::<User>(request().timeout(Duration::from_millis(150)))
        .await
        .unwrap();
    assert_eq!(summary.answered_by, 1);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn other_errors_stop_at_once_unless_their_status_is_named() {
    let unauthorized = serve(ROUTE, vec![status(401); 2]).await;
    let up = serve_chat(vec![tool_answer("User", GOOD, (1, 1))]).await;
    let error = Client::fallback([client(&unauthorized), client(&up)])
        .create::<User>(request())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert!(
        bodies(&up).await.is_empty(),
        "a bad key is not a reason to fall back"
    );
    let user = Client::fallback([client(&unauthorized), client(&up)])
        .fallback_on_status([401])
        .create::<User>(request())
        .await
        .unwrap();
    assert_eq!(user.age, 25);
    let error = Client::fallback(Vec::new())
        .create::<User>(request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
}

#[tokio::test]
async fn round_robin_takes_turns_and_create_many_goes_through_it() {
    let a = serve_chat(vec![tool_answer("User", GOOD, (1, 1)); 4]).await;
    let b = serve_chat(vec![tool_answer("User", GOOD, (1, 1)); 4]).await;
    let turns = Client::round_robin([client(&a), client(&b)]);
    let mut answered = Vec::new();
    for _ in 0..3 {
        let (_, summary) = turns
            .create_with_completion::<User>(request())
            .await
            .unwrap();
        answered.push(summary.answered_by);
    }
    assert_eq!(answered, [0, 1, 0]);
    let results = turns
        .create_many::<User>((0..3).map(|_| request()))
        .concurrency(1)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(bodies(&a).await.len() + bodies(&b).await.len(), 6);
    assert_eq!(bodies(&b).await.len(), 3);
}

#[tokio::test]
async fn streams_fall_through_when_opening_fails() {
    use crate::common::sse::{Script, chat_tool_stream, pieces, stream_server};
    let down = serve(ROUTE, vec![status(503); 6]).await;
    let (url, _) = stream_server(vec![
        Script {
            events: chat_tool_stream("User", &pieces(GOOD, 5), (1, 1)),
            ..Script::default()
        },
        Script {
            events: chat_tool_stream(
                "IterableUser",
                &pieces(r#"{"tasks": [{"name": "A", "age": 1}]}"#, 5),
                (1, 1),
            ),
            ..Script::default()
        },
    ])
    .await;
    let up = instructor::from_openai(instructor::providers::OpenAI::new("sk-test").base_url(url))
        .with_model("gpt-4o-mini");
    let both = Client::fallback([client(&down), up]);
    let user = both
        .create_partial::<User>(request())
        .await
        .unwrap()
        .into_final()
        .await
        .unwrap();
    assert_eq!(user.age, 25);
    use futures::StreamExt;
    let items: Vec<_> = both
        .create_iterable::<User>(request())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap().name, "A");
}
