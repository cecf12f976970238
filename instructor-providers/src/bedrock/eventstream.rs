//! The `application/vnd.amazon.eventstream` framing ConverseStream answers in, decoded
//! from bytes that may arrive cut anywhere.
//!
//! A message is a 12-byte prelude (total length, headers length, both big-endian
//! `u32`, then the CRC32 of those 8 bytes), the headers, the payload, and the CRC32
//! of everything before it. A header is a one-byte name length, the name, a one-byte
//! value type and the value (bool true/false carry no bytes; byte, short, int, long,
//! timestamp and UUID have fixed sizes; byte arrays and strings a two-byte length).
//!
//! This decoder is written here rather than taken from `aws-smithy-eventstream`: that
//! crate's errors are one opaque type (a CRC mismatch cannot be told from a bad
//! header by a caller), it needs `bytes-utils`' segmented buffers, and it is still a
//! 0.x release; the format is small and its checks are all below, each a
//! [`FrameError`] variant.

use bytes::{Buf, BytesMut};

/// The longest message accepted (16 MiB, AWS's own limit): a longer declared length
/// is an error rather than an allocation.
pub const MAX_MESSAGE_BYTES: u32 = 16 * 1024 * 1024;

const PRELUDE: usize = 12;
/// The prelude and the message CRC: the smallest message there is.
const MIN_MESSAGE: u32 = 16;

/// Why an event stream cannot be decoded. Carried as the
/// [`source`](std::error::Error::source) of
/// [`Error::Stream`](instructor_core::Error::Stream).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The prelude's CRC32 does not match its 8 bytes.
    #[error(
        "event-stream prelude checksum mismatch (expected {expected:#010x}, computed {actual:#010x})"
    )]
    PreludeCrc {
        /// The CRC the frame carries.
        expected: u32,
        /// The CRC of the bytes received.
        actual: u32,
    },
    /// The message's CRC32 does not match its bytes.
    #[error(
        "event-stream message checksum mismatch (expected {expected:#010x}, computed {actual:#010x})"
    )]
    MessageCrc {
        /// The CRC the frame carries.
        expected: u32,
        /// The CRC of the bytes received.
        actual: u32,
    },
    /// The prelude declares lengths that cannot be (too short, too long, or headers
    /// longer than the message).
    #[error("event-stream message with impossible lengths (total {total}, headers {headers})")]
    InvalidLength {
        /// The declared total length.
        total: u32,
        /// The declared headers length.
        headers: u32,
    },
    /// A header that cannot be read (cut short, unknown value type, not UTF-8).
    #[error("invalid event-stream header: {0}")]
    InvalidHeader(&'static str),
    /// The connection closed in the middle of a message.
    #[error("the event stream ended inside a message ({buffered} bytes of it received)")]
    Truncated {
        /// The bytes of the unfinished message that had arrived.
        buffered: usize,
    },
}

/// One decoded message: its string headers (other header types are read and
/// skipped) and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) payload: Vec<u8>,
}

impl Frame {
    /// A string header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Accumulates bytes and yields each complete message.
#[derive(Debug, Default)]
pub(crate) struct FrameDecoder {
    buffer: BytesMut,
    /// Set after an error: nothing more is decoded.
    failed: bool,
}

impl FrameDecoder {
    /// Adds `chunk` and returns the messages it completes; after an error the stream
    /// is over (a later call returns nothing).
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<Vec<Frame>, FrameError> {
        if self.failed {
            return Ok(Vec::new());
        }
        self.buffer.extend_from_slice(chunk);
        let mut frames = Vec::new();
        loop {
            match self.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => return Ok(frames),
                Err(e) => {
                    self.failed = true;
                    self.buffer.clear();
                    return Err(e);
                }
            }
        }
    }

    /// The connection closed: an unfinished message is [`FrameError::Truncated`].
    pub(crate) fn finish(&mut self) -> Result<(), FrameError> {
        if self.failed || self.buffer.is_empty() {
            return Ok(());
        }
        let buffered = self.buffer.len();
        self.buffer.clear();
        Err(FrameError::Truncated { buffered })
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.buffer.len() < PRELUDE {
            return Ok(None);
        }
        let total = be_u32(&self.buffer[0..4]);
        let headers = be_u32(&self.buffer[4..8]);
        let expected = be_u32(&self.buffer[8..12]);
        let actual = crc32fast::hash(&self.buffer[0..8]);
        // The lengths are trusted only once their checksum holds.
        if expected != actual {
            return Err(FrameError::PreludeCrc { expected, actual });
        }
        if !(MIN_MESSAGE..=MAX_MESSAGE_BYTES).contains(&total) || headers > total - MIN_MESSAGE {
            return Err(FrameError::InvalidLength { total, headers });
        }
        let total = total as usize;
        if self.buffer.len() < total {
            return Ok(None);
        }
        let message = self.buffer.split_to(total);
        let expected = be_u32(&message[total - 4..]);
        let actual = crc32fast::hash(&message[..total - 4]);
        if expected != actual {
            return Err(FrameError::MessageCrc { expected, actual });
        }
        let header_end = PRELUDE + headers as usize;
        Ok(Some(Frame {
            headers: read_headers(&message[PRELUDE..header_end])?,
            payload: message[header_end..total - 4].to_vec(),
        }))
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    let mut b = bytes;
    b.get_u32()
}

/// Reads every header; string values are kept, the others skipped.
fn read_headers(mut bytes: &[u8]) -> Result<Vec<(String, String)>, FrameError> {
    let mut out = Vec::new();
    while bytes.has_remaining() {
        let name_len = take(&mut bytes, 1)?[0] as usize;
        let name = utf8(take(&mut bytes, name_len)?)?;
        let kind = take(&mut bytes, 1)?[0];
        let fixed = match kind {
            0 | 1 => 0,
            2 => 1,
            3 => 2,
            4 => 4,
            5 | 8 => 8,
            9 => 16,
            6 | 7 => {
                let len = take(&mut bytes, 2)?;
                let len = u16::from_be_bytes([len[0], len[1]]) as usize;
                let value = take(&mut bytes, len)?;
                if kind == 7 {
                    out.push((name, utf8(value)?));
                }
                continue;
            }
            _ => return Err(FrameError::InvalidHeader("unknown value type")),
        };
        take(&mut bytes, fixed)?;
    }
    Ok(out)
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], FrameError> {
    if bytes.len() < n {
        return Err(FrameError::InvalidHeader("cut short"));
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn utf8(bytes: &[u8]) -> Result<String, FrameError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| FrameError::InvalidHeader("not UTF-8"))
}

/// Encodes one message with string headers (for tests).
#[cfg(test)]
pub(crate) fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut head = Vec::new();
    for (name, value) in headers {
        head.push(name.len() as u8);
        head.extend_from_slice(name.as_bytes());
        head.push(7);
        head.extend_from_slice(&(value.len() as u16).to_be_bytes());
        head.extend_from_slice(value.as_bytes());
    }
    let total = (PRELUDE + head.len() + payload.len() + 4) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&(head.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use super::{Frame, FrameDecoder, FrameError, encode};
    use proptest::prelude::*;

    fn event(kind: &str, payload: &str) -> Vec<u8> {
        encode(
            &[
                (":event-type", kind),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            payload.as_bytes(),
        )
    }

    fn stream() -> Vec<u8> {
        [
            event("messageStart", r#"{"role":"assistant"}"#),
            event(
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"Zoë 😀"}}"#,
            ),
            event("messageStop", r#"{"stopReason":"end_turn"}"#),
        ]
        .concat()
    }

    fn decode_in(bytes: &[u8], cuts: &[usize]) -> Result<Vec<Frame>, FrameError> {
        let mut decoder = FrameDecoder::default();
        let mut frames = Vec::new();
        let mut start = 0;
        for &cut in cuts.iter().chain([&bytes.len()]) {
            let cut = cut.clamp(start, bytes.len());
            frames.extend(decoder.push(&bytes[start..cut])?);
            start = cut;
        }
        decoder.finish()?;
        Ok(frames)
    }

    #[test]
    fn a_message_decodes_with_its_string_headers_and_payload() {
        let frames = decode_in(&stream(), &[]).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[1].header(":event-type"), Some("contentBlockDelta"));
        assert_eq!(frames[1].header(":message-type"), Some("event"));
        assert!(
            String::from_utf8(frames[1].payload.clone())
                .unwrap()
                .contains("Zoë 😀")
        );
    }

    #[test]
    fn every_header_value_type_is_read_and_skipped_but_strings() {
        // bool true, bool false, byte, short, int, long, bytes, timestamp, uuid, string.
        let mut head = Vec::new();
        let mut add = |name: &str, kind: u8, value: &[u8]| {
            head.push(name.len() as u8);
            head.extend_from_slice(name.as_bytes());
            head.push(kind);
            head.extend_from_slice(value);
        };
        add("t", 0, &[]);
        add("f", 1, &[]);
        add("b", 2, &[7]);
        add("s", 3, &[0, 7]);
        add("i", 4, &[0, 0, 0, 7]);
        add("l", 5, &[0; 8]);
        add("a", 6, &[0, 2, 0xff, 0xfe]);
        add("ts", 8, &[0; 8]);
        add("u", 9, &[0; 16]);
        add(":event-type", 7, &[0, 3, b'a', b'b', b'c']);
        let mut frame = Vec::new();
        let total = (12 + head.len() + 2 + 4) as u32;
        frame.extend_from_slice(&total.to_be_bytes());
        frame.extend_from_slice(&(head.len() as u32).to_be_bytes());
        let crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        frame.extend_from_slice(&head);
        frame.extend_from_slice(b"{}");
        let crc = crc32fast::hash(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        let frames = decode_in(&frame, &[]).unwrap();
        assert_eq!(
            frames[0].headers,
            vec![(":event-type".to_owned(), "abc".to_owned())]
        );
        assert_eq!(frames[0].payload, b"{}");
    }

    #[test]
    fn a_flipped_byte_is_a_checksum_error_of_the_part_it_is_in() {
        let bytes = stream();
        let mut prelude = bytes.clone();
        prelude[2] ^= 1;
        assert!(matches!(
            decode_in(&prelude, &[]),
            Err(FrameError::PreludeCrc { .. })
        ));
        let mut prelude_crc = bytes.clone();
        prelude_crc[9] ^= 1;
        assert!(matches!(
            decode_in(&prelude_crc, &[]),
            Err(FrameError::PreludeCrc { .. })
        ));
        // A byte of the first message's headers, then one of its payload.
        for at in [60, 100] {
            let mut body = bytes.clone();
            body[at] ^= 1;
            assert!(matches!(
                decode_in(&body, &[]),
                Err(FrameError::MessageCrc { .. })
            ));
        }
        let mut last = bytes;
        let n = last.len();
        last[n - 1] ^= 1;
        assert!(matches!(
            decode_in(&last, &[]),
            Err(FrameError::MessageCrc { .. })
        ));
    }

    #[test]
    fn a_stream_cut_inside_a_message_is_truncated() {
        let bytes = stream();
        for cut in [1, 11, 12, 30, bytes.len() - 1] {
            let error = decode_in(&bytes[..cut], &[]).unwrap_err();
            assert!(
                matches!(error, FrameError::Truncated { .. }),
                "{cut}: {error}"
            );
        }
    }

    #[test]
    fn impossible_lengths_are_refused_without_allocating() {
        for (total, headers) in [
            (15u32, 0u32),
            (u32::MAX, 0),
            (100, 90),
            (16 * 1024 * 1024 + 1, 0),
        ] {
            let mut frame = Vec::new();
            frame.extend_from_slice(&total.to_be_bytes());
            frame.extend_from_slice(&headers.to_be_bytes());
            let crc = crc32fast::hash(&frame);
            frame.extend_from_slice(&crc.to_be_bytes());
            assert_eq!(
                decode_in(&frame, &[]),
                Err(FrameError::InvalidLength { total, headers })
            );
        }
    }

    proptest! {
        #[test]
        fn any_chunking_of_a_valid_stream_decodes_the_same(
            mut cuts in proptest::collection::vec(0usize..400, 0..40)
        ) {
            let bytes = stream();
            cuts.sort_unstable();
            prop_assert_eq!(decode_in(&bytes, &cuts).unwrap(), decode_in(&bytes, &[]).unwrap());
        }

        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(0usize..600, 0..10)
        ) {
            let _ = decode_in(&bytes, &cuts);
        }

        #[test]
        fn a_valid_prelude_over_random_bytes_never_panics(
            headers_len in 0u32..64,
            body in proptest::collection::vec(any::<u8>(), 0..120),
        ) {
            let total = (12 + body.len() + 4) as u32;
            let mut frame = Vec::new();
            frame.extend_from_slice(&total.to_be_bytes());
            frame.extend_from_slice(&headers_len.to_be_bytes());
            let crc = crc32fast::hash(&frame);
            frame.extend_from_slice(&crc.to_be_bytes());
            frame.extend_from_slice(&body);
            let crc = crc32fast::hash(&frame);
            frame.extend_from_slice(&crc.to_be_bytes());
            let _ = decode_in(&frame, &[]);
        }
    }
}
