use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(min_items = 1)]
    tag: String,
}

fn main() {}
