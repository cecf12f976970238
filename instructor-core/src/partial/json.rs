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
//! A parser for a client's answer ([`PartialJson::answer`]) starts only at a `{` (every
//! answer is an object) and abandons a root that breaks before any value inside it
//! started (`{the}` in prose), resuming the scan where it broke.
//!
//! Lenient syntax ([`PartialJson::with_lenient_syntax`], for models that write
//! almost-JSON) repairs trailing commas, comments, single quotes, unquoted keys and raw
//! control characters in strings on the way in (see `repair`), so every policy above
//! holds for the repaired text.
//!
//! What has completed is kept in one of two ways: by default as [`Value`]s (for
//! [`PartialJson::snapshot`], [`PartialJson::completed_root_entries`] and item paths),
//! or in raw-text mode ([`PartialJson::with_raw_text`]) as the input text itself,
//! several times smaller, from which a typed snapshot is deserialized directly
//! ([`PartialJson::snapshot_as`]). Both modes show exactly the same values.

use serde_json::{Map, Value};

use self::raw::RawText;
use self::repair::Repair;
use self::text::{incomplete_utf8_tail, is_ws, new_string, parse_number, valid_prefix};
use crate::validate::PathSegment;

mod error;
mod open;
mod raw;
mod repair;
mod text;

pub use self::error::{Limits, PartialJsonError};
pub use self::open::{OpenList, OpenValue};

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
        /// Input offset just past the `{` or the last completed entry.
        resume: usize,
        /// Input offset of the `{`.
        start: usize,
        /// The visible version just before the latest value in it started.
        child: (u64, usize),
    },
    Array {
        items: Vec<Value>,
        state: ArrayState,
        /// Completed items are handed out instead of kept (see `item_path`).
        collect: bool,
        count: usize,
        /// Input offset just past the `[` or the last completed item.
        resume: usize,
        /// Input offset of the `[`.
        start: usize,
        /// The visible version just before the latest item started.
        child: (u64, usize),
    },
}

impl Frame {
    fn resume(&self) -> usize {
        match self {
            Frame::Object { resume, .. } | Frame::Array { resume, .. } => *resume,
        }
    }

    fn start(&self) -> usize {
        match self {
            Frame::Object { start, .. } | Frame::Array { start, .. } => *start,
        }
    }

    fn child_mut(&mut self) -> &mut (u64, usize) {
        match self {
            Frame::Object { child, .. } | Frame::Array { child, .. } => child,
        }
    }
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
        /// Input offset of the opening quote.
        start: usize,
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
    /// Raw-text mode: the input of the root value, kept instead of completed values.
    raw: Option<RawText>,
    /// Lenient syntax: the repairer in front of the parser.
    repair: Option<Repair>,
    /// The root must be an object; a root that breaks before a value in it started
    /// is abandoned and the scan resumed.
    object_root: bool,
    /// Whether a value inside the root has started (it is not abandoned then).
    committed: bool,
    /// Input bytes received (offsets count the bytes fed, repaired).
    input: usize,
    /// Raw-text mode with repairs or abandons: what the current chunk fed.
    emitted: Vec<u8>,
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

    /// A parser for a client's answer, which is always a JSON object: lenient (see
    /// [`Self::lenient`]) but starting only at a `{`; a root that breaks before any
    /// value inside it started (`{the}`, `{1}` in prose) is abandoned and the scan
    /// resumes at the byte that broke it.
    pub fn answer() -> Self {
        let mut parser = Self::lenient();
        parser.object_root = true;
        parser
    }

    /// Lenient syntax, for models that write almost-JSON: trailing commas, `//` and
    /// `/* */` comments, single-quoted strings, unquoted keys, raw control characters
    /// and unknown escapes in strings, and Python's `True`/`False`/`None` are
    /// accepted, repaired into strict JSON before the parser sees them. Offsets (in
    /// errors, in raw-text mode) then count the repaired text.
    #[must_use]
    pub fn with_lenient_syntax(mut self) -> Self {
        self.repair = Some(Repair::default());
        self
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
            raw: None,
            repair: None,
            object_root: false,
            committed: false,
            input: 0,
            emitted: Vec::new(),
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

    /// Raw-text mode, for typed snapshots of large values: the input of the root value
    /// is kept as text (about its own size) instead of as completed [`Value`]s (often
    /// ten times that), and snapshots are deserialized straight from it (see
    /// [`Self::snapshot_as`] and [`Self::completed_root_json`]).
    /// [`Self::completed_root_entries`] then stays empty. Not meant for an item path.
    #[must_use]
    pub fn with_raw_text(mut self) -> Self {
        self.raw = Some(RawText::default());
        self
    }

    /// Feeds a chunk of text.
    pub fn push_str(&mut self, chunk: &str) -> Result<(), PartialJsonError> {
        self.push(chunk.as_bytes())
    }

    /// Feeds a chunk of bytes (may end inside a UTF-8 sequence).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), PartialJsonError> {
        if self.input.saturating_add(chunk.len()) > self.limits.max_bytes {
            if let Some(e) = &self.error {
                return Err(e.clone());
            }
            return self.fail(PartialJsonError::SizeLimit {
                limit: self.limits.max_bytes,
            });
        }
        self.input += chunk.len();
        // Past the size limit nothing more is kept (the input has a gap from there).
        if let Some(raw) = &mut self.raw
            && !matches!(self.error, Some(PartialJsonError::SizeLimit { .. }))
        {
            raw.keep_all(chunk);
        }
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.repair.is_some() || self.object_root {
            return self.push_filtered(chunk);
        }
        let first = self.offset;
        for (i, &byte) in chunk.iter().enumerate() {
            if let Err(e) = self.byte(byte) {
                // What was read before the bad byte stays, so a snapshot after the
                // error shows the same as one before it.
                if let Some(raw) = &mut self.raw {
                    raw.capture(&chunk[..i], first);
                }
                return self.fail(e);
            }
            self.offset += 1;
        }
        if let Some(raw) = &mut self.raw {
            raw.capture(chunk, first);
        }
        Ok(())
    }

    /// [`Self::push`] with repairs or abandons: the bytes fed are not the chunk's.
    fn push_filtered(&mut self, chunk: &[u8]) -> Result<(), PartialJsonError> {
        let first = self.offset;
        self.emitted.clear();
        for &byte in chunk {
            let fed = if self.repair.is_some() {
                self.lenient_byte(byte)
            } else {
                self.feed(byte)
            };
            if let Err(e) = fed {
                self.capture_emitted(first);
                return self.fail(e);
            }
        }
        self.capture_emitted(first);
        Ok(())
    }

    /// Raw-text mode: keeps what was fed since input offset `first`.
    fn capture_emitted(&mut self, first: usize) {
        if let Some(raw) = &mut self.raw {
            raw.capture(&self.emitted, first);
        }
    }

    /// Feeds one byte to the parser; with an object root, a root broken before any
    /// value in it started is abandoned and the byte read again as prose.
    fn feed(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        if let Err(e) = self.byte(byte) {
            if !(self.object_root && self.phase == Phase::Inside && !self.committed) {
                return Err(e);
            }
            self.abandon_root();
            self.byte(byte)?;
        }
        if self.raw.is_some() {
            self.emitted.push(byte);
        }
        self.offset += 1;
        Ok(())
    }

    /// Forgets a root that turned out to be prose: back to scanning for one.
    fn abandon_root(&mut self) {
        self.stack.clear();
        self.token = Token::None;
        self.phase = Phase::Before;
        self.visible += 1;
        if let Some(raw) = &mut self.raw {
            raw.abandon();
        }
        if let Some(repair) = &mut self.repair {
            *repair = Repair::default();
        }
    }

    /// Ends the input: the complete value, or why there is none. The value is moved
    /// out: a second call reports [`PartialJsonError::Incomplete`]. After an error
    /// every call (push or finish) returns that error, and snapshots keep showing
    /// what was visible before it.
    pub fn finish(&mut self) -> Result<Value, PartialJsonError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.repair.is_some() {
            let first = self.offset;
            self.emitted.clear();
            let flushed = self.flush_repair();
            self.capture_emitted(first);
            if let Err(e) = flushed {
                return self.fail(e);
            }
        }
        // A number or literal at the very end of a root scalar is terminated by the end.
        if self.stack.is_empty()
            && matches!(self.token, Token::Number(_) | Token::Literal(_))
            && let Err(e) = self.end_scalar()
        {
            return self.fail(e);
        }
        match (self.phase, self.root.take()) {
            (Phase::Done, Some(_)) if self.raw.is_some() => self.raw_value(),
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
                Frame::Array { count, .. } => path.push(PathSegment::Index(*count)),
                Frame::Object { .. } => break,
            }
        }
        path
    }

    /// The visible version (see [`Self::visible_version`]) just before the value at
    /// `depth` segments of the open path started (`None` for the root).
    pub(crate) fn version_before(&self, depth: usize) -> Option<(u64, usize)> {
        let parent = self.stack.get(depth.checked_sub(1)?)?;
        Some(match parent {
            Frame::Object { child, .. } | Frame::Array { child, .. } => *child,
        })
    }

    /// [`Self::open_path`], or `None` once the value is complete.
    pub(crate) fn open_path_if_open(&self) -> Option<Vec<PathSegment>> {
        (!self.is_complete()).then(|| self.open_path())
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
    /// In raw-text mode the entries are not kept: see [`Self::completed_root_json`].
    pub fn completed_root_entries(&self) -> Option<&Map<String, Value>> {
        match (self.stack.first(), &self.root) {
            (Some(Frame::Object { map, .. }), _) => Some(map),
            (None, Some(Value::Object(map))) => Some(map),
            _ => None,
        }
    }

    /// The value so far, materialised (`None` before the root value starts).
    pub fn snapshot(&self) -> Option<Value> {
        if self.raw.is_some() {
            return self.raw_snapshot_value();
        }
        if let Some(root) = &self.root {
            return Some(root.clone());
        }
        let mut child = self.partial_token();
        for frame in self.stack.iter().rev() {
            let value = match frame {
                Frame::Object {
                    map, key, state, ..
                } => {
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
                let opens = if self.object_root {
                    byte == b'{'
                } else {
                    matches!(byte, b'{' | b'[')
                };
                if self.lenient && !opens || !self.lenient && is_ws(byte) {
                    return Ok(());
                }
                self.phase = Phase::Inside;
                self.committed = false;
                if let Some(raw) = &mut self.raw {
                    raw.start_at(self.offset);
                }
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
                    self.token = new_string(true, self.offset);
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

    /// A value starts with `byte`; inside the root, the root is then committed (not
    /// abandoned as prose).
    fn value_start(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        let nested = !self.stack.is_empty();
        self.open_value(byte)?;
        self.committed |= nested;
        Ok(())
    }

    fn open_value(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        if self.stack.len() == 1
            && let Some(raw) = &mut self.raw
        {
            raw.field_starts_at(self.offset);
        }
        let resume = self.offset + 1;
        let before = self.visible_version();
        if let Some(parent) = self.stack.last_mut() {
            *parent.child_mut() = before;
        }
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
                        resume,
                        start: self.offset,
                        child: before,
                    }
                } else {
                    Frame::Array {
                        items: Vec::new(),
                        state: ArrayState::ValueOrEnd,
                        collect: self.at_item_path(),
                        count: 0,
                        resume,
                        start: self.offset,
                        child: before,
                    }
                };
                self.stack.push(frame);
                self.visible += 1;
                Ok(())
            }
            b'"' => {
                self.token = new_string(false, self.offset);
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
        self.complete(value, self.offset + 1);
        Ok(())
    }

    /// Places a finished value (ending just before input offset `end`) in its parent
    /// (or as the root). In raw-text mode only the root keeps it.
    fn complete(&mut self, value: Value, end: usize) {
        // A finished string or container was already visible as it was written; a
        // number or literal appears only now, and a handed-out item disappears.
        let collected = matches!(self.stack.last(), Some(Frame::Array { collect: true, .. }));
        if collected || !matches!(value, Value::String(_) | Value::Object(_) | Value::Array(_)) {
            self.visible += 1;
        }
        let depth = self.stack.len();
        match self.stack.last_mut() {
            None => {
                if let Some(raw) = &mut self.raw {
                    raw.end_at(end);
                }
                self.root = Some(value);
                self.phase = Phase::Done;
            }
            Some(Frame::Object {
                map,
                key,
                state,
                resume,
                ..
            }) => {
                *resume = end;
                *state = ObjectState::CommaOrEnd;
                match (key.take(), &mut self.raw) {
                    (Some(k), Some(raw)) if depth == 1 => raw.field_ends_at(k, end),
                    (Some(_), Some(_)) | (None, _) => {}
                    (Some(k), None) => {
                        map.insert(k, value);
                    }
                }
            }
            Some(Frame::Array {
                items,
                state,
                collect,
                count,
                resume,
                ..
            }) => {
                *resume = end;
                *state = ArrayState::CommaOrEnd;
                *count += 1;
                if *collect {
                    self.items.push(value);
                } else if self.raw.is_none() {
                    items.push(value);
                }
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
        self.complete(value, self.offset + 1);
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
                self.complete(value, self.offset);
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
}

impl Default for PartialJson {
    fn default() -> Self {
        Self::new()
    }
}
