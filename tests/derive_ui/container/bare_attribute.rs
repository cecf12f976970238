use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct]
struct User {
    name: String,
}

fn main() {}
