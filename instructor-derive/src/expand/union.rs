//! `union_members`: an enum whose every variant wraps one model is a union of
//! models, answered in parallel tool calls with one tool per variant
//! (`enum Action { Weather(Weather), Search(Search) }`).
//!
//! Each call's arguments are read as the variant's own model (not through the enum's
//! tagging), so any serde tagging works. Left out, and answered as one value as
//! before: enums with a unit, tuple or struct variant, generic enums (their models'
//! `DeserializeOwned` is not in the impl's bounds), and enums whose wire form is
//! another type's (`#[serde(from)]`, `deserialize_with` on a payload). Whether every
//! payload is a named model is decided at run time (`__private::union_of`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{Container, Data, VariantStyle};

/// The `union_members` method, or nothing when the type is not a union.
pub(crate) fn union_members(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let Data::Enum(variants, _) = &cont.data else {
        return TokenStream::new();
    };
    if !cont.type_params().is_empty() || cont.converts_from {
        return TokenStream::new();
    }
    let live: Vec<_> = variants.iter().filter(|v| !v.skipped).collect();
    let is_union = !live.is_empty()
        && live.iter().all(|v| {
            v.style == VariantStyle::Newtype
                && v.fields.len() == 1
                && v.fields.iter().all(|f| !f.custom_deserialize)
        });
    if !is_union {
        return TokenStream::new();
    }
    let members = live.iter().filter_map(|v| {
        let field = v.fields.first()?;
        let ty = field.ty;
        let ident = &v.ident;
        Some(quote_spanned! {ty.span()=> #p::UnionMember::of::<#ty>(Self::#ident) })
    });
    quote! {
        fn union_members() -> #p::Option<#p::Vec<#p::UnionMember<Self>>> {
            #p::union_of(#p::vec![#(#members),*])
        }
    }
}
