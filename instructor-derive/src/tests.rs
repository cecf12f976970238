//! Expansion snapshots: the code one representative derive generates, pretty-printed.

use syn::parse_quote;

fn expand(input: syn::DeriveInput) -> String {
    let tokens = crate::expand::derive(&input);
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

#[test]
fn expansion_of_a_representative_struct() {
    let input: syn::DeriveInput = parse_quote! {
        /// A person mentioned in the text.
        struct User {
            /// Full name as written in the text.
            name: String,
            #[instruct(range(min = 0, max = 150))]
            age: u32,
            #[instruct(pattern = r"^\d+$", validate = check_phone)]
            phone_number: Option<String>,
            addresses: Vec<Address>,
        }
    };
    insta::assert_snapshot!("user_expansion", expand(input));
}

#[test]
fn errors_accumulate_and_come_with_placeholder_impls() {
    let input: syn::DeriveInput = parse_quote! {
        #[instruct(descripton = "x", name = "bad name")]
        struct Broken {
            #[instruct(pattern = "(", min_lenght = 2, range(min = 5, max = 1))]
            a: String,
        }
    };
    let out = expand(input);
    assert_eq!(out.matches("compile_error").count(), 5, "{out}");
    assert!(out.contains("did you mean `description`?"), "{out}");
    assert!(out.contains("did you mean `min_length`?"), "{out}");
    assert!(
        out.contains("impl ::instructor::__private::Instruct for Broken"),
        "{out}"
    );
}

#[test]
#[should_panic(expected = "Ctxt dropped without check()")]
fn an_unchecked_error_context_is_a_bug() {
    let cx = crate::ctxt::Ctxt::new();
    cx.error_spanned_by(quote::quote!(x), "lost");
    drop(cx);
}

#[test]
fn a_repeated_key_is_reported_once_at_its_second_use() {
    let input: syn::DeriveInput = parse_quote! {
        #[instruct(strict, strict)]
        struct Twice {
            #[instruct(min_length = 1, min_length = 2, format = "email", format = "uri")]
            a: String,
        }
    };
    let out = expand(input);
    assert_eq!(
        out.matches("duplicate instruct attribute").count(),
        3,
        "{out}"
    );
}

#[test]
fn strict_on_a_generic_type_is_an_error() {
    let input: syn::DeriveInput = parse_quote! {
        #[instruct(strict)]
        struct Page<T> { items: Vec<T> }
    };
    let out = expand(input);
    assert!(out.contains("cannot be checked on a generic type"), "{out}");
}

#[test]
fn only_an_enum_of_newtype_variants_is_a_union_of_models() {
    let union: syn::DeriveInput = parse_quote! {
        enum Action { Weather(Weather), #[serde(skip)] Never(Never), Search(Search) }
    };
    let out: String = expand(union).split_whitespace().collect();
    assert!(out.contains("fnunion_members()"), "{out}");
    assert!(
        out.contains("UnionMember::of::<Weather>(Self::Weather)"),
        "{out}"
    );
    assert!(
        out.contains("UnionMember::of::<Search>(Self::Search)"),
        "{out}"
    );
    assert!(
        !out.contains("UnionMember::of::<Never>"),
        "a skipped variant is no tool: {out}"
    );
    for not_a_union in [
        parse_quote! { enum A { Weather(Weather), Stop } },
        parse_quote! { enum B { Weather { city: String }, Search(Search) } },
        parse_quote! { enum C<T> { Weather(T), Search(Search) } },
        parse_quote! { #[serde(from = "Raw")] enum D { Weather(Weather) } },
        parse_quote! { struct E { weather: Weather } },
    ] {
        let out = expand(not_a_union);
        assert!(!out.contains("union_members"), "{out}");
    }
}
