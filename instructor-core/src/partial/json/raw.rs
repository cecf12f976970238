//! Raw-text mode: the parser keeps the input of the root value as written (about the
//! size of the JSON) instead of completed [`Value`]s (with their maps, often ten times
//! that), and a snapshot is deserialized straight from that text, cut at the last
//! visible point and closed (`"`, `}`, `]`) in place. The parser still checks every
//! byte and tracks what is visible, so the cut point is known in O(1).

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Frame, PartialJson, PartialJsonError, Phase, Token};

/// The input of the root value and where its completed top-level entries lie.
#[derive(Debug, Default)]
pub(super) struct RawText {
    /// Input offset of the root value's first byte, once it has started.
    pub(super) start: Option<usize>,
    /// Input offset just past the root value, once it has ended.
    end: Option<usize>,
    /// The root value's input so far.
    pub(super) text: Vec<u8>,
    /// Input offset where the top-level value being written started.
    field_start: usize,
    /// Completed top-level entries: the key and the value's range in `text`.
    fields: Vec<(String, Range<usize>)>,
}

impl RawText {
    /// The root value starts at input offset `offset`.
    pub(super) fn start_at(&mut self, offset: usize) {
        self.start = Some(offset);
    }

    /// The root value ends just before input offset `offset`.
    pub(super) fn end_at(&mut self, offset: usize) {
        self.end = Some(offset);
    }

    /// A top-level value starts at input offset `offset`.
    pub(super) fn field_starts_at(&mut self, offset: usize) {
        self.field_start = offset;
    }

    /// The top-level value of `key` ends just before input offset `end`.
    pub(super) fn field_ends_at(&mut self, key: String, end: usize) {
        if let Some(start) = self.start {
            self.fields
                .push((key, self.field_start - start..end - start));
        }
    }

    /// Keeps the part of `chunk` (which began at input offset `first`) that lies
    /// inside the root value.
    pub(super) fn capture(&mut self, chunk: &[u8], first: usize) {
        let Some(start) = self.start else {
            return;
        };
        let from = start.max(first) - first;
        let to = self.end.map_or(chunk.len(), |end| {
            end.saturating_sub(first).min(chunk.len())
        });
        if from < to {
            self.text.extend_from_slice(&chunk[from..to]);
        }
    }
}

impl PartialJson {
    /// Raw-text mode: each completed entry of the root object so far, in order, as its
    /// key and its JSON text as written (the entry still being written is not among
    /// them). Empty in the default mode (see [`Self::completed_root_entries`]).
    pub fn completed_root_json(&self) -> impl Iterator<Item = (&str, &str)> {
        self.completed_root_json_from(0)
    }

    /// [`Self::completed_root_json`] from the `skip`-th entry on: the entries before
    /// it are passed over in O(1) (their text is not looked at again).
    pub fn completed_root_json_from(&self, skip: usize) -> impl Iterator<Item = (&str, &str)> {
        self.raw.iter().flat_map(move |raw| {
            let rest = raw.fields.get(skip..).unwrap_or_default();
            rest.iter().filter_map(|(key, range)| {
                let json = std::str::from_utf8(raw.text.get(range.clone())?).ok()?;
                Some((key.as_str(), json))
            })
        })
    }

    /// Raw-text mode: the completed entries of the root object as one JSON object, as
    /// written (`{}` before any completes); `None` in the default mode or unless the
    /// root is an object.
    pub fn completed_root_text(&self) -> Option<String> {
        let raw = self.raw.as_ref()?;
        if raw.text.first() != Some(&b'{') {
            return None;
        }
        let end = raw.fields.last().map_or(1, |(_, range)| range.end);
        let mut text = String::from_utf8_lossy(raw.text.get(..end)?).into_owned();
        text.push('}');
        Some(text)
    }

    /// Raw-text mode: the value so far deserialized as `P` straight from the input
    /// (no intermediate [`Value`]), with the same policies as [`Self::snapshot`].
    /// `None` in the default mode, before the root value starts, or while nothing of
    /// it is visible; `Some(Err(..))` when `P` does not accept the value so far.
    pub fn snapshot_as<P: DeserializeOwned>(&mut self) -> Option<Result<P, serde_json::Error>> {
        let (cut, suffix) = self.raw_cut()?;
        let raw = self.raw.as_mut()?;
        if cut > raw.text.len() {
            return None;
        }
        // Close the value in place, read it, then put the held-back input back.
        let tail = raw.text.split_off(cut);
        raw.text.extend_from_slice(&suffix);
        let parsed = serde_json::from_slice(&raw.text);
        raw.text.truncate(cut);
        raw.text.extend_from_slice(&tail);
        Some(parsed)
    }

    /// [`Self::snapshot`] in raw-text mode.
    pub(super) fn raw_snapshot_value(&self) -> Option<Value> {
        let (cut, suffix) = self.raw_cut()?;
        let raw = self.raw.as_ref()?;
        let mut text = Vec::with_capacity(cut + suffix.len());
        text.extend_from_slice(raw.text.get(..cut)?);
        text.extend_from_slice(&suffix);
        serde_json::from_slice(&text).ok()
    }

    /// [`Self::finish`] in raw-text mode: the complete root value, read from its text.
    pub(super) fn raw_value(&self) -> Result<Value, PartialJsonError> {
        let text = self.raw.as_ref().map_or(&[][..], |raw| &raw.text);
        serde_json::from_slice(text).map_err(|e| PartialJsonError::Unexpected {
            found: format!("JSON serde_json rejects ({e})"),
            offset: self.offset,
        })
    }

    /// Where to cut the root value's text (an index into it) and what closes it
    /// there: the visible part of a string being written, then a `}` or `]` per open
    /// container. `None` while nothing is visible.
    pub(super) fn raw_cut(&self) -> Option<(usize, Vec<u8>)> {
        let raw = self.raw.as_ref()?;
        let start = raw.start?;
        if self.phase == Phase::Done {
            return Some((raw.text.len(), Vec::new()));
        }
        let mut suffix = Vec::new();
        let cut = match &self.token {
            Token::String {
                bytes,
                is_key: false,
                start,
                ..
            } => {
                let visible = match std::str::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
                };
                serde_json::to_writer(&mut suffix, visible).ok()?;
                *start
            }
            // A key, number or literal being written is not shown: cut after the
            // last completed value (or the opening bracket) of the innermost container.
            _ => self.stack.last()?.resume(),
        };
        suffix.extend(self.stack.iter().rev().map(|frame| match frame {
            Frame::Object { .. } => b'}',
            Frame::Array { .. } => b']',
        }));
        Some((cut.checked_sub(start)?, suffix))
    }
}
