use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(description = "The name.")]
    #[instruct(description = "The user's name.")]
    name: String,
}

fn main() {}
