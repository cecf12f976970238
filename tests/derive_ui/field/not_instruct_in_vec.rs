use instructor::Instruct;

#[derive(serde::Deserialize, serde::Serialize, Debug, Clone)]
struct Address {
    city: String,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone)]
struct User {
    name: String,
    addresses: Vec<Address>,
}

fn main() {}
