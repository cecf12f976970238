use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct User {
    user_id: u64,
    #[allow(non_snake_case)]
    userId: u64,
}

fn main() {}
