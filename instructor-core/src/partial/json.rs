//! An incremental partial-JSON parser. Push chunks split anywhere (inside a UTF-8
//! sequence, an escape, a number); each byte is examined once and the state is kept
//! between chunks, so the work per chunk is proportional to the chunk. A snapshot of
//! the value so far is materialised only on request.
//!
//! Policies:
//! - an unfinished **string** is shown with what has arrived (decoded; a truncated
//!   escape or UTF-8 sequence is held back), and reported by [`PartialJson::open_path`];
//! - an unfinished **number** or **literal** (`-`, `1.`, `1e`, `tr`) is not shown until
//!   it is terminated, so a value never flickers (`1` then `12`) or changes type;
//! - an unfinished **key** is not shown; a key without its value yet is not shown;
//! - a **missing end** is not an error until [`PartialJson::finish`];
//! - nesting deeper than [`Limits::max_depth`] and input beyond [`Limits::max_bytes`]
//!   are typed errors.
//!
//! In lenient mode (for model output) leading prose and markdown fences are skipped
//! up to the first `{` or `[`, and anything after the closing bracket is ignored.

use serde_json::{Map, Value};

use crate::validate::PathSegment;

/// Why the input is not (a prefix of) valid JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PartialJsonError {
    /// A byte that cannot appear here.
    #[error("unexpected {found} at byte {offset}")]
    Unexpected {
        /// What was found.
        found: String,
        /// Its offset in the input.
        offset: usize,
    },
    /// A number that is not valid JSON.
    #[error("invalid number `{text}` at byte {offset}")]
    InvalidNumber {
        /// The number as written.
        text: String,
        /// Where it ended.
        offset: usize,
    },
    /// Invalid UTF-8 in a string.
    #[error("invalid UTF-8 in a string ending at byte {offset}")]
    InvalidUtf8 {
        /// Where the string ended.
        offset: usize,
    },
    /// Nesting deeper than allowed.
    #[error("nesting deeper than {limit} levels")]
    DepthLimit {
        /// The limit.
        limit: usize,
    },
    /// More input than allowed.
    #[error("input larger than {limit} bytes")]
    SizeLimit {
        /// The limit.
        limit: usize,
    },
    /// The input ended before the value was complete.
    #[error("the input ended before the JSON value was complete")]
    Incomplete,
    /// The input held no JSON value at all.
    #[error("no JSON value in the input")]
    Empty,
}

/// Resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest allowed nesting of arrays and objects.
    pub max_depth: usize,
    /// Largest allowed input, in bytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 128,
            max_bytes: 256 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectState {
    KeyOrEnd,
    Key,
    Colon,
    Value,
    CommaOrEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    ValueOrEnd,
    Value,
    CommaOrEnd,
}

#[derive(Debug)]
enum Frame {
    Object {
        map: Map<String, Value>,
        key: Option<String>,
        state: ObjectState,
    },
    Array {
        items: Vec<Value>,
        state: ArrayState,
        /// Completed items are handed out instead of kept (see `item_path`).
        collect: bool,
        count: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    Backslash,
    Unicode { digits: u8, value: u32 },
}

#[derive(Debug)]
enum Token {
    None,
    String {
        bytes: Vec<u8>,
        is_key: bool,
        escape: Escape,
        /// A high surrogate waiting for its low half.
        high_surrogate: Option<u32>,
    },
    Number(String),
    Literal(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the root value (lenient: skipping prose and fences).
    Before,
    /// Inside the root value.
    Inside,
    /// After the root value.
    Done,
}

/// The incremental parser. See the module docs for its policies.
#[derive(Debug)]
pub struct PartialJson {
    limits: Limits,
    lenient: bool,
    phase: Phase,
    stack: Vec<Frame>,
    token: Token,
    root: Option<Value>,
    offset: usize,
    item_path: Option<Vec<String>>,
    items: Vec<Value>,
    error: Option<PartialJsonError>,
    /// Bumped whenever the structure of the snapshot changes (see `visible_version`).
    visible: u64,
    /// Bytes of every finished string value so far (see `visible_version`).
    closed_text: usize,
}

impl PartialJson {
    /// A strict parser: the input must be exactly one JSON value (whitespace around it).
    pub fn new() -> Self {
        Self::with_limits(Limits::default(), false)
    }

    /// A lenient parser for model output: skips leading prose and markdown fences up
    /// to the first `{` or `[`, and ignores what follows the value.
    pub fn lenient() -> Self {
        Self::with_limits(Limits::default(), true)
    }

    /// A parser with explicit limits.
    pub fn with_limits(limits: Limits, lenient: bool) -> Self {
        Self {
            limits,
            lenient,
            phase: Phase::Before,
            stack: Vec::new(),
            token: Token::None,
            root: None,
            offset: 0,
            item_path: None,
            items: Vec::new(),
            error: None,
            visible: 0,
            closed_text: 0,
        }
    }

    /// Hands out the items of the array at `path` (object keys from the root; empty
    /// for a root array) as each one completes, instead of keeping them: see
    /// [`PartialJson::take_items`]. Memory stays bounded by the largest item.
    #[must_use]
    pub fn with_item_path(mut self, path: &[&str]) -> Self {
        self.item_path = Some(path.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// Feeds a chunk of text.
    pub fn push_str(&mut self, chunk: &str) -> Result<(), PartialJsonError> {
        self.push(chunk.as_bytes())
    }

    /// Feeds a chunk of bytes (may end inside a UTF-8 sequence).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), PartialJsonError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.offset.saturating_add(chunk.len()) > self.limits.max_bytes {
            return self.fail(PartialJsonError::SizeLimit {
                limit: self.limits.max_bytes,
            });
        }
        for &byte in chunk {
            if let Err(e) = self.byte(byte) {
                return self.fail(e);
            }
            self.offset += 1;
        }
        Ok(())
    }

    /// Ends the input: the complete value, or why there is none.
    pub fn finish(&mut self) -> Result<Value, PartialJsonError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        // A number or literal at the very end of a root scalar is terminated by the end.
        if self.stack.is_empty() && matches!(self.token, Token::Number(_) | Token::Literal(_)) {
            if let Err(e) = self.end_scalar() {
                return self.fail(e);
            }
        }
        match (self.phase, self.root.take()) {
            (Phase::Done, Some(v)) => Ok(v),
            (Phase::Before, _) => Err(PartialJsonError::Empty),
            _ => Err(PartialJsonError::Incomplete),
        }
    }

    /// Whether the root value is complete.
    pub fn is_complete(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Completed items of the item path since the last call (see [`Self::with_item_path`]).
    pub fn take_items(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.items)
    }

    /// The path of the value still being written (empty when nothing is open). Every
    /// value not on this path is final.
    pub fn open_path(&self) -> Vec<PathSegment> {
        let mut path = Vec::new();
        for frame in &self.stack {
            match frame {
                Frame::Object {
                    key: Some(k),
                    state: ObjectState::Value,
                    ..
                } => path.push(PathSegment::Field(k.clone())),
                Frame::Array {
                    items,
                    count,
                    collect,
                    ..
                } => path.push(PathSegment::Index(if *collect {
                    *count
                } else {
                    items.len()
                })),
                Frame::Object { .. } => break,
            }
        }
        path
    }

    /// Changes exactly when [`Self::snapshot`] would return a different value: a
    /// structural counter (a container or string opened, a scalar or an item
    /// completed) and the length of all string values so far, counting only what is
    /// visible of the one being written (a UTF-8 sequence cut by a chunk boundary is
    /// not visible yet). O(1): lets a caller skip
    /// materialising an unchanged snapshot.
    pub fn visible_version(&self) -> (u64, usize) {
        let text = match &self.token {
            Token::String {
                bytes,
                is_key: false,
                ..
            } => bytes.len() - incomplete_utf8_tail(bytes),
            _ => 0,
        };
        (self.visible, self.closed_text + text)
    }

    /// The completed entries of the root object so far, in order (the entry still
    /// being written is not among them); `None` unless the root is an object.
    pub fn completed_root_entries(&self) -> Option<&Map<String, Value>> {
        match (self.stack.first(), &self.root) {
            (Some(Frame::Object { map, .. }), _) => Some(map),
            (None, Some(Value::Object(map))) => Some(map),
            _ => None,
        }
    }

    /// The value so far, materialised (`None` before the root value starts).
    pub fn snapshot(&self) -> Option<Value> {
        if let Some(root) = &self.root {
            return Some(root.clone());
        }
        let mut child = self.partial_token();
        for frame in self.stack.iter().rev() {
            let value = match frame {
                Frame::Object { map, key, state } => {
                    let mut map = map.clone();
                    if let (Some(k), ObjectState::Value, Some(v)) = (key, state, child.take()) {
                        map.insert(k.clone(), v);
                    }
                    Value::Object(map)
                }
                Frame::Array { items, .. } => {
                    let mut items = items.clone();
                    items.extend(child.take());
                    Value::Array(items)
                }
            };
            child = Some(value);
        }
        child
    }

    fn partial_token(&self) -> Option<Value> {
        match &self.token {
            Token::String {
                bytes,
                is_key: false,
                ..
            } => Some(Value::String(valid_prefix(bytes))),
            _ => None,
        }
    }

    fn fail<T>(&mut self, error: PartialJsonError) -> Result<T, PartialJsonError> {
        self.error = Some(error.clone());
        Err(error)
    }

    fn unexpected(&self, byte: u8) -> PartialJsonError {
        let found = if byte.is_ascii_graphic() {
            format!("`{}`", byte as char)
        } else {
            format!("byte 0x{byte:02x}")
        };
        PartialJsonError::Unexpected {
            found,
            offset: self.offset,
        }
    }

    fn byte(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        match &mut self.token {
            Token::String { .. } => return self.string_byte(byte),
            Token::Number(text) => {
                if matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    text.push(byte as char);
                    return Ok(());
                }
                self.end_scalar()?;
            }
            Token::Literal(text) => {
                if byte.is_ascii_alphabetic() {
                    text.push(byte as char);
                    return self.check_literal();
                }
                self.end_scalar()?;
            }
            Token::None => {}
        }
        self.structural(byte)
    }

    fn structural(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        match self.phase {
            Phase::Before => {
                if self.lenient {
                    if matches!(byte, b'{' | b'[') {
                        self.phase = Phase::Inside;
                        return self.value_start(byte);
                    }
                    return Ok(());
                }
                if is_ws(byte) {
                    return Ok(());
                }
                self.phase = Phase::Inside;
                return self.value_start(byte);
            }
            Phase::Done => {
                return if self.lenient || is_ws(byte) {
                    Ok(())
                } else {
                    Err(self.unexpected(byte))
                };
            }
            Phase::Inside => {}
        }
        if is_ws(byte) {
            return Ok(());
        }
        let Some(frame) = self.stack.last_mut() else {
            return Err(self.unexpected(byte));
        };
        match frame {
            Frame::Object { state, .. } => match (*state, byte) {
                (ObjectState::KeyOrEnd, b'}') => self.close(),
                (ObjectState::KeyOrEnd | ObjectState::Key, b'"') => {
                    *state = ObjectState::Colon;
                    self.token = new_string(true);
                    Ok(())
                }
                (ObjectState::Colon, b':') => {
                    *state = ObjectState::Value;
                    Ok(())
                }
                (ObjectState::Value, _) => self.value_start(byte),
                (ObjectState::CommaOrEnd, b',') => {
                    *state = ObjectState::Key;
                    Ok(())
                }
                (ObjectState::CommaOrEnd, b'}') => self.close(),
                _ => Err(self.unexpected(byte)),
            },
            Frame::Array { state, .. } => match (*state, byte) {
                (ArrayState::ValueOrEnd, b']') | (ArrayState::CommaOrEnd, b']') => self.close(),
                (ArrayState::ValueOrEnd | ArrayState::Value, _) => self.value_start(byte),
                (ArrayState::CommaOrEnd, b',') => {
                    *state = ArrayState::Value;
                    Ok(())
                }
                _ => Err(self.unexpected(byte)),
            },
        }
    }

    fn value_start(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        match byte {
            b'{' | b'[' => {
                if self.stack.len() >= self.limits.max_depth {
                    return Err(PartialJsonError::DepthLimit {
                        limit: self.limits.max_depth,
                    });
                }
                let frame = if byte == b'{' {
                    Frame::Object {
                        map: Map::new(),
                        key: None,
                        state: ObjectState::KeyOrEnd,
                    }
                } else {
                    Frame::Array {
                        items: Vec::new(),
                        state: ArrayState::ValueOrEnd,
                        collect: self.at_item_path(),
                        count: 0,
                    }
                };
                self.stack.push(frame);
                self.visible += 1;
                Ok(())
            }
            b'"' => {
                self.token = new_string(false);
                self.visible += 1;
                Ok(())
            }
            b'-' | b'0'..=b'9' => {
                self.token = Token::Number((byte as char).to_string());
                Ok(())
            }
            b't' | b'f' | b'n' => {
                self.token = Token::Literal((byte as char).to_string());
                Ok(())
            }
            _ => Err(self.unexpected(byte)),
        }
    }

    /// Whether an array opened now sits at the configured item path.
    fn at_item_path(&self) -> bool {
        let Some(path) = &self.item_path else {
            return false;
        };
        let mut keys = Vec::new();
        for frame in &self.stack {
            match frame {
                Frame::Object { key: Some(k), .. } => keys.push(k.as_str()),
                _ => return false,
            }
        }
        keys.len() == path.len() && keys.iter().zip(path).all(|(a, b)| a == b)
    }

    fn close(&mut self) -> Result<(), PartialJsonError> {
        let value = match self.stack.pop() {
            Some(Frame::Object { map, .. }) => Value::Object(map),
            Some(Frame::Array { items, .. }) => Value::Array(items),
            None => return Err(PartialJsonError::Incomplete),
        };
        self.complete(value);
        Ok(())
    }

    /// Places a finished value in its parent (or as the root).
    fn complete(&mut self, value: Value) {
        // A finished string or container was already visible as it was written; a
        // number or literal appears only now, and a handed-out item disappears.
        let collected = matches!(self.stack.last(), Some(Frame::Array { collect: true, .. }));
        if collected || !matches!(value, Value::String(_) | Value::Object(_) | Value::Array(_)) {
            self.visible += 1;
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
                self.phase = Phase::Done;
            }
            Some(Frame::Object { map, key, state }) => {
                if let Some(k) = key.take() {
                    map.insert(k, value);
                }
                *state = ObjectState::CommaOrEnd;
            }
            Some(Frame::Array {
                items,
                state,
                collect,
                count,
            }) => {
                if *collect {
                    self.items.push(value);
                    *count += 1;
                } else {
                    items.push(value);
                }
                *state = ArrayState::CommaOrEnd;
            }
        }
    }

    fn check_literal(&mut self) -> Result<(), PartialJsonError> {
        let Token::Literal(text) = &self.token else {
            return Ok(());
        };
        let value = match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            t if "true".starts_with(t) || "false".starts_with(t) || "null".starts_with(t) => {
                return Ok(());
            }
            t => {
                return Err(PartialJsonError::Unexpected {
                    found: format!("`{t}`"),
                    offset: self.offset,
                });
            }
        };
        self.token = Token::None;
        self.complete(value);
        Ok(())
    }

    /// Terminates a number (or an unfinished literal) at a delimiter or the end.
    fn end_scalar(&mut self) -> Result<(), PartialJsonError> {
        match std::mem::replace(&mut self.token, Token::None) {
            Token::Number(text) => {
                let value = parse_number(&text).ok_or(PartialJsonError::InvalidNumber {
                    text,
                    offset: self.offset,
                })?;
                self.complete(value);
                Ok(())
            }
            Token::Literal(text) => Err(PartialJsonError::Unexpected {
                found: format!("`{text}`"),
                offset: self.offset,
            }),
            other => {
                self.token = other;
                Ok(())
            }
        }
    }

    fn string_byte(&mut self, byte: u8) -> Result<(), PartialJsonError> {
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
                flush_surrogate(bytes, high_surrogate);
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
                push_code_unit(bytes, high_surrogate, value);
            }
            Escape::None => match byte {
                b'"' => return self.end_string(),
                b'\\' => *escape = Escape::Backslash,
                0x00..=0x1f => {
                    return Err(PartialJsonError::Unexpected {
                        found: format!("control character 0x{byte:02x} in a string"),
                        offset,
                    });
                }
                _ => {
                    flush_surrogate(bytes, high_surrogate);
                    bytes.push(byte);
                }
            },
        }
        Ok(())
    }

    fn end_string(&mut self) -> Result<(), PartialJsonError> {
        let Token::String {
            mut bytes,
            is_key,
            mut high_surrogate,
            ..
        } = std::mem::replace(&mut self.token, Token::None)
        else {
            return Ok(());
        };
        flush_surrogate(&mut bytes, &mut high_surrogate);
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
            self.complete(Value::String(text));
            Ok(())
        }
    }
}

impl Default for PartialJson {
    fn default() -> Self {
        Self::new()
    }
}

fn new_string(is_key: bool) -> Token {
    Token::String {
        bytes: Vec::new(),
        is_key,
        escape: Escape::None,
        high_surrogate: None,
    }
}

fn is_ws(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// A lone high surrogate (not followed by its low half) becomes U+FFFD.
fn flush_surrogate(bytes: &mut Vec<u8>, high: &mut Option<u32>) {
    if high.take().is_some() {
        bytes.extend_from_slice("\u{fffd}".as_bytes());
    }
}

/// Appends a `\uXXXX` code unit, pairing surrogates.
fn push_code_unit(bytes: &mut Vec<u8>, high: &mut Option<u32>, unit: u32) {
    let c = match (high.take(), unit) {
        (Some(h), 0xDC00..=0xDFFF) => {
            char::from_u32(0x10000 + ((h - 0xD800) << 10) + (unit - 0xDC00))
        }
        (previous, 0xD800..=0xDBFF) => {
            if previous.is_some() {
                bytes.extend_from_slice("\u{fffd}".as_bytes());
            }
            *high = Some(unit);
            return;
        }
        (previous, _) => {
            if previous.is_some() {
                bytes.extend_from_slice("\u{fffd}".as_bytes());
            }
            char::from_u32(unit)
        }
    };
    let mut buf = [0u8; 4];
    bytes.extend_from_slice(c.unwrap_or('\u{fffd}').encode_utf8(&mut buf).as_bytes());
}

/// How many bytes at the end of `bytes` are an unfinished UTF-8 sequence.
fn incomplete_utf8_tail(bytes: &[u8]) -> usize {
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
fn valid_prefix(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) => String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
    }
}

/// Parses a complete JSON number (grammar checked first; serde_json converts).
fn parse_number(text: &str) -> Option<Value> {
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
