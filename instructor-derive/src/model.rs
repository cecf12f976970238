//! The resolved model: serde's view of the type (wire names, tagging, skip, default,
//! flatten, read through `serde_derive_internals`) joined with our own options.
//! Code generation reads only this model, never attributes.

use proc_macro2::Span;
use quote::format_ident;
use serde_derive_internals::{Ctxt as SerdeCtxt, Derive, ast, attr as serde_attr};
use syn::{ExprPath, Ident, Path};

use crate::attr::container::ContainerAttrs;
use crate::attr::field::{ConstraintSpec, FieldAttrs};
use crate::attr::variant::VariantAttrs;
use crate::attr::{Doc, Spanned, StreamControls};
use crate::ctxt::Ctxt;

/// A type deriving `Instruct`.
pub(crate) struct Container<'a> {
    pub(crate) ident: Ident,
    pub(crate) input: &'a syn::DeriveInput,
    pub(crate) crate_path: Path,
    /// Explicit `name = ".."` (with its span), else the type's name.
    pub(crate) name: String,
    pub(crate) name_span: Span,
    pub(crate) name_is_explicit: bool,
    /// `title = ".."`: the schema's `title`.
    pub(crate) title: Option<String>,
    pub(crate) description: Option<Doc>,
    pub(crate) strict: Option<Span>,
    pub(crate) validators: Vec<ExprPath>,
    pub(crate) transforms: Vec<ExprPath>,
    pub(crate) partial_ident: Ident,
    pub(crate) partial_derives: Vec<Path>,
    pub(crate) partial_span: Option<Span>,
    pub(crate) deny_unknown_fields: bool,
    /// `#[serde(from/try_from = ..)]`: the wire form is another type's.
    pub(crate) converts_from: bool,
    /// `stream(done, not_null)` on the container.
    pub(crate) stream: StreamControls,
    pub(crate) data: Data<'a>,
}

/// The shape of the type.
pub(crate) enum Data<'a> {
    /// Named fields: a JSON object.
    Struct(Vec<Field<'a>>),
    /// One unnamed field (or `#[serde(transparent)]`): the inner value itself.
    Newtype(Field<'a>),
    /// An enum with serde's tagging.
    Enum(Vec<Variant<'a>>, Tagging),
}

/// serde's enum representations.
#[derive(Clone)]
pub(crate) enum Tagging {
    External,
    Internal { tag: String },
    Adjacent { tag: String, content: String },
    Untagged,
}

/// A field as it appears on the wire.
pub(crate) struct Field<'a> {
    pub(crate) member: syn::Member,
    pub(crate) ty: &'a syn::Type,
    pub(crate) vis: &'a syn::Visibility,
    pub(crate) wire_name: String,
    pub(crate) wire_span: Span,
    pub(crate) aliases: Vec<(String, Span)>,
    pub(crate) skipped: bool,
    pub(crate) has_default: bool,
    pub(crate) flatten: bool,
    /// `#[serde(deserialize_with/with = ..)]`: the wire form is not the type's own.
    pub(crate) custom_deserialize: bool,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<Doc>,
    pub(crate) constraints: Vec<Spanned<ConstraintSpec>>,
    pub(crate) validators: Vec<ExprPath>,
    pub(crate) transforms: Vec<ExprPath>,
    pub(crate) examples: Vec<String>,
    /// `stream(done, not_null)` on the field.
    pub(crate) stream: StreamControls,
}

/// A variant's payload shape.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum VariantStyle {
    Unit,
    Newtype,
    Tuple,
    Struct,
}

/// An enum variant as it appears on the wire.
pub(crate) struct Variant<'a> {
    pub(crate) ident: Ident,
    pub(crate) wire_name: String,
    pub(crate) wire_span: Span,
    pub(crate) style: VariantStyle,
    pub(crate) fields: Vec<Field<'a>>,
    pub(crate) description: Option<Doc>,
    pub(crate) skipped: bool,
    /// `#[serde(untagged)]` on the variant.
    pub(crate) untagged: bool,
    pub(crate) deny_unknown_fields: bool,
}

impl<'a> Container<'a> {
    /// Builds the model, or `None` when serde itself cannot read the type (serde's
    /// derive reports that; we do not report it twice).
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let attrs = ContainerAttrs::from_ast(cx, &input.attrs);
        let serde_cx = SerdeCtxt::new();
        let private = Ident::new("__private", Span::call_site());
        let serde_ast = ast::Container::from_ast(&serde_cx, input, Derive::Deserialize, &private);
        let serde_ok = serde_cx.check().is_ok();
        let serde_ast = serde_ast.filter(|_| serde_ok);
        // serde's own derive reports why it cannot read the type; we stay silent.
        let serde_ast = serde_ast?;
        let crate_path = attrs
            .crate_path
            .as_ref()
            .map_or_else(|| syn::parse_quote!(::instructor), |p| p.value.clone());
        let (name, name_span, name_is_explicit) = match &attrs.name {
            Some(lit) => (lit.value(), lit.span(), true),
            None => (input.ident.to_string(), input.ident.span(), false),
        };
        let data = match &serde_ast.data {
            ast::Data::Struct(style, fields) => struct_data(
                cx,
                input,
                *style,
                fields,
                serde_ast.attrs.transparent(),
                !serde_ast.attrs.default().is_none(),
            )?,
            ast::Data::Enum(variants) => Data::Enum(
                variants
                    .iter()
                    .map(|v| Variant::from_serde(cx, v, serde_ast.attrs.deny_unknown_fields()))
                    .collect(),
                tagging(serde_ast.attrs.tag()),
            ),
        };
        Some(Self {
            ident: input.ident.clone(),
            input,
            crate_path,
            name,
            name_span,
            name_is_explicit,
            title: attrs.title.as_ref().map(syn::LitStr::value),
            description: attrs.description,
            strict: attrs.strict,
            validators: attrs.validators,
            transforms: attrs.transforms,
            partial_ident: attrs
                .partial_name
                .unwrap_or_else(|| format_ident!("Partial{}", input.ident)),
            partial_derives: attrs.partial_derives,
            partial_span: attrs.partial_span,
            deny_unknown_fields: serde_ast.attrs.deny_unknown_fields(),
            converts_from: serde_ast.attrs.type_from().is_some()
                || serde_ast.attrs.type_try_from().is_some(),
            stream: attrs.stream,
            data,
        })
    }

    /// Whether the type has type parameters (its schema name then includes theirs).
    pub(crate) fn type_params(&self) -> Vec<&Ident> {
        self.input
            .generics
            .type_params()
            .map(|p| &p.ident)
            .collect()
    }
}

fn struct_data<'a>(
    cx: &Ctxt,
    input: &'a syn::DeriveInput,
    style: ast::Style,
    fields: &[ast::Field<'a>],
    transparent: bool,
    container_default: bool,
) -> Option<Data<'a>> {
    let mut model: Vec<Field<'a>> = fields
        .iter()
        .map(|f| Field::from_serde(cx, f, container_default))
        .collect();
    match style {
        ast::Style::Struct if transparent => {
            let index = model.iter().position(|f| !f.skipped)?;
            Some(Data::Newtype(model.swap_remove(index)))
        }
        ast::Style::Struct => Some(Data::Struct(model)),
        ast::Style::Newtype => model.pop().map(Data::Newtype),
        ast::Style::Tuple => {
            cx.error_spanned_by(&input.ident, "`Instruct` supports structs with named fields and newtype structs; give the fields names");
            None
        }
        ast::Style::Unit => {
            cx.error_spanned_by(
                &input.ident,
                "`Instruct` cannot be derived for a unit struct: it has no data to extract",
            );
            None
        }
    }
}

fn tagging(tag: &serde_attr::TagType) -> Tagging {
    match tag {
        serde_attr::TagType::External => Tagging::External,
        serde_attr::TagType::Internal { tag } => Tagging::Internal { tag: tag.clone() },
        serde_attr::TagType::Adjacent { tag, content } => Tagging::Adjacent {
            tag: tag.clone(),
            content: content.clone(),
        },
        serde_attr::TagType::None => Tagging::Untagged,
    }
}

impl<'a> Field<'a> {
    fn from_serde(cx: &Ctxt, field: &ast::Field<'a>, container_default: bool) -> Self {
        let attrs = FieldAttrs::from_ast(cx, &field.original.attrs);
        let name = field.attrs.name().deserialize_name();
        Self {
            member: field.member.clone(),
            ty: field.ty,
            vis: &field.original.vis,
            wire_name: name.value.clone(),
            wire_span: name.span,
            aliases: field
                .attrs
                .aliases()
                .iter()
                .filter(|a| a.value != name.value)
                .map(|a| (a.value.clone(), a.span))
                .collect(),
            skipped: field.attrs.skip_deserializing(),
            has_default: container_default || !field.attrs.default().is_none(),
            flatten: field.attrs.flatten(),
            custom_deserialize: field.attrs.deserialize_with().is_some(),
            title: attrs.title,
            description: attrs.description,
            constraints: attrs.constraints,
            validators: attrs.validators,
            transforms: attrs.transforms,
            examples: attrs.examples,
            stream: attrs.stream,
        }
    }
}

impl<'a> Variant<'a> {
    /// `deny_unknown_fields` on the enum: serde applies it to each struct variant's
    /// fields, so their object schemas are closed too.
    fn from_serde(cx: &Ctxt, variant: &ast::Variant<'a>, deny_unknown_fields: bool) -> Self {
        let attrs = VariantAttrs::from_ast(cx, &variant.original.attrs);
        let name = variant.attrs.name().deserialize_name();
        let style = match variant.style {
            ast::Style::Unit => VariantStyle::Unit,
            ast::Style::Newtype => VariantStyle::Newtype,
            ast::Style::Tuple => VariantStyle::Tuple,
            ast::Style::Struct => VariantStyle::Struct,
        };
        Self {
            ident: variant.ident.clone(),
            wire_name: name.value.clone(),
            wire_span: name.span,
            style,
            fields: variant
                .fields
                .iter()
                .map(|f| Field::from_serde(cx, f, false))
                .collect(),
            description: attrs.description,
            skipped: variant.attrs.skip_deserializing(),
            untagged: variant.attrs.untagged(),
            deny_unknown_fields,
        }
    }
}
