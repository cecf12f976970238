use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Order {
    #[instruct(multiple_of = 5)]
    quantity: String,
}

fn main() {}
