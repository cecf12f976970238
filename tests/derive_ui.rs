//! Compile-time checks of #[derive(Instruct)]: one UI case per error message.
//!
//! The expected `.stderr` files are rustc's own output, whose wording, notes and
//! "help" lists change between releases. They are written by one pinned toolchain
//! ([`PINNED`], the CI's); on any other the cases are skipped with a note. Set
//! `INSTRUCTOR_UI_ANY_TOOLCHAIN=1` to run them anyway, and `TRYBUILD=overwrite` on the
//! pinned toolchain to bless new output. The accept cases (`pass/`) are modules of the
//! `tests/derive` binary (`ui_pass.rs`), built and run on any toolchain.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

use std::process::Command;

/// The toolchain the `.stderr` files were written with (`rustc --version` prefix).
const PINNED: &str = "rustc 1.95.";

#[test]
fn derive_ui() {
    if !on_pinned_toolchain() {
        return;
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/derive_ui/container/*.rs");
    t.compile_fail("tests/derive_ui/field/*.rs");
    t.compile_fail("tests/derive_ui/variant/*.rs");
    t.compile_fail("tests/derive_ui/validate/*.rs");
    t.compile_fail("tests/derive_ui/partial/*.rs");
    t.compile_fail("tests/derive_ui/accumulate/*.rs");
}

/// Whether the compiler trybuild will call is the pinned one (or the check is waived).
fn on_pinned_toolchain() -> bool {
    if std::env::var_os("INSTRUCTOR_UI_ANY_TOOLCHAIN").is_some() {
        return true;
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    let pinned = version.starts_with(PINNED);
    if !pinned {
        eprintln!(
            "derive_ui: compile-fail cases skipped: their .stderr files are written by {PINNED}x, \
             this is {:?} (set INSTRUCTOR_UI_ANY_TOOLCHAIN=1 to run them anyway)",
            version.trim()
        );
    }
    pinned
}
