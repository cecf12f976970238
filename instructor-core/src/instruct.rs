//! The [`Instruct`] trait: everything the runtime needs to know about a response model.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{OnceLock, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::schema::{Schema, SchemaGenerator, ToolDefinition};
use crate::union::UnionMember;
use crate::validate::{ValidationContext, ValidationErrors, Validator};

/// A type that can be requested from an LLM: it knows its JSON Schema, its tool
/// definition, its partial twin (for streaming) and how to validate itself.
///
/// Derive it with `#[derive(Instruct)]`; it is implemented for the std types that
/// appear in structs (strings, numbers, `bool`, `Option`, `Vec`, sets, string-keyed
/// maps, `Box`, arrays, small tuples, `serde_json::Value`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used in an instructor response model",
    label = "`{Self}` does not implement `Instruct`",
    note = "add `#[derive(Instruct)]` to `{Self}`, or use a supported type (String, numbers, bool, Option, Vec, sets, string-keyed maps, Box, serde_json::Value)"
)]
pub trait Instruct: Sized + 'static {
    /// The partial twin: the shape of a value while it is still being streamed.
    ///
    /// For a derived struct `User` this is `PartialUser`, with every field optional and
    /// nested types replaced by their own twins.
    type Partial: PartialValue + Default;

    /// The type a field of type `Self` holds (inside an `Option`) in a partial twin.
    ///
    /// This is `Self::Partial`, except for `Option<T>` (which flattens to
    /// `T::PartialField`, so a twin never has `Option<Option<_>>`) and enums (which
    /// appear once complete).
    type PartialField: PartialValue;

    /// Whether this is `Option<_>`: such fields may be missing from the JSON.
    const IS_OPTION: bool = false;

    /// The name of the type in schemas (`$defs`) and, for response models, the tool.
    fn schema_name() -> Cow<'static, str>;

    /// The type's description (its doc comment), if any.
    fn description() -> Option<Cow<'static, str>> {
        None
    }

    /// Whether the schema is written inline where the type is used (primitives,
    /// containers) rather than once under `$defs` and referenced (named types).
    fn inline_schema() -> bool {
        true
    }

    /// For a list type (`Vec<T>`, `VecDeque<T>`, sets, arrays), the schema name and
    /// schema of its items: a list answer travels in the same `{"tasks": [...]}`
    /// wrapper, under the same `Iterable<Item>` name, as `create_iterable` (Python's
    /// `Iterable[T]` and `list[T]`), so the model sees one shape. `None` for
    /// everything else.
    #[doc(hidden)]
    fn list_item() -> Option<(Cow<'static, str>, &'static Schema)> {
        None
    }

    /// The schema of this type. Nested types must be obtained through
    /// [`SchemaGenerator::subschema_for`].
    fn schema(generator: &mut SchemaGenerator) -> Schema;

    /// Checks this value's constraints, reporting every failure into `validator`
    /// at the validator's current path. The default checks nothing.
    fn validate_into(&self, validator: &mut Validator<'_>) {
        let _ = validator;
    }

    /// Runs the `#[instruct(transform = ..)]` functions of this value, its fields and
    /// nested values (after parsing, before any check), reporting each failure into
    /// `validator` at its path; `None` when one failed. The default returns the
    /// value unchanged.
    #[doc(hidden)]
    fn transform_into(self, validator: &mut Validator<'_>) -> Option<Self> {
        let _ = validator;
        Some(self)
    }

    /// Whether [`transform_into`](Instruct::transform_into) can change a value of
    /// this type (so streamed early checks of such a field wait for the end).
    #[doc(hidden)]
    const TRANSFORMS: bool = false;

    /// Checks one top-level field of a streamed answer as soon as it is complete:
    /// `key` is its wire name, `json` its complete JSON text as the model wrote it.
    /// Failures are reported at `key` (the validator is at the root). Only the
    /// field's own checks run here; what needs the whole value (container
    /// validators, missing fields) waits for the end of the answer. The default
    /// checks nothing.
    fn validate_field(key: &str, json: &str, validator: &mut Validator<'_>) {
        let _ = (key, json, validator);
    }

    /// The models this type is a union of, one per variant, when it is an enum whose
    /// every variant wraps one model (`enum Action { Weather(Weather), Search(Search) }`):
    /// [`Client::create_parallel`](crate::Client::create_parallel) then offers one
    /// tool per member and reads each call back into its variant by tool name, as
    /// Python instructor does for `Iterable[Weather | Search]`. `None` (the default)
    /// for every other type. The derive implements it for such enums (not for generic
    /// ones, nor for enums over simple types such as `Text(String)`).
    fn union_members() -> Option<Vec<UnionMember<Self>>> {
        None
    }

    /// The complete JSON Schema of this type (with `$defs`), computed once per type.
    fn json_schema() -> &'static Schema {
        cached::<Self, Schema>(Slot::Schema, SchemaGenerator::root_schema_for::<Self>)
    }

    /// The tool definition (`{"name", "description", "parameters"}`), computed once per type.
    fn tool() -> &'static ToolDefinition {
        cached::<Self, ToolDefinition>(Slot::Tool, ToolDefinition::for_type::<Self>)
    }

    /// Runs the transforms, then validates the value: what a parsed answer goes
    /// through before it is returned.
    #[doc(hidden)]
    fn transform_and_validate(
        self,
        context: &ValidationContext<'_>,
    ) -> Result<Self, ValidationErrors> {
        let mut validator = Validator::new(context);
        let value = self.transform_into(&mut validator);
        match value {
            Some(value) => {
                value.validate_into(&mut validator);
                validator.finish().map(|()| value)
            }
            None => validator
                .finish()
                .and(Err(ValidationErrors::single("a transform failed"))),
        }
    }

    /// Validates the value, returning every failure with its JSON path.
    fn validate(&self, context: &ValidationContext<'_>) -> Result<(), ValidationErrors> {
        let mut validator = Validator::new(context);
        self.validate_into(&mut validator);
        validator.finish()
    }
}

/// What a partial value must offer: cloneable, printable, and (de)serializable from
/// whatever part of the JSON has arrived. (Not `PartialEq`: a derived partial twin
/// compares its fields through their JSON, so an enum used in a model needs no
/// `PartialEq` of its own.)
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot appear in a partial (streaming) value",
    note = "types used in response models must implement Clone, Debug, Serialize and Deserialize; for an enum, add `#[derive(Clone, Debug, Serialize, Deserialize)]`"
)]
pub trait PartialValue:
    Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

impl<T> PartialValue for T where
    T: Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Schema,
    Tool,
}

type Cache = RwLock<HashMap<(TypeId, Slot), &'static (dyn std::any::Any + Send + Sync)>>;

/// Computes a per-type value once and keeps it for the life of the process (one
/// small allocation per type and slot).
fn cached<T: 'static, V: Send + Sync + 'static>(slot: Slot, make: fn() -> V) -> &'static V {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (TypeId::of::<T>(), slot);
    let found = cache
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
        .and_then(|v| v.downcast_ref::<V>());
    if let Some(value) = found {
        return value;
    }
    // Computed outside the lock: generating a schema may need other cached schemas.
    let value: &'static V = Box::leak(Box::new(make()));
    let mut map = cache
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let stored = *map.entry(key).or_insert(value);
    stored.downcast_ref::<V>().unwrap_or(value)
}
