use instructor::prelude::*;

// Stream controls on generic, recursive, flattened and newtype shapes compile.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(stream(not_null))]
struct Page<T> {
    #[instruct(stream(done))]
    cursor: String,
    items: Vec<T>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Node {
    #[instruct(stream(done, not_null))]
    label: String,
    children: Vec<Node>,
    #[serde(flatten)]
    meta: Meta,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(stream(done))]
struct Meta {
    weight: u32,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(stream(done))]
struct Wrapper(Node);

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(stream(done))]
enum Kind {
    A,
    B,
}

fn main() {
    let _ = Page::<Node>::json_schema();
    let _ = Wrapper::json_schema();
    let _ = Kind::json_schema();
}
