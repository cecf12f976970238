//! The incremental partial-JSON parser: split points, policies, limits, and
//! properties over random documents and random chunkings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

use instructor_core::partial::{Limits, PartialJson, PartialJsonError};
use instructor_core::validate::PathSegment;
use proptest::prelude::*;
use serde_json::{Value, json};

fn snapshots(chunks: &[&[u8]]) -> Vec<Option<Value>> {
    let mut p = PartialJson::new();
    chunks
        .iter()
        .map(|c| {
            p.push(c).unwrap();
            p.snapshot()
        })
        .collect()
}

fn parse_in_pieces(text: &[u8], size: usize) -> Result<Value, PartialJsonError> {
    let mut p = PartialJson::new();
    for chunk in text.chunks(size.max(1)) {
        p.push(chunk)?;
    }
    p.finish()
}

#[test]
fn unfinished_strings_are_shown() {
    let s = snapshots(&[br#"{"name": "Ja"#, br#"son", "a"#, br#"ge": 2"#, b"5}"]);
    assert_eq!(s[0], Some(json!({"name": "Ja"})));
    assert_eq!(
        s[1],
        Some(json!({"name": "Jason"})),
        "an unfinished key is not shown"
    );
    assert_eq!(
        s[2],
        Some(json!({"name": "Jason"})),
        "an unfinished number is not shown"
    );
    assert_eq!(s[3], Some(json!({"name": "Jason", "age": 25})));
}

#[test]
fn split_inside_escapes() {
    let doc = br#"{"s": "a\"b\\c\u00e9\ud83d\ude00\n"}"#;
    let expected: Value = serde_json::from_slice(doc).unwrap();
    for size in 1..doc.len() {
        assert_eq!(
            parse_in_pieces(doc, size).unwrap(),
            expected,
            "chunk size {size}"
        );
    }
    // A truncated \u escape is held back, never shown as garbage.
    let s = snapshots(&[br#"{"s": "x\u00"#, br#"e9y"#]);
    assert_eq!(s[0], Some(json!({"s": "x"})));
    assert_eq!(s[1], Some(json!({"s": "xéy"})));
    // A surrogate pair split between its halves.
    let s = snapshots(&[br#"["\ud83d"#, br#"\ude00"]"#]);
    assert_eq!(s[1], Some(json!(["😀"])));
}

#[test]
fn split_inside_numbers_and_literals() {
    for (chunks, shown) in [
        (vec![&b"[-"[..], b"1]"], json!([])),
        (vec![&b"[1."[..], b"5]"], json!([])),
        (vec![&b"[1e"[..], b"3]"], json!([])),
        (vec![&b"[tr"[..], b"ue]"], json!([])),
        (vec![&b"[nu"[..], b"ll]"], json!([])),
        (vec![&b"[12"[..], b"3]"], json!([])),
    ] {
        let s = snapshots(&chunks);
        assert_eq!(s[0], Some(shown), "{chunks:?}");
        let whole: Vec<u8> = chunks.concat();
        assert_eq!(s[1], Some(serde_json::from_slice::<Value>(&whole).unwrap()));
    }
    // A literal is shown as soon as it is complete.
    assert_eq!(snapshots(&[b"[true"])[0], Some(json!([true])));
}

#[test]
fn split_inside_multibyte_characters() {
    let doc = "{\"city\": \"Zürich 東京 😀\"}".as_bytes();
    let expected: Value = serde_json::from_slice(doc).unwrap();
    for size in 1..8 {
        assert_eq!(parse_in_pieces(doc, size).unwrap(), expected);
    }
    // Half a character is held back.
    let cut = "{\"c\": \"é".as_bytes();
    let s = snapshots(&[&cut[..cut.len() - 1]]);
    assert_eq!(s[0], Some(json!({"c": ""})));
}

#[test]
fn open_path_tells_what_is_still_being_written() {
    let mut p = PartialJson::new();
    p.push_str(r#"{"users": [{"name": "A"}, {"name": "B"#)
        .unwrap();
    assert_eq!(
        p.open_path(),
        vec![
            PathSegment::Field("users".into()),
            PathSegment::Index(1),
            PathSegment::Field("name".into())
        ]
    );
    p.push_str(r#""}]}"#).unwrap();
    assert!(p.is_complete());
    assert!(p.open_path().is_empty());
}

#[test]
fn items_are_handed_out_as_they_complete() {
    let mut p = PartialJson::new().with_item_path(&["tasks"]);
    p.push_str(r#"{"tasks": [{"a": 1}, {"a""#).unwrap();
    assert_eq!(p.take_items(), vec![json!({"a": 1})]);
    p.push_str(r#": 2}, {"a": 3}]}"#).unwrap();
    assert_eq!(p.take_items(), vec![json!({"a": 2}), json!({"a": 3})]);
    assert_eq!(
        p.finish().unwrap(),
        json!({"tasks": []}),
        "handed-out items are not kept"
    );
}

#[test]
fn lenient_mode_skips_prose_and_fences() {
    let mut p = PartialJson::lenient();
    p.push_str("Sure! Here it is:\n```json\n{\"a\": [1, 2]}\n```\nAnything else?")
        .unwrap();
    assert_eq!(p.finish().unwrap(), json!({"a": [1, 2]}));
}

#[test]
fn errors_are_typed() {
    let err = |text: &str| parse_in_pieces(text.as_bytes(), 3).unwrap_err();
    assert!(matches!(
        err("{\"a\" 1}"),
        PartialJsonError::Unexpected { .. }
    ));
    assert!(matches!(
        err("[01]"),
        PartialJsonError::InvalidNumber { .. }
    ));
    assert!(matches!(
        err("[1.]"),
        PartialJsonError::InvalidNumber { .. }
    ));
    assert!(matches!(err("[tru]"), PartialJsonError::Unexpected { .. }));
    assert!(matches!(err("{\"a\": 1"), PartialJsonError::Incomplete));
    assert!(matches!(err("   "), PartialJsonError::Empty));
    assert!(matches!(err("[1] x"), PartialJsonError::Unexpected { .. }));
    assert!(matches!(
        err("[\"a\tb\"]"),
        PartialJsonError::Unexpected { .. }
    ));
    assert!(matches!(
        parse_in_pieces(b"[\"\xff\"]", 1).unwrap_err(),
        PartialJsonError::InvalidUtf8 { .. }
    ));
    let deep = "[".repeat(1000);
    let mut p = PartialJson::with_limits(
        Limits {
            max_depth: 64,
            max_bytes: 1 << 20,
        },
        false,
    );
    assert_eq!(
        p.push_str(&deep).unwrap_err(),
        PartialJsonError::DepthLimit { limit: 64 }
    );
    let mut p = PartialJson::with_limits(
        Limits {
            max_depth: 64,
            max_bytes: 10,
        },
        false,
    );
    assert_eq!(
        p.push_str("[1,2,3,4,5,6]").unwrap_err(),
        PartialJsonError::SizeLimit { limit: 10 }
    );
    // An error is sticky: nothing after it is accepted.
    assert!(p.push_str("]").is_err());
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        "[\"\\\\/\\n\\t\\u{0}-\\u{1f}é😀a-z]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_doc() -> impl Strategy<Value = (Value, Vec<u8>)> {
    (arb_json(), any::<bool>()).prop_map(|(v, pretty)| {
        let text = if pretty {
            serde_json::to_vec_pretty(&v)
        } else {
            serde_json::to_vec(&v)
        };
        (v, text.unwrap_or_default())
    })
}

fn arb_cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..12).prop_map(|mut cuts| {
        cuts.sort_unstable();
        cuts
    })
}

fn chunked(text: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = 0;
    for &c in cuts.iter().chain(std::iter::once(&text.len())) {
        let c = c.min(text.len());
        if c >= start {
            out.push(text[start..c].to_vec());
            start = c;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Chunking never changes the final value, which equals serde_json's.
    #[test]
    fn chunking_never_changes_the_result((doc, cuts) in arb_doc().prop_flat_map(|(v, t)| { let n = t.len(); (Just((v, t)), arb_cuts(n)) })) {
        let ((value, text), cuts) = (doc, cuts);
        let mut p = PartialJson::new();
        for chunk in chunked(&text, &cuts) {
            p.push(&chunk).unwrap();
        }
        let parsed = p.finish().unwrap();
        prop_assert_eq!(&parsed, &serde_json::from_slice::<Value>(&text).unwrap());
        prop_assert_eq!(parsed, value);
    }

    /// Every prefix of valid JSON parses as a partial without error, and whatever a
    /// snapshot shows outside the open path never changes afterwards.
    #[test]
    fn every_prefix_is_a_valid_partial((_value, text) in arb_doc()) {
        let mut p = PartialJson::new();
        let mut earlier: Vec<(Value, Vec<PathSegment>)> = Vec::new();
        for (i, byte) in text.iter().enumerate() {
            p.push(std::slice::from_ref(byte)).unwrap();
            if i % 7 == 0
                && let Some(s) = p.snapshot() {
                    earlier.push((s, p.open_path()));
                }
        }
        let last = p.finish().unwrap();
        for (snapshot, open) in earlier {
            assert_final_parts_equal(&snapshot, &last, &open, 0);
        }
    }

    /// `visible_version` changes exactly when the snapshot does, whatever the
    /// chunking (so a caller can skip materialising unchanged snapshots).
    #[test]
    fn visible_version_changes_exactly_with_the_snapshot((doc, cuts) in arb_doc().prop_flat_map(|(v, t)| { let n = t.len(); (Just((v, t)), arb_cuts(n)) })) {
        let ((_value, text), cuts) = (doc, cuts);
        let mut p = PartialJson::new();
        let mut last = (p.snapshot(), p.visible_version());
        for chunk in chunked(&text, &cuts) {
            p.push(&chunk).unwrap();
            let now = (p.snapshot(), p.visible_version());
            prop_assert_eq!(now.0 != last.0, now.1 != last.1, "{:?} -> {:?}", last, now);
            last = now;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Raw-text mode shows exactly what the default mode shows, after every chunk
    /// (chunks split anywhere: inside escapes, numbers, UTF-8 sequences), reads the
    /// same completed root entries, and finishes with the same value.
    #[test]
    fn raw_text_mode_matches_the_default_mode((doc, cuts) in arb_doc().prop_flat_map(|(v, t)| { let n = t.len(); (Just((v, t)), arb_cuts(n)) })) {
        let ((value, text), cuts) = (doc, cuts);
        let mut plain = PartialJson::new();
        let mut raw = PartialJson::new().with_raw_text();
        for chunk in chunked(&text, &cuts) {
            plain.push(&chunk).unwrap();
            raw.push(&chunk).unwrap();
            let expected = plain.snapshot();
            prop_assert_eq!(raw.snapshot(), expected.clone());
            prop_assert_eq!(raw.snapshot_as::<Value>().map(Result::unwrap), expected);
            prop_assert_eq!(raw.visible_version(), plain.visible_version());
            prop_assert_eq!(raw.open_path(), plain.open_path());
            assert_same_root_entries(&plain, &raw);
        }
        prop_assert_eq!(raw.finish().unwrap(), value);
    }
}

/// The raw-text parser's completed root entries, as text, are the default parser's.
fn assert_same_root_entries(plain: &PartialJson, raw: &PartialJson) {
    let from_raw: Vec<(String, Value)> = raw
        .completed_root_json()
        .map(|(k, json)| (k.to_owned(), serde_json::from_str(json).unwrap()))
        .collect();
    let from_plain: Vec<(String, Value)> = plain
        .completed_root_entries()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    assert_eq!(from_raw, from_plain);
    if let Some(text) = raw.completed_root_text() {
        let echoed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(echoed, Value::Object(from_plain.into_iter().collect()));
    }
}

#[test]
fn raw_text_snapshots_deserialize_straight_into_types() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Partial {
        name: Option<String>,
        tags: Option<Vec<String>>,
        age: Option<u32>,
    }
    let mut p = PartialJson::lenient().with_raw_text();
    let mut seen = Vec::new();
    for chunk in [
        "Sure! ```json\n{\"na",
        "me\": \"Ja\\u00e",
        "9\\u00e9 \\ud83d",
        "\\ude00\", \"tags\": [\"a\", \"b",
        "\"], \"age\": 4",
        "2}\n``` and more { prose",
    ] {
        p.push_str(chunk).unwrap();
        seen.push(p.snapshot_as::<Partial>().map(Result::unwrap));
    }
    let partial = |name: Option<&str>, tags: Option<&[&str]>, age| {
        Some(Partial {
            name: name.map(str::to_owned),
            tags: tags.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
            age,
        })
    };
    assert_eq!(
        seen,
        vec![
            partial(None, None, None),
            partial(Some("Ja"), None, None),
            partial(Some("Jaéé "), None, None),
            partial(Some("Jaéé 😀"), Some(&["a", "b"]), None),
            partial(Some("Jaéé 😀"), Some(&["a", "b"]), None),
            partial(Some("Jaéé 😀"), Some(&["a", "b"]), Some(42)),
        ]
    );
    let fields: Vec<(&str, &str)> = p.completed_root_json().collect();
    assert_eq!(
        fields,
        vec![
            ("name", "\"Ja\\u00e9\\u00e9 \\ud83d\\ude00\""),
            ("tags", "[\"a\", \"b\"]"),
            ("age", "42")
        ]
    );
    assert_eq!(
        p.completed_root_text().unwrap(),
        "{\"name\": \"Ja\\u00e9\\u00e9 \\ud83d\\ude00\", \"tags\": [\"a\", \"b\"], \"age\": 42}"
    );
    // A value the type does not accept is an error, not a panic.
    assert!(p.snapshot_as::<Vec<u8>>().unwrap().is_err());
    // The default mode keeps no raw text.
    let mut plain = PartialJson::new();
    plain.push_str("{\"a\": 1").unwrap();
    assert!(plain.snapshot_as::<Value>().is_none());
    assert_eq!(plain.completed_root_json().count(), 0);
}

/// Everything in `snapshot` off the `open` path equals the final value.
fn assert_final_parts_equal(snapshot: &Value, last: &Value, open: &[PathSegment], depth: usize) {
    match (snapshot, last) {
        (Value::Object(s), Value::Object(l)) => {
            for (k, v) in s {
                let on_path = matches!(open.get(depth), Some(PathSegment::Field(f)) if f == k);
                let Some(final_v) = l.get(k) else {
                    panic!("key {k} vanished")
                };
                if on_path {
                    assert_final_parts_equal(v, final_v, open, depth + 1);
                } else {
                    assert_eq!(v, final_v, "a complete field changed");
                }
            }
        }
        (Value::Array(s), Value::Array(l)) => {
            for (i, v) in s.iter().enumerate() {
                let on_path = matches!(open.get(depth), Some(PathSegment::Index(j)) if *j == i);
                if on_path {
                    assert_final_parts_equal(v, &l[i], open, depth + 1);
                } else {
                    assert_eq!(v, &l[i], "a complete item changed");
                }
            }
        }
        (Value::String(s), Value::String(l)) => {
            assert!(l.starts_with(s.as_str()), "a string prefix changed")
        }
        (s, l) => assert_eq!(s, l),
    }
}

/// Fuzz finding: in raw-text mode a push that failed (`{c`) left the kept text
/// shorter than the cut point, and `snapshot_as` split past its end.
#[test]
fn raw_text_snapshot_after_a_failed_push_does_not_panic() {
    for lenient in [false, true] {
        let mut raw = PartialJson::with_limits(Limits::default(), lenient).with_raw_text();
        let mut plain = PartialJson::with_limits(Limits::default(), lenient);
        assert!(raw.push_str("{c").is_err());
        assert!(plain.push_str("{c").is_err());
        // The snapshot is the value as it stood before the bad byte, in both modes.
        assert_eq!(
            raw.snapshot_as::<Value>().map(Result::unwrap),
            Some(json!({}))
        );
        assert_eq!(raw.snapshot(), plain.snapshot());
        // Every later call returns the error or the same consistent snapshot.
        assert!(raw.push_str("}").is_err());
        assert!(raw.finish().is_err());
        assert_eq!(raw.snapshot(), Some(json!({})));
        assert_eq!(raw.completed_root_json().count(), 0);
        assert_eq!(raw.completed_root_text().as_deref(), Some("{}"));
    }
    // The same, deeper and after some complete entries, the bad byte mid-chunk.
    let mut raw = PartialJson::new().with_raw_text();
    raw.push_str(r#"{"a": [1, "x"], "b": {"c": tru"#).unwrap();
    assert!(raw.push_str("x, 3]}").is_err());
    assert_eq!(
        raw.snapshot_as::<Value>().map(Result::unwrap),
        Some(json!({"a": [1, "x"], "b": {}}))
    );
}

/// The strings with surrogate escapes that must be rejected, as serde_json rejects
/// them: lone high, lone low, reversed pair, high then a non-surrogate escape, high
/// then a plain character, high then another escape, high at the end of a key.
const LONE_SURROGATES: &[&str] = &[
    r#"["\ud83d"]"#,
    r#"["\ude00"]"#,
    r#"["\ude00\ud83d"]"#,
    r#"["\ud83d\u0041"]"#,
    r#"["\ud83dx"]"#,
    r#"["\ud83d\n"]"#,
    r#"["\ud83d\ud83d"]"#,
    r#"{"\udbff": 1}"#,
    r#"{"a": "b\udfff c"}"#,
];

#[test]
fn lone_surrogates_are_rejected_in_both_modes_at_any_chunking() {
    for text in LONE_SURROGATES {
        assert!(
            serde_json::from_str::<Value>(text).is_err(),
            "serde: {text}"
        );
        let bytes = text.as_bytes();
        for size in 1..=bytes.len() {
            for raw_text in [false, true] {
                let mut p = PartialJson::new();
                if raw_text {
                    p = p.with_raw_text();
                }
                let pushed = bytes.chunks(size).try_for_each(|c| p.push(c));
                let error = pushed.and_then(|()| p.finish().map(drop)).unwrap_err();
                assert!(
                    matches!(error, PartialJsonError::LoneSurrogate { .. }),
                    "{text} in chunks of {size} (raw text: {raw_text}): {error:?}"
                );
                // Nothing past the error is accepted, and a snapshot does not panic.
                assert!(p.push_str("]").is_err());
                let _ = p.snapshot();
                let _ = p.snapshot_as::<Value>();
            }
        }
    }
}

#[test]
fn surrogate_pairs_split_across_chunks_are_joined() {
    let text = r#"{"e": "a\ud83d\ude00b\uD83D\uDE00", "k\ud83d\ude00": 1}"#;
    let expected: Value = serde_json::from_str(text).unwrap();
    assert_eq!(expected["e"], json!("a😀b😀"));
    let bytes = text.as_bytes();
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            let mut plain = PartialJson::new();
            let mut raw = PartialJson::new().with_raw_text();
            for piece in [&bytes[..i], &bytes[i..j], &bytes[j..]] {
                plain.push(piece).unwrap();
                raw.push(piece).unwrap();
                // The half of a pair waiting for the other is never shown.
                let shown = plain.snapshot();
                assert_eq!(raw.snapshot(), shown, "split at {i}, {j}");
                if let Some(e) = shown.as_ref().and_then(|s| s.get("e")) {
                    assert!(!e.as_str().unwrap().contains('\u{fffd}'));
                }
            }
            assert_eq!(plain.finish().unwrap(), expected, "split at {i}, {j}");
            assert_eq!(raw.finish().unwrap(), expected, "split at {i}, {j}");
        }
    }
}

/// Byte-level mutations of a valid document: a byte replaced, inserted or removed.
fn arb_mutated_doc() -> impl Strategy<Value = Vec<u8>> {
    let edit = (
        any::<prop::sample::Index>(),
        0u8..3,
        any::<u8>(),
        prop::sample::select(b"{}[]\",:\\u0dD8e-+.tfn \n\xff\xc3".to_vec()),
        any::<bool>(),
    );
    (arb_doc(), prop::collection::vec(edit, 0..4)).prop_map(|((_, mut text), edits)| {
        for (at, kind, byte, special, use_special) in edits {
            let byte = if use_special { special } else { byte };
            let i = at.index(text.len() + 1);
            match kind {
                0 if i < text.len() => text[i] = byte,
                1 => text.insert(i, byte),
                _ if i < text.len() => {
                    text.remove(i);
                }
                _ => text.push(byte),
            }
        }
        text
    })
}

/// Any input (mutated JSON, or bytes from anywhere), cut anywhere.
fn arb_hostile_input() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    prop_oneof![
        3 => arb_mutated_doc(),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => "[\\[\\]{}\",:\\\\u0-9a-fA-FeE.+\\- ntrl]{0,48}".prop_map(String::into_bytes),
    ]
    .prop_flat_map(|text| {
        let n = text.len();
        (Just(text), arb_cuts(n))
    })
}

/// Pushes `chunks` to `p`, calling every read method after each push (errors
/// included); returns the first push error, or the outcome of `finish`.
fn drive(p: &mut PartialJson, chunks: &[Vec<u8>]) -> Result<Value, PartialJsonError> {
    let mut first_error = None;
    for chunk in chunks {
        if let Err(e) = p.push(chunk) {
            first_error.get_or_insert(e);
        }
        let _ = p.snapshot();
        let _ = p.snapshot_as::<Value>();
        let _ = p.open_path();
        let _ = p.visible_version();
        let _ = p.completed_root_entries();
        let _ = p.completed_root_json().count();
        let _ = p.completed_root_text();
        let _ = p.is_complete();
        let _ = p.take_items();
    }
    let finished = p.finish();
    let _ = p.snapshot();
    let _ = p.snapshot_as::<Value>();
    match first_error {
        Some(e) => {
            assert_eq!(finished.as_ref().err(), Some(&e), "an error is sticky");
            Err(e)
        }
        None => finished,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Hostile input in any chunking, in every mode (strict, lenient, raw text, item
    /// path): never a panic; a value or an error, the same for every chunking and in
    /// both storage modes; in strict mode, exactly what serde_json decides.
    #[test]
    fn any_input_any_chunking_is_a_value_or_an_error((text, cuts) in arb_hostile_input()) {
        let chunks = chunked(&text, &cuts);
        for lenient in [false, true] {
            let make = || PartialJson::with_limits(Limits::default(), lenient);
            let whole = drive(&mut make(), std::slice::from_ref(&text)).ok();
            let plain = drive(&mut make(), &chunks).ok();
            let raw = drive(&mut make().with_raw_text(), &chunks).ok();
            let _ = drive(&mut make().with_item_path(&["tasks"]), &chunks);
            prop_assert_eq!(&plain, &whole, "chunking changed the outcome");
            prop_assert_eq!(&raw, &plain, "raw-text mode differs");
            if !lenient {
                prop_assert_eq!(plain, serde_json::from_slice::<Value>(&text).ok(), "serde_json differs");
            }
        }
    }
}

// ---- lenient syntax (almost-JSON) and answers (object roots) ----

/// Every chunking of `text` (whole, byte by byte, in threes) gives the same outcome.
fn parse_every_way(make: impl Fn() -> PartialJson, text: &str) -> Result<Value, PartialJsonError> {
    let bytes = text.as_bytes();
    let whole = drive(&mut make(), &[bytes.to_vec()]);
    for size in [1, 3] {
        let chunks: Vec<Vec<u8>> = bytes.chunks(size).map(<[u8]>::to_vec).collect();
        assert_eq!(
            drive(&mut make(), &chunks).ok(),
            whole.clone().ok(),
            "{text:?} in {size}s"
        );
        assert_eq!(
            drive(&mut make().with_raw_text(), &chunks).ok(),
            whole.clone().ok(),
            "{text:?} in {size}s, raw text"
        );
    }
    whole
}

#[test]
fn lenient_syntax_repairs_almost_json() {
    let cases: &[(&str, Value)] = &[
        (r#"{"a": 1, "b": [1, 2,],}"#, json!({"a": 1, "b": [1, 2]})),
        ("{\"a\": 1 // the age\n}", json!({"a": 1})),
        (
            r#"{/* lead */ "a": /* mid */ 1 /* end */}"#,
            json!({"a": 1}),
        ),
        (r#"{'name': 'it\'s "Al"'}"#, json!({"name": "it's \"Al\""})),
        (
            r#"{name: "A", user_id2: 3, $x: 1}"#,
            json!({"name": "A", "user_id2": 3, "$x": 1}),
        ),
        (
            "{\"bio\": \"line one\nline\ttwo\u{1}\"}",
            json!({"bio": "line one\nline\ttwo\u{1}"}),
        ),
        (
            r#"{"ok": True, "no": False, "x": None, "y": true}"#,
            json!({"ok": true, "no": false, "x": null, "y": true}),
        ),
        (r#"{"re": "\d+\.\w"}"#, json!({"re": "\\d+\\.\\w"})),
        ("{\"a\": 1,\n // trailing\n}", json!({"a": 1})),
        ("{a: [ {b: 'c',}, ], }", json!({"a": [{"b": "c"}]})),
        ("{\"a\": 1/2}", json!(null)),
    ];
    for (text, expected) in cases {
        let got = parse_every_way(|| PartialJson::answer().with_lenient_syntax(), text);
        if expected.is_null() {
            assert!(got.is_err(), "{text}: {got:?}");
        } else {
            assert_eq!(got.as_ref().ok(), Some(expected), "{text}");
            let mut strict = PartialJson::answer();
            let strict = strict.push_str(text).and_then(|()| strict.finish());
            assert_ne!(
                strict.ok().as_ref(),
                Some(expected),
                "strict mode accepts {text}"
            );
        }
    }
}

#[test]
fn answers_skip_prose_brackets_and_braces_before_the_object() {
    let cases = [
        "I found [one] user:\n```json\n{\"name\": \"A\"}\n```",
        "```json\n// the user [1]\n{\"name\": \"A\"}\n```",
        "Sure {the} user {is}: {\"name\": \"A\"} and {\"name\": \"B\"}",
        "{{\"name\": \"A\"}",
    ];
    for text in cases {
        for make in [PartialJson::answer, || {
            PartialJson::answer().with_lenient_syntax()
        }] {
            assert_eq!(
                parse_every_way(make, text).ok(),
                Some(json!({"name": "A"})),
                "{text}"
            );
        }
    }
    // A root with a value started is not prose: its error stands.
    let broken = parse_every_way(PartialJson::answer, "{\"name\": \"A\" x} {\"name\": \"B\"}");
    assert!(
        matches!(broken, Err(PartialJsonError::Unexpected { .. })),
        "{broken:?}"
    );
    // The lenient (not answer) parser still starts at the first bracket.
    assert!(parse_every_way(PartialJson::lenient, "I found [one] user: {\"a\": 1}").is_err());
}

/// `v` written as a local model might: comments and whitespace between tokens,
/// trailing commas, single quotes, bare keys, raw control characters, Python literals;
/// `bits` choose.
fn almost_json(v: &Value, bits: &[u8], i: &mut usize, out: &mut String) {
    let gap = |k: u8, out: &mut String| {
        out.push_str(match k {
            0 => " ",
            1 => "/* c, ] */",
            2 => " // c, }\n",
            3 => "\n  ",
            _ => "",
        })
    };
    match v {
        Value::Null => out.push_str(if pick(bits, i, 2) == 0 {
            "None"
        } else {
            "null"
        }),
        Value::Bool(b) => out.push_str(match (b, pick(bits, i, 2)) {
            (true, 0) => "True",
            (false, 0) => "False",
            (true, _) => "true",
            (false, _) => "false",
        }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => {
            let style = pick(bits, i, 3);
            almost_string(s, style, out);
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                gap(pick(bits, i, 8), out);
                almost_json(item, bits, i, out);
                gap(pick(bits, i, 8), out);
                out.push(',');
            }
            if items.is_empty() || pick(bits, i, 2) == 0 {
                drop_last_comma(out);
            }
            gap(pick(bits, i, 8), out);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (key, value) in map {
                gap(pick(bits, i, 8), out);
                let bare = key
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                match pick(bits, i, 3) {
                    0 if bare => out.push_str(key),
                    k => almost_string(key, k, out),
                }
                gap(pick(bits, i, 8), out);
                out.push(':');
                gap(pick(bits, i, 8), out);
                almost_json(value, bits, i, out);
                out.push(',');
            }
            if map.is_empty() || pick(bits, i, 2) == 0 {
                drop_last_comma(out);
            }
            gap(pick(bits, i, 8), out);
            out.push('}');
        }
    }
}

fn pick(bits: &[u8], i: &mut usize, n: u8) -> u8 {
    *i += 1;
    bits.get(*i % bits.len().max(1)).copied().unwrap_or(0) % n
}

fn drop_last_comma(out: &mut String) {
    if out.ends_with(',') {
        out.pop();
    }
}

/// A string in single quotes (`style` 0) or double quotes, control characters raw
/// (`style` < 2) or escaped.
fn almost_string(s: &str, style: u8, out: &mut String) {
    let quote = if style == 0 { '\'' } else { '"' };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 && style == 2 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
}

fn arb_almost_doc() -> impl Strategy<Value = (Value, Vec<u8>)> {
    (arb_json(), prop::collection::vec(any::<u8>(), 1..64)).prop_map(|(v, bits)| {
        let v = json!({"a": v});
        let mut text = String::new();
        almost_json(&v, &bits, &mut 0, &mut text);
        (v, text.into_bytes())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Strict JSON reads the same with lenient syntax: the same snapshot, open path
    /// and completed entries after every chunk, and the same value.
    #[test]
    fn lenient_syntax_reads_strict_json_as_strict_mode_does((doc, cuts) in arb_doc().prop_flat_map(|(v, t)| { let n = t.len(); (Just((v, t)), arb_cuts(n)) })) {
        let ((value, text), cuts) = (doc, cuts);
        let mut strict = PartialJson::new();
        let mut lenient = PartialJson::new().with_lenient_syntax();
        for chunk in chunked(&text, &cuts) {
            strict.push(&chunk).unwrap();
            lenient.push(&chunk).unwrap();
            prop_assert_eq!(lenient.snapshot(), strict.snapshot());
            prop_assert_eq!(lenient.open_path(), strict.open_path());
            prop_assert_eq!(lenient.completed_root_entries(), strict.completed_root_entries());
        }
        prop_assert_eq!(lenient.finish().unwrap(), value);
    }

    /// Almost-JSON, cut anywhere: the value it stands for, whatever the chunking; raw
    /// text shows what the default mode shows after every chunk; whatever a snapshot
    /// shows outside the open path never changes; `visible_version` changes exactly
    /// with the snapshot.
    #[test]
    fn almost_json_chunking_never_changes_the_result((doc, cuts) in arb_almost_doc().prop_flat_map(|(v, t)| { let n = t.len(); (Just((v, t)), arb_cuts(n)) })) {
        let ((value, text), cuts) = (doc, cuts);
        let make = || PartialJson::answer().with_lenient_syntax();
        let mut plain = make();
        let mut raw = make().with_raw_text();
        let mut earlier = Vec::new();
        let mut last = (plain.snapshot(), plain.visible_version());
        for chunk in chunked(&text, &cuts) {
            plain.push(&chunk).unwrap();
            raw.push(&chunk).unwrap();
            let expected = plain.snapshot();
            prop_assert_eq!(raw.snapshot(), expected.clone());
            prop_assert_eq!(raw.snapshot_as::<Value>().map(Result::unwrap), expected.clone());
            prop_assert_eq!(raw.visible_version(), plain.visible_version());
            assert_same_root_entries(&plain, &raw);
            let now = (expected.clone(), plain.visible_version());
            prop_assert_eq!(now.0 != last.0, now.1 != last.1, "{:?} -> {:?}", last, now);
            last = now;
            if let Some(s) = expected {
                earlier.push((s, plain.open_path()));
            }
        }
        let parsed = plain.finish().unwrap();
        for (snapshot, open) in earlier {
            assert_final_parts_equal(&snapshot, &parsed, &open, 0);
        }
        prop_assert_eq!(&parsed, &value, "{}", String::from_utf8_lossy(&text));
        prop_assert_eq!(raw.finish().unwrap(), value);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Hostile input in any chunking with lenient syntax and as an answer: never a
    /// panic; a value or an error, the same for every chunking and in both storage
    /// modes.
    #[test]
    fn lenient_any_input_any_chunking_is_a_value_or_an_error((text, cuts) in arb_hostile_input()) {
        let chunks = chunked(&text, &cuts);
        let makers: [fn() -> PartialJson; 3] = [
            || PartialJson::new().with_lenient_syntax(),
            PartialJson::answer,
            || PartialJson::answer().with_lenient_syntax(),
        ];
        for make in makers {
            let whole = drive(&mut make(), std::slice::from_ref(&text)).ok();
            let plain = drive(&mut make(), &chunks).ok();
            let raw = drive(&mut make().with_raw_text(), &chunks).ok();
            let _ = drive(&mut make().with_item_path(&["tasks"]), &chunks);
            prop_assert_eq!(&plain, &whole, "chunking changed the outcome");
            prop_assert_eq!(&raw, &plain, "raw-text mode differs");
        }
    }
}
