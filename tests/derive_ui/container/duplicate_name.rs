use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(name = "user", name = "person")]
struct User {
    name: String,
}

fn main() {}
