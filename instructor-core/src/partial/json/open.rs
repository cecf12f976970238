//! Raw-text mode: views of the value being written, for readers that keep a typed
//! partial in place and catch up with each change instead of re-reading the whole
//! answer: the root object's open entry ([`PartialJson::open_root_entry`]), the text
//! of an open value so far ([`OpenValue::json`]), an open string's visible text, and
//! an open array's completed items by input offset ([`OpenList`]).

use super::{Frame, ObjectState, PartialJson, Token};

/// A value still being written, in raw-text mode: the open child of a container on
/// the parser's open path. Offsets are input offsets (stable across chunks).
#[derive(Debug, Clone, Copy)]
pub struct OpenValue<'p> {
    parser: &'p PartialJson,
    /// Index of the container (in the parser's stack) the value is the open child of.
    level: usize,
}

/// An array still being written (see [`OpenValue::list`]).
#[derive(Debug, Clone, Copy)]
pub struct OpenList<'p> {
    parser: &'p PartialJson,
    /// Index of the array in the parser's stack.
    level: usize,
}

impl PartialJson {
    /// Raw-text mode: the root object's entry being written, once its value shows in
    /// a snapshot (a container or a string has started; a number or literal shows
    /// only once complete): its key and its value so far.
    pub fn open_root_entry(&self) -> Option<(&str, OpenValue<'_>)> {
        self.raw.as_ref()?;
        let Some(Frame::Object {
            key: Some(key),
            state: ObjectState::Value,
            ..
        }) = self.stack.first()
        else {
            return None;
        };
        let value = OpenValue {
            parser: self,
            level: 0,
        };
        value.visible().then_some((key.as_str(), value))
    }

    /// Raw-text mode: whether the root value has started.
    pub fn root_started(&self) -> bool {
        self.raw.as_ref().is_some_and(|raw| raw.start.is_some())
    }

    /// Raw-text mode: whether the root value has started and is an object.
    pub fn root_is_object(&self) -> bool {
        self.raw
            .as_ref()
            .is_some_and(|raw| raw.root().first() == Some(&b'{'))
    }

    /// The raw text between input offsets `from` and `to`, when both lie in it.
    fn raw_slice(&self, from: usize, to: usize) -> Option<&str> {
        let raw = self.raw.as_ref()?;
        let start = raw.start?;
        let bytes = raw
            .root()
            .get(from.checked_sub(start)?..to.checked_sub(start)?)?;
        std::str::from_utf8(bytes).ok()
    }
}

impl<'p> OpenValue<'p> {
    /// Whether the value shows in a snapshot.
    fn visible(&self) -> bool {
        let depth = self.parser.stack.len();
        depth > self.level + 1
            || depth == self.level + 1
                && matches!(self.parser.token, Token::String { is_key: false, .. })
    }

    /// Input offset of the value's first byte: it identifies the value across chunks.
    pub fn start(&self) -> usize {
        match (self.parser.stack.get(self.level + 1), &self.parser.token) {
            (Some(frame), _) => frame.start(),
            (None, Token::String { start, .. }) => *start,
            (None, _) => 0,
        }
    }

    /// The visible text (decoded) when the value is a string being written.
    pub fn string(&self) -> Option<&'p str> {
        self.string_after(0)
    }

    /// The visible text of a string being written from its byte `from` on, where
    /// `from` ends text seen before (so a char boundary): only the bytes after it are
    /// checked, O(what is new). `None` when the value is not a string being written
    /// or `from` lies past its bytes.
    pub fn string_after(&self, from: usize) -> Option<&'p str> {
        if self.parser.stack.len() != self.level + 1 {
            return None;
        }
        match &self.parser.token {
            Token::String {
                bytes,
                is_key: false,
                ..
            } => {
                let new = bytes.get(from..)?;
                Some(match std::str::from_utf8(new) {
                    Ok(text) => text,
                    Err(e) => std::str::from_utf8(&new[..e.valid_up_to()]).unwrap_or_default(),
                })
            }
            _ => None,
        }
    }

    /// The value so far as JSON, closed the way a snapshot closes it (what the
    /// snapshot holds at this place).
    pub fn json(&self) -> Option<String> {
        let (cut, suffix) = self.parser.raw_cut()?;
        let raw = self.parser.raw.as_ref()?;
        let start = self.start().checked_sub(raw.start?)?;
        // The containers up to this value's own parent are closed by the last bytes.
        let own = suffix.len().checked_sub(self.level + 1)?;
        let mut text = std::str::from_utf8(raw.root().get(start..cut)?)
            .ok()?
            .to_owned();
        text.push_str(std::str::from_utf8(&suffix[..own]).ok()?);
        Some(text)
    }

    /// The array, when the value is one.
    pub fn list(&self) -> Option<OpenList<'p>> {
        match self.parser.stack.get(self.level + 1) {
            Some(Frame::Array { .. }) => Some(OpenList {
                parser: self.parser,
                level: self.level + 1,
            }),
            _ => None,
        }
    }
}

impl<'p> OpenList<'p> {
    fn frame(&self) -> Option<&'p Frame> {
        self.parser.stack.get(self.level)
    }

    /// Input offset just past the `[`.
    pub fn items_start(&self) -> usize {
        self.frame().map_or(0, |f| f.start() + 1)
    }

    /// Input offset just past the last completed item (or the `[`).
    pub fn completed_end(&self) -> usize {
        self.frame().map_or(0, Frame::resume)
    }

    /// The completed items' text between input offsets `from` and `to` (both from
    /// [`Self::items_start`] or [`Self::completed_end`]): items separated by commas,
    /// with a comma possibly in front.
    pub fn text(&self, from: usize, to: usize) -> Option<&'p str> {
        self.parser.raw_slice(from, to)
    }

    /// The item being written, once it shows in a snapshot.
    pub fn open_item(&self) -> Option<OpenValue<'p>> {
        let item = OpenValue {
            parser: self.parser,
            level: self.level,
        };
        item.visible().then_some(item)
    }
}
