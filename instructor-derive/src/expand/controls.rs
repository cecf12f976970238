//! `Instruct::stream_controls` for `#[instruct(stream(done))]` and
//! `#[instruct(stream(not_null))]` (see `instructor_core::partial::controls`): a
//! `match` on the key being written hands the rest of the open path to that field,
//! then the `not_null` fields are checked.
//!
//! Generated only for types with controls of their own or fields that may hold a
//! derived type; `STREAM_CONTROLS` is then `true` (computing it from the fields'
//! types would be a cycle for recursive types).

use proc_macro2::TokenStream;
use quote::quote;

use super::around_type;
use super::partial::{field_place, may_nest};
use crate::model::{Container, Data, Field};

pub(crate) fn controls_fn(cont: &Container<'_>, p: &TokenStream) -> TokenStream {
    let hidden = quote! {
        let _ = (partial, open);
        #p::StreamShow::Hidden
    };
    let body = match &cont.data {
        _ if cont.stream.done.is_some() => hidden,
        Data::Struct(fields) => {
            let fields: Vec<&Field<'_>> = fields.iter().filter(|f| !f.skipped).collect();
            let container_not_null = cont.stream.not_null.is_some();
            let nested = fields.iter().any(|f| may_nest(f.ty));
            let own = fields.iter().any(|f| f.stream.any()) || container_not_null;
            if !own && !nested {
                return TokenStream::new();
            }
            struct_body(&fields, container_not_null, p)
        }
        Data::Newtype(field) if may_nest(field.ty) => {
            let call = around_type(
                field.ty,
                &quote!(<),
                &quote!(as #p::Instruct>::stream_controls),
            );
            quote!(#call(partial, open))
        }
        Data::Newtype(_) | Data::Enum(..) => return TokenStream::new(),
    };
    // A unit enum's partial is `Option<Self>` but its field's is `Self`: a done
    // container answers the same for both without delegating.
    let field_body = if cont.stream.done.is_some() {
        quote! {
            let _ = (field, open);
            #p::StreamShow::Hidden
        }
    } else {
        quote!(<Self as #p::Instruct>::stream_controls(field, open))
    };
    quote! {
        const STREAM_CONTROLS: bool = true;
        fn stream_controls(
            partial: &mut Self::Partial,
            open: &[#p::PathSegment],
        ) -> #p::StreamShow {
            #body
        }
        fn field_stream_controls(
            field: &mut Self::PartialField,
            open: &[#p::PathSegment],
        ) -> #p::StreamShow {
            #field_body
        }
    }
}

/// A struct's fields on the open path, then its `not_null` fields.
fn struct_body(fields: &[&Field<'_>], container_not_null: bool, p: &TokenStream) -> TokenStream {
    let arms: Vec<_> = fields
        .iter()
        .filter(|f| !f.flatten && (f.stream.done.is_some() || may_nest(f.ty)))
        .map(|f| {
            let place = field_place(f);
            let name = &f.wire_name;
            let aliases = f.aliases.iter().map(|(a, _)| a);
            let done = f.stream.done.is_some();
            let nested = around_type(
                f.ty,
                &quote!(<),
                &quote!(as #p::Instruct>::STREAM_CONTROLS),
            );
            let controls = around_type(
                f.ty,
                &quote!(<),
                &quote!(as #p::Instruct>::field_stream_controls),
            );
            quote! {
                #name #(| #aliases)* => #p::control_field(&mut #place, rest, #done, #nested, #controls),
            }
        })
        .collect();
    let rest = if arms.is_empty() {
        quote!(_)
    } else {
        quote!(rest)
    };
    // A key of no field of ours is a flattened type's: each is asked in turn.
    let flattened = fields.iter().filter(|f| f.flatten && may_nest(f.ty)).fold(
        quote!(#p::StreamShow::Whole),
        |shown, f| {
            let place = field_place(f);
            let call = around_type(f.ty, &quote!(<), &quote!(as #p::Instruct>::stream_controls));
            quote!(#p::then_show(#shown, || #call(&mut #place, open)))
        },
    );
    let not_null: Vec<_> = fields
        .iter()
        .filter(|f| !f.flatten && (container_not_null || f.stream.not_null.is_some()))
        .map(|f| {
            let place = field_place(f);
            quote!(#place.is_none())
        })
        .collect();
    let not_null = (!not_null.is_empty()).then(|| {
        quote! {
            if #(#not_null)||* {
                return #p::StreamShow::Hidden;
            }
        }
    });
    quote! {
        let shown = match open.split_first() {
            #p::Some((#p::PathSegment::Field(key), #rest)) => match key.as_str() {
                #(#arms)*
                _ => #flattened,
            },
            _ => #flattened,
        };
        #not_null
        shown
    }
}
