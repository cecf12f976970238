//! Byte-level helpers of the parser: strings (escapes, surrogates, UTF-8) and numbers.

use serde_json::Value;

use super::{Escape, Frame, PartialJson, PartialJsonError, Token};
use crate::partial::GrowByHalf;

impl PartialJson {
    pub(super) fn string_byte(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        let offset = self.offset;
        let Token::String {
            bytes,
            escape,
            high_surrogate,
            ..
        } = &mut self.token
        else {
            return Ok(());
        };
        match *escape {
            Escape::Backslash => {
                let decoded = match byte {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        *escape = Escape::Unicode {
                            digits: 0,
                            value: 0,
                        };
                        return Ok(());
                    }
                    _ => {
                        return Err(PartialJsonError::Unexpected {
                            found: format!("escape `\\{}`", byte as char),
                            offset,
                        });
                    }
                };
                no_pending_surrogate(*high_surrogate, offset)?;
                bytes.push(decoded);
                *escape = Escape::None;
            }
            Escape::Unicode { digits, value } => {
                let digit =
                    (byte as char)
                        .to_digit(16)
                        .ok_or_else(|| PartialJsonError::Unexpected {
                            found: format!("`{}` in a \\u escape", byte as char),
                            offset,
                        })?;
                let value = value * 16 + digit;
                if digits < 3 {
                    *escape = Escape::Unicode {
                        digits: digits + 1,
                        value,
                    };
                    return Ok(());
                }
                *escape = Escape::None;
                push_code_unit(bytes, high_surrogate, value, offset)?;
            }
            Escape::None => match byte {
                b'\\' => *escape = Escape::Backslash,
                _ if high_surrogate.is_some() => {
                    no_pending_surrogate(*high_surrogate, offset)?;
                }
                b'"' => return self.end_string(),
                0x00..=0x1f => {
                    return Err(PartialJsonError::Unexpected {
                        found: format!("control character 0x{byte:02x} in a string"),
                        offset,
                    });
                }
                _ => {
                    bytes.reserve_by_half(1);
                    bytes.push(byte);
                }
            },
        }
        Ok(())
    }

    fn end_string(&mut self) -> Result<(), PartialJsonError> {
        let Token::String {
            bytes,
            is_key,
            high_surrogate,
            ..
        } = std::mem::replace(&mut self.token, Token::None)
        else {
            return Ok(());
        };
        no_pending_surrogate(high_surrogate, self.offset)?;
        let text = String::from_utf8(bytes).map_err(|_| PartialJsonError::InvalidUtf8 {
            offset: self.offset,
        })?;
        if is_key {
            if let Some(Frame::Object { key, .. }) = self.stack.last_mut() {
                *key = Some(text);
            }
            Ok(())
        } else {
            self.closed_text += text.len();
            self.complete(Value::String(text), self.offset + 1);
            Ok(())
        }
    }
}

pub(super) fn new_string(is_key: bool, start: usize) -> Token {
    Token::String {
        bytes: Vec::new(),
        is_key,
        start,
        escape: Escape::None,
        high_surrogate: None,
    }
}

pub(super) fn is_ws(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// A high surrogate must be followed at once by its low half (`\\uD83D\\uDE00`);
/// anything else after it is an error, as serde_json has it.
fn no_pending_surrogate(high: Option<u32>, offset: usize) -> Result<(), PartialJsonError> {
    match high {
        Some(unit) => Err(PartialJsonError::LoneSurrogate { unit, offset }),
        None => Ok(()),
    }
}

/// Appends a `\\uXXXX` code unit, pairing surrogates; a surrogate without its other
/// half is an error.
fn push_code_unit(
    bytes: &mut Vec<u8>,
    high: &mut Option<u32>,
    unit: u32,
    offset: usize,
) -> Result<(), PartialJsonError> {
    let code_point = match (high.take(), unit) {
        (Some(h), 0xDC00..=0xDFFF) => 0x10000 + ((h - 0xD800) << 10) + (unit - 0xDC00),
        (Some(h), _) => return Err(PartialJsonError::LoneSurrogate { unit: h, offset }),
        (None, 0xD800..=0xDBFF) => {
            *high = Some(unit);
            return Ok(());
        }
        (None, 0xDC00..=0xDFFF) => return Err(PartialJsonError::LoneSurrogate { unit, offset }),
        (None, _) => unit,
    };
    let c = char::from_u32(code_point).ok_or(PartialJsonError::LoneSurrogate { unit, offset })?;
    let mut buf = [0u8; 4];
    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    Ok(())
}

/// How many bytes at the end of `bytes` are an unfinished UTF-8 sequence.
pub(super) fn incomplete_utf8_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0xc0 != 0x80 {
            // The lead byte of the last sequence: how long it should be.
            let needed = match byte {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => 1,
            };
            return if back < needed { back } else { 0 };
        }
    }
    0
}

/// The longest valid UTF-8 prefix (a sequence cut by a chunk boundary is held back).
pub(super) fn valid_prefix(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) => String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
    }
}

/// Parses a complete JSON number (grammar checked first; serde_json converts).
pub(super) fn parse_number(text: &str) -> Option<Value> {
    let b = text.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = skip_digits(b, i)?,
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i = skip_digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = skip_digits(b, i)?;
    }
    if i != b.len() {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// The index after one or more ASCII digits starting at `i`, or `None` if there are none.
fn skip_digits(b: &[u8], mut i: usize) -> Option<usize> {
    let start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    (i > start).then_some(i)
}
