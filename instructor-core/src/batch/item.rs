//! [`BatchItem`]: one typed result of a batch.

use crate::completion::Usage;
use crate::error::Result;

/// One item of a batch: its custom id, the validated value or why there is none,
/// and the tokens it used.
///
/// An item whose answer failed parsing or validation is an
/// [`Error::RetriesExhausted`](crate::Error::RetriesExhausted) holding the answer
/// and the error (what [`Batches::reask`](crate::Batches::reask) feeds back); a
/// refusal, truncation or content filter is the same typed error `create` gives;
/// an item the provider failed carries the provider's error; an item that never
/// ran is a [`BatchError::NotRun`](crate::BatchError::NotRun).
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchItem<T> {
    /// The caller's id of the item.
    pub custom_id: String,
    /// The validated value, or what went wrong.
    pub result: Result<T>,
    /// The tokens the item used (zero when it never ran).
    pub usage: Usage,
}

impl<T> BatchItem<T> {
    /// An item with its id, result and usage.
    pub fn new(custom_id: impl Into<String>, result: Result<T>, usage: Usage) -> Self {
        Self {
            custom_id: custom_id.into(),
            result,
            usage,
        }
    }

    /// Whether the item has a valid value.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// The usage of `items`, summed.
    pub fn total_usage(items: &[BatchItem<T>]) -> Usage {
        let mut total = Usage::default();
        for item in items {
            total += item.usage;
        }
        total
    }
}
