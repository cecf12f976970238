use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    name: String,
    #[serde(skip)]
    #[instruct(min_length = 1)]
    cache_key: String,
}

fn main() {}
