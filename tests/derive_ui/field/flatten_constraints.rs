use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Address {
    city: String,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    name: String,
    #[serde(flatten)]
    #[instruct(min_items = 1)]
    address: Address,
}

fn main() {}
