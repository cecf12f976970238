//! The progress bar on stderr: done/failed/in flight, rate, ETA and tokens.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use instructor::Progress;

/// A progress bar, drawn only when asked for and stderr is a terminal.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar for `total` documents (a spinner with counts when unknown), or none.
    pub(crate) fn new(wanted: bool, total: Option<u64>) -> Self {
        if !wanted || !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let template = match total {
            Some(_) => {
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {per_sec} ETA {eta} {msg}"
            }
            None => "{spinner} {elapsed_precise} {pos} done {per_sec} {msg}",
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar =
            ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr()).with_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar: Some(bar) }
    }

    /// Shows `progress`.
    pub(crate) fn update(&self, progress: &Progress) {
        if let Some(bar) = &self.bar {
            bar.set_position(progress.done as u64);
            let mut message = format!(
                "failed {} · in flight {}",
                progress.failed, progress.in_flight
            );
            // A provider batch reports no tokens while it runs.
            if progress.usage.total_tokens > 0 {
                message.push_str(&format!(" · tokens {}", progress.usage.total_tokens));
            }
            bar.set_message(message);
        }
    }

    /// Leaves the final state on screen.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
