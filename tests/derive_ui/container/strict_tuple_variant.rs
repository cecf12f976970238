use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(strict)]
enum Shape {
    Circle { radius: f64 },
    Rect(f64, f64),
}

fn main() {}
