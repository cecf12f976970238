//! The typed partial held in place: `create_partial` keeps one `T::Partial` and
//! catches it up with the parser at each snapshot instead of re-reading the whole
//! answer so far into a fresh one.
//!
//! # Design
//!
//! The parser runs in raw-text mode (the answer is held once, as text) and already
//! knows, in O(1), where each completed top-level entry lies and which value is open.
//! A derived struct's `Instruct` impl generates [`Instruct::apply_partial_entry`]: a
//! `match` on the wire name (and aliases) that hands the entry to its field's type
//! ([`apply_entry`]). So at each snapshot:
//!
//! - every top-level entry completed since the last snapshot is read **once**, from its
//!   own text, into its field (exactly what the re-read path reads there, so every
//!   complete field is final and the same);
//! - the one open top-level entry is caught up through its type's
//!   [`Instruct::apply_open_field`]: a string appends what became visible (O(delta));
//!   a list (`Vec`, sets, arrays) appends the items completed since (each read once)
//!   and re-reads only the item being written; any other type re-reads the open
//!   value's own text (O(that value), never the whole answer);
//! - the snapshot is a clone of the held partial, made only when the consumer is
//!   given one (`create_partial` coalesces the deltas that arrived while the consumer
//!   was away into one snapshot, and skips unchanged ones in O(1)).
//!
//! [`OpenMemo`] remembers, for the open entry, which value it is (its input offset)
//! and how far it was applied, so a string or list carries on from there.
//!
//! Types whose partial cannot be kept in place (a twin with a flattened field, a
//! non-object answer, hand-written impls) answer `false`, and `create_partial`
//! falls back to re-reading the answer so far for that attempt.

use serde::de::DeserializeOwned;

use super::GrowByHalf;
use super::controls::RootControls;
use super::json::{OpenValue, PartialJson};
use crate::Instruct;

/// One top-level entry of the answer, for [`Instruct::apply_partial_entry`].
#[derive(Debug)]
pub enum PartialEntry<'a, 'p> {
    /// The entry is complete: its value's JSON text as written.
    Complete(&'a str),
    /// The entry is being written: its value so far, and what was applied of it.
    Open(OpenValue<'p>, &'a mut OpenMemo),
}

/// How far the open value was applied (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenMemo {
    /// Input offset of the value applied (`None`: nothing applied yet).
    start: Option<usize>,
    /// Lists: input offset just past the last item applied.
    consumed: usize,
    /// Lists: how many completed items were applied.
    items: usize,
}

impl OpenMemo {
    /// Whether the memo is about the value starting at `start`; if not, it is reset
    /// to it (nothing applied).
    fn same_value(&mut self, start: usize) -> bool {
        if self.start == Some(start) {
            return true;
        }
        *self = Self {
            start: Some(start),
            consumed: 0,
            items: 0,
        };
        false
    }
}

/// A field of a partial twin from its value's JSON text: absent when `null` or when
/// the value does not fit the field's type (yet), as the re-read path has it.
pub(crate) fn read_field_json<P: DeserializeOwned>(json: &str) -> Option<P> {
    serde_json::from_str::<Option<P>>(json).ok().flatten()
}

/// How a field's type catches up with its open value ([`Instruct::apply_open_field`]).
pub type ApplyOpen<P> = fn(&mut Option<P>, OpenValue<'_>, &mut OpenMemo);

/// Applies one top-level entry to the field `slot` of a partial twin; `open` is the
/// field type's [`Instruct::apply_open_field`].
pub fn apply_entry<P: DeserializeOwned>(
    slot: &mut Option<P>,
    entry: PartialEntry<'_, '_>,
    open: ApplyOpen<P>,
) {
    match entry {
        PartialEntry::Complete(json) => *slot = read_field_json(json),
        PartialEntry::Open(value, memo) => open(slot, value, memo),
    }
}

/// The default catch-up of an open value: its own text so far, re-read.
pub(crate) fn reread_open<P: DeserializeOwned>(
    slot: &mut Option<P>,
    open: OpenValue<'_>,
    memo: &mut OpenMemo,
) {
    memo.start = None;
    *slot = open.json().and_then(|json| read_field_json(&json));
}

/// An open string: what became visible is appended.
pub(crate) fn apply_open_string(
    slot: &mut Option<String>,
    open: OpenValue<'_>,
    memo: &mut OpenMemo,
) {
    let same = memo.same_value(open.start());
    // The same string grows: only what arrived since is decoded and appended.
    if same
        && let Some(text) = slot
        && let Some(new) = open.string_after(text.len())
    {
        text.reserve_by_half(new.len());
        text.push_str(new);
        return;
    }
    let Some(visible) = open.string() else {
        return reread_open(slot, open, memo);
    };
    *slot = Some(visible.to_owned());
}

/// An open list of `T`: the items completed since the last call are read once and
/// appended; the item being written is re-read from its own text.
pub(crate) fn apply_open_list<T: Instruct>(
    slot: &mut Option<Vec<T::Partial>>,
    open: OpenValue<'_>,
    memo: &mut OpenMemo,
) {
    let Some(list) = open.list() else {
        return reread_open(slot, open, memo);
    };
    if !memo.same_value(open.start()) || slot.is_none() {
        memo.consumed = list.items_start();
        memo.items = 0;
    }
    let items = slot.get_or_insert_with(Vec::new);
    items.truncate(memo.items);
    let end = list.completed_end();
    if end > memo.consumed {
        let text = list.text(memo.consumed, end).unwrap_or_default();
        let body = text.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        match serde_json::from_str::<Vec<T::Partial>>(&format!("[{body}]")) {
            Ok(new) => {
                memo.items += new.len();
                memo.consumed = end;
                items.extend(new);
            }
            // An item the partial type does not accept: the list as the re-read
            // path shows it.
            Err(_) => return reread_open(slot, open, memo),
        }
    }
    if let Some(item) = list.open_item()
        && let Some(partial) = item
            .json()
            .and_then(|json| serde_json::from_str::<T::Partial>(&json).ok())
    {
        items.push(partial);
    }
}

/// A typed partial of `T` held in place and caught up with a raw-text parser.
#[derive(Debug)]
pub(crate) struct InPlace<T: Instruct> {
    held: T::Partial,
    /// Completed top-level entries applied so far.
    applied: usize,
    memo: OpenMemo,
}

impl<T: Instruct> InPlace<T> {
    pub(crate) fn new() -> Self {
        Self {
            held: T::Partial::default(),
            applied: 0,
            memo: OpenMemo::default(),
        }
    }

    /// Catches up with `parser` and returns a snapshot: `Ok(None)` while nothing of
    /// the answer shows yet, `Err(())` when `T`'s partial cannot be kept in place for
    /// this answer (then re-read it instead).
    pub(crate) fn snapshot(&mut self, parser: &PartialJson) -> Result<Option<T::Partial>, ()> {
        if !parser.root_started() {
            return Ok(None);
        }
        if !parser.root_is_object() {
            return Err(());
        }
        for (key, json) in parser.completed_root_json_from(self.applied) {
            if !T::apply_partial_entry(&mut self.held, key, PartialEntry::Complete(json)) {
                return Err(());
            }
            self.applied += 1;
        }
        if let Some((key, open)) = parser.open_root_entry()
            && !T::apply_partial_entry(
                &mut self.held,
                key,
                PartialEntry::Open(open, &mut self.memo),
            )
        {
            return Err(());
        }
        Ok(Some(self.held.clone()))
    }
}

/// A typed partial of `T` fed chunk by chunk: the parser (lenient, raw-text mode)
/// and the partial held in place, as `create_partial` uses them, for callers that
/// stream JSON from elsewhere.
#[derive(Debug)]
pub struct TypedPartial<T: Instruct> {
    parser: PartialJson,
    in_place: Option<InPlace<T>>,
    controls: RootControls,
    /// The parser's visible version at the last partial shown.
    shown_version: Option<(u64, usize)>,
}

impl<T: Instruct> TypedPartial<T> {
    /// A fresh one (nothing received).
    pub fn new() -> Self {
        Self {
            parser: PartialJson::lenient().with_raw_text(),
            in_place: Some(InPlace::new()),
            controls: RootControls::default(),
            shown_version: None,
        }
    }

    /// Feeds a chunk of the answer.
    pub fn push_str(&mut self, chunk: &str) -> Result<(), super::PartialJsonError> {
        self.parser.push_str(chunk)
    }

    /// Feeds a chunk of bytes (may end inside a UTF-8 sequence).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), super::PartialJsonError> {
        self.parser.push(chunk)
    }

    /// The partial so far (`None` while nothing of the answer shows), caught up in
    /// place; for types whose partial cannot be kept in place, re-read.
    pub fn snapshot(&mut self) -> Option<T::Partial> {
        if let Some(in_place) = &mut self.in_place {
            match in_place.snapshot(&self.parser) {
                Ok(snapshot) => return snapshot,
                Err(()) => self.in_place = None,
            }
        }
        self.reread()
    }

    /// The partial as `create_partial` shows it: [`snapshot`](Self::snapshot) with
    /// the type's `#[instruct(stream(..))]` controls applied. `None` when nothing
    /// visible changed since the last one shown, when the controls hide it, or when
    /// only a hidden value grew since.
    pub fn shown(&mut self) -> Option<T::Partial> {
        let version = self.parser.visible_version();
        if self.shown_version == Some(version) {
            return None;
        }
        let mut snapshot = self.snapshot()?;
        self.shown_version = Some(version);
        self.controls
            .show::<T>(&mut snapshot, &self.parser, false)
            .then_some(snapshot)
    }

    /// The partial so far re-read from the whole answer (the path the in-place one
    /// replaces; for comparison).
    pub fn reread(&mut self) -> Option<T::Partial> {
        self.parser.snapshot_as::<T::Partial>()?.ok()
    }

    /// The parser (what was received, what is open).
    pub fn parser(&self) -> &PartialJson {
        &self.parser
    }
}

impl<T: Instruct> Default for TypedPartial<T> {
    fn default() -> Self {
        Self::new()
    }
}
