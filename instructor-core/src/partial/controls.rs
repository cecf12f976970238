//! Per-field stream controls: `#[instruct(stream(done))]` and
//! `#[instruct(stream(not_null))]` applied to a partial snapshot before it is shown.
//!
//! # Design
//!
//! In a prefix of a JSON document, the only values still being written are those on
//! one path from the root (the parser's `open_path`): every value off that path is
//! final. So the controls only ever act along that path, in O(depth) per snapshot:
//!
//! - a `done` field on the open path is hidden (its slot set to `None`) until the
//!   model finishes it; a `done` container is hidden wherever it is being written;
//! - a struct on the open path with a `not_null` field still `None` is itself hidden
//!   (set to `None` in its parent, removed from its list or map, or, at the root, the
//!   snapshot is not shown at all).
//!
//! Complete values are never touched: every complete field is final, as without
//! controls. Each type answers through [`Instruct::stream_controls`] (on its partial)
//! and [`Instruct::field_stream_controls`] (on the partial a field of it holds); the
//! derive generates both for structs, the std containers pass them on.
//!
//! Hiding can make two snapshots equal (a `done` string grows, nothing else does).
//! [`StreamShow::Trimmed`] says where the hidden value is: while the same value stays
//! hidden and still open, every byte received since belongs to it, so nothing shown
//! changed and `create_partial` skips the snapshot in O(1).

use super::PartialJson;
use crate::Instruct;
use crate::validate::PathSegment;

/// What the stream controls left of a partial value being written.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamShow {
    /// Nothing was hidden.
    Whole,
    /// A value inside was hidden: the one whose path below it (to the value being
    /// written) has this many segments.
    Trimmed(usize),
    /// This value must not be shown yet.
    Hidden,
}

impl StreamShow {
    /// The result for a child hidden at `rest` (the path below it): the parent shows
    /// the rest of itself.
    fn child_hidden(rest: &[PathSegment]) -> Self {
        Self::Trimmed(rest.len())
    }

    /// What the parent of a child answering `self` shows: a hidden child is taken
    /// out (`hide`) and the parent is trimmed at it; anything else passes through.
    fn in_parent(self, rest: &[PathSegment], hide: impl FnOnce()) -> Self {
        match self {
            Self::Hidden => {
                hide();
                Self::child_hidden(rest)
            }
            shown => shown,
        }
    }
}

/// A struct field on the open path (generated code): `rest` is the path below it,
/// `done` its `stream(done)`, `nested`/`controls` its type's
/// [`Instruct::STREAM_CONTROLS`] and [`Instruct::field_stream_controls`].
pub fn control_field<P>(
    slot: &mut Option<P>,
    rest: &[PathSegment],
    done: bool,
    nested: bool,
    controls: fn(&mut P, &[PathSegment]) -> StreamShow,
) -> StreamShow {
    if done {
        *slot = None;
        return StreamShow::child_hidden(rest);
    }
    match slot {
        Some(value) if nested => controls(value, rest).in_parent(rest, || *slot = None),
        _ => StreamShow::Whole,
    }
}

/// The first of `shown` and `next` that hid something (generated code: a struct's
/// flattened fields and its not-null checks).
pub fn then_show(shown: StreamShow, next: impl FnOnce() -> StreamShow) -> StreamShow {
    match shown {
        StreamShow::Whole => next(),
        other => other,
    }
}

/// A list of partials of `T` on the open path.
pub(crate) fn control_list<T: Instruct>(
    items: &mut Vec<T::Partial>,
    open: &[PathSegment],
) -> StreamShow {
    let Some((PathSegment::Index(i), rest)) = open.split_first() else {
        return StreamShow::Whole;
    };
    let Some(item) = items.get_mut(*i) else {
        return StreamShow::Whole;
    };
    T::stream_controls(item, rest).in_parent(rest, || {
        items.remove(*i);
    })
}

/// An optional partial of `T` on the open path.
pub(crate) fn control_option<T: Instruct>(
    partial: &mut Option<T::Partial>,
    open: &[PathSegment],
) -> StreamShow {
    let Some(value) = partial else {
        return StreamShow::Whole;
    };
    T::stream_controls(value, open).in_parent(open, || *partial = None)
}

/// A map of partials, looked up by the key as written (for the stream controls).
pub(crate) trait PartialMap<P> {
    /// The value under the written `key`.
    fn find(&mut self, key: &str) -> Option<&mut P>;
    /// Removes the entry under the written `key`.
    fn take(&mut self, key: &str);
}

/// A map of partials of `V` on the open path.
pub(crate) fn control_map<V: Instruct>(
    map: &mut impl PartialMap<V::Partial>,
    open: &[PathSegment],
) -> StreamShow {
    let Some((PathSegment::Field(key), rest)) = open.split_first() else {
        return StreamShow::Whole;
    };
    let Some(value) = map.find(key) else {
        return StreamShow::Whole;
    };
    V::stream_controls(value, rest).in_parent(rest, || map.take(key))
}

/// The stream controls of a root partial of `T`, with the snapshots they make equal
/// skipped. One per `create_partial` attempt.
#[derive(Debug, Default)]
pub(crate) struct RootControls {
    /// The path of the value hidden in the last snapshot shown, if one was.
    last_hidden: Option<Vec<PathSegment>>,
    /// The parser's visible version at the last snapshot shown.
    last_shown: Option<(u64, usize)>,
}

impl RootControls {
    /// Applies `T`'s controls to `partial`, the answer so far in `parser` (inside the
    /// `{"content": ..}` wrapper when `wrapped`): `false` when the snapshot must not
    /// be shown (hidden, or the same as the last one shown).
    pub(crate) fn show<T: Instruct>(
        &mut self,
        partial: &mut T::Partial,
        parser: &PartialJson,
        wrapped: bool,
    ) -> bool {
        if !T::STREAM_CONTROLS {
            return true;
        }
        let now = parser.visible_version();
        if let Some(open) = open_path(parser, wrapped) {
            match T::stream_controls(partial, &open) {
                StreamShow::Whole => self.last_hidden = None,
                StreamShow::Hidden => return false,
                StreamShow::Trimmed(below) => {
                    let depth = open.len().saturating_sub(below);
                    let mut hidden = open;
                    hidden.truncate(depth);
                    // Nothing shown changed when the same value is still hidden and
                    // open (everything received since is inside it), or when nothing
                    // visible happened between the last snapshot and its start.
                    let same = self.last_hidden.as_ref() == Some(&hidden);
                    let started_after = self.last_shown.is_some()
                        && parser.version_before(depth + usize::from(wrapped)) == self.last_shown;
                    if same || started_after {
                        return false;
                    }
                    self.last_hidden = Some(hidden);
                }
            }
        } else {
            self.last_hidden = None;
        }
        self.last_shown = Some(now);
        true
    }
}

/// The path of the value being written (below the wrapper object when wrapped);
/// `None` when the answer's value is complete.
fn open_path(parser: &PartialJson, wrapped: bool) -> Option<Vec<PathSegment>> {
    let mut path = parser.open_path_if_open()?;
    if wrapped {
        // `{"content": <value>` is open at `content` while the value is; past it,
        // only the wrapper is.
        path.first()?;
        path.remove(0);
    }
    Some(path)
}
