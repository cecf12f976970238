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
use super::partial::over_type;
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
    // As for a struct twin: the impls carry no bound on the field types, and each
    // per-field pattern and expression is spanned at the field's type, so a field
    // type without `Instruct` is reported there, merged (and `Serialize` is written
    // here, not derived, for the same reason).
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
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
    let untagged_enum = matches!(tagging, Tagging::Untagged);
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

    let defs = variants.iter().map(|v| {
        let vident = &v.ident;
        let fields = v.fields.iter().filter(|f| !f.skipped);
        let body = match v.style {
            VariantStyle::Unit => quote!(),
            VariantStyle::Newtype => {
                let ty = fields.map(|f| partial(f.ty));
                quote!((#(#ty),*))
            }
            VariantStyle::Tuple => {
                let ty = fields.map(|f| field(f.ty));
                quote!((#(#ty),*))
            }
            VariantStyle::Struct => {
                let defs = fields.map(|f| {
                    let member = &f.member;
                    let ty = field(f.ty);
                    quote!(#member: #ty,)
                });
                quote!({ #(#defs)* })
            }
        };
        quote!(#vident #body,)
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

    let clone_debug = clone_debug_impls(ident, &variants, p, generics);
    let derives = &cont.partial_derives;
    let extra_derives = (!derives.is_empty()).then(|| quote!(#[derive(#(#derives),*)]));
    let struct_where = &generics.where_clause;
    let serialize = serialize_impl(ident, &variants, p, generics, &read_tagging);

    quote! {
        #[doc = #doc]
        #extra_derives
        #vis enum #ident <#params> #struct_where {
            #(#defs)*
            /// Data arrived but no variant can be told from it yet: the JSON so far.
            Undecided(#p::Value),
        }

        #[automatically_derived]
        impl #impl_generics #p::Default for #ident #ty_generics #where_clause {
            fn default() -> Self {
                Self::Undecided(#p::Value::Null)
            }
        }

        #clone_debug

        #serialize

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

/// `Clone` and `Debug` for the twin, each field's pattern and value spanned at its
/// type like the other impls (derived ones would report a field type without
/// `Instruct` once more each, at the derive).
fn clone_debug_impls(
    ident: &syn::Ident,
    variants: &[&Variant<'_>],
    p: &TokenStream,
    generics: &Generics,
) -> TokenStream {
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let mut clones = Vec::new();
    let mut debugs = Vec::new();
    for v in variants {
        let vident = &v.ident;
        let name = vident.to_string();
        let fields: Vec<&Field<'_>> = v.fields.iter().filter(|f| !f.skipped).collect();
        let (pattern, binds) = variant_pattern(v, &fields);
        let cloned: Vec<TokenStream> = fields
            .iter()
            .zip(&binds)
            .map(|(f, bind)| over_type(f.ty, quote!(#p::Clone::clone(#bind))))
            .collect();
        match v.style {
            VariantStyle::Unit => {
                clones.push(quote!(Self::#vident => Self::#vident,));
                debugs.push(quote!(Self::#vident => f.write_str(#name),));
            }
            VariantStyle::Newtype | VariantStyle::Tuple => {
                let shown = fields
                    .iter()
                    .zip(&binds)
                    .map(|(f, bind)| over_type(f.ty, quote!(__out.field(#bind))));
                clones.push(quote!(#pattern => Self::#vident(#(#cloned),*),));
                debugs.push(quote! {
                    #pattern => {
                        let mut __out = f.debug_tuple(#name);
                        #(#shown;)*
                        __out.finish()
                    }
                });
            }
            VariantStyle::Struct => {
                let values = fields.iter().zip(&cloned).map(|(f, value)| {
                    let member = &f.member;
                    over_type(f.ty, quote!(#member: #value))
                });
                let shown = fields.iter().zip(&binds).map(|(f, bind)| {
                    let name = f.member_name();
                    over_type(f.ty, quote!(__out.field(#name, #bind)))
                });
                clones.push(quote!(#pattern => Self::#vident { #(#values),* },));
                debugs.push(quote! {
                    #pattern => {
                        let mut __out = f.debug_struct(#name);
                        #(#shown;)*
                        __out.finish()
                    }
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

/// A pattern matching variant `v` of the twin, binding its fields to `__f0`, `__f1`..
/// (each binding spanned at its field's type), and those bindings.
fn variant_pattern(v: &Variant<'_>, fields: &[&Field<'_>]) -> (TokenStream, Vec<TokenStream>) {
    let vident = &v.ident;
    let binds: Vec<TokenStream> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let bind = quote::format_ident!("__f{}", i);
            over_type(f.ty, quote!(#bind))
        })
        .collect();
    let pattern = match v.style {
        VariantStyle::Unit => quote!(Self::#vident),
        VariantStyle::Newtype | VariantStyle::Tuple => quote!(Self::#vident(#(#binds),*)),
        VariantStyle::Struct => {
            let fields = fields.iter().zip(&binds).map(|(f, bind)| {
                let member = &f.member;
                over_type(f.ty, quote!(#member: #bind))
            });
            quote!(Self::#vident { #(#fields),* })
        }
    };
    (pattern, binds)
}

/// `Serialize` for the twin, as serde's derive writes the enum (its tagging, each
/// variant's wire name and `untagged`, absent struct fields skipped), the payload
/// built as JSON; `Undecided` as the JSON it holds.
fn serialize_impl(
    ident: &syn::Ident,
    variants: &[&Variant<'_>],
    p: &TokenStream,
    generics: &Generics,
    tagging: &TokenStream,
) -> TokenStream {
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let arms = variants.iter().map(|v| {
        let fields: Vec<&Field<'_>> = v.fields.iter().filter(|f| !f.skipped).collect();
        let (pattern, binds) = variant_pattern(v, &fields);
        let name = &v.wire_name;
        let untagged = v.untagged;
        let field_json = |f: &Field<'_>, value: &TokenStream| {
            over_type(f.ty, quote!(#p::variant_field::<_, __S::Error>(#value)?))
        };
        let payload = match v.style {
            VariantStyle::Unit => quote!(#p::None),
            VariantStyle::Newtype => {
                let value = fields.iter().zip(&binds).map(|(f, b)| field_json(f, b));
                quote!(#p::Some(#(#value)*))
            }
            VariantStyle::Tuple => {
                let values = fields.iter().zip(&binds).map(|(f, b)| field_json(f, b));
                quote!(#p::Some(#p::Value::Array(#p::vec![#(#values),*])))
            }
            VariantStyle::Struct => {
                let inserts = fields.iter().zip(&binds).map(|(f, b)| {
                    let wire = &f.wire_name;
                    let json = field_json(f, &quote!(__v));
                    over_type(
                        f.ty,
                        quote!(if let #p::Some(__v) = #b { __m.insert(#wire.to_owned(), #json); }),
                    )
                });
                quote! {{
                    let mut __m = #p::serde_json::Map::new();
                    #(#inserts)*
                    #p::Some(#p::Value::Object(__m))
                }}
            }
        };
        quote!(#pattern => #p::serialize_variant(__s, #tagging, #name, #untagged, #payload),)
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::serde::Serialize for #ident #ty_generics #where_clause {
            fn serialize<__S: #p::Serializer>(&self, __s: __S) -> #p::Result<__S::Ok, __S::Error> {
                match self {
                    #(#arms)*
                    Self::Undecided(__v) => #p::serde::Serialize::serialize(__v, __s),
                }
            }
        }
    }
}
