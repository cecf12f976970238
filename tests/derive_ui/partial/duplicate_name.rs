use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(partial(name = UserSoFar, name = UserDraft))]
struct User {
    name: String,
}

fn main() {}
