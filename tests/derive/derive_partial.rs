//! The partial twins: every field optional, nested twins, deserializable from any
//! prefix-completed JSON object.

use instructor::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
    nickname: Option<String>,
    address: Address,
    friends: Vec<Friend>,
    mood: Mood,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Address {
    street_name: String,
    city: String,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Friend {
    name: String,
    since: u16,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Mood {
    Happy,
    Sad,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(partial(name = DraftNote, derive(Hash, Eq)))]
struct Note {
    text: String,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    label: String,
    children: Vec<Tree>,
    next: Option<Box<Tree>>,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Page<T> {
    items: Vec<T>,
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WithFlatten {
    id: u32,
    #[serde(flatten)]
    address: Address,
}

#[test]
fn empty_object_is_the_default_twin() {
    let p: PartialUser = serde_json::from_str("{}").unwrap();
    assert_eq!(p, PartialUser::default());
    assert_eq!(p.name, None);
}

#[test]
fn nested_struct_holds_the_nested_twin() {
    let p: PartialUser =
        serde_json::from_str(r#"{"name":"Jas","address":{"streetName":"Main"}}"#).unwrap();
    assert_eq!(p.name.as_deref(), Some("Jas"));
    let address: PartialAddress = p.address.unwrap();
    assert_eq!(address.street_name.as_deref(), Some("Main"));
    assert_eq!(address.city, None);
}

#[test]
fn vec_of_nested_holds_twins() {
    let p: PartialUser =
        serde_json::from_str(r#"{"friends":[{"name":"Al","since":2001},{"name":"Bo"}]}"#).unwrap();
    let friends = p.friends.unwrap();
    assert_eq!(friends.len(), 2);
    assert_eq!(
        friends[1],
        PartialFriend {
            name: Some("Bo".into()),
            since: None
        }
    );
}

#[test]
fn option_fields_do_not_double_wrap() {
    let p: PartialUser = serde_json::from_str(r#"{"nickname":"JJ"}"#).unwrap();
    let nickname: Option<String> = p.nickname;
    assert_eq!(nickname.as_deref(), Some("JJ"));
    let p: PartialUser = serde_json::from_str(r#"{"nickname":null}"#).unwrap();
    assert_eq!(p.nickname, None);
}

#[test]
fn a_value_that_does_not_fit_yet_reads_as_absent() {
    // An unknown enum variant (still being written) and a wrong-typed number.
    let p: PartialUser = serde_json::from_str(r#"{"name":"Jo","mood":"Hap","age":"2"}"#).unwrap();
    assert_eq!(p.name.as_deref(), Some("Jo"));
    assert_eq!(p.mood, None);
    assert_eq!(p.age, None);
    let p: PartialUser = serde_json::from_str(r#"{"mood":"Happy"}"#).unwrap();
    assert_eq!(p.mood, Some(Mood::Happy));
}

#[test]
fn every_truncation_of_a_document_completes_into_a_twin() {
    // Prefixes of a real document, closed the way a partial parser closes them.
    let prefixes = [
        r#"{"name":"Ja"}"#,
        r#"{"name":"Jason","age":25}"#,
        r#"{"name":"Jason","age":25,"address":{}}"#,
        r#"{"name":"Jason","age":25,"address":{"streetName":"Ma"}}"#,
        r#"{"name":"Jason","age":25,"address":{"streetName":"Main","city":"Oslo"},"friends":[]}"#,
        r#"{"name":"Jason","age":25,"address":{"streetName":"Main","city":"Oslo"},"friends":[{"name":"A"}]}"#,
        r#"{"name":"Jason","age":25,"address":{"streetName":"Main","city":"Oslo"},"friends":[{"name":"Al","since":1999}],"mood":"Sad"}"#,
    ];
    let mut last = PartialUser::default();
    for prefix in prefixes {
        let p: PartialUser =
            serde_json::from_str(prefix).unwrap_or_else(|e| panic!("{prefix}: {e}"));
        assert_ne!(p, last, "each prefix adds information");
        last = p;
    }
    let document = prefixes[prefixes.len() - 1];
    let _complete: User = serde_json::from_str(document).unwrap();
    let expected: serde_json::Value = serde_json::from_str(document).unwrap();
    assert_eq!(serde_json::to_value(&last).unwrap(), expected);
}

#[test]
fn twin_is_the_associated_type_and_configurable() {
    fn partial_of<T: Instruct>() -> T::Partial {
        T::Partial::default()
    }
    let p: PartialUser = partial_of::<User>();
    assert_eq!(p, PartialUser::default());
    let draft: DraftNote = serde_json::from_str(r#"{"text":"hel"}"#).unwrap();
    // The renamed twin is `Note`'s: it is what `Note::Partial` names.
    let from_note: <Note as Instruct>::Partial = draft.clone();
    assert_eq!(from_note.text.as_deref(), Some("hel"));
    let mut set = std::collections::HashSet::new();
    set.insert(draft.clone());
    assert!(set.contains(&draft));
}

#[test]
fn recursive_generic_and_flattened_twins() {
    let t: PartialTree =
        serde_json::from_str(r#"{"label":"root","children":[{"label":"a"}],"next":{"label":"b"}}"#)
            .unwrap();
    assert_eq!(t.children.unwrap()[0].label.as_deref(), Some("a"));
    assert_eq!(t.next.unwrap().label.as_deref(), Some("b"));

    let page: PartialPage<Friend> = serde_json::from_str(r#"{"items":[{"name":"x"}]}"#).unwrap();
    assert_eq!(page.items.unwrap()[0].name.as_deref(), Some("x"));

    let f: PartialWithFlatten = serde_json::from_str(r#"{"id":1,"city":"Rome"}"#).unwrap();
    assert_eq!(f.id, Some(1));
    assert_eq!(f.address.city.as_deref(), Some("Rome"));
}

#[test]
fn twin_serializes_only_what_arrived() {
    let p: PartialUser = serde_json::from_str(r#"{"name":"Jo"}"#).unwrap();
    assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"name":"Jo"}"#);
}
