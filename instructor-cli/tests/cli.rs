//! The `instructor` binary run as a process against a loopback server that speaks
//! OpenAI's chat-completions wire format: plain text to one JSON object, JSON Lines to
//! JSON Lines with ids, exit codes 0/1/2, a SIGKILL part way and a `--resume`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SCHEMA: &str = r#"{
  "title": "User",
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": "integer", "minimum": 0}
  },
  "required": ["name", "age"]
}"#;

/// Answers each call with the tool call the user text spells: `name=Ann age=30` gives
/// `{"name": "Ann", "age": 30}` (a negative age breaks the schema on every attempt).
struct Model {
    calls: Arc<AtomicUsize>,
}

impl Respond for Model {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let text = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str().map(str::to_string))
            .unwrap_or_default();
        let fields: HashMap<&str, &str> = text
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let age: i64 = fields.get("age").and_then(|a| a.parse().ok()).unwrap_or(0);
        let arguments = json!({"name": fields.get("name").copied().unwrap_or(""), "age": age});
        let tool = body["tools"][0]["function"]["name"]
            .as_str()
            .unwrap_or("User");
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [{
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [{
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": tool, "arguments": arguments.to_string()}
                    }]
                }
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        }))
    }
}

struct Fixture {
    server: MockServer,
    calls: Arc<AtomicUsize>,
    dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(delay: Duration) -> Self {
        let server = MockServer::start().await;
        let calls = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(DelayedModel {
                model: Model {
                    calls: Arc::clone(&calls),
                },
                delay,
            })
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("user.json"), SCHEMA).unwrap();
        Self { server, calls, dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_instructor"));
        command
            .env_clear()
            .env("OPENAI_API_KEY", "sk-test-key")
            .env("OPENAI_BASE_URL", format!("{}/v1", self.server.uri()))
            .env("INSTRUCTOR_MODEL", "openai/gpt-4o-mini")
            .current_dir(self.dir.path())
            .args(args);
        command
    }
}

struct DelayedModel {
    model: Model,
    delay: Duration,
}

impl Respond for DelayedModel {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.model.respond(request).set_delay(self.delay)
    }
}

async fn run(mut command: Command, stdin: &str) -> Output {
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        // A process that refuses its flags exits before reading stdin: a broken
        // pipe here is that, not a failure (its exit code and stderr are checked).
        match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.unwrap(),
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn lines_of(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_on_stdin_gives_one_json_object_on_stdout() {
    let fx = Fixture::new(Duration::ZERO).await;
    let out = run(
        fx.command(&["extract", "--schema", "user.json"]),
        "name=Jason age=25",
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value, json!({"name": "Jason", "age": 25}));
    assert_eq!(fx.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_that_never_validates_exits_1_with_the_error_on_stderr() {
    let fx = Fixture::new(Duration::ZERO).await;
    let out = run(
        fx.command(&["extract", "--schema", "user.json", "--retries", "1"]),
        "name=Bob age=-5",
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("age") && err.contains("2 attempts"), "{err}");
    assert_eq!(fx.calls.load(Ordering::SeqCst), 2, "one reask");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_give_one_line_per_document_with_its_id() {
    let fx = Fixture::new(Duration::ZERO).await;
    let input = "{\"id\": \"a\", \"text\": \"name=Ann age=30\"}\n\
                 \"name=Bo age=41\"\n\
                 \n\
                 {\"id\": 9, \"text\": \"name=Cy age=-1\"}\n\
                 not json\n";
    std::fs::write(fx.file("in.jsonl"), input).unwrap();
    let out = run(
        fx.command(&[
            "extract",
            "--schema",
            "user.json",
            "--input",
            "in.jsonl",
            "--out",
            "out.jsonl",
            "--retries",
            "0",
            "--concurrency",
            "2",
        ]),
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut by_id: HashMap<String, Value> = HashMap::new();
    for line in lines_of(&fx.file("out.jsonl")) {
        assert!(by_id.insert(line["id"].to_string(), line).is_none());
    }
    assert_eq!(by_id.len(), 4);
    assert_eq!(by_id["\"a\""]["value"], json!({"name": "Ann", "age": 30}));
    assert_eq!(by_id["2"]["value"], json!({"name": "Bo", "age": 41}));
    assert_eq!(by_id["9"]["error"]["kind"], "validation");
    assert!(
        by_id["9"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("age")
    );
    assert_eq!(by_id["5"]["error"]["kind"], "input");
    assert_eq!(
        fx.calls.load(Ordering::SeqCst),
        3,
        "the bad line is never sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_on_stdin_with_all_successes_exit_0() {
    let fx = Fixture::new(Duration::ZERO).await;
    let input: String = (0..20)
        .map(|i| format!("\"name=P{i} age={i}\"\n"))
        .collect();
    let out = run(
        fx.command(&["extract", "--schema", "user.json", "--jsonl"]),
        &input,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut ids: Vec<u64> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let id = v["id"].as_u64().unwrap();
            assert_eq!(v["value"]["age"], json!(id - 1));
            id
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=20).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumed_ends_with_every_id_exactly_once() {
    let fx = Fixture::new(Duration::from_millis(15)).await;
    let n = 200;
    let input: String = (0..n)
        .map(|i| format!("{{\"id\": \"doc-{i}\", \"text\": \"name=N{i} age={i}\"}}\n"))
        .collect();
    std::fs::write(fx.file("in.jsonl"), input).unwrap();
    let args = [
        "extract",
        "--schema",
        "user.json",
        "--input",
        "in.jsonl",
        "--out",
        "out.jsonl",
        "--concurrency",
        "4",
        "--resume",
    ];
    let mut child = fx
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let written =
            std::fs::read_to_string(fx.file("out.jsonl")).map_or(0, |t| t.lines().count());
        if written >= 40 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run made no progress"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = lines_of_lenient(&fx.file("out.jsonl"));
    assert!(before < n, "killed before the end ({before} lines)");
    // A torn last line, as a kill inside a write leaves it.
    let mut text = std::fs::read_to_string(fx.file("out.jsonl")).unwrap();
    text.push_str("{\"id\": \"doc-199\", \"val");
    std::fs::write(fx.file("out.jsonl"), text).unwrap();
    // Requests the killed run had already sent may still reach the server's
    // handlers: count once the count has settled.
    let calls_before = settled(&fx.calls).await;

    let out = run(fx.command(&args), "").await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = lines_of(&fx.file("out.jsonl"));
    let mut ids: Vec<String> = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = (0..n).map(|i| format!("doc-{i}")).collect();
    expected.sort();
    assert_eq!(ids, expected, "every id exactly once");
    for line in &lines {
        let i: i64 = line["id"].as_str().unwrap()[4..].parse().unwrap();
        assert_eq!(line["value"]["age"], json!(i));
    }
    let resumed_calls = fx.calls.load(Ordering::SeqCst) - calls_before;
    assert_eq!(
        resumed_calls,
        n - before,
        "the resumed run redoes only what was missing"
    );
}

/// The value of `counter` once it has stopped changing for 100 ms.
async fn settled(counter: &std::sync::atomic::AtomicUsize) -> usize {
    let mut last = counter.load(Ordering::SeqCst);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = counter.load(Ordering::SeqCst);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Complete lines in a file a killed process may have left torn.
fn lines_of_lenient(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_configuration_errors_exit_2_with_one_line() {
    let fx = Fixture::new(Duration::ZERO).await;
    std::fs::write(
        fx.file("bad.json"),
        r##"{"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}"##,
    )
    .unwrap();
    // (arguments, environment changes, what stderr must mention)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec!["extract", "--schema", "nope.json"],
            vec![],
            "nope.json",
        ),
        (
            vec!["extract", "--schema", "bad.json"],
            vec![],
            "/properties/a",
        ),
        (
            vec![
                "extract",
                "--schema",
                "user.json",
                "--model",
                "nosuch/model",
            ],
            vec![],
            "nosuch",
        ),
        (
            vec!["extract", "--schema", "user.json", "--input", "missing.txt"],
            vec![],
            "missing.txt",
        ),
        (
            vec![
                "extract",
                "--schema",
                "user.json",
                "--model",
                "anthropic/claude",
            ],
            vec![],
            "ANTHROPIC_API_KEY",
        ),
        (
            vec!["extract", "--schema", "user.json"],
            vec![("OPENAI_API_KEY", "")],
            "OPENAI_API_KEY",
        ),
        (
            vec!["extract", "--schema", "user.json", "--mode", "xml"],
            vec![],
            "unknown mode",
        ),
        (
            vec!["extract", "--schema", "user.json", "--mode", "gemini_json"],
            vec![],
            "mode",
        ),
        (
            vec!["extract", "--schema", "user.json", "--concurrency", "0"],
            vec![],
            "concurrency",
        ),
        (
            vec!["extract", "--schema", "user.json", "--resume"],
            vec![],
            "--out",
        ),
        (vec!["extract"], vec![], "--schema"),
        (vec!["frobnicate"], vec![], "frobnicate"),
    ];
    for (args, env, needle) in cases {
        let mut command = fx.command(&args);
        for (k, v) in env {
            if v.is_empty() {
                command.env_remove(k);
            } else {
                command.env(k, v);
            }
        }
        let out = run(command, "name=A age=1").await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(
        fx.calls.load(Ordering::SeqCst),
        0,
        "no call on a configuration error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_works_with_no_key_and_shows_a_worked_example() {
    let fx = Fixture::new(Duration::ZERO).await;
    for args in [
        vec!["--help"],
        vec!["extract", "--help"],
        vec!["help", "extract"],
    ] {
        let mut command = fx.command(&args);
        command.env_clear();
        let out = run(command, "").await;
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Examples:") && text.contains("instructor extract --schema"),
            "{text}"
        );
    }
}
