use instructor::Instruct;

#[derive(serde::Deserialize, serde::Serialize, Debug, Clone)]
struct Address {
    city: String,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone)]
struct Page<T> {
    items: Vec<T>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone)]
struct Book {
    title: String,
    pages: Page<Address>,
}

fn main() {}
