use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(partial(name = "user so far"))]
struct User {
    name: String,
}

fn main() {}
