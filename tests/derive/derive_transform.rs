//! `#[instruct(transform = ..)]` (issue 15 item 4): functions that fix the value, run
//! after parsing and before the checks, on fields, containers, nested types and enum
//! variants; and validators without the context.

use instructor::ValidationContext;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn trim(value: String) -> Result<String, String> {
    Ok(value.trim().to_owned())
}

fn lowercase(value: String) -> Result<String, std::convert::Infallible> {
    Ok(value.to_lowercase())
}

/// Replaces the secret named in the context by `***`.
fn redact(value: String, context: &ValidationContext<'_>) -> Result<String, String> {
    match context.get("secret").and_then(|s| s.as_str()) {
        Some(secret) => Ok(value.replace(secret, "***")),
        None => Err("no secret in the context".to_owned()),
    }
}

fn not_blank(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err("is blank".to_owned())
    } else {
        Ok(())
    }
}

fn positive_quantity(value: u32) -> Result<u32, String> {
    if value == 0 {
        Err("a quantity of 0 cannot be fixed".to_owned())
    } else {
        Ok(value)
    }
}

/// An order line.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Line {
    #[instruct(transform = trim, transform = lowercase, pattern = "^[a-z ]+$")]
    item: String,
    #[instruct(transform = positive_quantity)]
    quantity: u32,
}

/// An order.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(transform = sort_lines)]
struct Order {
    #[instruct(transform = trim, validate = not_blank)]
    customer: String,
    #[instruct(transform = redact)]
    note: String,
    lines: Vec<Line>,
    first: Option<Box<Line>>,
}

fn sort_lines(mut order: Order) -> Result<Order, String> {
    order.lines.sort_by(|a, b| a.item.cmp(&b.item));
    Ok(order)
}

/// A payment.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
enum Payment {
    Card {
        #[instruct(transform = trim)]
        holder: String,
    },
    Transfer(TransferDetails),
}

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TransferDetails {
    #[instruct(transform = lowercase)]
    iban: String,
}

fn run<T: Instruct>(value: T, context: &serde_json::Value) -> Result<T, Vec<(String, String)>> {
    value
        .transform_and_validate(&ValidationContext::new(context))
        .map_err(|errors| {
            errors
                .errors()
                .iter()
                .map(|e| (e.path_string(), e.message.clone()))
                .collect()
        })
}

fn order(json: serde_json::Value) -> Order {
    serde_json::from_value(json).unwrap()
}

#[test]
fn fields_nested_types_and_the_container_are_transformed_before_the_checks() {
    let parsed = order(json!({
        "customer": "  Ann ",
        "note": "pin is 1234",
        "lines": [{"item": " Pears", "quantity": 2}, {"item": "APPLES ", "quantity": 1}],
        "first": {"item": "  Kiwi", "quantity": 3},
    }));
    let fixed = run(parsed, &json!({"secret": "1234"})).unwrap();
    assert_eq!(fixed.customer, "Ann");
    assert_eq!(fixed.note, "pin is ***");
    // Each line trimmed and lowercased (so the pattern passes), then sorted by the
    // container's transform.
    let items: Vec<&str> = fixed.lines.iter().map(|l| l.item.as_str()).collect();
    assert_eq!(items, ["apples", "pears"]);
    assert_eq!(fixed.first.unwrap().item, "kiwi");
}

#[test]
fn a_failing_transform_is_an_error_at_its_path() {
    let parsed = order(json!({
        "customer": "Ann",
        "note": "n",
        "lines": [{"item": "a", "quantity": 1}, {"item": "b", "quantity": 0}],
        "first": null,
    }));
    let errors = run(parsed.clone(), &json!({"secret": "x"})).unwrap_err();
    assert_eq!(
        errors,
        [(
            "lines[1].quantity".to_owned(),
            "a quantity of 0 cannot be fixed".to_owned()
        )]
    );
    // The context-reading transform says what it missed.
    let errors = run(parsed, &json!({})).unwrap_err();
    assert_eq!(
        errors[0],
        ("note".to_owned(), "no secret in the context".to_owned())
    );
}

#[test]
fn checks_see_the_transformed_value_and_validators_may_skip_the_context() {
    let parsed = order(json!({"customer": "   ", "note": "", "lines": [], "first": null}));
    let errors = run(parsed, &json!({"secret": "x"})).unwrap_err();
    assert_eq!(errors, [("customer".to_owned(), "is blank".to_owned())]);
}

#[test]
fn enum_variants_and_their_nested_types_are_transformed() {
    let card: Payment = serde_json::from_value(json!({"kind": "Card", "holder": " Ann "})).unwrap();
    assert_eq!(
        run(card, &json!({})).unwrap(),
        Payment::Card {
            holder: "Ann".into()
        }
    );
    let transfer: Payment =
        serde_json::from_value(json!({"kind": "Transfer", "iban": "DE89ABC"})).unwrap();
    assert_eq!(
        run(transfer, &json!({})).unwrap(),
        Payment::Transfer(TransferDetails {
            iban: "de89abc".into()
        })
    );
}

#[test]
fn transforms_are_known_at_compile_time() {
    const {
        assert!(<Line as Instruct>::TRANSFORMS);
        assert!(<Vec<Order> as Instruct>::TRANSFORMS);
        assert!(<Option<Payment> as Instruct>::TRANSFORMS);
        assert!(!<Vec<String> as Instruct>::TRANSFORMS);
    }
}
