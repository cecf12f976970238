use instructor::Instruct;

// Without `name = ".."` the type name is the tool name, and it must be ASCII.
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Straße {
    name: String,
}

fn main() {}
