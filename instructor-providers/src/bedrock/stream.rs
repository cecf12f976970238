//! ConverseStream answers: event-stream messages (see [`super::eventstream`]) whose
//! `:event-type` is `messageStart`, `contentBlockStart` (a tool call's id and name),
//! `contentBlockDelta` (text, or a piece of a tool call's input as text),
//! `contentBlockStop`, `messageStop` (the stop reason) and `metadata` (usage, the
//! last event). A `:message-type` of `exception` (or `error`) is the service's error
//! mid-stream; a message that fails its checksums or is cut off is an
//! [`Error::Stream`] whose source is a [`FrameError`].

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use instructor_core::provider::{EventStream, RawEvent, StreamEvent};
use instructor_core::{Error, ErrorDetail};
use serde_json::{Value, json};

use super::convert::{stop_reason, usage};
use super::eventstream::{Frame, FrameDecoder, FrameError};
use crate::config::str_field;
use crate::http::events::{Flow, RequestTimeout, mid_stream_error};

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// Decodes a ConverseStream response.
pub(crate) fn events(response: reqwest::Response) -> EventStream {
    let timeout = response.extensions().get::<RequestTimeout>().map(|t| t.0);
    Box::pin(Decoder {
        bytes: Box::pin(response.bytes_stream()),
        frames: FrameDecoder::default(),
        events: ConverseEvents::default(),
        out: Vec::new(),
        queue: VecDeque::new(),
        ended: false,
        timeout,
    })
}

/// The ConverseStream vocabulary.
#[derive(Debug, Default)]
pub(crate) struct ConverseEvents {
    /// The `contentBlockIndex` of a tool call -> its ordinal.
    tool_calls: HashMap<u64, usize>,
    /// Whether `messageStop` arrived (the connection may then close without
    /// `metadata`).
    stopped: bool,
}

impl ConverseEvents {
    /// Decodes one message into `out`; an `Err` ends the stream with that error.
    pub(crate) fn frame(
        &mut self,
        frame: &Frame,
        out: &mut Vec<StreamEvent>,
    ) -> Result<Flow, Error> {
        match frame.header(":message-type").unwrap_or("event") {
            "event" => {}
            "exception" => {
                let kind = frame.header(":exception-type").unwrap_or("exception");
                let message = serde_json::from_slice::<Value>(&frame.payload)
                    .ok()
                    .and_then(|v| str_field(&v, "message").or_else(|| str_field(&v, "Message")))
                    .unwrap_or_else(|| String::from_utf8_lossy(&frame.payload).into_owned());
                return Err(mid_stream_error(&format!("{kind}: {message}")));
            }
            other => {
                let code = frame.header(":error-code").unwrap_or(other);
                let message = frame.header(":error-message").unwrap_or_default();
                return Err(mid_stream_error(&format!("{code}: {message}")));
            }
        }
        let kind = frame.header(":event-type").unwrap_or_default();
        let data: Value = serde_json::from_slice(&frame.payload).map_err(|e| {
            Error::Stream(ErrorDetail::with_source(
                format!("invalid JSON in the `{kind}` event"),
                e,
            ))
        })?;
        out.push(StreamEvent::Raw(RawEvent::new(
            json!({kind: &data}).to_string(),
        )));
        let index = data
            .get("contentBlockIndex")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        match kind {
            "contentBlockStart" => {
                if let Some(call) = data.pointer("/start/toolUse") {
                    out.push(StreamEvent::ToolCallDelta {
                        index: self.ordinal(index),
                        id: str_field(call, "toolUseId"),
                        name: str_field(call, "name"),
                        arguments: String::new(),
                    });
                }
            }
            "contentBlockDelta" => {
                let delta = data.get("delta").unwrap_or(&Value::Null);
                if let Some(text) = delta.get("text").and_then(Value::as_str) {
                    if !text.is_empty() {
                        out.push(StreamEvent::TextDelta(text.to_owned()));
                    }
                } else if let Some(input) = delta.pointer("/toolUse/input").and_then(Value::as_str)
                {
                    out.push(StreamEvent::ToolCallDelta {
                        index: self.ordinal(index),
                        id: None,
                        name: None,
                        arguments: input.to_owned(),
                    });
                }
                // reasoningContent deltas are reasoning, never the answer.
            }
            "messageStop" => {
                self.stopped = true;
                if let Some(reason) = data.get("stopReason").and_then(Value::as_str) {
                    out.push(StreamEvent::Finish(stop_reason(reason)));
                }
            }
            "metadata" => {
                if let Some(u) = data.get("usage") {
                    out.push(StreamEvent::Usage(usage(Some(u))));
                }
                return Ok(Flow::End);
            }
            // messageStart, contentBlockStop.
            _ => {}
        }
        Ok(Flow::Continue)
    }

    /// The connection closed: normal after `messageStop`, else an error.
    pub(crate) fn closed(&self) -> Result<(), Error> {
        if self.stopped {
            Ok(())
        } else {
            Err(Error::stream(
                "the stream ended before its messageStop event".to_owned(),
            ))
        }
    }

    fn ordinal(&mut self, index: u64) -> usize {
        let next = self.tool_calls.len();
        *self.tool_calls.entry(index).or_insert(next)
    }
}

/// Bytes in, messages through the vocabulary, neutral events out.
struct Decoder {
    bytes: ByteStream,
    frames: FrameDecoder,
    events: ConverseEvents,
    /// The vocabulary's output for one message (reused).
    out: Vec<StreamEvent>,
    queue: VecDeque<Result<StreamEvent, Error>>,
    ended: bool,
    timeout: Option<Duration>,
}

impl Decoder {
    fn fail(&mut self, error: Error) {
        if !self.ended {
            self.queue.push_back(Err(error));
            self.ended = true;
        }
    }

    fn chunk(&mut self, chunk: &[u8]) {
        let frames = match self.frames.push(chunk) {
            Ok(frames) => frames,
            // Messages completed before the bad one are still handed out.
            Err(e) => return self.fail(malformed(e)),
        };
        for frame in &frames {
            if self.ended {
                return;
            }
            let flow = self.events.frame(frame, &mut self.out);
            self.queue.extend(self.out.drain(..).map(Ok));
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::End) => self.ended = true,
                Err(e) => self.fail(e),
            }
        }
    }

    fn closed(&mut self) {
        if let Err(e) = self.frames.finish() {
            return self.fail(malformed(e));
        }
        if let Err(e) = self.events.closed() {
            self.fail(e);
        }
        self.ended = true;
    }
}

fn malformed(error: FrameError) -> Error {
    Error::Stream(ErrorDetail::with_source(
        "the event stream is malformed",
        error,
    ))
}

impl Stream for Decoder {
    type Item = Result<StreamEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let d = &mut *self;
        loop {
            if let Some(event) = d.queue.pop_front() {
                return Poll::Ready(Some(event));
            }
            if d.ended {
                return Poll::Ready(None);
            }
            match d.bytes.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => d.chunk(&chunk),
                Poll::Ready(Some(Err(e))) => {
                    let error = match d.timeout {
                        Some(timeout) if e.is_timeout() => Error::Timeout(timeout),
                        _ => Error::Stream(ErrorDetail::with_source(
                            "the connection dropped",
                            e.without_url(),
                        )),
                    };
                    d.fail(error);
                }
                Poll::Ready(None) => d.closed(),
            }
        }
    }
}
