//! Placeholder impls emitted next to compile errors, so one mistake in a derive
//! does not add a "trait not implemented" error at every use of the type.

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand::with_instruct_bounds;

pub(crate) fn placeholder(input: &syn::DeriveInput) -> TokenStream {
    // `Instruct: 'static`: a placeholder for a borrowing type would only add errors.
    if input.generics.lifetimes().next().is_some() {
        return TokenStream::new();
    }
    let p = crate_path(input);
    let ident = &input.ident;
    let name = ident.to_string();
    let generics = with_instruct_bounds(&input.generics, &p);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::Instruct for #ident #ty_generics #where_clause {
                type Partial = ();
                type PartialField = ();
                fn schema_name() -> #p::Cow<'static, str> {
                    #p::Cow::Borrowed(#name)
                }
                fn schema(_: &mut #p::SchemaGenerator) -> #p::Schema {
                    #p::Schema::any()
                }
            }
        };
    }
}

/// `crate = ..` read leniently (the full parse may have failed).
fn crate_path(input: &syn::DeriveInput) -> TokenStream {
    let mut path: syn::Path = syn::parse_quote!(::instructor);
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("instruct")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                if let Ok(value) = meta.value() {
                    let parsed = if value.peek(syn::LitStr) {
                        value
                            .parse::<syn::LitStr>()
                            .and_then(|l| l.parse::<syn::Path>())
                    } else {
                        value.parse::<syn::Path>()
                    };
                    if let Ok(p) = parsed {
                        path = p;
                    }
                }
            } else {
                crate::attr::skip_value(&meta);
            }
            Ok(())
        });
    }
    quote!(#path::__private)
}
