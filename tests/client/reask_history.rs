//! `ReaskHistory` (issue 17 item 5): what a reask keeps of earlier failed attempts,
//! and what each choice costs in prompt tokens against a model that keeps failing.

use crate::common::tool_answer;
use instructor::prelude::*;
use instructor::{Error, ReaskHistory};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request as Received, Respond, ResponseTemplate};

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

/// Always the same invalid answer (a long bio and an age out of range), with prompt
/// tokens counted as the request body's bytes / 4, as a tokenizer roughly would.
struct KeepsFailing;

impl Respond for KeepsFailing {
    fn respond(&self, request: &Received) -> ResponseTemplate {
        let prompt = (request.body.len() / 4) as u64;
        let args = format!(
            r#"{{"name": "{}", "age": 200}}"#,
            "Jason ".repeat(60).trim()
        );
        ResponseTemplate::new(200).set_body_json(tool_answer("User", &args, (prompt, 120)))
    }
}

async fn prompt_tokens(history: ReaskHistory) -> (u64, Vec<usize>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(KeepsFailing)
        .mount(&server)
        .await;
    let client = crate::common::client(&server).with_reask_history(history);
    let conversation = "A long shared conversation. ".repeat(40);
    let error = client
        .create::<User>(
            Request::default()
                .system(conversation)
                .user("Jason is 25")
                .max_retries(5),
        )
        .await
        .unwrap_err();
    let Error::RetriesExhausted(details) = error else {
        panic!("{error:?}");
    };
    let received = server.received_requests().await.unwrap();
    let lengths = received
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["messages"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    (details.usage.prompt_tokens, lengths)
}

#[tokio::test]
async fn reask_history_token_cost() {
    let (all, all_lengths) = prompt_tokens(ReaskHistory::All).await;
    let (last, last_lengths) = prompt_tokens(ReaskHistory::Last).await;
    println!(
        "max_retries(5), a model that keeps failing: prompt tokens All {all}, Last {last} ({:.2}x)",
        all as f64 / last as f64
    );
    // All: each retry adds the failed answer and its error (2 messages in tool mode).
    assert_eq!(all_lengths, [2, 4, 6, 8, 10, 12]);
    // Last: the conversation and one failed attempt, every time.
    assert_eq!(last_lengths, [2, 4, 4, 4, 4, 4]);
    assert!(all as f64 > 1.5 * last as f64, "All {all} vs Last {last}");
}

#[tokio::test]
async fn the_default_keeps_only_the_last_attempt_and_a_request_can_keep_all() {
    let (_, lengths) = {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(KeepsFailing)
            .mount(&server)
            .await;
        let client = crate::common::client(&server).with_reask_history(ReaskHistory::Last);
        let request = Request::default()
            .user("Jason")
            .max_retries(2)
            .reask_history(ReaskHistory::All);
        let _ = client.create::<User>(request).await;
        let received = server.received_requests().await.unwrap();
        let lengths: Vec<usize> = received
            .iter()
            .map(|r| {
                serde_json::from_slice::<Value>(&r.body).unwrap()["messages"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        ((), lengths)
    };
    assert_eq!(
        lengths,
        [1, 3, 5],
        "the request's All wins over the client's Last"
    );
    assert_eq!(ReaskHistory::default(), ReaskHistory::Last);
}
