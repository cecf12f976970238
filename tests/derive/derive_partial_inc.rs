//! The typed partial held in place (`TypedPartial`, what `create_partial` uses)
//! against the re-read path: for random documents of derived types and random
//! chunkings, after each chunk the in-place partial shows everything the re-read one
//! shows (the same values; more only where the re-read path dropped data), and the
//! complete partial serializes as the document; the final value equals serde_json's.

use std::collections::BTreeMap;

use instructor::TypedPartial;
use instructor::prelude::*;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Doc {
    title: String,
    count: u32,
    flag: bool,
    tags: Vec<String>,
    inner: Inner,
    maybe: Option<Inner>,
    items: Vec<Inner>,
    shapes: Vec<Shape>,
    tagged: Vec<Tagged>,
    adjacent: Option<Adjacent>,
    unions: Vec<Union>,
    map: BTreeMap<String, Inner>,
    #[serde(rename = "lastNote")]
    note: String,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    name: String,
    n: i64,
    words: Vec<String>,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Circle(Inner),
    Rect { w: u32, label: String },
    Empty,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
enum Tagged {
    A { x: u32, text: String },
    B(Inner),
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    One { text: String },
    Two(Vec<String>),
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Union {
    B { b: String },
    D { d: String, e: u32 },
}

fn text() -> impl Strategy<Value = String> {
    "[a-z \"\\\\\n\u{e9}\u{1F600}]{0,10}"
}

fn inner() -> impl Strategy<Value = Inner> {
    (text(), any::<i64>(), prop::collection::vec(text(), 0..3)).prop_map(|(name, n, words)| Inner {
        name,
        n,
        words,
    })
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        inner().prop_map(Shape::Circle),
        (any::<u32>(), text()).prop_map(|(w, label)| Shape::Rect { w, label }),
        Just(Shape::Empty),
    ]
}

fn tagged() -> impl Strategy<Value = Tagged> {
    prop_oneof![
        (any::<u32>(), text()).prop_map(|(x, text)| Tagged::A { x, text }),
        inner().prop_map(Tagged::B),
    ]
}

fn adjacent() -> impl Strategy<Value = Adjacent> {
    prop_oneof![
        text().prop_map(|text| Adjacent::One { text }),
        prop::collection::vec(text(), 0..3).prop_map(Adjacent::Two),
    ]
}

fn union() -> impl Strategy<Value = Union> {
    prop_oneof![
        text().prop_map(|b| Union::B { b }),
        (text(), any::<u32>()).prop_map(|(d, e)| Union::D { d, e }),
    ]
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        (
            text(),
            any::<u32>(),
            any::<bool>(),
            prop::collection::vec(text(), 0..4),
        ),
        (
            inner(),
            prop::option::of(inner()),
            prop::collection::vec(inner(), 0..4),
        ),
        (
            prop::collection::vec(shape(), 0..4),
            prop::collection::vec(tagged(), 0..4),
            prop::option::of(adjacent()),
            prop::collection::vec(union(), 0..4),
        ),
        (
            prop::collection::btree_map("[a-z]{1,4}", inner(), 0..3),
            text(),
        ),
    )
        .prop_map(
            |(
                (title, count, flag, tags),
                (inner, maybe, items),
                (shapes, tagged, adjacent, unions),
                (map, note),
            )| Doc {
                title,
                count,
                flag,
                tags,
                inner,
                maybe,
                items,
                shapes,
                tagged,
                adjacent,
                unions,
                map,
                note,
            },
        )
}

/// Whether `shown` shows everything `reference` does: equal scalars, lists of the
/// same length item by item, every key of an object; `null` (dropped) in
/// `reference` allows anything.
fn shows_all_of(shown: &Value, reference: &Value) -> bool {
    match (shown, reference) {
        (_, Value::Null) => true,
        (Value::Object(a), Value::Object(b)) => b
            .iter()
            .all(|(k, v)| v.is_null() || a.get(k).is_some_and(|w| shows_all_of(w, v))),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| shows_all_of(x, y))
        }
        (a, b) => a == b,
    }
}

fn check(doc: &Doc, pretty: bool, cuts: &[usize]) -> Result<(), TestCaseError> {
    let json = if pretty {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    }
    .unwrap();
    let bytes = json.as_bytes();
    let mut partial = TypedPartial::<Doc>::new();
    let mut at = 0;
    let mut cuts = cuts.iter().cycle();
    while at < bytes.len() {
        let next = (at + cuts.next().copied().unwrap_or(1)).min(bytes.len());
        partial.push(&bytes[at..next]).unwrap();
        at = next;
        let reread = partial.reread();
        let in_place = partial.snapshot();
        match (&in_place, &reread) {
            (None, Some(r)) => prop_assert!(false, "in place shows nothing, re-read {r:?}"),
            (Some(i), Some(r)) => {
                let (i, r) = (
                    serde_json::to_value(i).unwrap(),
                    serde_json::to_value(r).unwrap(),
                );
                prop_assert!(
                    shows_all_of(&i, &r),
                    "at {at} of {json}\nin place {i}\nre-read  {r}"
                );
            }
            _ => {}
        }
    }
    let last = serde_json::to_value(partial.snapshot().unwrap()).unwrap();
    // A partial leaves out what is absent: the document's `null`s.
    let mut expected = serde_json::to_value(doc).unwrap();
    if let Value::Object(map) = &mut expected {
        map.retain(|_, v| !v.is_null());
    }
    prop_assert_eq!(&last, &expected);
    let parsed: Doc = serde_json::from_str(&json).unwrap();
    prop_assert_eq!(&parsed, doc);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn in_place_partial_shows_all_the_reread_one_does(
        doc in doc(),
        pretty in any::<bool>(),
        cuts in prop::collection::vec(1usize..24, 1..8),
    ) {
        check(&doc, pretty, &cuts)?;
    }
}

#[test]
fn every_byte_of_a_document_on_its_own() {
    let doc = Doc {
        title: "T\u{e9}\"x".into(),
        count: 3,
        flag: true,
        tags: vec!["a".into(), "b\n".into()],
        inner: Inner {
            name: "n".into(),
            n: -4,
            words: vec!["w".into()],
        },
        maybe: None,
        items: vec![
            Inner {
                name: "i".into(),
                n: 1,
                words: vec![]
            };
            3
        ],
        shapes: vec![
            Shape::Rect {
                w: 2,
                label: "r".into(),
            },
            Shape::Empty,
        ],
        tagged: vec![Tagged::A {
            x: 1,
            text: "t".into(),
        }],
        adjacent: Some(Adjacent::Two(vec!["x".into()])),
        unions: vec![
            Union::B { b: "b".into() },
            Union::D {
                d: "d".into(),
                e: 1,
            },
        ],
        map: BTreeMap::from([(
            "k".into(),
            Inner {
                name: "m".into(),
                n: 0,
                words: vec![],
            },
        )]),
        note: "\u{1F600}".into(),
    };
    check(&doc, false, &[1]).unwrap();
    check(&doc, true, &[1]).unwrap();
}
