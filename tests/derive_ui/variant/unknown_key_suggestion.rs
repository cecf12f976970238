use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Status {
    #[instruct(descriptin = "Still running.")]
    Active,
    Done,
}

fn main() {}
