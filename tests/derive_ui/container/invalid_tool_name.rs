use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(name = "has space")]
struct User {
    name: String,
}

fn main() {}
