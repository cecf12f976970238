use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(pattern = "^[a-z]+$", pattern = "^[A-Z]+$")]
    name: String,
}

fn main() {}
