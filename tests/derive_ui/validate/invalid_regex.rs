use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(pattern = "^[a-z+$")]
    name: String,
}

fn main() {}
