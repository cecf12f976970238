//! OpenAI strict mode: the type's place in the compile-time walk (`StrictShape` and
//! `NamedShape` on the partial twin, or on the enum itself, which is its own partial
//! value), and the `#[instruct(strict)]` assertions on the container's fields.
//!
//! The walk is described in `instructor-core`'s `strict` module: each field's check
//! is a type at a type-level depth, so recursive and mutually recursive types need no
//! special case here. Each field's check sits in its own `FieldShape<I>` impl whose
//! type is spanned at the field's type: a field type lacking `Instruct` is reported
//! there (merged with the twin's identical report), not at the derive.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Generics;

use super::{around_type, live_fields, respan, with_instruct_bounds};
use crate::model::{Container, Data, VariantStyle};

/// `StrictShape`, `NamedShape` and one `FieldShape<I>` per distinct field type (but
/// plain std types, which always pass) for the type's partial value: the twin of a
/// struct, an enum itself. A newtype needs none (its partial type is its field's).
pub(crate) fn shape_impls(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let target = match &cont.data {
        Data::Struct(_) => &cont.partial_ident,
        Data::Enum(..) if cont.has_enum_twin() => &cont.partial_ident,
        Data::Enum(..) => &cont.ident,
        Data::Newtype(_) => return TokenStream::new(),
    };
    let generics = shape_generics(cont, p);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let own = !has_tuple_variant(cont);
    let types = distinct_field_types(cont);
    let fields = all_of(
        (0..types.len())
            .map(|i| quote!(#p::Field<Self, #i, __InstructDepth>))
            .collect(),
    );
    let field_impls = types.iter().enumerate().map(|(i, ty)| {
        let check = around_type(
            ty,
            &quote!(< <),
            &quote!(as #p::Instruct>::Partial as #p::StrictShape>::Check<__InstructDepth>),
        );
        quote! {
            #[automatically_derived]
            impl #impl_generics #p::FieldShape<#i> for #target #ty_generics #where_clause {
                type Check<__InstructDepth: #p::Depth> = #check;
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::StrictShape for #target #ty_generics #where_clause {
            type Check<__InstructDepth: #p::Depth> = #p::Named<Self, __InstructDepth>;
        }

        #[automatically_derived]
        impl #impl_generics #p::NamedShape for #target #ty_generics #where_clause {
            const OWN: bool = #own;
            type Fields<__InstructDepth: #p::Depth> = #fields;
        }

        #(#field_impls)*
    }
}

/// The type's generics with `T: Instruct` and `T::Partial: StrictShape` for every
/// type parameter. (Bounds on the field types themselves would make a recursive type
/// need its own impl first, a cycle rustc rejects.)
fn shape_generics(cont: &Container<'_>, p: &TokenStream) -> Generics {
    let mut generics = with_instruct_bounds(&cont.input.generics, p);
    let params: Vec<syn::Ident> = generics.type_params().map(|t| t.ident.clone()).collect();
    let where_clause = generics.make_where_clause();
    for param in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(<#param as #p::Instruct>::Partial: #p::StrictShape));
    }
    generics
}

/// The live fields' types, each once (at its first use), in field order. Each gets a
/// `FieldShape<I>` impl whose type is spanned at the field's type like every other use
/// of it, so a missing `Instruct` is reported there, merged with the other reports.
fn distinct_field_types<'c>(cont: &'c Container<'_>) -> Vec<&'c syn::Type> {
    let mut seen = std::collections::BTreeSet::new();
    live_fields(cont)
        .into_iter()
        .map(|f| f.ty)
        // Plain std types always pass: no check to walk (smaller expansion).
        .filter(|ty| !super::partial::plain_std(ty))
        .filter(|ty| seen.insert(quote!(#ty).to_string()))
        .collect()
}

/// The checks as one tuple: flat up to 12 (the arities core implements `StrictFlag`
/// for), tuples of tuples past that.
fn all_of(checks: Vec<TokenStream>) -> TokenStream {
    const WIDTH: usize = 12;
    if checks.len() <= WIDTH {
        return quote!((#(#checks,)*));
    }
    all_of(checks.chunks(WIDTH).map(|c| quote!((#(#c,)*))).collect())
}

/// An enum with a tuple variant: a fixed-length array, which strict mode rejects.
fn has_tuple_variant(cont: &Container<'_>) -> bool {
    matches!(&cont.data, Data::Enum(variants, _)
        if variants.iter().any(|v| !v.skipped && v.style == VariantStyle::Tuple))
}

/// `strict`: every field's type must have a strict-mode schema, nested types
/// included. Checked in a const item at compile time, every token spanned at the
/// field's type so the error points there.
pub(crate) fn assertions(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    if cont.strict.is_none() {
        return TokenStream::new();
    }
    let checks = live_fields(cont).into_iter().map(|field| {
        let ty = field.ty;
        let ty_text = quote!(#ty).to_string().replace(' ', "");
        let message = format!(
            "`#[instruct(strict)]`: field `{}` has type `{ty_text}`, which has no OpenAI strict-mode schema (it is or contains a map with arbitrary keys, a serde_json::Value or a tuple)",
            field.wire_name
        );
        let check = quote! {
            const _: () = if !#p::strict_compatible::<#ty>() { #p::panic!(#message) };
        };
        respan(&check, syn::spanned::Spanned::span(ty))
    });
    quote!(#(#checks)*)
}
