use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

/// Externally tagged (serde's default).
#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum External {
    /// Nothing yet.
    Empty,
    #[instruct(description = "A single value.")]
    One(#[instruct(min_length = 1)] String),
    Pair(u32, u32),
    Shape { #[instruct(range(min = 0))] sides: u32 },
    #[serde(rename = "point")]
    At(Point),
    #[serde(skip)]
    Hidden,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Internal {
    Empty,
    Shape { sides: u32 },
    At(Point),
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Empty,
    One(String),
    Pair(u32, u32),
    Shape { sides: u32 },
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
enum Untagged {
    Number(f64),
    Text(String),
    Shape { sides: u32 },
    Nothing,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
enum Mixed {
    Known { id: u32 },
    #[serde(untagged)]
    Other(String),
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Holder {
    external: External,
    internal: Internal,
    adjacent: Adjacent,
    untagged: Untagged,
    mixed: Option<Mixed>,
}

fn main() {
    let _ = Holder::json_schema();
    let h = Holder {
        external: External::One(String::new()),
        internal: Internal::Shape { sides: 3 },
        adjacent: Adjacent::Pair(1, 2),
        untagged: Untagged::Nothing,
        mixed: Some(Mixed::Other("x".into())),
    };
    let errors = h.validate(&ValidationContext::empty()).unwrap_err();
    assert_eq!(errors.len(), 1);
}
