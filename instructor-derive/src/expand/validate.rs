//! `validate_into` and the constraint statics it shares with `schema`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::{around_type, constraint_static_ident, constraints_ref, respan};
use crate::attr::NumLit;
use crate::attr::field::{ConstraintSpec, Format, Target};
use crate::model::{Container, Data, Field, Tagging, VariantStyle};

/// One `static` per constrained field, built once on first use, read by both the
/// schema and the validator so the two cannot drift.
pub(crate) fn constraint_statics(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    let mut emit = |variant: usize, fields: &[Field<'_>]| {
        for (i, field) in fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.constraints.is_empty())
        {
            let ident = constraint_static_ident(variant, i);
            let items = field
                .constraints
                .iter()
                .map(|c| constraint_tokens(&c.value, p));
            out.extend(quote! {
                static #ident: #p::LazyLock<#p::Vec<#p::Constraint>> =
                    #p::LazyLock::new(|| #p::vec![#(#items),*]);
            });
        }
    };
    match &cont.data {
        Data::Struct(fields) => emit(0, fields),
        Data::Newtype(field) => emit(0, std::slice::from_ref(field)),
        Data::Enum(variants, _) => {
            for (vi, v) in variants.iter().enumerate() {
                emit(vi + 1, &v.fields);
            }
        }
    }
    out
}

fn number_tokens(n: NumLit, p: &TokenStream) -> TokenStream {
    match n {
        NumLit::Int(i) => {
            let lit = Literal::i128_unsuffixed(i);
            quote!(#p::Number::Int(#lit))
        }
        NumLit::Float(f) => {
            let lit = Literal::f64_unsuffixed(f);
            quote!(#p::Number::Float(#lit))
        }
    }
}

fn constraint_tokens(spec: &ConstraintSpec, p: &TokenStream) -> TokenStream {
    let c = quote!(#p::Constraint);
    let count = |n: &u64| Literal::u64_unsuffixed(*n);
    match spec {
        ConstraintSpec::Pattern(s) => quote!(#c::pattern(#s)),
        ConstraintSpec::MinLength(n) => {
            let n = count(n);
            quote!(#c::MinLength(#n))
        }
        ConstraintSpec::MaxLength(n) => {
            let n = count(n);
            quote!(#c::MaxLength(#n))
        }
        ConstraintSpec::MinItems(n) => {
            let n = count(n);
            quote!(#c::MinItems(#n))
        }
        ConstraintSpec::MaxItems(n) => {
            let n = count(n);
            quote!(#c::MaxItems(#n))
        }
        ConstraintSpec::Minimum(n) => {
            let n = number_tokens(*n, p);
            quote!(#c::Minimum(#n))
        }
        ConstraintSpec::Maximum(n) => {
            let n = number_tokens(*n, p);
            quote!(#c::Maximum(#n))
        }
        ConstraintSpec::ExclusiveMinimum(n) => {
            let n = number_tokens(*n, p);
            quote!(#c::ExclusiveMinimum(#n))
        }
        ConstraintSpec::ExclusiveMaximum(n) => {
            let n = number_tokens(*n, p);
            quote!(#c::ExclusiveMaximum(#n))
        }
        ConstraintSpec::MultipleOf(n) => {
            let n = number_tokens(*n, p);
            quote!(#c::MultipleOf(#n))
        }
        ConstraintSpec::UniqueItems => quote!(#c::UniqueItems),
        ConstraintSpec::Format(format) => {
            let variant = match format {
                Format::Email => quote!(Email),
                Format::Uri => quote!(Uri),
                Format::Uuid => quote!(Uuid),
                Format::Date => quote!(Date),
                Format::DateTime => quote!(DateTime),
                Format::Ipv4 => quote!(Ipv4),
                Format::Ipv6 => quote!(Ipv6),
            };
            quote!(#c::Format(#p::Format::#variant))
        }
        ConstraintSpec::OneOf(values) => quote!(#c::OneOf(#p::vec![#(#p::json(#values)),*])),
    }
}

/// The checks for one field value (`access` is an expression of type `&FieldTy`):
/// the type's own validation, each built-in constraint through the trait that says
/// which types it fits (spanned at its key), then custom validators.
fn field_checks(
    field: &Field<'_>,
    variant: usize,
    index: usize,
    access: &TokenStream,
    p: &TokenStream,
) -> TokenStream {
    let ty = field.ty;
    let constraints = constraints_ref(field, variant, index, p);
    let checks = field.constraints.iter().enumerate().map(|(i, c)| {
        let check = match c.value.target() {
            Target::Text => quote!(check_text),
            Target::Number => quote!(check_number),
            Target::Items => quote!(check_items),
            Target::UniqueItems => quote!(check_unique),
            Target::AnyValue => quote!(check_one_of),
        };
        // The value is respanned at the key, so a type mismatch is reported there.
        let value = respan(access, c.key);
        quote_spanned! {c.key=> #p::#check(#value, &(#constraints)[#i], __instruct_v); }
    });
    let validators = field.validators.iter().map(|path| {
        let span = syn::spanned::Spanned::span(path);
        let value = respan(access, span);
        quote_spanned! {span=> #p::run_validator(#path, #value, __instruct_v); }
    });
    let nested = around_type(
        ty,
        &quote!(<),
        &quote!(as #p::Instruct>::validate_into(#access, __instruct_v);),
    );
    quote! {
        #nested
        #(#checks)*
        #(#validators)*
    }
}

/// A field's checks at its place in the JSON path.
fn field_at(
    field: &Field<'_>,
    variant: usize,
    index: usize,
    access: &TokenStream,
    p: &TokenStream,
) -> TokenStream {
    let checks = field_checks(field, variant, index, access, p);
    if field.flatten {
        return checks;
    }
    let name = &field.wire_name;
    quote!(__instruct_v.at_field(#name, |__instruct_v| { #checks });)
}

/// Whether a field has nothing to check: no constraint, validator or transform of
/// its own, and a plain std type (nothing nested). It gets no check function and no
/// entry in `validate_into` or `validate_field`.
fn unchecked(field: &Field<'_>) -> bool {
    field.skipped
        || field.constraints.is_empty()
            && field.validators.is_empty()
            && field.transforms.is_empty()
            && !field.flatten
            && super::partial::plain_std(field.ty)
}

fn check_fn_ident(index: usize) -> proc_macro2::Ident {
    format_ident!("__instruct_check_field_{}", index)
}

/// A struct's field checks, one hidden associated function per field, shared by
/// `validate_into` (the whole value) and `validate_field` (one field as it completes
/// in a stream), so each field's checks are type-checked once.
pub(crate) fn field_check_fns(
    cont: &Container<'_>,
    p: &TokenStream,
    generics: &syn::Generics,
) -> TokenStream {
    let Data::Struct(fields) = &cont.data else {
        return TokenStream::new();
    };
    let fns: Vec<TokenStream> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !unchecked(f))
        .map(|(i, f)| {
            let ty = f.ty;
            let ident = check_fn_ident(i);
            let checks = field_checks(f, 0, i, &quote!(__instruct_value), p);
            quote! {
                #[doc(hidden)]
                #[allow(unused_variables, dead_code)]
                fn #ident(__instruct_value: &#ty, __instruct_v: &mut #p::Validator<'_>) {
                    #checks
                }
            }
        })
        .collect();
    if fns.is_empty() {
        return TokenStream::new();
    }
    let ident = &cont.ident;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #ident #ty_generics #where_clause {
            #(#fns)*
        }
    }
}

/// `validate_field`: a completed top-level field of a streamed answer, read as its
/// Rust type (when it has its own `Deserialize`) and checked at its key.
fn validate_field_fn(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let Data::Struct(fields) = &cont.data else {
        return TokenStream::new();
    };
    // A container transform may change what the checks see: they wait for the
    // whole value.
    if cont.converts_from || !cont.transforms.is_empty() {
        return TokenStream::new();
    }
    let arms: Vec<TokenStream> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !unchecked(f) && !f.flatten && !f.custom_deserialize)
        .map(|(i, f)| {
            let ty = f.ty;
            let check = check_fn_ident(i);
            let names = std::iter::once(&f.wire_name).chain(f.aliases.iter().map(|(a, _)| a));
            // The field's transforms (its type's, then its own) run first, as at the
            // end of the answer, so the early check sees the same value.
            let transformed = super::transform::field_chain(f, &quote!(__instruct_f), p)
                .map(|chain| quote!(let __instruct_f = #chain;));
            let check = match transformed {
                Some(transformed) => quote! {
                    #transformed
                    if let #p::Some(__instruct_f) = __instruct_f {
                        Self::#check(&__instruct_f, __instruct_v)
                    }
                },
                None => quote!(Self::#check(&__instruct_f, __instruct_v)),
            };
            quote! {
                #(#names)|* => {
                    if let #p::Some(__instruct_f) =
                        (&#p::FieldProbe::<#ty>::new()).read(__instruct_json)
                    {
                        __instruct_v.at_field(__instruct_key, |__instruct_v| {
                            #check
                        });
                    }
                }
            }
        })
        .collect();
    if arms.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[allow(unused_variables, unused_imports)]
        fn validate_field(
            __instruct_key: &str,
            __instruct_json: &str,
            __instruct_v: &mut #p::Validator<'_>,
        ) {
            use #p::{FieldProbeFallback as _, FieldProbeRead as _};
            match __instruct_key {
                #(#arms)*
                _ => {}
            }
        }
    }
}

pub(crate) fn validate_fn(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let body =
        match &cont.data {
            Data::Struct(fields) => {
                let checks = fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| !unchecked(f))
                    .map(|(i, f)| {
                        let member = &f.member;
                        let check = check_fn_ident(i);
                        let call = quote!(Self::#check(&self.#member, __instruct_v););
                        if f.flatten {
                            return call;
                        }
                        let name = &f.wire_name;
                        quote!(__instruct_v.at_field(#name, |__instruct_v| { #call });)
                    });
                quote!(#(#checks)*)
            }
            Data::Newtype(field) => {
                let member = &field.member;
                field_checks(field, 0, 0, &quote!(&self.#member), p)
            }
            Data::Enum(variants, tagging) => {
                let arms =
                    variants.iter().enumerate().map(|(vi, v)| {
                        let ident = &v.ident;
                        let vi = vi + 1;
                        let bindings: Vec<_> = (0..v.fields.len())
                            .map(|i| format_ident!("__instruct_f{}", i))
                            .collect();
                        let pattern = match v.style {
                            VariantStyle::Unit => quote!(Self::#ident),
                            VariantStyle::Newtype | VariantStyle::Tuple => {
                                quote!(Self::#ident(#(#bindings),*))
                            }
                            VariantStyle::Struct => {
                                let members = v.fields.iter().map(|f| &f.member);
                                quote!(Self::#ident { #(#members: #bindings),* })
                            }
                        };
                        let checks = v.fields.iter().enumerate().filter(|(_, f)| !unchecked(f)).map(
                        |(i, f)| {
                            let binding = &bindings[i];
                            let access = quote!(#binding);
                            match v.style {
                                VariantStyle::Struct => field_at(f, vi, i, &access, p),
                                VariantStyle::Tuple => {
                                    let checks = field_checks(f, vi, i, &access, p);
                                    quote!(__instruct_v.at_index(#i, |__instruct_v| { #checks });)
                                }
                                _ => field_checks(f, vi, i, &access, p),
                            }
                        },
                    );
                        let checks = quote!(#(#checks)*);
                        let tagging = if v.untagged {
                            &Tagging::Untagged
                        } else {
                            tagging
                        };
                        let scoped = match (tagging, v.style) {
                            (_, VariantStyle::Unit) => checks,
                            (Tagging::External, _) => {
                                let name = &v.wire_name;
                                quote!(__instruct_v.at_field(#name, |__instruct_v| { #checks });)
                            }
                            (Tagging::Adjacent { content, .. }, _) => {
                                quote!(__instruct_v.at_field(#content, |__instruct_v| { #checks });)
                            }
                            _ => checks,
                        };
                        quote!(#pattern => { #scoped })
                    });
                quote! {
                    #[allow(unused_variables)]
                    match self {
                        #(#arms)*
                    }
                }
            }
        };
    let container = cont.validators.iter().map(|path| {
        quote_spanned! {syn::spanned::Spanned::span(path)=> #p::run_validator(#path, self, __instruct_v); }
    });
    let validate_field = validate_field_fn(cont, p);
    if body.is_empty() && cont.validators.is_empty() {
        // Nothing to check: the trait's default (which does nothing) serves.
        return validate_field;
    }
    quote! {
        fn validate_into(&self, __instruct_v: &mut #p::Validator<'_>) {
            #body
            #(#container)*
        }
        #validate_field
    }
}
