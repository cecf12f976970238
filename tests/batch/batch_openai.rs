//! Provider batches on OpenAI's Batch API, against a local emulation of its Files
//! and Batches endpoints (`common/openai_batch.rs`).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::openai_batch::{OpenAiBatches, Outcome, Plan};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{OpenAI, RetryPolicy};
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

const MODEL: &str = "gpt-4o-mini";

fn client_for(base_url: &str, mode: Mode) -> Client {
    let provider = OpenAI::new("sk-test-secret")
        .base_url(base_url)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(50),
        ));
    instructor::from_openai(provider)
        .with_mode(mode)
        .with_model(MODEL)
}

fn fast<T>(batches: Batches<T>) -> Batches<T> {
    batches.poll_interval(Duration::from_millis(1), Duration::from_millis(4))
}

/// How many messages the body's conversation has (a reask adds some).
fn turns(body: &Value) -> usize {
    body.get("messages")
        .or_else(|| body.get("input"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn user_args(age: u32) -> String {
    json!({"name": "Jason", "age": age}).to_string()
}

/// Answers per custom id: `ok-*` valid, `bad-*` out of range until reasked,
/// `err-*` a 500, `refuse-*` a refusal, `trunc-*` cut at the token limit.
fn answer(id: &str, body: &Value) -> Outcome {
    let reasked = turns(body) > 2;
    let prefix = id.split('-').next().unwrap_or("");
    match prefix {
        "ok" => Outcome::Body(crate::common::tool_answer("User", &user_args(25), (10, 5))),
        "bad" if reasked => {
            Outcome::Body(crate::common::tool_answer("User", &user_args(30), (20, 5)))
        }
        "bad" => Outcome::Body(crate::common::tool_answer("User", &user_args(200), (10, 5))),
        "err" => Outcome::Http(
            500,
            json!({"error": {"message": "server exploded", "type": "server_error", "code": null}}),
        ),
        "refuse" => Outcome::Body(json!({
            "id": "c", "object": "chat.completion", "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})),
        "trunc" => {
            let mut body = crate::common::tool_answer("User", "{\"name\": \"Ja", (10, 64));
            body["choices"][0]["finish_reason"] = json!("length");
            Outcome::Body(body)
        }
        _ => Outcome::Error("invalid_request".into(), format!("unknown id {id}")),
    }
}

fn request(text: &str) -> Request {
    Request::new(MODEL).system("Extract the user.").user(text)
}

fn requests(ids: &[&str]) -> Vec<(String, Request)> {
    ids.iter()
        .map(|id| {
            (
                (*id).to_owned(),
                request(&format!("Document {id}: Jason is 25.")),
            )
        })
        .collect()
}

fn by_id<'a, T>(items: &'a [BatchItem<T>], id: &str) -> &'a BatchItem<T> {
    items.iter().find(|i| i.custom_id == id).expect(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_of_items_comes_back_typed_and_a_reask_round_fixes_the_invalid_ones() {
    let emulation = OpenAiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::Tools);
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = Arc::clone(&seen);
    let batches =
        fast(client.batch::<User>()).on_progress(move |p| log.lock().unwrap().push(p.clone()));
    let ids = [
        "ok-1", "bad-1", "err-1", "refuse-1", "trunc-1", "ok-2", "bad-2",
    ];
    let job = batches.submit(requests(&ids)).await.unwrap();
    assert_eq!(job.len(), 7);
    assert_eq!(job.batch_ids().len(), 1);
    let status = batches.status(&job).await.unwrap();
    assert!(!status.state.is_ended(), "{status:?}");

    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Completed);
    assert_eq!(
        (
            status.counts.total,
            status.counts.succeeded,
            status.counts.failed,
            status.counts.pending
        ),
        (7, 6, 1, 0)
    );
    let progress = seen.lock().unwrap().clone();
    assert!(progress.len() >= 2, "{progress:?}");
    assert!(
        progress.windows(2).all(|w| w[0].done <= w[1].done),
        "{progress:?}"
    );
    let last = progress.last().unwrap();
    assert_eq!((last.done, last.failed, last.total), (7, 1, Some(7)));

    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 7);
    assert_eq!(
        by_id(&items, "ok-1").result.as_ref().unwrap(),
        &User {
            name: "Jason".into(),
            age: 25
        }
    );
    assert_eq!(by_id(&items, "ok-1").usage, Usage::new(10, 5, 15));
    match &by_id(&items, "bad-1").result {
        Err(Error::RetriesExhausted(r)) => {
            assert_eq!(r.attempts.len(), 1);
            assert!(
                r.attempts[0].error.to_string().contains("age"),
                "{}",
                r.attempts[0].error
            );
        }
        other => panic!("{other:?}"),
    }
    match &by_id(&items, "err-1").result {
        Err(Error::Http(e)) => assert_eq!((e.status, e.message.as_str()), (500, "server exploded")),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&by_id(&items, "refuse-1").result, Err(Error::Refusal(t)) if t.contains("can't"))
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
    let follow_up = batches.wait(&follow_up).await.unwrap();
    let fixed = batches.results(&follow_up).await.unwrap();
    assert_eq!(fixed.len(), 2);
    for item in &fixed {
        assert_eq!(
            item.result.as_ref().unwrap(),
            &User {
                name: "Jason".into(),
                age: 30
            }
        );
    }
    assert!(batches.reask(&follow_up, &fixed).await.unwrap().is_none());

    // Each follow-up body is what create's second attempt sends.
    let lines = emulation.uploaded_lines();
    for id in ["bad-1", "bad-2"] {
        let follow = lines.iter().rev().find(|l| l["custom_id"] == id).unwrap();
        let expected =
            create_second_body(Mode::Tools, &format!("Document {id}: Jason is 25.")).await;
        assert_eq!(follow["body"], expected, "{id}");
    }
}

/// The body `create` sends on its second attempt, after an out-of-range answer.
async fn create_second_body(mode: Mode, text: &str) -> Value {
    let (route, bad, good) = if mode == Mode::ResponsesTools {
        (
            "/v1/responses",
            crate::common::responses_answer("User", &user_args(200), (10, 5)),
            crate::common::responses_answer("User", &user_args(30), (1, 1)),
        )
    } else {
        (
            "/v1/chat/completions",
            crate::common::tool_answer("User", &user_args(200), (10, 5)),
            crate::common::tool_answer("User", &user_args(30), (1, 1)),
        )
    };
    let server = crate::common::serve(
        route,
        vec![
            wiremock::ResponseTemplate::new(200).set_body_json(bad),
            wiremock::ResponseTemplate::new(200).set_body_json(good),
        ],
    )
    .await;
    let client = client_for(&format!("{}/v1", server.uri()), mode);
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

/// The body `create` sends on its first attempt.
async fn create_first_body(mode: Mode, request: Request) -> Value {
    let server = wiremock::MockServer::start().await;
    let client = client_for(&format!("{}/v1", server.uri()), mode);
    let captured: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = Arc::clone(&captured);
    client.on(HookEvent::CompletionKwargs, move |p| {
        if let HookPayload::CompletionKwargs { body, attempt: 1 } = p {
            sink.lock().unwrap().push((*body).clone());
        }
    });
    // The server has no route: the call fails after the body was shown.
    let _ = client.create::<User>(request.max_retries(0)).await;
    let bodies = captured.lock().unwrap().clone();
    bodies.into_iter().next().expect("a first attempt")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_is_creates_first_body_in_every_mode() {
    let modes = [
        Mode::Tools,
        Mode::ToolsStrict,
        Mode::Json,
        Mode::JsonSchema,
        Mode::MdJson,
        Mode::Functions,
        Mode::JsonO1,
        Mode::OpenRouterStructuredOutputs,
        Mode::ResponsesTools,
    ];
    let emulation = OpenAiBatches::start(answer).await;
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
        let before = emulation.uploaded_lines().len();
        client
            .batch::<User>()
            .submit(vec![("ok-1".to_owned(), req())])
            .await
            .unwrap();
        let lines = emulation.uploaded_lines();
        assert_eq!(lines.len(), before + 1);
        let line = &lines[before];
        let url = if mode == Mode::ResponsesTools {
            "/v1/responses"
        } else {
            "/v1/chat/completions"
        };
        assert_eq!(
            (line["method"].as_str(), line["url"].as_str()),
            (Some("POST"), Some(url))
        );
        assert_eq!(
            line["body"],
            create_first_body(mode, req()).await,
            "{mode:?}"
        );
        if matches!(mode, Mode::Tools | Mode::ResponsesTools) {
            insta::assert_json_snapshot!(format!("batch_openai_line_{mode:?}"), line);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reask_bodies_match_creates_second_attempt_in_the_responses_api_too() {
    let emulation = OpenAiBatches::start(|id, body| {
        let reasked = turns(body) > 2;
        let age = if reasked || id.starts_with("ok") {
            30
        } else {
            200
        };
        Outcome::Body(crate::common::responses_answer(
            "User",
            &user_args(age),
            (10, 5),
        ))
    })
    .await;
    let client = client_for(&emulation.base_url(), Mode::ResponsesTools);
    let batches = fast(client.batch::<User>());
    let job = batches.submit(requests(&["bad-1", "ok-1"])).await.unwrap();
    let job = batches.wait(&job).await.unwrap();
    let items = batches.results(&job).await.unwrap();
    let follow_up = batches.reask(&job, &items).await.unwrap().unwrap();
    assert_eq!(follow_up.custom_ids().collect::<Vec<_>>(), ["bad-1"]);
    let line = emulation.uploaded_lines().pop().unwrap();
    let expected = create_second_body(Mode::ResponsesTools, "Document bad-1: Jason is 25.").await;
    assert_eq!(line["body"], expected);
    let fixed = batches
        .results(&batches.wait(&follow_up).await.unwrap())
        .await
        .unwrap();
    assert_eq!(fixed[0].result.as_ref().unwrap().age, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_cancelled_and_failed_jobs_say_which_items_never_ran() {
    let emulation = OpenAiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::Tools);
    let batches = fast(client.batch::<User>());

    emulation.plan_next(Plan::Expire { ran: 1 });
    let job = batches
        .submit(requests(&["ok-1", "ok-2", "ok-3"]))
        .await
        .unwrap();
    let job = batches.wait(&job).await.unwrap();
    assert_eq!(job.last_status().unwrap().state, BatchState::Expired);
    let items = batches.results(&job).await.unwrap();
    assert!(by_id(&items, "ok-1").is_ok());
    for id in ["ok-2", "ok-3"] {
        assert!(
            matches!(
                &by_id(&items, id).result,
                Err(Error::Batch(BatchError::NotRun {
                    reason: NotRunReason::Expired,
                    ..
                }))
            ),
            "{:?}",
            by_id(&items, id).result
        );
    }

    emulation.cancel_runs(2);
    let job = batches
        .submit(requests(&["ok-1", "ok-2", "ok-3"]))
        .await
        .unwrap();
    batches.cancel(&job).await.unwrap();
    assert_eq!(
        batches.status(&job).await.unwrap().state,
        BatchState::Cancelled
    );
    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 2);
    assert!(matches!(
        &by_id(&items, "ok-3").result,
        Err(Error::Batch(BatchError::NotRun {
            reason: NotRunReason::Cancelled,
            ..
        }))
    ));

    emulation.plan_next(Plan::Fail(vec![(
        "invalid_json_line".into(),
        "This line is not parseable as valid JSON.".into(),
        2,
    )]));
    let job = batches.submit(requests(&["ok-1", "ok-2"])).await.unwrap();
    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Failed);
    assert!(status.errors[0].contains("line 2"), "{:?}", status.errors);
    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 2);
    for item in &items {
        match &item.result {
            Err(Error::Batch(BatchError::NotRun {
                reason: NotRunReason::Failed,
                message,
            })) => {
                assert!(message.contains("not parseable"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    // Nothing failed validation: no follow-up.
    assert!(batches.reask(&job, &items).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_refuse_a_job_made_for_another_type_and_an_unended_job() {
    let emulation = OpenAiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::Tools);
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
async fn bad_custom_ids_and_mixed_models_are_refused_before_anything_is_sent() {
    let emulation = OpenAiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::Tools);
    let batches = client.batch::<User>();
    for (ids, bad) in [(vec!["a", ""], ""), (vec!["a", "b", "a"], "a")] {
        match batches.submit(requests(&ids)).await {
            Err(Error::Batch(BatchError::InvalidCustomId { id, .. })) => assert_eq!(id, bad),
            other => panic!("{other:?}"),
        }
    }
    let mixed = vec![
        ("a".to_owned(), request("x")),
        ("b".to_owned(), Request::new("gpt-4o").user("y")),
    ];
    match batches.submit(mixed).await {
        Err(Error::Batch(BatchError::MixedModels { first, other, id })) => {
            assert_eq!(
                (first.as_str(), other.as_str(), id.as_str()),
                (MODEL, "gpt-4o", "b")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(emulation.uploads().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_output_lines_are_typed_errors_and_the_other_items_still_come() {
    let emulation = OpenAiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::Tools);
    let batches = fast(client.batch::<User>());
    let job = batches.submit(requests(&["ok-1", "ok-2"])).await.unwrap();
    let huge = format!(
        "{{\"custom_id\": \"ok-1\", \"pad\": \"{}\"}}",
        "x".repeat(17 * 1024 * 1024)
    );
    emulation.add_output_lines(vec![
        b"this is not json".to_vec(),
        b"{\"custom_id\": \"\xff\xfe\"}".to_vec(),
        huge.into_bytes(),
        br#"{"custom_id": "stranger", "response": null, "error": {"code": "x", "message": "y"}}"#
            .to_vec(),
        br#"{"custom_id": "ok-2", "response": {"status_code": 200, "body": {"choices": "nope"}}}"#
            .to_vec(),
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
    // Garbage, invalid UTF-8, the huge line, a stranger's id, and a second line for ok-2.
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(
        errors.iter().all(|e| matches!(e, Error::Response(_))),
        "{errors:?}"
    );
    // One item each; the reversed output puts the hostile ok-2 line first.
    assert_eq!(items.len(), 2);
    assert!(by_id(&items, "ok-1").is_ok());
    assert!(matches!(
        &by_id(&items, "ok-2").result,
        Err(Error::Response(_))
    ));
    // `results` stops at the first unreadable part.
    assert!(matches!(
        batches.results(&job).await,
        Err(Error::Response(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_through_the_providers_jobs_newest_first() {
    let emulation = OpenAiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::Tools);
    let batches = client.batch::<User>();
    emulation.page_cap(2);
    let mut submitted = Vec::new();
    for n in 0..3 {
        let job = batches
            .submit(requests(&[&format!("ok-{n}")]))
            .await
            .unwrap();
        submitted.push(job.batch_ids()[0].clone());
    }
    let listed = batches.list().await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|j| j.batch_ids()[0].as_str()).collect();
    submitted.reverse();
    assert_eq!(ids, submitted);
    assert!(
        listed
            .iter()
            .all(|j| j.last_status().is_some() && j.is_empty())
    );
}

/// The saved job, read by a new client in another process.
const JOB_FILE_VAR: &str = "INSTRUCTOR_TEST_BATCH_JOB";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_job_is_carried_on_by_a_new_client_in_another_process() {
    let emulation = OpenAiBatches::start(answer).await;
    let path =
        std::env::temp_dir().join(format!("instructor-batch-job-{}.json", std::process::id()));
    {
        let client = client_for(&emulation.base_url(), Mode::Tools);
        let job = client
            .batch::<User>()
            .submit(requests(&["ok-1", "bad-1", "err-1"]))
            .await
            .unwrap();
        let text = serde_json::to_string_pretty(&job).unwrap();
        assert!(!text.contains("sk-test-secret"));
        std::fs::write(&path, text).unwrap();
    } // the client is dropped
    let exe = std::env::current_exe().unwrap();
    let base = emulation.base_url();
    let job_path = path.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args([
                "--exact",
                "batch_openai::continue_a_saved_job",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("OPENAI_API_KEY", "sk-another-key")
            .env("OPENAI_BASE_URL", base)
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
        r#"{"bad-1":"validation","err-1":"http 500","ok-1":"Jason 25"}"#
    );
    let _ = std::fs::remove_file(path);
}

/// Run by the test above in a child process (with its environment).
#[tokio::test]
#[ignore = "run as a child process by a_saved_job_is_carried_on_by_a_new_client_in_another_process"]
async fn continue_a_saved_job() {
    let Ok(path) = std::env::var(JOB_FILE_VAR) else {
        eprintln!("{JOB_FILE_VAR} is not set: this test runs only as the parent test's child");
        return;
    };
    let job: BatchJob = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let client = instructor::from_openai(OpenAI::from_env().unwrap());
    let batches = fast(client.batch::<User>());
    let job = batches.wait(&job).await.unwrap();
    let items = batches.results(&job).await.unwrap();
    let summary: std::collections::BTreeMap<String, String> = items
        .iter()
        .map(|item| {
            let text = match &item.result {
                Ok(u) => format!("{} {}", u.name, u.age),
                Err(Error::RetriesExhausted(_)) => "validation".to_owned(),
                Err(Error::Http(e)) => format!("http {}", e.status),
                Err(other) => other.to_string(),
            };
            (item.custom_id.clone(), text)
        })
        .collect();
    println!("SUMMARY {}", serde_json::to_string(&summary).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_schema_job_is_read_back_from_the_schema_it_embeds() {
    let schema = json!({
        "title": "Person", "description": "A person.", "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer", "maximum": 150}},
        "required": ["name", "age"]
    });
    let model = instructor::DynamicModel::from_json_schema(&schema).unwrap();
    let emulation = OpenAiBatches::start(|id, _| {
        let age = if id == "bad" { 200 } else { 25 };
        Outcome::Body(crate::common::tool_answer(
            "Person",
            &user_args(age),
            (1, 1),
        ))
    })
    .await;
    let client = client_for(&emulation.base_url(), Mode::Tools);
    let submit = vec![
        (
            "good".to_owned(),
            request("Jason is 25.").response_model(model.clone()),
        ),
        (
            "bad".to_owned(),
            request("Jason is 200.").response_model(model),
        ),
    ];
    let job = client.batch::<Value>().submit(submit).await.unwrap();
    assert_eq!(job.response_name(), "Person");
    let job: BatchJob = serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
    // A new handle knows nothing of the model: the job's schema is enough.
    let batches = fast(client.batch::<Value>());
    let job = batches.wait(&job).await.unwrap();
    let items = batches.results(&job).await.unwrap();
    assert_eq!(
        by_id(&items, "good").result.as_ref().unwrap(),
        &json!({"name": "Jason", "age": 25})
    );
    assert!(matches!(
        by_id(&items, "bad").result,
        Err(Error::RetriesExhausted(_))
    ));
    assert!(matches!(
        client.batch::<User>().results(&job).await,
        Err(Error::Batch(BatchError::WrongResponseModel { .. }))
    ));
}

/// Almost-JSON, as a small model writes it: single quotes, a trailing comma, the age
/// as a string.
fn sloppy(_: &str, _: &Value) -> Outcome {
    Outcome::Body(crate::common::tool_answer(
        "User",
        "{'name': 'Jason', 'age': '25',}",
        (10, 5),
    ))
}

#[tokio::test]
async fn a_lenient_client_reads_almost_json_results_and_a_strict_one_reports_them() {
    let emulation = OpenAiBatches::start(sloppy).await;
    let strict = client_for(&emulation.base_url(), Mode::Tools);
    let lenient = strict.clone().with_lenient(true);
    let job = fast(strict.batch::<User>())
        .submit(requests(&["ok-1"]))
        .await
        .unwrap();
    let job = fast(strict.batch::<User>()).wait(&job).await.unwrap();
    let items = fast(lenient.batch::<User>()).results(&job).await.unwrap();
    assert_eq!(items[0].result.as_ref().unwrap().age, 25);
    let items = fast(strict.batch::<User>()).results(&job).await.unwrap();
    let error = items[0].result.as_ref().unwrap_err().to_string();
    assert!(error.contains("invalid JSON"), "{error}");
}
