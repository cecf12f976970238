//! The loop every streaming provider shares: bytes from the connection, SSE events
//! out of them, and a provider's [`EventVocabulary`] turning each event into neutral
//! [`StreamEvent`]s. A dropped connection or a stream that ends before the
//! vocabulary's end marker is a typed error.

use std::collections::VecDeque;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use instructor_core::Error;
use instructor_core::provider::{EventStream, StreamEvent};
use serde_json::Value;

use super::sse::{SseDecoder, SseEvent};

/// Whether the stream goes on after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// More events may follow.
    Continue,
    /// The end marker arrived: the stream is complete.
    End,
}

/// A provider's streaming event vocabulary.
pub(crate) trait EventVocabulary: Send + 'static {
    /// Decodes one SSE event into `out`; an `Err` ends the stream with that error.
    fn event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) -> Result<Flow, Error>;

    /// The connection closed without an end marker: `Ok` if that is a normal end for
    /// this vocabulary (events may still be pushed), else the error to report.
    fn closed(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), Error> {
        let _ = out;
        Err(Error::Stream(
            "the stream ended before its end marker".to_owned(),
        ))
    }
}

/// An event's `data:` as JSON (padding and key order tolerated).
pub(crate) fn event_json(event: &SseEvent) -> Result<Value, Error> {
    serde_json::from_str(&event.data).map_err(|_| {
        Error::Stream(format!(
            "invalid JSON in a stream event: {}",
            event.data.chars().take(200).collect::<String>()
        ))
    })
}

/// The error a provider reported inside a 200 stream.
pub(crate) fn mid_stream_error(message: &str) -> Error {
    Error::Stream(format!(
        "the provider reported an error mid-stream: {message}"
    ))
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

struct Decoder<V> {
    bytes: ByteStream,
    sse: SseDecoder,
    vocabulary: V,
    queue: VecDeque<Result<StreamEvent, Error>>,
    ended: bool,
}

/// Decodes a streaming HTTP response with `vocabulary`.
pub(crate) fn decode<V: EventVocabulary>(
    response: reqwest::Response,
    vocabulary: V,
) -> EventStream {
    let decoder = Decoder {
        bytes: Box::pin(response.bytes_stream()),
        sse: SseDecoder::new(),
        vocabulary,
        queue: VecDeque::new(),
        ended: false,
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
                    Ok(events) => events.iter().for_each(|e| d.handle(e)),
                    Err(e) => d.fail(Error::Stream(e.to_string())),
                },
                Some(Err(e)) => d.fail(Error::Stream(format!(
                    "connection dropped: {}",
                    e.without_url()
                ))),
                None => {
                    if let Ok(Some(event)) = d.sse.finish() {
                        d.handle(&event);
                    }
                    if !d.ended {
                        let mut out = Vec::new();
                        let closed = d.vocabulary.closed(&mut out);
                        d.queue.extend(out.into_iter().map(Ok));
                        if let Err(e) = closed {
                            d.queue.push_back(Err(e));
                        }
                    }
                    d.ended = true;
                }
            }
        }
    }))
}

impl<V: EventVocabulary> Decoder<V> {
    fn fail(&mut self, error: Error) {
        self.queue.push_back(Err(error));
        self.ended = true;
    }

    fn handle(&mut self, event: &SseEvent) {
        if self.ended {
            return;
        }
        let mut out = Vec::new();
        let flow = self.vocabulary.event(event, &mut out);
        self.queue.extend(out.into_iter().map(Ok));
        match flow {
            Ok(Flow::Continue) => {}
            Ok(Flow::End) => self.ended = true,
            Err(e) => self.fail(e),
        }
    }
}
