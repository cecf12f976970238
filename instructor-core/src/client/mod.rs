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

use crate::completion::Usage;
use crate::error::{AttemptError, Error, Result};
use crate::many::{Many, TransportGate};
use crate::media::{MediaLimits, UrlFetchPolicy};
use crate::mode::Mode;
use crate::provider::{Provider, ProviderRequest, ResponseSpec};
use crate::{Instruct, ResponseModel};
use call::CallSummary;
use hooks::{HookEvent, HookHandle, HookPayload, Hooks};
use prompt::{inject_schema_prompt, render_messages};
use reask::ReaskHistory;
use request::Request;

pub(crate) mod answer;
pub(crate) mod call;
pub(crate) mod hooks;
pub(crate) mod json_path;
pub(crate) mod lenient;
pub(crate) mod prompt;
pub(crate) mod reask;
pub(crate) mod request;
pub(crate) mod route;
pub(crate) mod stream;

/// A structured-output client over one provider. Cheap to clone (clones share hooks).
#[derive(Clone, Debug)]
pub struct Client {
    provider: Arc<dyn Provider>,
    mode: Mode,
    mode_error: Option<String>,
    model: Option<String>,
    media_limits: MediaLimits,
    /// When URL parts the provider cannot take as URLs are downloaded.
    url_fetch: Arc<UrlFetchPolicy>,
    hooks: Arc<Hooks>,
    /// What reasks keep of earlier attempts, unless a request says otherwise.
    reask_history: ReaskHistory,
    /// Limits shared by every call of this client and its clones.
    meters: crate::limits::Meters,
    /// Answers of earlier identical calls.
    pub(crate) cache: Option<crate::cache::ResponseCache>,
    /// Other clients this one routes calls to (fallback, round robin).
    route: Option<Arc<route::Route>>,
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
            media_limits: MediaLimits::default(),
            url_fetch: Arc::default(),
            hooks: Arc::default(),
            reask_history: ReaskHistory::default(),
            meters: crate::limits::Meters::default(),
            cache: None,
            route: None,
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

    /// Limits shared by every call of this client and its clones (see
    /// [`UsageLimits`](crate::UsageLimits)); calling it again adds another set.
    pub fn with_usage_limits(mut self, limits: crate::limits::UsageLimits) -> Self {
        self.meters.push(crate::limits::UsageMeter::new(limits));
        self
    }

    /// The clients this one routes to, if any.
    pub(crate) fn route(&self) -> Option<&route::Route> {
        self.route.as_deref()
    }

    /// Answers identical calls from `cache` (see [`ResponseCache`](crate::ResponseCache)):
    /// `create`, `create_with_completion`, `create_parallel` and `create_many`;
    /// streaming calls go to the provider. A request opts out with
    /// [`Request::no_cache`].
    pub fn with_cache(mut self, cache: crate::cache::ResponseCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// What reasks keep of earlier failed attempts (default [`ReaskHistory::Last`]).
    pub fn with_reask_history(mut self, history: ReaskHistory) -> Self {
        self.reask_history = history;
        self
    }

    /// Lenient parsing for every request that does not set
    /// [`Request::lenient`] itself: almost-JSON (trailing commas, comments, single
    /// quotes, unquoted keys, raw control characters) and numbers or booleans sent as
    /// strings are accepted. Off by default. Batch results read through this client
    /// ([`Batches::results`](crate::Batches::results)) follow it too.
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

    /// Sets the size caps on media parts for every request that sets none (see
    /// [`MediaLimits`]; the defaults are 20 MiB per part, 32 MiB per request).
    #[must_use]
    pub fn with_media_limits(mut self, limits: MediaLimits) -> Self {
        self.media_limits = limits;
        self
    }

    /// Sets when media URLs are downloaded by this crate: only for parts the
    /// provider takes inline only (OpenAI chat audio and PDFs, say), never from a
    /// non-public address (see [`UrlFetchPolicy`]; on by default). Use
    /// [`UrlFetchPolicy::disabled`] to refuse such parts instead, or
    /// [`UrlFetchPolicy::allow_host`] to trust a server you run.
    #[must_use]
    pub fn with_url_fetch(mut self, policy: UrlFetchPolicy) -> Self {
        self.url_fetch = Arc::new(policy);
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

    /// Registers `f` for the exact request body of each attempt, before it is sent.
    pub fn on_kwargs(&self, f: impl Fn(&serde_json::Value) + Send + Sync + 'static) -> HookHandle {
        self.register(hooks::typed::kwargs(f))
    }

    /// Registers `f` for the provider's raw response of each attempt.
    pub fn on_response(
        &self,
        f: impl Fn(&serde_json::Value) + Send + Sync + 'static,
    ) -> HookHandle {
        self.register(hooks::typed::response(f))
    }

    /// Registers `f` for each failed provider call (HTTP, connection, timeout).
    pub fn on_error(&self, f: impl Fn(&Error) + Send + Sync + 'static) -> HookHandle {
        self.register(hooks::typed::error(f))
    }

    /// Registers `f` for each answer that failed parsing or validation.
    pub fn on_parse_error(&self, f: impl Fn(&AttemptError) + Send + Sync + 'static) -> HookHandle {
        self.register(hooks::typed::parse_error(f))
    }

    /// Registers `f` for the failure of a call's last attempt.
    pub fn on_last_attempt(&self, f: impl Fn(&AttemptError) + Send + Sync + 'static) -> HookHandle {
        self.register(hooks::typed::last_attempt(f))
    }

    /// Registers `f` for each attempt's usage.
    pub fn on_usage(&self, f: impl Fn(&Usage) + Send + Sync + 'static) -> HookHandle {
        self.register(hooks::typed::usage(f))
    }

    /// Removes every hook registered for `event`.
    pub fn clear_event(&self, event: HookEvent) {
        self.hooks.clear_event(event);
    }

    fn register(&self, (event, hook): (HookEvent, hooks::HookFn)) -> HookHandle {
        self.hooks.on(event, hook)
    }

    /// Calls the client's hooks, then the call's own, for `payload`.
    pub(crate) fn emit(&self, call: &ProviderRequest, payload: &HookPayload<'_>) {
        self.hooks.emit(payload);
        call.hooks.emit(payload);
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
        match &self.route {
            Some(route) => {
                let call = |client: Client, request| async move {
                    client.create_direct::<T>(request).await
                };
                route.run(request, call).await
            }
            None => self.create_direct(request).await,
        }
    }

    /// `create_with_completion` on this client's own provider (never routed).
    async fn create_direct<T: Instruct + DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<(T, CallSummary)> {
        let model = ResponseModel::<T>::for_request(&request)?;
        let spec = model.spec().clone();
        let name = spec.name.clone();
        let lenient = self.lenient_for(&request, &spec.schema);
        self.run(request, spec, Vec::new(), move |mode, completion, ctx| {
            let json = answer::answer_json(mode, completion, &name)?;
            match &lenient {
                Some(lenient) => model.parse(&lenient.repair(json), ctx),
                None => model.parse(json, ctx),
            }
        })
        .await
    }

    /// Several validated `T` from parallel tool calls (`Mode::ParallelTools`).
    ///
    /// When `T` is a union of models (an enum whose every variant wraps one model,
    /// see [`Instruct::union_members`]), one tool is offered per variant, each the
    /// variant's model's own tool, and each call is read back into the variant whose
    /// tool it names (Python's `Iterable[Weather | Search]`). A call to a tool that
    /// was not offered is reasked, never dropped.
    pub async fn create_parallel<T: Instruct + DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Vec<T>> {
        match &self.route {
            Some(route) => {
                let call = |client: Client, request| async move {
                    let items = client.parallel_direct::<T>(request).await?;
                    Ok((items, CallSummary::bare()))
                };
                route.run(request, call).await.map(|(items, _)| items)
            }
            None => self.parallel_direct(request).await,
        }
    }

    /// `create_parallel` on this client's own provider (never routed).
    async fn parallel_direct<T: Instruct + DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Vec<T>> {
        let model = ResponseModel::<T>::for_request(&request)?;
        let spec = model.spec().clone();
        let client = self.clone().with_mode(Mode::ParallelTools);
        let lenient = self.lenient_for(&request, &spec.schema);
        if let Some((members, tools)) = union_of::<T>(&request)? {
            return client
                .run(request, spec, tools, move |_, completion, ctx| {
                    answer::parse_union_calls(completion, &members, ctx)
                })
                .await
                .map(|(items, _)| items);
        }
        let name = spec.name.clone();
        client
            .run(request, spec, Vec::new(), move |_, completion, ctx| {
                answer::parse_calls(completion, &name, |json| match &lenient {
                    Some(lenient) => model.parse(&lenient.repair(json), ctx),
                    None => model.parse(json, ctx),
                })
            })
            .await
            .map(|(items, _)| items)
    }

    /// The provider request for `request` and `T`, as it would be sent on the first
    /// attempt (templated, with the mode's schema prompt). Media URLs stay as given:
    /// a part a call would download first (see [`UrlFetchPolicy`]) is still a URL
    /// here, which [`Provider::build_body`] refuses.
    /// A request carrying a [`DynamicModel`](crate::DynamicModel) takes its schema
    /// from the model (with `T = serde_json::Value`).
    /// In `Mode::ParallelTools`, a union of models (see [`Instruct::union_members`])
    /// is offered as one tool per member, as [`Client::create_parallel`] sends it.
    pub fn prepare<T: Instruct>(&self, request: &Request) -> Result<ProviderRequest> {
        let model = ResponseModel::<T>::for_request(request)?;
        let mut prepared = self.prepare_with(request, model.spec().clone(), false)?;
        if self.mode == Mode::ParallelTools
            && let Some((_, tools)) = union_of::<T>(request)?
        {
            prepared.tools = tools;
        }
        Ok(prepared)
    }

    /// [`Client::prepare_with`], then every media URL the provider cannot take as a
    /// URL downloaded (see [`UrlFetchPolicy`]): what a call starts with, once, before
    /// its first attempt (never again on transport retries or reasks).
    pub(crate) async fn prepare_call(
        &self,
        request: &Request,
        response: ResponseSpec,
        stream: bool,
    ) -> Result<ProviderRequest> {
        let mut call = self.prepare_with(request, response, stream)?;
        let limits = request.media_limits.unwrap_or(self.media_limits);
        crate::media::inline_urls(
            self.provider.as_ref(),
            self.mode,
            &mut call.messages,
            &self.url_fetch,
            &limits,
        )
        .await?;
        Ok(call)
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
        if stream && !request.checks().is_empty() {
            // Refused, never skipped: a check that silently did not run would pass.
            return Err(Error::config(
                "answer checks (`Request::check`, e.g. an llm_validator) run in `create`, not in streaming calls"
                    .to_owned(),
            ));
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
        let limits = request.media_limits.unwrap_or(self.media_limits);
        crate::media::check_messages(&request.messages, &limits)?;
        let mut messages = request.messages.clone();
        if let Some(context) = &request.context {
            render_messages(&mut messages, context)?;
        }
        inject_schema_prompt(self.mode, &mut messages, &response.described_schema());
        let messages_len = messages.len();
        let mut meters = request.meters().clone();
        meters.extend(&self.meters);
        Ok(ProviderRequest {
            model,
            mode: self.mode,
            messages,
            response,
            tools: Vec::new(),
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            extra_body: request.extra_body.clone(),
            headers: request.headers.clone(),
            timeout: request.timeout,
            stream,
            gate: match (&self.gate, meters.is_empty()) {
                (Some(gate), _) => Some(gate.clone().with_meters(meters.clone())),
                (None, false) => Some(TransportGate::for_limits(meters.clone())),
                (None, true) => None,
            },
            hooks: request.hooks().clone(),
            cache: request.cache.clone(),
            meters,
            reask: reask::ReaskPolicy {
                history: request.reask_history.unwrap_or(self.reask_history),
                base: messages_len,
            },
        })
    }
}

/// A union's members and the tools they are offered as.
type Union<T> = (Vec<crate::UnionMember<T>>, Vec<ResponseSpec>);

/// The members of `T` when it is a union of models (and the request carries no
/// runtime model), with the tools they are offered as.
fn union_of<T: Instruct>(request: &Request) -> Result<Option<Union<T>>> {
    if request.response_model.is_some() {
        return Ok(None);
    }
    let Some(members) = T::union_members() else {
        return Ok(None);
    };
    let tools = answer::union_tools::<T>(&members)?;
    Ok(Some((members, tools)))
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
