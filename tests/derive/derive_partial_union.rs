//! Partial twins of enums (each serde tagging) and untagged unions: an incomplete
//! member shows as the partial of the variant it can still be, or as the raw JSON
//! while no variant can be told, never as absent; lists of unions stream member by
//! member.

use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Member {
    B { b: String },
    D { d: String, e: u32 },
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Holder {
    a: Vec<Member>,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Circle {
    radius: f64,
    label: String,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
enum External {
    Circle(Circle),
    Rect { w: f64, h: f64 },
    Pair(u32, String),
    Empty,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Internal {
    Circle(Circle),
    Rect { w: f64, h: f64 },
    Empty,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Circle(Circle),
    Rect { w: f64, h: f64 },
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Shapes {
    external: Vec<External>,
    internal: Option<Internal>,
    adjacent: Adjacent,
}

fn read<P: serde::de::DeserializeOwned>(text: &str) -> P {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn the_issue_case_keeps_both_members() {
    // Before: `a: None` until every member was complete.
    let p: PartialHolder = read(r#"{"a": [{"b": "b"}, {"d": "d"}]}"#);
    let a = p.a.expect("the list is shown");
    assert_eq!(a.len(), 2);
    assert!(
        matches!(&a[0], PartialMember::B { b: Some(b) } if b == "b"),
        "{a:?}"
    );
    assert!(
        matches!(&a[1], PartialMember::D { d: Some(d), e: None } if d == "d"),
        "{a:?}"
    );
}

#[test]
fn a_list_of_untagged_members_streams_member_by_member() {
    // Each prefix as the partial parser closes it: every member so far is shown.
    let prefixes = [
        (r#"{"a":[]}"#, 0),
        (r#"{"a":[{}]}"#, 1),
        (r#"{"a":[{"b":""}]}"#, 1),
        (r#"{"a":[{"b":"x"},{"d":"y"}]}"#, 2),
        (r#"{"a":[{"b":"x"},{"d":"y","e":3},{}]}"#, 3),
    ];
    for (prefix, members) in prefixes {
        let p: PartialHolder = read(prefix);
        assert_eq!(p.a.map(|a| a.len()), Some(members), "{prefix}");
    }
    let p: PartialHolder = read(r#"{"a":[{"b":"x"},{"d":"y","e":3}]}"#);
    let complete: Holder = read(r#"{"a":[{"b":"x"},{"d":"y","e":3}]}"#);
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        serde_json::to_value(&complete).unwrap()
    );
}

#[test]
fn no_variant_fits_yet_shows_the_raw_json() {
    let p: PartialHolder = read(r#"{"a":[{"zzz":1}]}"#);
    assert_eq!(p.a.unwrap()[0], PartialMember::Undecided(json!({"zzz": 1})));
}

#[test]
fn externally_tagged_members_show_their_variant() {
    let p: PartialShapes = read(
        r#"{"external":[{"Circle":{"radius":1.5}},{"Rect":{"w":2}},{"Pair":[7]},"Empty","Emp"]}"#,
    );
    let e = p.external.unwrap();
    assert!(
        matches!(&e[0], PartialExternal::Circle(c) if c.radius == Some(1.5) && c.label.is_none())
    );
    assert!(matches!(&e[1], PartialExternal::Rect { w: Some(w), h: None } if *w == 2.0));
    assert!(matches!(&e[2], PartialExternal::Pair(Some(7), None)));
    assert!(matches!(&e[3], PartialExternal::Empty));
    // A unit variant's name still being written cannot be told yet.
    assert_eq!(e[4], PartialExternal::Undecided(json!("Emp")));
}

#[test]
fn internally_tagged_member_shows_its_variant_once_the_tag_arrived() {
    let p: PartialShapes = read(r#"{"internal":{"type":"rect","w":1}}"#);
    assert!(matches!(
        p.internal,
        Some(PartialInternal::Rect {
            w: Some(_),
            h: None
        })
    ));
    let p: PartialShapes = read(r#"{"internal":{"type":"circle","label":"x"}}"#);
    assert!(
        matches!(&p.internal, Some(PartialInternal::Circle(c)) if c.label.as_deref() == Some("x"))
    );
    // Before the tag: the JSON so far, not absent.
    let p: PartialShapes = read(r#"{"internal":{"w":1}}"#);
    assert_eq!(
        p.internal,
        Some(PartialInternal::Undecided(json!({"w": 1})))
    );
    let p: PartialShapes = read(r#"{"internal":{"type":"empty"}}"#);
    assert!(matches!(p.internal, Some(PartialInternal::Empty)));
}

#[test]
fn adjacently_tagged_member_shows_its_variant_before_its_content() {
    let p: PartialShapes = read(r#"{"adjacent":{"t":"Rect"}}"#);
    assert!(matches!(
        p.adjacent,
        Some(PartialAdjacent::Rect { w: None, h: None })
    ));
    let p: PartialShapes = read(r#"{"adjacent":{"t":"Circle","c":{"radius":2}}}"#);
    assert!(matches!(&p.adjacent, Some(PartialAdjacent::Circle(c)) if c.radius == Some(2.0)));
}

#[test]
fn complete_members_serialize_as_the_enum_does() {
    let document = json!({
        "external": [{"Circle": {"radius": 1.0, "label": "c"}}, {"Rect": {"w": 1.0, "h": 2.0}}, {"Pair": [1, "x"]}, "Empty"],
        "internal": {"type": "rect", "w": 1.0, "h": 2.0},
        "adjacent": {"t": "Circle", "c": {"radius": 1.0, "label": "c"}}
    });
    let complete: Shapes = serde_json::from_value(document.clone()).unwrap();
    let partial: PartialShapes = serde_json::from_value(document.clone()).unwrap();
    assert_eq!(serde_json::to_value(&complete).unwrap(), document);
    assert_eq!(serde_json::to_value(&partial).unwrap(), document);
}

#[test]
fn an_enum_with_data_is_its_own_partial_root() {
    let p: <Internal as Instruct>::Partial = read(r#"{"type":"circle","radius":3}"#);
    assert!(matches!(p, PartialInternal::Circle(c) if c.radius == Some(3.0)));
    assert_eq!(
        <Internal as Instruct>::Partial::default(),
        PartialInternal::Undecided(serde_json::Value::Null)
    );
}
