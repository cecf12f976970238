//! [`BatchEngine`]: what a provider implements to run [`Batches`](crate::Batches).
//!
//! Core prepares every line's body (exactly what `create` sends on its first
//! attempt), checks custom ids, keeps the job, combines statuses, and turns each
//! returned [`Completion`] into a typed item. An engine only speaks its provider's
//! batch protocol: upload and create, poll one provider batch, stream its output
//! lines (parsed with the same converter its `send` uses), give the inputs back if
//! the provider keeps them, append reask messages to a body, cancel, list.

use std::fmt;
use std::pin::Pin;

use futures_core::Stream;
use serde_json::Value;

use super::BatchStatus;
use crate::completion::Completion;
use crate::error::Error;
use crate::message::Message;
use crate::mode::Mode;

/// One request of a batch: its custom id and the provider body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BatchLine {
    /// The caller's id of the item.
    pub custom_id: String,
    /// The exact provider request body.
    pub body: Value,
}

impl BatchLine {
    /// A line with this id and body.
    pub fn new(custom_id: impl Into<String>, body: Value) -> Self {
        Self {
            custom_id: custom_id.into(),
            body,
        }
    }
}

/// One result line of a batch: the item's id and its completion, or the error the
/// provider reported for it (an HTTP error, a [`BatchError::NotRun`](super::BatchError::NotRun), ...).
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchLineResult {
    /// The item's id.
    pub custom_id: String,
    /// The completion, parsed as the provider's `send` parses an answer.
    pub outcome: Result<Completion, Error>,
}

impl BatchLineResult {
    /// A result for `custom_id`.
    pub fn new(custom_id: impl Into<String>, outcome: Result<Completion, Error>) -> Self {
        Self {
            custom_id: custom_id.into(),
            outcome,
        }
    }
}

/// The result lines of one provider batch, read as they arrive; an `Err` item is a
/// line (or the stream) that could not be read at all.
pub type BatchLineStream = Pin<Box<dyn Stream<Item = Result<BatchLineResult, Error>> + Send>>;

/// The input lines of one provider batch, read back from the provider.
pub type BatchInputStream = Pin<Box<dyn Stream<Item = Result<BatchLine, Error>> + Send>>;

/// One of the provider's recent batches, as listed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ListedBatch {
    /// The provider's batch id.
    pub id: String,
    /// The model, when the listing says.
    pub model: Option<String>,
    /// The mode its endpoint implies, when it does (OpenAI: `/v1/responses` means
    /// [`Mode::ResponsesTools`]).
    pub mode: Option<Mode>,
    /// Creation time (Unix seconds), when given.
    pub created_at: Option<u64>,
    /// Where it stands.
    pub status: BatchStatus,
}

impl ListedBatch {
    /// A listed batch with its id and status.
    pub fn new(id: impl Into<String>, status: BatchStatus) -> Self {
        Self {
            id: id.into(),
            model: None,
            mode: None,
            created_at: None,
            status,
        }
    }
}

/// A provider's batch protocol. Providers return one from
/// [`Provider::batch_engine`](crate::provider::Provider::batch_engine).
///
/// Ids are the provider's batch ids; a job may span several provider batches (a
/// provider with per-batch limits splits in [`submit`](BatchEngine::submit)), and
/// core asks about each one.
#[async_trait::async_trait]
pub trait BatchEngine: Send + Sync + fmt::Debug {
    /// Where batches go (the base URL, without credentials), recorded in the job.
    fn endpoint(&self) -> String;

    /// The provider's own rule for custom ids beyond "non-empty and unique" (which
    /// core checks): `Err(reason)` for an id it would reject.
    fn check_custom_id(&self, id: &str) -> Result<(), String> {
        let _ = id;
        Ok(())
    }

    /// Whether [`inputs`](BatchEngine::inputs) can read a submitted batch's lines
    /// back. When not, the job keeps every line's body itself (for reasks).
    fn returns_inputs(&self) -> bool {
        false
    }

    /// Submits `lines` (every one for `model`, in `mode`) as one or more provider
    /// batches; returns their ids in order.
    async fn submit(
        &self,
        model: &str,
        mode: Mode,
        lines: Vec<BatchLine>,
    ) -> Result<Vec<String>, Error>;

    /// Where provider batch `id` stands.
    async fn status(&self, id: &str) -> Result<BatchStatus, Error>;

    /// The result lines of ended provider batch `id`, in any order, read as they
    /// arrive (never the whole output in memory). Items that never ran and that the
    /// provider lists say so with [`BatchError::NotRun`](super::BatchError::NotRun);
    /// core reports those it does not list.
    async fn results(&self, id: &str, mode: Mode) -> Result<BatchLineStream, Error>;

    /// The input lines of provider batch `id` (only when
    /// [`returns_inputs`](BatchEngine::returns_inputs)).
    async fn inputs(&self, id: &str) -> Result<BatchInputStream, Error> {
        let _ = id;
        Err(Error::config(
            "this provider cannot read a batch's input back".to_owned(),
        ))
    }

    /// Appends `messages` to a line's `body`, giving exactly the body the provider
    /// builds for the conversation extended by them (a reask: the model's answer and
    /// the errors).
    fn append_messages(
        &self,
        body: &mut Value,
        mode: Mode,
        messages: &[Message],
    ) -> Result<(), Error>;

    /// Asks the provider to cancel batch `id`.
    async fn cancel(&self, id: &str) -> Result<(), Error>;

    /// The provider's most recent batches, newest first, at most `limit`.
    async fn list(&self, limit: usize) -> Result<Vec<ListedBatch>, Error>;
}
