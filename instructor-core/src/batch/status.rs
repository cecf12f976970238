//! Where a provider batch stands: [`BatchStatus`], [`BatchState`], [`BatchCounts`].

use serde::{Deserialize, Serialize};

/// The state of a batch job, in the provider's own terms mapped onto one scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BatchState {
    /// The provider is checking the input.
    Validating,
    /// Requests are being run.
    InProgress,
    /// Every request ran; the output is being written.
    Finalizing,
    /// The job ended and its output is ready.
    Completed,
    /// The job failed before running (bad input); no item ran.
    Failed,
    /// The job ran out of time; items that had not run never will.
    Expired,
    /// A cancellation is under way.
    Cancelling,
    /// The job was cancelled; items that had not run never will.
    Cancelled,
}

impl BatchState {
    /// Whether the job has ended (completed, failed, expired or cancelled): its
    /// results can be read and it will not change again.
    pub fn is_ended(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Expired | Self::Cancelled
        )
    }

    /// How far along a job in this state is (to combine several provider batches:
    /// the job stands where its least advanced batch stands).
    fn rank(self) -> u8 {
        match self {
            Self::Validating => 0,
            Self::InProgress => 1,
            Self::Cancelling => 2,
            Self::Finalizing => 3,
            Self::Failed => 4,
            Self::Cancelled => 5,
            Self::Expired => 6,
            Self::Completed => 7,
        }
    }
}

/// The provider's own request counts (before our parsing: an item that came back
/// but fails validation counts as succeeded here and fails only in its item).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchCounts {
    /// Requests in the job.
    pub total: u64,
    /// Requests the provider answered successfully.
    pub succeeded: u64,
    /// Requests that errored, expired or were cancelled.
    pub failed: u64,
    /// Requests not finished yet.
    pub pending: u64,
}

impl BatchCounts {
    /// Counts from the total and the finished ones; `pending` is what is left.
    pub fn new(total: u64, succeeded: u64, failed: u64) -> Self {
        Self {
            total,
            succeeded,
            failed,
            pending: total.saturating_sub(succeeded.saturating_add(failed)),
        }
    }
}

impl std::ops::AddAssign for BatchCounts {
    fn add_assign(&mut self, other: Self) {
        self.total = self.total.saturating_add(other.total);
        self.succeeded = self.succeeded.saturating_add(other.succeeded);
        self.failed = self.failed.saturating_add(other.failed);
        self.pending = self.pending.saturating_add(other.pending);
    }
}

/// Where a batch job stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchStatus {
    /// The state (for a job split over several provider batches: the least
    /// advanced of them, and once all ended, `Completed` only if all completed).
    pub state: BatchState,
    /// The provider's request counts, summed over the job's provider batches.
    pub counts: BatchCounts,
    /// Why the provider failed the job (e.g. input lines it rejected), when it said.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl BatchStatus {
    /// A status with a state and counts, and no errors.
    pub fn new(state: BatchState, counts: BatchCounts) -> Self {
        Self {
            state,
            counts,
            errors: Vec::new(),
        }
    }

    /// The status of a job made of several provider batches.
    pub(crate) fn combine(parts: Vec<BatchStatus>) -> Option<BatchStatus> {
        let mut parts = parts.into_iter();
        let mut all = parts.next()?;
        for part in parts {
            all.counts += part.counts;
            all.errors.extend(part.errors);
            all.state = match (all.state.is_ended(), part.state.is_ended()) {
                (true, true) | (false, false) if part.state.rank() < all.state.rank() => part.state,
                (true, false) => part.state,
                _ => all.state,
            };
        }
        Some(all)
    }
}

#[cfg(test)]
mod tests {
    use super::{BatchCounts, BatchState, BatchStatus};

    fn status(state: BatchState, done: u64) -> BatchStatus {
        BatchStatus::new(state, BatchCounts::new(10, done, 0))
    }

    #[test]
    fn a_split_job_stands_where_its_least_advanced_part_stands() {
        let all = BatchStatus::combine(vec![
            status(BatchState::Completed, 10),
            status(BatchState::InProgress, 4),
        ])
        .unwrap_or_else(|| unreachable!());
        assert_eq!(all.state, BatchState::InProgress);
        assert_eq!(all.counts, BatchCounts::new(20, 14, 0));
        assert_eq!(all.counts.pending, 6);
        let ended = BatchStatus::combine(vec![
            status(BatchState::Completed, 10),
            status(BatchState::Expired, 4),
        ])
        .unwrap_or_else(|| unreachable!());
        assert_eq!(ended.state, BatchState::Expired);
        assert!(ended.state.is_ended());
    }
}
