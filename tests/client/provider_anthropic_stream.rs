//! Anthropic streaming over real SSE on loopback: `message_start`, `tool_use` and
//! text blocks whose `input_json_delta` / `text_delta` pieces are cut anywhere (inside
//! strings, escapes and, at the HTTP level, multi-byte characters), pings, usage with
//! cache counters from `message_start` plus `message_delta`, reasks with
//! `tool_result`, iterables, and typed errors (an `error` event after HTTP 200, a
//! missing `message_stop`, `max_tokens`, `refusal`).
#![cfg(feature = "anthropic")]

use std::sync::Arc;
use std::time::Duration;

use crate::common::sse::{
    Block, Script, anthropic_event, anthropic_stream, pieces, stream_server_full,
};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::Anthropic;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

const ROUTE: &str = "/v1/messages";
const KEY: &str = "sk-ant-test-secret";

fn client(url: &str) -> Client {
    instructor::from_anthropic(Anthropic::new(KEY).base_url(url))
        .with_model("claude-3-5-sonnet-20240620")
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

/// `message_start` usage: 20 new input tokens, 3 read from the cache, 2 written.
fn start_usage() -> Value {
    json!({"input_tokens": 20, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 3, "output_tokens": 1})
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
async fn tools_mode_partials_from_input_json_deltas_cut_anywhere() {
    // Pieces cut inside escapes and strings; HTTP chunks cut inside UTF-8 characters.
    for (size, chunk_bytes) in [(1, None), (2, Some(3)), (3, None), (7, Some(1))] {
        let blocks = [
            Block::Text(vec!["Extracting", " now."]),
            Block::Tool("Profile", pieces(ARGS, size)),
        ];
        let events = anthropic_stream(&blocks, "tool_use", start_usage(), 10);
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
            (
                u.prompt_tokens,
                u.completion_tokens,
                u.total_tokens,
                u.cached_tokens,
                u.cache_creation_tokens
            ),
            (25, 10, 35, 3, 2),
            "size {size}"
        );
        assert_eq!(stream.take_final().unwrap(), expected());
        let r = received.recv().await.unwrap();
        assert_eq!(r.target, ROUTE);
        assert_eq!(r.header("x-api-key"), Some(KEY));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(r.body["stream"], true);
        assert_eq!(
            r.body["tool_choice"],
            json!({"type": "tool", "name": "Profile", "disable_parallel_tool_use": true})
        );
    }
}

#[tokio::test]
async fn json_modes_stream_text_deltas() {
    let fenced = format!("Sure:\n```json\n{ARGS}\n```");
    for (mode, text) in [
        (Mode::AnthropicJson, fenced),
        (Mode::JsonSchema, ARGS.to_owned()),
    ] {
        let events = anthropic_stream(
            &[Block::Text(pieces(&text, 4))],
            "end_turn",
            start_usage(),
            10,
        );
        let (url, mut received) = stream_server_full(vec![script(events)], None).await;
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
        assert_eq!(body["stream"], true);
        assert!(body.get("tools").is_none(), "{mode}");
    }
}

#[tokio::test]
async fn a_streamed_answer_failing_validation_is_reasked_with_tool_result() {
    let bad = r#"{"name": "Z", "age": 31, "bio": "x"}"#;
    let (url, mut received) = stream_server_full(
        vec![
            script(anthropic_stream(
                &[Block::Tool("Profile", pieces(bad, 5))],
                "tool_use",
                start_usage(),
                10,
            )),
            script(anthropic_stream(
                &[Block::Tool("Profile", pieces(ARGS, 5))],
                "tool_use",
                start_usage(),
                10,
            )),
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
    assert_eq!(turns[1]["content"][0]["type"], "tool_use");
    assert_eq!(turns[1]["content"][0]["id"], "toolu_0");
    assert_eq!(turns[1]["content"][0]["input"], json!({"name": "Z"}));
    assert_eq!(turns[2]["content"][0]["tool_use_id"], "toolu_0");
    assert_eq!(turns[2]["content"][0]["is_error"], true);
}

#[tokio::test]
async fn iterables_from_one_tool_call_and_from_several_tool_use_blocks() {
    let tasks = r#"{"tasks": [{"name": "Ann", "age": 30, "bio": "a"}, {"name": "B", "age": 4, "bio": "b"}, {"name": "Cid", "age": 50, "bio": "c"}]}"#;
    let events = anthropic_stream(
        &[Block::Tool("IterableProfile", pieces(tasks, 6))],
        "tool_use",
        start_usage(),
        10,
    );
    // Hold the stream before its message_delta: every item must arrive before the end.
    let held = events
        .iter()
        .position(|e| e.contains("message_delta"))
        .unwrap();
    let gate = Arc::new(Notify::new());
    let (url, mut received) = stream_server_full(
        vec![Script {
            events,
            gate: Some((held, gate.clone())),
            drop_after: None,
            burst: false,
        }],
        None,
    )
    .await;
    let mut items = client(&url)
        .create_iterable::<Profile>(Request::default().user("people"))
        .await
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        let item = tokio::time::timeout(Duration::from_secs(3), items.next())
            .await
            .expect("items arrive while the stream is held open")
            .unwrap();
        got.push(item.map(|p| p.name).map_err(|e| e.to_string()));
    }
    gate.notify_one();
    assert!(items.next().await.is_none());
    assert_eq!(got[0].as_deref(), Ok("Ann"));
    assert!(
        got[1].as_ref().unwrap_err().contains("item 1 is invalid"),
        "{got:?}"
    );
    assert_eq!(got[2].as_deref(), Ok("Cid"));
    let body = received.recv().await.unwrap().body;
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "IterableProfile", "disable_parallel_tool_use": true})
    );

    let blocks = [
        Block::Text(vec!["Two people."]),
        Block::Tool(
            "Profile",
            pieces(r#"{"name": "Ann", "age": 30, "bio": "a"}"#, 4),
        ),
        Block::Tool(
            "Profile",
            pieces(r#"{"name": "Bob", "age": 40, "bio": "b"}"#, 4),
        ),
    ];
    let (url, mut received) = stream_server_full(
        vec![script(anthropic_stream(
            &blocks,
            "tool_use",
            start_usage(),
            10,
        ))],
        None,
    )
    .await;
    let names: Vec<String> = client(&url)
        .with_mode(Mode::ParallelTools)
        .create_iterable::<Profile>(Request::default().user("people"))
        .await
        .unwrap()
        .map(|r| r.unwrap().name)
        .collect()
        .await;
    assert_eq!(names, ["Ann", "Bob"]);
    assert_eq!(
        received.recv().await.unwrap().body["tool_choice"],
        json!({"type": "any"})
    );
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
async fn an_error_event_after_http_200_ends_the_stream_with_an_error() {
    let mut events = anthropic_stream(
        &[Block::Tool("Profile", pieces(ARGS, 8))],
        "tool_use",
        start_usage(),
        10,
    );
    events.truncate(6);
    events.push(anthropic_event(
        &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ));
    let error = stream_error(events, Mode::AnthropicTools).await;
    let Error::Stream(text) = &error else {
        panic!("{error:?}")
    };
    assert!(
        text.contains("overloaded_error") && text.contains("Overloaded"),
        "{text}"
    );
}

#[tokio::test]
async fn a_stream_without_message_stop_is_an_error() {
    let mut events = anthropic_stream(
        &[Block::Tool("Profile", pieces(ARGS, 8))],
        "tool_use",
        start_usage(),
        10,
    );
    events.pop();
    let error = stream_error(events, Mode::AnthropicTools).await;
    assert!(matches!(error, Error::Stream(_)), "{error:?}");
}

#[tokio::test]
async fn streamed_max_tokens_is_truncation_and_refusal_is_a_refusal() {
    let cut = &ARGS[..20];
    let events = anthropic_stream(
        &[Block::Tool("Profile", pieces(cut, 4))],
        "max_tokens",
        start_usage(),
        4096,
    );
    match stream_error(events, Mode::AnthropicTools).await {
        Error::Truncated { partial, usage, .. } => {
            assert_eq!(partial, cut);
            assert_eq!(usage.completion_tokens, 4096);
        }
        other => panic!("{other:?}"),
    }
    let text = Block::Text(vec!["I can't", " help with that."]);
    let events = anthropic_stream(&[text], "refusal", start_usage(), 6);
    match stream_error(events, Mode::AnthropicJson).await {
        Error::Refusal(text) => assert_eq!(text, "I can't help with that."),
        other => panic!("{other:?}"),
    }
    let mut events = anthropic_stream(&[], "refusal", start_usage(), 0);
    let n = events.len();
    events[n - 2] = anthropic_event(&json!({"type": "message_delta",
        "delta": {"stop_reason": "refusal", "stop_sequence": null,
            "stop_details": {"type": "refusal", "category": "cyber", "explanation": "Policy: no malware."}},
        "usage": {"output_tokens": 0}}));
    match stream_error(events, Mode::AnthropicTools).await {
        Error::Refusal(text) => assert_eq!(text, "Policy: no malware."),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_tool_call_streamed_without_input_is_an_empty_object() {
    /// Optional notes.
    #[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Note {
        text: Option<String>,
    }
    let events = anthropic_stream(&[Block::Tool("Note", vec![])], "tool_use", start_usage(), 3);
    let (url, _received) = stream_server_full(vec![script(events)], None).await;
    let stream = client(&url)
        .create_partial::<Note>(Request::default().user("nothing"))
        .await
        .unwrap();
    assert_eq!(stream.into_final().await.unwrap(), Note { text: None });
}
