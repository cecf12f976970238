//! Streaming: [`create_partial`](crate::Client::create_partial) yields a typed
//! partial snapshot per delta that changed something ([`partial`]);
//! [`create_iterable`](crate::Client::create_iterable) yields each item, validated,
//! as soon as it closes ([`iterable`]). Both parse incrementally (each byte once) with
//! [`PartialJson`]; this module holds what they share: one streamed attempt and what
//! it received.

use std::pin::Pin;

use futures_core::Stream;
use serde_json::Value;

use crate::Client;
use crate::completion::{Completion, FinishReason, Usage};
use crate::error::{Error, Result};
use crate::message::ToolCall;
use crate::partial::PartialJson;
use crate::provider::{EventStream, ProviderRequest, StreamEvent};

mod iterable;
mod partial;

pub use iterable::ItemStream;
pub(crate) use iterable::{ITERABLE_FIELD, iterable_name, iterable_spec_of};
pub use partial::PartialStream;

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
    /// What the attempt's parser keeps whole (so it is not copied here too).
    kept_by_parser: Option<Kept>,
}

/// The part of an answer a stream's parser keeps whole ([`PartialJson::take_input`]),
/// put back into the completion when the attempt ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    /// The text deltas.
    Text,
    /// The arguments of the tool call at index 0.
    FirstCallArguments,
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
            StreamEvent::TextDelta(_) if self.kept_by_parser == Some(Kept::Text) => {}
            StreamEvent::TextDelta(t) => self.text.push_str(t),
            StreamEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            } => {
                let kept = *index == 0 && self.kept_by_parser == Some(Kept::FirstCallArguments);
                let call = self.call_mut(*index)?;
                if let Some(id) = id {
                    call.id.clone_from(id);
                }
                if let Some(name) = name {
                    call.name.push_str(name);
                }
                if !kept {
                    call.arguments.push_str(arguments);
                }
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

    /// The attempt's completion (what was received is moved, not copied; what the
    /// parser kept is added by [`Attempt::end`]).
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

/// The response cache entry of a streamed call: the key of its first attempt as
/// `create` would send it (not streamed), so a streamed call and `create` answer for
/// each other.
struct CacheSlot {
    cache: crate::cache::ResponseCache,
    key: String,
}

impl CacheSlot {
    /// Stores a validated answer, unless it was replayed from the cache.
    fn store(slot: Option<&Self>, attempt: &Attempt, completion: &Completion) {
        if let Some(slot) = slot
            && !attempt.replayed
        {
            slot.cache.put(&slot.key, completion);
        }
    }
}

/// A stored answer as a stream: its text, its tool calls whole, its finish reason.
/// No usage: nothing was spent.
fn replay(completion: Completion) -> EventStream {
    let mut events = Vec::new();
    if let Some(text) = completion.text {
        events.push(Ok(StreamEvent::TextDelta(text)));
    }
    for (index, call) in completion.tool_calls.into_iter().enumerate() {
        events.push(Ok(StreamEvent::ToolCallDelta {
            index,
            id: Some(call.id),
            name: Some(call.name),
            arguments: call.arguments,
        }));
    }
    if let Some(refusal) = completion.refusal {
        events.push(Ok(StreamEvent::RefusalDelta(refusal)));
    }
    if let Some(finish) = completion.finish_reason {
        events.push(Ok(StreamEvent::Finish(finish)));
    }
    Box::pin(futures_util::stream::iter(events))
}

/// One streamed attempt: its events and its parsers.
struct Attempt {
    events: EventStream,
    /// The events replay a cached answer (no request was sent).
    replayed: bool,
    received: Received,
    parser: PartialJson,
    /// ParallelTools: one parser per tool call index.
    call_parsers: Vec<PartialJson>,
    yielded_calls: usize,
    /// create_partial: how many top-level fields have been validated.
    checked_fields: usize,
    /// The usage limits the attempt's usage is charged to.
    meters: crate::limits::Meters,
}

impl Attempt {
    /// An attempt reading `events` with `parser`. A parser that keeps its whole input
    /// holds the answer's text (or first call's arguments) alone: it is not copied
    /// into what was received as well.
    fn new(
        events: EventStream,
        replayed: bool,
        parser: PartialJson,
        call: &ProviderRequest,
    ) -> Self {
        let kept_by_parser = parser.keeps_input().then(|| {
            if call.mode.uses_tools() {
                Kept::FirstCallArguments
            } else {
                Kept::Text
            }
        });
        Self {
            events,
            replayed,
            received: Received {
                kept_by_parser,
                ..Received::default()
            },
            parser,
            call_parsers: Vec::new(),
            yielded_calls: 0,
            checked_fields: 0,
            meters: call.meters.clone(),
        }
    }

    /// Ends the attempt: its completion, with what was received moved out and the
    /// parsers' state freed.
    fn end(&mut self) -> Completion {
        let kept = self.received.kept_by_parser;
        let input = kept.and_then(|_| self.parser.take_input());
        self.parser = PartialJson::answer();
        self.call_parsers = Vec::new();
        let mut completion = std::mem::take(&mut self.received).into_completion();
        match (kept, input) {
            (Some(Kept::Text), Some(text)) if !text.is_empty() => completion.text = Some(text),
            (Some(Kept::FirstCallArguments), Some(arguments)) => {
                if let Some(call) = completion.tool_calls.first_mut() {
                    call.arguments = arguments;
                }
            }
            _ => {}
        }
        self.meters.record(&completion.usage);
        completion
    }
}

type BoxStream<I> = Pin<Box<dyn Stream<Item = I> + Send>>;

impl Client {
    /// The cache entry of a streamed call, when the client caches and the request
    /// does not bypass it.
    fn stream_cache_slot(
        &self,
        request: &crate::Request,
        call: &ProviderRequest,
    ) -> Result<Option<CacheSlot>> {
        let (Some(cache), false) = (&self.cache, request.no_cache) else {
            return Ok(None);
        };
        let mut plain = call.clone();
        plain.stream = false;
        let body = self.provider().build_body(&plain)?;
        let key = self.cache_key(cache, call, &body, request);
        Ok(Some(CacheSlot {
            cache: cache.clone(),
            key,
        }))
    }

    /// The first attempt of a streamed call: a replay of the cached answer when
    /// there is one, else a request.
    async fn open_first_attempt(
        &self,
        call: &ProviderRequest,
        parser: PartialJson,
        slot: Option<&CacheSlot>,
    ) -> Result<Attempt> {
        if let Some(completion) = slot.and_then(|s| s.cache.get(&s.key)) {
            return Ok(Attempt::new(replay(completion), true, parser, call));
        }
        self.open_attempt(call, 1, parser).await
    }

    async fn open_attempt(
        &self,
        call: &ProviderRequest,
        attempt: u32,
        parser: PartialJson,
    ) -> Result<Attempt> {
        let body = self.provider().build_body(call)?;
        call.meters.admit(&body)?;
        self.emit_kwargs(call, &body, attempt);
        let events = self.provider().send_stream(call, &body).await?;
        Ok(Attempt::new(events, false, parser, call))
    }
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
