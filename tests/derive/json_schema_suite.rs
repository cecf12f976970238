//! Runs the official JSON-Schema-Test-Suite (draft 2020-12) cases for the keywords
//! instructor implements as built-in constraints against OUR validators
//! (`instructor::validate::Constraint::check_json`), not against a JSON Schema library.
//!
//! Each test group's schema is translated keyword by keyword:
//!
//! - built-in keywords (`pattern`, `minLength`, `maxLength`, `minimum`, `maximum`,
//!   `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `minItems`, `maxItems`,
//!   `uniqueItems`, `enum`) become [`Constraint`]s;
//! - a few structural keywords we do not implement as built-ins (`type`, `prefixItems`
//!   whose item schemas are only `type`, `items: false`) are handled honestly: a case
//!   is evaluated only when its data satisfies them (they then cannot change the
//!   verdict), and is skipped otherwise (the suite must then expect `valid: false`,
//!   which is asserted as a sanity check of this harness);
//! - a group using any other keyword (`properties`, `required`, `$ref`, ...) is
//!   skipped as a whole and listed.
//!
//! Every translated constraint is also written back with `Constraint::apply_to` to
//! check that the schema keyword it emits equals the suite's keyword value.

use std::fmt::Write as _;
use std::path::PathBuf;

use instructor::Schema;
use instructor::validate::{Constraint, Number, json_equal};
use serde_json::{Map, Value};

/// The vendored suite files, one per keyword.
const FILES: &[&str] = &[
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "enum",
];

/// At the time of writing the files hold 186 cases, of which 6 are in a skipped group
/// (`enum.json` / "enums in properties") and 2 are skipped because their data violates
/// a structural side keyword (`items: false`). The floor leaves a little room for suite
/// updates while still failing if the translation silently starts skipping groups.
const EXECUTED_FLOOR: usize = 170;

/// Keywords that carry no assertion.
const ANNOTATIONS: &[&str] = &["$schema", "$id", "$comment", "description", "title"];

/// A structural keyword we evaluate only as a precondition on the data.
#[derive(Debug)]
enum Side {
    /// `type`: the data must be of one of these JSON types.
    Type(Vec<String>),
    /// `prefixItems`: item `i` (when present) must satisfy `conditions[i]`.
    PrefixItems(Vec<Vec<Side>>),
    /// `items: false`: no items beyond the `prefixItems` ones.
    NoExtraItems,
}

/// A group's schema, translated.
#[derive(Debug)]
struct Translated {
    constraints: Vec<(Constraint, Value)>,
    side: Vec<Side>,
}

#[derive(Default)]
struct Report {
    total: usize,
    executed: usize,
    per_file_executed: Vec<(String, usize)>,
    skipped_groups: Vec<String>,
    skipped_cases: Vec<String>,
    mismatches: Vec<String>,
    harness_errors: Vec<String>,
}

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/json-schema-test-suite/draft2020-12")
}

fn count(keyword: &str, value: &Value) -> Result<u64, String> {
    // The suite writes some counts as decimals (`2.0`), which are still integers.
    value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        })
        .ok_or_else(|| format!("`{keyword}` must be a non-negative integer, got {value}"))
}

fn number(keyword: &str, value: &Value) -> Result<Number, String> {
    value
        .as_number()
        .map(Number::from_json)
        .ok_or_else(|| format!("`{keyword}` must be a number, got {value}"))
}

/// Translates a (sub)schema that may only hold side keywords (used for `prefixItems`).
fn side_only(schema: &Value) -> Result<Vec<Side>, String> {
    let t = translate(schema)?;
    if !t.constraints.is_empty() {
        return Err(format!(
            "subschema {schema} uses built-in keywords in a position we do not evaluate"
        ));
    }
    Ok(t.side)
}

fn translate(schema: &Value) -> Result<Translated, String> {
    let map: &Map<String, Value> = match schema {
        Value::Object(map) => map,
        other => {
            return Err(format!(
                "boolean/non-object schema {other} is not a built-in constraint"
            ));
        }
    };
    let mut out = Translated {
        constraints: Vec::new(),
        side: Vec::new(),
    };
    for (keyword, value) in map {
        let constraint = match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => continue,
            "pattern" => Constraint::pattern(
                value
                    .as_str()
                    .ok_or_else(|| format!("`pattern` must be a string, got {value}"))?,
            ),
            "minLength" => Constraint::MinLength(count(keyword, value)?),
            "maxLength" => Constraint::MaxLength(count(keyword, value)?),
            "minItems" => Constraint::MinItems(count(keyword, value)?),
            "maxItems" => Constraint::MaxItems(count(keyword, value)?),
            "minimum" => Constraint::Minimum(number(keyword, value)?),
            "maximum" => Constraint::Maximum(number(keyword, value)?),
            "exclusiveMinimum" => Constraint::ExclusiveMinimum(number(keyword, value)?),
            "exclusiveMaximum" => Constraint::ExclusiveMaximum(number(keyword, value)?),
            "multipleOf" => Constraint::MultipleOf(number(keyword, value)?),
            "uniqueItems" => match value {
                Value::Bool(true) => Constraint::UniqueItems,
                // `uniqueItems: false` asserts nothing: no constraint.
                Value::Bool(false) => continue,
                other => return Err(format!("`uniqueItems` must be a boolean, got {other}")),
            },
            "enum" => Constraint::OneOf(
                value
                    .as_array()
                    .ok_or_else(|| format!("`enum` must be an array, got {value}"))?
                    .clone(),
            ),
            "type" => {
                let types = match value {
                    Value::String(t) => vec![t.clone()],
                    Value::Array(ts) => ts
                        .iter()
                        .map(|t| {
                            t.as_str()
                                .map(str::to_owned)
                                .ok_or_else(|| format!("bad `type` {value}"))
                        })
                        .collect::<Result<_, _>>()?,
                    other => return Err(format!("bad `type` {other}")),
                };
                out.side.push(Side::Type(types));
                continue;
            }
            "prefixItems" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| format!("`prefixItems` must be an array, got {value}"))?;
                out.side.push(Side::PrefixItems(
                    items.iter().map(side_only).collect::<Result<_, _>>()?,
                ));
                continue;
            }
            "items" if *value == Value::Bool(false) => {
                out.side.push(Side::NoExtraItems);
                continue;
            }
            other => return Err(format!("keyword `{other}` is not a built-in constraint")),
        };
        out.constraints.push((constraint, value.clone()));
    }
    Ok(out)
}

fn json_type_matches(ty: &str, data: &Value) -> bool {
    match (ty, data) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        // Draft 2020-12: any number with a zero fractional part is an integer (`1.0`).
        ("integer", Value::Number(n)) => {
            n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

/// Whether `data` satisfies the side keywords (`Some(reason)` when it does not).
fn side_violation(side: &[Side], data: &Value) -> Option<String> {
    let prefix_len = side
        .iter()
        .find_map(|s| match s {
            Side::PrefixItems(items) => Some(items.len()),
            _ => None,
        })
        .unwrap_or(0);
    for condition in side {
        match condition {
            Side::Type(types) => {
                if !types.iter().any(|t| json_type_matches(t, data)) {
                    return Some(format!("data is not of type {types:?}"));
                }
            }
            Side::PrefixItems(items) => {
                if let Value::Array(values) = data {
                    for (i, (conditions, item)) in items.iter().zip(values).enumerate() {
                        if let Some(reason) = side_violation(conditions, item) {
                            return Some(format!("prefixItems[{i}]: {reason}"));
                        }
                    }
                }
            }
            Side::NoExtraItems => {
                if let Value::Array(values) = data
                    && values.len() > prefix_len
                {
                    return Some(format!(
                        "items: false and {} items > {prefix_len}",
                        values.len()
                    ));
                }
            }
        }
    }
    None
}

fn run_file(name: &str, report: &mut Report) {
    let path = suite_dir().join(format!("{name}.json"));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            report
                .harness_errors
                .push(format!("{}: cannot read: {e}", path.display()));
            return;
        }
    };
    let groups: Vec<Value> = match serde_json::from_str(&text) {
        Ok(groups) => groups,
        Err(e) => {
            report
                .harness_errors
                .push(format!("{}: not a suite file: {e}", path.display()));
            return;
        }
    };
    let file = format!("{name}.json");
    let mut executed_here = 0;
    for group in &groups {
        let group_desc = group["description"].as_str().unwrap_or("<no description>");
        let tests = group["tests"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        report.total += tests.len();
        let translated = match translate(&group["schema"]) {
            Ok(t) => t,
            Err(reason) => {
                report.skipped_groups.push(format!(
                    "{file} / {group_desc:?} ({} cases): {reason}",
                    tests.len()
                ));
                continue;
            }
        };

        // The keyword the constraint writes must be the suite's keyword and value.
        for (constraint, original) in &translated.constraints {
            let mut schema = Schema::any();
            constraint.apply_to(&mut schema);
            match schema.get(constraint.keyword()) {
                Some(written) if json_equal(written, original) => {}
                written => report.mismatches.push(format!(
                    "{file} / {group_desc:?}: `{}` written by apply_to as {written:?}, suite has {original}",
                    constraint.keyword()
                )),
            }
        }

        for test in tests {
            let test_desc = test["description"].as_str().unwrap_or("<no description>");
            let data = &test["data"];
            let Some(expected) = test["valid"].as_bool() else {
                report.harness_errors.push(format!(
                    "{file} / {group_desc:?} / {test_desc:?}: no boolean `valid`"
                ));
                continue;
            };
            if let Some(reason) = side_violation(&translated.side, data) {
                // A failed structural keyword alone makes the instance invalid.
                if expected {
                    report.harness_errors.push(format!(
                        "{file} / {group_desc:?} / {test_desc:?}: side keyword fails ({reason}) but the suite expects valid; the harness's side check is wrong"
                    ));
                }
                report
                    .skipped_cases
                    .push(format!("{file} / {group_desc:?} / {test_desc:?}: {reason}"));
                continue;
            }
            let failures: Vec<String> = translated
                .constraints
                .iter()
                .filter_map(|(c, _)| c.check_json(data).err())
                .collect();
            let actual = failures.is_empty();
            report.executed += 1;
            executed_here += 1;
            if actual != expected {
                report.mismatches.push(format!(
                    "{file} / {group_desc:?} / {test_desc:?}\n      schema:   {}\n      data:     {data}\n      expected: {}\n      actual:   {}{}",
                    group["schema"],
                    if expected { "valid" } else { "invalid" },
                    if actual { "valid" } else { "invalid" },
                    if failures.is_empty() { String::new() } else { format!(" ({})", failures.join("; ")) },
                ));
            }
        }
    }
    report.per_file_executed.push((file, executed_here));
}

#[test]
fn draft2020_12_builtin_keywords() {
    let mut report = Report::default();
    for name in FILES {
        run_file(name, &mut report);
    }

    println!(
        "JSON-Schema-Test-Suite draft2020-12: {} cases, {} executed, {} skipped ({} in skipped groups, {} single cases)",
        report.total,
        report.executed,
        report.total - report.executed,
        report.total - report.executed - report.skipped_cases.len(),
        report.skipped_cases.len()
    );
    for (file, n) in &report.per_file_executed {
        println!("  {file}: {n} executed");
    }
    if !report.skipped_groups.is_empty() {
        println!("skipped groups (keywords that are not built-in constraints):");
        for g in &report.skipped_groups {
            println!("  - {g}");
        }
    }
    if !report.skipped_cases.is_empty() {
        println!("skipped cases (data fails a structural keyword, so the verdict is not ours):");
        for c in &report.skipped_cases {
            println!("  - {c}");
        }
    }

    let mut failure = String::new();
    if !report.harness_errors.is_empty() {
        let _ = writeln!(failure, "{} harness error(s):", report.harness_errors.len());
        for e in &report.harness_errors {
            let _ = writeln!(failure, "  - {e}");
        }
    }
    if !report.mismatches.is_empty() {
        let _ = writeln!(failure, "{} mismatching case(s):", report.mismatches.len());
        for m in &report.mismatches {
            let _ = writeln!(failure, "  - {m}");
        }
    }
    for (file, n) in &report.per_file_executed {
        if *n == 0 {
            let _ = writeln!(failure, "{file}: no case executed (every group skipped?)");
        }
    }
    if report.per_file_executed.len() != FILES.len() {
        let _ = writeln!(
            failure,
            "only {} of {} suite files were run",
            report.per_file_executed.len(),
            FILES.len()
        );
    }
    if report.executed < EXECUTED_FLOOR {
        let _ = writeln!(
            failure,
            "only {} cases executed, below the floor of {EXECUTED_FLOOR}",
            report.executed
        );
    }
    assert!(failure.is_empty(), "\n{failure}");
}
