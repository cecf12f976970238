use std::collections::HashMap;

use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Page<T> {
    items: Vec<T>,
}

// `Page<T>` is strict-compatible exactly when `T` is: the check reaches the map.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(strict)]
struct Report {
    pages: Page<HashMap<String, u32>>,
}

fn main() {}
