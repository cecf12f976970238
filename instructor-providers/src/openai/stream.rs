//! Streamed answers: Chat Completions chunks and Responses API events, decoded from
//! SSE into neutral [`StreamEvent`]s. A dropped connection, an error event after HTTP
//! 200, or a stream that ends without `[DONE]` / `response.completed` is an error.

use instructor_core::provider::{EventStream, RawEvent, StreamEvent};
use instructor_core::{Error, FinishReason};
use serde::Deserialize;
use serde_json::Value;

use super::chunk::{self, reported_error};
use super::convert::{finish_reason, usage};
use super::de::{Object, Text, object, text_at};
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
        if self.responses_api {
            return responses_event(event.data, out);
        }
        chunk::decode(event.data, out)?;
        out.push(StreamEvent::Raw(RawEvent::new(event.data)));
        Ok(Flow::Continue)
    }
}

/// Decodes one Responses API event into `out`, the raw event last (a `response.failed`
/// event shows it before its error; an `error` member does not).
fn responses_event(data: &str, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
    let value;
    let event = match serde_json::from_str::<Object<ResponsesEvent<'_>>>(data) {
        Ok(Object(event)) => event,
        Err(_) => {
            value = event_json(data)?;
            ResponsesEvent::from_value(&value)
        }
    };
    if let Some(error) = &event.error {
        return Err(reported_error(error));
    }
    let flow = event.events(out);
    out.push(StreamEvent::Raw(RawEvent::new(data)));
    flow
}

/// One Responses API event: what the stream uses of it. Large members it does not
/// use (a finished item's arguments, the final response's output) are skipped, not
/// built; an event of an unexpected shape is read from a [`Value`] instead.
#[derive(Debug, Default, Deserialize)]
struct ResponsesEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    output_index: Option<u64>,
    #[serde(borrow)]
    delta: Option<Text<'a>>,
    /// An error member (`null`: none).
    error: Option<Value>,
    /// `response.output_item.added`: the new item.
    #[serde(borrow, default, deserialize_with = "object")]
    item: Option<Item<'a>>,
    /// The response, in `response.*` events.
    #[serde(borrow, default, deserialize_with = "object")]
    response: Option<ResponseInfo<'a>>,
    /// An `error` event's message.
    message: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Item<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    #[serde(borrow)]
    call_id: Option<Text<'a>>,
    #[serde(borrow)]
    name: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct ResponseInfo<'a> {
    usage: Option<Value>,
    #[serde(borrow, default, deserialize_with = "object")]
    incomplete_details: Option<Reason<'a>>,
    /// Why it failed (its `message`, read as the event's message is).
    error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Reason<'a> {
    #[serde(borrow)]
    reason: Option<Text<'a>>,
}

impl<'a> ResponsesEvent<'a> {
    /// The same members read leniently: one of an unexpected type counts as absent.
    fn from_value(data: &'a Value) -> Self {
        ResponsesEvent {
            kind: text_at(data, "type"),
            output_index: data.get("output_index").and_then(Value::as_u64),
            delta: text_at(data, "delta"),
            error: data.get("error").filter(|e| !e.is_null()).cloned(),
            item: data.get("item").map(|item| Item {
                kind: text_at(item, "type"),
                call_id: text_at(item, "call_id"),
                name: text_at(item, "name"),
            }),
            response: data.get("response").map(|r| ResponseInfo {
                usage: r.get("usage").cloned(),
                incomplete_details: r.get("incomplete_details").map(|d| Reason {
                    reason: text_at(d, "reason"),
                }),
                error: r.get("error").cloned(),
            }),
            message: data.get("message").cloned(),
        }
    }

    fn events(self, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
        // Saturating on 32-bit targets; core bounds the index.
        let index = self
            .output_index
            .map_or(0, |i| usize::try_from(i).unwrap_or(usize::MAX));
        let delta = || self.delta.map(Text::owned).unwrap_or_default();
        match self.kind.as_ref().map_or("", |k| &k.0) {
            "response.output_item.added" => {
                let item = self.item.unwrap_or_default();
                if item.kind.is_some_and(|k| k.0 == "function_call") {
                    out.push(StreamEvent::ToolCallDelta {
                        index,
                        id: item.call_id.map(Text::owned),
                        name: item.name.map(Text::owned),
                        arguments: String::new(),
                    });
                }
            }
            "response.function_call_arguments.delta" => {
                out.push(StreamEvent::ToolCallDelta {
                    index,
                    id: None,
                    name: None,
                    arguments: delta(),
                });
            }
            "response.output_text.delta" => out.push(StreamEvent::TextDelta(delta())),
            "response.refusal.delta" => out.push(StreamEvent::RefusalDelta(delta())),
            "response.completed" | "response.incomplete" => {
                let response = self.response.unwrap_or_default();
                out.push(StreamEvent::Usage(usage(response.usage.as_ref())));
                let reason = response
                    .incomplete_details
                    .and_then(|d| d.reason)
                    .map_or(FinishReason::Stop, |r| finish_reason(&r.0));
                out.push(StreamEvent::Finish(reason));
                return Ok(Flow::End);
            }
            "response.failed" | "error" => {
                let failure = self.response.as_ref().and_then(|r| r.error.as_ref());
                let message = failure
                    .and_then(|e| e.get("message"))
                    .or(self.message.as_ref())
                    .and_then(Value::as_str)
                    .unwrap_or("response failed");
                return Err(mid_stream_error(message));
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &str) -> (Vec<StreamEvent>, Result<Flow, String>) {
        let mut out = Vec::new();
        let flow = responses_event(data, &mut out).map_err(|e| e.to_string());
        (out, flow)
    }

    fn lenient(data: &str) -> (Vec<StreamEvent>, Result<Flow, String>) {
        let value: Value = serde_json::from_str(data).unwrap();
        let event = ResponsesEvent::from_value(&value);
        let mut out = Vec::new();
        let flow = match &event.error {
            Some(error) => Err(reported_error(error).to_string()),
            None => {
                let flow = event.events(&mut out).map_err(|e| e.to_string());
                out.push(StreamEvent::Raw(RawEvent::new(data)));
                flow
            }
        };
        (out, flow)
    }

    #[test]
    fn well_formed_events_read_strictly_as_they_read_leniently() {
        let events = [
            r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[],"usage":null}}"#,
            r#"{"type":"response.output_item.added","output_index":1,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"User"}}"#,
            r#"{"type":"response.output_item.added","output_index":0,"item":{"type":"message","content":[]}}"#,
            r#"{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":1,"delta":"{\"name\":"}"#,
            r#"{"type":"response.output_text.delta","output_index":0,"delta":"Hi"}"#,
            r#"{"type":"response.refusal.delta","delta":"No"}"#,
            r#"{"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","arguments":"{\"a\":1}"}}"#,
            r#"{"type":"response.completed","response":{"output":[{"type":"function_call"}],"usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}}"#,
            r#"{"type":"response.incomplete","response":{"incomplete_details":{"reason":"max_output_tokens"},"usage":null}}"#,
            r#"{"type":"response.failed","response":{"error":{"code":"server_error","message":"boom"}}}"#,
            r#"{"type":"response.failed","response":{"error":{"message":null}},"message":"hidden"}"#,
            r#"{"type":"error","code":"rate_limit","message":"slow down","param":null}"#,
            r#"{"type":"error"}"#,
            r#"{"error":{"message":"overloaded"}}"#,
        ];
        for data in events {
            assert!(
                serde_json::from_str::<Object<ResponsesEvent<'_>>>(data).is_ok(),
                "not read strictly: {data}"
            );
            assert_eq!(run(data), lenient(data), "{data}");
        }
    }

    #[test]
    fn odd_shapes_read_leniently() {
        let raw = |data: &str| StreamEvent::Raw(RawEvent::new(data));
        let data =
            r#"{"type":"response.function_call_arguments.delta","output_index":-1,"delta":5}"#;
        let call = StreamEvent::ToolCallDelta {
            index: 0,
            id: None,
            name: None,
            arguments: String::new(),
        };
        assert_eq!(run(data), (vec![call, raw(data)], Ok(Flow::Continue)));
        let data = r#"{"type":"response.failed","response":{"error":{"message":7}},"message":"x"}"#;
        assert_eq!(
            run(data),
            (
                vec![raw(data)],
                Err(mid_stream_error("response failed").to_string())
            )
        );
        let data = r#"{"type":"response.completed","response":[1]}"#;
        assert_eq!(
            run(data),
            (
                vec![
                    StreamEvent::Usage(usage(None)),
                    StreamEvent::Finish(FinishReason::Stop),
                    raw(data)
                ],
                Ok(Flow::End)
            )
        );
    }
}
