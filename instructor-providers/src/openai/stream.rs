//! Streamed answers: Chat Completions chunks and Responses API events, decoded from
//! SSE into neutral [`StreamEvent`]s. A dropped connection, an error event after HTTP
//! 200, or a stream that ends without `[DONE]` / `response.completed` is an error.

use instructor_core::provider::{EventStream, RawEvent, StreamEvent};
use instructor_core::{Error, FinishReason};
use serde_json::Value;

use super::chunk::{self, reported_error};
use super::convert::usage;
use crate::http::events::{EventVocabulary, Flow, decode, event_json, mid_stream_error};
use crate::http::sse::SseEventRef;

/// Chat Completions chunks (`responses_api: false`) or Responses API events.
struct OpenAiEvents {
    responses_api: bool,
}

/// Decodes a streaming response (`responses_api` selects the event vocabulary).
pub(crate) fn events(response: reqwest::Response, responses_api: bool) -> EventStream {
    decode(response, OpenAiEvents { responses_api })
}

impl EventVocabulary for OpenAiEvents {
    fn event(&mut self, event: SseEventRef<'_>, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
        if event.data.trim() == "[DONE]" {
            return Ok(Flow::End);
        }
        let flow = if self.responses_api {
            let data = event_json(event.data)?;
            if let Some(error) = data.get("error").filter(|e| !e.is_null()) {
                return Err(reported_error(error));
            }
            responses_event(&data, out)
        } else {
            chunk::decode(event.data, out)?;
            Ok(Flow::Continue)
        };
        // The raw event last (a Responses API failure still shows it).
        out.push(StreamEvent::Raw(RawEvent::new(event.data)));
        flow
    }
}

fn responses_event(data: &Value, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
    let index = data
        .get("output_index")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    match data.get("type").and_then(Value::as_str).unwrap_or_default() {
        "response.output_item.added" => {
            let item = data.get("item").unwrap_or(&Value::Null);
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
            let response = data.get("response").unwrap_or(&Value::Null);
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
