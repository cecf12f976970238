use instructor::prelude::*;

// No PartialEq on either type: deriving Instruct does not require it.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone)]
enum Kind {
    Bug,
    Feature,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone)]
struct Ticket {
    title: String,
    kind: Kind,
}

fn main() {
    let a: PartialTicket = serde_json::from_str(r#"{"title":"x","kind":"Bug"}"#).unwrap();
    let b: PartialTicket = serde_json::from_str(r#"{"kind":"Bug","title":"x"}"#).unwrap();
    assert_eq!(a, b);
    let _ = Ticket::json_schema();
}
