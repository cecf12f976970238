use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Point {
    #[serde(rename = "x")]
    first: f64,
    #[serde(rename = "x")]
    second: f64,
}

fn main() {}
