use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(range(min = 150, max = 0))]
    age: u32,
}

fn main() {}
