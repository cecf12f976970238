//! Streaming over loopback SSE: partial snapshots in order, iterable items as they
//! complete, reask at the end of a stream, typed errors for broken streams.

use std::sync::Arc;

use crate::common::sse::*;
use futures::StreamExt;
use instructor::ResponseCache;
use instructor::prelude::*;
use instructor::providers::OpenAI;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    #[instruct(min_length = 2)]
    name: String,
    age: u32,
    bio: String,
}

const ARGS: &str =
    r#"{"name": "Zoë \"ZZ\" Çelik", "age": 31, "bio": "likes \\ and \u00e9 and 😀"}"#;

fn client(url: &str, mode: Mode) -> instructor::Client {
    instructor::from_openai(OpenAI::new("sk-test").base_url(url))
        .with_mode(mode)
        .with_model("gpt-4o-mini")
}

fn expected() -> User {
    serde_json::from_str(ARGS).unwrap()
}

async fn collect_partials(
    mode: Mode,
    events: Vec<String>,
) -> (Vec<PartialUser>, User, serde_json::Value) {
    let (url, mut bodies) = stream_server(vec![Script {
        events,
        ..Script::default()
    }])
    .await;
    let mut stream = client(&url, mode)
        .create_partial::<User>(Request::default().user("Zoë is 31"))
        .await
        .unwrap();
    let mut partials = Vec::new();
    while let Some(p) = stream.next().await {
        partials.push(p.unwrap());
    }
    let usage = stream.usage().unwrap();
    assert_eq!(usage.total_tokens, 30);
    let user = stream.take_final().unwrap();
    (partials, user, bodies.recv().await.unwrap())
}

fn assert_partials_grow(partials: &[PartialUser]) {
    assert!(partials.len() > 5, "{} snapshots", partials.len());
    for pair in partials.windows(2) {
        assert_ne!(pair[0], pair[1], "no duplicate snapshots");
        // A field, once complete, never changes; a growing string only grows.
        if let (Some(a), Some(b)) = (pair[0].age, pair[1].age) {
            assert_eq!(a, b);
        }
        if let (Some(a), Some(b)) = (&pair[0].name, &pair[1].name) {
            assert!(b.starts_with(a.as_str()), "{a:?} -> {b:?}");
        }
    }
    assert!(
        partials
            .iter()
            .all(|p| p.age.is_none() || p.age == Some(31)),
        "numbers never flicker"
    );
}

#[tokio::test]
async fn tools_mode_partials_with_deltas_split_everywhere() {
    for size in [1, 2, 3, 7] {
        let (partials, user, body) = collect_partials(
            Mode::Tools,
            chat_tool_stream("User", &pieces(ARGS, size), (20, 10)),
        )
        .await;
        assert_partials_grow(&partials);
        assert_eq!(user, expected());
        let last = partials.last().unwrap();
        assert_eq!(last.bio.as_deref(), Some(expected().bio.as_str()));
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
    }
}

/// An answer that is all there before the consumer looks (a fast server, a slow
/// reader) is not shown delta by delta: snapshots come each time the answer grew by
/// an eighth or more, so their total cost stays linear in its size. Each one still
/// grows on the last, the final value is whole, and the completion (its text moved
/// out of the parser, not copied) reads back as the answer.
#[tokio::test]
async fn an_answer_already_received_is_shown_in_few_snapshots() {
    let bio = "word ".repeat(4000);
    let args = format!(r#"{{"name": "Zoë", "age": 31, "bio": "{bio}"}}"#);
    let events = chat_tool_stream("User", &pieces(&args, 10), (20, 10));
    let deltas = events.len();
    let (url, _bodies) = stream_server(vec![Script {
        events,
        burst: true,
        ..Script::default()
    }])
    .await;
    let client = client(&url, Mode::Tools).with_cache(ResponseCache::memory());
    let mut stream = client
        .create_partial::<User>(Request::default().user("Zoë is 31"))
        .await
        .unwrap();
    let mut partials: Vec<PartialUser> = Vec::new();
    while let Some(p) = stream.next().await {
        partials.push(p.unwrap());
    }
    // log(20 000 / 10) / log(9 / 8) is about 65; one per delta would be about 2 000.
    assert!(
        partials.len() <= 100,
        "{} snapshots for {deltas} deltas",
        partials.len()
    );
    for pair in partials.windows(2) {
        let (a, b) = (pair[0].bio.as_deref(), pair[1].bio.as_deref());
        assert!(b.unwrap_or("").starts_with(a.unwrap_or("")));
    }
    assert_eq!(stream.take_final().unwrap().bio, bio);
    // The stored completion (from the cache: no second request is served).
    let (user, summary) = client
        .create_with_completion::<User>(Request::default().user("Zoë is 31"))
        .await
        .unwrap();
    assert_eq!(summary.attempts, 0);
    assert_eq!(summary.last.tool_calls[0].arguments, args);
    assert_eq!(user.bio, bio);
}

#[tokio::test]
async fn json_and_md_json_modes_stream_content() {
    let fenced = format!("Sure:\n```json\n{ARGS}\n```");
    for (mode, text) in [
        (Mode::Json, ARGS.to_owned()),
        (Mode::JsonSchema, ARGS.to_owned()),
        (Mode::MdJson, fenced),
    ] {
        let (partials, user, _) =
            collect_partials(mode, chat_text_stream(&pieces(&text, 4), (20, 10))).await;
        assert_partials_grow(&partials);
        assert_eq!(user, expected(), "{mode}");
    }
}

#[tokio::test]
async fn responses_api_streams_function_call_arguments() {
    let (partials, user, body) = collect_partials(
        Mode::ResponsesTools,
        responses_stream("User", &pieces(ARGS, 5), (20, 10)),
    )
    .await;
    assert_partials_grow(&partials);
    assert_eq!(user, expected());
    assert_eq!(body["stream"], true);
}

#[tokio::test]
async fn invalid_final_value_reasks_and_the_new_attempt_streams_on() {
    let bad = r#"{"name": "Z", "age": 31, "bio": "x"}"#;
    let (url, mut bodies) = stream_server(vec![
        Script {
            events: chat_tool_stream("User", &pieces(bad, 4), (10, 5)),
            ..Script::default()
        },
        Script {
            events: chat_tool_stream("User", &pieces(ARGS, 4), (10, 5)),
            ..Script::default()
        },
    ])
    .await;
    let stream = client(&url, Mode::Tools)
        .create_partial::<User>(Request::default().user("Zoë").max_retries(1))
        .await
        .unwrap();
    let user = stream.into_final().await.unwrap();
    assert_eq!(user, expected());
    let _first = bodies.recv().await.unwrap();
    let second = bodies.recv().await.unwrap().to_string();
    assert!(
        second.contains("name: must be at least 2 characters long (got 1)"),
        "{second}"
    );
}

/// The index of the SSE event (keep-alive and call header first) whose piece
/// completes byte `end` of the arguments.
fn event_completing(args: &str, size: usize, end: usize) -> usize {
    let mut sent = 0;
    let piece = pieces(args, size)
        .iter()
        .position(|p| {
            sent += p.len();
            sent >= end
        })
        .unwrap();
    2 + piece
}

#[tokio::test]
async fn a_field_failing_as_it_completes_ends_the_stream_early_and_reasks() {
    let bad = r#"{"name": "Z", "age": 31, "bio": "a long biography that is still streaming"}"#;
    // Hold the first stream right after the piece that closes the bad name.
    let name_end = bad.find(r#"", "age""#).unwrap() + 1;
    let gate = Arc::new(Notify::new());
    let (url, mut bodies) = stream_server(vec![
        Script {
            events: chat_tool_stream("User", &pieces(bad, 4), (10, 5)),
            gate: Some((event_completing(bad, 4, name_end) + 1, gate.clone())),
            drop_after: None,
            burst: false,
        },
        Script {
            events: chat_tool_stream("User", &pieces(ARGS, 4), (10, 5)),
            ..Script::default()
        },
    ])
    .await;
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let client = client(&url, Mode::Tools);
    let seen = failures.clone();
    client.on(HookEvent::ParseError, move |payload| {
        if let instructor::HookPayload::ParseError { error, .. } = payload {
            seen.lock().unwrap().push(error.to_string());
        }
    });
    let stream = client
        .create_partial::<User>(Request::default().user("Zoë").max_retries(1))
        .await
        .unwrap();
    // The first stream is held open by the server: the value can only arrive through
    // an early reask on a second connection.
    let user = tokio::time::timeout(std::time::Duration::from_secs(5), stream.into_final())
        .await
        .expect("the failing field did not end the stream early")
        .unwrap();
    gate.notify_one();
    assert_eq!(user, expected());
    let _first = bodies.recv().await.unwrap();
    let second = bodies.recv().await.unwrap();
    let messages = second["messages"].as_array().unwrap();
    // The reask echoes what had completed, as the model wrote it and closed into
    // valid JSON, then the field's error.
    let echoed = &messages[messages.len() - 2]["tool_calls"][0]["function"]["arguments"];
    assert_eq!(echoed, r#"{"name": "Z"}"#);
    let reask = messages.last().unwrap()["content"].as_str().unwrap();
    assert!(
        reask.contains("name: must be at least 2 characters long (got 1)"),
        "{reask}"
    );
    assert!(!reask.contains("bio"), "{reask}");
    let failures = failures.lock().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
}

#[tokio::test]
async fn fields_are_checked_only_once_complete() {
    // "Zo" is shorter than 2 characters only while its first byte is streaming; a
    // field checked before its closing quote would fail here (one script, no retries).
    let args = r#"{"name": "Zo", "age": 7, "bio": "b"}"#;
    let events = chat_tool_stream("User", &pieces(args, 1), (10, 5));
    let (url, _bodies) = stream_server(vec![Script {
        events,
        ..Script::default()
    }])
    .await;
    let stream = client(&url, Mode::Tools)
        .create_partial::<User>(Request::default().user("Zo").max_retries(0))
        .await
        .unwrap();
    let user = stream.into_final().await.unwrap();
    assert_eq!(user.name, "Zo");
}

#[tokio::test]
async fn iterable_items_arrive_as_they_complete_before_the_stream_ends() {
    let args = r#"{"tasks": [{"name": "Ann", "age": 30, "bio": "a"}, {"name": "B", "age": 4, "bio": "b"}, {"name": "Cid", "age": 50, "bio": "c"}]}"#;
    let events = chat_tool_stream("IterableUser", &pieces(args, 6), (5, 5));
    // Hold the stream right after the first item's closing brace has been sent.
    let first_item_end = args.find('}').unwrap() + 1;
    let mut sent = 0;
    // Events: keep-alive, the call header, then one event per piece.
    let completing_piece = pieces(args, 6)
        .iter()
        .position(|p| {
            sent += p.len();
            sent >= first_item_end
        })
        .unwrap();
    let gate_at = 2 + completing_piece + 1;
    let gate = Arc::new(Notify::new());
    let (url, _bodies) = stream_server(vec![Script {
        events,
        gate: Some((gate_at, gate.clone())),
        drop_after: None,
        burst: false,
    }])
    .await;
    let mut items = client(&url, Mode::Tools)
        .create_iterable::<User>(Request::default().user("people"))
        .await
        .unwrap();
    // The server holds the rest of the stream until the gate opens: the first item
    // must arrive before that.
    let first = tokio::time::timeout(std::time::Duration::from_secs(3), items.next())
        .await
        .expect("the first item did not arrive while the stream was held open")
        .unwrap()
        .unwrap();
    assert_eq!(first.name, "Ann");
    gate.notify_one();
    let second = items.next().await.unwrap();
    assert!(
        matches!(second, Err(Error::InvalidItem { index: 1, .. })),
        "{second:?}"
    );
    let third = items.next().await.unwrap().unwrap();
    assert_eq!(third.name, "Cid");
    assert!(items.next().await.is_none());
}

#[tokio::test]
async fn parallel_tools_iterable_yields_one_item_per_call() {
    let calls = vec![
        pieces(r#"{"name": "Ann", "age": 30, "bio": "a"}"#, 5),
        pieces(r#"{"name": "Bob", "age": 40, "bio": "b"}"#, 5),
    ];
    let (url, mut bodies) = stream_server(vec![Script {
        events: chat_parallel_stream("User", &calls, (5, 5)),
        ..Script::default()
    }])
    .await;
    let items: Vec<User> = client(&url, Mode::ParallelTools)
        .create_iterable::<User>(Request::default().user("people"))
        .await
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(
        items.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["Ann", "Bob"]
    );
    assert_eq!(bodies.recv().await.unwrap()["tool_choice"], "auto");
}

#[tokio::test]
async fn a_dropped_connection_is_a_typed_error() {
    let events = chat_tool_stream("User", &pieces(ARGS, 8), (5, 5));
    let (url, _) = stream_server(vec![Script {
        events,
        drop_after: Some(4),
        burst: false,
        gate: None,
    }])
    .await;
    let mut stream = client(&url, Mode::Tools)
        .create_partial::<User>(Request::default().user("x"))
        .await
        .unwrap();
    let mut last = None;
    while let Some(item) = stream.next().await {
        last = Some(item);
    }
    let error = last.unwrap().unwrap_err();
    assert!(matches!(error, Error::Stream(_)), "{error:?}");
}

#[tokio::test]
async fn truncation_mid_stream_carries_what_arrived() {
    let mut events = chat_tool_stream("User", &pieces(&ARGS[..20], 4), (5, 5));
    let n = events.len();
    events[n - 3] =
        "data: {\"choices\": [{\"index\": 0, \"delta\": {}, \"finish_reason\": \"length\"}]}\n\n"
            .to_owned();
    let (url, _) = stream_server(vec![Script {
        events,
        ..Script::default()
    }])
    .await;
    let stream = client(&url, Mode::Tools)
        .create_partial::<User>(Request::default().user("x"))
        .await
        .unwrap();
    match stream.into_final().await {
        Err(Error::Truncated { partial, .. }) => assert_eq!(partial, &ARGS[..20]),
        other => panic!("{other:?}"),
    }
}

/// A chat stream whose legacy `function_call` arguments arrive in `pieces`.
fn chat_function_stream(name: &str, pieces: &[&str]) -> Vec<String> {
    let chunk = |delta: serde_json::Value| {
        format!(
            "data: {}\n\n",
            serde_json::json!({"choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
        )
    };
    let mut out = vec![chunk(
        serde_json::json!({"function_call": {"name": name, "arguments": ""}}),
    )];
    out.extend(
        pieces
            .iter()
            .map(|p| chunk(serde_json::json!({"function_call": {"arguments": p}}))),
    );
    out.push("data: {\"choices\": [{\"index\": 0, \"delta\": {}, \"finish_reason\": \"function_call\"}]}\n\n".to_owned());
    out.push("data: {\"choices\": [], \"usage\": {\"prompt_tokens\": 20, \"completion_tokens\": 10, \"total_tokens\": 30}}\n\n".to_owned());
    out.push("data: [DONE]\n\n".to_owned());
    out
}

#[tokio::test]
async fn the_other_openai_modes_stream_partials_too() {
    let cases = [
        (
            Mode::ToolsStrict,
            chat_tool_stream("User", &pieces(ARGS, 3), (20, 10)),
        ),
        (
            Mode::Functions,
            chat_function_stream("User", &pieces(ARGS, 3)),
        ),
        (Mode::JsonO1, chat_text_stream(&pieces(ARGS, 3), (20, 10))),
    ];
    for (mode, events) in cases {
        let (partials, user, body) = collect_partials(mode, events).await;
        assert_partials_grow(&partials);
        assert_eq!(user, expected(), "{mode}");
        assert_eq!(body["stream"], true, "{mode}");
    }
    // OpenRouter's structured outputs (a preset-only mode).
    let (url, _bodies) = stream_server(vec![Script {
        events: chat_text_stream(&pieces(ARGS, 3), (20, 10)),
        ..Script::default()
    }])
    .await;
    let provider = OpenAI::for_service("openrouter", Some("sk-or".into()), Some(url)).unwrap();
    let stream = instructor::from_openai(provider)
        .try_with_mode(Mode::OpenRouterStructuredOutputs)
        .unwrap()
        .with_model("openai/gpt-4o-mini")
        .create_partial::<User>(Request::default().user("Zoë"))
        .await
        .unwrap();
    assert_eq!(stream.into_final().await.unwrap(), expected());
}

#[tokio::test]
async fn json_modes_stream_iterable_items_from_the_content() {
    let args = r#"{"tasks": [{"name": "Ann", "age": 30, "bio": "a"}, {"name": "Cid", "age": 50, "bio": "ü"}]}"#;
    for (mode, text) in [
        (Mode::Json, args.to_owned()),
        (Mode::JsonSchema, args.to_owned()),
        (Mode::MdJson, format!("Here you go:\n```json\n{args}\n```")),
    ] {
        let (url, mut bodies) = stream_server(vec![Script {
            events: chat_text_stream(&pieces(&text, 5), (5, 5)),
            ..Script::default()
        }])
        .await;
        let items: Vec<User> = client(&url, mode)
            .create_iterable::<User>(Request::default().user("people"))
            .await
            .unwrap()
            .map(|item| item.unwrap())
            .collect()
            .await;
        let names: Vec<&str> = items.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["Ann", "Cid"], "{mode}");
        let body = bodies.recv().await.unwrap();
        assert_eq!(body["stream"], true, "{mode}");
    }
}

/// A step shown only once complete.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(stream(done))]
struct Step {
    action: String,
    minutes: u32,
}

/// A plan whose title is held back until complete and which appears only once its
/// goal has a value.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Plan {
    #[instruct(stream(done))]
    title: String,
    #[instruct(stream(not_null))]
    goal: String,
    steps: Vec<Step>,
}

#[tokio::test]
async fn stream_controls_shape_what_create_partial_yields() {
    let args = r#"{"title": "Release \"v2\"", "goal": "ship it", "steps": [{"action": "build", "minutes": 5}, {"action": "test 😀", "minutes": 10}]}"#;
    let (url, _bodies) = stream_server(vec![Script {
        events: chat_tool_stream("Plan", &pieces(args, 3), (10, 20)),
        ..Script::default()
    }])
    .await;
    let mut stream = client(&url, Mode::Tools)
        .create_partial::<Plan>(Request::default().user("plan"))
        .await
        .unwrap();
    let mut partials: Vec<PartialPlan> = Vec::new();
    while let Some(p) = stream.next().await {
        let p = p.unwrap();
        // `not_null`: never shown before the goal has a value.
        assert!(p.goal.is_some(), "{p:?}");
        if let Some(title) = &p.title {
            assert_eq!(title, r#"Release "v2""#, "a done field is never half");
        }
        for step in p.steps.iter().flatten() {
            assert!(step.action.is_some() && step.minutes.is_some(), "{step:?}");
        }
        assert_ne!(partials.last(), Some(&p), "no duplicate snapshots");
        partials.push(p);
    }
    let plan = stream.take_final().unwrap();
    assert_eq!(plan, serde_json::from_str::<Plan>(args).unwrap());
    assert!(partials.len() >= 3, "{partials:?}");
}

#[tokio::test]
async fn stream_controls_reach_the_items_of_a_wrapped_list() {
    let args =
        r#"{"tasks": [{"action": "build", "minutes": 5}, {"action": "deploy", "minutes": 7}]}"#;
    let (url, _bodies) = stream_server(vec![Script {
        events: chat_tool_stream("IterableStep", &pieces(args, 2), (10, 20)),
        ..Script::default()
    }])
    .await;
    let mut stream = client(&url, Mode::Tools)
        .create_partial::<Vec<Step>>(Request::default().user("steps"))
        .await
        .unwrap();
    let mut counts = Vec::new();
    while let Some(p) = stream.next().await {
        let steps = p.unwrap();
        for step in &steps {
            assert!(step.action.is_some() && step.minutes.is_some(), "{step:?}");
        }
        counts.push(steps.len());
    }
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    assert_eq!(stream.take_final().unwrap().len(), 2);
}
