//! `create_iterable`: each item of a list answer, validated, as soon as its closing
//! brace arrives (Tools/JSON modes: a `{"tasks": [...]}` wrapper; ParallelTools: one
//! tool call per item); the end of the answer checked for a finished value.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Attempt, BoxStream, CacheSlot};
use crate::client::answer::{self, answer_json};
use crate::client::call::check_finish;
use crate::client::json_path;
use crate::client::lenient::Lenient;
use crate::completion::Completion;
use crate::error::{
    AttemptError, Error, ErrorDetail, FailedAttempt, Result, RetriesExhausted, ToolCallFailure,
};
use crate::mode::Mode;
use crate::partial::PartialJson;
use crate::provider::{ResponseSpec, StreamEvent};
use crate::schema::Schema;
use crate::validate::ValidationContext;
use crate::{Client, Instruct, ResponseModel};

/// The array property of the iterable wrapper (as Python instructor's `tasks`).
pub(crate) const ITERABLE_FIELD: &str = "tasks";

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
    let name = iterable_name(item_name);
    ResponseSpec {
        description: format!("Correct segmentation of `{item_name}` tasks"),
        name,
        schema,
    }
}

/// The tool / response-format name of a list of `item_name`: `Iterable<Item>`.
pub(crate) fn iterable_name(item_name: &str) -> String {
    crate::schema::tool_name(&format!("Iterable{item_name}"))
}

impl Client {
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
        match self.route() {
            Some(route) => {
                let open = |client: Client, request| async move {
                    client.iterable_direct::<T>(request).await
                };
                route.open(request, open).await
            }
            None => self.iterable_direct(request).await,
        }
    }

    /// `create_iterable` on this client's own provider (never routed).
    async fn iterable_direct<T: Instruct + DeserializeOwned + Send>(
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
        let lenient = self.lenient_for(&request, &spec.schema);
        let call = self.prepare_call(&request, spec, true).await?;
        let parser = if parallel {
            Lenient::parser(lenient.as_ref())
        } else {
            Lenient::parser(lenient.as_ref()).with_item_path(&[ITERABLE_FIELD])
        };
        let cache = self.stream_cache_slot(&request, &call)?;
        let first = self
            .open_first_attempt(&call, parser, cache.as_ref())
            .await?;
        let state = IterState::<T> {
            attempt: first,
            cache,
            failed_items: false,
            name,
            parallel,
            mode: self.mode(),
            context: request.context.clone(),
            index: 0,
            pending: std::collections::VecDeque::new(),
            done: false,
            lenient,
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

struct IterState<T> {
    attempt: Attempt,
    /// The response cache entry: replayed, or written once every item validated.
    cache: Option<CacheSlot>,
    /// Whether an item failed (the answer is then not cached).
    failed_items: bool,
    /// The response model's name (the tool to call).
    name: String,
    parallel: bool,
    mode: Mode,
    context: Option<Value>,
    index: usize,
    pending: std::collections::VecDeque<Value>,
    done: bool,
    /// Lenient parsing: repaired syntax, scalars sent as strings coerced.
    lenient: Option<Lenient>,
    model: ResponseModel<T>,
}

impl<T: Instruct + DeserializeOwned> IterState<T> {
    async fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(value) = self.pending.pop_front() {
                let item = self.item(value);
                self.failed_items |= item.is_err();
                return Some(item);
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
                    if !self.failed_items {
                        CacheSlot::store(self.cache.as_ref(), &self.attempt, &completion);
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
                    self.attempt
                        .call_parsers
                        .push(Lenient::parser(self.lenient.as_ref()));
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
                    Some(ToolCallFailure { index, error })
                })
                .collect();
            AttemptError::Calls(failures)
        } else {
            answer_json(self.mode, &completion, &self.name)
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

    fn item(&mut self, mut value: Value) -> Result<T> {
        match &self.lenient {
            Some(lenient) if self.parallel => lenient.coerce(&mut value),
            Some(lenient) => lenient.coerce_item(&mut value),
            None => {}
        }
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
    let e = json_path::from_str::<serde::de::IgnoredAny>(json).err()?;
    Some(answer::parse_error(e))
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
    let e = json_path::from_str::<Wrapper>(json).err()?;
    if !e.is_syntax() && !json.trim_start().starts_with('{') {
        // serde would read a list as the struct's fields: say what the model must send.
        return Some(AttemptError::Parse(format!(
            "the JSON does not match the schema: expected an object {{\"{ITERABLE_FIELD}\": [...]}}"
        )));
    }
    Some(answer::parse_error(e))
}
