use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(min_length = 10, max_length = 3)]
    name: String,
}

fn main() {}
