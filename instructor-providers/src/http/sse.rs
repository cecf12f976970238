//! A Server-Sent Events decoder: chunk boundaries anywhere (inside a line, between
//! CR and LF, inside a UTF-8 character), comments (`: keep-alive`), `event:` names,
//! multi-line `data:` (joined with `\n`), and LF, CRLF or CR line ends. Pure: bytes
//! in, events out.
//!
//! [`SseDecoder::push_with`] hands each event to a callback, borrowed from buffers the
//! decoder reuses (no allocation per line or event once they have grown);
//! [`SseDecoder::push`] collects owned copies.

/// One dispatched event, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// One dispatched event, borrowed from the decoder until the callback returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEventRef<'a> {
    /// The `event:` name, if any.
    pub event: Option<&'a str>,
    /// The `data:` lines joined with `\n`.
    pub data: &'a str,
}

impl SseEventRef<'_> {
    /// An owned copy.
    pub fn to_event(&self) -> SseEvent {
        SseEvent {
            event: self.event.map(str::to_owned),
            data: self.data.to_owned(),
        }
    }
}

/// Why the stream is not valid SSE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// A line that is not UTF-8.
    #[error("invalid UTF-8 in an event-stream line")]
    InvalidUtf8,
    /// A line longer than the limit.
    #[error("an event-stream line exceeds {0} bytes")]
    LineTooLong(usize),
    /// An event whose `data:` lines together are longer than the limit.
    #[error("an event-stream event exceeds {0} bytes of data")]
    EventTooLong(usize),
}

/// The longest line accepted (a guard against a server that never ends a line).
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// The most data one event may gather from its `data:` lines (a guard against a
/// server that never ends an event).
pub const MAX_EVENT: usize = 64 * 1024 * 1024;

/// Incremental SSE decoder.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// The start of a line whose end has not arrived yet.
    line: Vec<u8>,
    /// The last byte was a CR: a LF right after it ends nothing.
    after_cr: bool,
    /// The event being built: its name and data (valid when the flags say so).
    event: String,
    has_event: bool,
    data: String,
    has_data: bool,
}

impl SseDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the events completed by them.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        self.push_with(chunk, |event| events.push(event.to_event()))?;
        Ok(events)
    }

    /// Feeds bytes; calls `on_event` with each event they complete, in order. After an
    /// error the decoder's state is unspecified (the stream is invalid).
    pub fn push_with<F>(&mut self, chunk: &[u8], mut on_event: F) -> Result<(), SseError>
    where
        F: FnMut(SseEventRef<'_>),
    {
        let mut rest = chunk;
        if self.after_cr
            && let Some((&first, tail)) = rest.split_first()
        {
            self.after_cr = false;
            if first == b'\n' {
                rest = tail;
            }
        }
        while let Some(end) = memchr::memchr2(b'\n', b'\r', rest) {
            let ends_with_cr = rest[end] == b'\r';
            let (part, after) = (&rest[..end], &rest[end + 1..]);
            if self.line.is_empty() {
                check_length(0, part)?;
                self.line_done(part, &mut on_event)?;
            } else {
                check_length(self.line.len(), part)?;
                // Taken and put back, so its allocation is reused.
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(part);
                self.line_done(&line, &mut on_event)?;
                line.clear();
                self.line = line;
            }
            rest = after;
            if ends_with_cr {
                // CRLF is one line end, even split between two chunks.
                match rest.split_first() {
                    Some((b'\n', tail)) => rest = tail,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        check_length(self.line.len(), rest)?;
        self.line.extend_from_slice(rest);
        Ok(())
    }

    /// Ends the stream: an event left without its blank line is dispatched.
    pub fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        let mut event = None;
        self.finish_with(|e| event = Some(e.to_event()))?;
        Ok(event)
    }

    /// Ends the stream: calls `on_event` with an event left without its blank line.
    pub fn finish_with<F>(&mut self, mut on_event: F) -> Result<(), SseError>
    where
        F: FnMut(SseEventRef<'_>),
    {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            self.line_done(&line, &mut on_event)?;
        }
        self.dispatch(&mut on_event);
        Ok(())
    }

    fn line_done<F>(&mut self, line: &[u8], on_event: &mut F) -> Result<(), SseError>
    where
        F: FnMut(SseEventRef<'_>),
    {
        match line.first() {
            None => {
                self.dispatch(on_event);
                return Ok(());
            }
            Some(b':') => return Ok(()),
            Some(_) => {}
        }
        let line = std::str::from_utf8(line).map_err(|_| SseError::InvalidUtf8)?;
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => {
                self.event.clear();
                self.event.push_str(value);
                self.has_event = true;
            }
            "data" => {
                if self.data.len().saturating_add(value.len()) >= MAX_EVENT {
                    return Err(SseError::EventTooLong(MAX_EVENT));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
        Ok(())
    }

    /// A blank line: the event built so far, if it has data, goes out; the next starts
    /// empty.
    fn dispatch<F>(&mut self, on_event: &mut F)
    where
        F: FnMut(SseEventRef<'_>),
    {
        if self.has_data {
            on_event(SseEventRef {
                event: self.has_event.then_some(self.event.as_str()),
                data: &self.data,
            });
        }
        self.event.clear();
        self.has_event = false;
        self.data.clear();
        self.has_data = false;
    }
}

/// A line of `buffered` bytes so far plus `part` must stay within [`MAX_LINE`].
fn check_length(buffered: usize, part: &[u8]) -> Result<(), SseError> {
    if buffered.saturating_add(part.len()) > MAX_LINE {
        return Err(SseError::LineTooLong(MAX_LINE));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &[u8], size: usize) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for chunk in input.chunks(size) {
            out.extend(d.push(chunk).unwrap());
        }
        out.extend(d.finish().unwrap());
        out
    }

    #[test]
    fn events_survive_any_chunking() {
        let input = b": OPENROUTER PROCESSING\r\n\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\ndata: line1\ndata: line2\n\n: keep-alive\n\ndata:[DONE]\r\rdata: tail";
        let expected = vec![
            SseEvent {
                event: Some("message_start".into()),
                data: "{\"a\":1}".into(),
            },
            SseEvent {
                event: None,
                data: "line1\nline2".into(),
            },
            SseEvent {
                event: None,
                data: "[DONE]".into(),
            },
            SseEvent {
                event: None,
                data: "tail".into(),
            },
        ];
        for size in 1..=input.len() {
            assert_eq!(decode_in_pieces(input, size), expected, "chunk size {size}");
        }
    }

    #[test]
    fn events_survive_any_two_split_points() {
        // CRLF, CR and LF ends, a multi-byte character, a comment, an event name and
        // multi-line data: every way of cutting it into three chunks decodes the same.
        let input =
            "event: a\r\ndata: h\u{e9}llo \u{1f600}\r\ndata: x\r\r: c\ndata:y\n\n\r\ndata: z";
        let input = input.as_bytes();
        let whole = decode_in_pieces(input, input.len());
        assert_eq!(
            whole,
            vec![
                SseEvent {
                    event: Some("a".into()),
                    data: "h\u{e9}llo \u{1f600}\nx".into(),
                },
                SseEvent {
                    event: None,
                    data: "y".into(),
                },
                SseEvent {
                    event: None,
                    data: "z".into(),
                },
            ]
        );
        for i in 0..=input.len() {
            for j in i..=input.len() {
                let mut d = SseDecoder::new();
                let mut out = Vec::new();
                for piece in [&input[..i], &input[i..j], &input[j..]] {
                    out.extend(d.push(piece).unwrap());
                }
                out.extend(d.finish().unwrap());
                assert_eq!(out, whole, "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn push_with_lends_each_event_in_order() {
        let mut d = SseDecoder::new();
        let mut seen = Vec::new();
        d.push_with(b"event: e\ndata: 1\n\ndata: 2\n\ndata: 3", |e| {
            seen.push((e.event.map(str::to_owned), e.data.to_owned()));
        })
        .unwrap();
        d.finish_with(|e| seen.push((e.event.map(str::to_owned), e.data.to_owned())))
            .unwrap();
        let expected = [(Some("e"), "1"), (None, "2"), (None, "3")]
            .map(|(e, d)| (e.map(str::to_owned), d.to_owned()));
        assert_eq!(seen, expected);
    }

    #[test]
    fn an_overlong_line_is_an_error_even_across_chunks() {
        let mut d = SseDecoder::new();
        d.push(b"data: ").unwrap();
        let long = vec![b'x'; MAX_LINE];
        assert_eq!(d.push(&long).unwrap_err(), SseError::LineTooLong(MAX_LINE));
    }

    /// Decodes `input` cut at `cuts`: the events, or the first error.
    fn decode_cut(input: &[u8], cuts: &[usize]) -> Result<Vec<SseEvent>, SseError> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        let mut start = 0;
        for &cut in cuts.iter().chain([&input.len()]) {
            let cut = cut.clamp(start, input.len());
            out.extend(d.push(&input[start..cut])?);
            start = cut;
        }
        out.extend(d.finish()?);
        Ok(out)
    }

    /// Bytes a hostile or broken server might send: field names, line ends of
    /// every kind, a multi-byte character, invalid UTF-8, any byte.
    fn arb_stream() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            prop::sample::select(vec![
                &b"data:"[..],
                b"data: ",
                b"event: ",
                b"id: 1",
                b"retry: 99999999999999999999",
                b":",
                b"\n",
                b"\r",
                b"\r\n",
                b"\n\n",
                b"[DONE]",
                b"{\"a\":1}",
                "\u{e9}\u{1f600}".as_bytes(),
                b"\xff",
                b"\xe2\x82",
                b"\x00",
            ])
            .prop_map(<[u8]>::to_vec),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        #[test]
        fn any_bytes_any_chunking_decode_alike_or_fail_alike(
            (input, cuts) in arb_stream().prop_flat_map(|input| {
                let n = input.len();
                (proptest::strategy::Just(input), proptest::collection::vec(0..=n, 0..6))
            })
        ) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            let whole = decode_cut(&input, &[]);
            let cut = decode_cut(&input, &cuts);
            proptest::prop_assert_eq!(whole.is_ok(), cut.is_ok(), "{:?} / {:?}", whole, cut);
            if let (Ok(whole), Ok(cut)) = (whole, cut) {
                proptest::prop_assert_eq!(whole, cut);
            }
        }
    }

    #[test]
    fn an_endless_event_is_an_error() {
        let mut d = SseDecoder::new();
        let line = vec![b'x'; 1024 * 1024];
        let mut result = Ok(Vec::new());
        for _ in 0..=MAX_EVENT / line.len() {
            result = d
                .push(b"data: ")
                .and_then(|_| d.push(&line))
                .and_then(|_| d.push(b"\n"));
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result.unwrap_err(), SseError::EventTooLong(MAX_EVENT));
    }

    #[test]
    fn comments_alone_dispatch_nothing_and_bad_utf8_is_an_error() {
        assert!(decode_in_pieces(b": ping\n\n: ping\n\n", 3).is_empty());
        let mut d = SseDecoder::new();
        assert_eq!(
            d.push(b"data: \xff\xfe\n").unwrap_err(),
            SseError::InvalidUtf8
        );
    }
}
