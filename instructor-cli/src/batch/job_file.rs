//! The job file: the library's `BatchJob` as JSON, plus what only the command line
//! needs under one extra key (`instructor_cli`), which the library ignores. So a job
//! file written here loads with `serde_json::from_str::<instructor::BatchJob>` too.
//!
//! ```json
//! { "format": 1, "provider": "openai", "batch_ids": ["batch_abc"], ...,
//!   "instructor_cli": { "number_ids": ["3"], "invalid_lines": [{"id": 4, "message": "..."}] } }
//! ```
//!
//! Custom ids are strings; an input id that was a JSON number (a bare-string line's
//! line number, or `"id": 7`) is listed in `number_ids` so the output gives it back
//! as a number. Input lines that were not documents are kept in `invalid_lines` and
//! written as `input` errors by `results`, so every input line has one output line.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use instructor::BatchJob;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::CliError;

/// The key the command line's own data lives under.
const EXTRAS_KEY: &str = "instructor_cli";

/// An input line that was not a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct InvalidLine {
    /// Its id (or line number).
    pub(crate) id: Value,
    /// What is wrong with it.
    pub(crate) message: String,
}

/// What the command line keeps beside the job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Extras {
    /// Custom ids that were JSON numbers in the input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) number_ids: Vec<String>,
    /// Input lines that were not documents (never sent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) invalid_lines: Vec<InvalidLine>,
    /// For a follow-up job of `--reask-rounds`: the provider batch ids of the job it
    /// reasks (so a rerun reuses it only for that job).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) follows: Vec<String>,
}

/// A job and the command line's extras.
#[derive(Debug, Clone)]
pub(crate) struct JobFile {
    /// The library's job.
    pub(crate) job: BatchJob,
    /// The command line's extras.
    pub(crate) extras: Extras,
}

/// The custom id of an input id (a string as is, a number as its decimal text).
pub(crate) fn custom_id(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Turns custom ids back into the input's ids.
#[derive(Debug, Default)]
pub(crate) struct IdMap {
    numbers: HashSet<String>,
}

impl IdMap {
    /// The map of `extras`.
    pub(crate) fn new(extras: &Extras) -> Self {
        Self {
            numbers: extras.number_ids.iter().cloned().collect(),
        }
    }

    /// The input id of `custom_id`.
    pub(crate) fn id(&self, custom_id: &str) -> Value {
        if self.numbers.contains(custom_id)
            && let Ok(number) = serde_json::from_str::<serde_json::Number>(custom_id)
        {
            return Value::Number(number);
        }
        Value::String(custom_id.to_owned())
    }

    /// Whether `custom_id` was a number.
    pub(crate) fn is_number(&self, custom_id: &str) -> bool {
        self.numbers.contains(custom_id)
    }
}

impl JobFile {
    /// Reads a job file (exit code 2, one line, when it is missing or not a job).
    pub(crate) fn load(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
            what: "cannot read the job file",
            path: path.to_path_buf(),
            source,
        })?;
        let not_a_job = |reason: String| CliError::Job {
            path: path.to_path_buf(),
            reason,
        };
        let mut value: Value =
            serde_json::from_str(&text).map_err(|e| not_a_job(format!("it is not JSON ({e})")))?;
        let extras = match value.as_object_mut().and_then(|o| o.remove(EXTRAS_KEY)) {
            Some(extras) => serde_json::from_value(extras)
                .map_err(|e| not_a_job(format!("its `{EXTRAS_KEY}` part is unreadable ({e})")))?,
            None => Extras::default(),
        };
        let job: BatchJob = serde_json::from_value(value)
            .map_err(|e| not_a_job(format!("it is not a batch job ({e})")))?;
        if job.is_empty() {
            return Err(not_a_job("it names no item".to_owned()));
        }
        Ok(Self { job, extras })
    }

    /// Writes the job file whole: to a temporary file beside it, then renamed over
    /// it, so a reader (or a crash) never sees half a job.
    pub(crate) fn save(&self, path: &Path) -> Result<(), CliError> {
        let io_error = |source: io::Error| CliError::Io {
            what: "cannot write the job file",
            path: path.to_path_buf(),
            source,
        };
        let mut value = serde_json::to_value(&self.job)
            .map_err(|e| io_error(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        if self.extras != Extras::default()
            && let Some(object) = value.as_object_mut()
        {
            let extras = serde_json::to_value(&self.extras)
                .map_err(|e| io_error(io::Error::new(io::ErrorKind::InvalidData, e)))?;
            object.insert(EXTRAS_KEY.to_owned(), extras);
        }
        let mut text = serde_json::to_string_pretty(&value)
            .map_err(|e| io_error(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        text.push('\n');
        let temporary = temporary_path(path);
        let written = File::create(&temporary).and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        });
        if let Err(error) = written.and_then(|()| std::fs::rename(&temporary, path)) {
            let _ = std::fs::remove_file(&temporary);
            return Err(io_error(error));
        }
        Ok(())
    }
}

/// `dir/.name.<pid>.tmp` beside `path` (same directory, so the rename is atomic).
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "job".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Where the follow-up job of reask round `round` is saved: beside `job`, named
/// after it (`people.job.json` -> `people.job.round-2.json`).
pub(crate) fn follow_up_path(job: &Path, round: u32) -> PathBuf {
    let stem = job
        .file_stem()
        .map_or_else(|| "job".into(), |s| s.to_string_lossy().into_owned());
    job.with_file_name(format!("{stem}.round-{round}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn number_ids_come_back_as_numbers_and_strings_as_strings() {
        let extras = Extras {
            number_ids: vec![custom_id(&json!(7))],
            ..Extras::default()
        };
        let map = IdMap::new(&extras);
        assert_eq!(map.id("7"), json!(7));
        assert_eq!(map.id("doc-1"), json!("doc-1"));
        assert_eq!(IdMap::default().id("7"), json!("7"));
        assert_eq!(custom_id(&json!("a b")), "a b");
    }

    #[test]
    fn follow_ups_sit_beside_the_job() {
        assert_eq!(
            follow_up_path(Path::new("runs/people.job.json"), 2),
            Path::new("runs/people.job.round-2.json")
        );
        assert_eq!(
            follow_up_path(Path::new("job"), 3),
            Path::new("job.round-3.json")
        );
    }
}
