//! Compile-time checks of #[derive(Instruct)]: one UI case per error message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic
#[test]
fn derive_ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/derive_ui/pass/*.rs");
    t.compile_fail("tests/derive_ui/container/*.rs");
    t.compile_fail("tests/derive_ui/field/*.rs");
    t.compile_fail("tests/derive_ui/variant/*.rs");
    t.compile_fail("tests/derive_ui/validate/*.rs");
    t.compile_fail("tests/derive_ui/partial/*.rs");
    t.compile_fail("tests/derive_ui/accumulate/*.rs");
}
