//! Streamed Messages API events: `message_start` (input usage), `content_block_start`
//! (a `tool_use` header), `content_block_delta` (`input_json_delta` / `text_delta`),
//! `message_delta` (stop reason, cumulative output usage), `message_stop` (the end),
//! `ping` anywhere, and `error` events after HTTP 200.

use std::collections::HashMap;

use instructor_core::Error;
use instructor_core::provider::{EventStream, RawEvent, StreamEvent};
use serde_json::Value;

use super::convert::{refusal_text, stop_reason, usage};
use crate::config::str_field;
use crate::http::events::{EventVocabulary, Flow, decode, event_json, mid_stream_error};
use crate::http::sse::SseEventRef;

/// The Messages API event vocabulary.
#[derive(Default)]
struct AnthropicEvents {
    /// `message_start`'s usage (input and cache counts).
    start_usage: Option<Value>,
    /// Content block index -> tool call ordinal.
    tool_blocks: HashMap<u64, usize>,
    /// Tool blocks whose input has not begun yet (content block indexes).
    no_input_yet: Vec<u64>,
    /// The text so far: what a refusal without `stop_details` says.
    text: String,
}

/// Decodes a streaming Messages response.
pub(crate) fn events(response: reqwest::Response) -> EventStream {
    decode(response, AnthropicEvents::default())
}

impl EventVocabulary for AnthropicEvents {
    fn event(&mut self, event: SseEventRef<'_>, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
        let data = event_json(event.data)?;
        let kind = data.get("type").and_then(Value::as_str).unwrap_or_default();
        if kind == "ping" {
            return Ok(Flow::Continue);
        }
        if kind == "error" {
            let kind = data
                .pointer("/error/type")
                .and_then(Value::as_str)
                .unwrap_or("error");
            let message = data
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(mid_stream_error(&format!("{kind}: {message}")));
        }
        out.push(StreamEvent::Raw(RawEvent::new(event.data)));
        let block_index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        match kind {
            "message_start" => {
                self.start_usage = data.pointer("/message/usage").cloned();
            }
            "content_block_start" => {
                let block = data.get("content_block").cloned().unwrap_or(Value::Null);
                match block.get("type").and_then(Value::as_str) {
                    Some("tool_use") => {
                        let ordinal = self.tool_blocks.len();
                        self.tool_blocks.insert(block_index, ordinal);
                        // The input is `{}` at the start; a non-empty one arrived whole.
                        let arguments = block
                            .get("input")
                            .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
                            .map(Value::to_string)
                            .unwrap_or_default();
                        if arguments.is_empty() {
                            self.no_input_yet.push(block_index);
                        }
                        out.push(StreamEvent::ToolCallDelta {
                            index: ordinal,
                            id: str_field(&block, "id"),
                            name: str_field(&block, "name"),
                            arguments,
                        });
                    }
                    Some("text") => {
                        if let Some(text) = block
                            .get("text")
                            .and_then(Value::as_str)
                            .filter(|t| !t.is_empty())
                        {
                            self.text.push_str(text);
                            out.push(StreamEvent::TextDelta(text.to_owned()));
                        }
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let delta = data.get("delta").cloned().unwrap_or(Value::Null);
                match delta.get("type").and_then(Value::as_str) {
                    Some("input_json_delta") => {
                        let ordinal = self.tool_blocks.get(&block_index).copied().unwrap_or(0);
                        let piece = delta
                            .get("partial_json")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        if !piece.is_empty() {
                            self.no_input_yet.retain(|&i| i != block_index);
                        }
                        out.push(StreamEvent::ToolCallDelta {
                            index: ordinal,
                            id: None,
                            name: None,
                            arguments: piece.to_owned(),
                        });
                    }
                    Some("text_delta") => {
                        let text = delta.get("text").and_then(Value::as_str).unwrap_or("");
                        self.text.push_str(text);
                        out.push(StreamEvent::TextDelta(text.to_owned()));
                    }
                    // thinking_delta, signature_delta: reasoning, never the answer.
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = data.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    if reason == "refusal" {
                        out.push(StreamEvent::RefusalDelta(refusal_text(
                            data.get("delta").unwrap_or(&Value::Null),
                            Some(&self.text),
                        )));
                    }
                    out.push(StreamEvent::Finish(stop_reason(reason)));
                }
                out.push(StreamEvent::Usage(usage(
                    data.get("usage"),
                    self.start_usage.as_ref(),
                )));
            }
            "content_block_stop" => {
                // A tool without arguments streams no input at all: its input is `{}`.
                if let Some(at) = self.no_input_yet.iter().position(|&i| i == block_index) {
                    self.no_input_yet.swap_remove(at);
                    if let Some(&ordinal) = self.tool_blocks.get(&block_index) {
                        out.push(StreamEvent::ToolCallDelta {
                            index: ordinal,
                            id: None,
                            name: None,
                            arguments: "{}".to_owned(),
                        });
                    }
                }
            }
            "message_stop" => return Ok(Flow::End),
            _ => {}
        }
        Ok(Flow::Continue)
    }
}
