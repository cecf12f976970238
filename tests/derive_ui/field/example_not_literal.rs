use instructor::Instruct;

const EXAMPLE: &str = "Jane";

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(example = EXAMPLE)]
    name: String,
}

fn main() {}
