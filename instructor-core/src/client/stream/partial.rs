//! `create_partial`: a typed partial snapshot of `T` per poll that finds something
//! changed; each top-level field validated as soon as it completes; the whole answer
//! validated at the end and reasked on failure (the new attempt streams on).
//!
//! Snapshots on demand: when the consumer polls, every delta that has already
//! arrived is applied (the parser and the field checks see each one), then one
//! snapshot covering them all is made. A slow consumer never causes repeated work; a
//! fast one gets one snapshot per visible change as deltas come in, and, when the
//! answer arrives faster than it is read, one each time it grew by an eighth (so the
//! snapshots' total cost stays linear in its size). The typed partial is held in place
//! and caught up incrementally (`partial::typed`), except for types whose partial
//! cannot be (then the answer so far is re-read, as before).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Attempt, BoxStream, CacheSlot};
use crate::client::answer::{WRAPPER_FIELD, answer_json};
use crate::client::call::check_finish;
use crate::client::lenient::Lenient;
use crate::client::reask::reask_messages;
use crate::completion::{Completion, Usage};
use crate::error::{AttemptError, Error, FailedAttempt, Result, RetriesExhausted};
use crate::partial::PartialJson;
use crate::partial::controls::RootControls;
use crate::partial::typed::InPlace;
use crate::provider::{ProviderRequest, StreamEvent};
use crate::validate::ValidationContext;
use crate::{Client, Instruct, ResponseModel};

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

impl Client {
    /// A stream of partial snapshots of `T`; at the end the answer is validated and,
    /// on failure with retries left, reasked (the new attempt streams on). Get the
    /// validated `T` with [`PartialStream::into_final`].
    ///
    /// A snapshot is made when polled, covering every delta that has arrived since
    /// the last one: one per delta that changed something while the model writes;
    /// fewer when the answer arrives faster than the stream is read (one each time it
    /// grew by an eighth), so a slow reader never costs repeated work.
    ///
    /// The stream is `Send`, so `T::Partial` must be (every derived partial of a
    /// `Send` model is; generic code says `where T::Partial: Send`).
    pub async fn create_partial<T: Instruct + DeserializeOwned + Send>(
        &self,
        request: crate::Request,
    ) -> Result<PartialStream<T>>
    where
        T::Partial: Send,
    {
        match self.route() {
            Some(route) => {
                let open = |client: Client, request| async move {
                    client.partial_direct::<T>(request).await
                };
                route.open(request, open).await
            }
            None => self.partial_direct(request).await,
        }
    }

    /// `create_partial` on this client's own provider (never routed).
    async fn partial_direct<T: Instruct + DeserializeOwned + Send>(
        &self,
        request: crate::Request,
    ) -> Result<PartialStream<T>>
    where
        T::Partial: Send,
    {
        let model = ResponseModel::<T>::for_request(&request)?;
        let name = model.spec().name.clone();
        let lenient = self.lenient_for(&request, &model.spec().schema);
        let call = self
            .prepare_call(&request, model.spec().clone(), true)
            .await?;
        let cache = self.stream_cache_slot(&request, &call)?;
        let first = self
            .open_first_attempt(&call, partial_parser(lenient.as_ref()), cache.as_ref())
            .await?;
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
            in_place: lenient.is_none().then(InPlace::new),
            controls: RootControls::default(),
            cache,
            pending: None,
            lenient,
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
    /// The typed partial held in place (`None`: re-read the answer for snapshots).
    in_place: Option<InPlace<T>>,
    /// `#[instruct(stream(..))]` controls applied to each snapshot.
    controls: RootControls,
    /// The response cache entry: replayed by the first attempt, or written with
    /// the validated answer.
    cache: Option<CacheSlot>,
    /// What ended a batch of already-arrived deltas, handled after its snapshot.
    pending: Option<Option<Result<StreamEvent>>>,
    /// Lenient parsing: snapshots are re-read from the value so far, coerced.
    lenient: Option<Lenient>,
}

impl<T: Instruct + DeserializeOwned> PartialState<T> {
    async fn next(&mut self) -> Option<Result<T::Partial>> {
        loop {
            if self.done {
                return None;
            }
            let event = match self.pending.take() {
                Some(event) => event,
                None => self.attempt.events.next().await,
            };
            let changed = match self.handle(event).await {
                Ok(changed) => changed,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if !changed {
                continue;
            }
            // Snapshots on demand: apply every delta that has already arrived, then
            // make one snapshot for them all.
            match self.drain_ready().await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            if let Some(snapshot) = self.snapshot() {
                return Some(Ok(snapshot));
            }
        }
    }

    /// One event of the attempt: `Ok(true)` when it fed a delta (the answer may show
    /// more); the end of the attempt validates it (and may reask).
    async fn handle(&mut self, event: Option<Result<StreamEvent>>) -> Result<bool> {
        match event {
            Some(Ok(event)) => {
                self.attempt.received.apply(&event)?;
                match self.feed(&event) {
                    Ok(fed) => Ok(fed),
                    Err(failure) => self.early_end(failure).await.map(|()| false),
                }
            }
            Some(Err(e)) => Err(e),
            None => self.end_of_attempt().await.map(|()| false),
        }
    }

    /// Applies the deltas that have already arrived (without waiting). `Ok(false)`
    /// when a completed field failed and the attempt was reasked (no snapshot of
    /// the failed attempt is shown); an end or error is kept for after the snapshot.
    ///
    /// The HTTP client hands a body over one chunk at a time, so "nothing ready"
    /// may only mean its connection task has not read the next chunk yet: while the
    /// deltas applied here are few next to the answer so far (under
    /// [`COALESCE_FRACTION`] of it), the task yields once to let it, and goes on if
    /// more arrived. A snapshot costs about the size of the answer, so when the
    /// answer arrives faster than it is read, snapshots come at most each time it
    /// grows by that fraction: their total cost stays linear in its size. When
    /// deltas come one at a time (a model writing), each still gets its snapshot.
    async fn drain_ready(&mut self) -> Result<bool> {
        let before = self.attempt.received.bytes;
        let mut looked_again = false;
        loop {
            let event = match self.attempt.events.next().now_or_never() {
                Some(event) => event,
                None if !looked_again && {
                    let received = self.attempt.received.bytes;
                    received.saturating_sub(before) < received / COALESCE_FRACTION
                } =>
                {
                    tokio::task::yield_now().await;
                    looked_again = true;
                    continue;
                }
                None => return Ok(true),
            };
            looked_again = false;
            let Some(Ok(event)) = event else {
                self.pending = Some(event);
                return Ok(true);
            };
            if let Err(e) = self.attempt.received.apply(&event) {
                self.pending = Some(Some(Err(e)));
                return Ok(true);
            }
            if let Err(failure) = self.feed(&event) {
                self.early_end(failure).await?;
                return Ok(false);
            }
        }
    }

    /// Feeds one event's delta to the parser and checks the top-level fields it
    /// completed: `Ok(true)` when there was a delta.
    fn feed(&mut self, event: &StreamEvent) -> Result<bool, FieldFailure> {
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
            _ => return Ok(false),
        };
        if piece.is_empty() {
            return Ok(false);
        }
        if let Err(e) = self.attempt.parser.push_str(piece) {
            // Malformed JSON: reported (and reasked) at the end of the attempt.
            tracing::debug!(error = %e, "partial JSON parse error");
            return Ok(false);
        }
        if !self.wrapped {
            self.check_completed_fields()?;
        }
        Ok(true)
    }

    /// The snapshot of the answer so far, unless nothing visible changed since the
    /// last one (checked in O(1)).
    fn snapshot(&mut self) -> Option<T::Partial> {
        let version = self.attempt.parser.visible_version();
        if self.last == Some(version) {
            return None;
        }
        let parser = &mut self.attempt.parser;
        let in_place = match (&mut self.in_place, self.wrapped) {
            (Some(in_place), false) => in_place.snapshot(parser),
            _ => Err(()),
        };
        let snapshot = match in_place {
            Ok(snapshot) => snapshot.map(Ok),
            Err(()) => {
                self.in_place = None;
                if let Some(lenient) = &self.lenient {
                    // Scalars sent as strings are read as the schema wants them.
                    let open = parser.open_path();
                    parser.snapshot().map(|mut value| {
                        lenient.coerce_snapshot(&mut value, &open);
                        partial_from_value::<T::Partial>(value, self.wrapped)
                    })
                } else if self.wrapped {
                    // Read straight from the parser's text: no intermediate `Value`.
                    parser
                        .snapshot_as::<WrappedPartial<T::Partial>>()
                        .map(|wrapped| wrapped.and_then(WrappedPartial::into_inner))
                } else {
                    parser.snapshot_as::<T::Partial>()
                }
            }
        };
        let snapshot = snapshot?;
        self.last = Some(version);
        let mut snapshot = snapshot.ok()?;
        if !self.controls.show::<T>(&mut snapshot, parser, self.wrapped) {
            return None;
        }
        Some(snapshot)
    }

    /// Validates each top-level field completed since the last call, read from its
    /// text as written (fields complete in order; nothing is copied unless a field
    /// fails).
    fn check_completed_fields(&mut self) -> Result<(), FieldFailure> {
        let parser = &self.attempt.parser;
        let mut fields = parser
            .completed_root_json_from(self.attempt.checked_fields)
            .peekable();
        if fields.peek().is_none() {
            return Ok(());
        }
        let context = ValidationContext::from_option(self.context.as_ref());
        let mut validator = crate::validate::Validator::new(&context);
        for (key, json) in fields {
            let json = match &self.lenient {
                Some(lenient) => lenient.coerce_field_json(key, json),
                None => std::borrow::Cow::Borrowed(json),
            };
            self.model.validate_field(key, &json, &mut validator);
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
        // The partial held in place is not needed past the last snapshot: freed
        // before the final value is read (it would be a third copy of the answer).
        self.in_place = None;
        let completion = self.attempt.end();
        self.total += completion.usage;
        check_finish(&completion, self.total)?;
        let context = ValidationContext::from_option(self.context.as_ref());
        let parsed = answer_json(self.call.mode, &completion, &self.name).and_then(|json| {
            match &self.lenient {
                Some(lenient) => self.model.parse(&lenient.repair(json), &context),
                None => self.model.parse(json, &context),
            }
        });
        match parsed {
            Ok(value) => {
                CacheSlot::store(self.cache.as_ref(), &self.attempt, &completion);
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
        self.client
            .emit_failure(&self.call, &error, self.number, will_retry);
        if will_retry {
            let reask = reask_messages(self.call.mode, &completion, &error);
            self.call.reask.append(&mut self.call.messages, reask);
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
        self.in_place = self.lenient.is_none().then(InPlace::new);
        self.controls = RootControls::default();
        self.pending = None;
        self.attempt = self
            .client
            .open_attempt(
                &self.call,
                self.number,
                partial_parser(self.lenient.as_ref()),
            )
            .await?;
        Ok(())
    }
}

/// Snapshots of an answer that arrives faster than it is read come each time it grows
/// by at least 1/`COALESCE_FRACTION` (see `PartialState::drain_ready`).
const COALESCE_FRACTION: usize = 8;

/// A top-level field that failed validation as soon as it completed.
struct FieldFailure {
    errors: crate::validate::ValidationErrors,
    /// The fields that had completed, as the model wrote them (for the reask).
    received: String,
}

/// The parser of a `create_partial` attempt: raw-text mode, so the answer is held
/// as text (about its own size, and only there: it keeps the whole input) and each
/// snapshot is read straight into `T::Partial`; with lenient syntax when the call is
/// lenient.
fn partial_parser(lenient: Option<&Lenient>) -> PartialJson {
    Lenient::parser(lenient).with_raw_input()
}

/// A snapshot read from the value so far (`{"content": ...}` unwrapped when wrapped).
fn partial_from_value<P: DeserializeOwned>(
    value: Value,
    wrapped: bool,
) -> Result<P, serde_json::Error> {
    if wrapped {
        serde_json::from_value::<WrappedPartial<P>>(value).and_then(WrappedPartial::into_inner)
    } else {
        serde_json::from_value(value)
    }
}

/// A wrapped type's partial on the wire: `{"content": ...}` (see [`WRAPPER_FIELD`]).
#[derive(serde::Deserialize)]
struct WrappedPartial<P> {
    /// `content`, or `tasks` for a list type (see `answer::wrapper_field`).
    #[serde(alias = "tasks")]
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
