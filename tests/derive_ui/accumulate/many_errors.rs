use instructor::Instruct;

// Every mistake below is reported in a single compile.
// (Known gap: `unique_items` on a String is a type-level check, reported only once
// the attribute errors above are fixed.)
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[instruct(name = "bad name", descripton = "typo")]
struct Messy {
    #[instruct(min_lenght = 2, pattern = "([a-z]")]
    name: String,
    #[instruct(range(min = 10, max = 1), format = "emial")]
    age: u32,
    #[instruct(multiple_of = 0, multiple_of = 2)]
    score: f64,
    #[serde(rename = "name")]
    alias: String,
    #[instruct(unique_items)]
    label: String,
}

fn main() {}
