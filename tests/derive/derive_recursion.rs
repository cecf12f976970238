//! Recursive models: self, mutual and three-way recursion, recursion through a
//! generic type and across enums all compile (issue 11), produce `$ref` cycles in the
//! schema, stream, and answer the strict check; a strict recursive model compiles.

use std::collections::HashMap;

use instructor::__private::strict_compatible;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Self-recursion through `Vec`.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Tree {
    label: String,
    children: Vec<Tree>,
}

/// Mutual recursion through `Option<Box<_>>` and `Vec` (once a cycle error, E0391,
/// in the strict-compatibility constant).
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct A {
    b: Option<Box<B>>,
    x: u32,
}

#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct B {
    a: Vec<A>,
}

/// Three-way recursion, through a struct, an enum and a map-free `Box`.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Dept {
    name: String,
    teams: Vec<Team>,
}

#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind")]
enum Team {
    Leaf { people: Vec<String> },
    Nested { lead: Box<Member> },
}

#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Member {
    name: String,
    owns: Option<Box<Dept>>,
}

/// Recursion through a generic type.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Node<T> {
    value: T,
    children: Vec<Node<T>>,
}

/// A generic wrapper holding a recursive type.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Forest {
    trees: Vec<Node<Tree>>,
}

/// A strict model over recursive types with nothing strict mode rejects: it compiles
/// (the assertion walks the cycles until its budget runs out).
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
#[instruct(strict)]
struct StrictRoot {
    tree: Tree,
    pair: A,
    dept: Option<Dept>,
    numbers: Node<u32>,
}

/// A map two named types down a recursive loop: `Bad1 -> Bad2 -> Counts`.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Bad1 {
    next: Option<Box<Bad2>>,
    again: Vec<Bad1>,
}

#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Bad2 {
    back: Vec<Bad1>,
    counts: Option<Counts>,
}

#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Counts {
    by_name: HashMap<String, u32>,
}

/// An enum reaching a map only through recursion into itself.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
enum Expr {
    Literal {
        value: f64,
    },
    Call {
        args: Vec<Expr>,
        env: Option<Box<Env>>,
    },
}

#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
struct Env {
    parent: Option<Box<Expr>>,
    vars: HashMap<String, f64>,
}

/// Self-recursion through the last of 20 fields: the walk's field lists are tuples of
/// at most 12, so the recursive field sits two tuples deep at every one of the 32
/// levels (nested pairs, 20 deep, once overflowed rustc's query depth).
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
#[allow(dead_code, reason = "only the strict walk over the fields is tested")]
struct Wide {
    f0: String,
    f1: String,
    f2: String,
    f3: String,
    f4: String,
    f5: String,
    f6: String,
    f7: String,
    f8: String,
    f9: String,
    f10: String,
    f11: String,
    f12: String,
    f13: String,
    f14: String,
    f15: String,
    f16: String,
    f17: String,
    f18: String,
    children: Vec<Wide>,
}

/// [`Wide`] with a map as its last field, reached only through the recursion of a
/// type holding it.
#[derive(Instruct, Debug, Clone, Serialize, Deserialize)]
#[allow(dead_code, reason = "only the strict walk over the fields is tested")]
struct WideBad {
    wide: Wide,
    next: Option<Box<WideBad>>,
    f2: String,
    f3: String,
    f4: String,
    f5: String,
    f6: String,
    f7: String,
    f8: String,
    f9: String,
    f10: String,
    f11: String,
    f12: String,
    f13: String,
    counts: Option<Counts>,
}

#[test]
fn the_strict_check_walks_wide_recursive_types() {
    const {
        assert!(strict_compatible::<Wide>());
        assert!(!strict_compatible::<WideBad>());
        assert!(!strict_compatible::<Vec<WideBad>>());
    }
}

#[test]
fn the_strict_check_passes_recursive_types_without_a_map() {
    const {
        assert!(strict_compatible::<Tree>());
        assert!(strict_compatible::<A>());
        assert!(strict_compatible::<B>());
        assert!(strict_compatible::<Dept>());
        assert!(strict_compatible::<Team>());
        assert!(strict_compatible::<Member>());
        assert!(strict_compatible::<Node<Tree>>());
        assert!(strict_compatible::<Forest>());
        assert!(strict_compatible::<StrictRoot>());
    }
}

#[test]
fn the_strict_check_finds_a_map_behind_recursion() {
    const {
        assert!(!strict_compatible::<Counts>());
        assert!(!strict_compatible::<Bad2>());
        assert!(!strict_compatible::<Bad1>());
        assert!(!strict_compatible::<Vec<Bad1>>());
        assert!(!strict_compatible::<Expr>());
        assert!(!strict_compatible::<Env>());
        // The map reaches a generic type through its parameter.
        assert!(!strict_compatible::<Node<Bad1>>());
        assert!(!strict_compatible::<Node<HashMap<String, u8>>>());
    }
}

#[test]
fn mutually_recursive_schemas_refer_to_each_other() {
    let schema = serde_json::to_value(A::json_schema()).unwrap();
    let b = &schema["$defs"]["B"];
    assert_eq!(
        b["properties"]["a"]["items"]["$ref"], "#/$defs/A",
        "{schema}"
    );
    let b_ref = &schema["properties"]["b"];
    assert!(b_ref.to_string().contains("#/$defs/B"), "{schema}");

    let schema = serde_json::to_value(Dept::json_schema()).unwrap();
    for name in ["Team", "Member"] {
        assert!(schema["$defs"].get(name).is_some(), "{name}: {schema}");
    }
}

#[test]
fn recursive_values_round_trip_and_stream() {
    let value = json!({"b": {"a": [{"b": null, "x": 2}]}, "x": 1});
    let a: A = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(a.b.as_ref().unwrap().a[0].x, 2);
    a.validate(&ValidationContext::empty()).unwrap();

    let partial: <A as Instruct>::Partial =
        serde_json::from_str(r#"{"b":{"a":[{"x":2}]}}"#).unwrap();
    let inner = partial.b.unwrap().a.unwrap();
    assert_eq!(inner[0].x, Some(2));
    assert_eq!(partial.x, None);

    let node: Node<Tree> = serde_json::from_value(json!({
        "value": {"label": "root", "children": []},
        "children": [{"value": {"label": "kid", "children": []}, "children": []}]
    }))
    .unwrap();
    assert_eq!(node.children[0].value.label, "kid");
}
