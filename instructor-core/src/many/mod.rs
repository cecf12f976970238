//! Many calls in one process: [`Client::create_many`] runs a (possibly endless)
//! iterator of requests with bounded concurrency, a shared [`RateLimit`], a
//! run-wide pause on 429s and [`Progress`] reports.

mod gate;
mod progress;
mod rate_limit;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use futures_core::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use serde::de::DeserializeOwned;

pub use gate::TransportGate;
pub use progress::Progress;
pub use rate_limit::RateLimit;

use crate::client::Client;
use crate::client::answer::response_spec;
use crate::client::request::Request;
use crate::completion::Usage;
use crate::error::Result;
use crate::instruct::Instruct;
use crate::limits::{UsageLimits, UsageMeter};

/// Calls in flight when [`Many::concurrency`] is not set.
pub(crate) const DEFAULT_CONCURRENCY: usize = 8;

type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// A run of many calls, built by [`Client::create_many`]; nothing is sent until
/// [`Many::stream`] is polled or [`Many::collect`] awaited.
#[must_use = "a Many does nothing until `.stream()` is polled or `.collect().await`ed"]
pub struct Many<T> {
    client: Client,
    requests: Box<dyn Iterator<Item = Request> + Send>,
    total: Option<usize>,
    concurrency: usize,
    rate_limit: Option<RateLimit>,
    on_progress: Option<ProgressFn>,
    /// Limits shared by every call of the run.
    meter: Option<Arc<UsageMeter>>,
    marker: PhantomData<fn() -> T>,
}

impl Client {
    /// Runs one [`create`](Client::create) per request, several at a time: at most
    /// [`concurrency`](Many::concurrency) calls in flight (8 by default; an item's
    /// reasks and transport retries stay in its slot), within an optional shared
    /// [`RateLimit`], pausing every call when the provider answers 429.
    ///
    /// Requests are pulled from the iterator only as slots free up, so an endless or
    /// very long iterator is never materialised. Every request yields exactly one
    /// result and a failed item never stops the others. Get the results as they
    /// finish with [`Many::stream`], or all of them in input order with
    /// [`Many::collect`] (or by awaiting the `Many` itself).
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use instructor_core::{Client, Progress, RateLimit, Request};
    ///
    /// async fn keywords(client: &Client, texts: Vec<String>) {
    ///     let requests = texts
    ///         .into_iter()
    ///         .map(|text| Request::default().system("List the keywords.").user(text));
    ///     let mut results = client
    ///         .create_many::<Vec<String>>(requests)
    ///         .concurrency(32)
    ///         .rate_limit(RateLimit::new().requests_per_minute(500).tokens_per_minute(200_000))
    ///         .on_progress(|p: &Progress| eprintln!("{}/{:?} done, {} failed", p.done, p.total, p.failed))
    ///         .stream();
    ///     while let Some((index, result)) = results.next().await {
    ///         match result {
    ///             Ok(words) => println!("{index}: {words:?}"),
    ///             Err(error) => eprintln!("{index}: {error}"),
    ///         }
    ///     }
    ///
    ///     // Or every result at once, in input order.
    ///     let all: Vec<instructor_core::Result<Vec<String>>> = client
    ///         .create_many::<Vec<String>>([Request::default().user("Rust, async, HTTP")])
    ///         .collect()
    ///         .await;
    ///     assert_eq!(all.len(), 1);
    /// }
    /// ```
    pub fn create_many<T: Instruct + DeserializeOwned + Send + 'static>(
        &self,
        requests: impl IntoIterator<Item = Request, IntoIter: Send + 'static>,
    ) -> Many<T> {
        let requests = requests.into_iter();
        let total = match requests.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        };
        Many {
            client: self.clone(),
            requests: Box::new(requests),
            total,
            concurrency: DEFAULT_CONCURRENCY,
            rate_limit: None,
            on_progress: None,
            meter: None,
            marker: PhantomData,
        }
    }
}

impl<T: Instruct + DeserializeOwned + Send + 'static> Many<T> {
    /// At most `n` calls in flight (at least 1; default 8).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Paces the run's HTTP attempts within `limit`. Pass clones of one
    /// [`RateLimit`] to several runs to share one budget between them.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Limits for the whole run, shared by its calls (see
    /// [`UsageLimits`](crate::UsageLimits)): once an attempt would cross one, that
    /// item and every later one fail with `Error::UsageLimitExceeded` without being
    /// sent.
    pub fn usage_limits(mut self, limits: UsageLimits) -> Self {
        self.meter = Some(UsageMeter::new(limits));
        self
    }

    /// Calls `report` as each item finishes, and once more when the run is over.
    pub fn on_progress(mut self, report: impl FnMut(&Progress) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(report));
        self
    }

    /// The results as they finish, each with its request's index (0-based).
    /// Dropping the stream cancels the calls in flight and starts no new one.
    pub fn stream(self) -> impl Stream<Item = (usize, Result<T>)> + Send + Unpin + 'static {
        let schema = response_spec::<T>().schema;
        let schema_chars = serde_json::to_string(&schema).map_or(0, |s| s.len());
        let limit = self.rate_limit.unwrap_or_default();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let client = self.client;
        let counter = Arc::clone(&in_flight);
        let meter = self.meter;
        let calls = self.requests.enumerate().map(move |(index, request)| {
            let request = match &meter {
                Some(meter) => request.with_meter(Arc::clone(meter)),
                None => request,
            };
            let gate = TransportGate::new(
                limit.clone(),
                rate_limit::estimate_tokens(&request, schema_chars),
            );
            let mut client = client.clone();
            client.gate = Some(gate.clone());
            let counter = Arc::clone(&counter);
            async move {
                let _slot = InFlight::enter(counter);
                let outcome = client.create_with_completion::<T>(request).await;
                let usage = match &outcome {
                    Ok((_, completion)) => completion.total_usage,
                    Err(error) => error.usage().unwrap_or_default(),
                };
                gate.settle(
                    usage
                        .total_tokens
                        .max(usage.prompt_tokens + usage.completion_tokens),
                );
                (index, outcome.map(|(value, _)| value), usage)
            }
        });
        ManyStream {
            calls: futures_util::stream::iter(calls)
                .buffer_unordered(self.concurrency)
                .boxed(),
            progress: Progress {
                total: self.total,
                ..Progress::default()
            },
            started: Instant::now(),
            in_flight,
            on_progress: self.on_progress,
            ended: false,
        }
    }

    /// Every result, in the order of the requests.
    pub async fn collect(self) -> Vec<Result<T>> {
        let mut slots: Vec<Option<Result<T>>> =
            Vec::with_capacity(self.total.unwrap_or(0).min(1 << 16));
        let mut results = self.stream();
        while let Some((index, result)) = results.next().await {
            if slots.len() <= index {
                slots.resize_with(index + 1, || None);
            }
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some(result);
            }
        }
        slots.into_iter().flatten().collect()
    }
}

impl<T: Instruct + DeserializeOwned + Send + 'static> IntoFuture for Many<T> {
    type Output = Vec<Result<T>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Vec<Result<T>>> + Send>>;

    /// Awaiting a `Many` is [`Many::collect`].
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.collect())
    }
}

impl<T> fmt::Debug for Many<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Many")
            .field("total", &self.total)
            .field("concurrency", &self.concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("on_progress", &self.on_progress.is_some())
            .finish_non_exhaustive()
    }
}

/// Counts an item as in flight while it lives (dropped on completion or cancel).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The calls, with progress kept and reported as their results come out.
struct ManyStream<T> {
    calls: BoxStream<'static, (usize, Result<T>, Usage)>,
    progress: Progress,
    started: Instant,
    in_flight: Arc<AtomicUsize>,
    on_progress: Option<ProgressFn>,
    ended: bool,
}

impl<T> ManyStream<T> {
    fn report(&mut self) {
        if let Some(report) = &mut self.on_progress {
            self.progress.in_flight = self.in_flight.load(Ordering::Relaxed);
            self.progress.elapsed = self.started.elapsed();
            report(&self.progress);
        }
    }
}

impl<T> Stream for ManyStream<T> {
    type Item = (usize, Result<T>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.calls.poll_next_unpin(cx) {
            Poll::Ready(Some((index, result, usage))) => {
                self.progress.done += 1;
                self.progress.failed += usize::from(result.is_err());
                self.progress.usage += usage;
                self.report();
                Poll::Ready(Some((index, result)))
            }
            Poll::Ready(None) => {
                self.ended = true;
                self.report();
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
