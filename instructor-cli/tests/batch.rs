//! `instructor batch` run as a process against the workspace's local emulation of
//! OpenAI's Files and Batches endpoints (`tests/common/openai_batch.rs`, shared with
//! the library's batch tests): submit → status → wait → results with valid,
//! invalid and provider-errored items, reask rounds (and a second run reusing the
//! saved follow-up), cancel, list, and the exit-2 cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

#[path = "../../tests/common/openai_batch.rs"]
mod openai_batch;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use openai_batch::{OpenAiBatches, Outcome};
use serde_json::{Value, json};

const SCHEMA: &str = r#"{
  "title": "User",
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": "integer", "minimum": 0}
  },
  "required": ["name", "age"]
}"#;

const OTHER_SCHEMA: &str = r#"{
  "title": "Invoice",
  "type": "object",
  "properties": {"number": {"type": "string"}},
  "required": ["number"]
}"#;

/// A Chat Completions answer with one tool call.
fn tool_answer(name: &str, arguments: &Value) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1",
                "type": "function", "function": {"name": name, "arguments": arguments.to_string()}}]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })
}

/// Answers each line from its user text: `name=Ann age=30` gives that user; a
/// negative age breaks the schema until the line is reasked (then its absolute
/// value), unless the text says `stubborn`; `explode` is a provider 500.
fn answer(_custom_id: &str, body: &Value) -> Outcome {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let text = messages
        .iter()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    if text.contains("explode") {
        return Outcome::Http(
            500,
            json!({"error": {"message": "server exploded", "type": "server_error", "code": null}}),
        );
    }
    let reasked = messages.iter().any(|m| m["role"] == "assistant");
    let fields: HashMap<&str, &str> = text
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let mut age: i64 = fields.get("age").and_then(|a| a.parse().ok()).unwrap_or(0);
    if reasked && !text.contains("stubborn") {
        age = age.abs();
    }
    let tool = body["tools"][0]["function"]["name"]
        .as_str()
        .unwrap_or("User");
    Outcome::Body(tool_answer(
        tool,
        &json!({"name": fields.get("name").copied().unwrap_or(""), "age": age}),
    ))
}

struct Fixture {
    emulation: OpenAiBatches,
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Self {
        let emulation = OpenAiBatches::start(answer).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("user.json"), SCHEMA).unwrap();
        std::fs::write(dir.path().join("invoice.json"), OTHER_SCHEMA).unwrap();
        Self { emulation, dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_instructor"));
        command
            .env_clear()
            .env("OPENAI_API_KEY", "sk-test-key")
            .env("OPENAI_BASE_URL", self.emulation.base_url())
            .env("INSTRUCTOR_MODEL", "openai/gpt-4o-mini")
            .current_dir(self.dir.path())
            .args(args);
        command
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || {
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    }

    /// Runs and expects exit code `code`; returns stdout.
    async fn expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args).await;
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Writes `in.jsonl` and submits it as `job.json`; returns the summary.
    async fn submit(&self, input: &str) -> Value {
        self.submit_as(input, "job.json").await
    }

    /// Writes `in.jsonl` and submits it as `job`; returns the summary.
    async fn submit_as(&self, input: &str, job: &str) -> Value {
        std::fs::write(self.file("in.jsonl"), input).unwrap();
        let stdout = self
            .expect(
                &[
                    "batch",
                    "submit",
                    "--schema",
                    "user.json",
                    "--input",
                    "in.jsonl",
                    "--job",
                    job,
                ],
                0,
            )
            .await;
        serde_json::from_str(&stdout).unwrap()
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The output lines by id (as JSON text), asserting each id appears once.
fn by_id(path: &Path) -> HashMap<String, Value> {
    let mut lines = HashMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        let id = line["id"].to_string();
        assert!(lines.insert(id.clone(), line).is_none(), "{id} twice");
    }
    lines
}

const WAIT: [&str; 6] = [
    "batch",
    "wait",
    "--job",
    "job.json",
    "--poll-interval",
    "0.01",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_status_wait_results_give_every_id_once_with_typed_errors() {
    let fx = Fixture::new().await;
    let summary = fx
        .submit(
            "{\"id\": \"a\", \"text\": \"name=Ann age=30\"}\n\
             \"name=Bo age=41\"\n\
             {\"id\": \"bad\", \"text\": \"name=Cy age=-1\"}\n\
             {\"id\": 7, \"text\": \"name=Err age=1 explode\"}\n\
             not json\n",
        )
        .await;
    assert_eq!(summary["items"], 4);
    assert_eq!(summary["invalid_lines"], 1);
    assert_eq!(summary["provider"], "openai");
    assert_eq!(summary["batch_ids"].as_array().unwrap().len(), 1);
    // The job file is the library's BatchJob (plus the CLI's extras it ignores).
    let text = std::fs::read_to_string(fx.file("job.json")).unwrap();
    assert!(!text.contains("sk-test-key"));
    let job: instructor::BatchJob = serde_json::from_str(&text).unwrap();
    assert_eq!(job.custom_ids().collect::<Vec<_>>(), ["a", "2", "bad", "7"]);
    // Each line's body is extract's prompt shape: the text as the user message.
    let lines = fx.emulation.uploaded_lines();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["custom_id"], "a");
    assert_eq!(
        lines[0]["body"]["messages"],
        json!([{"role": "user", "content": "name=Ann age=30"}])
    );

    let status: Value = serde_json::from_str(
        &fx.expect(&["batch", "status", "--job", "job.json"], 0)
            .await,
    )
    .unwrap();
    assert_eq!(status["state"], "in_progress");
    assert_eq!(status["counts"]["total"], 4);

    // Results before the end are refused, and the output is not created.
    let out = fx
        .run(&[
            "batch",
            "results",
            "--job",
            "job.json",
            "--out",
            "out.jsonl",
        ])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not ended"), "{}", stderr(&out));
    assert!(!fx.file("out.jsonl").exists());

    let waited: Value = serde_json::from_str(&fx.expect(&WAIT, 0).await).unwrap();
    assert_eq!(waited["state"], "completed");
    assert_eq!(
        waited["counts"],
        json!({"total": 4, "succeeded": 3, "failed": 1, "pending": 0})
    );
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(fx.file("job.json")).unwrap()).unwrap();
    assert_eq!(
        saved["status"]["state"], "completed",
        "wait saves the last status"
    );

    fx.expect(
        &[
            "batch",
            "results",
            "--job",
            "job.json",
            "--out",
            "out.jsonl",
        ],
        1,
    )
    .await;
    let out = by_id(&fx.file("out.jsonl"));
    assert_eq!(out.len(), 5, "{out:?}");
    assert_eq!(out["\"a\""]["value"], json!({"name": "Ann", "age": 30}));
    assert_eq!(
        out["2"]["value"],
        json!({"name": "Bo", "age": 41}),
        "a numeric id stays a number"
    );
    assert_eq!(out["\"bad\""]["error"]["kind"], "validation");
    assert!(
        out["\"bad\""]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("age")
    );
    assert_eq!(out["7"]["error"]["kind"], "http");
    assert!(
        out["7"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("server exploded")
    );
    assert_eq!(out["5"]["error"]["kind"], "input");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reask_rounds_fix_the_invalid_items_and_a_second_run_reuses_the_follow_up() {
    let fx = Fixture::new().await;
    fx.submit(
        "{\"id\": \"ok\", \"text\": \"name=Ann age=30\"}\n\
         {\"id\": \"neg-1\", \"text\": \"name=Cy age=-4\"}\n\
         {\"id\": \"neg-2\", \"text\": \"name=Di age=-9\"}\n",
    )
    .await;
    fx.expect(&WAIT, 0).await;
    let results = [
        "batch",
        "results",
        "--job",
        "job.json",
        "--out",
        "out.jsonl",
        "--reask-rounds",
        "1",
        "--poll-interval",
        "0.01",
    ];
    fx.expect(&results, 0).await;
    let out = by_id(&fx.file("out.jsonl"));
    assert_eq!(out.len(), 3);
    assert_eq!(out["\"ok\""]["value"], json!({"name": "Ann", "age": 30}));
    assert_eq!(out["\"neg-1\""]["value"], json!({"name": "Cy", "age": 4}));
    assert_eq!(out["\"neg-2\""]["value"], json!({"name": "Di", "age": 9}));

    // The follow-up: only the two invalid items, each with its answer and errors.
    let uploads = fx.emulation.uploaded_lines();
    assert_eq!(uploads.len(), 5);
    let follow: Vec<&Value> = uploads[3..].iter().collect();
    let ids: Vec<&str> = follow
        .iter()
        .map(|l| l["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["neg-1", "neg-2"]);
    let messages = follow[0]["body"]["messages"].as_array().unwrap();
    assert!(messages.len() > 1 && messages[1]["role"] == "assistant");
    assert!(messages.last().unwrap().to_string().contains("age"));
    let saved: instructor::BatchJob =
        serde_json::from_str(&std::fs::read_to_string(fx.file("job.round-2.json")).unwrap())
            .unwrap();
    assert_eq!(saved.round(), 2);
    assert_eq!(saved.len(), 2);
    assert_eq!(saved.last_status().map(|s| s.state.is_ended()), Some(true));

    // As after a kill: the same command again rewrites the output and reuses the
    // saved follow-up (nothing new is submitted).
    std::fs::write(fx.file("out.jsonl"), "{\"id\": \"torn").unwrap();
    fx.expect(&results, 0).await;
    assert_eq!(fx.emulation.uploaded_lines().len(), 5, "no new follow-up");
    assert_eq!(by_id(&fx.file("out.jsonl")), out);
}

/// Complete lines in a file a killed process may have left torn.
fn whole_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |text| {
        text.split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_results_run_killed_while_waiting_for_its_follow_up_resumes_without_resubmitting() {
    let fx = Fixture::new().await;
    fx.submit(
        "{\"id\": \"ok\", \"text\": \"name=Ann age=30\"}\n\
         {\"id\": \"neg\", \"text\": \"name=Cy age=-4\"}\n",
    )
    .await;
    fx.expect(&WAIT, 0).await;
    let results = |poll: &'static str| {
        [
            "batch",
            "results",
            "--job",
            "job.json",
            "--out",
            "out.jsonl",
            "--reask-rounds",
            "1",
            "--poll-interval",
            poll,
        ]
    };
    // Slow polling: the run sits waiting on its follow-up once it has saved it.
    let mut child = fx
        .command(&results("30"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !fx.file("job.round-2.json").exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no follow-up saved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        whole_lines(&fx.file("out.jsonl")),
        1,
        "only the valid item was written; the invalid one was held back"
    );
    assert_eq!(fx.emulation.uploaded_lines().len(), 3);

    fx.expect(&results("0.01"), 0).await;
    assert_eq!(
        fx.emulation.uploaded_lines().len(),
        3,
        "the saved follow-up was reused, not submitted again"
    );
    let out = by_id(&fx.file("out.jsonl"));
    assert_eq!(out.len(), 2);
    assert_eq!(out["\"neg\""]["value"], json!({"name": "Cy", "age": 4}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_left_by_another_job_of_the_same_name_is_not_reused() {
    let fx = Fixture::new().await;
    let input = "{\"id\": \"neg\", \"text\": \"name=Cy age=-4\"}\n";
    let results = [
        "batch",
        "results",
        "--job",
        "job.json",
        "--out",
        "out.jsonl",
        "--reask-rounds",
        "1",
        "--poll-interval",
        "0.01",
    ];
    fx.submit(input).await;
    fx.expect(&WAIT, 0).await;
    fx.expect(&results, 0).await;
    assert_eq!(fx.emulation.uploaded_lines().len(), 2);
    // The same input submitted again under the same name; the old follow-up stays.
    std::fs::remove_file(fx.file("job.json")).unwrap();
    fx.submit(input).await;
    fx.expect(&WAIT, 0).await;
    fx.expect(&results, 0).await;
    assert_eq!(
        fx.emulation.uploaded_lines().len(),
        4,
        "a new follow-up for the new job"
    );
    let follow: Value =
        serde_json::from_str(&std::fs::read_to_string(fx.file("job.round-2.json")).unwrap())
            .unwrap();
    let job: Value =
        serde_json::from_str(&std::fs::read_to_string(fx.file("job.json")).unwrap()).unwrap();
    assert_eq!(follow["instructor_cli"]["follows"], job["batch_ids"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_still_invalid_after_the_last_round_is_written_with_its_error() {
    let fx = Fixture::new().await;
    fx.submit(
        "{\"id\": 1, \"text\": \"name=Ann age=-3\"}\n\
         {\"id\": 2, \"text\": \"name=Bo age=-5 stubborn\"}\n",
    )
    .await;
    fx.expect(&WAIT, 0).await;
    fx.expect(
        &[
            "batch",
            "results",
            "--job",
            "job.json",
            "--out",
            "out.jsonl",
            "--reask-rounds",
            "2",
            "--poll-interval",
            "0.01",
        ],
        1,
    )
    .await;
    let out = by_id(&fx.file("out.jsonl"));
    assert_eq!(out.len(), 2);
    assert_eq!(out["1"]["value"], json!({"name": "Ann", "age": 3}));
    assert_eq!(out["2"]["error"]["kind"], "validation");
    // Two follow-up rounds: both items, then only the stubborn one.
    assert!(fx.file("job.round-2.json").exists());
    let third: instructor::BatchJob =
        serde_json::from_str(&std::fs::read_to_string(fx.file("job.round-3.json")).unwrap())
            .unwrap();
    assert_eq!(third.custom_ids().collect::<Vec<_>>(), ["2"]);
    assert_eq!(fx.emulation.uploaded_lines().len(), 2 + 2 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_job_says_which_items_never_ran() {
    let fx = Fixture::new().await;
    fx.submit("\"name=Ann age=30\"\n\"name=Bo age=41\"\n").await;
    let status: Value = serde_json::from_str(
        &fx.expect(&["batch", "cancel", "--job", "job.json"], 0)
            .await,
    )
    .unwrap();
    assert!(
        ["cancelling", "cancelled"].contains(&status["state"].as_str().unwrap()),
        "{status}"
    );
    let waited: Value = serde_json::from_str(&fx.expect(&WAIT, 0).await).unwrap();
    assert_eq!(waited["state"], "cancelled");
    fx.expect(
        &[
            "batch",
            "results",
            "--job",
            "job.json",
            "--out",
            "out.jsonl",
        ],
        1,
    )
    .await;
    let out = by_id(&fx.file("out.jsonl"));
    assert_eq!(out.len(), 2);
    for line in out.values() {
        assert_eq!(line["error"]["kind"], "not_run", "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_prints_the_providers_jobs_newest_first() {
    let fx = Fixture::new().await;
    let first = fx.submit_as("\"name=Ann age=30\"\n", "one.json").await;
    let second = fx.submit_as("\"name=Bo age=41\"\n", "two.json").await;
    let listed: Value = serde_json::from_str(
        &fx.expect(&["batch", "list", "--provider", "openai"], 0)
            .await,
    )
    .unwrap();
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|job| &job["batch_ids"][0])
        .collect();
    assert_eq!(
        ids,
        [&second["batch_ids"][0], &first["batch_ids"][0]],
        "{listed}"
    );
    assert_eq!(listed[0]["status"]["counts"]["total"], 1);
    assert!(listed[0]["created_at"].as_u64().unwrap() > listed[1]["created_at"].as_u64().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_and_broken_job_files_exit_2_with_a_clear_line() {
    let fx = Fixture::new().await;
    fx.submit("{\"id\": \"a\", \"text\": \"name=Ann age=30\"}\n")
        .await;
    fx.expect(&WAIT, 0).await;
    let uploads = fx.emulation.uploaded_lines().len();
    std::fs::write(fx.file("corrupt.json"), "{\"format\": 1, \"provi").unwrap();
    std::fs::write(fx.file("other.json"), "{\"hello\": \"world\"}").unwrap();
    std::fs::write(
        fx.file("dup.jsonl"),
        "{\"id\": \"x\", \"text\": \"a\"}\n{\"id\": \"x\", \"text\": \"b\"}\n",
    )
    .unwrap();
    std::fs::write(fx.file("empty.jsonl"), "\n").unwrap();
    // (arguments, what stderr must mention, whether it is our one-line error)
    let cases: Vec<(Vec<&str>, &str, bool)> = vec![
        (
            vec!["batch", "status", "--job", "missing.json"],
            "missing.json",
            true,
        ),
        (
            vec!["batch", "wait", "--job", "corrupt.json"],
            "not JSON",
            true,
        ),
        (
            vec!["batch", "cancel", "--job", "other.json"],
            "not a batch job",
            true,
        ),
        (
            vec![
                "batch",
                "results",
                "--job",
                "job.json",
                "--out",
                "o.jsonl",
                "--schema",
                "invoice.json",
            ],
            "Invoice",
            true,
        ),
        (
            vec![
                "batch",
                "submit",
                "--schema",
                "user.json",
                "--input",
                "dup.jsonl",
                "--job",
                "d.json",
            ],
            "`x`",
            true,
        ),
        (
            vec![
                "batch",
                "submit",
                "--schema",
                "user.json",
                "--input",
                "empty.jsonl",
                "--job",
                "e.json",
            ],
            "at least one",
            true,
        ),
        (
            vec![
                "batch",
                "submit",
                "--schema",
                "user.json",
                "--input",
                "nope.jsonl",
                "--job",
                "n.json",
            ],
            "nope.jsonl",
            true,
        ),
        (
            vec![
                "batch",
                "submit",
                "--schema",
                "user.json",
                "--input",
                "dup.jsonl",
                "--job",
                "job.json",
            ],
            "already exists",
            true,
        ),
        (
            vec![
                "batch",
                "submit",
                "--schema",
                "user.json",
                "--input",
                "dup.jsonl",
                "--job",
                "no/such/dir/j.json",
            ],
            "does not exist",
            true,
        ),
        (
            vec![
                "batch",
                "submit",
                "--schema",
                "user.json",
                "--input",
                "in.jsonl",
            ],
            "--job",
            false,
        ),
        (
            vec!["batch", "results", "--job", "job.json"],
            "--out",
            false,
        ),
        (
            vec!["batch", "list", "--provider", "nosuch"],
            "nosuch",
            false,
        ),
        (
            vec!["batch", "wait", "--job", "job.json", "--poll-interval", "0"],
            "poll-interval",
            false,
        ),
        (vec!["batch", "frobnicate"], "frobnicate", false),
    ];
    for (args, needle, one_line) in cases {
        let out = fx.run(&args).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        if one_line {
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
            assert!(err.starts_with("error: "), "{args:?}: {err}");
        }
    }
    assert!(
        !fx.file("o.jsonl").exists(),
        "a refused job leaves --out alone"
    );
    assert_eq!(
        fx.emulation.uploaded_lines().len(),
        uploads,
        "nothing was submitted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_help_works_with_no_key_and_shows_worked_examples() {
    let fx = Fixture::new().await;
    for args in [
        vec!["batch", "--help"],
        vec!["help", "batch"],
        vec!["--help"],
    ] {
        let mut command = fx.command(&args);
        command.env_clear();
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Examples:") && text.contains("instructor batch submit --schema"),
            "{text}"
        );
    }
}
