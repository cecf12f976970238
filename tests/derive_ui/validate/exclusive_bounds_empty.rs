use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Reading {
    #[instruct(exclusive_minimum = 1.0, exclusive_maximum = 1.0)]
    ratio: f64,
}

fn main() {}
