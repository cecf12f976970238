use instructor::Instruct;

// A mistake in `#[serde(...)]` should be reported once, by serde.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelcase")]
struct User {
    user_name: String,
}

fn main() {}
