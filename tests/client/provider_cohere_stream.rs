//! Cohere streaming over real SSE on loopback: `message-start`, a `tool-plan-delta`,
//! `tool-call-start`/`tool-call-delta` pieces and `content-delta` text cut anywhere
//! (inside strings, escapes and, at the HTTP level, multi-byte characters), usage and
//! finish reason from `message-end`, reasks with `tool` messages, several calls, and
//! typed errors (an error in `message-end`, a stream without `message-end`,
//! `MAX_TOKENS`).
#![cfg(feature = "cohere")]

use crate::common::sse::{Script, pieces, stream_server_full};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::Cohere;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const KEY: &str = "co-test-secret";

/// The raw server answers on any path; its URL ends in `/v1`, which Cohere does not
/// use.
fn client(url: &str) -> Client {
    let base = url.trim_end_matches("/v1");
    instructor::from_cohere(Cohere::new(KEY).base_url(base)).with_model("command-a-03-2025")
}

/// A user with free text, for streaming.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    #[instruct(min_length = 2)]
    name: String,
    age: u32,
    bio: String,
}

/// Escapes, a quote inside a string, multi-byte characters.
const ARGS: &str =
    r#"{"name": "Zoë \"ZZ\" Çelik", "age": 31, "bio": "likes \\ and \u00e9 and 😀"}"#;

fn expected() -> Profile {
    serde_json::from_str(ARGS).unwrap()
}

fn event(data: &Value) -> String {
    format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap()
    )
}

fn start() -> String {
    event(
        &json!({"id": "c0a1", "type": "message-start", "delta": {"message": {
        "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
    )
}

fn end(finish_reason: &str, usage: (u64, u64)) -> String {
    event(
        &json!({"type": "message-end", "delta": {"finish_reason": finish_reason,
        "usage": {"billed_units": {"input_tokens": 1, "output_tokens": 1},
            "tokens": {"input_tokens": usage.0, "output_tokens": usage.1}}}}),
    )
}

/// The events of tool calls `calls` (name, argument pieces), index by index.
fn tool_events(calls: &[(&str, Vec<&str>)]) -> Vec<String> {
    let mut out = vec![
        start(),
        event(
            &json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will call it."}}}),
        ),
    ];
    for (index, (name, args)) in calls.iter().enumerate() {
        out.push(event(
            &json!({"type": "tool-call-start", "index": index, "delta": {"message": {
            "tool_calls": {"id": format!("{name}_{index}"), "type": "function",
                "function": {"name": name, "arguments": ""}}}}}),
        ));
        for piece in args {
            out.push(event(
                &json!({"type": "tool-call-delta", "index": index, "delta": {"message": {
                "tool_calls": {"function": {"arguments": piece}}}}}),
            ));
        }
        out.push(event(&json!({"type": "tool-call-end", "index": index})));
    }
    out
}

fn tool_stream(name: &str, args: Vec<&str>, finish_reason: &str) -> Vec<String> {
    let mut out = tool_events(&[(name, args)]);
    out.push(end(finish_reason, (20, 10)));
    out
}

fn text_stream(text: Vec<&str>) -> Vec<String> {
    let mut out = vec![
        start(),
        event(
            &json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}}),
        ),
    ];
    for piece in text {
        out.push(event(&json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": piece}}}})));
    }
    out.push(event(&json!({"type": "content-end", "index": 0})));
    out.push(end("COMPLETE", (20, 10)));
    out
}

fn script(events: Vec<String>) -> Script {
    Script {
        events,
        ..Script::default()
    }
}

fn assert_partials_grow(partials: &[PartialProfile]) {
    assert!(partials.len() > 5, "{} snapshots", partials.len());
    for pair in partials.windows(2) {
        assert_ne!(pair[0], pair[1], "no duplicate snapshots");
        if let (Some(a), Some(b)) = (&pair[0].name, &pair[1].name) {
            assert!(b.starts_with(a.as_str()), "{a:?} -> {b:?}");
        }
    }
    assert!(
        partials
            .iter()
            .all(|p| p.age.is_none() || p.age == Some(31))
    );
    assert_eq!(
        partials.last().unwrap().bio.as_deref(),
        Some(expected().bio.as_str())
    );
}

#[tokio::test]
async fn tools_mode_partials_from_tool_call_deltas_cut_anywhere() {
    for (size, chunk_bytes) in [(1, None), (2, Some(3)), (3, None), (7, Some(1))] {
        let events = tool_stream("Profile", pieces(ARGS, size), "TOOL_CALL");
        let (url, mut received) = stream_server_full(vec![script(events)], chunk_bytes).await;
        let mut stream = client(&url)
            .create_partial::<Profile>(Request::default().user("Zoë is 31"))
            .await
            .unwrap();
        let mut partials = Vec::new();
        while let Some(p) = stream.next().await {
            partials.push(p.unwrap());
        }
        assert_partials_grow(&partials);
        let u = stream.usage().unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (20, 10, 30)
        );
        assert_eq!(stream.take_final().unwrap(), expected(), "size {size}");
        let r = received.recv().await.unwrap();
        assert_eq!(r.target, "/v2/chat");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(r.body["stream"], true);
        assert_eq!(r.body["tool_choice"], "REQUIRED");
    }
}

#[tokio::test]
async fn json_modes_stream_content_deltas() {
    let fenced = format!("Sure:\n```json\n{ARGS}\n```");
    for (mode, text) in [(Mode::MdJson, fenced), (Mode::JsonSchema, ARGS.to_owned())] {
        let (url, mut received) =
            stream_server_full(vec![script(text_stream(pieces(&text, 4)))], Some(5)).await;
        let mut stream = client(&url)
            .with_mode(mode)
            .create_partial::<Profile>(Request::default().user("Zoë"))
            .await
            .unwrap();
        let mut partials = Vec::new();
        while let Some(p) = stream.next().await {
            partials.push(p.unwrap());
        }
        assert_partials_grow(&partials);
        assert_eq!(stream.take_final().unwrap(), expected(), "{mode}");
        let body = received.recv().await.unwrap().body;
        if mode == Mode::JsonSchema {
            assert_eq!(body["response_format"]["type"], "json_object");
            assert!(body["response_format"]["json_schema"].is_object());
        }
    }
}

#[tokio::test]
async fn a_streamed_answer_failing_validation_is_reasked_with_tool_messages() {
    let bad = r#"{"name": "Z", "age": 31, "bio": "x"}"#;
    let (url, mut received) = stream_server_full(
        vec![
            script(tool_stream("Profile", pieces(bad, 5), "TOOL_CALL")),
            script(tool_stream("Profile", pieces(ARGS, 5), "TOOL_CALL")),
        ],
        None,
    )
    .await;
    let stream = client(&url)
        .create_partial::<Profile>(Request::default().user("Zoë").max_retries(1))
        .await
        .unwrap();
    assert_eq!(stream.into_final().await.unwrap(), expected());
    let _first = received.recv().await.unwrap();
    let second = received.recv().await.unwrap().body;
    let turns = second["messages"].as_array().unwrap();
    assert_eq!(turns[1]["role"], "assistant");
    assert_eq!(turns[1]["tool_calls"][0]["id"], "Profile_0");
    // The streamed arguments are echoed as the client parsed them.
    let echoed = turns[1]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .unwrap();
    assert!(echoed.contains(r#""name": "Z""#), "{echoed}");
    assert_eq!(turns[2]["role"], "tool");
    assert_eq!(turns[2]["tool_call_id"], "Profile_0");
    assert!(turns[2]["content"].as_str().unwrap().contains("name"));
}

#[tokio::test]
async fn several_streamed_calls_are_items_of_parallel_tools() {
    let mut events = tool_events(&[
        (
            "Profile",
            pieces(r#"{"name": "Ann", "age": 30, "bio": "a"}"#, 4),
        ),
        (
            "Profile",
            pieces(r#"{"name": "Bob", "age": 40, "bio": "b"}"#, 4),
        ),
    ]);
    events.push(end("TOOL_CALL", (5, 5)));
    let (url, _received) = stream_server_full(vec![script(events)], None).await;
    let names: Vec<String> = client(&url)
        .with_mode(Mode::ParallelTools)
        .create_iterable::<Profile>(Request::default().user("people"))
        .await
        .unwrap()
        .map(|r| r.unwrap().name)
        .collect()
        .await;
    assert_eq!(names, ["Ann", "Bob"]);
}

async fn stream_error(events: Vec<String>, mode: Mode) -> Error {
    let (url, _received) = stream_server_full(vec![script(events)], None).await;
    let stream = client(&url)
        .with_mode(mode)
        .create_partial::<Profile>(Request::default().user("x"))
        .await
        .unwrap();
    stream.into_final().await.unwrap_err()
}

#[tokio::test]
async fn an_error_in_message_end_ends_the_stream_with_an_error() {
    let mut events = tool_events(&[("Profile", pieces(ARGS, 8))]);
    events.push(event(
        &json!({"type": "message-end", "delta": {"error": "internal server error"}}),
    ));
    let error = stream_error(events, Mode::Tools).await;
    let Error::Stream(text) = &error else {
        panic!("{error:?}")
    };
    assert!(text.contains("internal server error"), "{text}");
}

#[tokio::test]
async fn a_stream_without_message_end_is_an_error() {
    let events = tool_events(&[("Profile", pieces(ARGS, 8))]);
    let error = stream_error(events, Mode::Tools).await;
    assert!(matches!(error, Error::Stream(_)), "{error:?}");
}

#[tokio::test]
async fn streamed_max_tokens_is_truncation() {
    let cut = &ARGS[..20];
    let events = tool_stream("Profile", pieces(cut, 4), "MAX_TOKENS");
    match stream_error(events, Mode::Tools).await {
        Error::Truncated { partial, .. } => assert_eq!(partial, cut),
        other => panic!("{other:?}"),
    }
}
