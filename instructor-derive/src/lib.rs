//! `#[derive(Instruct)]` for [instructor](https://docs.rs/instructor).
//!
//! Use it through the `instructor` crate, which re-exports it. The derive generates
//! the JSON Schema, the tool definition, the partial twin (`Partial<Name>`) and the
//! validator of a type. The attribute reference:
#![doc = include_str!("../docs/attributes.md")]
#![deny(missing_docs)]

mod attr;
mod check;
mod ctxt;
mod dummy;
mod expand;
mod model;
mod symbol;

use proc_macro::TokenStream;

/// Derives `Instruct`: JSON Schema, tool definition, partial twin and validation.
/// See the crate documentation for the attribute reference.
#[proc_macro_derive(Instruct, attributes(instruct))]
pub fn derive_instruct(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let expanded = std::panic::catch_unwind(|| expand::derive(&input));
    match expanded {
        Ok(tokens) => tokens.into(),
        Err(_) => syn::Error::new_spanned(
            &input.ident,
            "internal error in instructor-derive (a bug: please report it with this type)",
        )
        .to_compile_error()
        .into(),
    }
}

#[cfg(test)]
mod tests;
