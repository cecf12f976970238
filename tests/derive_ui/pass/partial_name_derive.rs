use std::collections::HashSet;

use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(partial(name = UserSoFar, derive(Hash, Eq)))]
struct User {
    name: String,
    age: u32,
}

fn main() {
    let a: UserSoFar = serde_json::from_str(r#"{"name":"Ja"}"#).unwrap();
    let mut seen = HashSet::new();
    seen.insert(a.clone());
    assert!(seen.contains(&a));
    let _: <User as Instruct>::Partial = UserSoFar::default();
}
