//! [`Client`]: typed `create` over any [`Provider`], with reasking on parse and
//! validation failures. Transport retries live in the provider; this loop only
//! reasks, and never touches the caller's [`Request`].

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::completion::{CallCompletion, Completion, FinishReason, Usage};
use crate::error::{AttemptError, Error, FailedAttempt, Result, RetriesExhausted};
use crate::hooks::{HookEvent, HookHandle, HookPayload, Hooks};
use crate::many::{Many, TransportGate};
use crate::mode::Mode;
use crate::provider::{Provider, ProviderRequest, ResponseSpec};
use crate::request::{DEFAULT_MAX_RETRIES, Request};
use crate::validate::ValidationContext;
use crate::{Instruct, ResponseModel, reply, response, shaping, template};

/// A structured-output client over one provider. Cheap to clone (clones share hooks).
#[derive(Clone, Debug)]
pub struct Client {
    provider: Arc<dyn Provider>,
    mode: Mode,
    mode_error: Option<String>,
    model: Option<String>,
    hooks: Arc<Hooks>,
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
    ) -> Result<(T, CallCompletion)> {
        let model = ResponseModel::<T>::for_request(&request)?;
        let spec = model.spec().clone();
        let name = spec.name.clone();
        self.run(request, spec, move |mode, completion, ctx| {
            let json = reply::answer_json(mode, completion, &name)?;
            model.parse(json, ctx)
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
        client
            .run(request, spec, move |_, completion, ctx| {
                reply::parse_calls(completion, &name, |json| model.parse(json, ctx))
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
            template::render_messages(&mut messages, context)?;
        }
        shaping::inject_schema_prompt(self.mode, &mut messages, &response.schema);
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

    /// The reask loop shared by every entry point.
    async fn run<V>(
        &self,
        request: Request,
        response: ResponseSpec,
        parse: impl Fn(Mode, &Completion, &ValidationContext<'_>) -> Result<V, AttemptError>,
    ) -> Result<(V, CallCompletion)> {
        let mut call = self.prepare_with(&request, response, false)?;
        let max_retries = request.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        let context = ValidationContext::from_option(request.context.as_ref());
        let span = tracing::info_span!(
            "instructor.create",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = self.provider.name(),
            gen_ai.request.model = %call.model,
            instructor.mode = %self.mode,
            instructor.max_retries = max_retries,
            gen_ai.usage.input_tokens = tracing::field::Empty,
            gen_ai.usage.output_tokens = tracing::field::Empty,
            instructor.attempts = tracing::field::Empty,
        );
        let mut total = Usage::default();
        let mut failed = Vec::new();
        for attempt in 1..=max_retries + 1 {
            let attempt_span = tracing::info_span!(parent: &span, "instructor.attempt", instructor.attempt = attempt);
            let completion = self
                .attempt(&call, attempt)
                .instrument(attempt_span)
                .await?;
            total += completion.usage;
            span.record("gen_ai.usage.input_tokens", total.prompt_tokens);
            span.record("gen_ai.usage.output_tokens", total.completion_tokens);
            span.record("instructor.attempts", attempt);
            self.hooks.emit(&HookPayload::Usage {
                usage: &completion.usage,
                total: &total,
            });
            check_finish(&completion, total)?;
            match parse(self.mode, &completion, &context) {
                Ok(value) => {
                    let done = CallCompletion {
                        last: completion,
                        total_usage: total,
                        attempts: attempt,
                    };
                    return Ok((value, done));
                }
                Err(error) => {
                    let will_retry = attempt <= max_retries;
                    tracing::debug!(parent: &span, attempt, %error, "attempt failed");
                    self.emit_failure(&error, attempt, will_retry);
                    call.messages
                        .extend(reply::reask_messages(self.mode, &completion, &error));
                    failed.push(FailedAttempt {
                        number: attempt,
                        completion,
                        error,
                    });
                    if let Some(budget) = request.token_budget
                        && total.total_tokens >= budget
                        && will_retry
                    {
                        return Err(Error::TokenBudgetExceeded {
                            budget,
                            used: total.total_tokens,
                        });
                    }
                }
            }
        }
        Err(Error::RetriesExhausted(Box::new(RetriesExhausted {
            attempts: failed,
            usage: total,
        })))
    }

    /// Tells the hooks an attempt's answer was rejected (and whether it was the last).
    pub(crate) fn emit_failure(&self, error: &AttemptError, attempt: u32, will_retry: bool) {
        self.hooks.emit(&HookPayload::ParseError {
            error,
            attempt,
            will_retry,
        });
        if !will_retry {
            self.hooks
                .emit(&HookPayload::CompletionLastAttempt { error, attempt });
        }
    }

    pub(crate) fn emit_kwargs(&self, body: &serde_json::Value, attempt: u32) {
        self.hooks
            .emit(&HookPayload::CompletionKwargs { body, attempt });
    }

    async fn attempt(&self, call: &ProviderRequest, attempt: u32) -> Result<Completion> {
        let body = self.provider.build_body(call)?;
        self.hooks.emit(&HookPayload::CompletionKwargs {
            body: &body,
            attempt,
        });
        match self.provider.send(call, &body).await {
            Ok(completion) => {
                self.hooks.emit(&HookPayload::CompletionResponse {
                    raw: &completion.raw,
                    attempt,
                });
                Ok(completion)
            }
            Err(error) => {
                self.hooks.emit(&HookPayload::CompletionError {
                    error: &error,
                    attempt,
                });
                Err(error)
            }
        }
    }
}

/// Stops at once on a truncated, filtered or refused answer: a reask would not help.
pub(crate) fn check_finish(completion: &Completion, usage: Usage) -> Result<()> {
    if let Some(refusal) = &completion.refusal {
        return Err(Error::Refusal(refusal.clone()));
    }
    match completion.finish_reason {
        Some(FinishReason::Length) => {
            let partial = completion
                .tool_calls
                .first()
                .map(|c| c.arguments.clone())
                .or_else(|| completion.text.clone())
                .unwrap_or_default();
            Err(Error::Truncated { partial, usage })
        }
        Some(FinishReason::ContentFilter) => Err(Error::ContentFiltered { usage }),
        _ => Ok(()),
    }
}

/// The response model as sent: name, description and object schema.
pub(crate) fn response_spec<T: Instruct>() -> ResponseSpec {
    let tool = T::tool();
    ResponseSpec {
        name: response::response_name::<T>(),
        description: tool.description.clone(),
        schema: tool.parameters.clone(),
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
