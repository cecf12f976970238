use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(partial(nme = UserSoFar))]
struct User {
    name: String,
}

fn main() {}
