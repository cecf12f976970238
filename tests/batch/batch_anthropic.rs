//! Provider batches on Anthropic's Message Batches API, against a local emulation
//! of its endpoints (`common/anthropic_batch.rs`).
#![cfg(feature = "anthropic")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::anthropic_batch::{AnthropicBatches, Outcome, Plan};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{Anthropic, RetryPolicy};
use instructor::{
    BatchError, BatchItem, BatchJob, BatchState, Batches, HookPayload, NotRunReason, Progress,
    Usage,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A person mentioned in the text.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    /// Full name as written in the text.
    name: String,
    #[instruct(range(min = 0, max = 150))]
    age: u32,
}

/// Something else entirely.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Invoice {
    number: String,
}

const MODEL: &str = "claude-3-5-sonnet-20240620";
const KEY: &str = "sk-ant-test-secret";

fn client_for(base_url: &str, mode: Mode) -> Client {
    let provider = Anthropic::new(KEY)
        .base_url(base_url)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(50),
        ));
    instructor::from_anthropic(provider)
        .try_with_mode(mode)
        .unwrap()
        .with_model(MODEL)
}

fn fast<T>(batches: Batches<T>) -> Batches<T> {
    batches.poll_interval(Duration::from_millis(1), Duration::from_millis(4))
}

/// A Messages API answer.
fn message(content: Value, stop_reason: &str, usage: (u64, u64)) -> Value {
    json!({"id": "msg_01", "type": "message", "role": "assistant", "model": MODEL,
        "content": content, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": usage.0, "output_tokens": usage.1,
            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
}

/// The model's answer `user` in the shape its request asks for: a `tool_use` block
/// when it offers tools, JSON text otherwise.
fn user_message(params: &Value, age: u32, usage: (u64, u64)) -> Value {
    let user = json!({"name": "Jason", "age": age});
    if params.get("tools").is_some() {
        message(
            json!([{"type": "text", "text": "I'll extract the user."},
                {"type": "tool_use", "id": "toolu_01", "name": "User", "input": user}]),
            "tool_use",
            usage,
        )
    } else {
        message(
            json!([{"type": "text", "text": user.to_string()}]),
            "end_turn",
            usage,
        )
    }
}

/// Whether a request carries a reask (the first one has a single user turn).
fn reasked(params: &Value) -> bool {
    params["messages"].as_array().map_or(0, Vec::len) > 1
}

/// Answers per custom id: `ok-*` valid, `bad-*` out of range until reasked,
/// `err-*` overloaded, `invalid-*` a bad request, `refuse-*` a refusal, `trunc-*`
/// cut at `max_tokens`.
fn answer(id: &str, params: &Value) -> Outcome {
    let prefix = id.split('-').next().unwrap_or("");
    match prefix {
        "ok" => Outcome::Message(user_message(params, 25, (10, 5))),
        "bad" if reasked(params) => Outcome::Message(user_message(params, 30, (20, 5))),
        "bad" => Outcome::Message(user_message(params, 200, (10, 5))),
        "err" => Outcome::Errored("overloaded_error".into(), "Overloaded".into()),
        "invalid" => Outcome::Errored(
            "invalid_request_error".into(),
            "max_tokens: 99999999 > 8192".into(),
        ),
        "refuse" => Outcome::Message(json!({"id": "msg_02", "type": "message",
            "role": "assistant", "model": MODEL, "content": [], "stop_reason": "refusal",
            "stop_details": {"type": "refusal", "category": "cyber", "explanation": "I can't help with that."},
            "usage": {"input_tokens": 3, "output_tokens": 2}})),
        "trunc" => Outcome::Message(message(
            json!([{"type": "tool_use", "id": "toolu_01", "name": "User", "input": {"name": "Ja"}}]),
            "max_tokens",
            (10, 64),
        )),
        _ => Outcome::Errored("api_error".into(), format!("unknown id {id}")),
    }
}

fn request(text: &str) -> Request {
    Request::new(MODEL).system("Extract the user.").user(text)
}

fn text_of(id: &str) -> String {
    format!("Document {id}: Jason is 25.")
}

fn requests(ids: &[&str]) -> Vec<(String, Request)> {
    ids.iter()
        .map(|id| ((*id).to_owned(), request(&text_of(id))))
        .collect()
}

fn by_id<'a, T>(items: &'a [BatchItem<T>], id: &str) -> &'a BatchItem<T> {
    items.iter().find(|i| i.custom_id == id).expect(id)
}

/// The `params` last submitted for `id`.
fn params_of(emulation: &AnthropicBatches, id: &str) -> Value {
    let submitted = emulation.submitted();
    let found = submitted.iter().rev().find(|(i, _)| i == id);
    found.expect(id).1.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_of_items_comes_back_typed_and_a_reask_round_fixes_the_invalid_ones() {
    let emulation = AnthropicBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = Arc::clone(&seen);
    let batches =
        fast(client.batch::<User>()).on_progress(move |p| log.lock().unwrap().push(p.clone()));
    let ids = [
        "ok-1",
        "bad-1",
        "err-1",
        "invalid-1",
        "refuse-1",
        "trunc-1",
        "ok-2",
        "bad-2",
    ];
    let job = batches.submit(requests(&ids)).await.unwrap();
    assert_eq!((job.len(), job.batch_ids().len()), (8, 1));
    assert!(job.batch_ids()[0].starts_with("msgbatch_"));
    assert_eq!(job.provider(), "anthropic");
    let status = batches.status(&job).await.unwrap();
    assert_eq!(status.state, BatchState::InProgress);
    assert_eq!((status.counts.total, status.counts.pending), (8, 8));

    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Completed);
    let counts = status.counts;
    assert_eq!(
        (
            counts.total,
            counts.succeeded,
            counts.failed,
            counts.pending
        ),
        (8, 6, 2, 0)
    );
    let progress = seen.lock().unwrap().clone();
    assert!(progress.len() >= 2, "{progress:?}");
    assert_eq!(progress[0].done, 0, "counts are final only once ended");
    let last = progress.last().unwrap();
    assert_eq!((last.done, last.failed, last.total), (8, 2, Some(8)));

    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 8);
    let jason = |age| User {
        name: "Jason".into(),
        age,
    };
    assert_eq!(by_id(&items, "ok-1").result.as_ref().unwrap(), &jason(25));
    assert_eq!(by_id(&items, "ok-2").result.as_ref().unwrap(), &jason(25));
    assert_eq!(by_id(&items, "ok-1").usage, Usage::new(10, 5, 15));
    match &by_id(&items, "bad-1").result {
        Err(Error::RetriesExhausted(r)) => {
            assert_eq!(r.attempts.len(), 1);
            assert!(r.attempts[0].error.to_string().contains("age"));
        }
        other => panic!("{other:?}"),
    }
    match &by_id(&items, "err-1").result {
        Err(Error::Http(e)) => {
            assert_eq!((e.status, e.message.as_str()), (529, "Overloaded"));
            assert_eq!(e.kind.as_deref(), Some("overloaded_error"));
            assert!(e.request_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    match &by_id(&items, "invalid-1").result {
        Err(Error::Http(e)) => assert_eq!(e.status, 400),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&by_id(&items, "refuse-1").result, Err(Error::Refusal(t)) if t.contains("can't")),
        "{:?}",
        by_id(&items, "refuse-1").result
    );
    assert!(matches!(
        &by_id(&items, "trunc-1").result,
        Err(Error::Truncated { .. })
    ));
    assert_eq!(
        BatchItem::total_usage(&items),
        Usage::new(10 * 4 + 3 + 10, 5 * 4 + 2 + 64, 15 * 4 + 5 + 74)
    );

    // The reask round: only the two invalid items, under their ids.
    let follow_up = batches
        .reask(&job, &items)
        .await
        .unwrap()
        .expect("a follow-up");
    assert_eq!(follow_up.round(), 2);
    let mut follow_ids: Vec<&str> = follow_up.custom_ids().collect();
    follow_ids.sort_unstable();
    assert_eq!(follow_ids, ["bad-1", "bad-2"]);
    let created = emulation.created();
    assert_eq!(created.len(), 2);
    assert_eq!(created[1]["requests"].as_array().unwrap().len(), 2);
    let follow_up = batches.wait(&follow_up).await.unwrap();
    let fixed = batches.results(&follow_up).await.unwrap();
    assert_eq!(fixed.len(), 2);
    for item in &fixed {
        assert_eq!(item.result.as_ref().unwrap(), &jason(30));
    }
    assert!(batches.reask(&follow_up, &fixed).await.unwrap().is_none());

    // Each follow-up's params are what create's second attempt sends.
    for id in ["bad-1", "bad-2"] {
        let expected = create_second_body(Mode::AnthropicTools, &text_of(id)).await;
        assert_eq!(params_of(&emulation, id), expected, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reask_params_match_creates_second_attempt_in_the_json_modes() {
    for mode in [Mode::AnthropicJson, Mode::JsonSchema] {
        let emulation = AnthropicBatches::start(answer).await;
        let client = client_for(&emulation.base_url(), mode);
        let batches = fast(client.batch::<User>());
        let job = batches.submit(requests(&["bad-1", "ok-1"])).await.unwrap();
        let job = batches.wait(&job).await.unwrap();
        let items = batches.results(&job).await.unwrap();
        assert!(by_id(&items, "ok-1").is_ok(), "{mode}");
        let follow_up = batches.reask(&job, &items).await.unwrap().unwrap();
        assert_eq!(follow_up.custom_ids().collect::<Vec<_>>(), ["bad-1"]);
        let expected = create_second_body(mode, &text_of("bad-1")).await;
        assert_eq!(params_of(&emulation, "bad-1"), expected, "{mode}");
        let fixed = batches
            .results(&batches.wait(&follow_up).await.unwrap())
            .await
            .unwrap();
        assert_eq!(fixed[0].result.as_ref().unwrap().age, 30, "{mode}");
    }
}

/// The body `create` sends on its second attempt, after an out-of-range answer.
async fn create_second_body(mode: Mode, text: &str) -> Value {
    let shape = if matches!(mode, Mode::AnthropicTools | Mode::Tools) {
        json!({"tools": []})
    } else {
        json!({})
    };
    let server = crate::common::serve(
        "/v1/messages",
        vec![
            wiremock::ResponseTemplate::new(200).set_body_json(user_message(&shape, 200, (10, 5))),
            wiremock::ResponseTemplate::new(200).set_body_json(user_message(&shape, 30, (1, 1))),
        ],
    )
    .await;
    let client = client_for(&server.uri(), mode);
    let captured: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = Arc::clone(&captured);
    client.on(HookEvent::CompletionKwargs, move |p| {
        if let HookPayload::CompletionKwargs { body, attempt: 2 } = p {
            sink.lock().unwrap().push((*body).clone());
        }
    });
    let user = client
        .create::<User>(request(text).max_retries(1))
        .await
        .unwrap();
    assert_eq!(user.age, 30);
    let bodies = captured.lock().unwrap().clone();
    bodies.into_iter().next().expect("a second attempt")
}

/// The body `create` (or `create_parallel`) sends on its first attempt.
async fn create_first_body(mode: Mode, request: Request) -> Value {
    let server = wiremock::MockServer::start().await;
    let client = client_for(&server.uri(), mode);
    let captured: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = Arc::clone(&captured);
    client.on(HookEvent::CompletionKwargs, move |p| {
        if let HookPayload::CompletionKwargs { body, attempt: 1 } = p {
            sink.lock().unwrap().push((*body).clone());
        }
    });
    // The server has no route: the call fails after the body was shown.
    if mode == Mode::ParallelTools {
        let _ = client.create_parallel::<User>(request.max_retries(0)).await;
    } else {
        let _ = client.create::<User>(request.max_retries(0)).await;
    }
    let bodies = captured.lock().unwrap().clone();
    bodies.into_iter().next().expect("a first attempt")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_creates_first_body_in_every_anthropic_mode() {
    let modes = [
        Mode::AnthropicTools,
        Mode::Tools,
        Mode::AnthropicJson,
        Mode::Json,
        Mode::MdJson,
        Mode::JsonSchema,
        Mode::ParallelTools,
    ];
    let emulation = AnthropicBatches::start(answer).await;
    for mode in modes {
        let client = client_for(&emulation.base_url(), mode);
        let req = || {
            Request::new(MODEL)
                .system("Extract the user.")
                .user("{{ who }} is 25.")
                .context(json!({"who": "Jason"}))
                .temperature(0.2)
                .max_tokens(300)
        };
        let before = emulation.created().len();
        client
            .batch::<User>()
            .submit(vec![("ok-1".to_owned(), req())])
            .await
            .unwrap();
        let created = emulation.created();
        assert_eq!(created.len(), before + 1);
        let body = &created[before];
        let requests = body["requests"].as_array().unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0]["custom_id"], "ok-1");
        let params = &requests[0]["params"];
        assert!(params.get("stream").is_none(), "{mode}");
        assert_eq!(params, &create_first_body(mode, req()).await, "{mode}");
        if mode == Mode::AnthropicTools {
            insta::assert_json_snapshot!("batch_anthropic_create_AnthropicTools", body);
        }
    }
    // Every request carried the key, the version and the library's User-Agent.
    for seen in emulation.seen() {
        assert_eq!(seen.api_key.as_deref(), Some(KEY), "{seen:?}");
        assert_eq!(seen.version.as_deref(), Some("2023-06-01"), "{seen:?}");
        assert!(
            seen.user_agent
                .as_deref()
                .is_some_and(|u| u.contains("instructor")),
            "{seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_cancelled_jobs_say_which_items_never_ran() {
    let emulation = AnthropicBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
    let batches = fast(client.batch::<User>());
    let not_run = |item: &BatchItem<User>, want: NotRunReason| {
        matches!(&item.result,
            Err(Error::Batch(BatchError::NotRun { reason, .. })) if *reason == want)
    };

    // Part ran, the rest expired.
    emulation.plan_next(Plan::Expire { ran: 1 });
    let job = batches
        .submit(requests(&["ok-1", "ok-2", "ok-3"]))
        .await
        .unwrap();
    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Expired);
    assert_eq!((status.counts.succeeded, status.counts.failed), (1, 2));
    let items = batches.results(&job).await.unwrap();
    assert!(by_id(&items, "ok-1").is_ok());
    for id in ["ok-2", "ok-3"] {
        let item = by_id(&items, id);
        assert!(not_run(item, NotRunReason::Expired), "{:?}", item.result);
        assert_eq!(item.usage, Usage::default());
    }

    // Nothing ran.
    emulation.plan_next(Plan::Expire { ran: 0 });
    let job = batches.submit(requests(&["ok-1", "ok-2"])).await.unwrap();
    let job = batches.wait(&job).await.unwrap();
    assert_eq!(job.last_status().unwrap().state, BatchState::Expired);
    let items = batches.results(&job).await.unwrap();
    assert!(items.iter().all(|i| not_run(i, NotRunReason::Expired)));
    assert!(batches.reask(&job, &items).await.unwrap().is_none());

    // Cancelled after two ran: canceling, then ended.
    emulation.cancel_runs(2);
    let job = batches
        .submit(requests(&["ok-1", "ok-2", "ok-3"]))
        .await
        .unwrap();
    batches.cancel(&job).await.unwrap();
    assert_eq!(
        batches.status(&job).await.unwrap().state,
        BatchState::Cancelling
    );
    match batches.results(&job).await {
        Err(Error::Batch(BatchError::NotEnded { state })) => {
            assert_eq!(state, BatchState::Cancelling);
        }
        other => panic!("{other:?}"),
    }
    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Cancelled);
    assert_eq!((status.counts.succeeded, status.counts.failed), (2, 1));
    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 2);
    assert!(not_run(by_id(&items, "ok-3"), NotRunReason::Cancelled));
    // An ended batch cannot be cancelled again: the provider's error, typed.
    match batches.cancel(&job).await {
        Err(Error::Http(e)) => assert_eq!(e.status, 400),
        other => panic!("{other:?}"),
    }

    // Cancelled before anything ran.
    emulation.cancel_runs(0);
    let job = batches.submit(requests(&["ok-1", "ok-2"])).await.unwrap();
    batches.cancel(&job).await.unwrap();
    let job = batches.wait(&job).await.unwrap();
    assert_eq!(job.last_status().unwrap().state, BatchState::Cancelled);
    let items = batches.results(&job).await.unwrap();
    assert!(items.iter().all(|i| not_run(i, NotRunReason::Cancelled)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_refuse_a_job_made_for_another_type_and_an_unended_job() {
    let emulation = AnthropicBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
    let job = client
        .batch::<User>()
        .submit(requests(&["ok-1"]))
        .await
        .unwrap();
    match client.batch::<User>().results(&job).await {
        Err(Error::Batch(BatchError::NotEnded { state })) => assert!(!state.is_ended()),
        other => panic!("{other:?}"),
    }
    let job = fast(client.batch::<User>()).wait(&job).await.unwrap();
    match client.batch::<Invoice>().results(&job).await {
        Err(Error::Batch(BatchError::WrongResponseModel { job, requested })) => {
            assert_eq!((job.as_str(), requested.as_str()), ("User", "Invoice"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.batch::<User>().results(&job).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_custom_ids_are_refused_by_name_before_anything_is_sent() {
    let emulation = AnthropicBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
    let batches = client.batch::<User>();
    let long = "x".repeat(65);
    let cases: [(&[&str], &str, &str); 7] = [
        (&["ok-1", ""], "", "empty"),
        (&["ok-1", "doc 2"], "doc 2", "' '"),
        (&["ok-1", "doc.2"], "doc.2", "'.'"),
        (&["ok-1", "a/b"], "a/b", "'/'"),
        (&["ok-1", "dóc"], "dóc", "'ó'"),
        (&["ok-1", &long], &long, "65 bytes"),
        (&["ok-1", "ok-2", "ok-1"], "ok-1", "more than one"),
    ];
    for (ids, bad, why) in cases {
        match batches.submit(requests(ids)).await {
            Err(Error::Batch(BatchError::InvalidCustomId { id, reason })) => {
                assert_eq!(id, bad);
                assert!(reason.contains(why), "{reason}");
                let text = Error::Batch(BatchError::InvalidCustomId {
                    id: id.clone(),
                    reason,
                })
                .to_string();
                assert!(text.contains(&format!("`{bad}`")), "{text}");
            }
            other => panic!("{ids:?}: {other:?}"),
        }
    }
    assert!(emulation.created().is_empty());
    assert!(emulation.seen().is_empty(), "nothing was sent");
    // The widest valid ids go through.
    let edge = "A_b-9".repeat(12) + "Zz_-";
    assert_eq!(edge.len(), 64);
    batches.submit(requests(&[&edge, "a"])).await.unwrap();
    assert_eq!(emulation.created().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_result_lines_are_typed_errors_and_the_other_items_still_come() {
    let emulation = AnthropicBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
    let batches = fast(client.batch::<User>());
    let job = batches.submit(requests(&["ok-1", "ok-2"])).await.unwrap();
    let huge = format!(
        "{{\"custom_id\": \"ok-1\", \"pad\": \"{}\"}}",
        "x".repeat(17 * 1024 * 1024)
    );
    emulation.add_result_lines(vec![
        b"this is not json".to_vec(),
        b"{\"custom_id\": \"\xff\xfe\", \"result\": {\"type\": \"canceled\"}}".to_vec(),
        huge.into_bytes(),
        b"[1, 2, 3]".to_vec(),
        br#"{"custom_id": "stranger", "result": {"type": "succeeded", "message": {}}}"#.to_vec(),
        br#"{"custom_id": "ok-2", "result": {"type": "succeeded", "message": {"content": "nope"}}}"#
            .to_vec(),
        br#"{"custom_id": "ok-1", "result": {"type": "from-the-future"}}"#.to_vec(),
        br#"{"custom_id": "nobody", "result": null}"#.to_vec(),
    ]);
    let job = batches.wait(&job).await.unwrap();
    let mut stream = batches.results_stream(&job).await.unwrap();
    let (mut items, mut errors) = (Vec::new(), Vec::new());
    while let Some(next) = stream.next().await {
        match next {
            Ok(item) => items.push(item),
            Err(error) => errors.push(error),
        }
    }
    // Garbage, invalid UTF-8, the huge line, an array, a stranger's id, second lines
    // for ok-2 and ok-1, and a line without a result.
    assert_eq!(errors.len(), 8, "{errors:?}");
    assert!(
        errors.iter().all(|e| matches!(e, Error::Response(_))),
        "{errors:?}"
    );
    // One item each, from the real lines (they come first).
    assert_eq!(items.len(), 2);
    assert!(by_id(&items, "ok-1").is_ok());
    assert!(by_id(&items, "ok-2").is_ok());
    // `results` stops at the first unreadable line.
    assert!(matches!(
        batches.results(&job).await,
        Err(Error::Response(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_results_url_on_another_host_is_not_followed_with_the_key() {
    let elsewhere = wiremock::MockServer::start().await;
    let emulation = AnthropicBatches::start(answer).await;
    emulation.results_origin(&elsewhere.uri());
    let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
    let batches = fast(client.batch::<User>());
    let job = batches.submit(requests(&["ok-1"])).await.unwrap();
    let job = batches.wait(&job).await.unwrap();
    let items = batches.results(&job).await.unwrap();
    assert!(by_id(&items, "ok-1").is_ok());
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    let id = &job.batch_ids()[0];
    assert!(
        emulation
            .seen()
            .iter()
            .any(|s| s.path == format!("/v1/messages/batches/{id}/results"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_through_the_providers_jobs_newest_first() {
    let emulation = AnthropicBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
    let batches = fast(client.batch::<User>());
    emulation.page_cap(2);
    let mut submitted = Vec::new();
    for n in 0..5 {
        let job = batches
            .submit(requests(&[&format!("ok-{n}")]))
            .await
            .unwrap();
        if n == 0 {
            batches.wait(&job).await.unwrap();
        }
        submitted.push(job.batch_ids()[0].clone());
    }
    let listed = batches.list().await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|j| j.batch_ids()[0].as_str()).collect();
    submitted.reverse();
    assert_eq!(ids, submitted);
    assert!(
        listed
            .iter()
            .all(|j| j.is_empty() && j.provider() == "anthropic")
    );
    let states: Vec<BatchState> = listed
        .iter()
        .map(|j| j.last_status().unwrap().state)
        .collect();
    assert_eq!(states.last(), Some(&BatchState::Completed));
    assert!(states[..4].iter().all(|s| *s == BatchState::InProgress));
    let pages: Vec<String> = emulation
        .seen()
        .into_iter()
        .filter(|s| s.path.starts_with("/v1/messages/batches?"))
        .map(|s| s.path)
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        pages[1].contains(&format!("after_id={}", submitted[1])),
        "{pages:?}"
    );
    // A listed job's results are readable (without the type check).
    let oldest = listed.last().unwrap();
    let items = batches.results(oldest).await.unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0].is_ok());
}

/// The saved job, read by a new client in another process.
const JOB_FILE_VAR: &str = "INSTRUCTOR_TEST_ANTHROPIC_BATCH_JOB";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_job_is_carried_on_by_a_new_client_in_another_process() {
    let emulation = AnthropicBatches::start(answer).await;
    let path = std::env::temp_dir().join(format!(
        "instructor-anthropic-batch-job-{}.json",
        std::process::id()
    ));
    {
        let client = client_for(&emulation.base_url(), Mode::AnthropicTools);
        let job = client
            .batch::<User>()
            .submit(requests(&["ok-1", "bad-1", "err-1"]))
            .await
            .unwrap();
        let text = serde_json::to_string_pretty(&job).unwrap();
        assert!(!text.contains(KEY));
        std::fs::write(&path, text).unwrap();
    } // the client is dropped
    let exe = std::env::current_exe().unwrap();
    let base = emulation.base_url();
    let job_path = path.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args([
                "--exact",
                "batch_anthropic::continue_a_saved_job",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("ANTHROPIC_API_KEY", "sk-ant-another-key")
            .env("ANTHROPIC_BASE_URL", base)
            .env(JOB_FILE_VAR, job_path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = stdout
        .lines()
        .find_map(|l| l.split_once("SUMMARY ").map(|(_, s)| s))
        .expect(&stdout);
    assert_eq!(
        summary,
        r#"{"bad-1":"validation, then Jason 30","err-1":"http 529","ok-1":"Jason 25"}"#
    );
    // The child's requests carried its own key; the reask went out as a second batch.
    let seen = emulation.seen();
    assert!(
        seen.iter()
            .any(|s| s.api_key.as_deref() == Some("sk-ant-another-key"))
    );
    assert_eq!(emulation.created().len(), 2);
    let _ = std::fs::remove_file(path);
}

/// Run by the test above in a child process (with its environment): waits, reads
/// the results, and runs a reask round from the job file alone.
#[tokio::test]
#[ignore = "run as a child process by a_saved_job_is_carried_on_by_a_new_client_in_another_process"]
async fn continue_a_saved_job() {
    let Ok(path) = std::env::var(JOB_FILE_VAR) else {
        eprintln!("{JOB_FILE_VAR} is not set: this test runs only as the parent test's child");
        return;
    };
    let job: BatchJob = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let client = instructor::from_anthropic(Anthropic::from_env().unwrap());
    let batches = fast(client.batch::<User>());
    let job = batches.wait(&job).await.unwrap();
    let items = batches.results(&job).await.unwrap();
    let describe = |result: &instructor::Result<User>| match result {
        Ok(u) => format!("{} {}", u.name, u.age),
        Err(Error::RetriesExhausted(_)) => "validation".to_owned(),
        Err(Error::Http(e)) => format!("http {}", e.status),
        Err(other) => other.to_string(),
    };
    let mut summary: std::collections::BTreeMap<String, String> = items
        .iter()
        .map(|item| (item.custom_id.clone(), describe(&item.result)))
        .collect();
    let follow_up = batches.reask(&job, &items).await.unwrap().unwrap();
    let fixed = batches
        .results(&batches.wait(&follow_up).await.unwrap())
        .await
        .unwrap();
    for item in &fixed {
        let before = summary.remove(&item.custom_id).unwrap_or_default();
        summary.insert(
            item.custom_id.clone(),
            format!("{before}, then {}", describe(&item.result)),
        );
    }
    println!("SUMMARY {}", serde_json::to_string(&summary).unwrap());
}
