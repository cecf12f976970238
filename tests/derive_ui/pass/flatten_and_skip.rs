use std::collections::HashMap;

use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Address {
    #[instruct(min_length = 2)]
    city: String,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
struct User {
    #[serde(rename = "fullName", alias = "name")]
    full_name: String,
    #[serde(flatten)]
    address: Address,
    #[serde(default)]
    nickname: String,
    #[serde(skip)]
    cache: u64,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Extra {
    id: u32,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

fn main() {
    let _ = User::json_schema();
    let _ = Extra::json_schema();
}
