//! Gemini streaming over real SSE on loopback (`streamGenerateContent?alt=sse`):
//! text parts cut anywhere, whole function calls, thought parts skipped, cumulative
//! `usageMetadata` counted once, `finishReason` on the last chunk, reasks with
//! `functionResponse`, iterables, and typed errors (`MAX_TOKENS`, `SAFETY`, a blocked
//! prompt, a stream without `finishReason`, an error object inside the stream).
#![cfg(feature = "gemini")]

use std::sync::Arc;
use std::time::Duration;

use crate::common::sse::{
    Script, gemini_call_stream, gemini_chunk, gemini_text_stream, pieces, stream_server_full,
};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::Gemini;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

const STREAM_TARGET: &str = "/v1beta/models/gemini-1.5-flash-latest:streamGenerateContent?alt=sse";
const KEY: &str = "AIza-test-secret";

/// A client for the raw server at `url` (`http://127.0.0.1:port/v1`); Gemini's base
/// URL includes the API version.
fn client(url: &str) -> Client {
    let base = format!("{}/v1beta", url.trim_end_matches("/v1"));
    instructor::from_gemini(Gemini::new(KEY).base_url(base)).with_model("gemini-1.5-flash-latest")
}

fn google_error(code: u16, status: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status, "details": []}})
}

/// A user with free text, for streaming.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    #[instruct(min_length = 2)]
    name: String,
    age: u32,
    bio: String,
}

const ARGS: &str =
    r#"{"name": "Zoë \"ZZ\" Çelik", "age": 31, "bio": "likes \\ and \u00e9 and 😀"}"#;

fn expected() -> Profile {
    serde_json::from_str(ARGS).unwrap()
}

fn script(events: Vec<String>) -> Script {
    Script {
        events,
        ..Script::default()
    }
}

async fn partials(
    mode: Mode,
    events: Vec<String>,
    chunk_bytes: Option<usize>,
) -> (
    Vec<PartialProfile>,
    Profile,
    instructor::Usage,
    crate::common::sse::Received,
) {
    let (url, mut received) = stream_server_full(vec![script(events)], chunk_bytes).await;
    let mut stream = client(&url)
        .with_mode(mode)
        .create_partial::<Profile>(Request::default().user("Zoë is 31"))
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(p) = stream.next().await {
        out.push(p.unwrap());
    }
    let usage = stream.usage().unwrap();
    let last = stream.take_final().unwrap();
    (out, last, usage, received.recv().await.unwrap())
}

#[tokio::test]
async fn json_modes_stream_text_parts_with_cumulative_usage() {
    let fenced = format!("Sure:\n```json\n{ARGS}\n```");
    for (mode, text, chunk_bytes) in [
        (Mode::GeminiJson, ARGS.to_owned(), None),
        (Mode::GeminiJson, ARGS.to_owned(), Some(2)),
        (Mode::MdJson, fenced, None),
    ] {
        let events = gemini_text_stream(&pieces(&text, 3), "STOP", (20, 10));
        let (partials, last, usage, received) = partials(mode, events, chunk_bytes).await;
        assert!(partials.len() > 5, "{} snapshots", partials.len());
        for pair in partials.windows(2) {
            assert_ne!(pair[0], pair[1], "no duplicate snapshots");
        }
        assert_eq!(
            partials.last().unwrap().bio.as_deref(),
            Some(expected().bio.as_str())
        );
        assert_eq!(last, expected(), "{mode}");
        // Every chunk repeats the running total: the last one counts, once.
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (20, 10, 30)
        );
        assert_eq!(received.target, STREAM_TARGET);
        assert_eq!(received.header("x-goog-api-key"), Some(KEY));
        assert!(
            received.body.get("stream").is_none(),
            "streaming is in the URL"
        );
    }
}

#[tokio::test]
async fn tools_mode_streams_a_whole_function_call_and_skips_thoughts() {
    let args: Value = serde_json::from_str(ARGS).unwrap();
    let events = gemini_call_stream(&[("Profile", args)], (20, 10));
    let (partials, last, usage, received) = partials(Mode::GeminiTools, events, None).await;
    assert_eq!(
        partials.last().unwrap().name.as_deref(),
        Some(expected().name.as_str())
    );
    assert_eq!(last, expected());
    assert_eq!(usage.total_tokens, 30);
    let config = &received.body["toolConfig"]["functionCallingConfig"];
    assert_eq!(config["mode"], "ANY");
    assert_eq!(config["allowedFunctionNames"], json!(["Profile"]));
}

#[tokio::test]
async fn a_streamed_call_failing_validation_is_reasked_with_a_function_response() {
    let bad = json!({"name": "Z", "age": 31, "bio": "x"});
    let good: Value = serde_json::from_str(ARGS).unwrap();
    // A thinking model's call carries a signature, which the reask must echo.
    let signed = vec![gemini_chunk(
        json!([{"functionCall": {"name": "Profile", "args": bad}, "thoughtSignature": "c2lnbmVk"}]),
        Some("STOP"),
        (5, 5),
    )];
    let (url, mut received) = stream_server_full(
        vec![
            script(signed),
            script(gemini_call_stream(&[("Profile", good)], (5, 5))),
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
    let contents = second["contents"].as_array().unwrap();
    assert_eq!(contents[1]["role"], "model");
    assert_eq!(contents[1]["parts"][0]["functionCall"]["args"]["name"], "Z");
    assert_eq!(contents[1]["parts"][0]["thoughtSignature"], "c2lnbmVk");
    assert_eq!(contents[2]["role"], "user");
    let error = contents[2]["parts"][0]["functionResponse"]["response"]["error"]
        .as_str()
        .unwrap();
    assert!(
        error.contains("name: must be at least 2 characters long (got 1)"),
        "{error}"
    );
}

#[tokio::test]
async fn iterables_from_text_from_one_call_and_from_parallel_calls() {
    let tasks = r#"{"tasks": [{"name": "Ann", "age": 30, "bio": "a"}, {"name": "B", "age": 4, "bio": "b"}, {"name": "Cid", "age": 50, "bio": "c"}]}"#;
    // JSON text: hold the stream before its last chunk; every item arrives before.
    let events = gemini_text_stream(&pieces(tasks, 7), "STOP", (5, 5));
    let gate = Arc::new(Notify::new());
    let held = events.len() - 1;
    let (url, _received) = stream_server_full(
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
        .with_mode(Mode::GeminiJson)
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

    let whole: Value = serde_json::from_str(tasks).unwrap();
    let (url, mut received) = stream_server_full(
        vec![script(gemini_call_stream(
            &[("IterableProfile", whole)],
            (5, 5),
        ))],
        None,
    )
    .await;
    let results: Vec<_> = client(&url)
        .create_iterable::<Profile>(Request::default().user("people"))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert_eq!(results[2].as_ref().unwrap().name, "Cid");
    let body = received.recv().await.unwrap().body;
    assert_eq!(
        body["tools"][0]["functionDeclarations"][0]["name"],
        "IterableProfile"
    );

    let calls = [
        ("Profile", json!({"name": "Ann", "age": 30, "bio": "a"})),
        ("Profile", json!({"name": "Bob", "age": 40, "bio": "b"})),
    ];
    let (url, _received) =
        stream_server_full(vec![script(gemini_call_stream(&calls, (5, 5)))], None).await;
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

async fn stream_error(mode: Mode, events: Vec<String>) -> Error {
    let (url, _received) = stream_server_full(vec![script(events)], None).await;
    let stream = client(&url)
        .with_mode(mode)
        .create_partial::<Profile>(Request::default().user("x"))
        .await
        .unwrap();
    stream.into_final().await.unwrap_err()
}

#[tokio::test]
async fn broken_truncated_and_blocked_streams_are_typed_errors() {
    let cut = &ARGS[..20];
    let events = gemini_text_stream(&pieces(cut, 4), "MAX_TOKENS", (5, 64));
    match stream_error(Mode::GeminiJson, events).await {
        Error::Truncated { partial, usage, .. } => {
            assert_eq!(partial, cut);
            assert_eq!(usage.completion_tokens, 64);
        }
        other => panic!("{other:?}"),
    }
    let events = gemini_text_stream(&pieces(cut, 4), "SAFETY", (5, 5));
    let error = stream_error(Mode::GeminiJson, events).await;
    assert!(matches!(error, Error::ContentFiltered { .. }), "{error:?}");
    let blocked = format!(
        "data: {}\n\n",
        json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}})
    );
    let error = stream_error(Mode::GeminiJson, vec![blocked]).await;
    assert!(matches!(error, Error::ContentFiltered { .. }), "{error:?}");

    // No chunk with a finishReason: the stream ended early.
    let mut events = gemini_text_stream(&pieces(ARGS, 4), "STOP", (5, 5));
    events.pop();
    let error = stream_error(Mode::GeminiJson, events).await;
    assert!(matches!(error, Error::Stream(_)), "{error:?}");

    // An error object inside the 200 stream.
    let events = vec![
        gemini_chunk(json!([{"text": "{\"name\""}]), None, (5, 1)),
        format!(
            "data: {}\n\n",
            google_error(503, "UNAVAILABLE", "The model is overloaded.")
        ),
    ];
    let error = stream_error(Mode::GeminiJson, events).await;
    let Error::Stream(text) = &error else {
        panic!("{error:?}")
    };
    assert!(text.contains("The model is overloaded."), "{text}");
}
