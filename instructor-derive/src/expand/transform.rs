//! `transform_into`: the `#[instruct(transform = ..)]` functions, run after parsing and
//! before any check. Each field is taken out by value (the value is destructured),
//! its type's own transforms run first (nested types), then the field's, then the
//! container's on the rebuilt value. Fields of std leaf types without a transform
//! pass through untouched, and a type with nothing to transform keeps the default
//! (no code).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::around_type;
use crate::model::{Container, Data, Field, Tagging, VariantStyle};

/// The `TRANSFORMS` constant and `transform_into`, or nothing.
pub(crate) fn transform_fn(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let fields: Vec<&Field<'_>> = match &cont.data {
        Data::Struct(fields) => fields.iter().collect(),
        Data::Newtype(field) => vec![field],
        Data::Enum(variants, _) => variants.iter().flat_map(|v| v.fields.iter()).collect(),
    };
    let touched =
        |f: &Field<'_>| !f.skipped && (!f.transforms.is_empty() || super::partial::may_nest(f.ty));
    if cont.transforms.is_empty() && !fields.iter().any(|f| touched(f)) {
        return TokenStream::new();
    }
    let body = match &cont.data {
        Data::Struct(fields) => {
            let (pattern, steps) =
                destructure(quote!(Self), fields, VariantStyle::Struct, p, &touched);
            quote! {
                let #pattern = self;
                #steps
                #pattern
            }
        }
        Data::Newtype(field) => {
            let (pattern, steps) = destructure(
                quote!(Self),
                std::slice::from_ref(field),
                VariantStyle::Newtype,
                p,
                &touched,
            );
            quote! {
                let #pattern = self;
                #steps
                #pattern
            }
        }
        Data::Enum(variants, tagging) => {
            let arms = variants.iter().map(|v| {
                let ident = &v.ident;
                let (pattern, steps) =
                    destructure(quote!(Self::#ident), &v.fields, v.style, p, &touched);
                let tagging = if v.untagged {
                    &Tagging::Untagged
                } else {
                    tagging
                };
                let scope = match (tagging, v.style) {
                    (_, VariantStyle::Unit) => None,
                    (Tagging::External, _) => Some(v.wire_name.clone()),
                    (Tagging::Adjacent { content, .. }, _) => Some(content.clone()),
                    _ => None,
                };
                let rebuilt = match scope {
                    Some(name) => quote! {{
                        let mut __instruct_out = #p::None;
                        __instruct_v.at_field(#name, |__instruct_v| {
                            __instruct_out = (|| { #steps #p::Some(#pattern) })();
                        });
                        __instruct_out?
                    }},
                    None => quote!({ #steps #pattern }),
                };
                quote!(#pattern => #rebuilt,)
            });
            quote! {
                match self {
                    #(#arms)*
                }
            }
        }
    };
    let container = cont.transforms.iter().map(|path| {
        quote_spanned! {syn::spanned::Spanned::span(path)=>
            let __instruct_this = #p::run_transform::<Self, _>(#path, __instruct_this, __instruct_v)?;
        }
    });
    quote! {
        // Conservative and literal (a constant naming the fields' would be a cycle
        // for recursive types): this type has transforms or fields that may.
        const TRANSFORMS: bool = true;
        #[allow(unused_variables, clippy::redundant_closure_call)]
        fn transform_into(self, __instruct_v: &mut #p::Validator<'_>) -> #p::Option<Self> {
            let __instruct_this = { #body };
            #(#container)*
            #p::Some(__instruct_this)
        }
    }
}

/// The expression (an `Option` of the field's type) running one field's transforms
/// on `value` (an owned local): its type's, then its own, in order; `None` when the
/// field has nothing that may transform it.
pub(crate) fn field_chain(
    f: &Field<'_>,
    value: &TokenStream,
    p: &TokenStream,
) -> Option<TokenStream> {
    if f.transforms.is_empty() && !super::partial::may_nest(f.ty) {
        return None;
    }
    let nested = around_type(
        f.ty,
        &quote!(<),
        &quote!(as #p::Instruct>::transform_into(#value, __instruct_v)),
    );
    let ty = f.ty;
    let own = f.transforms.iter().map(|path| {
        // The field's type named, so a wrong signature's error names it too.
        let run = quote_spanned! {syn::spanned::Spanned::span(path)=> #p::run_transform::<};
        let rest = quote_spanned! {syn::spanned::Spanned::span(path)=>
            , _>(#path, __instruct_x, __instruct_v)
        };
        quote!(.and_then(|__instruct_x| #run #ty #rest))
    });
    Some(quote!(#nested #(#own)*))
}

/// The pattern binding every field of one struct or variant by value, and the
/// statements that transform the touched bindings in place (returning `None` from
/// the function on a failure).
fn destructure(
    path: TokenStream,
    fields: &[Field<'_>],
    style: VariantStyle,
    p: &TokenStream,
    touched: &dyn Fn(&Field<'_>) -> bool,
) -> (TokenStream, TokenStream) {
    let bindings: Vec<_> = (0..fields.len())
        .map(|i| format_ident!("__instruct_f{}", i))
        .collect();
    let pattern = match style {
        VariantStyle::Unit => path,
        VariantStyle::Newtype | VariantStyle::Tuple => quote!(#path(#(#bindings),*)),
        VariantStyle::Struct => {
            let members = fields.iter().map(|f| &f.member);
            quote!(#path { #(#members: #bindings),* })
        }
    };
    let steps = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| touched(f))
        .map(|(i, f)| {
            let binding = &bindings[i];
            let step =
                field_chain(f, &quote!(#binding), p).unwrap_or_else(|| quote!(#p::Some(#binding)));
            let scope: Option<(proc_macro2::Ident, TokenStream)> = match style {
                VariantStyle::Struct if !f.flatten => {
                    let name = &f.wire_name;
                    Some((format_ident!("at_field"), quote!(#name)))
                }
                VariantStyle::Tuple => Some((format_ident!("at_index"), quote!(#i))),
                _ => None,
            };
            match scope {
                Some((method, arg)) => quote! {
                    let #binding = {
                        let mut __instruct_out = #p::None;
                        __instruct_v.#method(#arg, |__instruct_v| {
                            __instruct_out = #step;
                        });
                        __instruct_out?
                    };
                },
                None => quote! {
                    let #binding = #step?;
                },
            }
        });
    (pattern, quote!(#(#steps)*))
}
