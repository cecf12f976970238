//! `schema_name`, `description`, `inline_schema` and `schema`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{around_type, constraints_ref, doc_expr};
use crate::model::{Container, Data, Field, Tagging, Variant, VariantStyle};

pub(crate) fn schema_items(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let name = &cont.name;
    let params = cont.type_params();
    let schema_name = if params.is_empty() || cont.name_is_explicit {
        quote!(#p::Cow::Borrowed(#name))
    } else {
        quote!(#p::generic_name(#name, &[#(<#params as #p::Instruct>::schema_name()),*]))
    };
    let description = doc_expr(cont.description.as_ref(), p);
    let inline = matches!(cont.data, Data::Newtype(_));
    let body = match &cont.data {
        Data::Struct(fields) => {
            let object = object_body(fields, 0, cont.deny_unknown_fields, None, p);
            quote!(#object.finish(<Self as #p::Instruct>::description()))
        }
        Data::Newtype(field) => {
            let schema = field_schema(
                field,
                0,
                0,
                p,
                Some(quote!(<Self as #p::Instruct>::description().as_deref())),
            );
            quote!(#schema)
        }
        Data::Enum(variants, tagging) => enum_body(variants, tagging, p),
    };
    let body = match &cont.title {
        Some(title) => quote!(#p::with_title(#body, #title)),
        None => body,
    };
    quote! {
        fn schema_name() -> #p::Cow<'static, str> {
            #schema_name
        }
        fn description() -> #p::Option<#p::Cow<'static, str>> {
            #description.map(#p::Cow::Borrowed)
        }
        fn inline_schema() -> bool {
            #inline
        }
        fn schema(__instruct_gen: &mut #p::SchemaGenerator) -> #p::Schema {
            #body
        }
    }
}

/// `field_schema::<Ty>(..)` for one field, spanned at the type so a missing
/// `Instruct` impl is reported on the user's field.
fn field_schema(
    field: &Field<'_>,
    variant: usize,
    index: usize,
    p: &TokenStream,
    description: Option<TokenStream>,
) -> TokenStream {
    let ty = field.ty;
    let description = description.unwrap_or_else(|| doc_expr(field.description.as_ref(), p));
    let constraints = constraints_ref(field, variant, index, p);
    let examples = &field.examples;
    let schema = quote_spanned! {ty.span()=>
        #p::field_schema::<#ty>(__instruct_gen, #description, #constraints, &[#(#examples),*])
    };
    match &field.title {
        Some(title) => quote!(#p::with_title(#schema, #title)),
        None => schema,
    }
}

/// Statements building an object from named fields; evaluates to the schema.
fn object_body(
    fields: &[Field<'_>],
    variant: usize,
    closed: bool,
    tag: Option<(&str, &str)>,
    p: &TokenStream,
) -> TokenStream {
    let new = if closed {
        quote!(#p::ObjectSchema::new().closed())
    } else {
        quote!(#p::ObjectSchema::new())
    };
    let tag = tag.map(|(tag, name)| quote!(__instruct_obj.tag(#tag, #name);));
    let properties = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.skipped)
        .map(|(i, field)| {
            let ty = field.ty;
            if field.flatten {
                return quote_spanned! {ty.span()=> __instruct_obj.flatten::<#ty>(__instruct_gen); };
            }
            let name = &field.wire_name;
            let schema = field_schema(field, variant, i, p, None);
            let has_default = field.has_default;
            let optional = around_type(ty, &quote!(<), &quote!(as #p::Instruct>::IS_OPTION));
            quote! {
                // `IS_OPTION` first: a missing `Instruct` is then reported once, by
                // the path (no note), and `field_schema`'s bound is not reported again.
                let __instruct_required = !#has_default && !#optional;
                __instruct_obj.property(#name, #schema, __instruct_required);
            }
        });
    quote! {{
        let mut __instruct_obj = #new;
        #tag
        #(#properties)*
        __instruct_obj
    }}
}

fn enum_body(variants: &[Variant<'_>], tagging: &Tagging, p: &TokenStream) -> TokenStream {
    let live: Vec<(usize, &Variant<'_>)> = variants
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.skipped)
        .collect();
    let mut branches = Vec::new();
    let plain_units: Vec<&Variant<'_>> = live
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| {
            v.style == VariantStyle::Unit && !v.untagged && matches!(tagging, Tagging::External)
        })
        .collect();
    if !plain_units.is_empty() {
        let names = plain_units.iter().map(|v| &v.wire_name);
        let docs = plain_units
            .iter()
            .map(|v| doc_expr(v.description.as_ref(), p));
        branches.push(quote!(#p::string_enum(&[#(#names),*], &[#(#docs),*])));
    }
    for (vi, variant) in &live {
        if plain_units.iter().any(|u| std::ptr::eq(*u, *variant)) {
            continue;
        }
        branches.push(variant_schema(*vi + 1, variant, tagging, p));
    }
    quote! {
        #p::enum_schema(<Self as #p::Instruct>::description(), #p::vec![#(#branches),*])
    }
}

fn variant_schema(
    vi: usize,
    variant: &Variant<'_>,
    tagging: &Tagging,
    p: &TokenStream,
) -> TokenStream {
    let name = &variant.wire_name;
    let description = doc_expr(variant.description.as_ref(), p);
    let tagging = if variant.untagged {
        &Tagging::Untagged
    } else {
        tagging
    };
    match (tagging, variant.style) {
        (Tagging::Internal { tag }, VariantStyle::Unit | VariantStyle::Struct) => {
            let body = object_body(
                &variant.fields,
                vi,
                variant.deny_unknown_fields,
                Some((tag, name)),
                p,
            );
            quote!(#body.finish(#description.map(#p::Cow::Borrowed)))
        }
        (Tagging::Internal { tag }, _) => {
            let ty = variant.fields.first().map(|f| f.ty);
            quote!(#p::internal_newtype_variant::<#ty>(__instruct_gen, #tag, #name, #description))
        }
        (Tagging::Adjacent { tag, content }, VariantStyle::Unit) => {
            quote!(#p::adjacent_variant(#tag, #content, #name, #p::None, #description))
        }
        (Tagging::Adjacent { tag, content }, _) => {
            let payload = payload(vi, variant, p);
            quote!(#p::adjacent_variant(#tag, #content, #name, #p::Some(#payload), #description))
        }
        (Tagging::Untagged, VariantStyle::Unit) => quote!(#p::null_schema(#description)),
        (Tagging::Untagged, _) => {
            let payload = payload(vi, variant, p);
            quote!(#p::describe(#payload, #description))
        }
        (Tagging::External, VariantStyle::Unit) => {
            quote!(#p::string_enum(&[#name], &[#description]))
        }
        (Tagging::External, _) => {
            let payload = payload(vi, variant, p);
            quote!(#p::external_variant(#name, #payload, #description))
        }
    }
}

/// The schema of a data variant's content.
fn payload(vi: usize, variant: &Variant<'_>, p: &TokenStream) -> TokenStream {
    match variant.style {
        VariantStyle::Newtype => match variant.fields.first() {
            Some(field) => field_schema(field, vi, 0, p, None),
            None => quote!(#p::Schema::any()),
        },
        VariantStyle::Tuple => {
            let items = variant
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| field_schema(f, vi, i, p, None));
            quote!(#p::tuple_schema(#p::vec![#(#items),*]))
        }
        VariantStyle::Struct | VariantStyle::Unit => {
            let body = object_body(&variant.fields, vi, variant.deny_unknown_fields, None, p);
            quote!(#body.finish(#p::None))
        }
    }
}
