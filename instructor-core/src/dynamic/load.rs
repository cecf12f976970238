//! Loading a JSON Schema document: every keyword is either compiled into a check,
//! accepted as an annotation, or rejected with its JSON pointer. Nothing is dropped.
//! The same pass checks keyword values and contradictions; a second one writes the
//! schema as it is sent (the shape a derived type's schema has).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::check::{Compiled, JsonType, Node, NodeId, Rules};
use super::error::{SchemaError, child};
use crate::validate::{Constraint, Format, Number, Pattern};

/// Keywords that only annotate: accepted anywhere, never checked.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "default",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords accepted only at the document's root.
const ROOT_ONLY: &[&str] = &["$schema", "$id", "$defs", "definitions"];

/// Keywords of one kind of value: with a `type` that allows none of `types`, the
/// keyword could never apply, which is a mistake in the schema.
const APPLIES_TO: &[(&[&str], &[JsonType], &str)] = &[
    (
        &["minLength", "maxLength", "pattern", "format"],
        &[JsonType::String],
        "strings",
    ),
    (
        &[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
        &[JsonType::Number, JsonType::Integer],
        "numbers",
    ),
    (
        &[
            "items",
            "prefixItems",
            "minItems",
            "maxItems",
            "uniqueItems",
        ],
        &[JsonType::Array],
        "arrays",
    ),
    (
        &[
            "properties",
            "required",
            "additionalProperties",
            "minProperties",
            "maxProperties",
        ],
        &[JsonType::Object],
        "objects",
    ),
];

/// A document compiled for checking.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) compiled: Compiled,
    /// Where the definitions live (`$defs` or draft 7's `definitions`), if anywhere.
    defs_key: Option<&'static str>,
    /// Whether the document refers to its own root (`"$ref": "#"`).
    root_referenced: bool,
}

/// Compiles `document`, or says at which pointer it cannot be honoured.
pub(crate) fn compile(document: &Value) -> Result<Loaded, SchemaError> {
    let Value::Object(root) = document else {
        return Err(SchemaError::Invalid {
            pointer: String::new(),
            keyword: "schema".to_owned(),
            reason: "a response model's schema must be a JSON object".to_owned(),
        });
    };
    let defs_key = match (root.get("$defs"), root.get("definitions")) {
        (Some(_), Some(_)) => {
            return Err(SchemaError::Unsupported {
                pointer: "/definitions".to_owned(),
                keyword: "definitions".to_owned(),
                reason: "both `$defs` and `definitions` are present; keep one".to_owned(),
            });
        }
        (Some(_), None) => Some("$defs"),
        (None, Some(_)) => Some("definitions"),
        (None, None) => None,
    };
    let mut compiler = Compiler {
        nodes: vec![None],
        pointers: vec![String::new()],
        defs: HashMap::new(),
        defs_key,
        root_referenced: false,
    };
    let mut pending = Vec::new();
    if let Some(key) = defs_key {
        let pointer = child("", key);
        let Some(Value::Object(defs)) = root.get(key) else {
            return Err(invalid(&pointer, key, "must be an object of schemas"));
        };
        for (name, schema) in defs {
            let def_pointer = child(&pointer, name);
            let id = compiler.alloc(&def_pointer);
            compiler.defs.insert(name.clone(), id);
            pending.push((id, schema, def_pointer));
        }
    }
    for (id, schema, pointer) in pending {
        compiler.fill(id, schema, &pointer, false)?;
    }
    compiler.fill(0, document, "", true)?;
    let compiled = Compiled {
        nodes: compiler
            .nodes
            .into_iter()
            .map(|n| n.unwrap_or(Node::Any))
            .collect(),
        root: 0,
    };
    reject_loops(&compiled, &compiler.pointers)?;
    Ok(Loaded {
        compiled,
        defs_key,
        root_referenced: compiler.root_referenced,
    })
}

struct Compiler {
    nodes: Vec<Option<Node>>,
    pointers: Vec<String>,
    defs: HashMap<String, NodeId>,
    defs_key: Option<&'static str>,
    root_referenced: bool,
}

impl Compiler {
    fn alloc(&mut self, pointer: &str) -> NodeId {
        self.nodes.push(None);
        self.pointers.push(pointer.to_owned());
        self.nodes.len() - 1
    }

    fn subschema(&mut self, value: &Value, pointer: &str) -> Result<NodeId, SchemaError> {
        let id = self.alloc(pointer);
        self.fill(id, value, pointer, false)?;
        Ok(id)
    }

    fn subschemas(
        &mut self,
        value: &Value,
        pointer: &str,
        keyword: &str,
    ) -> Result<Vec<NodeId>, SchemaError> {
        match value {
            Value::Array(list) if !list.is_empty() => list
                .iter()
                .enumerate()
                .map(|(i, s)| self.subschema(s, &child(pointer, &i.to_string())))
                .collect(),
            _ => Err(invalid(
                pointer,
                keyword,
                "must be a non-empty array of schemas",
            )),
        }
    }

    fn fill(
        &mut self,
        id: NodeId,
        value: &Value,
        pointer: &str,
        root: bool,
    ) -> Result<(), SchemaError> {
        let node = match value {
            Value::Bool(true) => Node::Any,
            Value::Bool(false) => Node::Nothing,
            Value::Object(map) => Node::Rules(Box::new(self.rules(map, pointer, root)?)),
            _ => {
                return Err(SchemaError::Invalid {
                    pointer: pointer.to_owned(),
                    keyword: "schema".to_owned(),
                    reason: "a schema must be an object or a boolean".to_owned(),
                });
            }
        };
        if let Some(slot) = self.nodes.get_mut(id) {
            *slot = Some(node);
        }
        Ok(())
    }

    fn rules(
        &mut self,
        map: &Map<String, Value>,
        pointer: &str,
        root: bool,
    ) -> Result<Rules, SchemaError> {
        let mut rules = Rules::default();
        let mut bounds = Bounds::default();
        for (key, value) in map {
            let at = child(pointer, key);
            match key.as_str() {
                "type" => rules.types = Some(types(value, &at)?),
                "properties" => {
                    let Value::Object(props) = value else {
                        return Err(invalid(&at, key, "must be an object of schemas"));
                    };
                    for (name, schema) in props {
                        let id = self.subschema(schema, &child(&at, name))?;
                        rules.properties.insert(name.clone(), id);
                    }
                }
                "required" => rules.required = names(value, &at)?,
                "additionalProperties" => rules.additional = Some(self.subschema(value, &at)?),
                "items" => rules.items = Some(self.subschema(value, &at)?),
                "prefixItems" => rules.prefix_items = self.subschemas(value, &at, key)?,
                "minLength" => bounds.min_length = Some(count(value, &at, key)?),
                "maxLength" => bounds.max_length = Some(count(value, &at, key)?),
                "minItems" => bounds.min_items = Some(count(value, &at, key)?),
                "maxItems" => bounds.max_items = Some(count(value, &at, key)?),
                "minProperties" => rules.min_properties = Some(count(value, &at, key)?),
                "maxProperties" => rules.max_properties = Some(count(value, &at, key)?),
                "minimum" => bounds.minimum = Some(number(value, &at, key)?),
                "maximum" => bounds.maximum = Some(number(value, &at, key)?),
                "exclusiveMinimum" => bounds.exclusive_minimum = Some(number(value, &at, key)?),
                "exclusiveMaximum" => bounds.exclusive_maximum = Some(number(value, &at, key)?),
                "multipleOf" => {
                    let n = number(value, &at, key)?;
                    if Constraint::ExclusiveMinimum(Number::Int(0))
                        .check_number(n)
                        .is_err()
                    {
                        return Err(invalid(&at, key, "must be greater than 0"));
                    }
                    rules.constraints.push(Constraint::MultipleOf(n));
                }
                "uniqueItems" => match value {
                    Value::Bool(true) => rules.constraints.push(Constraint::UniqueItems),
                    Value::Bool(false) => {}
                    _ => return Err(invalid(&at, key, "must be true or false")),
                },
                "pattern" => {
                    let Value::String(source) = value else {
                        return Err(invalid(&at, key, "must be a string (a regular expression)"));
                    };
                    let pattern = Pattern::new(source);
                    if let Some(error) = pattern.error() {
                        return Err(invalid(
                            &at,
                            key,
                            &format!("not a valid regular expression: {error}"),
                        ));
                    }
                    rules.constraints.push(Constraint::Pattern(pattern));
                }
                "format" => {
                    let format = value.as_str().and_then(Format::from_name).ok_or_else(|| {
                        let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                        SchemaError::Unsupported {
                            pointer: at.clone(),
                            keyword: key.clone(),
                            reason: format!(
                                "format {value} cannot be checked; supported formats: {}",
                                known.join(", ")
                            ),
                        }
                    })?;
                    rules.constraints.push(Constraint::Format(format));
                }
                "enum" => match value {
                    Value::Array(values) if !values.is_empty() => {
                        rules.constraints.push(Constraint::OneOf(values.clone()));
                    }
                    _ => return Err(invalid(&at, key, "must be a non-empty array of values")),
                },
                "const" => rules.constant = Some(value.clone()),
                "anyOf" => rules.any_of = self.subschemas(value, &at, key)?,
                "oneOf" => rules.one_of = self.subschemas(value, &at, key)?,
                "allOf" => rules.all_of = self.subschemas(value, &at, key)?,
                "not" => rules.not = Some(self.subschema(value, &at)?),
                "$ref" => rules.reference = Some(self.reference(value, &at)?),
                k if ROOT_ONLY.contains(&k) => {
                    if !root {
                        return Err(unsupported(
                            &at,
                            key,
                            "allowed only at the root of the document",
                        ));
                    }
                }
                k if ANNOTATIONS.contains(&k) => {}
                "nullable" => {
                    return Err(unsupported(
                        &at,
                        key,
                        "OpenAPI's `nullable` is not JSON Schema; write \"type\": [\"<type>\", \"null\"]",
                    ));
                }
                _ => {
                    return Err(unsupported(
                        &at,
                        key,
                        "instructor cannot check this keyword, so an answer breaking it would pass unnoticed; remove it or express it with supported keywords",
                    ));
                }
            }
        }
        bounds.check(pointer)?;
        bounds.into_constraints(&mut rules.constraints);
        check_fits_type(map, &rules, pointer)?;
        check_values_fit(map, &rules, pointer)?;
        self.check_required_allowed(&rules, pointer)?;
        Ok(rules)
    }

    /// A required property that `additionalProperties: false` forbids.
    fn check_required_allowed(&self, rules: &Rules, pointer: &str) -> Result<(), SchemaError> {
        let closed = rules
            .additional
            .is_some_and(|id| matches!(self.nodes.get(id), Some(Some(Node::Nothing))));
        if !closed {
            return Ok(());
        }
        match rules
            .required
            .iter()
            .enumerate()
            .find(|(_, name)| !rules.properties.contains_key(*name))
        {
            Some((i, name)) => Err(contradiction(
                &child(&child(pointer, "required"), &i.to_string()),
                format!(
                    "\"{name}\" is required, but it is not among `properties` and `additionalProperties` is false"
                ),
            )),
            None => Ok(()),
        }
    }

    fn reference(&mut self, value: &Value, pointer: &str) -> Result<NodeId, SchemaError> {
        let Value::String(reference) = value else {
            return Err(invalid(pointer, "$ref", "must be a string"));
        };
        if reference == "#" {
            self.root_referenced = true;
            return Ok(0);
        }
        let unresolved = || SchemaError::UnresolvedRef {
            pointer: pointer.to_owned(),
            reference: reference.clone(),
        };
        let key = self.defs_key.ok_or_else(unresolved)?;
        let name = reference
            .strip_prefix("#/")
            .and_then(|rest| rest.strip_prefix(key))
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|name| !name.contains('/'))
            .map(|name| name.replace("~1", "/").replace("~0", "~"))
            .ok_or_else(unresolved)?;
        self.defs.get(&name).copied().ok_or_else(unresolved)
    }
}

/// Range and size keywords of one node, checked together for contradictions.
#[derive(Default)]
struct Bounds {
    min_length: Option<u64>,
    max_length: Option<u64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    minimum: Option<Number>,
    maximum: Option<Number>,
    exclusive_minimum: Option<Number>,
    exclusive_maximum: Option<Number>,
}

impl Bounds {
    fn check(&self, pointer: &str) -> Result<(), SchemaError> {
        let sizes = [
            (self.min_length, self.max_length, "minLength", "maxLength"),
            (self.min_items, self.max_items, "minItems", "maxItems"),
        ];
        for (min, max, min_key, max_key) in sizes {
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                return Err(contradiction(
                    &child(pointer, min_key),
                    format!("{min_key} {min} is above {max_key} {max}"),
                ));
            }
        }
        // Each pair: (lower bound, the constraint the lower bound must pass).
        let ranges = [
            (
                self.minimum,
                self.maximum.map(Constraint::Maximum),
                "minimum",
                "maximum",
                "above",
            ),
            (
                self.minimum,
                self.exclusive_maximum.map(Constraint::ExclusiveMaximum),
                "minimum",
                "exclusiveMaximum",
                "not below",
            ),
            (
                self.exclusive_minimum,
                self.maximum.map(Constraint::Maximum),
                "exclusiveMinimum",
                "maximum",
                "not below",
            ),
            (
                self.exclusive_minimum,
                self.exclusive_maximum.map(Constraint::ExclusiveMaximum),
                "exclusiveMinimum",
                "exclusiveMaximum",
                "not below",
            ),
        ];
        for (low, high, low_key, high_key, relation) in ranges {
            if let (Some(low), Some(high)) = (low, high)
                && high.check_number(low).is_err()
            {
                let bound = match high {
                    Constraint::Maximum(n) | Constraint::ExclusiveMaximum(n) => n.to_string(),
                    _ => String::new(),
                };
                return Err(contradiction(
                    &child(pointer, low_key),
                    format!("{low_key} {low} is {relation} {high_key} {bound}: no number fits"),
                ));
            }
        }
        Ok(())
    }

    fn into_constraints(self, out: &mut Vec<Constraint>) {
        out.extend(self.min_length.map(Constraint::MinLength));
        out.extend(self.max_length.map(Constraint::MaxLength));
        out.extend(self.min_items.map(Constraint::MinItems));
        out.extend(self.max_items.map(Constraint::MaxItems));
        out.extend(self.minimum.map(Constraint::Minimum));
        out.extend(self.maximum.map(Constraint::Maximum));
        out.extend(self.exclusive_minimum.map(Constraint::ExclusiveMinimum));
        out.extend(self.exclusive_maximum.map(Constraint::ExclusiveMaximum));
    }
}

/// A keyword for one kind of value under a `type` that excludes that kind.
fn check_fits_type(
    map: &Map<String, Value>,
    rules: &Rules,
    pointer: &str,
) -> Result<(), SchemaError> {
    let Some(types) = &rules.types else {
        return Ok(());
    };
    for (keywords, kinds, what) in APPLIES_TO {
        if kinds.iter().any(|k| types.contains(k)) {
            continue;
        }
        if let Some(keyword) = keywords.iter().find(|k| map.contains_key(**k)) {
            return Err(contradiction(
                &child(pointer, keyword),
                format!(
                    "`{keyword}` applies to {what}, but `type` is {}",
                    map.get("type").map(Value::to_string).unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

/// `enum` and `const` values that `type` (or each other) excludes.
fn check_values_fit(
    map: &Map<String, Value>,
    rules: &Rules,
    pointer: &str,
) -> Result<(), SchemaError> {
    let fits = |v: &Value| {
        rules
            .types
            .as_ref()
            .is_none_or(|ts| ts.iter().any(|t| t.matches(v)))
    };
    if let Some(Value::Array(values)) = map.get("enum") {
        for (i, value) in values.iter().enumerate() {
            if !fits(value) {
                return Err(contradiction(
                    &child(&child(pointer, "enum"), &i.to_string()),
                    format!("the value {value} is not of the schema's `type`"),
                ));
            }
        }
        if let Some(constant) = &rules.constant
            && !values
                .iter()
                .any(|v| crate::validate::json_equal(v, constant))
        {
            return Err(contradiction(
                &child(pointer, "const"),
                format!("`const` {constant} is not among the `enum` values"),
            ));
        }
    }
    if let Some(constant) = &rules.constant
        && !fits(constant)
    {
        return Err(contradiction(
            &child(pointer, "const"),
            format!("the value {constant} is not of the schema's `type`"),
        ));
    }
    Ok(())
}

/// Rejects `$ref`/`allOf`/`anyOf`/`oneOf`/`not` chains that come back to where they
/// started without going through a property or an item: checking would never end.
fn reject_loops(compiled: &Compiled, pointers: &[String]) -> Result<(), SchemaError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn in_place(node: &Node) -> Vec<NodeId> {
        match node {
            Node::Rules(r) => r
                .reference
                .iter()
                .chain(&r.all_of)
                .chain(&r.any_of)
                .chain(&r.one_of)
                .chain(r.not.iter())
                .copied()
                .collect(),
            _ => Vec::new(),
        }
    }
    let mut marks = vec![Mark::New; compiled.nodes.len()];
    for start in 0..compiled.nodes.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (node, its in-place children, next child).
        let mut stack = vec![(start, in_place(&compiled.nodes[start]), 0usize)];
        marks[start] = Mark::Open;
        while let Some((node, children, next)) = stack.last_mut() {
            let Some(&target) = children.get(*next) else {
                marks[*node] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let from = *node;
            match marks[target] {
                Mark::Open => {
                    return Err(SchemaError::Unsupported {
                        pointer: pointers.get(from).cloned().unwrap_or_default(),
                        keyword: "$ref".to_owned(),
                        reason: "this reference loops back to itself without describing a value in between (an endless definition)".to_owned(),
                    });
                }
                Mark::Done => {}
                Mark::New => {
                    marks[target] = Mark::Open;
                    stack.push((target, in_place(&compiled.nodes[target]), 0));
                }
            }
        }
    }
    Ok(())
}

fn types(value: &Value, pointer: &str) -> Result<Vec<JsonType>, SchemaError> {
    let names: Vec<&Value> = match value {
        Value::String(_) => vec![value],
        Value::Array(list) if !list.is_empty() => list.iter().collect(),
        _ => {
            return Err(invalid(
                pointer,
                "type",
                "must be a type name or a non-empty array of them",
            ));
        }
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let ty = name.as_str().and_then(JsonType::from_name).ok_or_else(|| {
            invalid(
                pointer,
                "type",
                &format!("{name} is not a JSON type (null, boolean, object, array, number, integer, string)"),
            )
        })?;
        if out.contains(&ty) {
            return Err(invalid(pointer, "type", &format!("{name} is listed twice")));
        }
        out.push(ty);
    }
    Ok(out)
}

fn names(value: &Value, pointer: &str) -> Result<Vec<String>, SchemaError> {
    let Value::Array(list) = value else {
        return Err(invalid(
            pointer,
            "required",
            "must be an array of property names",
        ));
    };
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        let Value::String(name) = item else {
            return Err(invalid(
                pointer,
                "required",
                &format!("{item} is not a property name"),
            ));
        };
        if out.contains(name) {
            return Err(invalid(
                pointer,
                "required",
                &format!("{item} is listed twice"),
            ));
        }
        out.push(name.clone());
    }
    Ok(out)
}

fn count(value: &Value, pointer: &str, keyword: &str) -> Result<u64, SchemaError> {
    value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        })
        .ok_or_else(|| invalid(pointer, keyword, "must be a non-negative integer"))
}

fn number(value: &Value, pointer: &str, keyword: &str) -> Result<Number, SchemaError> {
    match value {
        Value::Number(n) => Ok(Number::from_json(n)),
        Value::Bool(_) => Err(unsupported(
            pointer,
            keyword,
            "the draft-4 boolean form is not supported; write the bound itself as a number",
        )),
        _ => Err(invalid(pointer, keyword, "must be a number")),
    }
}

fn invalid(pointer: &str, keyword: &str, reason: &str) -> SchemaError {
    SchemaError::Invalid {
        pointer: pointer.to_owned(),
        keyword: keyword.to_owned(),
        reason: reason.to_owned(),
    }
}

fn unsupported(pointer: &str, keyword: &str, reason: &str) -> SchemaError {
    SchemaError::Unsupported {
        pointer: pointer.to_owned(),
        keyword: keyword.to_owned(),
        reason: reason.to_owned(),
    }
}

fn contradiction(pointer: &str, reason: String) -> SchemaError {
    SchemaError::Contradiction {
        pointer: pointer.to_owned(),
        reason,
    }
}

impl Loaded {
    /// The schema as sent to providers, in the shape a derived type's has: no root
    /// `title`/`$schema`/`$id`, no `$comment`, definitions under `$defs` (last), and a
    /// self-reference `#` as a reference to the root's copy under `$defs/<name>`.
    pub(crate) fn normalized(&self, document: &Value, name: &str) -> Map<String, Value> {
        let mut root = document.as_object().cloned().unwrap_or_default();
        for key in ["title", "$schema", "$id"] {
            root.shift_remove(key);
        }
        let mut defs = self
            .defs_key
            .and_then(|key| root.shift_remove(key))
            .and_then(|d| match d {
                Value::Object(map) => Some(map),
                _ => None,
            })
            .unwrap_or_default();
        let root_name = self.root_referenced.then(|| {
            (1..)
                .map(|n| {
                    if n == 1 {
                        name.to_owned()
                    } else {
                        format!("{name}{n}")
                    }
                })
                .find(|candidate| !defs.contains_key(candidate))
                .unwrap_or_else(|| name.to_owned())
        });
        let rewrite = |node: &mut Map<String, Value>| {
            rewrite_node(node, self.defs_key, root_name.as_deref());
        };
        walk(&mut root, &rewrite);
        for def in defs.values_mut() {
            if let Value::Object(def) = def {
                walk(def, &rewrite);
            }
        }
        if let Some(root_name) = root_name {
            defs.insert(root_name, Value::Object(root.clone()));
        }
        if !defs.is_empty() {
            root.insert("$defs".to_owned(), Value::Object(defs));
        }
        root
    }
}

/// Drops `$comment` and rewrites `$ref` to the `#/$defs/<name>` form.
fn rewrite_node(node: &mut Map<String, Value>, defs_key: Option<&str>, root_name: Option<&str>) {
    node.shift_remove("$comment");
    let Some(Value::String(reference)) = node.get_mut("$ref") else {
        return;
    };
    if reference == "#" {
        if let Some(root_name) = root_name {
            *reference = format!(
                "#/$defs/{}",
                root_name.replace('~', "~0").replace('/', "~1")
            );
        }
    } else if defs_key == Some("definitions")
        && let Some(rest) = reference.strip_prefix("#/definitions/")
    {
        *reference = format!("#/$defs/{rest}");
    }
}

/// Applies `f` to `node` and every subschema under it (not to `$defs`, nor to data
/// such as `enum`, `const`, `examples` or `default`).
fn walk(node: &mut Map<String, Value>, f: &impl Fn(&mut Map<String, Value>)) {
    f(node);
    for (key, value) in node.iter_mut() {
        match (key.as_str(), value) {
            ("properties", Value::Object(children)) => {
                for child in children.values_mut() {
                    if let Value::Object(child) = child {
                        walk(child, f);
                    }
                }
            }
            ("items" | "additionalProperties" | "not", Value::Object(child)) => walk(child, f),
            ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(children)) => {
                for child in children {
                    if let Value::Object(child) = child {
                        walk(child, f);
                    }
                }
            }
            _ => {}
        }
    }
}
