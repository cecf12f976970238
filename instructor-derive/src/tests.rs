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
