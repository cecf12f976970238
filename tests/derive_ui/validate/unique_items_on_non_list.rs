use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(unique_items)]
    tag: String,
}

fn main() {}
