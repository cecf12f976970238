use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(stream(not_null))]
enum Answer {
    Text { body: String },
    Number(f64),
}

fn main() {}
