use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(partial(name = PartialStatus))]
enum Status {
    Active,
    Done,
}

fn main() {}
