//! The strict partial-JSON parser against the JSONTestSuite `test_parsing` corpus
//! (see `tests/data/json-test-suite/README.md`):
//!
//! - every `y_` file is accepted: every byte prefix is a valid partial (pushed in one
//!   piece to a fresh parser, and byte by byte to one parser), and the whole input
//!   finishes to the value serde_json gives;
//! - every `n_` file is rejected (by `push` or by `finish`) by the time its input ends;
//! - `i_` files (implementation-defined) never panic;
//! - for every file, random chunkings give the same result as one push.
//!
//! Files that currently fail because of a parser bug are listed in [`KNOWN_BUGS`]; the
//! test checks that they still fail, so a fix must also remove them from the list.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use instructor_core::partial::{PartialJson, PartialJsonError};
use serde_json::Value;

/// Files that fail because of a parser bug (file name, what goes wrong). Each still
/// has to fail; once fixed, remove it from here.
const KNOWN_BUGS: &[(&str, &str)] = &[];

/// Files not checked at all (file name, reason).
const SKIPPED: &[(&str, &str)] = &[];

/// Above this size, only some prefixes are pushed to a fresh parser (the byte-by-byte
/// pass still covers every prefix).
const PREFIX_CAP_BYTES: usize = 4096;

/// Random chunkings tried per file.
const CHUNKINGS: usize = 8;

/// The cases whose inputs are not valid UTF-8 (or are UTF-16): the npm package stores
/// inputs as JavaScript strings and so cannot carry them. Written here, for this
/// project, as the raw bytes each case name describes.
const RAW_BYTE_CASES: &[(&str, &[u8])] = &[
    (
        "i_string_UTF-16LE_with_BOM.json",
        b"\xff\xfe[\x00\x22\x00\xe9\x00\x22\x00]\x00",
    ),
    (
        "i_string_UTF-8_invalid_sequence.json",
        b"[\x22\xe6\x97\xa5\xd1\x88\xfa\x22]",
    ),
    (
        "i_string_UTF8_surrogate_U+D800.json",
        b"[\x22\xed\xa0\x80\x22]",
    ),
    ("i_string_invalid_utf-8.json", b"[\x22\xff\x22]"),
    ("i_string_iso_latin_1.json", b"[\x22\xe9\x22]"),
    (
        "i_string_lone_utf8_continuation_byte.json",
        b"[\x22\x81\x22]",
    ),
    (
        "i_string_not_in_unicode_range.json",
        b"[\x22\xf4\xbf\xbf\xbf\x22]",
    ),
    (
        "i_string_overlong_sequence_2_bytes.json",
        b"[\x22\xc0\xaf\x22]",
    ),
    (
        "i_string_overlong_sequence_6_bytes.json",
        b"[\x22\xfc\x83\xbf\xbf\xbf\xbf\x22]",
    ),
    (
        "i_string_overlong_sequence_6_bytes_null.json",
        b"[\x22\xfc\x80\x80\x80\x80\x80\x22]",
    ),
    ("i_string_truncated-utf-8.json", b"[\x22\xe0\xff\x22]"),
    (
        "i_string_utf16BE_no_BOM.json",
        b"\x00[\x00\x22\x00\xe9\x00\x22\x00]",
    ),
    (
        "i_string_utf16LE_no_BOM.json",
        b"[\x00\x22\x00\xe9\x00\x22\x00]\x00",
    ),
    ("n_array_a_invalid_utf8.json", b"[a\xe5]"),
    ("n_array_invalid_utf8.json", b"[\xff]"),
    ("n_number_invalid-utf-8-in-bigger-int.json", b"[123\xe5]"),
    ("n_number_invalid-utf-8-in-exponent.json", b"[1e1\xe5]"),
    ("n_number_invalid-utf-8-in-int.json", b"[0\xe5]\x0a"),
    ("n_number_real_with_invalid_utf8_after_e.json", b"[1e\xe5]"),
    (
        "n_object_lone_continuation_byte_in_key_and_trailing_comma.json",
        b"{\x22\xb9\x22:\x220\x22,}",
    ),
    (
        "n_string_invalid-utf-8-in-escape.json",
        b"[\x22\x5cu\xe5\x22]",
    ),
    (
        "n_string_invalid_utf8_after_escape.json",
        b"[\x22\x5c\xe5\x22]",
    ),
    ("n_structure_incomplete_UTF8_BOM.json", b"\xef\xbb{}"),
    ("n_structure_lone-invalid-utf-8.json", b"\xe5"),
    ("n_structure_single_eacute.json", b"\xe9"),
];

struct Case {
    name: String,
    bytes: Vec<u8>,
}

fn corpus() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/json-test-suite");
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| Case {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            bytes: std::fs::read(&p).unwrap(),
        })
        .collect();
    cases.extend(RAW_BYTE_CASES.iter().map(|(name, bytes)| Case {
        name: (*name).to_owned(),
        bytes: bytes.to_vec(),
    }));
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn cases(prefix: &str) -> Vec<Case> {
    corpus()
        .into_iter()
        .filter(|c| c.name.starts_with(prefix))
        .filter(|c| !SKIPPED.iter().any(|(name, _)| *name == c.name))
        .collect()
}

fn is_known_bug(name: &str) -> bool {
    KNOWN_BUGS.iter().any(|(n, _)| *n == name)
}

/// Pushes the chunks to a fresh strict parser, then finishes.
fn parse_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Result<Value, PartialJsonError> {
    let mut p = PartialJson::new();
    for chunk in chunks {
        p.push(chunk)?;
    }
    p.finish()
}

/// A small deterministic PRNG (xorshift64*), so failures are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seed(name: &str, round: usize) -> u64 {
    name.bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64 ^ round as u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
        .max(1)
}

/// Random chunk boundaries: mostly small pieces, sometimes big ones, sometimes empty.
fn random_chunks<'a>(bytes: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
    let max = match rng.below(3) {
        0 => 2,
        1 => 16,
        _ => bytes.len().max(1),
    };
    let mut chunks = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = rng.below(max + 1).min(rest.len());
        let (head, tail) = rest.split_at(n);
        chunks.push(head);
        rest = tail;
    }
    chunks
}

/// The prefix lengths pushed to a fresh parser: all of them, or for a big file the
/// first and last `PREFIX_CAP_BYTES / 4` plus an even spread of the middle.
fn prefix_lengths(len: usize) -> Vec<usize> {
    if len <= PREFIX_CAP_BYTES {
        return (0..=len).collect();
    }
    let edge = PREFIX_CAP_BYTES / 4;
    let step = (len / (PREFIX_CAP_BYTES / 2)).max(1);
    let mut out: Vec<usize> = (0..edge)
        .chain((edge..len - edge).step_by(step))
        .chain(len - edge..=len)
        .collect();
    out.dedup();
    out
}

/// Runs `check`, turning a panic into an error message.
fn guarded(check: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(check)) {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Err(format!("PANIC: {msg}"))
        }
    }
}

/// Random chunkings must give exactly the result of one push.
fn check_chunkings(case: &Case) -> Result<(), String> {
    let whole = parse_chunks([case.bytes.as_slice()]);
    let bytewise = parse_chunks(case.bytes.chunks(1));
    if bytewise != whole {
        return Err(format!(
            "byte-by-byte gives {bytewise:?}, one push gives {whole:?}"
        ));
    }
    for round in 0..CHUNKINGS {
        let mut rng = Rng(seed(&case.name, round));
        let chunks = random_chunks(&case.bytes, &mut rng);
        let got = parse_chunks(chunks.iter().copied());
        if got != whole {
            let sizes: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
            return Err(format!(
                "chunk sizes {sizes:?} give {got:?}, one push gives {whole:?}"
            ));
        }
    }
    Ok(())
}

/// Returns how many prefixes were checked: (byte by byte, fresh parser).
fn check_accepted(case: &Case) -> Result<(usize, usize), String> {
    let bytes = &case.bytes;
    let expected: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("serde_json rejects this y_ file ({e}); corpus problem?"))?;

    // Every prefix, byte by byte to one parser (a snapshot at each step must not
    // panic), and to a raw-text parser, whose snapshots must be the same.
    let mut p = PartialJson::new();
    let mut raw = PartialJson::new().with_raw_text();
    for (i, byte) in bytes.iter().enumerate() {
        p.push(std::slice::from_ref(byte))
            .map_err(|e| format!("byte-by-byte: prefix of {} bytes rejected: {e:?}", i + 1))?;
        raw.push(std::slice::from_ref(byte))
            .map_err(|e| format!("raw text: prefix of {} bytes rejected: {e:?}", i + 1))?;
        let (plain, text) = (p.snapshot(), raw.snapshot());
        if plain != text {
            return Err(format!(
                "raw text: prefix of {} bytes shows {text:?}, the default mode {plain:?}",
                i + 1
            ));
        }
    }
    let got = p
        .finish()
        .map_err(|e| format!("byte-by-byte: finish failed: {e:?}"))?;
    if got != expected {
        return Err(format!(
            "byte-by-byte: got {got}, serde_json gives {expected}"
        ));
    }
    let got = raw
        .finish()
        .map_err(|e| format!("raw text: finish failed: {e:?}"))?;
    if got != expected {
        return Err(format!("raw text: got {got}, serde_json gives {expected}"));
    }

    // Every prefix (capped for big files), in one push to a fresh parser.
    let lengths = prefix_lengths(bytes.len());
    for &n in &lengths {
        let mut p = PartialJson::new();
        p.push(&bytes[..n])
            .map_err(|e| format!("prefix of {n} bytes rejected: {e:?}"))?;
        let _ = p.snapshot();
    }

    let got =
        parse_chunks([bytes.as_slice()]).map_err(|e| format!("one push: finish failed: {e:?}"))?;
    if got != expected {
        return Err(format!("one push: got {got}, serde_json gives {expected}"));
    }
    check_chunkings(case)?;
    Ok((bytes.len() + 1, lengths.len()))
}

fn check_rejected(case: &Case) -> Result<(), String> {
    if let Ok(v) = parse_chunks([case.bytes.as_slice()]) {
        return Err(format!("accepted as {v}"));
    }
    check_chunkings(case)
}

/// Runs `check` on every case, and compares the failures with `KNOWN_BUGS`.
fn run<T>(prefix: &str, check: impl Fn(&Case) -> Result<T, String>) -> Vec<T> {
    let mut passed = Vec::new();
    let mut failures = Vec::new();
    let mut fixed = Vec::new();
    for case in cases(prefix) {
        match (
            guarded(|| check(&case).map(|t| passed.push(t))),
            is_known_bug(&case.name),
        ) {
            (Ok(()), true) => fixed.push(case.name.clone()),
            (Ok(()), false) => {}
            (Err(e), true) => eprintln!("known bug {}: {e}", case.name),
            (Err(e), false) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} {prefix}* file(s) fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "now passing, remove from KNOWN_BUGS: {fixed:?}"
    );
    passed
}

#[test]
fn corpus_is_complete() {
    let all = corpus();
    let count = |p: &str| all.iter().filter(|c| c.name.starts_with(p)).count();
    assert_eq!(
        (count("y_"), count("n_"), count("i_")),
        (95, 188, 35),
        "y_/n_/i_ file counts"
    );
    for (name, _) in KNOWN_BUGS.iter().chain(SKIPPED) {
        assert!(
            all.iter().any(|c| c.name == *name),
            "{name} is listed but not in the corpus"
        );
    }
    assert!(SKIPPED.len() <= 3, "keep the skip list small: {SKIPPED:?}");
    assert!(
        KNOWN_BUGS.len() <= 20,
        "too many known bugs: {KNOWN_BUGS:?}"
    );
}

#[test]
fn y_files_are_accepted_at_every_prefix() {
    let counts = run("y_", check_accepted);
    let files = counts.len();
    let bytewise: usize = counts.iter().map(|c| c.0).sum();
    let fresh: usize = counts.iter().map(|c| c.1).sum();
    assert!(files + KNOWN_BUGS.len() >= 95 - SKIPPED.len());
    eprintln!("y_: {files} files; {bytewise} prefixes byte by byte, {fresh} prefixes in one push");
}

#[test]
fn n_files_are_rejected() {
    run("n_", check_rejected);
}

#[test]
fn i_files_never_panic_and_ignore_chunking() {
    let outcomes = run("i_", |case| {
        check_chunkings(case)?;
        Ok(match parse_chunks([case.bytes.as_slice()]) {
            Ok(v) => format!("{}: accepted as {v}", case.name),
            Err(e) => format!("{}: rejected: {e}", case.name),
        })
    });
    eprintln!("{}", outcomes.join("\n"));
}

/// The implementation-defined files are decided as serde_json decides them, in both
/// storage modes: so `create` (serde_json), `create_partial` (raw text) and
/// `create_iterable` (values) accept and reject the same answers. The lone-surrogate
/// files (`i_string_1st_surrogate_but_2nd_missing.json`, ...) are among them: all
/// rejected.
#[test]
fn i_files_are_decided_as_serde_json_decides_them() {
    let mut surrogates = 0;
    for case in cases("i_") {
        let serde = serde_json::from_slice::<Value>(&case.bytes).ok();
        let plain = parse_chunks([case.bytes.as_slice()]).ok();
        let mut raw = PartialJson::new().with_raw_text();
        let raw = raw.push(&case.bytes).and_then(|()| raw.finish()).ok();
        assert_eq!(plain, serde, "{}: default mode vs serde_json", case.name);
        assert_eq!(raw, serde, "{}: raw-text mode vs serde_json", case.name);
        if case.name.contains("surrogate") && !case.name.contains("UTF8") {
            assert_eq!(plain, None, "{}", case.name);
            surrogates += 1;
        }
    }
    assert!(surrogates >= 5, "{surrogates} surrogate files");
}
