use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(min_items = 5, max_items = 2)]
    tags: Vec<String>,
}

fn main() {}
