use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Status {
    #[serde(rename = "done")]
    Finished,
    #[serde(rename = "done")]
    Completed,
}

fn main() {}
