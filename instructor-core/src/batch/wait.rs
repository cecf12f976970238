//! [`Batches::wait`]: polls with capped exponential backoff and jitter.

use std::time::{Duration, Instant};

use super::{BatchJob, Batches};
use crate::error::Result;
use crate::many::Progress;

/// Consecutive failed polls (retryable errors) before `wait` gives up.
const MAX_POLL_FAILURES: u32 = 5;

impl<T> Batches<T> {
    /// Polls until the job has ended (completed, failed, expired or cancelled) and
    /// returns it with the last status seen. Polls first after the initial interval
    /// (1 s), doubling up to the maximum (60 s), with jitter; a poll the provider
    /// answers with a retryable error (429, 5xx: after the transport's own retries)
    /// waits at least as long as its `retry-after` and polls again.
    pub async fn wait(&self, job: &BatchJob) -> Result<BatchJob> {
        let start = Instant::now();
        let mut delay = self.poll_initial;
        let mut failures = 0;
        loop {
            match self.status(job).await {
                Ok(status) => {
                    failures = 0;
                    self.report(&status, start);
                    if status.state.is_ended() {
                        let mut done = job.clone();
                        done.status = Some(status);
                        return Ok(done);
                    }
                    futures_timer::Delay::new(jittered(delay)).await;
                    delay = (delay * 2).min(self.poll_max);
                }
                Err(error) if error.is_retryable() && failures < MAX_POLL_FAILURES => {
                    failures += 1;
                    let pause = error.retry_after().unwrap_or_default().max(delay);
                    tracing::debug!(%error, ?pause, "batch poll failed; polling again");
                    futures_timer::Delay::new(jittered(pause)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn report(&self, status: &super::BatchStatus, start: Instant) {
        let Some(callback) = &self.on_progress else {
            return;
        };
        let counts = status.counts;
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let progress = Progress {
            done: to_usize(counts.succeeded.saturating_add(counts.failed)),
            failed: to_usize(counts.failed),
            in_flight: to_usize(counts.pending),
            total: Some(to_usize(counts.total)),
            usage: crate::completion::Usage::default(),
            elapsed: start.elapsed(),
        };
        // A callback that panicked once poisons the lock; keep calling it anyway.
        let mut f = match callback.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&progress);
    }
}

/// `delay` scaled by a factor in [0.9, 1.1).
fn jittered(delay: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let factor = 0.9 + f64::from(nanos % 1000) / 5000.0;
    delay.mul_f64(factor)
}
