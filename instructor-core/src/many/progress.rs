//! [`Progress`]: where a run of many calls stands.

use std::time::Duration;

use crate::completion::Usage;

/// Where a [`create_many`](crate::Client::create_many) run stands, given to
/// [`Many::on_progress`](crate::Many::on_progress) as each item finishes and once
/// more at the end.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Progress {
    /// Items finished, successes and failures alike.
    pub done: usize,
    /// Items among `done` that failed.
    pub failed: usize,
    /// Items being worked on (waiting for their turn, sent, or reasking).
    pub in_flight: usize,
    /// The number of items, when the requests' iterator knows it exactly.
    pub total: Option<usize>,
    /// Tokens used so far, summed over every finished item and attempt.
    pub usage: Usage,
    /// Time since the run started.
    pub elapsed: Duration,
}

impl Progress {
    /// Items finished successfully.
    pub fn succeeded(&self) -> usize {
        self.done.saturating_sub(self.failed)
    }

    /// Finished items per second so far.
    pub fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.done as f64 / seconds
        } else {
            0.0
        }
    }
}
