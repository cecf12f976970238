use std::collections::HashMap;

use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Outer {
    next: Option<Box<Inner>>,
    again: Vec<Outer>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Inner {
    back: Vec<Outer>,
    counts: Option<Counts>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Counts {
    by_name: HashMap<String, u32>,
}

// The map is two named types behind a recursive loop: the check still reaches it.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(strict)]
struct Report {
    title: String,
    root: Outer,
}

fn main() {}
