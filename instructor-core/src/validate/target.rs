//! Which field types each kind of built-in constraint applies to. The derive calls
//! the checks through these traits, so a constraint on a field of the wrong type is a
//! compile error at the constraint's key. Implement them for your own newtypes to
//! make the constraints apply there too.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

use super::Number;
use super::constraint::first_duplicate_by;

/// A value string constraints (`pattern`, `min_length`, `max_length`, `format`) check.
#[diagnostic::on_unimplemented(
    message = "string constraints (`pattern`, `min_length`, `max_length`, `format`) apply to text, and `{Self}` is not text",
    label = "this constraint needs a String, &str, Cow<str> or Option of one"
)]
pub trait TextConstraint {
    /// The text to check, or `None` to skip (an absent optional value).
    fn constraint_text(&self) -> Option<&str>;
}

/// A value numeric constraints (`range`, `exclusive_minimum`, `exclusive_maximum`,
/// `multiple_of`) check.
#[diagnostic::on_unimplemented(
    message = "numeric constraints (`range`, `exclusive_minimum`, `exclusive_maximum`, `multiple_of`) apply to numbers, and `{Self}` is not a number",
    label = "this constraint needs an integer or float field (or Option of one)"
)]
pub trait NumberConstraint {
    /// The number to check, or `None` to skip.
    fn constraint_number(&self) -> Option<Number>;
}

/// A value list constraints (`min_items`, `max_items`) check.
#[diagnostic::on_unimplemented(
    message = "list constraints (`min_items`, `max_items`) apply to lists, and `{Self}` is not a list",
    label = "this constraint needs a Vec, VecDeque, set, array or Option of one"
)]
pub trait ItemsConstraint {
    /// The number of items, or `None` to skip.
    fn constraint_len(&self) -> Option<usize>;
}

/// A list `unique_items` checks; its items must be comparable.
#[diagnostic::on_unimplemented(
    message = "`unique_items` applies to lists of comparable items, and `{Self}` is not one",
    label = "this constraint needs a Vec or VecDeque whose items implement PartialEq (or Option of one)"
)]
pub trait UniqueItemsConstraint {
    /// The first pair of equal items, if any.
    fn constraint_duplicate(&self) -> Option<(usize, usize)>;
}

impl TextConstraint for String {
    fn constraint_text(&self) -> Option<&str> {
        Some(self)
    }
}
impl TextConstraint for str {
    fn constraint_text(&self) -> Option<&str> {
        Some(self)
    }
}
impl TextConstraint for Cow<'_, str> {
    fn constraint_text(&self) -> Option<&str> {
        Some(self)
    }
}
impl TextConstraint for Arc<str> {
    fn constraint_text(&self) -> Option<&str> {
        Some(self)
    }
}

macro_rules! number_target {
    ($($ty:ty => $variant:ident),*) => {$(
        impl NumberConstraint for $ty {
            fn constraint_number(&self) -> Option<Number> {
                #[allow(clippy::cast_lossless, clippy::cast_possible_wrap, reason = "widening to the check's representation")]
                Some(Number::$variant(*self as _))
            }
        }
    )*};
}
number_target!(u8 => Int, u16 => Int, u32 => Int, u64 => Int, usize => Int, i8 => Int, i16 => Int,
    i32 => Int, i64 => Int, isize => Int, i128 => Int, f64 => Float);

impl NumberConstraint for f32 {
    /// Checked as its shortest decimal form (`0.3f32` is `0.3`, as in the JSON text),
    /// not as the widened `0.30000001192092896`.
    fn constraint_number(&self) -> Option<Number> {
        Some(Number::Float(
            self.to_string().parse().unwrap_or(f64::from(*self)),
        ))
    }
}

impl NumberConstraint for u128 {
    fn constraint_number(&self) -> Option<Number> {
        Some(i128::try_from(*self).map_or(Number::Float(*self as f64), Number::Int))
    }
}

macro_rules! items_target {
    ($($ty:ident $(: $bound:path)?),*) => {$(
        impl<T $(: $bound)?> ItemsConstraint for $ty<T> {
            fn constraint_len(&self) -> Option<usize> {
                Some(self.len())
            }
        }
    )*};
}
items_target!(Vec, VecDeque, HashSet, BTreeSet);

impl<T, const N: usize> ItemsConstraint for [T; N] {
    fn constraint_len(&self) -> Option<usize> {
        Some(N)
    }
}

impl<T: PartialEq> UniqueItemsConstraint for Vec<T> {
    fn constraint_duplicate(&self) -> Option<(usize, usize)> {
        first_duplicate_by(self, PartialEq::eq)
    }
}
impl<T: PartialEq> UniqueItemsConstraint for VecDeque<T> {
    fn constraint_duplicate(&self) -> Option<(usize, usize)> {
        let items: Vec<&T> = self.iter().collect();
        first_duplicate_by(&items, |a, b| a == b)
    }
}
impl<T: PartialEq, const N: usize> UniqueItemsConstraint for [T; N] {
    fn constraint_duplicate(&self) -> Option<(usize, usize)> {
        first_duplicate_by(self, PartialEq::eq)
    }
}
impl<T> UniqueItemsConstraint for HashSet<T> {
    fn constraint_duplicate(&self) -> Option<(usize, usize)> {
        None
    }
}
impl<T> UniqueItemsConstraint for BTreeSet<T> {
    fn constraint_duplicate(&self) -> Option<(usize, usize)> {
        None
    }
}

macro_rules! through_wrappers {
    ($trait:ident, $method:ident, $out:ty) => {
        impl<T: $trait + ?Sized> $trait for Box<T> {
            fn $method(&self) -> $out {
                (**self).$method()
            }
        }
        impl<T: $trait> $trait for Option<T> {
            fn $method(&self) -> $out {
                self.as_ref().and_then(|v| v.$method())
            }
        }
    };
}
through_wrappers!(TextConstraint, constraint_text, Option<&str>);
through_wrappers!(NumberConstraint, constraint_number, Option<Number>);
through_wrappers!(ItemsConstraint, constraint_len, Option<usize>);
through_wrappers!(
    UniqueItemsConstraint,
    constraint_duplicate,
    Option<(usize, usize)>
);
