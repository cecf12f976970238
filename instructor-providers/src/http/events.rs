//! The loop every streaming provider shares: bytes from the connection, SSE events
//! out of them, and a provider's [`EventVocabulary`] turning each event into neutral
//! [`StreamEvent`]s. A dropped connection or a stream that ends before the
//! vocabulary's end marker is a typed error; a stream that outlives its request's
//! timeout is [`Error::Timeout`].

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use instructor_core::provider::{EventStream, StreamEvent};
use instructor_core::{Error, ErrorDetail};
use serde_json::Value;

use super::sse::{SseDecoder, SseEventRef};

/// Whether the stream goes on after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// More events may follow.
    Continue,
    /// The end marker arrived: the stream is complete. (Gemini's streams have no
    /// end marker.)
    #[cfg_attr(
        not(any(
            feature = "openai",
            feature = "anthropic",
            feature = "cohere",
            feature = "bedrock"
        )),
        allow(dead_code)
    )]
    End,
}

/// A provider's streaming event vocabulary.
pub(crate) trait EventVocabulary: Send + Unpin + 'static {
    /// Decodes one SSE event into `out`; an `Err` ends the stream with that error.
    fn event(&mut self, event: SseEventRef<'_>, out: &mut Vec<StreamEvent>) -> Result<Flow, Error>;

    /// The connection closed without an end marker: `Ok` if that is a normal end for
    /// this vocabulary (events may still be pushed), else the error to report.
    fn closed(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), Error> {
        let _ = out;
        Err(Error::stream(
            "the stream ended before its end marker".to_owned(),
        ))
    }
}

/// An event's `data:` as JSON (padding and key order tolerated).
pub(crate) fn event_json(data: &str) -> Result<Value, Error> {
    serde_json::from_str(data).map_err(|e| {
        Error::Stream(ErrorDetail::with_source(
            format!(
                "invalid JSON in a stream event: {}",
                data.chars().take(200).collect::<String>()
            ),
            e,
        ))
    })
}

/// The error a provider reported inside a 200 stream.
pub(crate) fn mid_stream_error(message: &str) -> Error {
    Error::stream(format!(
        "the provider reported an error mid-stream: {message}"
    ))
}

/// The timeout of the request a streamed response answers (set by the transport as
/// a response extension, so a timeout in the middle of the stream reports it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestTimeout(pub(crate) Duration);

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// The stream of decoded events: bytes in, SSE events through the vocabulary, neutral
/// events out (several per SSE event, queued).
struct Decoder<V> {
    bytes: ByteStream,
    sse: SseDecoder,
    sink: Sink<V>,
    /// The request's timeout, when known.
    timeout: Option<Duration>,
}

/// Where SSE events go: the vocabulary, and the queue of what it made of them.
struct Sink<V> {
    vocabulary: V,
    /// The vocabulary's output for one event (reused).
    out: Vec<StreamEvent>,
    queue: VecDeque<Result<StreamEvent, Error>>,
    ended: bool,
}

/// Decodes a streaming HTTP response with `vocabulary`.
pub(crate) fn decode<V: EventVocabulary>(
    response: reqwest::Response,
    vocabulary: V,
) -> EventStream {
    let timeout = response.extensions().get::<RequestTimeout>().map(|t| t.0);
    Box::pin(Decoder {
        timeout,
        bytes: Box::pin(response.bytes_stream()),
        sse: SseDecoder::new(),
        sink: Sink {
            vocabulary,
            out: Vec::new(),
            queue: VecDeque::new(),
            ended: false,
        },
    })
}

impl<V: EventVocabulary> Stream for Decoder<V> {
    type Item = Result<StreamEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let d = &mut *self;
        loop {
            if let Some(event) = d.sink.queue.pop_front() {
                return Poll::Ready(Some(event));
            }
            if d.sink.ended {
                return Poll::Ready(None);
            }
            match d.bytes.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    let sink = &mut d.sink;
                    if let Err(e) = d.sse.push_with(&chunk, |event| sink.handle(event)) {
                        sink.fail(Error::Stream(ErrorDetail::with_source(
                            "the event stream is malformed",
                            e,
                        )));
                    }
                }
                Poll::Ready(Some(Err(e))) => d.sink.fail(match d.timeout {
                    Some(timeout) if e.is_timeout() => Error::Timeout(timeout),
                    _ => Error::Stream(ErrorDetail::with_source(
                        "the connection dropped",
                        e.without_url(),
                    )),
                }),
                Poll::Ready(None) => {
                    let sink = &mut d.sink;
                    // An invalid last line is dropped with the stream: the end marker
                    // check below reports what is missing.
                    let _ = d.sse.finish_with(|event| sink.handle(event));
                    sink.closed();
                }
            }
        }
    }
}

impl<V: EventVocabulary> Sink<V> {
    fn fail(&mut self, error: Error) {
        if !self.ended {
            self.queue.push_back(Err(error));
            self.ended = true;
        }
    }

    fn handle(&mut self, event: SseEventRef<'_>) {
        if self.ended {
            return;
        }
        let flow = self.vocabulary.event(event, &mut self.out);
        self.queue.extend(self.out.drain(..).map(Ok));
        match flow {
            Ok(Flow::Continue) => {}
            Ok(Flow::End) => self.ended = true,
            Err(e) => self.fail(e),
        }
    }

    /// The connection closed: the vocabulary says whether that was a normal end.
    fn closed(&mut self) {
        if !self.ended {
            let closed = self.vocabulary.closed(&mut self.out);
            self.queue.extend(self.out.drain(..).map(Ok));
            if let Err(e) = closed {
                self.queue.push_back(Err(e));
            }
        }
        self.ended = true;
    }
}
