use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(min_length = "2")]
    name: String,
}

fn main() {}
