//! Reading a job's results as typed items, one line at a time.

use std::any::TypeId;
use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::{BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::job::{ItemIds, fingerprint};
use super::{
    BatchError, BatchItem, BatchJob, BatchLineResult, BatchLineStream, BatchState, Batches,
    NotRunReason,
};
use crate::client::Client;
use crate::client::answer;
use crate::client::call::check_finish;
use crate::client::request::Request;
use crate::completion::Usage;
use crate::dynamic::{DynamicModel, ResponseModel};
use crate::error::{Error, FailedAttempt, Result, RetriesExhausted};
use crate::instruct::Instruct;
use crate::mode::Mode;
use crate::validate::ValidationContext;

/// The typed items of a job, one at a time, from
/// [`Batches::results_stream`]: `Ok` for each item (whose own `result` may be an
/// error), `Err` when part of the output could not be read at all.
#[must_use = "streams do nothing unless polled"]
pub struct BatchResults<T> {
    inner: BoxStream<'static, Result<BatchItem<T>>>,
}

impl<T> std::fmt::Debug for BatchResults<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchResults").finish_non_exhaustive()
    }
}

impl<T> Stream for BatchResults<T> {
    type Item = Result<BatchItem<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T: Instruct + DeserializeOwned + Send + 'static> Batches<T> {
    /// Every item of an ended job, typed (see [`Batches::results_stream`]); stops at
    /// the first part of the output that cannot be read.
    pub async fn results(&self, job: &BatchJob) -> Result<Vec<BatchItem<T>>> {
        let mut stream = self.results_stream(job).await?;
        let mut items = Vec::with_capacity(job.len());
        while let Some(item) = stream.next().await {
            items.push(item?);
        }
        Ok(items)
    }

    /// The items of an ended job as the output is read (in the provider's order),
    /// then every item that never came back as a
    /// [`BatchError::NotRun`](super::BatchError::NotRun). Each answer goes through
    /// the same steps as one `create` attempt: refusals, truncation and content
    /// filters are typed errors, the mode's answer is parsed and validated. Holds
    /// one line at a time plus a few bytes per item, however large the output.
    ///
    /// Refused with [`BatchError::WrongResponseModel`] when the job was submitted
    /// for another response model than `T`.
    pub async fn results_stream(&self, job: &BatchJob) -> Result<BatchResults<T>> {
        self.engine_for(job)?;
        let model = self.model_for(job)?;
        let status = self.status(job).await?;
        if !status.state.is_ended() {
            return Err(Error::Batch(BatchError::NotEnded {
                state: status.state,
            }));
        }
        let missing = match status.state {
            BatchState::Expired => NotRunReason::Expired,
            BatchState::Cancelled => NotRunReason::Cancelled,
            BatchState::Failed => NotRunReason::Failed,
            _ => NotRunReason::Missing,
        };
        let message = if status.errors.is_empty() {
            format!(
                "the batch ended ({:?}) without a result for it",
                status.state
            )
        } else {
            status.errors.join("; ")
        };
        let index = job.items.sorted_index();
        let reader = Reader {
            client: self.client.clone(),
            seen: vec![0; job.len().div_ceil(64)],
            index,
            items: job.items.clone(),
            contexts: job.contexts.clone(),
            mode: job.mode,
            round: job.round,
            lenient: crate::client::lenient::Lenient::new(
                self.client.is_lenient(),
                &model.spec().schema,
            ),
            model: Arc::new(model),
            ids: job.batch_ids.iter().cloned().collect(),
            current: None,
            next_missing: 0,
            missing: (missing, message),
        };
        let inner = futures_util::stream::unfold(reader, |mut reader| async move {
            let item = reader.next().await?;
            Some((item, reader))
        })
        .boxed();
        Ok(BatchResults { inner })
    }

    /// The response model to read `job` with, refusing one made for another type.
    pub(super) fn model_for(&self, job: &BatchJob) -> Result<ResponseModel<T>> {
        let request = match &self.dynamic {
            Some(model) => Request::default().response_model(model.clone()),
            None => Request::default(),
        };
        let model = ResponseModel::<T>::for_request(&request)?;
        let expected = &job.response.fingerprint;
        if expected.is_empty() || fingerprint(model.spec()) == *expected {
            return Ok(model);
        }
        // A runtime model: rebuilt from the schema the job embeds.
        if self.dynamic.is_none() && TypeId::of::<T>() == TypeId::of::<Value>() {
            let mut document = job.response.schema.clone().into_value();
            if let Some(object) = document.as_object_mut() {
                object
                    .entry("title")
                    .or_insert_with(|| Value::from(job.response.name.clone()));
                if !job.response.description.is_empty() {
                    object
                        .entry("description")
                        .or_insert_with(|| Value::from(job.response.description.clone()));
                }
            }
            if let Ok(dynamic) = DynamicModel::from_json_schema(&document) {
                let rebuilt =
                    ResponseModel::<T>::for_request(&Request::default().response_model(dynamic))?;
                if fingerprint(rebuilt.spec()) == *expected {
                    return Ok(rebuilt);
                }
            }
        }
        Err(Error::Batch(BatchError::WrongResponseModel {
            job: job.response.name.clone(),
            requested: model.spec().name.clone(),
        }))
    }
}

/// The state of a [`BatchResults`] stream.
struct Reader<T> {
    client: Client,
    /// The job's custom ids (shared with it, not copied).
    items: ItemIds,
    contexts: BTreeMap<String, Value>,
    mode: Mode,
    round: u32,
    model: Arc<ResponseModel<T>>,
    /// Lenient reading of each line's answer, when the client parses leniently.
    lenient: Option<crate::client::lenient::Lenient>,
    /// Provider batches not read yet.
    ids: VecDeque<String>,
    current: Option<BatchLineStream>,
    /// Item positions sorted by id.
    index: Vec<u32>,
    /// One bit per item: seen in the output.
    seen: Vec<u64>,
    next_missing: usize,
    missing: (NotRunReason, String),
}

impl<T: Instruct + DeserializeOwned + Send + 'static> Reader<T> {
    async fn next(&mut self) -> Option<Result<BatchItem<T>>> {
        loop {
            if let Some(lines) = &mut self.current {
                match lines.next().await {
                    Some(Ok(line)) => return Some(self.item(line)),
                    Some(Err(error)) => return Some(Err(error)),
                    None => self.current = None,
                }
                continue;
            }
            if let Some(id) = self.ids.pop_front() {
                let Some(engine) = self.client.provider().batch_engine() else {
                    return Some(Err(Error::config("no batch engine".to_owned())));
                };
                match engine.results(&id, self.mode).await {
                    Ok(lines) => self.current = Some(lines),
                    Err(error) => return Some(Err(error)),
                }
                continue;
            }
            return self.next_not_run().map(Ok);
        }
    }

    /// The typed item of one output line (an `Err` for a line of no item of the job,
    /// or a second line for the same item).
    fn item(&mut self, line: BatchLineResult) -> Result<BatchItem<T>> {
        let BatchLineResult { custom_id, outcome } = line;
        if self.items.len() > 0 {
            let Some(position) = self.items.position(&self.index, &custom_id) else {
                return Err(Error::response(format!(
                    "the output has a line for `{custom_id}`, which is no item of the job"
                )));
            };
            let (word, bit) = (position / 64, 1u64 << (position % 64));
            if self.seen[word] & bit != 0 {
                return Err(Error::response(format!(
                    "the output has a second line for `{custom_id}`"
                )));
            }
            self.seen[word] |= bit;
        }
        let completion = match outcome {
            Ok(completion) => completion,
            Err(error) => return Ok(BatchItem::new(custom_id, Err(error), Usage::default())),
        };
        let usage = completion.usage;
        if let Err(error) = check_finish(&completion, usage) {
            return Ok(BatchItem::new(custom_id, Err(error), usage));
        }
        let context = ValidationContext::from_option(self.contexts.get(&custom_id));
        let parsed =
            answer::answer_json(self.mode, &completion, &self.model.spec().name).and_then(|json| {
                match &self.lenient {
                    Some(lenient) => self.model.parse(&lenient.repair(json), &context),
                    None => self.model.parse(json, &context),
                }
            });
        let result = parsed.map_err(|error| {
            Error::RetriesExhausted(Box::new(RetriesExhausted::new(
                vec![FailedAttempt::new(self.round, completion, error)],
                usage,
            )))
        });
        Ok(BatchItem::new(custom_id, result, usage))
    }

    /// The next item the output did not mention: it never ran.
    fn next_not_run(&mut self) -> Option<BatchItem<T>> {
        while self.next_missing < self.items.len() {
            let position = self.next_missing;
            self.next_missing += 1;
            if self.seen[position / 64] & (1u64 << (position % 64)) == 0 {
                let id = self.items.get(position).unwrap_or_default().to_owned();
                let (reason, message) = self.missing.clone();
                let error = Error::Batch(BatchError::NotRun { reason, message });
                return Some(BatchItem::new(id, Err(error), Usage::default()));
            }
        }
        None
    }
}
