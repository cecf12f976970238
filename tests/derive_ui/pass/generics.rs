use instructor::prelude::*;

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Page<T> {
    #[instruct(max_items = 100)]
    items: Vec<T>,
    next: Option<String>,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct Pair<A, B> {
    first: A,
    second: B,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
struct Labelled<T: Clone>
where
    T: std::fmt::Debug,
{
    label: String,
    value: T,
}

#[derive(Instruct, serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq)]
struct User {
    name: String,
}

fn main() {
    assert_eq!(Page::<User>::tool().name, "Page_for_User");
    let _ = Pair::<u32, Page<User>>::json_schema();
    let _ = Labelled::<i64>::json_schema();
    let partial: PartialPage<User> = serde_json::from_str(r#"{"items":[{"name":"A"}]}"#).unwrap();
    assert_eq!(partial.items.map(|i| i.len()), Some(1));
}
