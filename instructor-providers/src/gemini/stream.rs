//! `streamGenerateContent?alt=sse`: each event is a whole response chunk (text
//! pieces, whole function calls, cumulative usage). There is no end marker: the
//! stream is complete when a chunk carried a `finishReason`.

use instructor_core::provider::{EventStream, RawEvent, StreamEvent};
use instructor_core::{Error, ToolCall};
use serde_json::Value;

use super::convert::{read_chunk, usage};
use crate::http::events::{EventVocabulary, Flow, decode, event_json, mid_stream_error};
use crate::http::sse::SseEventRef;

#[derive(Default)]
struct GeminiEvents {
    calls: usize,
    finished: bool,
    /// The latest cumulative `usageMetadata`, reported once at the end.
    usage: Option<Value>,
}

/// Decodes a streaming `streamGenerateContent` response.
pub(crate) fn events(response: reqwest::Response) -> EventStream {
    decode(response, GeminiEvents::default())
}

impl EventVocabulary for GeminiEvents {
    fn event(&mut self, event: SseEventRef<'_>, out: &mut Vec<StreamEvent>) -> Result<Flow, Error> {
        let data = event_json(event.data)?;
        if let Some(error) = data.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error");
            return Err(mid_stream_error(message));
        }
        out.push(StreamEvent::Raw(RawEvent::new(event.data)));
        if let Some(u) = data.get("usageMetadata") {
            self.usage = Some(u.clone());
        }
        let mut text = String::new();
        let mut calls: Vec<ToolCall> = Vec::new();
        let finish = read_chunk(&data, &mut text, &mut calls)?;
        if !text.is_empty() {
            out.push(StreamEvent::TextDelta(text));
        }
        for call in calls {
            let index = self.calls;
            // The signature first: a reask may start as soon as the arguments arrive.
            if let Some(signature) = call.signature {
                out.push(StreamEvent::ToolCallSignature { index, signature });
            }
            out.push(StreamEvent::ToolCallDelta {
                index,
                id: Some(call.id),
                name: Some(call.name),
                arguments: call.arguments,
            });
            self.calls += 1;
        }
        if let Some(reason) = finish {
            self.finished = true;
            out.push(StreamEvent::Finish(reason));
        }
        Ok(Flow::Continue)
    }

    fn closed(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), Error> {
        if !self.finished {
            return Err(Error::stream(
                "the stream ended before a chunk with a finishReason".to_owned(),
            ));
        }
        out.push(StreamEvent::Usage(usage(self.usage.as_ref())));
        Ok(())
    }
}
