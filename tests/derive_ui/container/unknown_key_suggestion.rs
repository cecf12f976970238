use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(descripton = "A user.")]
struct User {
    name: String,
}

fn main() {}
