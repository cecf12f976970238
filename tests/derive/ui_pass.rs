//! The derive's accept cases (`tests/derive_ui/pass/*.rs`): each file is a module of
//! this binary and its `main` runs as a test. Built here rather than by trybuild (one
//! linked crate per case there, about 100 MB each), so CI compiles and links once.
//! Each file stays a complete program, as the trybuild reject cases beside it are.

macro_rules! pass_cases {
    ($($name:ident),* $(,)?) => {$(
        #[allow(dead_code, unused_imports, unreachable_pub, clippy::all)] // the cases are programs: some items only need to compile
        mod $name {
            include!(concat!("../derive_ui/pass/", stringify!($name), ".rs"));

            #[test]
            fn compiles_and_runs() {
                main();
            }
        }
    )*};
}

pass_cases!(
    crate_path,
    enum_tagging,
    flatten_and_skip,
    full_attributes,
    generic_enum,
    generics,
    newtype_and_transparent,
    partial_name_derive,
    recursion,
    stream_controls,
    strict_nested_ok,
    unit_enum_without_partial_eq,
    validator_without_context,
);
