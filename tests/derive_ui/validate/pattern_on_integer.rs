use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(pattern = "^[0-9]+$")]
    age: u32,
}

fn main() {}
