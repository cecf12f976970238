use std::collections::HashMap;

use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Counts {
    by_name: HashMap<String, u32>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Stock {
    counts: Counts,
}

// The map is two levels down: the check still reaches it.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(strict)]
struct Inventory {
    owner: String,
    stock: Vec<Stock>,
}

fn main() {}
