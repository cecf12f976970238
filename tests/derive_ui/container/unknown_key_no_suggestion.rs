use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(frobnicate = true)]
struct User {
    name: String,
}

fn main() {}
