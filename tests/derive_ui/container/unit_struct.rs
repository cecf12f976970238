use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Nothing;

fn main() {}
