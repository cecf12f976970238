//! Lenient parsing (`Request::lenient`, `Client::with_lenient`) over loopback: the
//! almost-JSON local models write, read to the right value when lenient and rejected
//! with a clear error when strict (the default), in `create`, `create_partial` and
//! `create_iterable`; MdJson prose around and inside the fence (both modes).

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::OpenAI;
use serde::{Deserialize, Serialize};

use crate::common::sse::*;
use crate::common::{client, serve_chat, text_answer, tool_answer};

/// A person.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Person {
    name: String,
    age: u32,
    active: bool,
    score: f64,
    tags: Vec<String>,
}

fn ann(tags: &[&str]) -> Person {
    Person {
        name: "Ann".into(),
        age: 31,
        active: true,
        score: 4.5,
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// Answers real local models write (Llama, Qwen, Phi, Gemma, Mistral served by
/// Ollama / llama.cpp / vLLM without constrained decoding), and what they stand for.
fn almost_json() -> Vec<(&'static str, &'static str, Person)> {
    vec![
        (
            "trailing commas",
            r#"{"name": "Ann", "age": 31, "active": true, "score": 4.5, "tags": ["a", "b",],}"#,
            ann(&["a", "b"]),
        ),
        (
            "comments",
            "{\n  // the person's name\n  \"name\": \"Ann\",\n  \"age\": 31, /* years */\n  \"active\": true,\n  \"score\": 4.5,\n  \"tags\": [] // none found\n}",
            ann(&[]),
        ),
        (
            "a Python dict",
            "{'name': 'Ann', 'age': 31, 'active': True, 'score': 4.5, 'tags': ['it\\'s', \"x\"]}",
            ann(&["it's", "x"]),
        ),
        (
            "unquoted keys",
            r#"{name: "Ann", age: 31, active: true, score: 4.5, tags: ["a"]}"#,
            ann(&["a"]),
        ),
        (
            "raw control characters in strings",
            "{\"name\": \"Ann\", \"age\": 31, \"active\": true, \"score\": 4.5, \"tags\": [\"line one\nline two\", \"a\tb\"]}",
            ann(&["line one\nline two", "a\tb"]),
        ),
        (
            "numbers and booleans as strings",
            r#"{"name": "Ann", "age": "31", "active": "true", "score": " 4.5", "tags": ["7"]}"#,
            ann(&["7"]),
        ),
        (
            "all of it, fenced with prose",
            "Here is the JSON you asked for:\n```json\n// extracted\n{\n  name: 'Ann',\n  age: \"31\",\n  active: 'True',\n  score: 4.5,\n  tags: ['a',],\n}\n```\nLet me know if you need more!",
            ann(&["a"]),
        ),
    ]
}

fn request(lenient: Option<bool>) -> Request {
    let request = Request::default().user("Ann is 31").max_retries(0);
    match lenient {
        Some(on) => request.lenient(on),
        None => request,
    }
}

/// The only attempt's error text.
fn attempt_error(error: &Error) -> String {
    match error {
        Error::RetriesExhausted(exhausted) => exhausted.attempts[0].error.to_string(),
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
}

#[tokio::test]
async fn create_reads_almost_json_when_lenient_and_rejects_it_when_strict() {
    for (label, text, expected) in almost_json() {
        for mode in [Mode::MdJson, Mode::Json, Mode::Tools] {
            let answer = || {
                if mode == Mode::Tools {
                    tool_answer("Person", text, (10, 5))
                } else {
                    text_answer(text, (10, 5))
                }
            };
            let server = serve_chat(vec![answer(), answer(), answer()]).await;
            let c = client(&server).with_mode(mode);
            let got: Person = c.create(request(Some(true))).await.unwrap();
            assert_eq!(got, expected, "{label} in {mode}");
            // Per client, and a request overriding it.
            let got: Person = c
                .clone()
                .with_lenient(true)
                .create(request(None))
                .await
                .unwrap();
            assert_eq!(got, expected, "{label} in {mode}, lenient client");
            let strict = c
                .with_lenient(true)
                .create::<Person>(request(Some(false)))
                .await
                .unwrap_err();
            let message = attempt_error(&strict);
            assert!(
                ["invalid JSON", "invalid type", "no JSON"]
                    .iter()
                    .any(|m| message.contains(m)),
                "{label} in {mode}: unclear error {message:?}"
            );
        }
    }
}

#[tokio::test]
async fn strict_is_the_default() {
    let (_, text, _) = &almost_json()[0];
    let server = serve_chat(vec![text_answer(text, (10, 5))]).await;
    let c = client(&server).with_mode(Mode::Json);
    assert!(!c.is_lenient());
    let error = c.create::<Person>(request(None)).await.unwrap_err();
    assert!(attempt_error(&error).contains("trailing comma"), "{error}");
}

#[tokio::test]
async fn a_string_that_is_no_number_is_still_reported_by_field() {
    let server = serve_chat(vec![text_answer(
        r#"{"name": "Ann", "age": "thirty", "active": true, "score": 4.5, "tags": []}"#,
        (10, 5),
    )])
    .await;
    let error = client(&server)
        .with_mode(Mode::Json)
        .create::<Person>(request(Some(true)))
        .await
        .unwrap_err();
    let message = attempt_error(&error);
    assert!(
        message.starts_with("age: invalid type: string \"thirty\""),
        "{message}"
    );
}

fn stream_client(url: &str, mode: Mode) -> instructor::Client {
    instructor::from_openai(OpenAI::new("sk-test").base_url(url))
        .with_mode(mode)
        .with_model("gpt-4o-mini")
}

/// `create_partial` over `events`: the snapshots and the final value (or error).
async fn partials(
    mode: Mode,
    events: Vec<String>,
    lenient: bool,
) -> (Vec<PartialPerson>, instructor::Result<Person>) {
    let (url, _bodies) = stream_server(vec![Script {
        events,
        ..Script::default()
    }])
    .await;
    let mut stream = stream_client(&url, mode)
        .create_partial::<Person>(request(Some(lenient)))
        .await
        .unwrap();
    let mut snapshots = Vec::new();
    while let Some(p) = stream.next().await {
        match p {
            Ok(p) => snapshots.push(p),
            Err(e) => return (snapshots, Err(e)),
        }
    }
    (
        snapshots,
        stream
            .take_final()
            .ok_or_else(|| Error::stream(String::from("no final value"))),
    )
}

#[tokio::test]
async fn create_partial_streams_almost_json_when_lenient() {
    for (label, text, expected) in almost_json() {
        for size in [1, 3, 8] {
            let (mode, events) = if label.contains("fenced") {
                (Mode::MdJson, chat_text_stream(&pieces(text, size), (10, 5)))
            } else {
                (
                    Mode::Tools,
                    chat_tool_stream("Person", &pieces(text, size), (10, 5)),
                )
            };
            let (snapshots, last) = partials(mode, events.clone(), true).await;
            assert_eq!(last.unwrap(), expected, "{label} in pieces of {size}");
            let final_snapshot = snapshots.last().unwrap();
            assert_eq!(final_snapshot.name.as_deref(), Some("Ann"), "{label}");
            assert_eq!(
                final_snapshot.age,
                Some(31),
                "{label}: coerced in snapshots too"
            );
            for snapshot in &snapshots {
                assert!(
                    snapshot.age.is_none() || snapshot.age == Some(31),
                    "{label}: {snapshot:?}"
                );
            }
            let (_, strict) = partials(mode, events, false).await;
            let message = attempt_error(&strict.unwrap_err());
            assert!(!message.is_empty(), "{label}");
        }
    }
}

#[tokio::test]
async fn create_iterable_streams_almost_json_items_when_lenient() {
    let text = "{tasks: [\n  {name: 'Ann', age: '31', active: True, score: 4.5, tags: [],}, // first\n  {'name': 'Bo', 'age': 7, 'active': 'false', 'score': '1', 'tags': ['x',],},\n],}";
    for size in [1, 4, 9] {
        for mode in [Mode::Tools, Mode::Json] {
            let events = if mode == Mode::Tools {
                chat_tool_stream("IterablePerson", &pieces(text, size), (10, 5))
            } else {
                chat_text_stream(&pieces(text, size), (10, 5))
            };
            let (url, _bodies) = stream_server(vec![Script {
                events: events.clone(),
                ..Script::default()
            }])
            .await;
            let items: Vec<_> = stream_client(&url, mode)
                .create_iterable::<Person>(request(Some(true)))
                .await
                .unwrap()
                .collect()
                .await;
            let items: Vec<Person> = items.into_iter().map(Result::unwrap).collect();
            let bo = Person {
                name: "Bo".into(),
                age: 7,
                active: false,
                score: 1.0,
                tags: vec!["x".into()],
            };
            assert_eq!(items, vec![ann(&[]), bo], "{mode} in pieces of {size}");

            let (url, _bodies) = stream_server(vec![Script {
                events,
                ..Script::default()
            }])
            .await;
            let strict: Vec<_> = stream_client(&url, mode)
                .create_iterable::<Person>(request(Some(false)))
                .await
                .unwrap()
                .collect()
                .await;
            assert!(
                strict.iter().any(Result::is_err),
                "strict {mode}: {strict:?}"
            );
            assert!(
                !strict.iter().any(Result::is_ok),
                "strict {mode}: {strict:?}"
            );
        }
    }
}

/// MdJson: prose between the opening fence and the object is skipped, streamed or
/// not, and bracketed prose before the fence is not taken for the answer.
#[tokio::test]
async fn md_json_skips_prose_before_the_object_streamed_or_not() {
    let object = r#"{"name": "Ann", "age": 31, "active": true, "score": 4.5, "tags": ["a"]}"#;
    for text in [
        format!("I found [one] person:\n```json\n{object}\n```"),
        format!("```json\n// the person [1]\n{object}\n```"),
        format!("Sure {{the}} person:\n```json\n{object}\n```"),
    ] {
        let server = serve_chat(vec![text_answer(&text, (10, 5))]).await;
        let got: Person = client(&server)
            .with_mode(Mode::MdJson)
            .create(request(None))
            .await
            .unwrap();
        assert_eq!(got, ann(&["a"]), "{text}");
        for size in [1, 5] {
            let (snapshots, last) = partials(
                Mode::MdJson,
                chat_text_stream(&pieces(&text, size), (10, 5)),
                false,
            )
            .await;
            assert_eq!(last.unwrap(), ann(&["a"]), "{text} in pieces of {size}");
            assert!(snapshots.iter().all(
                |s| s.name.is_none() || s.name.as_deref().is_some_and(|n| "Ann".starts_with(n))
            ));
        }
    }
}
