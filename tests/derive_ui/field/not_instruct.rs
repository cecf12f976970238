use instructor::Instruct;

#[derive(serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Address {
    city: String,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    name: String,
    address: Address,
}

fn main() {}
