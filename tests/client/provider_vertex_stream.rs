//! Vertex AI streams over real SSE on loopback, the token from the local token
//! endpoint: Gemini's `streamGenerateContent?alt=sse` with events cut into small
//! HTTP chunks (a multi-byte character or an escape split between reads), a
//! streamed call failing validation reasked on a new stream, and Claude's
//! `streamRawPredict` (the Messages API stream, `stream: true` in a body without
//! `model`).
#![cfg(feature = "vertexai")]

use crate::common::sse::{
    Block, Script, anthropic_stream, gemini_call_stream, gemini_chunk, gemini_text_stream, pieces,
    stream_server_full,
};
use crate::common::vertex::TokenEndpoint;
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{GoogleCredentials, Publisher, VertexAI};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const GEMINI_TARGET: &str = "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
const CLAUDE_TARGET: &str = "/v1/projects/test-project/locations/us-central1/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict";

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

/// A client for the raw server at `url` (`http://127.0.0.1:port/v1`).
fn client(url: &str, credentials: &GoogleCredentials, publisher: Publisher) -> Client {
    let model = match publisher {
        Publisher::Anthropic => "claude-sonnet-4@20250514",
        _ => "gemini-2.5-flash",
    };
    let provider = VertexAI::new(credentials.clone())
        .base_url(url)
        .publisher(publisher);
    instructor::from_vertexai(provider).with_model(model)
}

#[tokio::test]
async fn gemini_streams_cut_anywhere_yield_growing_partials() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let credentials = tokens_at.credentials();
    for chunk_bytes in [None, Some(3), Some(7)] {
        let events = gemini_text_stream(&pieces(ARGS, 5), "STOP", (20, 10));
        let (url, mut received) = stream_server_full(vec![script(events)], chunk_bytes).await;
        let mut stream = client(&url, &credentials, Publisher::Google)
            .with_mode(Mode::GeminiJson)
            .create_partial::<Profile>(Request::default().user("Zoë is 31"))
            .await
            .unwrap();
        let mut partials = Vec::new();
        while let Some(p) = stream.next().await {
            partials.push(p.unwrap());
        }
        assert!(partials.len() > 5, "{chunk_bytes:?}: {}", partials.len());
        for pair in partials.windows(2) {
            assert_ne!(pair[0], pair[1], "no duplicate snapshots");
        }
        assert_eq!(stream.usage().unwrap().total_tokens, 30);
        assert_eq!(stream.take_final().unwrap(), expected(), "{chunk_bytes:?}");
        let received = received.recv().await.unwrap();
        assert_eq!(received.target, GEMINI_TARGET);
        assert_eq!(
            received.header("authorization"),
            Some("Bearer ya29.test-token-1")
        );
        assert!(
            received.body.get("stream").is_none(),
            "streaming is in the URL"
        );
        assert_eq!(received.body["contents"][0]["role"], "user");
    }
    assert_eq!(tokens_at.issued(), 1);
}

#[tokio::test]
async fn a_streamed_call_failing_validation_is_reasked_on_a_new_stream() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let bad = json!({"name": "Z", "age": 31, "bio": "x"});
    let good: Value = serde_json::from_str(ARGS).unwrap();
    let (url, mut received) = stream_server_full(
        vec![
            script(vec![gemini_chunk(
                json!([{"functionCall": {"name": "Profile", "args": bad}}]),
                Some("STOP"),
                (5, 5),
            )]),
            script(gemini_call_stream(&[("Profile", good)], (5, 5))),
        ],
        Some(11),
    )
    .await;
    let stream = client(&url, &tokens_at.credentials(), Publisher::Google)
        .create_partial::<Profile>(Request::default().user("Zoë").max_retries(1))
        .await
        .unwrap();
    assert_eq!(stream.into_final().await.unwrap(), expected());
    let first = received.recv().await.unwrap();
    let second = received.recv().await.unwrap();
    assert_eq!(first.target, GEMINI_TARGET);
    assert_eq!(
        second.header("authorization"),
        first.header("authorization")
    );
    let contents = second.body["contents"].as_array().unwrap();
    assert_eq!(contents[1]["parts"][0]["functionCall"]["args"]["name"], "Z");
    let error = contents[2]["parts"][0]["functionResponse"]["response"]["error"]
        .as_str()
        .unwrap();
    assert!(error.contains("at least 2 characters"), "{error}");
    assert_eq!(tokens_at.issued(), 1);
}

#[tokio::test]
async fn claude_streams_through_stream_raw_predict() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let events = anthropic_stream(
        &[Block::Tool("Profile", pieces(ARGS, 6))],
        "tool_use",
        json!({"input_tokens": 25, "output_tokens": 1}),
        40,
    );
    let (url, mut received) = stream_server_full(vec![script(events)], Some(9)).await;
    let mut stream = client(&url, &tokens_at.credentials(), Publisher::Anthropic)
        .create_partial::<Profile>(Request::default().user("Zoë is 31"))
        .await
        .unwrap();
    let mut partials = Vec::new();
    while let Some(p) = stream.next().await {
        partials.push(p.unwrap());
    }
    assert!(partials.len() > 3, "{}", partials.len());
    assert_eq!(stream.take_final().unwrap(), expected());
    let received = received.recv().await.unwrap();
    assert_eq!(received.target, CLAUDE_TARGET);
    assert_eq!(
        received.header("authorization"),
        Some("Bearer ya29.test-token-1")
    );
    assert_eq!(received.body["stream"], true);
    assert_eq!(received.body["anthropic_version"], "vertex-2023-10-16");
    assert!(received.body.get("model").is_none());
}
