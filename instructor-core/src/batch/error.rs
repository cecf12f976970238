//! [`BatchError`]: what can go wrong with a batch job or one of its items.

use super::BatchState;

/// Why an item of a batch never ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotRunReason {
    /// The job expired before the item ran.
    Expired,
    /// The job was cancelled before the item ran.
    Cancelled,
    /// The job failed (its input was rejected) before the item ran.
    Failed,
    /// The job ended without a result for the item.
    Missing,
}

/// A batch job or item failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// A custom id is empty, repeated or outside the provider's rules.
    #[error("invalid custom id `{id}`: {reason}")]
    InvalidCustomId {
        /// The id.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The items name different models, where the provider takes one per batch.
    #[error(
        "a batch takes one model, but item `{id}` asks for `{other}` and earlier ones for `{first}`"
    )]
    MixedModels {
        /// The first model seen.
        first: String,
        /// The other model.
        other: String,
        /// The item that named it.
        id: String,
    },
    /// The job was made for another response model than the one asked for.
    #[error(
        "the job was submitted for the response model `{job}`, not `{requested}` (the schemas differ)"
    )]
    WrongResponseModel {
        /// The job's response model.
        job: String,
        /// The one asked for.
        requested: String,
    },
    /// The job has not ended yet: its results cannot be read.
    #[error("the batch job has not ended (it is {state:?}); wait for it first")]
    NotEnded {
        /// Where it stands.
        state: BatchState,
    },
    /// The client's provider has no batch engine, or the job belongs to another.
    #[error("{0}")]
    Unsupported(String),
    /// The item never ran.
    #[error("the item never ran ({reason:?}): {message}")]
    NotRun {
        /// Why.
        reason: NotRunReason,
        /// The provider's words, when it said.
        message: String,
    },
    /// The provider reported an error for the item (outside an HTTP status).
    #[error("the provider failed the item ({code}): {message}")]
    ItemFailed {
        /// The provider's error code.
        code: String,
        /// Its message.
        message: String,
    },
}
