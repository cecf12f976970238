use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone)]
struct User {
    #[instruct(title = 5)]
    name: String,
}

fn main() {}
