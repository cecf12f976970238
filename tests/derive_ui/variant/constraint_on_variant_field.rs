use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Shape {
    Circle {
        #[instruct(pattern = "^[0-9]+$")]
        radius: f64,
    },
}

fn main() {}
