use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Ticket {
    id: String,
    #[serde(skip)]
    #[instruct(stream(done))]
    cache: String,
}

fn main() {}
