//! A hostile or broken server over loopback, one regression test per finding:
//! absurd `retry-after` values, a body cut off mid-read, a timeout mid-stream, a
//! tool call index of four billion, usage counts at `u64::MAX`, an iterable answer
//! cut off (or in prose) on a cleanly ended stream, a lone surrogate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::sse::*;
use crate::common::{bodies, serve, tool_answer};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{OpenAI, RetryPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;
use wiremock::ResponseTemplate;

/// A user.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

const GOOD: &str = r#"{"name":"Jason","age":25}"#;

fn retry_policy() -> RetryPolicy {
    RetryPolicy::new(2, Duration::from_millis(10), Duration::from_millis(200))
}

fn openai(url: &str, mode: Mode) -> Client {
    instructor::from_openai(
        OpenAI::new("sk-test")
            .base_url(url)
            .retry_policy(retry_policy()),
    )
    .with_mode(mode)
    .with_model("gpt-4o-mini")
}

fn event(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// The one failed attempt of an answer that ended unfinished, and its error text.
fn unfinished_attempt(error: &Error) -> String {
    let Error::RetriesExhausted(exhausted) = error else {
        panic!("{error:?}")
    };
    assert_eq!(exhausted.attempts.len(), 1, "not reasked: {error:?}");
    exhausted.attempts[0].error.to_string()
}

// ---- Server-requested waits -------------------------------------------------

#[tokio::test]
async fn absurd_retry_after_values_are_bounded_then_retried() {
    let rate_limited = |name: &str, value: &str| {
        ResponseTemplate::new(429)
            .insert_header(name, value)
            .set_body_json(json!({"error": {"message": "slow down", "type": "requests"}}))
    };
    let gemini_body = json!({"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1e30s"}]}});
    let cases = [
        rate_limited("retry-after-ms", "1e30"),
        rate_limited("retry-after", "1e20"),
        rate_limited("retry-after", "Wed, 21 Oct 99999 07:28:00 GMT"),
        rate_limited("retry-after", "Wed, 21 Oct 2015 9999999999999999:28:00 GMT"),
        rate_limited("retry-after", "-3"),
        ResponseTemplate::new(429).set_body_json(gemini_body),
    ];
    for answer in cases {
        let server = serve(
            "/v1/chat/completions",
            vec![
                answer,
                ResponseTemplate::new(200).set_body_json(tool_answer("User", GOOD, (1, 1))),
            ],
        )
        .await;
        let started = Instant::now();
        let user: User = openai(&format!("{}/v1", server.uri()), Mode::Tools)
            .create(Request::default().user("Jason is 25"))
            .await
            .unwrap();
        assert_eq!(user.name, "Jason");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(bodies(&server).await.len(), 2);
    }
}

#[tokio::test]
async fn the_bounded_wait_is_reported_on_the_error() {
    let server = serve(
        "/v1/chat/completions",
        vec![ResponseTemplate::new(429).insert_header("retry-after", "1e20")],
    )
    .await;
    let provider = OpenAI::new("sk-test")
        .base_url(format!("{}/v1", server.uri()))
        .retry_policy(RetryPolicy::none());
    let error = instructor::from_openai(provider)
        .with_model("gpt-4o-mini")
        .create::<User>(Request::default().user("x"))
        .await
        .unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        http.retry_after,
        Some(Duration::from_secs(600)),
        "capped at the documented 10 minutes"
    );
}

// ---- Broken bodies and timeouts ---------------------------------------------

#[tokio::test]
async fn a_body_cut_off_while_read_is_retried() {
    let answer = tool_answer("User", GOOD, (1, 1)).to_string();
    let (half, rest) = answer.split_at(answer.len() / 2);
    let (url, _) = stream_server(vec![
        Script {
            events: vec![half.to_owned(), rest.to_owned()],
            drop_after: Some(1),
            burst: false,
            gate: None,
        },
        Script {
            events: vec![answer.clone()],
            ..Script::default()
        },
    ])
    .await;
    let user: User = openai(&url, Mode::Tools)
        .create(Request::default().user("Jason is 25"))
        .await
        .unwrap();
    assert_eq!(user.name, "Jason");
}

#[tokio::test]
async fn a_timeout_mid_stream_is_a_timeout() {
    let events = chat_tool_stream("User", &pieces(GOOD, 4), (1, 1));
    let gate = Arc::new(Notify::new());
    let (url, _) = stream_server(vec![Script {
        events,
        gate: Some((4, gate.clone())),
        drop_after: None,
        burst: false,
    }])
    .await;
    let timeout = Duration::from_millis(300);
    let mut stream = openai(&url, Mode::Tools)
        .create_partial::<User>(Request::default().user("x").timeout(timeout))
        .await
        .unwrap();
    let mut last = None;
    while let Some(item) = stream.next().await {
        last = Some(item);
    }
    gate.notify_one();
    let error = last.unwrap().unwrap_err();
    assert!(
        matches!(error, Error::Timeout(d) if d == timeout),
        "{error:?}"
    );
}

// ---- Counts and indexes from the wire ---------------------------------------

fn huge_index_stream() -> Vec<String> {
    vec![
        event(
            &json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 4_000_000_000u64,
            "id": "call_x", "type": "function", "function": {"name": "User", "arguments": "{"}}]}}]}),
        ),
        event(&json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})),
        "data: [DONE]\n\n".to_owned(),
    ]
}

#[tokio::test]
async fn a_tool_call_index_of_four_billion_is_an_error_not_an_allocation() {
    for mode in [Mode::Tools, Mode::ParallelTools] {
        let (url, _) = stream_server(vec![
            Script {
                events: huge_index_stream(),
                ..Script::default()
            },
            Script {
                events: huge_index_stream(),
                ..Script::default()
            },
        ])
        .await;
        let client = openai(&url, mode);
        if mode == Mode::Tools {
            let error = client
                .create_partial::<User>(Request::default().user("x"))
                .await
                .unwrap()
                .into_final()
                .await
                .unwrap_err();
            assert!(
                matches!(&error, Error::Stream(m) if m.contains("index")),
                "{error:?}"
            );
        }
        let mut items = client
            .create_iterable::<User>(Request::default().user("x"))
            .await
            .unwrap();
        let error = items.next().await.unwrap().unwrap_err();
        assert!(
            matches!(&error, Error::Stream(m) if m.contains("index")),
            "{error:?}"
        );
        assert!(items.next().await.is_none());
    }
}

#[tokio::test]
async fn usage_counts_at_u64_max_saturate() {
    let max = u64::MAX;
    let mut events = chat_tool_stream("User", &[r#"{"name": "Jo", "age": 1}"#], (1, 1));
    let done = events.pop().unwrap();
    events.push(event(&json!({"choices": [], "usage": {"prompt_tokens": max, "completion_tokens": max,
        "prompt_tokens_details": {"cached_tokens": max}, "input_tokens_details": {"cached_tokens": max}}})));
    events.push(done);
    let (url, _) = stream_server(vec![Script {
        events,
        ..Script::default()
    }])
    .await;
    let mut stream = openai(&url, Mode::Tools)
        .create_partial::<User>(Request::default().user("x"))
        .await
        .unwrap();
    while let Some(item) = stream.next().await {
        item.unwrap();
    }
    let usage = stream.usage().unwrap();
    assert_eq!(
        (usage.prompt_tokens, usage.total_tokens, usage.cached_tokens),
        (max, max, max)
    );
}

// ---- create_iterable checks the end of the answer ---------------------------

async fn iterable_outcome(client: Client) -> (Vec<String>, Option<Error>) {
    let mut items = client
        .create_iterable::<User>(Request::default().user("people"))
        .await
        .unwrap();
    let (mut names, mut error) = (Vec::new(), None);
    while let Some(item) = items.next().await {
        match item {
            Ok(user) => names.push(user.name),
            Err(e) => {
                assert!(error.is_none(), "one error ends the stream");
                error = Some(e);
            }
        }
    }
    (names, error)
}

const CUT: &str = r#"{"tasks": [{"name": "Ann", "age": 30}, {"name": "Bo"#;

#[tokio::test]
async fn openai_iterable_cut_off_on_a_clean_end_is_an_error() {
    // JSON mode: the text stops mid-array, `finish_reason: stop`, `[DONE]`.
    let (url, _) = stream_server(vec![Script {
        events: chat_text_stream(&pieces(CUT, 7), (1, 1)),
        ..Script::default()
    }])
    .await;
    let (names, error) = iterable_outcome(openai(&url, Mode::Json)).await;
    assert_eq!(names, ["Ann"], "the complete item still arrives");
    let text = unfinished_attempt(&error.unwrap());
    assert!(text.contains("invalid JSON"), "{text}");

    // Tools mode: the call's arguments stop mid-array.
    let (url, _) = stream_server(vec![Script {
        events: chat_tool_stream("IterableUser", &pieces(CUT, 7), (1, 1)),
        ..Script::default()
    }])
    .await;
    let (names, error) = iterable_outcome(openai(&url, Mode::Tools)).await;
    assert_eq!(names, ["Ann"]);
    let text = unfinished_attempt(&error.unwrap());
    assert!(text.contains("invalid JSON"), "{text}");

    // ParallelTools: the second call's arguments stop short.
    let calls = vec![
        vec![r#"{"name": "Ann", "age": 30}"#],
        vec![r#"{"name": "Bo"#],
    ];
    let (url, _) = stream_server(vec![Script {
        events: chat_parallel_stream("User", &calls, (1, 1)),
        ..Script::default()
    }])
    .await;
    let (names, error) = iterable_outcome(openai(&url, Mode::ParallelTools)).await;
    assert_eq!(names, ["Ann"]);
    let text = unfinished_attempt(&error.unwrap());
    assert!(
        text.contains("tool call 2") && text.contains("invalid JSON"),
        "{text}"
    );
}

#[tokio::test]
async fn openai_iterable_in_prose_or_another_shape_is_an_error() {
    for (answer, expected) in [
        (
            "I think there are two people: Ann and Bob.",
            "no JSON object",
        ),
        (
            r#"[{"name": "Ann", "age": 30}]"#,
            "does not match the schema",
        ),
        (r#"{"people": []}"#, "missing field `tasks`"),
    ] {
        let (url, _) = stream_server(vec![Script {
            events: chat_text_stream(&pieces(answer, 9), (1, 1)),
            ..Script::default()
        }])
        .await;
        let (names, error) = iterable_outcome(openai(&url, Mode::Json)).await;
        assert!(names.is_empty());
        let text = unfinished_attempt(&error.unwrap());
        assert!(text.contains(expected), "{answer}: {text}");
    }
}

#[cfg(feature = "anthropic")]
#[tokio::test]
async fn anthropic_iterable_cut_off_on_a_clean_end_is_an_error() {
    let events = anthropic_stream(
        &[Block::Tool("IterableUser", pieces(CUT, 6))],
        "tool_use",
        json!({"input_tokens": 3, "output_tokens": 1}),
        5,
    );
    let (url, _) = stream_server(vec![Script {
        events,
        ..Script::default()
    }])
    .await;
    let client =
        instructor::from_anthropic(instructor::providers::Anthropic::new("sk-ant").base_url(url))
            .with_model("claude-3-5-sonnet-20240620");
    let (names, error) = iterable_outcome(client).await;
    assert_eq!(names, ["Ann"]);
    let text = unfinished_attempt(&error.unwrap());
    assert!(text.contains("invalid JSON"), "{text}");
}

#[cfg(feature = "gemini")]
#[tokio::test]
async fn gemini_iterable_cut_off_or_in_prose_is_an_error() {
    for (answer, expected) in [(CUT, "invalid JSON"), ("Ann is 30.", "no JSON object")] {
        let (url, _) = stream_server(vec![Script {
            events: gemini_text_stream(&pieces(answer, 8), "STOP", (3, 5)),
            ..Script::default()
        }])
        .await;
        let base = format!("{}/v1beta", url.trim_end_matches("/v1"));
        let client =
            instructor::from_gemini(instructor::providers::Gemini::new("AIza").base_url(base))
                .with_mode(Mode::GeminiJson)
                .with_model("gemini-1.5-flash-latest");
        let (names, error) = iterable_outcome(client).await;
        assert_eq!(names.len(), usize::from(answer == CUT));
        let text = unfinished_attempt(&error.unwrap());
        assert!(text.contains(expected), "{answer}: {text}");
    }
}

// ---- One policy for lone surrogates -----------------------------------------

#[tokio::test]
async fn a_lone_surrogate_is_rejected_by_create_partial_and_iterable_alike() {
    let item = r#"{"name": "\ud83d", "age": 3}"#;
    let wrapped = format!(r#"{{"tasks": [{item}]}}"#);
    let (url, _) = stream_server(vec![
        Script {
            events: chat_text_stream(&pieces(&wrapped, 5), (1, 1)),
            ..Script::default()
        },
        Script {
            events: chat_text_stream(&pieces(item, 5), (1, 1)),
            ..Script::default()
        },
    ])
    .await;
    let client = openai(&url, Mode::Json);
    let (names, error) = iterable_outcome(client.clone()).await;
    assert!(names.is_empty(), "{names:?}");
    // The parser's reason is the error's cause: `{:#}` prints the chain.
    let error = error.unwrap();
    assert!(format!("{error:#}").contains("surrogate"), "{error:#}");

    let error = client
        .create_partial::<User>(Request::default().user("x").max_retries(0))
        .await
        .unwrap()
        .into_final()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RetriesExhausted(_)), "{error:?}");
    assert!(
        serde_json::from_str::<User>(item).is_err(),
        "create reads with serde_json, which rejects it too"
    );
}
