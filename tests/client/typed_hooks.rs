//! Typed hooks (issue 16 item 5): each registration gets its event's own data;
//! `clear_event` removes one event's hooks; a `Request` carries hooks for its call
//! only, run after the client's.

use std::sync::{Arc, Mutex};

use crate::common::{client, serve_chat, tool_answer};
use instructor::HookEvent;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

const GOOD: &str = r#"{"name": "Jason", "age": 25}"#;
const BAD: &str = r#"{"name": "Jason"}"#;

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(log: &Log, line: String) {
    log.lock().unwrap().push(line);
}

#[tokio::test]
async fn each_typed_hook_gets_its_events_data() {
    let server = serve_chat(vec![
        tool_answer("User", BAD, (10, 2)),
        tool_answer("User", BAD, (11, 3)),
    ])
    .await;
    let client = client(&server);
    let seen = log();
    let s = seen.clone();
    client.on_kwargs(move |body| push(&s, format!("kwargs {}", body["model"])));
    let s = seen.clone();
    client.on_response(move |raw| push(&s, format!("response {}", raw["object"])));
    let s = seen.clone();
    client.on_usage(move |usage| push(&s, format!("usage {}", usage.total_tokens)));
    let s = seen.clone();
    client.on_parse_error(move |e| push(&s, format!("parse_error {e}")));
    let s = seen.clone();
    client.on_last_attempt(move |_| push(&s, "last_attempt".to_owned()));
    let result = client
        .create::<User>(Request::default().user("Jason").max_retries(1))
        .await;
    assert!(result.is_err());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "kwargs \"gpt-4o-mini\"",
            "response \"chat.completion\"",
            "usage 12",
            "parse_error missing field `age`",
            "kwargs \"gpt-4o-mini\"",
            "response \"chat.completion\"",
            "usage 14",
            "parse_error missing field `age`",
            "last_attempt",
        ]
    );
}

#[tokio::test]
async fn errors_reach_on_error_and_clear_event_removes_one_event() {
    let server = serve_chat(vec![]).await; // every request is a 404
    let client = client(&server);
    let seen = log();
    let s = seen.clone();
    client.on_error(move |e| push(&s, format!("error {}", e.status().unwrap_or(0))));
    let s = seen.clone();
    client.on_kwargs(move |_| push(&s, "kwargs".to_owned()));
    assert!(
        client
            .create::<User>(Request::default().user("x"))
            .await
            .is_err()
    );
    assert_eq!(*seen.lock().unwrap(), ["kwargs", "error 404"]);
    client.clear_event(HookEvent::CompletionKwargs);
    seen.lock().unwrap().clear();
    assert!(
        client
            .create::<User>(Request::default().user("x"))
            .await
            .is_err()
    );
    assert_eq!(*seen.lock().unwrap(), ["error 404"], "the error hook stays");
}

#[tokio::test]
async fn request_hooks_run_for_their_call_only_after_the_clients() {
    let server = serve_chat(vec![
        tool_answer("User", GOOD, (1, 1)),
        tool_answer("User", GOOD, (1, 1)),
    ])
    .await;
    let client = client(&server);
    let seen = log();
    let s = seen.clone();
    client.on_usage(move |_| push(&s, "client".to_owned()));
    let s = seen.clone();
    let request = Request::default()
        .user("Jason")
        .on_usage(move |u| push(&s, format!("call {}", u.total_tokens)));
    client.create::<User>(request).await.unwrap();
    client
        .create::<User>(Request::default().user("Jason"))
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["client", "call 2", "client"]);
}
