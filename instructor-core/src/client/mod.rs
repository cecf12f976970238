//! [`Client`]: typed `create` over any [`Provider`], with reasking on parse and
//! validation failures.
//!
//! The path of a call, one file per step:
//! - [`request`]: what the caller asks ([`Request`]);
//! - [`prompt`]: the messages templated with the request's context, and the mode's
//!   schema prompt injected (JSON modes);
//! - the provider shapes the body per mode and dialect and sends it, with transport
//!   retries (`instructor-providers`);
//! - [`answer`]: the answer read out of the completion per mode, parsed and validated;
//! - [`reask`]: the messages appended when it was rejected;
//! - [`call`]: the loop tying these together: attempts, reasks, the summed usage;
//! - [`stream`]: the same for streamed answers (partial snapshots, iterable items);
//! - [`hooks`]: observers of each stage.

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::many::{Many, TransportGate};
use crate::mode::Mode;
use crate::provider::{Provider, ProviderRequest, ResponseSpec};
use crate::{Instruct, ResponseModel};
use call::CallSummary;
use hooks::{HookEvent, HookHandle, HookPayload, Hooks};
use prompt::{inject_schema_prompt, render_messages};
use request::Request;

pub(crate) mod answer;
pub(crate) mod call;
pub(crate) mod hooks;
pub(crate) mod json_path;
pub(crate) mod lenient;
pub(crate) mod prompt;
pub(crate) mod reask;
pub(crate) mod request;
pub(crate) mod stream;

/// A structured-output client over one provider. Cheap to clone (clones share hooks).
#[derive(Clone, Debug)]
pub struct Client {
    provider: Arc<dyn Provider>,
    mode: Mode,
    mode_error: Option<String>,
    model: Option<String>,
    hooks: Arc<Hooks>,
    /// Lenient parsing for requests that do not say (see [`Request::lenient`]).
    lenient: bool,
    /// Paces and pauses HTTP attempts (set per call by `create_many`).
    pub(crate) gate: Option<TransportGate>,
}

impl Client {
    /// A client over `provider`, in the provider's default mode.
    pub fn new(provider: impl Provider + 'static) -> Self {
        Self::from_arc(Arc::new(provider))
    }

    /// A client over a shared provider.
    pub fn from_arc(provider: Arc<dyn Provider>) -> Self {
        let mode = provider.default_mode();
        Self {
            provider,
            mode,
            mode_error: None,
            model: None,
            hooks: Arc::default(),
            lenient: false,
            gate: None,
        }
    }

    /// Sets the mode. A mode the provider cannot serve makes every call fail at once
    /// with [`Error::Config`] (use [`Client::try_with_mode`] to fail here instead).
    #[must_use]
    pub fn with_mode(mut self, mode: Mode) -> Self {
        match self.provider.resolve_mode(mode) {
            Some(resolved) => {
                self.mode = resolved;
                self.mode_error = None;
            }
            None => {
                let supported: Vec<String> = self
                    .provider
                    .supported_modes()
                    .iter()
                    .map(|m| format!("{m:?}"))
                    .collect();
                self.mode = mode;
                self.mode_error = Some(format!(
                    "mode `{mode:?}` is not supported by the {} provider; supported modes: {}",
                    self.provider.name(),
                    supported.join(", ")
                ));
            }
        }
        self
    }

    /// Sets the mode, failing now if the provider cannot serve it.
    pub fn try_with_mode(self, mode: Mode) -> Result<Self> {
        let client = self.with_mode(mode);
        match &client.mode_error {
            Some(message) => Err(Error::config(message.clone())),
            None => Ok(client),
        }
    }

    /// Sets the default model (used by `extract` and by requests with no model).
    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Lenient parsing for every request that does not set
    /// [`Request::lenient`] itself: almost-JSON (trailing commas, comments, single
    /// quotes, unquoted keys, raw control characters) and numbers or booleans sent as
    /// strings are accepted. Off by default.
    #[must_use]
    pub fn with_lenient(mut self, on: bool) -> Self {
        self.lenient = on;
        self
    }

    /// Whether requests are parsed leniently unless they say otherwise.
    pub fn is_lenient(&self) -> bool {
        self.lenient
    }

    /// The lenient reading of `request`'s answers for `schema`, when it is on.
    pub(crate) fn lenient_for(
        &self,
        request: &Request,
        schema: &crate::schema::Schema,
    ) -> Option<lenient::Lenient> {
        lenient::Lenient::new(request.lenient.unwrap_or(self.lenient), schema)
    }

    /// The mode in use.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The default model, if set.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The provider.
    pub fn provider(&self) -> &dyn Provider {
        self.provider.as_ref()
    }

    /// Registers a hook for `event`; returns a handle for [`Client::off`].
    pub fn on(
        &self,
        event: HookEvent,
        hook: impl Fn(&HookPayload<'_>) + Send + Sync + 'static,
    ) -> HookHandle {
        self.hooks.on(event, Arc::new(hook))
    }

    /// Removes a hook; returns whether it was registered.
    pub fn off(&self, handle: HookHandle) -> bool {
        self.hooks.off(handle)
    }

    /// Removes every hook.
    pub fn clear(&self) {
        self.hooks.clear();
    }

    /// One validated `T`, reasking on parse or validation failures.
    pub async fn create<T: Instruct + DeserializeOwned>(&self, request: Request) -> Result<T> {
        self.create_with_completion(request)
            .await
            .map(|(value, _)| value)
    }

    /// One validated `T` and the completion (usage summed over every attempt, raw JSON).
    pub async fn create_with_completion<T: Instruct + DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<(T, CallSummary)> {
        let model = ResponseModel::<T>::for_request(&request)?;
        let spec = model.spec().clone();
        let name = spec.name.clone();
        let lenient = self.lenient_for(&request, &spec.schema);
        self.run(request, spec, move |mode, completion, ctx| {
            let json = answer::answer_json(mode, completion, &name)?;
            match &lenient {
                Some(lenient) => model.parse(&lenient.repair(json), ctx),
                None => model.parse(json, ctx),
            }
        })
        .await
    }

    /// Several validated `T` from parallel tool calls (`Mode::ParallelTools`).
    pub async fn create_parallel<T: Instruct + DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Vec<T>> {
        let model = ResponseModel::<T>::for_request(&request)?;
        let spec = model.spec().clone();
        let name = spec.name.clone();
        let client = self.clone().with_mode(Mode::ParallelTools);
        let lenient = self.lenient_for(&request, &spec.schema);
        client
            .run(request, spec, move |_, completion, ctx| {
                answer::parse_calls(completion, &name, |json| match &lenient {
                    Some(lenient) => model.parse(&lenient.repair(json), ctx),
                    None => model.parse(json, ctx),
                })
            })
            .await
            .map(|(items, _)| items)
    }

    /// The provider request for `request` and `T`, as it would be sent on the first
    /// attempt (templated, with the mode's schema prompt).
    /// A request carrying a [`DynamicModel`](crate::DynamicModel) takes its schema
    /// from the model (with `T = serde_json::Value`).
    pub fn prepare<T: Instruct>(&self, request: &Request) -> Result<ProviderRequest> {
        let model = ResponseModel::<T>::for_request(request)?;
        self.prepare_with(request, model.spec().clone(), false)
    }

    /// The provider request of the first attempt: the request's model (or the
    /// client's), its messages templated with its context, and the mode's schema
    /// prompt. Fails before anything is sent on a mode the provider cannot serve or
    /// an input a setter could not use.
    pub(crate) fn prepare_with(
        &self,
        request: &Request,
        response: ResponseSpec,
        stream: bool,
    ) -> Result<ProviderRequest> {
        if let Some(message) = &self.mode_error {
            return Err(Error::config(message.clone()));
        }
        if let Some(detail) = request.invalid_input() {
            return Err(Error::Config(detail.clone()));
        }
        let model = if request.model.is_empty() {
            self.model.clone().ok_or_else(|| {
                Error::config(
                    "no model: set one on the request or with `Client::with_model`".to_owned(),
                )
            })?
        } else {
            request.model.clone()
        };
        let mut messages = request.messages.clone();
        if let Some(context) = &request.context {
            render_messages(&mut messages, context)?;
        }
        inject_schema_prompt(self.mode, &mut messages, &response.described_schema());
        Ok(ProviderRequest {
            model,
            mode: self.mode,
            messages,
            response,
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            extra_body: request.extra_body.clone(),
            headers: request.headers.clone(),
            timeout: request.timeout,
            stream,
            gate: self.gate.clone(),
        })
    }
}

/// `User::extract(&client, "text")`: the one-liner.
pub trait Extract: Instruct + DeserializeOwned + Send {
    /// Extracts `Self` from `text` with the client's default model.
    fn extract(
        client: &Client,
        text: impl Into<String>,
    ) -> impl Future<Output = Result<Self>> + Send {
        let request = Request::default().user(text);
        let client = client.clone();
        async move { client.create::<Self>(request).await }
    }

    /// Extracts `Self` from each of `texts`, several calls at a time (see
    /// [`Client::create_many`]): `User::extract_many(&client, texts).await` is every
    /// result in input order; set `.concurrency(n)`, `.rate_limit(..)` or
    /// `.on_progress(..)` first, or take `.stream()`.
    fn extract_many<I>(client: &Client, texts: I) -> Many<Self>
    where
        Self: 'static,
        I: IntoIterator<IntoIter: Send + 'static>,
        I::Item: Into<String>,
    {
        client.create_many::<Self>(texts.into_iter().map(|text| Request::default().user(text)))
    }
}

impl<T: Instruct + DeserializeOwned + Send> Extract for T {}
