//! Bedrock's ConverseStream over real HTTP on loopback, against the SigV4-verifying
//! emulation: binary event-stream messages cut at awkward byte boundaries (inside a
//! prelude, a header, a payload, a CRC) and, property-tested, at any boundaries,
//! always ending at the same value; a CRC mismatch and a truncated message as typed
//! [`FrameError`]s; an exception frame mid-stream; a stream without `messageStop`;
//! `max_tokens`; reasks; several calls as items; the text of the JSON modes.
#![cfg(feature = "bedrock")]

use crate::common::bedrock::{
    ACCESS_KEY, Answer, MODEL, REGION, SECRET_KEY, cut, event, exception, serve, tail, text_stream,
    tool_events, tool_stream,
};
use crate::common::sse::pieces;
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{AwsCredentials, Bedrock, FrameError};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn client(url: &str) -> Client {
    let credentials = AwsCredentials::new(ACCESS_KEY, SECRET_KEY);
    instructor::from_bedrock(Bedrock::new(REGION, credentials).endpoint(url)).with_model(MODEL)
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

/// Every partial of a stream, then its final value and usage.
async fn run(
    url: &str,
    mode: Mode,
) -> (
    Vec<PartialProfile>,
    instructor::Result<Profile>,
    Option<instructor::Usage>,
) {
    let mut stream = client(url)
        .with_mode(mode)
        .create_partial::<Profile>(Request::default().user("Zoë is 31"))
        .await
        .unwrap();
    let mut partials = Vec::new();
    while let Some(p) = stream.next().await {
        match p {
            Ok(p) => partials.push(p),
            Err(e) => return (partials, Err(e), None),
        }
    }
    let usage = stream.usage();
    let value = stream
        .take_final()
        .ok_or_else(|| Error::stream("no final value".to_owned()));
    (partials, value, usage)
}

fn assert_partials_grow(partials: &[PartialProfile]) {
    assert!(partials.len() > 5, "{} snapshots", partials.len());
    for pair in partials.windows(2) {
        if let (Some(a), Some(b)) = (&pair[0].name, &pair[1].name) {
            assert!(b.starts_with(a.as_str()), "{a:?} -> {b:?}");
        }
    }
    assert_eq!(
        partials.last().unwrap().bio.as_deref(),
        Some(expected().bio.as_str())
    );
}

fn message_len(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

/// Offsets cutting every message awkwardly: inside its prelude's lengths, inside
/// its prelude's CRC, inside its first header's name, inside its payload and inside
/// its own CRC. (The client snapshots what has arrived whenever it waits, so many
/// chunks also mean many partials.)
fn awkward_cuts(bytes: &[u8]) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = start + message_len(bytes, start);
        cuts.extend([start + 5, start + 10, start + 20, end - 8, end - 2]);
        start = end;
    }
    cuts
}

#[tokio::test]
async fn messages_cut_inside_a_prelude_a_header_a_payload_and_a_crc_decode_whole() {
    let bytes = tool_stream("Profile", pieces(ARGS, 3), "tool_use", (20, 10));
    let emulation = serve(vec![Answer::Stream(cut(&bytes, &awkward_cuts(&bytes)))]).await;
    let (partials, result, usage) = run(&emulation.url, Mode::Tools).await;
    assert_eq!(result.unwrap(), expected());
    assert_partials_grow(&partials);
    let u = usage.unwrap();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (20, 10, 30)
    );
    let received = &emulation.received()[0];
    assert_eq!(received.signature, Ok(()));
    assert_eq!(
        received.path,
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream"
    );
    let body = received.json();
    assert!(body.get("stream").is_none(), "the route says it streams");
    assert_eq!(body["toolConfig"]["toolChoice"]["tool"]["name"], "Profile");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_of_a_valid_stream_gives_the_same_value_usage_and_last_partial(
        mut cuts in proptest::collection::vec(0usize..4000, 0..30)
    ) {
        cuts.sort_unstable();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (chunked, whole) = runtime.block_on(async {
            let bytes = tool_stream("Profile", pieces(ARGS, 4), "tool_use", (20, 10));
            let chunked = serve(vec![Answer::Stream(cut(&bytes, &cuts))]).await;
            let whole = serve(vec![Answer::Stream(vec![bytes])]).await;
            let chunked = run(&chunked.url, Mode::Tools).await;
            let whole = run(&whole.url, Mode::Tools).await;
            (chunked, whole)
        });
        // How many partials depends on when bytes arrive; what they end at does not.
        prop_assert_eq!(chunked.0.last(), whole.0.last());
        prop_assert_eq!(chunked.1.unwrap(), whole.1.unwrap());
        prop_assert_eq!(chunked.2, whole.2);
    }
}

/// The [`FrameError`] in an error's source chain.
fn frame_error(error: &Error) -> Option<FrameError> {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(frame) = e.downcast_ref::<FrameError>() {
            return Some(frame.clone());
        }
        source = e.source();
    }
    None
}

async fn stream_error(bytes: Vec<u8>, mode: Mode) -> Error {
    let emulation = serve(vec![Answer::Stream(cut(&bytes, &[7, 70]))]).await;
    let stream = client(&emulation.url)
        .with_mode(mode)
        .create_partial::<Profile>(Request::default().user("x"))
        .await
        .unwrap();
    stream.into_final().await.unwrap_err()
}

#[tokio::test]
async fn a_crc_mismatch_is_a_typed_stream_error() {
    let mut bytes = tool_stream("Profile", pieces(ARGS, 8), "tool_use", (1, 1));
    let first = message_len(&bytes, 0);
    // A byte of the second message's payload.
    let at = first + message_len(&bytes, first) - 10;
    bytes[at] ^= 0x20;
    let error = stream_error(bytes.clone(), Mode::Tools).await;
    assert!(matches!(error, Error::Stream(_)), "{error:?}");
    assert!(
        matches!(frame_error(&error), Some(FrameError::MessageCrc { .. })),
        "{error:?}"
    );
    // A byte of a prelude: the prelude's own checksum catches it.
    let mut bytes = tool_stream("Profile", pieces(ARGS, 8), "tool_use", (1, 1));
    bytes[first + 1] ^= 0x01;
    let error = stream_error(bytes, Mode::Tools).await;
    assert!(
        matches!(frame_error(&error), Some(FrameError::PreludeCrc { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_stream_cut_inside_a_message_is_a_typed_truncation() {
    let bytes = tool_stream("Profile", pieces(ARGS, 8), "tool_use", (1, 1));
    let cut_short = bytes[..bytes.len() - 5].to_vec();
    let error = stream_error(cut_short, Mode::Tools).await;
    assert!(
        matches!(frame_error(&error), Some(FrameError::Truncated { buffered }) if buffered > 0),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_exception_frame_mid_stream_ends_it_with_the_services_error() {
    for (kind, text) in [
        ("throttlingException", "Too many tokens, please wait."),
        ("modelStreamErrorException", "The model stream failed."),
    ] {
        let bytes = [
            tool_events(&[("Profile", pieces(&ARGS[..30], 6))]),
            exception(kind, text),
        ]
        .concat();
        let error = stream_error(bytes, Mode::Tools).await;
        let Error::Stream(detail) = &error else {
            panic!("{error:?}")
        };
        assert!(detail.contains(&format!("{kind}: {text}")), "{detail}");
    }
}

#[tokio::test]
async fn a_stream_without_message_stop_is_an_error() {
    let bytes = tool_events(&[("Profile", pieces(ARGS, 8))]);
    let error = stream_error(bytes, Mode::Tools).await;
    let Error::Stream(detail) = &error else {
        panic!("{error:?}")
    };
    assert!(detail.contains("messageStop"), "{detail}");
    assert_eq!(frame_error(&error), None, "the framing itself was fine");
}

#[tokio::test]
async fn a_stream_that_closes_after_message_stop_without_metadata_is_complete() {
    let bytes = [
        tool_events(&[("Profile", pieces(ARGS, 8))]),
        event("messageStop", json!({"stopReason": "tool_use"})),
    ]
    .concat();
    let emulation = serve(vec![Answer::Stream(vec![bytes])]).await;
    let (_, result, _) = run(&emulation.url, Mode::Tools).await;
    assert_eq!(result.unwrap(), expected());
}

#[tokio::test]
async fn streamed_max_tokens_is_truncation() {
    let cut_text = &ARGS[..20];
    let bytes = tool_stream("Profile", pieces(cut_text, 4), "max_tokens", (5, 64));
    match stream_error(bytes, Mode::Tools).await {
        Error::Truncated { partial, .. } => assert_eq!(partial, cut_text),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_streamed_answer_failing_validation_is_reasked_with_tool_results() {
    let bad = r#"{"name": "Z", "age": 31, "bio": "x"}"#;
    let emulation = serve(vec![
        Answer::Stream(vec![tool_stream(
            "Profile",
            pieces(bad, 5),
            "tool_use",
            (3, 3),
        )]),
        Answer::Stream(vec![tool_stream(
            "Profile",
            pieces(ARGS, 5),
            "tool_use",
            (4, 4),
        )]),
    ])
    .await;
    let stream = client(&emulation.url)
        .create_partial::<Profile>(Request::default().user("Zoë").max_retries(1))
        .await
        .unwrap();
    assert_eq!(stream.into_final().await.unwrap(), expected());
    let received = emulation.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| r.signature.is_ok()));
    let second = received[1].json();
    let turns = second["messages"].as_array().unwrap();
    assert_eq!(turns.len(), 3);
    assert_eq!(turns[1]["role"], "assistant");
    assert_eq!(turns[1]["content"][0]["text"], "Let me extract that.");
    let echoed = &turns[1]["content"][1]["toolUse"];
    assert_eq!(echoed["toolUseId"], "tooluse_1");
    assert_eq!(echoed["input"]["name"], "Z");
    assert_eq!(turns[2]["role"], "user");
    let result = &turns[2]["content"][0]["toolResult"];
    assert_eq!(result["toolUseId"], "tooluse_1");
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("name")
    );
}

#[tokio::test]
async fn several_streamed_calls_are_items_of_parallel_tools() {
    let bytes = [
        tool_events(&[
            (
                "Profile",
                pieces(r#"{"name": "Ann", "age": 30, "bio": "a"}"#, 4),
            ),
            (
                "Profile",
                pieces(r#"{"name": "Bob", "age": 40, "bio": "b"}"#, 4),
            ),
        ]),
        tail("tool_use", (5, 5)),
    ]
    .concat();
    let emulation = serve(vec![Answer::Stream(cut(&bytes, &[3, 300, 301, 900]))]).await;
    let names: Vec<String> = client(&emulation.url)
        .with_mode(Mode::ParallelTools)
        .create_iterable::<Profile>(Request::default().user("people"))
        .await
        .unwrap()
        .map(|r| r.unwrap().name)
        .collect()
        .await;
    assert_eq!(names, ["Ann", "Bob"]);
    let body = emulation.received()[0].json();
    assert_eq!(body["toolConfig"]["toolChoice"], json!({"any": {}}));
}

#[tokio::test]
async fn json_modes_stream_text_deltas() {
    let fenced = format!("Sure:\n```json\n{ARGS}\n```");
    for (mode, text) in [(Mode::MdJson, fenced), (Mode::JsonSchema, ARGS.to_owned())] {
        let bytes = text_stream(pieces(&text, 4), (20, 10));
        let emulation = serve(vec![Answer::Stream(cut(&bytes, &awkward_cuts(&bytes)))]).await;
        let (partials, result, _) = run(&emulation.url, mode).await;
        assert_eq!(result.unwrap(), expected(), "{mode}");
        assert_partials_grow(&partials);
        let body = emulation.received()[0].json();
        if mode == Mode::JsonSchema {
            assert_eq!(body["outputConfig"]["textFormat"]["type"], "json_schema");
        }
    }
}

#[tokio::test]
async fn a_bad_signature_on_the_stream_route_is_a_403() {
    let emulation = serve(vec![]).await;
    let client = instructor::from_bedrock(
        Bedrock::new(
            REGION,
            AwsCredentials::new(ACCESS_KEY, "not-the-secret-key"),
        )
        .endpoint(&emulation.url),
    )
    .with_model(MODEL);
    let error = match client
        .create_partial::<Profile>(Request::default().user("x"))
        .await
    {
        Err(e) => e,
        Ok(stream) => stream.into_final().await.unwrap_err(),
    };
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (http.status, http.kind.as_deref()),
        (403, Some("InvalidSignatureException"))
    );
}
