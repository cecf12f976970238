//! Raw-text mode: the parser keeps the input of the root value as written (about the
//! size of the JSON) instead of completed [`Value`]s (with their maps, often ten times
//! that), and a snapshot is deserialized straight from that text, cut at the last
//! visible point and closed (`"`, `}`, `]`) in place. The parser still checks every
//! byte and tracks what is visible, so the cut point is known in O(1).

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Frame, PartialJson, PartialJsonError, Phase, Token};
use crate::partial::GrowByHalf;

/// The input of the root value and where its completed top-level entries lie.
#[derive(Debug, Default)]
pub(super) struct RawText {
    /// Input offset of the root value's first byte, once it has started.
    pub(super) start: Option<usize>,
    /// Input offset just past the root value, once it has ended.
    end: Option<usize>,
    /// The root value's input so far; with `keep_input`, the whole input (so a byte's
    /// index is its input offset).
    text: Vec<u8>,
    /// Keep every byte fed, not only the root value's: the parser is then the one
    /// holder of the answer's text ([`PartialJson::take_input`]).
    keep_input: bool,
    /// Input offset where the top-level value being written started.
    field_start: usize,
    /// Completed top-level entries: the key and the value's range in `text`.
    fields: Vec<(String, Range<usize>)>,
}

impl RawText {
    /// Where the root value's text begins in `text`.
    fn base(&self) -> usize {
        if self.keep_input {
            self.start.unwrap_or(self.text.len())
        } else {
            0
        }
    }

    /// The root value's text so far (empty before it starts).
    pub(super) fn root(&self) -> &[u8] {
        if !self.keep_input {
            return &self.text;
        }
        let Some(start) = self.start else {
            return &[];
        };
        let end = self.end.unwrap_or(self.text.len()).min(self.text.len());
        self.text.get(start..end).unwrap_or_default()
    }

    /// Forgets the root value (it was prose); the input is kept when it all is.
    pub(super) fn abandon(&mut self) {
        *self = Self {
            text: if self.keep_input {
                std::mem::take(&mut self.text)
            } else {
                Vec::new()
            },
            keep_input: self.keep_input,
            ..Self::default()
        };
    }

    /// Appends `bytes` (see [`GrowByHalf`]).
    fn append(&mut self, bytes: &[u8]) {
        self.text.reserve_by_half(bytes.len());
        self.text.extend_from_slice(bytes);
    }

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
        if self.keep_input {
            return; // kept whole by `keep_all` as it arrives
        }
        let Some(start) = self.start else {
            return;
        };
        let from = start.max(first) - first;
        let to = self.end.map_or(chunk.len(), |end| {
            end.saturating_sub(first).min(chunk.len())
        });
        if let Some(kept) = chunk.get(from..to) {
            self.append(kept);
        }
    }

    /// With `keep_input`, keeps a chunk of input as it arrives (before it is parsed,
    /// so bytes past an error are kept too).
    pub(super) fn keep_all(&mut self, chunk: &[u8]) {
        if self.keep_input {
            self.append(chunk);
        }
    }
}

impl PartialJson {
    /// Raw-text mode that keeps the whole input, not only the root value: the
    /// caller then takes the text back with [`Self::take_input`] instead of keeping a
    /// copy of its own. Without lenient syntax only (repairs change the bytes fed);
    /// with it this is plain raw-text mode.
    pub(crate) fn with_raw_input(mut self) -> Self {
        self.raw = Some(RawText {
            keep_input: self.repair.is_none(),
            ..RawText::default()
        });
        self
    }

    /// Whether the parser keeps its whole input ([`Self::with_raw_input`]).
    pub(crate) fn keeps_input(&self) -> bool {
        self.raw.as_ref().is_some_and(|raw| raw.keep_input)
    }

    /// With [`Self::with_raw_input`]: every byte fed so far (up to the size limit,
    /// errors or not), moved out; the parser keeps no text after it. `None` in any
    /// other mode.
    pub(crate) fn take_input(&mut self) -> Option<String> {
        let raw = self.raw.as_mut().filter(|raw| raw.keep_input)?;
        let text = std::mem::take(&mut raw.text);
        raw.keep_input = false;
        Some(
            String::from_utf8(text)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }

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
                let json = std::str::from_utf8(raw.root().get(range.clone())?).ok()?;
                Some((key.as_str(), json))
            })
        })
    }

    /// Raw-text mode: the completed entries of the root object as one JSON object, as
    /// written (`{}` before any completes); `None` in the default mode or unless the
    /// root is an object.
    pub fn completed_root_text(&self) -> Option<String> {
        let raw = self.raw.as_ref()?;
        let root = raw.root();
        if root.first() != Some(&b'{') {
            return None;
        }
        let end = raw.fields.last().map_or(1, |(_, range)| range.end);
        let mut text = String::from_utf8_lossy(root.get(..end)?).into_owned();
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
        if cut > raw.root().len() {
            return None;
        }
        // Close the value in place, read it, then put the held-back input back.
        let base = raw.base();
        let tail = raw.text.split_off(base + cut);
        raw.text.extend_from_slice(&suffix);
        let parsed = serde_json::from_slice(raw.text.get(base..).unwrap_or_default());
        raw.text.truncate(base + cut);
        raw.text.extend_from_slice(&tail);
        Some(parsed)
    }

    /// [`Self::snapshot`] in raw-text mode.
    pub(super) fn raw_snapshot_value(&self) -> Option<Value> {
        let (cut, suffix) = self.raw_cut()?;
        let raw = self.raw.as_ref()?;
        let mut text = Vec::with_capacity(cut + suffix.len());
        text.extend_from_slice(raw.root().get(..cut)?);
        text.extend_from_slice(&suffix);
        serde_json::from_slice(&text).ok()
    }

    /// [`Self::finish`] in raw-text mode: the complete root value, read from its text.
    pub(super) fn raw_value(&self) -> Result<Value, PartialJsonError> {
        let text = self.raw.as_ref().map_or(&[][..], RawText::root);
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
            return Some((raw.root().len(), Vec::new()));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a failed expectation is a panic

    use proptest::prelude::*;
    use serde_json::Value;

    use super::PartialJson;

    /// Answers as models write them: prose and fences around the value, a root
    /// abandoned as prose, escapes, multi-byte characters, numbers, nesting, an error.
    const ANSWERS: &[&str] = &[
        "  {\"a\": \"x\\\"y\\u00e9 ü 🦀\", \"b\": [1, 2.5e3, {\"c\": null}], \"d\": true}  ",
        "Sure! Here it is:\n```json\n{\"name\": \"Ada\", \"tags\": [\"a\", \"b\"]}\n```\nDone.",
        "I think {the} answer is {\"n\": -12, \"s\": \"tail\"} and more",
        "{\"list\": [{\"k\": \"v\"}, {\"k\": \"w\"}], \"open\": \"never closed",
        "{\"a\": 1, x broken, \"b\": 2}",
    ];

    fn chunks(text: &str, cuts: &[usize]) -> Vec<Vec<u8>> {
        let bytes = text.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.extend([0, bytes.len()]);
        points.sort_unstable();
        points.dedup();
        points
            .windows(2)
            .map(|w| bytes[w[0]..w[1]].to_vec())
            .collect()
    }

    /// What a parser shows: the snapshot, the completed root entries as text, the
    /// completed entries as one object, and the open root entry as text.
    type View = (
        Option<Value>,
        Vec<(String, String)>,
        Option<String>,
        Option<String>,
    );

    fn view(p: &mut PartialJson) -> View {
        let entries = p
            .completed_root_json()
            .map(|(k, json)| (k.to_owned(), json.to_owned()))
            .collect();
        let open = p.open_root_entry().and_then(|(_, value)| value.json());
        let text = p.completed_root_text();
        (
            p.snapshot_as::<Value>().and_then(Result::ok),
            entries,
            text,
            open,
        )
    }

    proptest! {
        /// Keeping the whole input changes nothing the parser shows, after any chunk,
        /// errors included; and the input comes back byte for byte.
        #[test]
        fn keeping_the_input_shows_what_raw_text_mode_shows(
            which in 0..ANSWERS.len(),
            cuts in proptest::collection::vec(0usize..400, 0..12),
            answer_parser in any::<bool>(),
        ) {
            let text = ANSWERS[which];
            let make = || if answer_parser { PartialJson::answer() } else { PartialJson::lenient() };
            let mut kept = make().with_raw_input();
            let mut raw = make().with_raw_text();
            prop_assert!(kept.keeps_input());
            for chunk in chunks(text, &cuts) {
                prop_assert_eq!(kept.push(&chunk).is_ok(), raw.push(&chunk).is_ok());
                prop_assert_eq!(view(&mut kept), view(&mut raw));
                prop_assert_eq!(kept.root_is_object(), raw.root_is_object());
            }
            prop_assert_eq!(kept.finish().ok(), raw.finish().ok());
            let input = kept.take_input();
            prop_assert_eq!(input.as_deref(), Some(text));
            prop_assert!(kept.take_input().is_none());
        }
    }

    #[test]
    fn lenient_syntax_keeps_only_the_root_as_raw_text_mode_does() {
        let mut p = PartialJson::answer().with_lenient_syntax().with_raw_input();
        assert!(!p.keeps_input());
        p.push_str("{'a': 1,}").unwrap();
        assert_eq!(p.take_input(), None);
    }

    #[test]
    fn bytes_past_the_size_limit_are_not_kept() {
        let limits = crate::partial::Limits {
            max_bytes: 8,
            ..crate::partial::Limits::default()
        };
        let mut p = PartialJson::with_limits(limits, false).with_raw_input();
        p.push_str("[1, 2").unwrap();
        assert!(p.push_str(", 3, 4]").is_err());
        assert!(p.push_str("5").is_err());
        assert_eq!(p.take_input().as_deref(), Some("[1, 2"));
    }
}
