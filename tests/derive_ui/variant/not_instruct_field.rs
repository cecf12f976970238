use instructor::Instruct;

#[derive(serde::Deserialize, serde::Serialize, Debug, Clone)]
struct Address {
    city: String,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone)]
enum Contact {
    Email { address: String },
    Post { address: Address },
}

fn main() {}
