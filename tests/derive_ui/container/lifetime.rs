use instructor::Instruct;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User<'a> {
    name: &'a str,
}

fn main() {}
