//! The partial twin of an enum with data, `Partial<Name>`: each variant holding its
//! payload's partial, plus `Undecided(Value)` for JSON that no variant can be told from
//! yet. It serializes as the enum does (same tagging and names) and is read by
//! `__private::read_enum`, which picks the variant the JSON can still be (see
//! `instructor-core`'s `partial::union`), so an incomplete member is never dropped.
//!
//! Unit-only enums (string enums) have no twin: their partial is `Option<Self>`, the
//! variant once its name is complete.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Generics;

use super::around_type;
use super::partial::{serde_bound, with_field_bounds};
use crate::model::{Container, Data, Field, Tagging, Variant, VariantStyle};

impl Container<'_> {
    /// Whether the type is an enum with a data variant (and so has a partial twin).
    pub(crate) fn has_enum_twin(&self) -> bool {
        matches!(&self.data, Data::Enum(variants, _)
            if variants.iter().any(|v| !v.skipped && v.style != VariantStyle::Unit))
    }
}

pub(crate) fn twin(cont: &Container<'_>, p: &TokenStream, generics: &Generics) -> TokenStream {
    let Data::Enum(variants, tagging) = &cont.data else {
        return TokenStream::new();
    };
    let variants: Vec<&Variant<'_>> = variants.iter().filter(|v| !v.skipped).collect();
    let ident = &cont.partial_ident;
    let vis = &cont.input.vis;
    let params = &generics.params;
    let all_fields: Vec<&Field<'_>> = variants
        .iter()
        .flat_map(|v| v.fields.iter().filter(|f| !f.skipped))
        .collect();
    // As for a struct twin: the impls are bounded by `FieldTy: Instruct` at the
    // field's type, so a missing impl is reported there, once.
    let bounded = with_field_bounds(generics, &all_fields, p);
    let (impl_generics, ty_generics, where_clause) = bounded.split_for_impl();
    let partial = |ty: &syn::Type| around_type(ty, &quote!(<), &quote!(as #p::Instruct>::Partial));
    let field = |ty: &syn::Type| {
        around_type(
            ty,
            &quote!(#p::Option<<),
            &quote!(as #p::Instruct>::PartialField>),
        )
    };
    let field_read =
        |ty: &syn::Type| around_type(ty, &quote!(<), &quote!(as #p::Instruct>::PartialField));
    let serde_crate = format!("{}::serde", p).replace(' ', "");
    let none_check = format!("{}::Option::is_none", p).replace(' ', "");
    let untagged_enum = matches!(tagging, Tagging::Untagged);
    let serde_tagging = match tagging {
        Tagging::External => quote!(),
        Tagging::Internal { tag } => quote!(, tag = #tag),
        Tagging::Adjacent { tag, content } => quote!(, tag = #tag, content = #content),
        Tagging::Untagged => quote!(, untagged),
    };
    let read_tagging = match tagging {
        Tagging::External => quote!(#p::EnumTagging::External),
        Tagging::Internal { tag } => quote!(#p::EnumTagging::Internal(#tag)),
        Tagging::Adjacent { tag, content } => quote!(#p::EnumTagging::Adjacent(#tag, #content)),
        Tagging::Untagged => quote!(#p::EnumTagging::Untagged),
    };
    let original = &cont.ident;
    let doc = format!(
        "The partial twin of [`{original}`]: the variant the JSON so far can still be, with its payload as received so far, or the raw JSON while no variant can be told."
    );

    // serde's `Serialize` carries the field bounds too (as for a struct twin).
    let bound_attr = |f: &Field<'_>| {
        serde_bound(f.ty, generics, p).map(|b| quote!(#[serde(bound(serialize = #b))]))
    };
    let defs = variants.iter().map(|v| {
        let vident = &v.ident;
        let name = &v.wire_name;
        let untagged = (v.untagged && !untagged_enum).then(|| quote!(untagged,));
        let fields = v.fields.iter().filter(|f| !f.skipped);
        let body = match v.style {
            VariantStyle::Unit => quote!(),
            VariantStyle::Newtype => {
                let ty = fields.map(|f| {
                    let bound = bound_attr(f);
                    let ty = partial(f.ty);
                    quote!(#bound #ty)
                });
                quote!((#(#ty),*))
            }
            VariantStyle::Tuple => {
                let ty = fields.map(|f| {
                    let bound = bound_attr(f);
                    let ty = field(f.ty);
                    quote!(#bound #ty)
                });
                quote!((#(#ty),*))
            }
            VariantStyle::Struct => {
                let defs = fields.map(|f| {
                    let member = &f.member;
                    let ty = field(f.ty);
                    let wire = &f.wire_name;
                    let bound = bound_attr(f);
                    quote! {
                        #bound
                        #[serde(rename = #wire, skip_serializing_if = #none_check)]
                        #member: #ty,
                    }
                });
                quote!({ #(#defs)* })
            }
        };
        quote! {
            #[serde(#untagged rename = #name)]
            #vident #body,
        }
    });

    let infos = variants.iter().map(|v| {
        let name = &v.wire_name;
        let unit = v.style == VariantStyle::Unit;
        let untagged = v.untagged || untagged_enum;
        quote!(#p::VariantInfo { name: #name, unit: #unit, untagged: #untagged })
    });

    let arms = variants.iter().enumerate().map(|(i, v)| {
        let vident = &v.ident;
        let fields: Vec<_> = v.fields.iter().filter(|f| !f.skipped).collect();
        let read = match v.style {
            VariantStyle::Unit => quote!(#p::unit_fits(__v).map(|__f| (Self::#vident, __f))),
            VariantStyle::Newtype => {
                let ty = fields.iter().map(|f| partial(f.ty));
                quote! {
                    #p::partial_newtype::<#(#ty)*>(__v)
                        .map(|(__x, __f)| (Self::#vident(__x), __f))
                }
            }
            VariantStyle::Tuple => {
                let items = fields.iter().map(|f| {
                    let ty = field_read(f.ty);
                    quote!(__r.item::<#ty>())
                });
                quote! {{
                    let mut __r = #p::PartialTuple::new(__v)?;
                    let __m = Self::#vident(#(#items),*);
                    #p::Some((__m, __r.fits()))
                }}
            }
            VariantStyle::Struct => {
                let reads = fields.iter().map(|f| {
                    let ty = field_read(f.ty);
                    let member = &f.member;
                    let wire = &f.wire_name;
                    let aliases = f.aliases.iter().map(|(a, _)| a);
                    quote!(#member: __r.field::<#ty>(&[#wire #(, #aliases)*]))
                });
                quote! {{
                    let mut __r = #p::PartialObject::new(__v)?;
                    let __m = Self::#vident { #(#reads,)* };
                    #p::Some((__m, __r.fits()))
                }}
            }
        };
        quote!(#i => #read,)
    });

    let clone_debug = clone_debug_impls(ident, &variants, p, &bounded);
    let derives = &cont.partial_derives;
    let extra_derives = (!derives.is_empty()).then(|| quote!(#[derive(#(#derives),*)]));
    let struct_where = &generics.where_clause;
    let undecided_attr = (!untagged_enum).then(|| quote!(#[serde(untagged)]));

    quote! {
        #[doc = #doc]
        #[derive(#p::serde::Serialize)]
        #extra_derives
        #[serde(crate = #serde_crate, bound(serialize = "") #serde_tagging)]
        #vis enum #ident <#params> #struct_where {
            #(#defs)*
            /// Data arrived but no variant can be told from it yet: the JSON so far.
            #undecided_attr
            Undecided(#p::Value),
        }

        #[automatically_derived]
        impl #impl_generics #p::Default for #ident #ty_generics #where_clause {
            fn default() -> Self {
                Self::Undecided(#p::Value::Null)
            }
        }

        #clone_debug

        #[automatically_derived]
        impl #impl_generics #p::PartialEq for #ident #ty_generics #where_clause {
            fn eq(&self, other: &Self) -> bool {
                #p::json_eq(self, other)
            }
        }

        #[automatically_derived]
        impl <'de, #params> #p::serde::Deserialize<'de> for #ident #ty_generics #where_clause {
            fn deserialize<__D: #p::serde::Deserializer<'de>>(d: __D) -> #p::Result<Self, __D::Error> {
                let value = <#p::Value as #p::serde::Deserialize>::deserialize(d)?;
                #p::Ok(#p::read_enum(
                    value,
                    #read_tagging,
                    &[#(#infos),*],
                    |__i, __v| match __i {
                        #(#arms)*
                        _ => #p::None,
                    },
                    Self::Undecided,
                ))
            }
        }
    }
}

/// `Clone` and `Debug` for the twin, bounded like its other impls (derived ones
/// would report a field type without `Instruct` once more each).
fn clone_debug_impls(
    ident: &syn::Ident,
    variants: &[&Variant<'_>],
    p: &TokenStream,
    bounded: &Generics,
) -> TokenStream {
    let (impl_generics, ty_generics, where_clause) = bounded.split_for_impl();
    let mut clones = Vec::new();
    let mut debugs = Vec::new();
    for v in variants {
        let vident = &v.ident;
        let name = vident.to_string();
        let fields: Vec<&Field<'_>> = v.fields.iter().filter(|f| !f.skipped).collect();
        let binds: Vec<syn::Ident> = (0..fields.len())
            .map(|i| quote::format_ident!("__f{}", i))
            .collect();
        match v.style {
            VariantStyle::Unit => {
                clones.push(quote!(Self::#vident => Self::#vident,));
                debugs.push(quote!(Self::#vident => f.write_str(#name),));
            }
            VariantStyle::Newtype | VariantStyle::Tuple => {
                clones.push(quote! {
                    Self::#vident(#(#binds),*) => Self::#vident(#(#p::Clone::clone(#binds)),*),
                });
                debugs.push(quote! {
                    Self::#vident(#(#binds),*) => f.debug_tuple(#name)#(.field(#binds))*.finish(),
                });
            }
            VariantStyle::Struct => {
                let members: Vec<_> = fields.iter().map(|f| &f.member).collect();
                let names: Vec<String> = fields.iter().map(|f| f.member_name()).collect();
                clones.push(quote! {
                    Self::#vident { #(#members: #binds),* } => Self::#vident { #(#members: #p::Clone::clone(#binds)),* },
                });
                debugs.push(quote! {
                    Self::#vident { #(#members: #binds),* } => f.debug_struct(#name)#(.field(#names, #binds))*.finish(),
                });
            }
        }
    }
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::Clone for #ident #ty_generics #where_clause {
            fn clone(&self) -> Self {
                match self {
                    #(#clones)*
                    Self::Undecided(__v) => Self::Undecided(#p::Clone::clone(__v)),
                }
            }
        }

        #[automatically_derived]
        impl #impl_generics #p::fmt::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                match self {
                    #(#debugs)*
                    Self::Undecided(__v) => f.debug_tuple("Undecided").field(__v).finish(),
                }
            }
        }
    }
}
