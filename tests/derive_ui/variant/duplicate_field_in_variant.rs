use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Shape {
    Rect {
        #[serde(rename = "size")]
        width: f64,
        #[serde(rename = "size")]
        height: f64,
    },
}

fn main() {}
