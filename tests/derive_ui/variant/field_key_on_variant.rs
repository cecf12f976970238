use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Status {
    #[instruct(min_length = 2)]
    Active,
    Done,
}

fn main() {}
