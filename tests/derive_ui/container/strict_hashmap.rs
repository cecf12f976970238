use std::collections::HashMap;

use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(strict)]
struct Inventory {
    owner: String,
    counts: HashMap<String, u32>,
}

fn main() {}
