//! Parse errors name the field (issue 15 item 1): a value of the wrong type reaches
//! the model, the `ParseError` hook and the final `Error` as `age: invalid type: ...`,
//! never with a line and column, in every mode and when streaming.

use std::sync::{Arc, Mutex};

use crate::common::sse::{Script, chat_tool_stream, pieces, stream_server};
use crate::common::{bodies, client, serve_chat, text_answer, tool_answer};
use instructor::prelude::*;
use instructor::providers::OpenAI;
use instructor::{HookEvent, HookPayload};
use serde::{Deserialize, Serialize};

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
    #[serde(default)]
    emails: Vec<String>,
}

const GOOD: &str = r#"{"name": "Jason", "age": 25}"#;
const TWENTY: &str = r#"age: invalid type: string "twenty", expected u32"#;

/// Every `ParseError` hook message of a client.
fn parse_errors(client: &Client) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    client.on(HookEvent::ParseError, move |payload| {
        if let HookPayload::ParseError { error, .. } = payload {
            sink.lock().unwrap().push(error.to_string());
        }
    });
    seen
}

fn last_message_text(body: &serde_json::Value) -> String {
    let messages = body["messages"].as_array().unwrap();
    let content = &messages.last().unwrap()["content"];
    content
        .as_str()
        .map_or_else(|| content.to_string(), str::to_owned)
}

#[tokio::test]
async fn tools_mode_reasks_with_the_field_path() {
    let server = serve_chat(vec![
        tool_answer("User", r#"{"name": "Jason", "age": "twenty"}"#, (1, 1)),
        tool_answer("User", GOOD, (1, 1)),
    ])
    .await;
    let client = client(&server);
    let seen = parse_errors(&client);
    let user: User = client
        .create(Request::default().user("Jason is 25").max_retries(1))
        .await
        .unwrap();
    assert_eq!(user.age, 25);
    let hooks = seen.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0].contains(TWENTY), "{hooks:?}");
    assert!(!hooks[0].contains("line 1"), "{hooks:?}");
    let reask = last_message_text(&bodies(&server).await[1]);
    assert!(reask.contains(TWENTY), "{reask}");
    assert!(!reask.contains("column"), "{reask}");
}

#[tokio::test]
async fn nested_paths_and_missing_fields_in_json_mode() {
    for (answer, expected) in [
        (
            r#"{"name": "J", "age": 3, "emails": ["a@b.c", 7]}"#,
            "emails[1]: invalid type: integer `7`, expected a string",
        ),
        (r#"{"age": 3}"#, "missing field `name`"),
        (
            r#"{"name": "J", "age": -4}"#,
            "age: invalid value: integer `-4`, expected u32",
        ),
    ] {
        let server = serve_chat(vec![text_answer(answer, (1, 1))]).await;
        let client = client(&server).with_mode(Mode::Json);
        let error = client
            .create::<User>(Request::default().user("x").max_retries(0))
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains("line 1 column"), "{text}");
    }
}

#[tokio::test]
async fn a_wrapped_type_names_the_path_the_model_wrote() {
    async fn error_of<T: Instruct + serde::de::DeserializeOwned + Send + 'static>(
        answer: &str,
    ) -> String {
        let probe = serve_chat(vec![]).await;
        let prepared = client(&probe)
            .prepare::<T>(&Request::default().user("x"))
            .unwrap();
        let server = serve_chat(vec![tool_answer(&prepared.response.name, answer, (1, 1))]).await;
        let error = client(&server)
            .create::<T>(Request::default().user("x").max_retries(0))
            .await
            .map(|_| ())
            .unwrap_err();
        error.to_string()
    }
    let text = error_of::<Vec<u32>>(r#"{"tasks": [1, "two"]}"#).await;
    assert!(
        text.contains(r#"tasks[1]: invalid type: string "two", expected u32"#),
        "{text}"
    );
    let text = error_of::<u32>(r#"{"content": "x"}"#).await;
    assert!(
        text.contains(r#"content: invalid type: string "x", expected u32"#),
        "{text}"
    );
}

#[tokio::test]
async fn a_streamed_answer_fails_with_the_same_message() {
    let args = r#"{"name": "Jason", "age": "twenty"}"#;
    let (url, _) = stream_server(vec![Script {
        events: chat_tool_stream("User", &pieces(args, 5), (1, 1)),
        ..Script::default()
    }])
    .await;
    let client =
        instructor::from_openai(OpenAI::new("sk-test").base_url(url)).with_model("gpt-4o-mini");
    let error = client
        .create_partial::<User>(Request::default().user("x").max_retries(0))
        .await
        .unwrap()
        .into_final()
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains(TWENTY), "{text}");
}
