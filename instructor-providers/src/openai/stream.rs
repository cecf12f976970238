//! Streamed answers: Chat Completions chunks and Responses API events, decoded from
//! SSE into neutral [`StreamEvent`]s. A dropped connection, an error event after HTTP
//! 200, or a stream that ends without `[DONE]` / `response.completed` is an error.

use instructor_core::provider::{EventStream, StreamEvent};
use instructor_core::{Error, FinishReason};
use serde_json::Value;

use super::convert::usage;
use crate::http::events::{EventVocabulary, Flow, decode, event_json, mid_stream_error};
use crate::http::sse::SseEvent;

/// Chat Completions chunks (`responses_api: false`) or Responses API events.
struct OpenAiEvents {
    responses_api: bool,
}

/// Decodes a streaming response (`responses_api` selects the event vocabulary).
pub(crate) fn events(response: reqwest::Response, responses_api: bool) -> EventStream {
    decode(response, OpenAiEvents { responses_api })
}

impl EventVocabulary for OpenAiEvents {
    fn event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
        if event.data.trim() == "[DONE]" {
            return Ok(Flow::End);
        }
        let data = event_json(event)?;
        if let Some(error) = data.get("error").filter(|e| !e.is_null()) {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| error.to_string(), str::to_owned);
            return Err(mid_stream_error(&message));
        }
        let flow = if self.responses_api {
            responses_event(&data, out)
        } else {
            chat_chunk(&data, out);
            Ok(Flow::Continue)
        };
        // The raw chunk last, moved rather than copied (every delta passes here).
        out.push(StreamEvent::Raw(data));
        flow
    }
}

fn chat_chunk(data: &Value, out: &mut Vec<StreamEvent>) {
    if let Some(u) = data.get("usage").filter(|u| u.is_object()) {
        out.push(StreamEvent::Usage(usage(Some(u))));
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
        out.push(StreamEvent::TextDelta(text.to_owned()));
    }
    if let Some(refusal) = delta
        .get("refusal")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        out.push(StreamEvent::RefusalDelta(refusal.to_owned()));
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
        out.push(StreamEvent::ToolCallDelta {
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
        });
    }
    if let Some(call) = delta.get("function_call").filter(|c| c.is_object()) {
        out.push(StreamEvent::ToolCallDelta {
            index: 0,
            id: None,
            name: call.get("name").and_then(Value::as_str).map(str::to_owned),
            arguments: call
                .get("arguments")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        });
    }
    if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
        out.push(StreamEvent::Finish(FinishReason::from_wire(reason)));
    }
}

fn responses_event(data: &Value, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
    let index = data
        .get("output_index")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    match data.get("type").and_then(Value::as_str).unwrap_or_default() {
        "response.output_item.added" => {
            let item = data.get("item").cloned().unwrap_or(Value::Null);
            if item.get("type").and_then(Value::as_str) == Some("function_call") {
                out.push(StreamEvent::ToolCallDelta {
                    index,
                    id: item
                        .get("call_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    name: item.get("name").and_then(Value::as_str).map(str::to_owned),
                    arguments: String::new(),
                });
            }
        }
        "response.function_call_arguments.delta" => {
            let delta = data
                .get("delta")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push(StreamEvent::ToolCallDelta {
                index,
                id: None,
                name: None,
                arguments: delta.to_owned(),
            });
        }
        "response.output_text.delta" => {
            let delta = data
                .get("delta")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push(StreamEvent::TextDelta(delta.to_owned()));
        }
        "response.refusal.delta" => {
            let delta = data
                .get("delta")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push(StreamEvent::RefusalDelta(delta.to_owned()));
        }
        "response.completed" | "response.incomplete" => {
            let response = data.get("response").cloned().unwrap_or(Value::Null);
            out.push(StreamEvent::Usage(usage(response.get("usage"))));
            let reason = response
                .get("incomplete_details")
                .and_then(|d| d.get("reason"))
                .and_then(Value::as_str)
                .map_or(FinishReason::Stop, FinishReason::from_wire);
            out.push(StreamEvent::Finish(reason));
            return Ok(Flow::End);
        }
        "response.failed" | "error" => {
            let message = data
                .pointer("/response/error/message")
                .or_else(|| data.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("response failed");
            return Err(mid_stream_error(message));
        }
        _ => {}
    }
    Ok(Flow::Continue)
}
