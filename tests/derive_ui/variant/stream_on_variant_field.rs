use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Answer {
    Text {
        #[instruct(stream(done))]
        body: String,
    },
    Number(f64),
}

fn main() {}
