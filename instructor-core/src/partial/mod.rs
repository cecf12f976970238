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
