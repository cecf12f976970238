//! What stops the command before or during a run (exit code 2).

use std::path::PathBuf;

/// A usage or configuration error: printed as one line on stderr, exit code 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The command line is incomplete or inconsistent.
    #[error("{0}")]
    Usage(String),
    /// The schema file cannot be read or used.
    #[error("schema {}: {source}", path.display())]
    Schema {
        /// The schema's path.
        path: PathBuf,
        /// Why.
        #[source]
        source: instructor::SchemaError,
    },
    /// The client cannot be built (unknown provider, missing key, unsupported mode).
    #[error("{0}")]
    Client(#[source] instructor::Error),
    /// A job file is not a batch job (corrupt, truncated, or not one of ours).
    #[error("job file {}: {reason}", path.display())]
    Job {
        /// The job file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The provider refused or failed a job-level call (submit, status, wait,
    /// results, cancel, list): nothing about the items can be said.
    #[error("{0}")]
    Batch(#[source] instructor::Error),
    /// A file cannot be read or written.
    #[error("{what}: {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file (`-` for stdin/stdout).
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// An error and its causes on one line (`a: b: c`), without repeating a cause that
/// the message already contains.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.replace('\n', " ")
}

impl CliError {
    /// The one line printed on stderr.
    pub(crate) fn line(&self) -> String {
        format!("error: {}", chain(self))
    }
}
