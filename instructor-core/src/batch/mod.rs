//! Provider batch engines behind one typed handle: [`Client::batch`] gives a
//! [`Batches<T>`] that submits requests as a provider batch (OpenAI Batch API,
//! Anthropic Message Batches, Gemini batch mode), polls it, reads its results as
//! typed [`BatchItem`]s with the same per-mode parsing and validation as `create`,
//! and runs reask rounds for the items that failed validation.
//!
//! Providers implement [`BatchEngine`]; everything else (line bodies, custom id
//! checks, the job, combining split batches, typed items, reasks) is here.

mod engine;
mod error;
mod item;
mod job;
mod reask;
mod results;
mod wait;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

pub use engine::{
    BatchEngine, BatchInputStream, BatchLine, BatchLineResult, BatchLineStream, ListedBatch,
};
pub use error::{BatchError, NotRunReason};
pub use item::BatchItem;
pub use job::BatchJob;
pub use results::BatchResults;
mod status;
pub use status::{BatchCounts, BatchState, BatchStatus};

use crate::client::Client;
use crate::client::request::Request;
use crate::dynamic::{DynamicModel, ResponseModel};
use crate::error::{Error, Result};
use crate::instruct::Instruct;
use crate::many::Progress;
use job::{ItemIds, JOB_FORMAT, JobResponse};

type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// The most jobs [`Batches::list`] returns.
const LIST_LIMIT: usize = 100;

/// A typed handle on the client's provider batch engine, from [`Client::batch`].
///
/// ```no_run
/// # use instructor_core::{Client, Request, BatchJob};
/// # async fn run(client: Client) -> instructor_core::Result<()> {
/// let batches = client.batch::<Vec<String>>();
/// let job: BatchJob = batches
///     .submit(vec![("doc-1".to_string(), Request::new("gpt-4o-mini").user("a, b"))])
///     .await?;
/// let job = batches.wait(&job).await?;
/// for item in batches.results(&job).await? {
///     println!("{}: {:?}", item.custom_id, item.result);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a Batches handle does nothing until one of its methods is awaited"]
pub struct Batches<T> {
    client: Client,
    poll_initial: Duration,
    poll_max: Duration,
    on_progress: Option<Arc<Mutex<ProgressFn>>>,
    dynamic: Option<DynamicModel>,
    marker: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Batches<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batches")
            .field("provider", &self.client.provider().name())
            .field("poll_initial", &self.poll_initial)
            .field("poll_max", &self.poll_max)
            .field("response_model", &self.dynamic)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A typed handle on this client's provider batch engine (OpenAI Batch API,
    /// Anthropic Message Batches, Gemini batch mode). Requests are built in the
    /// client's mode, exactly as [`create`](Client::create) builds its first attempt.
    pub fn batch<T>(&self) -> Batches<T> {
        Batches {
            client: self.clone(),
            poll_initial: Duration::from_secs(1),
            poll_max: Duration::from_secs(60),
            on_progress: None,
            dynamic: None,
            marker: PhantomData,
        }
    }
}

impl<T> Batches<T> {
    /// How [`wait`](Batches::wait) polls: first after `initial`, doubling up to
    /// `max` (default 1 s to 60 s), each wait jittered by up to ±10%.
    pub fn poll_interval(mut self, initial: Duration, max: Duration) -> Self {
        self.poll_initial = initial;
        self.poll_max = max.max(initial);
        self
    }

    /// Called by [`wait`](Batches::wait) after each poll with where the job stands
    /// (`done` = items the provider finished, `failed` = those it failed,
    /// `in_flight` = the rest).
    pub fn on_progress(mut self, f: impl FnMut(&Progress) + Send + 'static) -> Self {
        self.on_progress = Some(Arc::new(Mutex::new(Box::new(f))));
        self
    }

    /// Reads results through this runtime response model (with
    /// `T = serde_json::Value`), e.g. in another process; by default the model is
    /// rebuilt from the schema the job embeds.
    pub fn response_model(mut self, model: DynamicModel) -> Self {
        self.dynamic = Some(model);
        self
    }

    fn engine(&self) -> Result<&dyn BatchEngine> {
        let provider = self.client.provider();
        provider.batch_engine().ok_or_else(|| {
            Error::Batch(BatchError::Unsupported(format!(
                "the {} provider has no batch engine",
                provider.name()
            )))
        })
    }

    /// The engine, after checking `job` was made on this client's provider.
    fn engine_for(&self, job: &BatchJob) -> Result<&dyn BatchEngine> {
        let name = self.client.provider().name();
        if job.provider != name {
            return Err(Error::Batch(BatchError::Unsupported(format!(
                "the job was submitted to {}, but this client talks to {name}",
                job.provider
            ))));
        }
        self.engine()
    }

    /// Where the job stands: its state and the provider's request counts (summed
    /// over the job's provider batches).
    pub async fn status(&self, job: &BatchJob) -> Result<BatchStatus> {
        let engine = self.engine_for(job)?;
        let mut parts = Vec::with_capacity(job.batch_ids.len());
        for id in &job.batch_ids {
            parts.push(engine.status(id).await?);
        }
        BatchStatus::combine(parts)
            .ok_or_else(|| Error::config("the job names no provider batch".to_owned()))
    }

    /// Asks the provider to cancel every batch of the job (items already answered
    /// keep their results).
    pub async fn cancel(&self, job: &BatchJob) -> Result<()> {
        let engine = self.engine_for(job)?;
        for id in &job.batch_ids {
            engine.cancel(id).await?;
        }
        Ok(())
    }

    /// The provider's most recent batch jobs (up to 100, newest first), each with
    /// the status it had when listed. A listed job knows neither its items nor its
    /// response model: its results are read as `T` without the fingerprint check,
    /// and items that never ran are not reported.
    pub async fn list(&self) -> Result<Vec<BatchJob>> {
        let engine = self.engine()?;
        let listed = engine.list(LIST_LIMIT).await?;
        Ok(listed
            .into_iter()
            .map(|batch| BatchJob {
                format: JOB_FORMAT,
                provider: self.client.provider().name().to_owned(),
                endpoint: engine.endpoint(),
                batch_ids: vec![batch.id],
                mode: batch.mode.unwrap_or(self.client.mode()),
                model: batch.model.unwrap_or_default(),
                response: JobResponse {
                    name: String::new(),
                    description: String::new(),
                    schema: crate::schema::Schema::default(),
                    fingerprint: String::new(),
                },
                round: 1,
                created_at: batch.created_at.unwrap_or_default(),
                items: ItemIds::default(),
                contexts: BTreeMap::new(),
                inputs: None,
                status: Some(batch.status),
            })
            .collect())
    }
}

impl<T: Instruct + DeserializeOwned + Send + 'static> Batches<T> {
    /// Submits one request per `(custom_id, request)` as a provider batch. Each
    /// line's body is exactly what [`create`](Client::create) would send on its
    /// first attempt in the client's mode. Custom ids must be non-empty, unique and
    /// fit the provider's rules; every request must name the same model (one model
    /// per batch).
    pub async fn submit(
        &self,
        requests: impl IntoIterator<Item = (String, Request)>,
    ) -> Result<BatchJob> {
        let engine = self.engine()?;
        let mut seen = HashSet::new();
        let mut pending = Pending::default();
        let mut response: Option<JobResponse> = None;
        for (id, request) in requests {
            check_custom_id(engine, &id, &mut seen)?;
            let model = ResponseModel::<T>::for_request(&request)?;
            let spec = model.spec().clone();
            match &response {
                None => response = Some(JobResponse::of(&spec)),
                Some(first) if first.fingerprint != job::fingerprint(&spec) => {
                    return Err(Error::config(format!(
                        "every item of a batch must share one response model; item `{id}` asks for `{}`, earlier ones for `{}`",
                        spec.name, first.name
                    )));
                }
                Some(_) => {}
            }
            if !request.meters().is_empty() {
                return Err(Error::config(format!(
                    "item `{id}` has usage limits (`Request::usage_limits`), which a batch cannot enforce: the provider runs every line"
                )));
            }
            if !request.checks().is_empty() {
                return Err(Error::config(format!(
                    "item `{id}` has answer checks (`Request::check`), which a batch cannot run"
                )));
            }
            let prepared = self.client.prepare_call(&request, spec, false).await?;
            let body = self.client.provider().build_body(&prepared)?;
            pending.add(id, prepared.model, request.context, body)?;
        }
        let response = response
            .ok_or_else(|| Error::config("a batch needs at least one request".to_owned()))?;
        pending
            .submit(
                engine,
                self.client.provider().name(),
                self.client.mode(),
                response,
                1,
            )
            .await
    }
}

/// Checks a custom id: non-empty, not seen before, and fine by the provider.
fn check_custom_id(engine: &dyn BatchEngine, id: &str, seen: &mut HashSet<String>) -> Result<()> {
    let invalid = |reason: String| {
        Error::Batch(BatchError::InvalidCustomId {
            id: id.to_owned(),
            reason,
        })
    };
    if id.is_empty() {
        return Err(invalid("custom ids must not be empty".to_owned()));
    }
    engine.check_custom_id(id).map_err(invalid)?;
    if !seen.insert(id.to_owned()) {
        return Err(invalid("it is used by more than one item".to_owned()));
    }
    Ok(())
}

/// The lines of a job being built, and what the job keeps of them.
#[derive(Default)]
struct Pending {
    model: Option<String>,
    items: ItemIds,
    lines: Vec<BatchLine>,
    contexts: BTreeMap<String, serde_json::Value>,
}

impl Pending {
    fn add(
        &mut self,
        id: String,
        model: String,
        context: Option<serde_json::Value>,
        body: serde_json::Value,
    ) -> Result<()> {
        match &self.model {
            None => self.model = Some(model),
            Some(first) if *first != model => {
                return Err(Error::Batch(BatchError::MixedModels {
                    first: first.clone(),
                    other: model,
                    id,
                }));
            }
            Some(_) => {}
        }
        self.items.push(&id)?;
        if let Some(context) = context {
            self.contexts.insert(id.clone(), context);
        }
        self.lines.push(BatchLine::new(id, body));
        Ok(())
    }

    async fn submit(
        self,
        engine: &dyn BatchEngine,
        provider: &str,
        mode: crate::mode::Mode,
        response: JobResponse,
        round: u32,
    ) -> Result<BatchJob> {
        let model = self.model.unwrap_or_default();
        let inputs = if engine.returns_inputs() {
            None
        } else {
            let mut kept = Vec::with_capacity(self.lines.len());
            for line in &self.lines {
                let text = serde_json::to_string(&line.body)
                    .map_err(|e| Error::config(format!("a body cannot be kept: {e}")))?;
                kept.push(
                    RawValue::from_string(text)
                        .map_err(|e| Error::config(format!("a body cannot be kept: {e}")))?,
                );
            }
            Some(kept)
        };
        let batch_ids = engine.submit(&model, mode, self.lines).await?;
        Ok(BatchJob {
            format: JOB_FORMAT,
            provider: provider.to_owned(),
            endpoint: engine.endpoint(),
            batch_ids,
            mode,
            model,
            response,
            round,
            created_at: unix_now(),
            items: self.items,
            contexts: self.contexts,
            inputs,
            status: None,
        })
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
