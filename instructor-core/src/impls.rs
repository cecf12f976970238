//! `Instruct` for the std types users put in structs.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::Hash;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Instruct;
use crate::partial::controls::{self, PartialMap};
use crate::partial::{OpenMemo, OpenValue, StreamShow};
use crate::schema::{Schema, SchemaGenerator};
use crate::validate::{PathSegment, Validator};

macro_rules! leaf {
    ($ty:ty, $name:literal, $schema:expr) => {
        impl Instruct for $ty {
            type Partial = $ty;
            type PartialField = $ty;
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
            fn schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

impl Instruct for String {
    type Partial = String;
    type PartialField = String;
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("String")
    }
    fn schema(_: &mut SchemaGenerator) -> Schema {
        Schema::of_type("string")
    }
    fn apply_open_field(slot: &mut Option<String>, open: OpenValue<'_>, memo: &mut OpenMemo) {
        crate::partial::typed::apply_open_string(slot, open, memo);
    }
}

leaf!(bool, "Boolean", Schema::of_type("boolean"));
leaf!(char, "Character", {
    let mut s = Schema::of_type("string");
    s.insert("minLength", 1);
    s.insert("maxLength", 1);
    s
});

/// Integers: `minimum: 0` for unsigned types and no other bound. A type's natural
/// bounds (`maximum: 4294967295` on every `u32`) are token noise in every prompt; they
/// are still enforced: an out-of-range number fails to parse, naming the field, and is
/// reasked. Bounds the user writes are emitted as written.
macro_rules! integer {
    ($($ty:ty),*) => {$(
        impl Instruct for $ty {
            type Partial = $ty;
            type PartialField = $ty;
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed("Integer")
            }
            fn schema(_: &mut SchemaGenerator) -> Schema {
                let mut s = Schema::of_type("integer");
                if <$ty>::MIN == 0 {
                    s.insert("minimum", 0);
                }
                s
            }
        }
    )*};
}
integer!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

leaf!(f32, "Number", {
    let mut s = Schema::of_type("number");
    s.insert("minimum", f64::from(f32::MIN));
    s.insert("maximum", f64::from(f32::MAX));
    s
});
leaf!(f64, "Number", Schema::of_type("number"));

impl Instruct for Value {
    type Partial = Value;
    type PartialField = Value;
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("AnyValue")
    }
    fn schema(_: &mut SchemaGenerator) -> Schema {
        Schema::any()
    }
}

impl<T: Instruct> Instruct for Option<T> {
    type Partial = Option<T::Partial>;
    type PartialField = T::PartialField;
    const IS_OPTION: bool = true;
    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Nullable_{}", T::schema_name()))
    }
    fn schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>().into_nullable()
    }
    fn validate_into(&self, validator: &mut Validator<'_>) {
        if let Some(value) = self {
            value.validate_into(validator);
        }
    }
    const TRANSFORMS: bool = T::TRANSFORMS;
    fn transform_into(self, validator: &mut Validator<'_>) -> Option<Self> {
        match self {
            Some(value) if T::TRANSFORMS => value.transform_into(validator).map(Some),
            other => Some(other),
        }
    }
    fn apply_open_field(
        slot: &mut Option<T::PartialField>,
        open: OpenValue<'_>,
        memo: &mut OpenMemo,
    ) {
        T::apply_open_field(slot, open, memo);
    }
    const STREAM_CONTROLS: bool = T::STREAM_CONTROLS;
    fn stream_controls(partial: &mut Self::Partial, open: &[PathSegment]) -> StreamShow {
        controls::control_option::<T>(partial, open)
    }
    fn field_stream_controls(field: &mut T::PartialField, open: &[PathSegment]) -> StreamShow {
        T::field_stream_controls(field, open)
    }
}

impl<T: Instruct> Instruct for Box<T> {
    type Partial = Box<T::Partial>;
    type PartialField = Box<T::PartialField>;
    const IS_OPTION: bool = T::IS_OPTION;
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
    fn validate_into(&self, validator: &mut Validator<'_>) {
        (**self).validate_into(validator);
    }
    const TRANSFORMS: bool = T::TRANSFORMS;
    fn transform_into(self, validator: &mut Validator<'_>) -> Option<Self> {
        if T::TRANSFORMS {
            (*self).transform_into(validator).map(Box::new)
        } else {
            Some(self)
        }
    }
    const STREAM_CONTROLS: bool = T::STREAM_CONTROLS;
    fn stream_controls(partial: &mut Self::Partial, open: &[PathSegment]) -> StreamShow {
        T::stream_controls(partial, open)
    }
    fn field_stream_controls(field: &mut Self::PartialField, open: &[PathSegment]) -> StreamShow {
        T::field_stream_controls(field, open)
    }
}

fn array_schema<T: Instruct>(generator: &mut SchemaGenerator) -> Schema {
    let mut s = Schema::of_type("array");
    s.insert("items", generator.subschema_for::<T>());
    s
}

fn validate_items<'i, T: Instruct>(
    items: impl Iterator<Item = &'i T>,
    validator: &mut Validator<'_>,
) {
    for (i, item) in items.enumerate() {
        validator.at_index(i, |v| item.validate_into(v));
    }
}

macro_rules! list {
    ($ty:ident $(, $bound:path)*; unique = $unique:literal) => {
        impl<T: Instruct $(+ $bound)*> Instruct for $ty<T> {
            type Partial = Vec<T::Partial>;
            type PartialField = Vec<T::Partial>;
            fn schema_name() -> Cow<'static, str> {
                Cow::Owned(format!("Array_of_{}", T::schema_name()))
            }
            fn list_item() -> Option<(Cow<'static, str>, &'static Schema)> {
                Some((T::schema_name(), T::json_schema()))
            }
            fn schema(generator: &mut SchemaGenerator) -> Schema {
                let mut s = array_schema::<T>(generator);
                if $unique {
                    s.insert("uniqueItems", true);
                }
                s
            }
            fn validate_into(&self, validator: &mut Validator<'_>) {
                validate_items(self.iter(), validator);
            }
            const TRANSFORMS: bool = T::TRANSFORMS;
            fn transform_into(self, validator: &mut Validator<'_>) -> Option<Self> {
                if !T::TRANSFORMS {
                    return Some(self);
                }
                self.into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let mut out = None;
                        validator.at_index(i, |v| out = item.transform_into(v));
                        out
                    })
                    .collect()
            }
            fn apply_open_field(
                slot: &mut Option<Vec<T::Partial>>,
                open: OpenValue<'_>,
                memo: &mut OpenMemo,
            ) {
                crate::partial::typed::apply_open_list::<T>(slot, open, memo);
            }
            const STREAM_CONTROLS: bool = T::STREAM_CONTROLS;
            fn stream_controls(partial: &mut Self::Partial, open: &[PathSegment]) -> StreamShow {
                controls::control_list::<T>(partial, open)
            }
            fn field_stream_controls(field: &mut Self::PartialField, open: &[PathSegment]) -> StreamShow {
                controls::control_list::<T>(field, open)
            }
        }
    };
}
list!(Vec; unique = false);
list!(VecDeque; unique = false);
list!(HashSet, Eq, Hash; unique = true);
list!(BTreeSet, Ord; unique = true);

impl<T: Instruct, const N: usize> Instruct for [T; N] {
    type Partial = Vec<T::Partial>;
    type PartialField = Vec<T::Partial>;
    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Array{N}_of_{}", T::schema_name()))
    }
    fn list_item() -> Option<(Cow<'static, str>, &'static Schema)> {
        Some((T::schema_name(), T::json_schema()))
    }
    fn schema(generator: &mut SchemaGenerator) -> Schema {
        let mut s = array_schema::<T>(generator);
        s.insert("minItems", N);
        s.insert("maxItems", N);
        s
    }
    fn validate_into(&self, validator: &mut Validator<'_>) {
        validate_items(self.iter(), validator);
    }
    fn apply_open_field(
        slot: &mut Option<Vec<T::Partial>>,
        open: OpenValue<'_>,
        memo: &mut OpenMemo,
    ) {
        crate::partial::typed::apply_open_list::<T>(slot, open, memo);
    }
    const STREAM_CONTROLS: bool = T::STREAM_CONTROLS;
    fn stream_controls(partial: &mut Self::Partial, open: &[PathSegment]) -> StreamShow {
        controls::control_list::<T>(partial, open)
    }
    fn field_stream_controls(field: &mut Self::PartialField, open: &[PathSegment]) -> StreamShow {
        controls::control_list::<T>(field, open)
    }
}

/// Map keys that serialize as JSON object keys (strings).
pub trait MapKey:
    Serialize + DeserializeOwned + Clone + Ord + Hash + std::fmt::Debug + Send + Sync + 'static
{
    /// The key as it appears in a JSON path.
    fn as_path_key(&self) -> Cow<'_, str>;
}

impl MapKey for String {
    fn as_path_key(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

macro_rules! map {
    ($ty:ident) => {
        impl<K: MapKey, V: Instruct> Instruct for $ty<K, V> {
            type Partial = $ty<K, V::Partial>;
            type PartialField = $ty<K, V::Partial>;
            fn schema_name() -> Cow<'static, str> {
                Cow::Owned(format!("Map_of_{}", V::schema_name()))
            }
            fn schema(generator: &mut SchemaGenerator) -> Schema {
                let mut s = Schema::of_type("object");
                s.insert("additionalProperties", generator.subschema_for::<V>());
                s
            }
            fn validate_into(&self, validator: &mut Validator<'_>) {
                for (key, value) in self {
                    validator.at_field(&key.as_path_key(), |v| value.validate_into(v));
                }
            }
            const STREAM_CONTROLS: bool = V::STREAM_CONTROLS;
            fn stream_controls(partial: &mut Self::Partial, open: &[PathSegment]) -> StreamShow {
                controls::control_map::<V>(partial, open)
            }
            fn field_stream_controls(
                field: &mut Self::PartialField,
                open: &[PathSegment],
            ) -> StreamShow {
                controls::control_map::<V>(field, open)
            }
        }
    };
}

macro_rules! partial_map {
    ($ty:ident) => {
        impl<K: MapKey, P> PartialMap<P> for $ty<K, P> {
            fn find(&mut self, key: &str) -> Option<&mut P> {
                self.iter_mut()
                    .find(|(k, _)| k.as_path_key() == key)
                    .map(|(_, v)| v)
            }
            fn take(&mut self, key: &str) {
                self.retain(|k, _| k.as_path_key() != key);
            }
        }
    };
}
partial_map!(HashMap);
partial_map!(BTreeMap);
map!(HashMap);
map!(BTreeMap);

macro_rules! tuple {
    ($n:literal; $($name:ident $idx:tt),+) => {
        impl<$($name: Instruct),+> Instruct for ($($name,)+) {
            type Partial = ($($name::Partial,)+);
            type PartialField = ($($name::Partial,)+);
            fn schema_name() -> Cow<'static, str> {
                let names: Vec<String> = vec![$($name::schema_name().into_owned()),+];
                Cow::Owned(format!("Tuple_of_{}", names.join("_and_")))
            }
            fn schema(generator: &mut SchemaGenerator) -> Schema {
                let mut s = Schema::of_type("array");
                let items: Vec<Value> = vec![$(generator.subschema_for::<$name>().into_value()),+];
                s.insert("prefixItems", items);
                s.insert("items", false);
                s.insert("minItems", $n);
                s.insert("maxItems", $n);
                s
            }
            fn validate_into(&self, validator: &mut Validator<'_>) {
                $(validator.at_index($idx, |v| self.$idx.validate_into(v));)+
            }
        }
    };
}
tuple!(2; A 0, B 1);
tuple!(3; A 0, B 1, C 2);
tuple!(4; A 0, B 1, C 2, D 3);

#[cfg(feature = "chrono")]
mod chrono_impls {
    use super::*;

    fn formatted(format: &str) -> Schema {
        let mut s = Schema::of_type("string");
        s.insert("format", format);
        s
    }

    macro_rules! date_time {
        ($($tz:ty),*) => {$(
            impl Instruct for chrono::DateTime<$tz> {
                type Partial = Option<Self>;
                type PartialField = Self;
                fn schema_name() -> Cow<'static, str> {
                    Cow::Borrowed("DateTime")
                }
                fn schema(_: &mut SchemaGenerator) -> Schema {
                    formatted("date-time")
                }
            }
        )*};
    }
    date_time!(chrono::Utc, chrono::FixedOffset);

    impl Instruct for chrono::NaiveDate {
        type Partial = Option<Self>;
        type PartialField = Self;
        fn schema_name() -> Cow<'static, str> {
            Cow::Borrowed("Date")
        }
        fn schema(_: &mut SchemaGenerator) -> Schema {
            formatted("date")
        }
    }

    impl Instruct for chrono::NaiveDateTime {
        type Partial = Option<Self>;
        type PartialField = Self;
        fn schema_name() -> Cow<'static, str> {
            Cow::Borrowed("NaiveDateTime")
        }
        fn schema(_: &mut SchemaGenerator) -> Schema {
            let mut s = Schema::of_type("string");
            s.insert("pattern", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$");
            s.insert(
                "description",
                "Date and time without a UTC offset, e.g. 2024-01-31T09:30:00",
            );
            s
        }
    }

    impl Instruct for chrono::NaiveTime {
        type Partial = Option<Self>;
        type PartialField = Self;
        fn schema_name() -> Cow<'static, str> {
            Cow::Borrowed("Time")
        }
        fn schema(_: &mut SchemaGenerator) -> Schema {
            let mut s = Schema::of_type("string");
            s.insert("pattern", r"^\d{2}:\d{2}:\d{2}(\.\d+)?$");
            s
        }
    }
}

#[cfg(feature = "uuid")]
impl Instruct for uuid::Uuid {
    type Partial = Option<Self>;
    type PartialField = Self;
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Uuid")
    }
    fn schema(_: &mut SchemaGenerator) -> Schema {
        let mut s = Schema::of_type("string");
        s.insert("format", "uuid");
        s
    }
}

#[cfg(feature = "url")]
impl Instruct for url::Url {
    type Partial = Option<Self>;
    type PartialField = Self;
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Url")
    }
    fn schema(_: &mut SchemaGenerator) -> Schema {
        let mut s = Schema::of_type("string");
        s.insert("format", "uri");
        s
    }
}
