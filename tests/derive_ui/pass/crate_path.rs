// `crate = ..` for code that reaches instructor under another path.
mod reexport {
    pub use ::instructor;
}

#[derive(instructor::Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(crate = ::instructor)]
struct User {
    name: String,
}

#[derive(instructor::Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(crate = reexport::instructor)]
struct Account {
    #[instruct(min_length = 1)]
    id: String,
    owner: User,
}

#[derive(instructor::Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(crate = "reexport::instructor")]
enum Role {
    Admin,
    Member,
}

fn main() {
    use instructor::Instruct as _;
    let _ = Account::json_schema();
    let _ = Role::json_schema();
}
