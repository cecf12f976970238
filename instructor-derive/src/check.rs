//! Rules that span several attributes or fields, checked on the resolved model
//! before any code is generated. One function per rule.

use std::collections::BTreeSet;

use proc_macro2::Span;

use crate::attr::field::ConstraintSpec;
use crate::attr::{NumLit, Spanned};
use crate::ctxt::Ctxt;
use crate::model::{Container, Data, Field, VariantStyle};

pub(crate) fn check(cx: &Ctxt, cont: &Container<'_>) {
    check_tool_name(cx, cont);
    check_no_lifetimes(cx, cont);
    check_partial_only_on_structs(cx, cont);
    check_strict_not_generic(cx, cont);
    check_strict_no_tuple_variants(cx, cont);
    check_stream_controls(cx, cont);
    match &cont.data {
        Data::Struct(fields) => {
            check_unique_wire_names(
                cx,
                fields.iter().filter(|f| !f.skipped).flat_map(field_names),
                "field",
            );
            fields.iter().for_each(|f| check_field(cx, f));
        }
        Data::Newtype(field) => check_field(cx, field),
        Data::Enum(variants, _) => {
            let names = variants
                .iter()
                .filter(|v| !v.skipped)
                .map(|v| (v.wire_name.clone(), v.wire_span));
            check_unique_wire_names(cx, names, "variant");
            for variant in variants {
                check_unique_wire_names(
                    cx,
                    variant
                        .fields
                        .iter()
                        .filter(|f| !f.skipped)
                        .flat_map(field_names),
                    "field",
                );
                variant.fields.iter().for_each(|f| check_field(cx, f));
            }
        }
    }
}

/// Tool names must match `^[a-zA-Z0-9_-]{1,64}$` (OpenAI, Anthropic and Gemini all
/// reject anything else with a 400 at request time).
fn check_tool_name(cx: &Ctxt, cont: &Container<'_>) {
    let name = &cont.name;
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        let what = if cont.name_is_explicit {
            "`name`"
        } else {
            "the type name (used as the tool name)"
        };
        cx.syn_error(syn::Error::new(
            cont.name_span,
            format!(
                "{what} \"{name}\" is not a valid tool name: it must match ^[a-zA-Z0-9_-]{{1,64}}$"
            ),
        ));
    }
}

/// A response model is deserialized into owned data; borrowing is not possible.
fn check_no_lifetimes(cx: &Ctxt, cont: &Container<'_>) {
    if let Some(lt) = cont.input.generics.lifetimes().next() {
        cx.error_spanned_by(lt, "`Instruct` types cannot have lifetime parameters: response models own their data (use String instead of &str)");
    }
}

/// Unit-only enums appear in partial values once complete; they have no twin to
/// configure (enums with data do).
fn check_partial_only_on_structs(cx: &Ctxt, cont: &Container<'_>) {
    if let (Data::Enum(..), Some(span)) = (&cont.data, cont.partial_span)
        && !cont.has_enum_twin()
    {
        cx.syn_error(syn::Error::new(span, "`partial(...)` applies to structs and enums with data: a unit-only enum has no partial twin (it appears once complete)"));
    }
}

/// `strict` is checked when the derive expands, on concrete field types; a type
/// parameter's type is only known where the generic type is used. The check still
/// reaches it: a strict container holding `Page<HashMap<..>>` is rejected, because
/// `Page<T>` is strict-compatible exactly when `T` is.
fn check_strict_not_generic(cx: &Ctxt, cont: &Container<'_>) {
    if let (Some(span), Some(param)) = (cont.strict, cont.type_params().first()) {
        cx.syn_error(syn::Error::new(
            span,
            format!("`strict` cannot be checked on a generic type (`{param}` is not known here): put `#[instruct(strict)]` on the concrete type that uses this one, whose check reaches the type parameters"),
        ));
    }
}

/// A tuple variant's schema is a fixed-length array (`prefixItems`), which OpenAI
/// strict mode does not accept.
fn check_strict_no_tuple_variants(cx: &Ctxt, cont: &Container<'_>) {
    let (Some(_), Data::Enum(variants, _)) = (cont.strict, &cont.data) else {
        return;
    };
    for v in variants
        .iter()
        .filter(|v| !v.skipped && v.style == VariantStyle::Tuple)
    {
        cx.error_spanned_by(&v.ident, "`#[instruct(strict)]`: a tuple variant has no OpenAI strict-mode schema (a fixed-length array); give its fields names");
    }
}

/// `stream(..)` acts on a struct's fields as they stream: elsewhere it would be
/// ignored, so it is refused where it was written.
fn check_stream_controls(cx: &Ctxt, cont: &Container<'_>) {
    let refuse = |span: Option<Span>, message: &str| {
        if let Some(span) = span {
            cx.syn_error(syn::Error::new(span, message));
        }
    };
    match &cont.data {
        Data::Struct(fields) => {
            for field in fields {
                if field.skipped {
                    refuse(
                        field.stream.span(),
                        "this field is skipped by serde, so it never streams: `stream(..)` would have no effect",
                    );
                } else if field.flatten {
                    refuse(
                        field.stream.span(),
                        "`stream(..)` cannot be put on a `#[serde(flatten)]` field; put it on the inner type's fields or on the inner type",
                    );
                }
            }
        }
        Data::Newtype(field) => {
            refuse(
                field.stream.span(),
                "`stream(..)` on the field of a newtype: put it on the newtype itself (`#[instruct(stream(done))]` on the container)",
            );
            refuse(
                cont.stream.not_null,
                "`stream(not_null)` on a newtype: it applies to a struct's fields; use `stream(done)` here, or put `not_null` on the fields of the inner struct",
            );
        }
        Data::Enum(variants, _) => {
            for field in variants.iter().flat_map(|v| &v.fields) {
                refuse(
                    field.stream.span(),
                    "`stream(..)` on an enum variant's field is not supported; put `#[instruct(stream(done))]` on the enum to show it only once complete",
                );
            }
            refuse(
                cont.stream.not_null,
                "`stream(not_null)` on an enum: it applies to a struct's fields; use `stream(done)` to show the enum only once complete",
            );
        }
    }
}

fn field_names(field: &Field<'_>) -> Vec<(String, Span)> {
    let mut names = vec![(field.wire_name.clone(), field.wire_span)];
    names.extend(field.aliases.iter().cloned());
    names
}

/// Two fields (or variants) with the same name on the wire after `rename`,
/// `rename_all` and `alias`: the schema would describe one and serde would read
/// either, so the model's answer would be ambiguous.
fn check_unique_wire_names(cx: &Ctxt, names: impl Iterator<Item = (String, Span)>, what: &str) {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (name, span) in names {
        if !seen.insert(name.clone()) {
            cx.syn_error(syn::Error::new(
                span,
                format!("duplicate {what} name \"{name}\" on the wire (after serde renames and aliases): another {what} already reads \"{name}\"; each {what} needs its own name"),
            ));
        }
    }
}

fn check_field(cx: &Ctxt, field: &Field<'_>) {
    check_bounds_order(cx, &field.constraints);
    check_constraints_apply(cx, field);
}

/// Constraints on a flattened or skipped field would never reach the schema or
/// never be checked; nor would a validator on a skipped field (serde never reads it,
/// so there is no value from the model to check).
fn check_constraints_apply(cx: &Ctxt, field: &Field<'_>) {
    if field.skipped {
        for path in &field.validators {
            cx.error_spanned_by(
                path,
                "this field is skipped by serde, so its validator would never run (the model never sends it)",
            );
        }
    }
    let Some(first) = field.constraints.first() else {
        return;
    };
    if field.flatten {
        cx.syn_error(syn::Error::new(first.key, "constraints cannot be put on a `#[serde(flatten)]` field; put them on the inner type's fields"));
    } else if field.skipped {
        cx.syn_error(syn::Error::new(
            first.key,
            "this field is skipped by serde, so its constraints would never be checked",
        ));
    }
}

/// A lower bound above the upper bound accepts nothing: the model could never
/// produce a valid answer.
fn check_bounds_order(cx: &Ctxt, constraints: &[Spanned<ConstraintSpec>]) {
    for lower in constraints {
        let Some((group, false, lo)) = bound(&lower.value) else {
            continue;
        };
        let upper = constraints.iter().find_map(|c| match bound(&c.value) {
            Some((g, true, hi)) if g == group => Some((c, hi)),
            _ => None,
        });
        let Some((_, hi)) = upper else { continue };
        let exclusive = group == "exclusive bounds";
        let empty = if exclusive {
            lo.as_f64() >= hi.as_f64()
        } else {
            lo.as_f64() > hi.as_f64()
        };
        if empty {
            let relation = if exclusive {
                "is not below"
            } else {
                "is above"
            };
            let message = format!(
                "{group}: the minimum ({}) {relation} the maximum ({}), so no value is valid",
                show(lo),
                show(hi)
            );
            cx.error_spanned_by(&lower.value_tokens, message);
        }
    }
}

/// A bound's group, whether it is the upper one, and its value.
fn bound(c: &ConstraintSpec) -> Option<(&'static str, bool, NumLit)> {
    let count = |n: &u64| NumLit::Int(i128::from(*n));
    match c {
        ConstraintSpec::Minimum(n) => Some(("range", false, *n)),
        ConstraintSpec::Maximum(n) => Some(("range", true, *n)),
        ConstraintSpec::ExclusiveMinimum(n) => Some(("exclusive bounds", false, *n)),
        ConstraintSpec::ExclusiveMaximum(n) => Some(("exclusive bounds", true, *n)),
        ConstraintSpec::MinLength(n) => Some(("length", false, count(n))),
        ConstraintSpec::MaxLength(n) => Some(("length", true, count(n))),
        ConstraintSpec::MinItems(n) => Some(("item count", false, count(n))),
        ConstraintSpec::MaxItems(n) => Some(("item count", true, count(n))),
        _ => None,
    }
}

fn show(n: NumLit) -> String {
    match n {
        NumLit::Int(i) => i.to_string(),
        NumLit::Float(f) => format!("{f:?}"),
    }
}
