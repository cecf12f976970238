//! The partial twin `Partial<Name>`: every field optional, nested types replaced by
//! their twins, deserializable from any prefix-completed JSON object (a field whose
//! value does not fit yet reads as absent instead of failing the whole twin).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Generics;
use syn::spanned::Spanned;

use super::{around_type, respan};
use crate::model::{Container, Data, Field};

/// The twin's definition (outside the generated `const _` block, naming `full`, the
/// private path) and its impls (inside it, through the block's alias).
pub(crate) fn twin(
    cont: &Container<'_>,
    full: &TokenStream,
    generics: &Generics,
) -> (TokenStream, TokenStream) {
    let Data::Struct(fields) = &cont.data else {
        return (TokenStream::new(), TokenStream::new());
    };
    let p = &super::private_alias();
    let fields: Vec<&Field<'_>> = fields.iter().filter(|f| !f.skipped).collect();
    let ident = &cont.partial_ident;
    let original = &cont.ident;
    let vis = &cont.input.vis;
    let params = &generics.params;
    let struct_where = &generics.where_clause;
    // The twin's impls carry no bound on the field types: a field type without
    // `Instruct` fails the twin's definition and each impl body at the field's type
    // (every field expression is spanned at it), all one report that rustc merges,
    // and the `Instruct` impl's own checks of the twin still pass. (serde's derive,
    // used only with a flattened field, keeps per-field bounds: `serde_bound`.)
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let serde_crate = format!("{}::serde", full).replace(' ', "");
    let none_check = format!("{}::Option::is_none", full).replace(' ', "");
    let lenient = format!("{}::partial_field", full).replace(' ', "");
    let flattened = format!("{}::flattened_partial", full).replace(' ', "");
    let doc = format!(
        "The partial twin of [`{original}`]: every field optional, as received so far while streaming."
    );

    // Without a flattened field (whose entries serde gathers for it), the twin's
    // serde impls are written here, small: see `instructor_core`'s `twin_serde`.
    let own_serde = !fields.iter().any(|f| f.flatten);
    let defs = fields.iter().map(|f| {
        let ty = f.ty;
        let member = &f.member;
        let field_vis = f.vis;
        // Spanned at the field's type: a missing `Instruct` impl is reported there.
        let partial_ty = around_type(ty, &quote!(<), &quote!(as #full::Instruct>::Partial));
        // Every token at the field's type, the type itself as written: the twin then
        // reports a missing `Instruct` at the same span as the other uses (merged).
        let partial_field_ty = around_type(
            ty,
            &quote!(#full::Option< <),
            &quote!(as #full::Instruct>::PartialField>),
        );
        let bound = serde_bound(ty, generics, full).map(|b| quote!(bound = #b,));
        if f.flatten {
            return quote! {
                #[serde(flatten, #bound deserialize_with = #flattened)]
                #field_vis #member: #partial_ty,
            };
        }
        if own_serde {
            return quote!(#field_vis #member: #partial_field_ty,);
        }
        let name = &f.wire_name;
        let aliases: Vec<&String> = f.aliases.iter().map(|(a, _)| a).collect();
        quote! {
            #[serde(rename = #name, #(alias = #aliases,)* #bound default, skip_serializing_if = #none_check, deserialize_with = #lenient)]
            #field_vis #member: #partial_field_ty,
        }
    });
    let names: Vec<String> = fields.iter().map(|f| f.member_name()).collect();
    // `member: value`, the member too over the type (a field initializer is reported
    // over its member and value).
    let defaults = fields.iter().map(|f| {
        let member = &f.member;
        over_type(f.ty, quote!(#member: #p::Default::default()))
    });
    let clones = fields.iter().map(|f| {
        let member = &f.member;
        over_type(f.ty, quote!(#member: #p::Clone::clone(&self.#member)))
    });
    let shown = fields.iter().zip(&names).map(|(f, name)| {
        let member = &f.member;
        over_type(f.ty, quote!(__out.field(#name, &self.#member)))
    });
    let derives = &cont.partial_derives;
    let extra_derives = (!derives.is_empty()).then(|| quote!(#[derive(#(#derives),*)]));

    let (serde_derive, serde_impls) = if own_serde {
        (
            TokenStream::new(),
            twin_serde_impls(cont, &fields, p, generics),
        )
    } else {
        (
            quote! {
                #[derive(#full::serde::Serialize, #full::serde::Deserialize)]
                #[serde(crate = #serde_crate, bound(serialize = "", deserialize = ""))]
            },
            TokenStream::new(),
        )
    };

    let definition = quote! {
        #[doc = #doc]
        #serde_derive
        #extra_derives
        #vis struct #ident <#params> #struct_where {
            #(#defs)*
        }
    };
    let impls = quote! {
        #serde_impls

        #[automatically_derived]
        impl #impl_generics #p::Default for #ident #ty_generics #where_clause {
            fn default() -> Self {
                Self { #(#defaults,)* }
            }
        }

        #[automatically_derived]
        impl #impl_generics #p::Clone for #ident #ty_generics #where_clause {
            fn clone(&self) -> Self {
                Self { #(#clones,)* }
            }
        }

        #[automatically_derived]
        impl #impl_generics #p::fmt::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, f: &mut #p::fmt::Formatter<'_>) -> #p::fmt::Result {
                let mut __out = f.debug_struct(stringify!(#ident));
                #(#shown;)*
                __out.finish()
            }
        }

        #[automatically_derived]
        impl #impl_generics #p::PartialEq for #ident #ty_generics #where_clause {
            fn eq(&self, other: &Self) -> bool {
                #p::json_eq(self, other)
            }
        }
    };
    (definition, impls)
}

/// `Serialize`, `Deserialize` and `PartialFields` for a twin without flattened
/// fields: absent fields are skipped, each entry is read by its wire name or alias.
fn twin_serde_impls(
    cont: &Container<'_>,
    fields: &[&Field<'_>],
    p: &TokenStream,
    generics: &Generics,
) -> TokenStream {
    let ident = &cont.partial_ident;
    let name = ident.to_string();
    let params = &generics.params;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let count = fields.len();
    let writes = fields.iter().map(|f| {
        let member = &f.member;
        let wire = &f.wire_name;
        let write = over_type(
            f.ty,
            quote!(#p::serialize_partial_field(&mut __st, #wire, &self.#member)?),
        );
        quote!(#write;)
    });
    let reads = fields.iter().map(|f| {
        let member = &f.member;
        let wire = &f.wire_name;
        let aliases = f.aliases.iter().map(|(a, _)| a);
        let read = over_type(f.ty, quote!(self.#member = #p::read_partial_field(__map)?));
        quote!(#wire #(| #aliases)* => #read,)
    });
    let ser = quote! {
        #[automatically_derived]
        impl #impl_generics #p::serde::Serialize for #ident #ty_generics #where_clause {
            fn serialize<__S: #p::Serializer>(&self, __s: __S) -> #p::Result<__S::Ok, __S::Error> {
                let mut __st = #p::Serializer::serialize_struct(__s, #name, #count)?;
                #(#writes)*
                #p::SerializeStruct::end(__st)
            }
        }
    };
    // `deserialize` returns `Self`, which must be `Sized`: a struct is when its last
    // field is. The return type is spanned over the last field's type, so a last
    // field lacking `Instruct` is reported there too (merged), not at the derive.
    let returned = quote!(#p::Result<Self, __D::Error>);
    let returned = match fields.last() {
        Some(last) => over_type(last.ty, returned),
        None => returned,
    };
    let de = quote! {
        #[automatically_derived]
        impl<'de, #params> #p::serde::Deserialize<'de> for #ident #ty_generics #where_clause {
            fn deserialize<__D: #p::serde::Deserializer<'de>>(__d: __D) -> #returned {
                #p::deserialize_partial(__d)
            }
        }
    };
    let pf = quote! {
        #[automatically_derived]
        impl #impl_generics #p::PartialFields for #ident #ty_generics #where_clause {
            fn read_entry<'de, __A: #p::MapAccess<'de>>(
                &mut self,
                __key: &str,
                __map: &mut __A,
            ) -> #p::Result<(), __A::Error> {
                match __key {
                    #(#reads)*
                    _ => #p::skip_entry(__map)?,
                }
                #p::Ok(())
            }
        }
    };
    quote!(#ser #de #pf)
}

/// A serde `bound` for a twin's field of type `ty` (`None` for the std types):
/// serde's impls then carry the same `FieldTy: Instruct` bound as ours.
pub(super) fn serde_bound(
    ty: &syn::Type,
    generics: &Generics,
    p: &TokenStream,
) -> Option<syn::LitStr> {
    needs_bound(ty, params_of(generics))
        .then(|| syn::LitStr::new(&field_bound(ty, p).to_string(), ty.span()))
}

/// `for<'__instruct> ty: Instruct`, every token at the type's span.
///
/// The unused binder keeps rustc from checking the bound where it is written: a
/// bound naming no type parameter (`Address: Instruct`) is a "trivial bound",
/// checked on the impl itself and reported a second time with a different note
/// (rust-lang/rust#48214) next to the twin's own report of the missing impl.
fn field_bound(ty: &syn::Type, p: &TokenStream) -> TokenStream {
    around_type(ty, &quote!(for<'__instruct>), &quote!(: #p::Instruct))
}

/// The type parameters' names.
fn params_of(generics: &Generics) -> Vec<String> {
    generics
        .type_params()
        .map(|t| t.ident.to_string())
        .collect()
}

/// Whether `ty` may hold a derived type or a type parameter (which may have
/// transforms of its own): it names something other than the std types.
pub(super) fn may_nest(ty: &syn::Type) -> bool {
    needs_bound(ty, Vec::new())
}

/// Whether `ty` may lack `Instruct`: it names something other than the std types
/// and type parameters that always have it (kept out of the bounds to keep the
/// expansion small).
fn needs_bound(ty: &syn::Type, params: Vec<String>) -> bool {
    const STD: &[&str] = &[
        "String",
        "str",
        "bool",
        "char",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "f32",
        "f64",
        "Option",
        "Vec",
        "VecDeque",
        "Box",
        "HashMap",
        "BTreeMap",
        "HashSet",
        "BTreeSet",
        "std",
        "alloc",
        "collections",
        "string",
        "option",
        "vec",
        "boxed",
    ];
    fn walk(tokens: TokenStream, params: &[String]) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => {
                let name = i.to_string();
                !STD.contains(&name.as_str()) && !params.contains(&name)
            }
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), params),
            _ => false,
        })
    }
    walk(quote!(#ty), &params)
}

/// Whether `ty` is built from std scalars (strings, numbers, `bool`, `char`) with
/// `Option`, `Vec`, `VecDeque`, `Box` and sets around them, named as such: such a
/// field has no checks of its own, nothing nested to check or transform, and a
/// strict-mode schema. (Maps, `Value`, tuples and arrays are not plain.)
pub(super) fn plain_std(ty: &syn::Type) -> bool {
    const SCALARS: &[&str] = &[
        "String", "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32",
        "i64", "i128", "isize", "f32", "f64",
    ];
    const WRAPPERS: &[&str] = &["Option", "Vec", "VecDeque", "Box", "HashSet", "BTreeSet"];
    const PREFIXES: &[&str] = &[
        "std",
        "alloc",
        "core",
        "collections",
        "string",
        "option",
        "vec",
        "boxed",
    ];
    match ty {
        syn::Type::Group(g) => plain_std(&g.elem),
        syn::Type::Paren(p) => plain_std(&p.elem),
        syn::Type::Path(path) if path.qself.is_none() => {
            let segments: Vec<&syn::PathSegment> = path.path.segments.iter().collect();
            let Some((last, prefix)) = segments.split_last() else {
                return false;
            };
            let prefix_ok = prefix.iter().all(|s| {
                PREFIXES.contains(&s.ident.to_string().as_str())
                    && matches!(s.arguments, syn::PathArguments::None)
            });
            let name = last.ident.to_string();
            prefix_ok
                && match &last.arguments {
                    syn::PathArguments::None => SCALARS.contains(&name.as_str()),
                    syn::PathArguments::AngleBracketed(args)
                        if WRAPPERS.contains(&name.as_str()) =>
                    {
                        args.args.len() == 1
                            && matches!(args.args.first(), Some(syn::GenericArgument::Type(t)) if plain_std(t))
                    }
                    _ => false,
                }
        }
        _ => false,
    }
}

/// `tokens` spanned at the field type `ty` (its first token): an error in the
/// expression (the field type lacks `Instruct`) is reported at the type, like the
/// twin's definition, and every such report is the same one, merged by rustc.
pub(super) fn over_type(ty: &syn::Type, tokens: TokenStream) -> TokenStream {
    respan(&tokens, syn::spanned::Spanned::span(ty))
}

/// `partial.member` spanned from the field type's first token to its last, so the
/// field's type (resolved there) is reported over the whole type like its other uses,
/// and merged with them.
pub(super) fn field_place(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let member = &field.member;
    let tokens = quote!(#ty);
    let first = syn::spanned::Spanned::span(ty);
    let last = tokens.into_iter().last().map_or(first, |t| t.span());
    let place = quote_spanned!(first=> partial);
    let member = respan(&quote!(.#member), last);
    quote!(#place #member)
}

impl Field<'_> {
    /// The field's Rust name, for `Debug`.
    pub(crate) fn member_name(&self) -> String {
        match &self.member {
            syn::Member::Named(ident) => ident.to_string().trim_start_matches("r#").to_owned(),
            syn::Member::Unnamed(index) => index.index.to_string(),
        }
    }
}

/// `Instruct::apply_partial_entry` for a struct: each top-level entry goes to its
/// field (by wire name or alias), so `create_partial` keeps the twin in place. None
/// for a struct with a flattened field (its keys are the nested twin's: the default,
/// re-reading the answer, stays).
pub(crate) fn entry_fn(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let fields: Vec<&Field<'_>> = match &cont.data {
        Data::Struct(fields) => fields.iter().filter(|f| !f.skipped).collect(),
        Data::Newtype(field) => {
            let ty = field.ty;
            return quote! {
                fn apply_partial_entry(
                    partial: &mut Self::Partial,
                    key: &str,
                    entry: #p::PartialEntry<'_, '_>,
                ) -> bool {
                    <#ty as #p::Instruct>::apply_partial_entry(partial, key, entry)
                }
            };
        }
        Data::Enum(..) => return TokenStream::new(),
    };
    if fields.iter().any(|f| f.flatten) {
        return TokenStream::new();
    }
    let arms = fields.iter().map(|f| {
        let ty = f.ty;
        let name = &f.wire_name;
        let aliases = f.aliases.iter().map(|(a, _)| a);
        // Spanned at the field's type like its other uses: a missing `Instruct` is
        // reported there once.
        let open = around_type(ty, &quote!(<), &quote!(as #p::Instruct>::apply_open_field));
        let place = field_place(f);
        quote!(#name #(| #aliases)* => #p::apply_entry(&mut #place, entry, #open),)
    });
    quote! {
        fn apply_partial_entry(
            partial: &mut Self::Partial,
            key: &str,
            entry: #p::PartialEntry<'_, '_>,
        ) -> bool {
            match key {
                #(#arms)*
                _ => {}
            }
            true
        }
    }
}
