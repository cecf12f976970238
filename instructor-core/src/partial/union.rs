//! Reading the partial twin of an enum (every serde tagging) or untagged union from
//! the JSON received so far: the member is shown as the partial of the variant it can
//! still be, or as the raw JSON so far while no variant can be told, never dropped.
//!
//! Generated code describes the variants ([`VariantInfo`]) and reads one variant's
//! payload ([`PartialObject`], [`PartialTuple`], [`partial_newtype`]); [`read_enum`]
//! picks the variant:
//! - externally tagged: the single key (or, for a unit variant, the whole string);
//! - internally tagged: the tag's value; the payload is the object without the tag;
//! - adjacently tagged: the tag's value; the payload is the content key's value (none
//!   yet reads as an empty payload);
//! - untagged (and `#[serde(untagged)]` variants when no tag matches): the first
//!   variant, in declaration order, that *fits* what arrived: every key present is
//!   one of its fields (or of its payload struct) and every value read as its type.
//!
//! A variant's payload is read leniently (a value that does not fit its field yet reads
//! as absent, as in a struct twin), so the chosen variant shows all that it can.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// How an enum is represented on the wire (serde's tagging).
#[derive(Debug, Clone, Copy)]
pub enum EnumTagging {
    /// `{"Variant": payload}` or `"Variant"`.
    External,
    /// `{"<tag>": "Variant", ...payload}`.
    Internal(&'static str),
    /// `{"<tag>": "Variant", "<content>": payload}`.
    Adjacent(&'static str, &'static str),
    /// The payload alone.
    Untagged,
}

/// What the reader needs to know of a variant.
#[derive(Debug, Clone, Copy)]
pub struct VariantInfo {
    /// The wire name.
    pub name: &'static str,
    /// Whether the variant is a unit variant.
    pub unit: bool,
    /// `#[serde(untagged)]` on the variant (or the whole enum untagged).
    pub untagged: bool,
}

/// Reads the partial twin of an enum from the JSON so far. `read(i, payload)` reads
/// variant `i` from its payload and tells whether it fits (see the module docs); it
/// returns `None` when the payload cannot be that variant's at all. `undecided` wraps
/// the raw JSON when no variant can be told yet.
pub fn read_enum<E>(
    value: Value,
    tagging: EnumTagging,
    variants: &[VariantInfo],
    read: impl Fn(usize, &Value) -> Option<(E, bool)>,
    undecided: impl FnOnce(Value) -> E,
) -> E {
    let tagged = |name: &str| variants.iter().position(|v| !v.untagged && v.name == name);
    let chosen = match (tagging, &value) {
        (EnumTagging::External, Value::String(name)) => tagged(name)
            .filter(|&i| variants[i].unit)
            .and_then(|i| read(i, &Value::Null)),
        (EnumTagging::External, Value::Object(map)) if map.len() == 1 => map
            .iter()
            .next()
            .and_then(|(name, payload)| read(tagged(name)?, payload)),
        (EnumTagging::Internal(tag), Value::Object(map)) => {
            match map.get(tag).and_then(Value::as_str).and_then(tagged) {
                Some(i) => {
                    let mut rest = map.clone();
                    rest.remove(tag);
                    read(i, &Value::Object(rest))
                }
                None => None,
            }
        }
        (EnumTagging::Adjacent(tag, content), Value::Object(map)) => map
            .get(tag)
            .and_then(Value::as_str)
            .and_then(tagged)
            .and_then(|i| read(i, map.get(content).unwrap_or(&Value::Null))),
        _ => None,
    };
    if let Some((member, _)) = chosen {
        return member;
    }
    // No tag matched (or the enum is untagged): the first untagged variant that fits.
    let fitting = variants
        .iter()
        .enumerate()
        .filter(|(_, v)| v.untagged)
        .find_map(|(i, _)| match read(i, &value) {
            Some((member, true)) => Some(member),
            _ => None,
        });
    fitting.unwrap_or_else(|| undecided(value))
}

/// The payload object of a struct variant, read field by field.
#[derive(Debug)]
pub struct PartialObject<'v> {
    map: Option<&'v Map<String, Value>>,
    used: usize,
    misfit: bool,
}

impl<'v> PartialObject<'v> {
    /// The payload `value`: an object, or nothing yet (`null`: every field absent).
    /// `None` for anything else (the payload cannot be this variant's).
    pub fn new(value: &'v Value) -> Option<Self> {
        let map = match value {
            Value::Object(map) => Some(map),
            Value::Null => None,
            _ => return None,
        };
        Some(Self {
            map,
            used: 0,
            misfit: false,
        })
    }

    /// The field under the first of `names` present (its wire name, then its
    /// aliases), read as `P`; absent when missing, `null`, or not (yet) a `P`.
    pub fn field<P: DeserializeOwned>(&mut self, names: &[&str]) -> Option<P> {
        let value = names.iter().find_map(|n| self.map?.get(*n))?;
        if value.is_null() {
            return None;
        }
        self.used += 1;
        let read = P::deserialize(value).ok();
        self.misfit |= read.is_none();
        read
    }

    /// Whether every non-null key was a field and every field's value read.
    pub fn fits(&self) -> bool {
        let keys = self
            .map
            .map_or(0, |m| m.values().filter(|v| !v.is_null()).count());
        !self.misfit && self.used == keys
    }
}

/// The payload array of a tuple variant, read item by item.
#[derive(Debug)]
pub struct PartialTuple<'v> {
    items: &'v [Value],
    next: usize,
    misfit: bool,
}

impl<'v> PartialTuple<'v> {
    /// The payload `value`: an array (or nothing yet); `None` for anything else.
    pub fn new(value: &'v Value) -> Option<Self> {
        let items: &[Value] = match value {
            Value::Array(items) => items,
            Value::Null => &[],
            _ => return None,
        };
        Some(Self {
            items,
            next: 0,
            misfit: false,
        })
    }

    /// The next item read as `P`; absent when missing or not (yet) a `P`.
    pub fn item<P: DeserializeOwned>(&mut self) -> Option<P> {
        let value = self.items.get(self.next)?;
        self.next += 1;
        let read = P::deserialize(value).ok();
        self.misfit |= read.is_none();
        read
    }

    /// Whether the array is no longer than the variant and every item read.
    pub fn fits(&self) -> bool {
        !self.misfit && self.items.len() <= self.next
    }
}

/// The payload of a newtype variant read as its partial type `P` (`null`, nothing
/// yet, reads as `P::default()`), and whether it fits: it reads, and every non-null
/// key of an object payload survives in the partial.
pub fn partial_newtype<P>(value: &Value) -> Option<(P, bool)>
where
    P: DeserializeOwned + Serialize + Default,
{
    if value.is_null() {
        return Some((P::default(), true));
    }
    let partial = P::deserialize(value).ok()?;
    let fits = match value {
        Value::Object(map) => match serde_json::to_value(&partial) {
            Ok(Value::Object(kept)) => map.iter().all(|(k, v)| v.is_null() || kept.contains_key(k)),
            _ => false,
        },
        _ => true,
    };
    Some((partial, fits))
}

/// The payload of a unit variant: it fits when there is none.
pub fn unit_fits(value: &Value) -> Option<bool> {
    match value {
        Value::Null => Some(true),
        Value::Object(map) => Some(map.is_empty()),
        _ => None,
    }
}

/// Writes one variant of an enum's partial twin as serde's derive would for the
/// enum's tagging: `payload` is the variant's payload as JSON (`None` for a unit
/// variant), written bare when the variant (or the enum) is untagged.
pub fn serialize_variant<S: serde::Serializer>(
    serializer: S,
    tagging: EnumTagging,
    name: &'static str,
    untagged: bool,
    payload: Option<Value>,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    use serde::ser::Error;
    let tagging = if untagged {
        EnumTagging::Untagged
    } else {
        tagging
    };
    let value = match (tagging, payload) {
        (EnumTagging::Untagged, payload) => payload.unwrap_or(Value::Null),
        (EnumTagging::External, None) => Value::String(name.to_owned()),
        (EnumTagging::External, Some(payload)) => {
            Value::Object(serde_json::Map::from_iter([(name.to_owned(), payload)]))
        }
        (EnumTagging::Internal(tag), payload) => {
            let mut object = serde_json::Map::new();
            object.insert(tag.to_owned(), Value::String(name.to_owned()));
            match payload {
                None | Some(Value::Null) => {}
                Some(Value::Object(fields)) => object.extend(fields),
                Some(_) => {
                    return Err(S::Error::custom(format!(
                        "the internally tagged variant `{name}` holds something other than an object"
                    )));
                }
            }
            Value::Object(object)
        }
        (EnumTagging::Adjacent(tag, content), payload) => {
            let mut object = serde_json::Map::new();
            object.insert(tag.to_owned(), Value::String(name.to_owned()));
            if let Some(payload) = payload {
                object.insert(content.to_owned(), payload);
            }
            Value::Object(object)
        }
    };
    value.serialize(serializer)
}

/// One field of a variant's payload as JSON, for [`serialize_variant`].
pub fn variant_field<T: serde::Serialize, E: serde::ser::Error>(value: &T) -> Result<Value, E> {
    serde_json::to_value(value).map_err(E::custom)
}
