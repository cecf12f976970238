//! Provider batches on Gemini batch mode, against a local emulation of its
//! `batchGenerateContent`, batch operation and File API download endpoints
//! (`common/gemini_batch.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::gemini_batch::{GeminiBatches, Outcome, Plan};
use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::{Gemini, RetryPolicy, SchemaField};
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

const MODEL: &str = "gemini-2.0-flash";
const KEY: &str = "AIza-test-secret";

fn gemini(base_url: &str) -> Gemini {
    Gemini::new(KEY)
        .base_url(base_url)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(50),
        ))
}

fn client_for(base_url: &str, mode: Mode) -> Client {
    instructor::from_gemini(gemini(base_url))
        .with_mode(mode)
        .with_model(MODEL)
}

fn fast<T>(batches: Batches<T>) -> Batches<T> {
    batches.poll_interval(Duration::from_millis(1), Duration::from_millis(4))
}

/// A `GenerateContentResponse`.
fn response(parts: Value, finish: &str, usage: (u64, u64)) -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish,
            "index": 0, "safetyRatings": []}],
        "usageMetadata": {"promptTokenCount": usage.0, "candidatesTokenCount": usage.1,
            "totalTokenCount": usage.0 + usage.1},
        "modelVersion": MODEL, "responseId": "resp_01"})
}

fn user_args(age: u32) -> String {
    json!({"name": "Jason", "age": age}).to_string()
}

/// The model's answer carrying `json`, in the shape the request's mode asks for
/// (a call when it declares tools, JSON text when it sets a response type, fenced
/// JSON otherwise).
fn answer_for(request: &Value, json: &str, usage: (u64, u64)) -> Value {
    if request.get("tools").is_some() {
        let args: Value = serde_json::from_str(json).unwrap();
        let call = json!({"functionCall": {"name": "User", "args": args},
            "thoughtSignature": "c2lnbmF0dXJl"});
        let thought = json!({"text": "The user is Jason.", "thought": true});
        response(json!([thought, call]), "STOP", usage)
    } else if request
        .pointer("/generationConfig/responseMimeType")
        .is_some()
    {
        response(json!([{"text": json}]), "STOP", usage)
    } else {
        let text = format!("```json\n{json}\n```");
        response(json!([{"text": text}]), "STOP", usage)
    }
}

/// Whether the request is a reask: the conversation has the model's answer, or
/// the JSON modes' correction request (merged into the user turn).
fn reasked(request: &Value) -> bool {
    let contents = request["contents"].as_array().cloned().unwrap_or_default();
    contents.iter().any(|c| c["role"] == "model")
        || Value::Array(contents).to_string().contains("Correct")
}

/// Answers per key: `ok-*` valid, `bad-*` out of range until reasked, `err-*` a
/// provider error, `safety-*` a blocked prompt, `trunc-*` cut at the token limit.
fn answer(key: &str, request: &Value) -> Outcome {
    let prefix = key.split('-').next().unwrap_or("");
    match prefix {
        "ok" => Outcome::Response(answer_for(request, &user_args(25), (10, 5))),
        "bad" if reasked(request) => {
            Outcome::Response(answer_for(request, &user_args(30), (20, 5)))
        }
        "bad" => Outcome::Response(answer_for(request, &user_args(200), (10, 5))),
        "err" => Outcome::Error(13, "An internal error has occurred.".into()),
        "safety" => Outcome::Response(json!({
            "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
            "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}})),
        "trunc" => Outcome::Response(response(
            json!([{"text": "{\"name\": \"Ja"}]),
            "MAX_TOKENS",
            (10, 64),
        )),
        _ => Outcome::Error(3, format!("unknown key {key}")),
    }
}

fn request(text: &str) -> Request {
    Request::new(MODEL).system("Extract the user.").user(text)
}

fn requests(ids: &[&str]) -> Vec<(String, Request)> {
    ids.iter()
        .map(|id| ((*id).to_owned(), request(&document(id))))
        .collect()
}

fn document(id: &str) -> String {
    format!("Document {id}: Jason is 25.")
}

fn by_id<'a, T>(items: &'a [BatchItem<T>], id: &str) -> &'a BatchItem<T> {
    items.iter().find(|i| i.custom_id == id).expect(id)
}

fn jason(age: u32) -> User {
    User {
        name: "Jason".into(),
        age,
    }
}

/// The `generateContent` route of a mock server.
fn route() -> String {
    format!("/v1beta/models/{MODEL}:generateContent")
}

/// What the model answers in `mode` when it means `json` (the shape
/// [`answer_for`] gives to that mode's requests).
fn answer_in(mode: Mode, json: &str, usage: (u64, u64)) -> Value {
    let request = match mode {
        Mode::GeminiTools | Mode::Tools | Mode::ParallelTools => json!({"tools": []}),
        Mode::GeminiJson | Mode::Json | Mode::JsonSchema => {
            json!({"generationConfig": {"responseMimeType": "application/json"}})
        }
        _ => json!({}),
    };
    answer_for(&request, json, usage)
}

/// The body `create` sends on attempt `attempt`, against a mock `generateContent`
/// answering an out-of-range user, then a valid one.
async fn create_body(mode: Mode, schema: SchemaField, request: Request, attempt: u32) -> Value {
    let answers = [200, 30]
        .iter()
        .map(|age| {
            wiremock::ResponseTemplate::new(200).set_body_json(answer_in(
                mode,
                &user_args(*age),
                (10, 5),
            ))
        })
        .collect();
    let server = crate::common::serve(&route(), answers).await;
    let provider = gemini(&format!("{}/v1beta", server.uri())).schema_field(schema);
    let client = instructor::from_gemini(provider)
        .with_mode(mode)
        .with_model(MODEL);
    let captured: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = Arc::clone(&captured);
    client.on(HookEvent::CompletionKwargs, move |p| {
        if let HookPayload::CompletionKwargs { body, attempt: n } = p
            && *n == attempt
        {
            sink.lock().unwrap().push((*body).clone());
        }
    });
    if mode == Mode::ParallelTools {
        let _ = client.create_parallel::<User>(request.max_retries(0)).await;
        let bodies = captured.lock().unwrap().clone();
        return bodies.into_iter().next().expect("the attempt was made");
    }
    let result = client.create::<User>(request.max_retries(1)).await;
    if attempt == 2 {
        assert_eq!(
            result.unwrap(),
            jason(30),
            "create's second attempt succeeds"
        );
    }
    let bodies = captured.lock().unwrap().clone();
    bodies.into_iter().next().expect("the attempt was made")
}

/// The inlined request sent for `key` most recently.
fn last_inlined(emulation: &GeminiBatches, key: &str) -> Value {
    emulation
        .inlined_requests()
        .into_iter()
        .rev()
        .find(|e| e["metadata"]["key"] == key)
        .expect(key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_of_items_comes_back_typed_and_a_reask_round_fixes_the_invalid_ones() {
    let emulation = GeminiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::GeminiTools);
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = Arc::clone(&seen);
    let batches =
        fast(client.batch::<User>()).on_progress(move |p| log.lock().unwrap().push(p.clone()));
    let ids = [
        "ok-1", "bad-1", "err-1", "safety-1", "trunc-1", "ok-2", "bad-2",
    ];
    let job = batches.submit(requests(&ids)).await.unwrap();
    assert_eq!((job.len(), job.batch_ids().len()), (7, 1));
    assert!(job.batch_ids()[0].starts_with("batches/"));
    let create = &emulation.creates()[0];
    assert_eq!(create["batch"]["displayName"], "instructor-rs");
    let status = batches.status(&job).await.unwrap();
    assert_eq!(status.state, BatchState::Validating, "PENDING at first");
    assert_eq!((status.counts.total, status.counts.pending), (7, 7));

    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Completed);
    let c = status.counts;
    assert_eq!((c.total, c.succeeded, c.failed, c.pending), (7, 6, 1, 0));
    let progress = seen.lock().unwrap().clone();
    assert!(progress.len() >= 2, "{progress:?}");
    let last = progress.last().unwrap();
    assert_eq!((last.done, last.failed, last.total), (7, 1, Some(7)));
    assert!(emulation.keys().iter().all(|k| k == KEY));

    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 7);
    assert_eq!(by_id(&items, "ok-1").result.as_ref().unwrap(), &jason(25));
    assert_eq!(by_id(&items, "ok-2").result.as_ref().unwrap(), &jason(25));
    assert_eq!(by_id(&items, "ok-1").usage, Usage::new(10, 5, 15));
    for id in ["bad-1", "bad-2"] {
        match &by_id(&items, id).result {
            Err(Error::RetriesExhausted(r)) => {
                assert_eq!(r.attempts.len(), 1);
                assert!(r.attempts[0].error.to_string().contains("age"));
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    match &by_id(&items, "err-1").result {
        Err(Error::Batch(BatchError::ItemFailed { code, message })) => {
            assert_eq!(code, "INTERNAL");
            assert!(message.contains("internal error"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &by_id(&items, "safety-1").result,
        Err(Error::ContentFiltered { .. })
    ));
    assert!(matches!(
        &by_id(&items, "trunc-1").result,
        Err(Error::Truncated { .. })
    ));
    assert_eq!(
        BatchItem::total_usage(&items),
        Usage::new(10 * 4 + 3 + 10, 5 * 4 + 64, 15 * 4 + 3 + 74)
    );

    // The reask round: only the two invalid items, under their keys.
    let follow_up = batches
        .reask(&job, &items)
        .await
        .unwrap()
        .expect("a follow-up");
    assert_eq!(follow_up.round(), 2);
    let mut follow_ids: Vec<&str> = follow_up.custom_ids().collect();
    follow_ids.sort_unstable();
    assert_eq!(follow_ids, ["bad-1", "bad-2"]);
    assert_eq!(emulation.inlined_requests().len(), 7 + 2);
    for id in ["bad-1", "bad-2"] {
        let expected = create_body(
            Mode::GeminiTools,
            SchemaField::default(),
            request(&document(id)),
            2,
        )
        .await;
        assert_eq!(last_inlined(&emulation, id)["request"], expected, "{id}");
    }
    let follow_up = batches.wait(&follow_up).await.unwrap();
    let fixed = batches.results(&follow_up).await.unwrap();
    assert_eq!(fixed.len(), 2);
    assert!(
        fixed
            .iter()
            .all(|i| i.result.as_ref().unwrap() == &jason(30))
    );
    assert!(batches.reask(&follow_up, &fixed).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reask_bodies_match_creates_second_attempt_in_every_mode() {
    let emulation = GeminiBatches::start(answer).await;
    for (mode, schema) in [
        (Mode::GeminiTools, SchemaField::JsonSchema),
        (Mode::GeminiJson, SchemaField::JsonSchema),
        (Mode::GeminiJson, SchemaField::OpenApi),
        (Mode::MdJson, SchemaField::JsonSchema),
        (Mode::Json, SchemaField::JsonSchema),
        (Mode::Tools, SchemaField::JsonSchema),
    ] {
        let provider = gemini(&emulation.base_url()).schema_field(schema);
        let client = instructor::from_gemini(provider)
            .with_mode(mode)
            .with_model(MODEL);
        let batches = fast(client.batch::<User>());
        let job = batches.submit(requests(&["bad-1", "ok-1"])).await.unwrap();
        let job = batches.wait(&job).await.unwrap();
        let items = batches.results(&job).await.unwrap();
        assert!(by_id(&items, "ok-1").is_ok(), "{mode:?}");
        let follow_up = batches.reask(&job, &items).await.unwrap().unwrap();
        assert_eq!(follow_up.custom_ids().collect::<Vec<_>>(), ["bad-1"]);
        let expected = create_body(mode, schema, request(&document("bad-1")), 2).await;
        assert_eq!(
            last_inlined(&emulation, "bad-1")["request"],
            expected,
            "{mode:?} {schema:?}"
        );
        let fixed = batches
            .results(&batches.wait(&follow_up).await.unwrap())
            .await
            .unwrap();
        assert_eq!(fixed[0].result.as_ref().unwrap(), &jason(30), "{mode:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_inlined_request_is_creates_first_body_in_every_mode() {
    let emulation = GeminiBatches::start(answer).await;
    let req = |model: &str| {
        Request::new(model)
            .system("Extract the user.")
            .user("{{ who }} is 25.")
            .context(json!({"who": "Jason"}))
            .temperature(0.2)
            .max_tokens(300)
    };
    for (mode, schema) in [
        (Mode::GeminiTools, SchemaField::JsonSchema),
        (Mode::Tools, SchemaField::JsonSchema),
        (Mode::GeminiJson, SchemaField::JsonSchema),
        (Mode::GeminiJson, SchemaField::OpenApi),
        (Mode::JsonSchema, SchemaField::JsonSchema),
        (Mode::MdJson, SchemaField::JsonSchema),
        (Mode::ParallelTools, SchemaField::JsonSchema),
    ] {
        let provider = gemini(&emulation.base_url()).schema_field(schema);
        let client = instructor::from_gemini(provider)
            .with_mode(mode)
            .with_model(MODEL);
        let before = emulation.creates().len();
        client
            .batch::<User>()
            .submit(vec![("ok-1".to_owned(), req(&format!("models/{MODEL}")))])
            .await
            .unwrap();
        let creates = emulation.creates();
        assert_eq!(creates.len(), before + 1);
        let entries = creates[before]["batch"]["inputConfig"]["requests"]["requests"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["metadata"], json!({"key": "ok-1"}));
        let expected = create_body(mode, schema, req(MODEL), 1).await;
        assert_eq!(entries[0]["request"], expected, "{mode:?} {schema:?}");
        if mode == Mode::GeminiTools {
            insta::assert_json_snapshot!("batch_gemini_create_GeminiTools", creates[before]);
        }
    }
    // The `models/` prefix is not doubled in the URL: every create reached the route.
    let received = emulation.server.received_requests().await.unwrap();
    assert!(
        received
            .iter()
            .all(|r| !r.url.path().contains("models/models"))
    );
}

fn not_run(item: &BatchItem<User>, expected: NotRunReason) -> bool {
    matches!(&item.result, Err(Error::Batch(BatchError::NotRun { reason, .. })) if *reason == expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_cancelled_and_failed_jobs_say_which_items_never_ran() {
    let emulation = GeminiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::GeminiJson);
    let batches = fast(client.batch::<User>());

    emulation.plan_next(Plan::Expire { ran: 1 });
    let job = batches
        .submit(requests(&["ok-1", "ok-2", "ok-3"]))
        .await
        .unwrap();
    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Expired);
    assert_eq!((status.counts.succeeded, status.counts.pending), (1, 2));
    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 3);
    assert!(by_id(&items, "ok-1").is_ok());
    for id in ["ok-2", "ok-3"] {
        assert!(not_run(by_id(&items, id), NotRunReason::Expired), "{id}");
        assert_eq!(by_id(&items, id).usage, Usage::default());
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
    assert!(not_run(by_id(&items, "ok-3"), NotRunReason::Cancelled));
    // An ended batch cannot be cancelled again: the provider's error comes back.
    assert!(matches!(batches.cancel(&job).await, Err(Error::Http(e)) if e.status == 400));

    emulation.plan_next(Plan::Fail("The model does not support batch mode.".into()));
    let job = batches.submit(requests(&["ok-1", "ok-2"])).await.unwrap();
    let job = batches.wait(&job).await.unwrap();
    let status = job.last_status().unwrap();
    assert_eq!(status.state, BatchState::Failed);
    assert!(
        status.errors[0].contains("does not support"),
        "{:?}",
        status.errors
    );
    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 2);
    for item in &items {
        match &item.result {
            Err(Error::Batch(BatchError::NotRun {
                reason: NotRunReason::Failed,
                message,
            })) => assert!(message.contains("does not support"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
    assert!(batches.reask(&job, &items).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_read_from_a_responses_file_when_the_api_names_one() {
    let emulation = GeminiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::MdJson);
    let batches = fast(client.batch::<User>());
    emulation.plan_next(Plan::FileOutput);
    let job = batches
        .submit(requests(&["ok-1", "bad-1", "err-1"]))
        .await
        .unwrap();
    let job = batches.wait(&job).await.unwrap();
    let operation = emulation.operation(&job.batch_ids()[0]).unwrap();
    assert!(operation["response"]["responsesFile"].is_string());
    let mut stream = batches.results_stream(&job).await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item.unwrap());
    }
    assert_eq!(items.len(), 3);
    assert_eq!(by_id(&items, "ok-1").result.as_ref().unwrap(), &jason(25));
    assert!(matches!(
        &by_id(&items, "bad-1").result,
        Err(Error::RetriesExhausted(_))
    ));
    assert!(matches!(
        &by_id(&items, "err-1").result,
        Err(Error::Batch(BatchError::ItemFailed { code, .. })) if code == "INTERNAL"
    ));
    let downloads = emulation.server.received_requests().await.unwrap();
    let download = downloads
        .iter()
        .find(|r| r.url.path().starts_with("/download/v1beta/files/"))
        .expect("a File API download");
    assert_eq!(download.url.query(), Some("alt=media"));
    assert!(download.url.path().ends_with(":download"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_without_keys_fall_back_to_input_order() {
    let emulation = GeminiBatches::start(answer).await;
    emulation.echo_input_without_response_keys();
    let client = client_for(&emulation.base_url(), Mode::GeminiJson);
    let batches = fast(client.batch::<User>());
    let job = batches
        .submit(requests(&["ok-1", "err-1", "bad-1"]))
        .await
        .unwrap();
    let job = batches.wait(&job).await.unwrap();
    let operation = emulation.operation(&job.batch_ids()[0]).unwrap();
    let inlined = &operation["response"]["inlinedResponses"]["inlinedResponses"];
    assert!(inlined[0].get("metadata").is_none());
    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(by_id(&items, "ok-1").result.as_ref().unwrap(), &jason(25));
    assert!(matches!(
        &by_id(&items, "err-1").result,
        Err(Error::Batch(BatchError::ItemFailed { .. }))
    ));
    assert!(matches!(
        &by_id(&items, "bad-1").result,
        Err(Error::RetriesExhausted(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_over_the_inline_limit_is_split_into_batches_and_read_back_as_one() {
    let emulation = GeminiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::GeminiTools);
    let batches = fast(client.batch::<User>());
    // 24 requests of 1 MB: more than the 20 MB one batch takes inline.
    let padding = "x".repeat(1_000_000);
    let jobs: Vec<(String, Request)> = (0..24)
        .map(|n| {
            let id = format!("ok-{n}");
            let text = format!("{} {padding}", document(&id));
            (id, request(&text))
        })
        .collect();
    let job = batches.submit(jobs).await.unwrap();
    assert_eq!(job.batch_ids().len(), 2, "{:?}", job.batch_ids());
    let creates = emulation.creates();
    assert_eq!(creates.len(), 2);
    let names: Vec<&str> = creates
        .iter()
        .map(|c| c["batch"]["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["instructor-rs (part 1 of 2)", "instructor-rs (part 2 of 2)"]
    );
    let keys: Vec<String> = emulation
        .inlined_requests()
        .iter()
        .map(|e| e["metadata"]["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, (0..24).map(|n| format!("ok-{n}")).collect::<Vec<_>>());
    let job = batches.wait(&job).await.unwrap();
    assert_eq!(job.last_status().unwrap().counts.succeeded, 24);
    let items = batches.results(&job).await.unwrap();
    assert_eq!(items.len(), 24);
    assert!(items.iter().all(BatchItem::is_ok));

    // One request over the limit alone is refused before anything is sent.
    let huge = request(&"y".repeat(21_000_000));
    match batches.submit(vec![("huge".to_owned(), huge)]).await {
        Err(Error::Batch(BatchError::InvalidCustomId { id, reason })) => {
            assert_eq!(id, "huge");
            assert!(reason.contains("inline"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emulation.creates().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_results_are_typed_errors_and_the_other_items_still_come() {
    let emulation = GeminiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::GeminiTools);
    let batches = fast(client.batch::<User>());
    let job = batches.submit(requests(&["ok-1", "ok-2"])).await.unwrap();
    emulation.add_inlined(vec![
        json!("not an entry"),
        json!({"response": {"candidates": []}}),
        json!({"metadata": {"key": "stranger"}, "error": {"code": 3, "message": "?"}}),
        json!({"metadata": {"key": "ok-2"}, "response": {"candidates": "nope"}}),
        json!({"metadata": {"key": 42}, "response": {}}),
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
    // Not an entry, no key, a stranger's key, a second result for ok-2, a bad key.
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(
        errors.iter().all(|e| matches!(e, Error::Response(_))),
        "{errors:?}"
    );
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(BatchItem::is_ok));
    assert!(matches!(
        batches.results(&job).await,
        Err(Error::Response(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_server_gives_typed_errors_never_a_panic() {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let operation = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(method("POST"))
        .and(path_regex(":batchGenerateContent$"))
        .respond_with(operation(json!({"done": false})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1beta/batches/ok$"))
        .respond_with(operation(json!({"name": "batches/ok", "done": true,
            "metadata": {"state": "BATCH_STATE_SUCCEEDED", "batchStats": {"requestCount": "many"}},
            "response": {"inlinedResponses": {"inlinedResponses": {"not": "a list"}}}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v1beta/batches$"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let client = client_for(&format!("{}/v1beta", server.uri()), Mode::GeminiTools);
    let batches = fast(client.batch::<User>());
    // No batch name in the operation.
    assert!(matches!(
        batches.submit(requests(&["ok-1"])).await,
        Err(Error::Response(_))
    ));
    // A job saved elsewhere, edited to point outside the batches path, is refused.
    let emulation = GeminiBatches::start(answer).await;
    let real = client_for(&emulation.base_url(), Mode::GeminiTools)
        .batch::<User>()
        .submit(requests(&["ok-1"]))
        .await
        .unwrap();
    let mut saved = serde_json::to_value(&real).unwrap();
    saved["batch_ids"] = json!(["../models/x"]);
    let job: BatchJob = serde_json::from_value(saved.clone()).unwrap();
    assert!(matches!(batches.status(&job).await, Err(Error::Config(_))));
    // A batch whose stats and responses are garbage.
    saved["batch_ids"] = json!(["batches/ok"]);
    let job: BatchJob = serde_json::from_value(saved).unwrap();
    let status = batches.status(&job).await.unwrap();
    assert_eq!(
        (status.state, status.counts.total),
        (BatchState::Completed, 0)
    );
    let mut stream = batches.results_stream(&job).await.unwrap();
    assert!(matches!(stream.next().await, Some(Err(Error::Response(_)))));
    assert!(matches!(batches.list().await, Err(Error::Response(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_through_the_providers_jobs_newest_first() {
    let emulation = GeminiBatches::start(answer).await;
    let client = client_for(&emulation.base_url(), Mode::GeminiTools);
    let batches = client.batch::<User>();
    emulation.page_cap(2);
    let mut submitted = Vec::new();
    for n in 0..5 {
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
    assert!(listed.iter().all(|j| j.model() == MODEL));
    let pages = emulation
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1beta/batches")
        .count();
    assert_eq!(pages, 3);
}

/// The saved job, read by a new client in another process.
const JOB_FILE_VAR: &str = "INSTRUCTOR_TEST_GEMINI_BATCH_JOB";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_job_is_carried_on_by_a_new_client_in_another_process() {
    let emulation = GeminiBatches::start(answer).await;
    let path = std::env::temp_dir().join(format!(
        "instructor-gemini-batch-job-{}.json",
        std::process::id()
    ));
    {
        let client = client_for(&emulation.base_url(), Mode::GeminiTools);
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
                "batch_gemini::continue_a_saved_job",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GEMINI_API_KEY", "AIza-another-key")
            .env_remove("GOOGLE_API_KEY")
            .env("GEMINI_BASE_URL", base)
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
        r#"{"bad-1":"validation","err-1":"INTERNAL","ok-1":"Jason 25","round 2":"Jason 30"}"#
    );
    assert!(emulation.keys().iter().any(|k| k == "AIza-another-key"));
    let _ = std::fs::remove_file(path);
}

/// Run by the test above in a child process (with its environment): waits, reads
/// the results, and runs a reask round from the job the file holds.
#[tokio::test]
#[ignore = "run as a child process by a_saved_job_is_carried_on_by_a_new_client_in_another_process"]
async fn continue_a_saved_job() {
    let Ok(path) = std::env::var(JOB_FILE_VAR) else {
        eprintln!("{JOB_FILE_VAR} is not set: this test runs only as the parent test's child");
        return;
    };
    let job: BatchJob = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let client = instructor::from_gemini(Gemini::from_env().unwrap()).with_mode(Mode::GeminiTools);
    let batches = fast(client.batch::<User>());
    let job = batches.wait(&job).await.unwrap();
    let items = batches.results(&job).await.unwrap();
    let mut summary: std::collections::BTreeMap<String, String> = items
        .iter()
        .map(|item| {
            let text = match &item.result {
                Ok(u) => format!("{} {}", u.name, u.age),
                Err(Error::RetriesExhausted(_)) => "validation".to_owned(),
                Err(Error::Batch(BatchError::ItemFailed { code, .. })) => code.clone(),
                Err(other) => other.to_string(),
            };
            (item.custom_id.clone(), text)
        })
        .collect();
    let follow_up = batches.reask(&job, &items).await.unwrap().unwrap();
    let fixed = batches
        .results(&batches.wait(&follow_up).await.unwrap())
        .await
        .unwrap();
    let user = fixed[0].result.as_ref().unwrap();
    summary.insert("round 2".into(), format!("{} {}", user.name, user.age));
    println!("SUMMARY {}", serde_json::to_string(&summary).unwrap());
}
