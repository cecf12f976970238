//! Streaming: `create_partial` yields a typed partial snapshot per delta that changed
//! something; `create_iterable` yields each item, validated, as soon as it closes.
//! Both parse incrementally (each byte once) with [`PartialJson`].

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::check_finish;
use crate::completion::{Completion, FinishReason, Usage};
use crate::error::{
    AttemptError, CallFailure, Error, ErrorDetail, FailedAttempt, Result, RetriesExhausted,
};
use crate::message::ToolCall;
use crate::mode::Mode;
use crate::partial::PartialJson;
use crate::provider::{EventStream, ProviderRequest, ResponseSpec, StreamEvent};
use crate::response::WRAPPER_FIELD;
use crate::schema::Schema;
use crate::validate::ValidationContext;
use crate::{Client, Instruct, ResponseModel, reply};

/// The array property of the iterable wrapper (as Python instructor's `tasks`).
pub(crate) const ITERABLE_FIELD: &str = "tasks";

/// The most tool calls one streamed answer may hold: a call index from the wire at
/// or beyond it is an error, not a vector of that length.
const MAX_TOOL_CALLS: usize = 1024;

/// What one streamed attempt received, kept for reasks and errors.
#[derive(Debug, Default)]
struct Received {
    text: String,
    calls: Vec<ToolCall>,
    refusal: String,
    finish: Option<FinishReason>,
    usage: Usage,
    /// Bytes of text, refusal and tool call names and arguments so far.
    bytes: usize,
}

impl Received {
    /// Records an event; a tool call index beyond [`MAX_TOOL_CALLS`], or an answer
    /// beyond the parser's size limit, is an error.
    fn apply(&mut self, event: &StreamEvent) -> Result<()> {
        let size = match event {
            StreamEvent::TextDelta(t) | StreamEvent::RefusalDelta(t) => t.len(),
            StreamEvent::ToolCallDelta {
                name, arguments, ..
            } => arguments
                .len()
                .saturating_add(name.as_ref().map_or(0, String::len)),
            _ => 0,
        };
        self.bytes = self.bytes.saturating_add(size);
        let limit = crate::partial::Limits::default().max_bytes;
        if self.bytes > limit {
            return Err(Error::stream(format!(
                "the streamed answer exceeds {limit} bytes"
            )));
        }
        match event {
            StreamEvent::TextDelta(t) => self.text.push_str(t),
            StreamEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            } => {
                let call = self.call_mut(*index)?;
                if let Some(id) = id {
                    call.id.clone_from(id);
                }
                if let Some(name) = name {
                    call.name.push_str(name);
                }
                call.arguments.push_str(arguments);
            }
            StreamEvent::ToolCallSignature { index, signature } => {
                self.call_mut(*index)?.signature = Some(signature.clone());
            }
            StreamEvent::RefusalDelta(r) => self.refusal.push_str(r),
            StreamEvent::Usage(u) => self.usage += *u,
            StreamEvent::Finish(f) => self.finish = Some(f.clone()),
            _ => {}
        }
        Ok(())
    }

    /// The call at `index`, creating it (and any before it) on first mention.
    fn call_mut(&mut self, index: usize) -> Result<&mut ToolCall> {
        check_call_index(index)?;
        while self.calls.len() <= index {
            let n = self.calls.len();
            self.calls.push(ToolCall::new(format!("call_{n}"), "", ""));
        }
        Ok(&mut self.calls[index])
    }

    /// The attempt's completion (what was received is moved, not copied).
    fn into_completion(self) -> Completion {
        let mut c = Completion::from_raw(Value::Null);
        c.text = (!self.text.is_empty()).then_some(self.text);
        c.tool_calls = self.calls;
        c.refusal = (!self.refusal.is_empty()).then_some(self.refusal);
        c.finish_reason = self.finish;
        c.usage = self.usage;
        c
    }
}

/// One streamed attempt: its events and its parsers.
struct Attempt {
    events: EventStream,
    received: Received,
    parser: PartialJson,
    /// ParallelTools: one parser per tool call index.
    call_parsers: Vec<PartialJson>,
    yielded_calls: usize,
    /// create_partial: how many top-level fields have been validated.
    checked_fields: usize,
}

impl Attempt {
    /// Ends the attempt: its completion, with what was received moved out and the
    /// parsers' state freed.
    fn end(&mut self) -> Completion {
        self.parser = PartialJson::lenient();
        self.call_parsers = Vec::new();
        std::mem::take(&mut self.received).into_completion()
    }
}

type BoxStream<I> = Pin<Box<dyn Stream<Item = I> + Send>>;

/// A stream of partial snapshots of `T`, then (via [`PartialStream::into_final`]) the
/// validated `T`.
pub struct PartialStream<T: Instruct> {
    inner: BoxStream<Result<T::Partial>>,
    last_final: std::sync::Arc<std::sync::Mutex<Final<T>>>,
}

/// What a finished partial stream leaves: the value (until taken) and the usage.
struct Final<T> {
    value: Option<T>,
    usage: Option<Usage>,
}

impl<T: Instruct> std::fmt::Debug for PartialStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PartialStream")
    }
}

impl<T: Instruct> Stream for PartialStream<T> {
    type Item = Result<T::Partial>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T: Instruct> PartialStream<T> {
    /// Drains the stream and returns the final validated value (an error if the last
    /// attempt failed).
    pub async fn into_final(mut self) -> Result<T> {
        while let Some(item) = self.inner.next().await {
            item?;
        }
        self.take_final()
            .ok_or_else(|| Error::stream("the stream ended without a final value".to_owned()))
    }

    /// The final validated value, once the stream has ended successfully.
    pub fn take_final(&mut self) -> Option<T> {
        self.last_final.lock().ok()?.value.take()
    }

    /// Usage summed over every attempt, once the stream has ended successfully.
    pub fn usage(&self) -> Option<Usage> {
        self.last_final.lock().ok()?.usage
    }
}

/// A stream of validated items; an invalid item is an `Err` and the stream goes on.
pub struct ItemStream<T> {
    inner: BoxStream<Result<T>>,
}

impl<T> std::fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ItemStream")
    }
}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The wrapper `{"tasks": [item, ...]}` requested for iterables, around the item
/// schema `item` (with its `$defs`) of the model named `item_name`.
pub(crate) fn iterable_spec_of(item: Schema, item_name: &str) -> ResponseSpec {
    let mut item = item;
    let defs = item.remove("$defs");
    let mut tasks = Schema::of_type("array");
    tasks.insert("items", item.into_value());
    tasks.insert(
        "description",
        format!("Correctly segmented list of `{item_name}` tasks"),
    );
    let mut properties = Map::new();
    properties.insert(ITERABLE_FIELD.to_owned(), tasks.into_value());
    let mut schema = Schema::of_type("object");
    schema.insert("properties", Value::Object(properties));
    schema.insert("required", vec![ITERABLE_FIELD]);
    if let Some(defs) = defs {
        schema.insert("$defs", defs);
    }
    let name = crate::schema::tool_name(&format!("Iterable{item_name}"));
    ResponseSpec {
        description: format!("Correct segmentation of `{item_name}` tasks"),
        name,
        schema,
    }
}

impl Client {
    async fn open_attempt(
        &self,
        call: &ProviderRequest,
        attempt: u32,
        parser: PartialJson,
    ) -> Result<Attempt> {
        let body = self.provider().build_body(call)?;
        self.emit_kwargs(&body, attempt);
        let events = self.provider().send_stream(call, &body).await?;
        Ok(Attempt {
            events,
            received: Received::default(),
            parser,
            call_parsers: Vec::new(),
            yielded_calls: 0,
            checked_fields: 0,
        })
    }

    /// A stream of partial snapshots of `T` (one per delta that changed something); at
    /// the end the answer is validated and, on failure with retries left, reasked (the
    /// new attempt streams on). Get the validated `T` with [`PartialStream::into_final`].
    pub async fn create_partial<T: Instruct + DeserializeOwned + Send>(
        &self,
        request: crate::Request,
    ) -> Result<PartialStream<T>> {
        let model = ResponseModel::<T>::for_request(&request)?;
        let name = model.spec().name.clone();
        let call = self.prepare_with(&request, model.spec().clone(), true)?;
        let first = self.open_attempt(&call, 1, partial_parser()).await?;
        let shared = std::sync::Arc::new(std::sync::Mutex::new(Final {
            value: None,
            usage: None,
        }));
        let state = PartialState::<T> {
            client: self.clone(),
            call,
            name,
            attempt: first,
            number: 1,
            max_retries: request.max_retries.unwrap_or(crate::DEFAULT_MAX_RETRIES),
            context: request.context.clone(),
            last: None,
            total: Usage::default(),
            failed: Vec::new(),
            shared: shared.clone(),
            done: false,
            wrapped: model.is_wrapped(),
            model,
        };
        let inner = futures_util::stream::unfold(state, |mut s| async move {
            s.next().await.map(|item| (item, s))
        });
        Ok(PartialStream {
            inner: Box::pin(inner),
            last_final: shared,
        })
    }

    /// A stream of validated items of `T`, each yielded as soon as its closing brace
    /// arrives (Tools/JSON modes: a `{"tasks": [...]}` wrapper; ParallelTools: one
    /// tool call per item).
    ///
    /// The end of the answer is checked: one that stops before its JSON is complete
    /// (cut off mid-array, though the stream itself ended cleanly), or that holds no
    /// JSON at all (prose), ends the stream with [`Error::RetriesExhausted`] holding
    /// that attempt and the error `create` would report for the same answer. It is
    /// not reasked: the items already yielded cannot be taken back.
    pub async fn create_iterable<T: Instruct + DeserializeOwned + Send>(
        &self,
        request: crate::Request,
    ) -> Result<ItemStream<T>> {
        let parallel = self.mode() == Mode::ParallelTools;
        let model = ResponseModel::<T>::for_request(&request)?;
        let spec = if parallel {
            model.spec().clone()
        } else {
            model.iterable_spec()
        };
        let name = spec.name.clone();
        let call = self.prepare_with(&request, spec, true)?;
        let parser = if parallel {
            PartialJson::lenient()
        } else {
            PartialJson::lenient().with_item_path(&[ITERABLE_FIELD])
        };
        let first = self.open_attempt(&call, 1, parser).await?;
        let state = IterState::<T> {
            attempt: first,
            name,
            parallel,
            mode: self.mode(),
            context: request.context.clone(),
            index: 0,
            pending: std::collections::VecDeque::new(),
            done: false,
            model,
        };
        let inner = futures_util::stream::unfold(state, |mut s| async move {
            s.next().await.map(|item| (item, s))
        });
        Ok(ItemStream {
            inner: Box::pin(inner),
        })
    }
}

struct PartialState<T: Instruct> {
    client: Client,
    call: ProviderRequest,
    name: String,
    attempt: Attempt,
    number: u32,
    max_retries: u32,
    context: Option<Value>,
    /// The parser's visible version at the last snapshot yielded.
    last: Option<(u64, usize)>,
    total: Usage,
    failed: Vec<FailedAttempt>,
    shared: std::sync::Arc<std::sync::Mutex<Final<T>>>,
    done: bool,
    wrapped: bool,
    model: ResponseModel<T>,
}

impl<T: Instruct + DeserializeOwned> PartialState<T> {
    async fn next(&mut self) -> Option<Result<T::Partial>> {
        loop {
            if self.done {
                return None;
            }
            let step = match self.attempt.events.next().await {
                Some(Ok(event)) => match self.attempt.received.apply(&event) {
                    Err(e) => Err(e),
                    Ok(()) => match self.feed(&event) {
                        Ok(Some(partial)) => return Some(Ok(partial)),
                        Ok(None) => Ok(()),
                        Err(failure) => self.early_end(failure).await,
                    },
                },
                Some(Err(e)) => Err(e),
                None => self.end_of_attempt().await,
            };
            if let Err(e) = step {
                self.done = true;
                return Some(Err(e));
            }
        }
    }

    /// Feeds one event: a new snapshot if the value changed, or the failures of a
    /// top-level field that has just completed.
    fn feed(&mut self, event: &StreamEvent) -> Result<Option<T::Partial>, FieldFailure> {
        let piece = match (event, self.call.mode.uses_tools()) {
            (StreamEvent::TextDelta(t), false) => t.as_str(),
            (
                StreamEvent::ToolCallDelta {
                    index: 0,
                    arguments,
                    ..
                },
                true,
            ) => arguments.as_str(),
            _ => return Ok(None),
        };
        if piece.is_empty() {
            return Ok(None);
        }
        if let Err(e) = self.attempt.parser.push_str(piece) {
            // Malformed JSON: reported (and reasked) at the end of the attempt.
            tracing::debug!(error = %e, "partial JSON parse error");
            return Ok(None);
        }
        if !self.wrapped {
            self.check_completed_fields()?;
        }
        // O(1): an unchanged snapshot is never materialised.
        let version = self.attempt.parser.visible_version();
        if self.last == Some(version) {
            return Ok(None);
        }
        // Read straight from the parser's text: no intermediate `Value`.
        let snapshot = if self.wrapped {
            self.attempt
                .parser
                .snapshot_as::<WrappedPartial<T::Partial>>()
                .map(|wrapped| wrapped.and_then(WrappedPartial::into_inner))
        } else {
            self.attempt.parser.snapshot_as::<T::Partial>()
        };
        let Some(snapshot) = snapshot else {
            return Ok(None);
        };
        self.last = Some(version);
        Ok(snapshot.ok())
    }

    /// Validates each top-level field completed since the last call, read from its
    /// text as written (fields complete in order; nothing is copied unless a field
    /// fails).
    fn check_completed_fields(&mut self) -> Result<(), FieldFailure> {
        let parser = &self.attempt.parser;
        let mut fields = parser
            .completed_root_json()
            .skip(self.attempt.checked_fields)
            .peekable();
        if fields.peek().is_none() {
            return Ok(());
        }
        let context = ValidationContext::from_option(self.context.as_ref());
        let mut validator = crate::validate::Validator::new(&context);
        for (key, json) in fields {
            self.model.validate_field(key, json, &mut validator);
            self.attempt.checked_fields += 1;
        }
        validator.finish().map_err(|errors| FieldFailure {
            errors,
            received: parser.completed_root_text().unwrap_or_default(),
        })
    }

    /// A completed field failed: the attempt ends now (its connection is dropped)
    /// and is reasked with what arrived so far, as valid JSON.
    async fn early_end(&mut self, failure: FieldFailure) -> Result<()> {
        let mut completion = self.attempt.end();
        let received = failure.received;
        match completion.tool_calls.first_mut() {
            Some(call) if self.call.mode.uses_tools() => call.arguments = received,
            _ => completion.text = Some(received),
        }
        self.total += completion.usage;
        self.retry_or_fail(completion, AttemptError::Validation(failure.errors))
            .await
    }

    /// Validates the finished attempt: stores the final value, reasks, or fails.
    async fn end_of_attempt(&mut self) -> Result<()> {
        let completion = self.attempt.end();
        self.total += completion.usage;
        check_finish(&completion, self.total)?;
        let context = ValidationContext::from_option(self.context.as_ref());
        let parsed = reply::answer_json(self.call.mode, &completion, &self.name)
            .and_then(|json| self.model.parse(json, &context));
        match parsed {
            Ok(value) => {
                if let Ok(mut slot) = self.shared.lock() {
                    slot.value = Some(value);
                    slot.usage = Some(self.total);
                }
                self.done = true;
                Ok(())
            }
            Err(error) => self.retry_or_fail(completion, error).await,
        }
    }

    /// Reasks (the new attempt streams on) while retries are left, else fails with
    /// every attempt.
    async fn retry_or_fail(&mut self, completion: Completion, error: AttemptError) -> Result<()> {
        let will_retry = self.number <= self.max_retries;
        self.client.emit_failure(&error, self.number, will_retry);
        if will_retry {
            self.call
                .messages
                .extend(reply::reask_messages(self.call.mode, &completion, &error));
        }
        self.failed.push(FailedAttempt {
            number: self.number,
            completion,
            error,
        });
        if !will_retry {
            return Err(Error::RetriesExhausted(Box::new(RetriesExhausted {
                attempts: std::mem::take(&mut self.failed),
                usage: self.total,
            })));
        }
        self.number += 1;
        self.last = None;
        self.attempt = self
            .client
            .open_attempt(&self.call, self.number, partial_parser())
            .await?;
        Ok(())
    }
}

/// A top-level field that failed validation as soon as it completed.
struct FieldFailure {
    errors: crate::validate::ValidationErrors,
    /// The fields that had completed, as the model wrote them (for the reask).
    received: String,
}

/// The parser of a `create_partial` attempt: raw-text mode, so the answer is held
/// as text (about its own size) and each snapshot is read straight into `T::Partial`.
fn partial_parser() -> PartialJson {
    PartialJson::lenient().with_raw_text()
}

/// A wrapped type's partial on the wire: `{"content": ...}` (see [`WRAPPER_FIELD`]).
#[derive(serde::Deserialize)]
struct WrappedPartial<P> {
    content: Option<P>,
}

const _: () = assert!(matches!(WRAPPER_FIELD.as_bytes(), b"content"));

impl<P: DeserializeOwned> WrappedPartial<P> {
    /// The inner partial; a missing `content` reads as `null` (as a bare value would).
    fn into_inner(self) -> Result<P, serde_json::Error> {
        match self.content {
            Some(inner) => Ok(inner),
            None => serde_json::from_str("null"),
        }
    }
}

struct IterState<T> {
    attempt: Attempt,
    /// The response model's name (the tool to call).
    name: String,
    parallel: bool,
    mode: Mode,
    context: Option<Value>,
    index: usize,
    pending: std::collections::VecDeque<Value>,
    done: bool,
    model: ResponseModel<T>,
}

impl<T: Instruct + DeserializeOwned> IterState<T> {
    async fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(value) = self.pending.pop_front() {
                return Some(self.item(value));
            }
            if self.done {
                return None;
            }
            match self.attempt.events.next().await {
                Some(Ok(event)) => {
                    if let Err(e) = self.attempt.received.apply(&event) {
                        self.done = true;
                        return Some(Err(e));
                    }
                    if let Err(e) = self.feed(&event) {
                        self.done = true;
                        return Some(Err(Error::Stream(ErrorDetail::with_source(
                            "malformed JSON in the answer",
                            e,
                        ))));
                    }
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                None => {
                    self.done = true;
                    let finished = self.answer_finished();
                    let completion = self.attempt.end();
                    if let Err(e) = check_finish(&completion, completion.usage) {
                        return Some(Err(e));
                    }
                    if !finished {
                        return Some(Err(self.unfinished(completion)));
                    }
                }
            }
        }
    }

    fn feed(&mut self, event: &StreamEvent) -> Result<(), crate::partial::PartialJsonError> {
        match event {
            StreamEvent::TextDelta(t) if !self.mode.uses_tools() => {
                self.attempt.parser.push_str(t)?;
                self.pending.extend(self.attempt.parser.take_items());
            }
            StreamEvent::ToolCallDelta {
                index, arguments, ..
            } if self.parallel => {
                while self.attempt.call_parsers.len() <= *index {
                    self.attempt.call_parsers.push(PartialJson::lenient());
                }
                self.attempt.call_parsers[*index].push_str(arguments)?;
                while let Some(parser) = self
                    .attempt
                    .call_parsers
                    .get_mut(self.attempt.yielded_calls)
                {
                    if !parser.is_complete() {
                        break;
                    }
                    let value = parser.finish()?;
                    self.pending.push_back(value);
                    self.attempt.yielded_calls += 1;
                }
            }
            StreamEvent::ToolCallDelta {
                index: 0,
                arguments,
                ..
            } if self.mode.uses_tools() => {
                self.attempt.parser.push_str(arguments)?;
                self.pending.extend(self.attempt.parser.take_items());
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the answer is complete: every tool call's JSON (ParallelTools), or
    /// the `{"tasks": [...]}` wrapper.
    fn answer_finished(&mut self) -> bool {
        if self.parallel {
            return self
                .attempt
                .call_parsers
                .iter()
                .all(PartialJson::is_complete);
        }
        matches!(
            self.attempt.parser.finish(),
            Ok(Value::Object(root)) if root.get(ITERABLE_FIELD).is_some_and(Value::is_array)
        )
    }

    /// The error of an answer that ended unfinished: what `create` reports for it,
    /// as the only failed attempt.
    fn unfinished(&self, completion: Completion) -> Error {
        let error = if self.parallel {
            let failures = completion
                .tool_calls
                .iter()
                .enumerate()
                .filter_map(|(index, call)| {
                    let error = call_error(&call.arguments)?;
                    Some(CallFailure { index, error })
                })
                .collect();
            AttemptError::Calls(failures)
        } else {
            reply::answer_json(self.mode, &completion, &self.name)
                .and_then(|json| wrapper_error(json).map_or(Ok(()), Err))
                .err()
                .unwrap_or_else(|| {
                    AttemptError::Parse("the answer ended before its JSON was complete".to_owned())
                })
        };
        let usage = completion.usage;
        Error::RetriesExhausted(Box::new(RetriesExhausted {
            attempts: vec![FailedAttempt {
                number: 1,
                completion,
                error,
            }],
            usage,
        }))
    }

    fn item(&mut self, value: Value) -> Result<T> {
        let index = self.index;
        self.index += 1;
        let context = ValidationContext::from_option(self.context.as_ref());
        self.model
            .parse_item(value, &context)
            .map_err(|error| Error::InvalidItem { index, error })
    }
}

/// `create`'s error for a tool call's arguments that are not (complete) JSON;
/// `None` when they are.
fn call_error(json: &str) -> Option<AttemptError> {
    let e = serde_json::from_str::<serde::de::IgnoredAny>(json).err()?;
    Some(AttemptError::Parse(format!("invalid JSON: {e}")))
}

/// `create`'s error for an answer that is not the `{"tasks": [...]}` wrapper (not
/// JSON, cut off, or another shape); `None` when it is.
fn wrapper_error(json: &str) -> Option<AttemptError> {
    #[derive(serde::Deserialize)]
    struct Wrapper {
        #[serde(rename = "tasks")]
        _tasks: Vec<serde::de::IgnoredAny>,
    }
    const _: () = assert!(matches!(ITERABLE_FIELD.as_bytes(), b"tasks"));
    let e = serde_json::from_str::<Wrapper>(json).err()?;
    Some(AttemptError::Parse(match e.classify() {
        serde_json::error::Category::Data => format!("the JSON does not match the schema: {e}"),
        _ => format!("invalid JSON: {e}"),
    }))
}

/// A tool call index from the wire, bounded by [`MAX_TOOL_CALLS`].
fn check_call_index(index: usize) -> Result<()> {
    if index >= MAX_TOOL_CALLS {
        return Err(Error::stream(format!(
            "tool call index {index} is beyond the limit of {MAX_TOOL_CALLS} calls in one answer"
        )));
    }
    Ok(())
}
