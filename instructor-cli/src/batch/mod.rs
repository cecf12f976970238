//! `instructor batch`: JSON Lines through the provider's batch engine. `submit` saves
//! a job file; `status`, `wait`, `results` and `cancel` carry on from it in any later
//! process (the client is rebuilt from the job's provider and model and the usual
//! environment variables); `list` shows the provider's recent jobs.

mod job_file;
mod results;

use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use instructor::{BatchStatus, Batches, Client, Request};
use serde_json::{Value, json};

use crate::cli::{BatchCommand, JobArgs, ListArgs, PollArgs, SubmitArgs, WaitArgs};
use crate::error::CliError;
use crate::extract::Outcome;
use crate::input::{JsonLines, Line};
use crate::progress::Bar;
use job_file::{Extras, InvalidLine, JobFile, custom_id};

/// Runs `instructor batch <command>`.
pub(crate) async fn run(command: BatchCommand) -> Result<Outcome, CliError> {
    match command {
        BatchCommand::Submit(args) => submit(args).await,
        BatchCommand::Status(args) => status(args).await,
        BatchCommand::Wait(args) => wait(args).await,
        BatchCommand::Results(args) => results::run(args).await,
        BatchCommand::Cancel(args) => cancel(args).await,
        BatchCommand::List(args) => list(args).await,
    }
}

/// `batch submit`: one request per document, shaped as `extract` shapes them.
async fn submit(args: SubmitArgs) -> Result<Outcome, CliError> {
    let (model, client) =
        crate::extract::model_and_client(&args.schema, args.model.as_deref(), args.mode)?;
    let directory = match args.job.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(CliError::Usage(format!(
            "the job file's directory {} does not exist",
            directory.display()
        )));
    }
    if args.job.exists() {
        // Overwriting it would lose track of a job already paid for.
        return Err(CliError::Usage(format!(
            "the job file {} already exists (it may track a submitted job): pass another --job or remove it",
            args.job.display()
        )));
    }
    let mut lines = JsonLines::new(open_input(&args.input)?);
    let mut extras = Extras::default();
    let requests = lines.by_ref().filter_map(|line| match line {
        Line::Invalid { id, message } => {
            extras.invalid_lines.push(InvalidLine { id, message });
            None
        }
        Line::Document(doc) => {
            let id = custom_id(&doc.id);
            if doc.id.is_number() {
                extras.number_ids.push(id.clone());
            }
            let mut request = Request::default();
            if let Some(system) = &args.system {
                request = request.system(system.clone());
            }
            Some((id, request.user(doc.text).response_model(model.clone())))
        }
    });
    let submitted = client.batch::<Value>().submit(requests).await;
    if let Some(source) = lines.take_error() {
        return Err(CliError::Io {
            what: "reading the input failed part way",
            path: PathBuf::from(&args.input),
            source,
        });
    }
    let job = submitted.map_err(CliError::Batch)?;
    let file = JobFile { job, extras };
    if let Err(error) = file.save(&args.job) {
        // The provider has the batch: say which, so it is not lost with the file.
        return Err(CliError::Usage(format!(
            "the batch was submitted ({}) but {}",
            file.job.batch_ids().join(", "),
            crate::error::chain(&error)
        )));
    }
    let summary = json!({
        "job": args.job.display().to_string(),
        "provider": file.job.provider(),
        "model": file.job.model(),
        "batch_ids": file.job.batch_ids(),
        "items": file.job.len(),
        "invalid_lines": file.extras.invalid_lines.len(),
    });
    print_json(&summary)?;
    Ok(Outcome::AllSucceeded)
}

fn open_input(input: &str) -> Result<Box<dyn BufRead + Send>, CliError> {
    if input == "-" {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let file = std::fs::File::open(input).map_err(|source| CliError::Io {
        what: "cannot read the input",
        path: PathBuf::from(input),
        source,
    })?;
    Ok(Box::new(BufReader::new(file)))
}

/// `batch status`.
async fn status(args: JobArgs) -> Result<Outcome, CliError> {
    let file = JobFile::load(&args.job)?;
    let client = client_for(&file)?;
    let status = client
        .batch::<Value>()
        .status(&file.job)
        .await
        .map_err(CliError::Batch)?;
    print_status(&status)?;
    Ok(Outcome::AllSucceeded)
}

/// `batch wait`: polls until the job has ended, saves its last status.
async fn wait(args: WaitArgs) -> Result<Outcome, CliError> {
    let mut file = JobFile::load(&args.job)?;
    let client = client_for(&file)?;
    file.job = wait_for(&client, &file, &args.poll).await?;
    file.save(&args.job)?;
    if let Some(status) = file.job.last_status() {
        print_status(status)?;
    }
    Ok(Outcome::AllSucceeded)
}

/// Waits for `file`'s job with a progress bar (when wanted and on a terminal).
pub(crate) async fn wait_for(
    client: &Client,
    file: &JobFile,
    poll: &PollArgs,
) -> Result<instructor::BatchJob, CliError> {
    let bar = Bar::new(!poll.no_progress, Some(file.job.len() as u64));
    let on_progress = bar.clone();
    let batches =
        polling(client.batch::<Value>(), poll).on_progress(move |p| on_progress.update(p));
    let job = batches.wait(&file.job).await.map_err(CliError::Batch);
    bar.finish();
    job
}

/// `batches` polling as `poll` says: first after `--poll-interval`, doubling to 60 s.
pub(crate) fn polling<T>(batches: Batches<T>, poll: &PollArgs) -> Batches<T> {
    let initial = Duration::from_secs_f64(poll.poll_interval);
    batches.poll_interval(initial, Duration::from_secs(60).max(initial))
}

/// `batch cancel`: asks the provider to cancel, then prints where the job stands.
async fn cancel(args: JobArgs) -> Result<Outcome, CliError> {
    let file = JobFile::load(&args.job)?;
    let client = client_for(&file)?;
    let batches = client.batch::<Value>();
    batches.cancel(&file.job).await.map_err(CliError::Batch)?;
    let status = batches.status(&file.job).await.map_err(CliError::Batch)?;
    print_status(&status)?;
    Ok(Outcome::AllSucceeded)
}

/// `batch list`: the provider's recent jobs, newest first, as a JSON array.
async fn list(args: ListArgs) -> Result<Outcome, CliError> {
    // `list` needs no model; from_provider wants one, and the listing ignores it.
    let client =
        instructor::from_provider(&format!("{}/list", args.provider)).map_err(CliError::Client)?;
    let jobs = client
        .batch::<Value>()
        .list()
        .await
        .map_err(CliError::Batch)?;
    let listed: Vec<Value> = jobs
        .iter()
        .map(|job| {
            json!({
                "batch_ids": job.batch_ids(),
                "model": job.model(),
                "mode": job.mode(),
                "created_at": job.created_at(),
                "status": job.last_status(),
            })
        })
        .collect();
    print_json(&Value::Array(listed))?;
    Ok(Outcome::AllSucceeded)
}

/// A client for the job's provider and model, keys and base URL from the
/// environment, in the job's mode.
pub(crate) fn client_for(file: &JobFile) -> Result<Client, CliError> {
    let job = &file.job;
    if job.model().is_empty() {
        return Err(CliError::Usage("the job file names no model".into()));
    }
    let client = instructor::from_provider(&format!("{}/{}", job.provider(), job.model()))
        .map_err(CliError::Client)?;
    client.try_with_mode(job.mode()).map_err(CliError::Client)
}

fn print_status(status: &BatchStatus) -> Result<(), CliError> {
    let value = serde_json::to_value(status)
        .map_err(|e| CliError::Usage(format!("cannot print the status: {e}")))?;
    print_json(&value)
}

/// One JSON line on stdout.
fn print_json(value: &Value) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{value}")
        .and_then(|()| stdout.flush())
        .map_err(|source| CliError::Io {
            what: "cannot write the output",
            path: Path::new("-").to_path_buf(),
            source,
        })
}
