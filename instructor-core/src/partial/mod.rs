//! Partial values for streaming: the incremental JSON parser, how the partial twins
//! of enums and unions are read from the JSON so far, and the typed partial held in
//! place by `create_partial`.

pub(crate) mod controls;
mod json;
pub(crate) mod twin_serde;
pub(crate) mod typed;
pub(crate) mod union;

pub use controls::StreamShow;
pub use json::{Limits, OpenList, OpenValue, PartialJson, PartialJsonError};
pub use typed::{OpenMemo, PartialEntry, TypedPartial};

/// A buffer that grows by half its length at a time, not doubling: the answer's
/// text and its longest strings are the largest things a stream holds, and doubling
/// would leave up to as much again allocated and unused. Growth stays geometric, so
/// appending stays amortised O(1).
pub(crate) trait GrowByHalf {
    /// Makes room for `more` bytes.
    fn reserve_by_half(&mut self, more: usize);
}

/// The extra capacity to reserve for `more` bytes, if the spare room is too small.
fn half_growth(len: usize, capacity: usize, more: usize) -> Option<usize> {
    (capacity - len < more).then(|| more.max(len / 2).max(16))
}

impl GrowByHalf for Vec<u8> {
    fn reserve_by_half(&mut self, more: usize) {
        if let Some(extra) = half_growth(self.len(), self.capacity(), more) {
            self.reserve_exact(extra);
        }
    }
}

impl GrowByHalf for String {
    fn reserve_by_half(&mut self, more: usize) {
        if let Some(extra) = half_growth(self.len(), self.capacity(), more) {
            self.reserve_exact(extra);
        }
    }
}
