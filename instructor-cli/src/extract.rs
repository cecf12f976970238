//! `instructor extract`: one document to one JSON value, or JSON Lines to JSON Lines
//! through `create_many` (bounded concurrency, rate limits, progress, resume).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt;
use instructor::{Client, DynamicModel, RateLimit, Request};
use serde_json::Value;

use crate::cli::ExtractArgs;
use crate::error::CliError;
use crate::input::{JsonLines, Line};
use crate::output::{self, Sink};
use crate::progress::Bar;

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every document succeeded.
    AllSucceeded,
    /// At least one document failed; its error is in the output.
    SomeFailed,
}

/// The response model loaded from `schema` and the client for `model`
/// (`PROVIDER/MODEL`) in `mode`: what `extract` and `batch submit` start from.
pub(crate) fn model_and_client(
    schema: &Path,
    model: Option<&str>,
    mode: Option<instructor::Mode>,
) -> Result<(DynamicModel, Client), CliError> {
    let response_model = DynamicModel::from_path(schema).map_err(|source| CliError::Schema {
        path: schema.to_owned(),
        source,
    })?;
    let spec = model.ok_or_else(|| {
        CliError::Usage("no model: pass --model PROVIDER/MODEL or set INSTRUCTOR_MODEL".into())
    })?;
    let mut client = instructor::from_provider(spec).map_err(CliError::Client)?;
    if let Some(mode) = mode {
        client = client.try_with_mode(mode).map_err(CliError::Client)?;
    }
    Ok((response_model, client))
}

/// Runs `instructor extract`.
pub(crate) async fn run(args: ExtractArgs) -> Result<Outcome, CliError> {
    let (model, client) = model_and_client(&args.schema, args.model.as_deref(), args.mode)?;
    let shape = RequestShape {
        system: args.system.clone(),
        retries: args.retries,
        model,
    };
    if is_json_lines(&args) {
        run_lines(&client, shape, &args).await
    } else {
        run_one(&client, shape, &args).await
    }
}

/// What every request of a run shares.
#[derive(Debug, Clone)]
struct RequestShape {
    system: Option<String>,
    retries: u32,
    model: DynamicModel,
}

impl RequestShape {
    fn request(&self, text: String) -> Request {
        let mut request = Request::default();
        if let Some(system) = &self.system {
            request = request.system(system.clone());
        }
        request
            .user(text)
            .max_retries(self.retries)
            .response_model(self.model.clone())
    }
}

fn is_json_lines(args: &ExtractArgs) -> bool {
    args.jsonl
        || Path::new(&args.input)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

fn open_input(input: &str) -> Result<Box<dyn BufRead + Send>, CliError> {
    if input == "-" {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let file = File::open(input).map_err(|source| CliError::Io {
        what: "cannot read the input",
        path: PathBuf::from(input),
        source,
    })?;
    Ok(Box::new(BufReader::new(file)))
}

/// One plain-text document: the whole input.
async fn run_one(
    client: &Client,
    shape: RequestShape,
    args: &ExtractArgs,
) -> Result<Outcome, CliError> {
    let mut bytes = Vec::new();
    open_input(&args.input)?
        .read_to_end(&mut bytes)
        .map_err(|source| CliError::Io {
            what: "cannot read the input",
            path: PathBuf::from(&args.input),
            source,
        })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::Usage(format!("the input {} is not valid UTF-8", args.input)))?;
    let mut sink = open_sink(args.out.as_deref(), false)?;
    match client.create::<Value>(shape.request(text)).await {
        Ok(value) => {
            write(&mut sink, args, &format!("{value}\n"))?;
            Ok(Outcome::AllSucceeded)
        }
        Err(error) => {
            eprintln!("error: {}", crate::error::chain(&error));
            Ok(Outcome::SomeFailed)
        }
    }
}

/// What the request feed tells the writer: which id each request index carries, and
/// the lines that were not documents.
#[derive(Debug, Default)]
struct FeedLog {
    ids: HashMap<usize, Value>,
    invalid: Vec<(Value, String)>,
    read_error: Option<io::Error>,
}

/// Requests from JSON Lines, pulled lazily by `create_many`; skips ids already done.
struct Feed {
    lines: JsonLines<Box<dyn BufRead + Send>>,
    done: HashSet<String>,
    shape: RequestShape,
    next_index: usize,
    log: Arc<Mutex<FeedLog>>,
}

impl Iterator for Feed {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        loop {
            let Some(line) = self.lines.next() else {
                let error = self.lines.take_error();
                lock(&self.log).read_error = error;
                return None;
            };
            match line {
                Line::Invalid { id, message } => {
                    if !self.done.contains(&output::id_key(&id)) {
                        lock(&self.log).invalid.push((id, message));
                    }
                }
                Line::Document(doc) => {
                    if self.done.contains(&output::id_key(&doc.id)) {
                        continue;
                    }
                    lock(&self.log).ids.insert(self.next_index, doc.id);
                    self.next_index += 1;
                    return Some(self.shape.request(doc.text));
                }
            }
        }
    }
}

fn lock(log: &Mutex<FeedLog>) -> std::sync::MutexGuard<'_, FeedLog> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// JSON Lines in, one JSON line per document out, in completion order.
async fn run_lines(
    client: &Client,
    shape: RequestShape,
    args: &ExtractArgs,
) -> Result<Outcome, CliError> {
    let done = match (&args.out, args.resume) {
        (Some(out), true) => output::ids_done(out).map_err(|source| CliError::Io {
            what: "cannot read the output to resume",
            path: out.clone(),
            source,
        })?,
        _ => HashSet::new(),
    };
    let total = progress_total(args, done.len());
    let mut sink = open_sink(args.out.as_deref(), args.resume)?;
    let log = Arc::new(Mutex::new(FeedLog::default()));
    let feed = Feed {
        lines: JsonLines::new(open_input(&args.input)?),
        done,
        shape,
        next_index: 0,
        log: Arc::clone(&log),
    };
    let bar = Bar::new(!args.no_progress, total);
    let on_progress = bar.clone();
    let mut many = client
        .create_many::<Value>(feed)
        .concurrency(args.concurrency as usize)
        .on_progress(move |p| on_progress.update(p));
    if let Some(limit) = rate_limit(args) {
        many = many.rate_limit(limit);
    }
    let mut results = many.stream();
    let mut failed = 0usize;
    while let Some((index, result)) = results.next().await {
        failed += write_invalid(&mut sink, args, &log)?;
        let id = lock(&log).ids.remove(&index).unwrap_or(Value::Null);
        let line = match result {
            Ok(value) => output::value_line(&id, &value),
            Err(error) => {
                failed += 1;
                output::error_line(
                    &id,
                    output::error_kind(&error),
                    &crate::error::chain(&error),
                )
            }
        };
        write(&mut sink, args, &line)?;
    }
    drop(results);
    failed += write_invalid(&mut sink, args, &log)?;
    bar.finish();
    if let Some(source) = lock(&log).read_error.take() {
        return Err(CliError::Io {
            what: "reading the input failed part way",
            path: PathBuf::from(&args.input),
            source,
        });
    }
    Ok(if failed == 0 {
        Outcome::AllSucceeded
    } else {
        Outcome::SomeFailed
    })
}

/// Writes the error lines of input lines that were not documents; returns how many.
fn write_invalid(
    sink: &mut Sink,
    args: &ExtractArgs,
    log: &Mutex<FeedLog>,
) -> Result<usize, CliError> {
    let invalid = std::mem::take(&mut lock(log).invalid);
    for (id, message) in &invalid {
        write(sink, args, &output::error_line(id, "input", message))?;
    }
    Ok(invalid.len())
}

fn rate_limit(args: &ExtractArgs) -> Option<RateLimit> {
    if args.rpm.is_none() && args.tpm.is_none() {
        return None;
    }
    let mut limit = RateLimit::new();
    if let Some(rpm) = args.rpm {
        limit = limit.requests_per_minute(rpm);
    }
    if let Some(tpm) = args.tpm {
        limit = limit.tokens_per_minute(tpm);
    }
    Some(limit)
}

/// The number of documents left, for the bar's ETA: counted in one streaming pass
/// when the input is a file and the bar will be drawn.
fn progress_total(args: &ExtractArgs, already_done: usize) -> Option<u64> {
    if args.no_progress || args.input == "-" || !io::stderr().is_terminal() {
        return None;
    }
    let reader = BufReader::new(File::open(&args.input).ok()?);
    let mut count = 0u64;
    for line in reader.split(b'\n') {
        if !line.ok()?.iter().all(u8::is_ascii_whitespace) {
            count += 1;
        }
    }
    Some(count.saturating_sub(already_done as u64))
}

fn open_sink(out: Option<&Path>, append: bool) -> Result<Sink, CliError> {
    Sink::open(out, append).map_err(|source| CliError::Io {
        what: "cannot write the output",
        path: out.map_or_else(|| PathBuf::from("-"), Path::to_path_buf),
        source,
    })
}

fn write(sink: &mut Sink, args: &ExtractArgs, line: &str) -> Result<(), CliError> {
    sink.write_line(line).map_err(|source| CliError::Io {
        what: "cannot write the output",
        path: args.out.clone().unwrap_or_else(|| PathBuf::from("-")),
        source,
    })
}
