//! Checking an answer against a loaded schema. The schema was compiled once at load
//! time into an arena of nodes (a `$ref` is an index, so recursion costs nothing);
//! the scalar keywords are core's [`Constraint`]s, so a dynamic model words and
//! judges a failure exactly as a derived type does.

use std::collections::HashMap;

use serde_json::Value;

use crate::validate::{Constraint, ValidationErrors, Validator, json_equal};

/// A node's index in the arena.
pub(crate) type NodeId = usize;

/// One subschema.
#[derive(Debug)]
pub(crate) enum Node {
    /// `true` (or `{}` with nothing to check): every value passes.
    Any,
    /// `false`: no value passes.
    Nothing,
    /// An object schema's keywords.
    Rules(Box<Rules>),
}

/// The checking keywords of one object schema (annotations are not kept).
#[derive(Debug, Default)]
pub(crate) struct Rules {
    pub(crate) types: Option<Vec<JsonType>>,
    pub(crate) constant: Option<Value>,
    pub(crate) constraints: Vec<Constraint>,
    pub(crate) properties: HashMap<String, NodeId>,
    pub(crate) required: Vec<String>,
    pub(crate) additional: Option<NodeId>,
    pub(crate) min_properties: Option<u64>,
    pub(crate) max_properties: Option<u64>,
    pub(crate) prefix_items: Vec<NodeId>,
    pub(crate) items: Option<NodeId>,
    pub(crate) all_of: Vec<NodeId>,
    pub(crate) any_of: Vec<NodeId>,
    pub(crate) one_of: Vec<NodeId>,
    pub(crate) not: Option<NodeId>,
    pub(crate) reference: Option<NodeId>,
}

/// The JSON types `type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonType {
    Null,
    Boolean,
    Object,
    Array,
    Number,
    Integer,
    String,
}

impl JsonType {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Self::Null,
            "boolean" => Self::Boolean,
            "object" => Self::Object,
            "array" => Self::Array,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "string" => Self::String,
            _ => return None,
        })
    }

    /// The type with its article, for messages (`an integer`).
    fn describe(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean => "a boolean",
            Self::Object => "an object",
            Self::Array => "an array",
            Self::Number => "a number",
            Self::Integer => "an integer",
            Self::String => "a string",
        }
    }

    /// Whether `value` is of this type (`integer`: a number with no fractional part).
    pub(crate) fn matches(self, value: &Value) -> bool {
        match (self, value) {
            (Self::Null, Value::Null)
            | (Self::Boolean, Value::Bool(_))
            | (Self::Object, Value::Object(_))
            | (Self::Array, Value::Array(_))
            | (Self::Number, Value::Number(_))
            | (Self::String, Value::String(_)) => true,
            (Self::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        }
    }
}

/// A compiled schema: its nodes and the root's index.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
}

impl Compiled {
    /// Checks `value` at the validator's current path, reporting every failure.
    pub(crate) fn check(&self, id: NodeId, value: &Value, v: &mut Validator<'_>) {
        let rules = match self.nodes.get(id) {
            Some(Node::Rules(rules)) => rules,
            Some(Node::Nothing) => {
                v.report("false", "no value is allowed here");
                return;
            }
            Some(Node::Any) | None => return,
        };
        if let Some(target) = rules.reference {
            self.check(target, value, v);
        }
        if let Some(types) = &rules.types
            && !types.iter().any(|t| t.matches(value))
        {
            let expected: Vec<&str> = types.iter().map(|t| t.describe()).collect();
            v.report(
                "type",
                format!("must be {} (got {})", expected.join(" or "), kind(value)),
            );
            // Nothing else at this node can say anything useful about this value.
            return;
        }
        if let Some(constant) = &rules.constant
            && !json_equal(constant, value)
        {
            v.report("const", format!("must be exactly {constant} (got {value})"));
        }
        for constraint in &rules.constraints {
            if let Err(message) = constraint.check_json(value) {
                v.report(constraint.keyword(), message);
            }
        }
        match value {
            Value::Object(map) => self.check_object(rules, map, v),
            Value::Array(items) => self.check_array(rules, items, v),
            _ => {}
        }
        for &branch in &rules.all_of {
            self.check(branch, value, v);
        }
        if !rules.any_of.is_empty() {
            self.check_branches(&rules.any_of, value, v, "anyOf");
        }
        if !rules.one_of.is_empty() {
            self.check_branches(&rules.one_of, value, v, "oneOf");
        }
        if let Some(not) = rules.not
            && self.probe(not, value, v).is_ok()
        {
            v.report(
                "not",
                format!("must not match the excluded shape (got {value})"),
            );
        }
    }

    fn check_object(
        &self,
        rules: &Rules,
        map: &serde_json::Map<String, Value>,
        v: &mut Validator<'_>,
    ) {
        for name in &rules.required {
            if !map.contains_key(name) {
                v.at_field(name, |v| {
                    v.report("required", "is required but missing; add this field");
                });
            }
        }
        let count = map.len() as u64;
        if let Some(min) = rules.min_properties.filter(|min| count < *min) {
            v.report(
                "minProperties",
                format!("must have at least {min} fields (got {count})"),
            );
        }
        if let Some(max) = rules.max_properties.filter(|max| count > *max) {
            v.report(
                "maxProperties",
                format!("must have at most {max} fields (got {count})"),
            );
        }
        for (key, item) in map {
            self.check_entry(rules, key, item, v);
        }
    }

    /// Checks one field of an object against its property schema (or
    /// `additionalProperties`).
    fn check_entry(&self, rules: &Rules, key: &str, item: &Value, v: &mut Validator<'_>) {
        let schema = rules.properties.get(key).copied().or(rules.additional);
        match schema.and_then(|id| self.nodes.get(id).map(|node| (id, node))) {
            Some((_, Node::Nothing)) => v.at_field(key, |v| {
                let mut allowed: Vec<&str> = rules.properties.keys().map(String::as_str).collect();
                allowed.sort_unstable();
                v.report(
                    "additionalProperties",
                    format!(
                        "is not an allowed field; remove it (allowed fields: {})",
                        if allowed.is_empty() {
                            "none".to_owned()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                );
            }),
            Some((id, _)) => v.at_field(key, |v| self.check(id, item, v)),
            None => {}
        }
    }

    fn check_array(&self, rules: &Rules, items: &[Value], v: &mut Validator<'_>) {
        for (index, item) in items.iter().enumerate() {
            let schema = rules.prefix_items.get(index).copied().or(rules.items);
            if let Some(id) = schema {
                v.at_index(index, |v| self.check(id, item, v));
            }
        }
    }

    /// `anyOf` (at least one branch passes) or `oneOf` (exactly one does). When none
    /// passes and exactly one branch has the value's type, that branch's own
    /// failures are reported (the model sees the fields to fix); otherwise every
    /// branch's first failure.
    fn check_branches(
        &self,
        branches: &[NodeId],
        value: &Value,
        v: &mut Validator<'_>,
        keyword: &'static str,
    ) {
        let results: Vec<Result<(), ValidationErrors>> = branches
            .iter()
            .map(|&branch| self.probe(branch, value, v))
            .collect();
        let passed: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
        match passed.as_slice() {
            [] => {}
            [_] => return,
            [first, second, ..] if keyword == "oneOf" => {
                v.report(
                    keyword,
                    format!(
                        "matches more than one of the allowed shapes (options {} and {}); it must match exactly one",
                        first + 1,
                        second + 1
                    ),
                );
                return;
            }
            _ => return,
        }
        let failures: Vec<ValidationErrors> = results.into_iter().filter_map(Result::err).collect();
        let typed: Vec<&ValidationErrors> = failures
            .iter()
            .filter(|errors| {
                !errors
                    .errors()
                    .iter()
                    .any(|e| e.path.is_empty() && matches!(e.keyword, "type" | "false"))
            })
            .collect();
        if let [only] = typed.as_slice() {
            v.absorb(only);
            return;
        }
        let options: Vec<String> = failures
            .iter()
            .enumerate()
            .filter_map(|(i, errors)| {
                errors
                    .errors()
                    .first()
                    .map(|e| format!("option {}: {e}", i + 1))
            })
            .collect();
        v.report(
            keyword,
            format!(
                "does not match any of the allowed shapes ({})",
                options.join("; ")
            ),
        );
    }

    /// Checks `value` against `id` on its own, without reporting.
    fn probe(&self, id: NodeId, value: &Value, v: &Validator<'_>) -> Result<(), ValidationErrors> {
        let mut probe = Validator::new(v.context());
        self.check(id, value, &mut probe);
        probe.finish()
    }

    /// Checks the root's field `key` on its own, when the root is a plain object
    /// schema (a streamed field, as soon as it is complete); otherwise nothing.
    pub(crate) fn check_root_field(&self, key: &str, item: &Value, v: &mut Validator<'_>) {
        if let Some(Node::Rules(rules)) = self.nodes.get(self.root) {
            let plain = rules.reference.is_none()
                && rules.all_of.is_empty()
                && rules.any_of.is_empty()
                && rules.one_of.is_empty()
                && rules.not.is_none();
            if plain {
                self.check_entry(rules, key, item, v);
            }
        }
    }
}

/// A value's kind and (shortened) text, for messages.
fn kind(value: &Value) -> String {
    const LIMIT: usize = 60;
    let name = match value {
        Value::Null => return "null".to_owned(),
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => return "an array".to_owned(),
        Value::Object(_) => return "an object".to_owned(),
    };
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        format!("{name} {text}")
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{name} {head}...")
    }
}
