use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    id: u64,
    #[serde(alias = "id")]
    legacy_id: u64,
}

fn main() {}
