//! `#[instruct(stream(done))]` and `#[instruct(stream(not_null))]`: the partials shown
//! while an answer streams in (`TypedPartial::shown`, what `create_partial` yields),
//! fed one byte at a time so every prefix is seen.

use instructor::TypedPartial;
use instructor::prelude::*;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// A ticket.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ticket {
    /// Shown only once complete.
    #[instruct(stream(done))]
    id: String,
    title: String,
    /// Shown only once complete, though a struct.
    #[instruct(stream(done))]
    owner: Person,
    tags: Vec<String>,
}

/// A person.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Person {
    name: String,
    email: String,
}

/// The shown partials after each byte, without repeats.
fn shown<T: Instruct>(json: &str) -> Vec<T::Partial>
where
    T::Partial: PartialEq,
{
    let mut partial = TypedPartial::<T>::new();
    let mut out: Vec<T::Partial> = Vec::new();
    for byte in json.as_bytes() {
        partial.push(std::slice::from_ref(byte)).unwrap();
        if let Some(snapshot) = partial.shown()
            && out.last() != Some(&snapshot)
        {
            out.push(snapshot);
        }
    }
    out
}

const TICKET: &str = r#"{"id": "T-1234", "title": "Disk full", "owner": {"name": "Zoë", "email": "z@x.io"}, "tags": ["ops", "disk"]}"#;

#[test]
fn a_done_field_appears_only_whole() {
    let shown = shown::<Ticket>(TICKET);
    let ticket: Ticket = serde_json::from_str(TICKET).unwrap();
    for p in &shown {
        if let Some(id) = &p.id {
            assert_eq!(id, "T-1234", "a done string is never a half string");
        }
        if let Some(owner) = &p.owner {
            assert_eq!(owner.name.as_deref(), Some("Zoë"));
            assert_eq!(owner.email.as_deref(), Some("z@x.io"));
        }
    }
    // The id shows at once, whole; the title (no control) grows through prefixes.
    let first_id = shown.iter().position(|p| p.id.is_some()).unwrap();
    assert!(shown[..first_id].iter().all(|p| p.id.is_none()));
    let titles: Vec<&str> = shown.iter().filter_map(|p| p.title.as_deref()).collect();
    assert!(titles.contains(&"Disk"), "{titles:?}");
    assert!(shown.iter().any(|p| p.owner.is_some()));
    assert!(
        !shown
            .iter()
            .any(|p| p.owner.as_ref().is_some_and(|o| o.email.is_none())),
        "the owner is never shown half written"
    );
    let last = shown.last().unwrap();
    assert_eq!(last.tags.as_deref(), Some(&ticket.tags[..]));
}

#[test]
fn hiding_never_repeats_a_snapshot() {
    // `shown` itself skips a snapshot when only the hidden value grew.
    let mut partial = TypedPartial::<Ticket>::new();
    let mut previous: Option<PartialTicket> = None;
    let mut count = 0;
    for byte in TICKET.as_bytes() {
        partial.push(std::slice::from_ref(byte)).unwrap();
        if let Some(snapshot) = partial.shown() {
            assert_ne!(
                previous.as_ref(),
                Some(&snapshot),
                "after {count} snapshots"
            );
            previous = Some(snapshot);
            count += 1;
        }
    }
    assert!(count > 10, "{count}");
}

/// A line item: shown in its list only once it has a product.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Line {
    #[instruct(stream(not_null))]
    product: String,
    quantity: u32,
}

/// An order whose lines stream one by one.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    customer: String,
    lines: Vec<Line>,
}

#[test]
fn not_null_holds_back_the_parent_until_the_field_has_a_value() {
    let json = r#"{"customer": "Acme", "lines": [{"quantity": 2, "product": "bolt"}, {"quantity": 5, "product": "nut"}]}"#;
    let shown = shown::<Order>(json);
    for p in &shown {
        for line in p.lines.iter().flatten() {
            assert!(
                line.product.is_some(),
                "a line without product shown: {p:?}"
            );
        }
    }
    // The quantity came first, but the line appears only with its product.
    let first_line = shown
        .iter()
        .find(|p| p.lines.as_ref().is_some_and(|l| !l.is_empty()))
        .unwrap();
    let line = &first_line.lines.as_ref().unwrap()[0];
    assert_eq!(line.quantity, Some(2));
    assert!(line.product.is_some());
    // A not-null string is shown as soon as it has a value, growing.
    let products: Vec<&str> = shown
        .iter()
        .filter_map(|p| p.lines.as_ref()?.get(1)?.product.as_deref())
        .collect();
    assert_eq!(products, ["", "n", "nu", "nut"]);
}

/// A summary shown only once its headline has started.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Summary {
    topic: String,
    #[instruct(stream(not_null))]
    headline: String,
}

#[test]
fn a_not_null_field_at_the_root_holds_back_every_snapshot() {
    let json = r#"{"topic": "rust", "headline": "fast"}"#;
    let shown = shown::<Summary>(json);
    assert!(shown.iter().all(|p| p.headline.is_some()), "{shown:?}");
    assert_eq!(shown[0].topic.as_deref(), Some("rust"));
    assert_eq!(shown.last().unwrap().headline.as_deref(), Some("fast"));
}

/// A whole step, shown only once complete wherever it appears.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(stream(done))]
struct Step {
    action: String,
    minutes: u32,
}

/// A plan of steps.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Plan {
    goal: String,
    steps: Vec<Step>,
    fallback: Option<Step>,
}

#[test]
fn a_done_container_appears_whole_in_lists_and_options() {
    let json = r#"{"goal": "ship", "steps": [{"action": "build", "minutes": 5}, {"action": "test", "minutes": 10}], "fallback": {"action": "revert", "minutes": 1}}"#;
    let shown = shown::<Plan>(json);
    let counts: Vec<usize> = shown
        .iter()
        .map(|p| p.steps.as_ref().map_or(0, Vec::len))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    for p in &shown {
        for step in p.steps.iter().flatten() {
            assert!(step.action.is_some() && step.minutes.is_some(), "{step:?}");
        }
        if let Some(fallback) = &p.fallback {
            assert_eq!(fallback.action.as_deref(), Some("revert"));
            assert_eq!(fallback.minutes, Some(1));
        }
    }
    let last = shown.last().unwrap();
    assert_eq!(last.steps.as_ref().map(Vec::len), Some(2));
    assert!(last.fallback.is_some());
}

#[test]
fn a_done_root_shows_nothing_until_complete() {
    let json = r#"{"action": "build", "minutes": 5}"#;
    let shown = shown::<Step>(json);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].action.as_deref(), Some("build"));
}

/// A kind of answer, shown only once complete.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[instruct(stream(done))]
enum Answer {
    Text { body: String },
    Number { value: f64 },
}

/// Answers.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reply {
    answers: Vec<Answer>,
    #[instruct(stream(done))]
    note: Option<String>,
}

#[test]
fn a_done_enum_appears_only_whole() {
    let json = r#"{"answers": [{"type": "Text", "body": "hello world"}, {"type": "Number", "value": 4.25}], "note": "ok"}"#;
    let reply: Reply = serde_json::from_str(json).unwrap();
    let shown = shown::<Reply>(json);
    let final_answers = serde_json::to_value(&reply.answers).unwrap();
    for p in &shown {
        let answers = serde_json::to_value(&p.answers).unwrap();
        if let Some(list) = answers.as_array() {
            for (i, answer) in list.iter().enumerate() {
                assert_eq!(answer, &final_answers[i], "a half answer shown");
            }
        }
        if let Some(note) = &p.note {
            assert_eq!(note, "ok");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any chunking shows only whole `done` values and only parents whose
    /// `not_null` fields have a value, and ends in the complete value.
    #[test]
    fn any_chunking_respects_the_controls(
        cuts in proptest::collection::vec(1usize..9, 1..60),
        id in "[A-Z]-[0-9]{1,4}",
        product in "[a-z\\u{e9}]{0,6}",
    ) {
        let json = format!(
            r#"{{"customer": "c", "lines": [{{"quantity": 1, "product": "{product}"}}], "ticket": {{"id": "{id}", "title": "t", "owner": {{"name": "n", "email": "e"}}, "tags": []}}}}"#
        );
        let mut partial = TypedPartial::<Both>::new();
        let bytes = json.as_bytes();
        let (mut at, mut i) = (0, 0);
        let mut last = None;
        while at < bytes.len() {
            let end = (at + cuts[i % cuts.len()]).min(bytes.len());
            partial.push(&bytes[at..end]).unwrap();
            at = end;
            i += 1;
            if let Some(p) = partial.shown() {
                prop_assert_ne!(last.as_ref(), Some(&p), "a repeated snapshot");
                for line in p.lines.iter().flatten() {
                    prop_assert!(line.product.is_some());
                }
                if let Some(t) = &p.ticket && let Some(shown_id) = &t.id {
                    prop_assert_eq!(shown_id, &id);
                }
                last = Some(p);
            }
        }
        let last = last.unwrap();
        prop_assert_eq!(
            last.ticket.and_then(|t| t.id),
            Some(id)
        );
        prop_assert_eq!(
            last.lines.unwrap()[0].product.clone(),
            Some(product)
        );
    }
}

/// Both kinds of control, nested.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Both {
    customer: String,
    lines: Vec<Line>,
    ticket: Ticket,
}
