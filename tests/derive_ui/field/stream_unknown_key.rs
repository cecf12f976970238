use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Ticket {
    #[instruct(stream(dnoe))]
    id: String,
}

fn main() {}
