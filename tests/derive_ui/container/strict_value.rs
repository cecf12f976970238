use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(strict)]
struct Event {
    kind: String,
    payload: serde_json::Value,
}

fn main() {}
