use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(range(min = 0, max = 150))]
    age: String,
}

fn main() {}
