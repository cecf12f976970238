use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    #[instruct(range(mn = 0, max = 150))]
    age: u32,
}

fn main() {}
