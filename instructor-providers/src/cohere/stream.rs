//! Streamed Chat v2 events: `message-start`, `content-start`/`content-delta`/
//! `content-end` (text), `tool-plan-delta` (the plan before calls, not the answer),
//! `tool-call-start` (id, name, first arguments), `tool-call-delta` (more arguments),
//! `tool-call-end`, `citation-*`, and `message-end` (finish reason, usage, or an
//! error) which ends the stream.

use std::collections::HashMap;

use instructor_core::Error;
use instructor_core::provider::{EventStream, RawEvent, StreamEvent};
use serde_json::Value;

use super::convert::{finish_reason, usage};
use crate::config::str_field;
use crate::http::events::{EventVocabulary, Flow, decode, event_json, mid_stream_error};
use crate::http::sse::SseEventRef;

/// The Chat v2 event vocabulary.
#[derive(Default)]
struct CohereEvents {
    /// The event `index` of a tool call -> its ordinal.
    tool_calls: HashMap<u64, usize>,
}

/// Decodes a streaming `/v2/chat` response.
pub(crate) fn events(response: reqwest::Response) -> EventStream {
    decode(response, CohereEvents::default())
}

impl EventVocabulary for CohereEvents {
    fn event(&mut self, event: SseEventRef<'_>, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
        let data = event_json(event.data)?;
        // The type is in the data; the SSE `event:` name repeats it.
        let kind = data
            .get("type")
            .and_then(Value::as_str)
            .or(event.event)
            .unwrap_or_default()
            .to_owned();
        out.push(StreamEvent::Raw(RawEvent::new(event.data)));
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        let message = data.pointer("/delta/message").unwrap_or(&Value::Null);
        match kind.as_str() {
            "content-start" | "content-delta" => {
                let content = message.get("content").unwrap_or(&Value::Null);
                // Thinking content is reasoning, never the answer.
                let thinking = content.get("type").and_then(Value::as_str) == Some("thinking")
                    || content.get("thinking").is_some_and(Value::is_string);
                if let Some(text) = content
                    .get("text")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty() && !thinking)
                {
                    out.push(StreamEvent::TextDelta(text.to_owned()));
                }
            }
            "tool-call-start" | "tool-call-delta" => {
                let call = message.get("tool_calls").unwrap_or(&Value::Null);
                let function = call.get("function").unwrap_or(&Value::Null);
                let next = self.tool_calls.len();
                let ordinal = *self.tool_calls.entry(index).or_insert(next);
                let start = kind == "tool-call-start";
                out.push(StreamEvent::ToolCallDelta {
                    index: ordinal,
                    id: start.then(|| str_field(call, "id")).flatten(),
                    name: start.then(|| str_field(function, "name")).flatten(),
                    arguments: str_field(function, "arguments").unwrap_or_default(),
                });
            }
            "message-end" => {
                let delta = data.get("delta").unwrap_or(&Value::Null);
                if let Some(error) = delta
                    .get("error")
                    .and_then(Value::as_str)
                    .filter(|e| !e.is_empty())
                {
                    return Err(mid_stream_error(error));
                }
                if let Some(reason) = delta.get("finish_reason").and_then(Value::as_str) {
                    out.push(StreamEvent::Finish(finish_reason(reason)));
                }
                if let Some(u) = delta.get("usage") {
                    out.push(StreamEvent::Usage(usage(Some(u))));
                }
                return Ok(Flow::End);
            }
            // message-start, content-end, tool-plan-delta, tool-call-end, citations.
            _ => {}
        }
        Ok(Flow::Continue)
    }
}
