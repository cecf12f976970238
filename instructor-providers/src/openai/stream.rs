//! Streamed answers: Chat Completions chunks and Responses API events, decoded from
//! SSE into neutral [`StreamEvent`]s. A dropped connection, an error event after HTTP
//! 200, or a stream that ends without `[DONE]` / `response.completed` is an error.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use instructor_core::provider::{EventStream, StreamEvent};
use instructor_core::{Error, FinishReason};
use serde_json::Value;

use super::convert::usage;
use crate::http::sse::{SseDecoder, SseEvent};

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

struct Decoder {
    bytes: ByteStream,
    sse: SseDecoder,
    queue: VecDeque<Result<StreamEvent, Error>>,
    responses_api: bool,
    ended: bool,
    saw_end_marker: bool,
}

/// Decodes a streaming response (`responses_api` selects the event vocabulary).
pub(crate) fn events(response: reqwest::Response, responses_api: bool) -> EventStream {
    let decoder = Decoder {
        bytes: Box::pin(response.bytes_stream()),
        sse: SseDecoder::new(),
        queue: VecDeque::new(),
        responses_api,
        ended: false,
        saw_end_marker: false,
    };
    Box::pin(futures_util::stream::unfold(decoder, |mut d| async move {
        loop {
            if let Some(event) = d.queue.pop_front() {
                return Some((event, d));
            }
            if d.ended {
                return None;
            }
            match d.bytes.next().await {
                Some(Ok(chunk)) => match d.sse.push(&chunk) {
                    Ok(events) => events.into_iter().for_each(|e| d.handle(e)),
                    Err(e) => d.fail(Error::Stream(e.to_string())),
                },
                Some(Err(e)) => d.fail(Error::Stream(format!(
                    "connection dropped: {}",
                    e.without_url()
                ))),
                None => {
                    if let Ok(Some(event)) = d.sse.finish() {
                        d.handle(event);
                    }
                    if !d.saw_end_marker && !d.ended {
                        d.fail(Error::Stream(
                            "the stream ended before its end marker".to_owned(),
                        ));
                    }
                    d.ended = true;
                }
            }
        }
    }))
}

impl Decoder {
    fn fail(&mut self, error: Error) {
        self.queue.push_back(Err(error));
        self.ended = true;
    }

    fn handle(&mut self, event: SseEvent) {
        if self.ended {
            return;
        }
        if event.data.trim() == "[DONE]" {
            self.saw_end_marker = true;
            self.ended = true;
            return;
        }
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            return self.fail(Error::Stream(format!(
                "invalid JSON in a stream event: {}",
                event.data.chars().take(200).collect::<String>()
            )));
        };
        if let Some(error) = data.get("error").filter(|e| !e.is_null()) {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| error.to_string(), str::to_owned);
            return self.fail(Error::Stream(format!(
                "the provider reported an error mid-stream: {message}"
            )));
        }
        self.queue.push_back(Ok(StreamEvent::Raw(data.clone())));
        if self.responses_api {
            self.responses_event(&data);
        } else {
            self.chat_chunk(&data);
        }
    }

    fn chat_chunk(&mut self, data: &Value) {
        if let Some(u) = data.get("usage").filter(|u| u.is_object()) {
            self.queue.push_back(Ok(StreamEvent::Usage(usage(Some(u)))));
        }
        let Some(choice) = data
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return;
        };
        let delta = choice.get("delta").cloned().unwrap_or(Value::Null);
        if let Some(text) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.queue
                .push_back(Ok(StreamEvent::TextDelta(text.to_owned())));
        }
        if let Some(refusal) = delta
            .get("refusal")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.queue
                .push_back(Ok(StreamEvent::RefusalDelta(refusal.to_owned())));
        }
        for (position, call) in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let function = call.get("function").cloned().unwrap_or(Value::Null);
            let arguments = match function.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            self.queue.push_back(Ok(StreamEvent::ToolCallDelta {
                index: call
                    .get("index")
                    .and_then(Value::as_u64)
                    .map_or(position, |i| i as usize),
                id: call.get("id").and_then(Value::as_str).map(str::to_owned),
                name: function
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                arguments,
            }));
        }
        if let Some(call) = delta.get("function_call").filter(|c| c.is_object()) {
            self.queue.push_back(Ok(StreamEvent::ToolCallDelta {
                index: 0,
                id: None,
                name: call.get("name").and_then(Value::as_str).map(str::to_owned),
                arguments: call
                    .get("arguments")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            }));
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.queue
                .push_back(Ok(StreamEvent::Finish(FinishReason::from_wire(reason))));
        }
    }

    fn responses_event(&mut self, data: &Value) {
        let index = data
            .get("output_index")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        match data.get("type").and_then(Value::as_str).unwrap_or_default() {
            "response.output_item.added" => {
                let item = data.get("item").cloned().unwrap_or(Value::Null);
                if item.get("type").and_then(Value::as_str) == Some("function_call") {
                    self.queue.push_back(Ok(StreamEvent::ToolCallDelta {
                        index,
                        id: item
                            .get("call_id")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        name: item.get("name").and_then(Value::as_str).map(str::to_owned),
                        arguments: String::new(),
                    }));
                }
            }
            "response.function_call_arguments.delta" => {
                let delta = data
                    .get("delta")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.queue.push_back(Ok(StreamEvent::ToolCallDelta {
                    index,
                    id: None,
                    name: None,
                    arguments: delta.to_owned(),
                }));
            }
            "response.output_text.delta" => {
                let delta = data
                    .get("delta")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.queue
                    .push_back(Ok(StreamEvent::TextDelta(delta.to_owned())));
            }
            "response.refusal.delta" => {
                let delta = data
                    .get("delta")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.queue
                    .push_back(Ok(StreamEvent::RefusalDelta(delta.to_owned())));
            }
            "response.completed" | "response.incomplete" => {
                let response = data.get("response").cloned().unwrap_or(Value::Null);
                self.queue
                    .push_back(Ok(StreamEvent::Usage(usage(response.get("usage")))));
                let reason = response
                    .get("incomplete_details")
                    .and_then(|d| d.get("reason"))
                    .and_then(Value::as_str)
                    .map_or(FinishReason::Stop, FinishReason::from_wire);
                self.queue.push_back(Ok(StreamEvent::Finish(reason)));
                self.saw_end_marker = true;
                self.ended = true;
            }
            "response.failed" | "error" => {
                let message = data
                    .pointer("/response/error/message")
                    .or_else(|| data.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("response failed");
                self.fail(Error::Stream(format!(
                    "the provider reported an error mid-stream: {message}"
                )));
            }
            _ => {}
        }
    }
}
