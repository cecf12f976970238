//! The compile-time check behind `#[instruct(strict)]`: can OpenAI strict mode express
//! a type's schema, nested types included? (Maps with arbitrary keys, free-form JSON
//! and tuples cannot.)
//!
//! **How it walks.** The check must follow fields into nested types, and types may
//! be recursive (`A` holds `Option<Box<B>>`, `B` holds `Vec<A>`). A per-type
//! associated `const` combining the fields' constants would refer to itself through
//! the cycle, which rustc rejects (E0391), and trait-level const fns are not stable.
//! So each type names its check as a *type*, [`StrictShape::Check`], at a
//! type-level depth `D`: a named type (a struct's partial twin, an enum) is a
//! [`Named`] node whose constant asks its fields' checks at depth `D - 1`, through a
//! `const fn` call that is only made while budget remains. Each field's check is its
//! own [`FieldShape`] impl, reached through [`Field`] only when evaluated, so that a
//! field type lacking `Instruct` is reported at that type (see [`FieldShape`]). Every constant is then a
//! distinct `(type, depth)` pair, so there is no cycle; rustc evaluates each pair
//! once, so the cost is `types × depth × fields` however wide or cyclic the type
//! graph is (no exponential blow-up with fan-out).
//!
//! **The limit.** [`Budget`] allows 32 named types between the strict
//! container's field and an offending map; containers (`Option`, `Box`, `Vec`, sets,
//! arrays) cost nothing. Past the budget a type is assumed fine, which is also how
//! recursion ends: a recursive type is walked around its cycle until the budget runs
//! out, so anything reachable within 32 named types is seen.
//!
//! **Why the partial twins.** The walk goes through `<T as Instruct>::Partial`, which
//! mirrors `T`'s structure (a map stays a map, a struct becomes its twin, an enum is
//! itself). It is an item every `Instruct` impl already has, so a hand-written impl
//! needs nothing new unless it is used inside a strict model with a partial type of
//! its own, and a field type lacking `Instruct` is reported once, like every other
//! use of that type, instead of once more for a second trait.

use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;

use serde_json::Value;

use crate::Instruct;
use crate::maybe::PartialMaybe;

/// A type-level count of named types still to look into.
pub trait Depth {
    /// Whether the budget is spent.
    const SPENT: bool;
    /// One level down (`Spent` stays `Spent`).
    type Below: Depth;
}

/// No budget left: nested types are assumed fine.
#[derive(Debug)]
pub(crate) struct Spent;

/// One more level of budget than `D`.
#[derive(Debug)]
pub(crate) struct Deeper<D>(PhantomData<D>);

impl Depth for Spent {
    const SPENT: bool = true;
    type Below = Spent;
}

impl<D: Depth> Depth for Deeper<D> {
    const SPENT: bool = false;
    type Below = D;
}

macro_rules! budget {
    () => { Spent };
    ($head:tt $($tail:tt)*) => { Deeper<budget!($($tail)*)> };
}

/// The depth the strict check starts with: 32 levels (see the module docs).
pub(crate) type Budget = budget!(
    x x x x x x x x x x x x x x x x
    x x x x x x x x x x x x x x x x
);

/// The answer of one check: whether strict mode can express the type.
pub trait StrictFlag {
    /// `true` when strict mode can express the type (as far as the budget reaches).
    const STRICT: bool;
}

/// Strict mode can express it.
#[derive(Debug)]
pub struct Expressible;

/// Strict mode cannot express it (a map with arbitrary keys, free-form JSON, a tuple).
#[derive(Debug)]
pub struct Inexpressible;

impl StrictFlag for Expressible {
    const STRICT: bool = true;
}

impl StrictFlag for Inexpressible {
    const STRICT: bool = false;
}

/// A list of checks (the fields of a named type) as a flat tuple of up to 12, tuples
/// of tuples past that: all must pass. (Flat, not nested pairs: each level of nesting
/// adds to rustc's query depth at every step of the walk.)
impl StrictFlag for () {
    const STRICT: bool = true;
}

macro_rules! all_of {
    ($($name:ident)+) => {
        impl<$($name: StrictFlag),+> StrictFlag for ($($name,)+) {
            const STRICT: bool = $($name::STRICT)&&+;
        }
    };
}

all_of!(A);
all_of!(A B);
all_of!(A B C);
all_of!(A B C E);
all_of!(A B C E F);
all_of!(A B C E F G);
all_of!(A B C E F G H);
all_of!(A B C E F G H J);
all_of!(A B C E F G H J K);
all_of!(A B C E F G H J K L);
all_of!(A B C E F G H J K L M);
all_of!(A B C E F G H J K L M N);

/// Implemented by partial types (`<T as Instruct>::Partial`): the check of the
/// complete type `T`, at depth `D`.
#[diagnostic::on_unimplemented(
    message = "`#[instruct(strict)]` cannot tell whether strict mode can express `{Self}`",
    note = "`{Self}` is the partial type of a hand-written `Instruct` impl: implement `instructor::__private::StrictShape` for it (`type Check<D: Depth> = Expressible;` or `Inexpressible`)"
)]
pub trait StrictShape {
    /// The check, at a depth.
    type Check<D: Depth>: StrictFlag;
}

/// A named type (struct twin or enum): its own shape, and its fields' checks.
pub trait NamedShape {
    /// Whether the type's own schema has a strict form (an enum with a tuple variant
    /// does not), whatever its fields.
    const OWN: bool;
    /// The fields' checks at depth `D`, as a tuple `(Field<Self, 0, D>, ..)` (tuples
    /// of at most 12, nested past that).
    type Fields<D: Depth>: StrictFlag;
}

/// Field `I` of a named type (numbered by the derive): its check at depth `D`.
///
/// One impl per field, rather than the field checks written out in
/// [`NamedShape::Fields`], so that the impl's whole type is the field's type as
/// written: a field type lacking `Instruct` is then reported at that type, merged
/// with the partial twin's report of it, instead of once more at the derive.
pub trait FieldShape<const I: usize> {
    /// The field's check, at a depth.
    type Check<D: Depth>: StrictFlag;
}

/// The check of field `I` of the named type `T`, at depth `D`: asks
/// [`FieldShape<I>`] only when evaluated, so [`NamedShape::Fields`] names no
/// field type.
#[derive(Debug)]
pub struct Field<T, const I: usize, D>(PhantomData<(fn() -> T, D)>);

impl<T: FieldShape<I>, const I: usize, D: Depth> StrictFlag for Field<T, I, D> {
    // Read directly, not through `flag`: each call adds to rustc's query depth, which
    // the walk's 32 levels must stay within.
    const STRICT: bool = <T::Check<D> as StrictFlag>::STRICT;
}

/// The check of a named type `T` at depth `D`.
#[derive(Debug)]
pub struct Named<T, D>(PhantomData<(fn() -> T, D)>);

impl<T: NamedShape, D: Depth> StrictFlag for Named<T, D> {
    // The fields are asked through a call, not a constant: a constant named here
    // would be evaluated even when the budget is spent, and come back around a cycle.
    const STRICT: bool = T::OWN && (D::SPENT || flag::<T::Fields<D::Below>>());
}

/// `F::STRICT`, behind a call so that it is only evaluated when reached.
const fn flag<F: StrictFlag>() -> bool {
    F::STRICT
}

/// The check of a field of type `T`: its partial type's, at depth `D`.
pub(crate) type FieldCheck<T, D> = <<T as Instruct>::Partial as StrictShape>::Check<D>;

/// Whether strict mode can express `T` (for the assertion `strict` generates).
pub const fn strict_compatible<T>() -> bool
where
    T: Instruct,
    T::Partial: StrictShape,
{
    <FieldCheck<T, Budget> as StrictFlag>::STRICT
}

macro_rules! shape {
    ($check:ident: $($ty:ty),* $(,)?) => {$(
        impl StrictShape for $ty {
            type Check<D: Depth> = $check;
        }
    )*};
}

shape!(Expressible: (), String, bool, char, f32, f64);
shape!(Expressible: u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
shape!(Inexpressible: Value);

impl<K, V> StrictShape for HashMap<K, V> {
    type Check<D: Depth> = Inexpressible;
}

impl<K, V> StrictShape for BTreeMap<K, V> {
    type Check<D: Depth> = Inexpressible;
}

impl<A, B> StrictShape for (A, B) {
    type Check<D: Depth> = Inexpressible;
}

impl<A, B, C> StrictShape for (A, B, C) {
    type Check<D: Depth> = Inexpressible;
}

impl<A, B, C, E> StrictShape for (A, B, C, E) {
    type Check<D: Depth> = Inexpressible;
}

/// Containers are as expressible as what they hold, at no cost in depth.
macro_rules! transparent {
    ($($ty:ident),*) => {$(
        impl<P: StrictShape> StrictShape for $ty<P> {
            type Check<D: Depth> = P::Check<D>;
        }
    )*};
}

transparent!(Option, Box, Vec, PartialMaybe);

#[cfg(feature = "chrono")]
shape!(Expressible:
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::FixedOffset>,
    chrono::NaiveDate,
    chrono::NaiveDateTime,
    chrono::NaiveTime,
);

#[cfg(feature = "uuid")]
shape!(Expressible: uuid::Uuid);

#[cfg(feature = "url")]
shape!(Expressible: url::Url);

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::Maybe;

    #[test]
    fn leaves_containers_and_maps() {
        const {
            assert!(strict_compatible::<u32>());
            assert!(strict_compatible::<Option<Vec<Box<String>>>>());
            assert!(strict_compatible::<Maybe<Vec<u8>>>());
            assert!(strict_compatible::<[bool; 3]>());
            assert!(!strict_compatible::<Option<HashMap<String, u32>>>());
            assert!(!strict_compatible::<Vec<Value>>());
            assert!(!strict_compatible::<(u32, String)>());
            assert!(!strict_compatible::<Maybe<BTreeMap<String, bool>>>());
        }
    }

    #[test]
    fn the_budget_is_the_documented_depth() {
        fn levels<D: Depth>() -> usize {
            if D::SPENT {
                0
            } else {
                1 + levels::<D::Below>()
            }
        }
        assert_eq!(levels::<Budget>(), 32);
    }
}
