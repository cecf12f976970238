//! `batch results`: the items of an ended job as JSON Lines (`extract`'s format),
//! streamed (one output line in memory at a time), with optional reask rounds.
//!
//! With `--reask-rounds N`, an item whose answer failed the schema is held back (its
//! id, answer and errors: the only items kept in memory) while the others are
//! written as they come. The held items go into a follow-up job
//! (`Batches::reask`: each conversation with its errors fed back), saved beside
//! `--job` as `<stem>.round-<r>.json` before anything waits on it; that job is
//! waited for and read the same way, up to N rounds. Each item's final outcome is
//! written exactly once.
//!
//! A killed run is started again with the same command: `--out` is rewritten from
//! the start (the provider keeps the outputs; reading them again is free), and a
//! follow-up saved for the same job (it records the provider batch ids it reasks)
//! holding exactly the items being held back is reused rather than submitted again. Only a kill between the provider accepting a
//! follow-up and its job file being renamed into place can leave one follow-up
//! submitted twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use instructor::{BatchItem, BatchResults, Batches, DynamicModel, Error};
use serde_json::Value;

use super::job_file::{Extras, IdMap, JobFile, follow_up_path};
use super::{client_for, polling, wait_for};
use crate::cli::ResultsArgs;
use crate::error::CliError;
use crate::extract::Outcome;
use crate::output::{self, Sink};

/// Runs `instructor batch results`.
pub(crate) async fn run(args: ResultsArgs) -> Result<Outcome, CliError> {
    let file = JobFile::load(&args.job)?;
    let client = client_for(&file)?;
    let mut batches = polling(client.batch::<Value>(), &args.poll);
    if let Some(path) = &args.schema {
        let model = DynamicModel::from_path(path).map_err(|source| CliError::Schema {
            path: path.clone(),
            source,
        })?;
        batches = batches.response_model(model);
    }
    // Refuses an unended job or one made for another schema before --out is touched.
    let stream = batches
        .results_stream(&file.job)
        .await
        .map_err(CliError::Batch)?;
    let mut run = Run {
        sink: Sink::open(Some(&args.out), false).map_err(|source| write_error(&args, source))?,
        ids: IdMap::new(&file.extras),
        failed: 0,
        args: &args,
    };
    for line in &file.extras.invalid_lines {
        run.write(&output::error_line(&line.id, "input", &line.message))?;
        run.failed += 1;
    }
    let mut current = file;
    let mut stream = stream;
    let mut round = 0;
    loop {
        let retry = round < args.reask_rounds;
        let held = run.drain(&mut stream, retry).await?;
        if held.is_empty() {
            break;
        }
        round += 1;
        let Some(next) = follow_up(&batches, &current, held, &mut run).await? else {
            break;
        };
        current = next;
        current.job = wait_for(&client, &current, &args.poll).await?;
        current.save(&follow_up_path(&args.job, current.job.round()))?;
        stream = batches
            .results_stream(&current.job)
            .await
            .map_err(CliError::Batch)?;
    }
    Ok(if run.failed == 0 {
        Outcome::AllSucceeded
    } else {
        Outcome::SomeFailed
    })
}

/// The output being written.
struct Run<'a> {
    sink: Sink,
    ids: IdMap,
    failed: usize,
    args: &'a ResultsArgs,
}

impl Run<'_> {
    fn write(&mut self, line: &str) -> Result<(), CliError> {
        self.sink
            .write_line(line)
            .map_err(|source| write_error(self.args, source))
    }

    /// Writes an item's final outcome.
    fn write_item(&mut self, item: &BatchItem<Value>) -> Result<(), CliError> {
        let id = self.ids.id(&item.custom_id);
        let line = match &item.result {
            Ok(value) => output::value_line(&id, value),
            Err(error) => {
                self.failed += 1;
                output::error_line(&id, output::error_kind(error), &crate::error::chain(error))
            }
        };
        self.write(&line)
    }

    /// Writes every item of `stream`, except (when `retry`) those whose answer failed
    /// the schema: those are returned, to be reasked.
    async fn drain(
        &mut self,
        stream: &mut BatchResults<Value>,
        retry: bool,
    ) -> Result<Vec<BatchItem<Value>>, CliError> {
        let mut held = Vec::new();
        while let Some(item) = stream.next().await {
            let item = item.map_err(CliError::Batch)?;
            if retry && matches!(item.result, Err(Error::RetriesExhausted(_))) {
                held.push(item);
            } else {
                self.write_item(&item)?;
            }
        }
        Ok(held)
    }
}

/// The follow-up job for `held`: the one saved by an earlier run when it holds
/// exactly these items, else a new one (saved before it is waited for). `None`
/// when nothing could be reasked; then the held items are written as they are.
async fn follow_up(
    batches: &Batches<Value>,
    current: &JobFile,
    held: Vec<BatchItem<Value>>,
    run: &mut Run<'_>,
) -> Result<Option<JobFile>, CliError> {
    let path = follow_up_path(&run.args.job, current.job.round() + 1);
    if let Some(saved) = saved_follow_up(&path, current, &held) {
        return Ok(Some(saved));
    }
    let job = batches
        .reask(&current.job, &held)
        .await
        .map_err(CliError::Batch)?;
    let Some(job) = job else {
        for item in &held {
            run.write_item(item)?;
        }
        return Ok(None);
    };
    let number_ids = held
        .iter()
        .filter(|item| run.ids.is_number(&item.custom_id))
        .map(|item| item.custom_id.clone())
        .collect();
    let file = JobFile {
        job,
        extras: Extras {
            number_ids,
            invalid_lines: Vec::new(),
            follows: current.job.batch_ids().to_vec(),
        },
    };
    file.save(&path)?;
    Ok(Some(file))
}

/// An earlier run's follow-up at `path`, if it was made from `current` (its provider
/// batches) for exactly the `held` items.
fn saved_follow_up(path: &Path, current: &JobFile, held: &[BatchItem<Value>]) -> Option<JobFile> {
    if !path.exists() {
        return None;
    }
    let saved = JobFile::load(path).ok()?;
    let (job, from) = (&saved.job, &current.job);
    let same_job = saved.extras.follows == from.batch_ids()
        && job.provider() == from.provider()
        && job.model() == from.model()
        && job.mode() == from.mode()
        && job.round() == from.round() + 1
        && job.response_schema() == from.response_schema()
        && job.response_name() == from.response_name()
        && job.len() == held.len();
    if !same_job {
        return None;
    }
    let wanted: HashSet<&str> = held.iter().map(|item| item.custom_id.as_str()).collect();
    let same_items = job.custom_ids().all(|id| wanted.contains(id));
    same_items.then_some(saved)
}

fn write_error(args: &ResultsArgs, source: std::io::Error) -> CliError {
    CliError::Io {
        what: "cannot write the output",
        path: PathBuf::from(&args.out),
        source,
    }
}
