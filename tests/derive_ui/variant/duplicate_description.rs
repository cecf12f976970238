use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Status {
    #[instruct(description = "Running.", description = "Still running.")]
    Active,
    Done,
}

fn main() {}
