//! Reading the answer out of a completion, per mode: the JSON text (the one tool
//! call's arguments in tool modes, the content with fences and prose stripped in JSON
//! modes), parsed and validated into `T`.
//!
//! Tool parameters and JSON answers must be objects, so a type whose schema is not an
//! object (a string, a number, a list, an enum) travels wrapped in `{"content": ...}`:
//! the schema is wrapped when the request is made and the value unwrapped here, as
//! Python instructor's `Response` adapter does.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::completion::Completion;
use crate::error::{AttemptError, Error, ToolCallFailure};
use crate::message::ToolCall;
use crate::mode::Mode;
use crate::provider::ResponseSpec;
use crate::schema::Schema;
use crate::validate::ValidationContext;
use crate::{Instruct, UnionMember};

use super::json_path::{self, PathError};
pub(crate) use super::stream::iterable_name;
use super::stream::{ITERABLE_FIELD, iterable_spec_of};

/// The property holding a wrapped simple-type answer.
pub(crate) const WRAPPER_FIELD: &str = "content";

/// Whether `T` is wrapped on the wire (in `{"content": ...}`, or `{"tasks": [...]}`
/// for a list).
pub(crate) fn is_wrapped<T: Instruct>() -> bool {
    !T::json_schema().is_object()
}

/// The property a wrapped `T` travels in: `tasks` for a list type (as
/// `create_iterable`), `content` for other simple types.
pub(crate) fn wrapper_field<T: Instruct>() -> &'static str {
    if T::list_item().is_some() {
        ITERABLE_FIELD
    } else {
        WRAPPER_FIELD
    }
}

/// The object schema sent for `T`, and whether it is a wrapper. A list type gets
/// `create_iterable`'s wrapper, its description first (it becomes the tool's).
pub(crate) fn response_schema<T: Instruct>() -> (Schema, bool) {
    if let Some((item_name, item)) = T::list_item() {
        return (list_schema(item.clone(), &item_name), true);
    }
    wrap_schema(T::json_schema().clone())
}

/// The `{"tasks": [...]}` object schema of a list of `item` (with its `$defs`), its
/// description (`Correct segmentation of ...`) first.
pub(crate) fn list_schema(item: Schema, item_name: &str) -> Schema {
    let spec = iterable_spec_of(item, item_name);
    let mut schema = Schema::any();
    schema.insert("description", spec.description);
    for (key, value) in spec.schema.as_map() {
        schema.insert(key, value.clone());
    }
    schema
}

/// The object schema sent for a response model whose schema is `schema` (with its
/// `$defs`), and whether it is a wrapper.
pub(crate) fn wrap_schema(schema: Schema) -> (Schema, bool) {
    if schema.is_object() {
        return (schema, false);
    }
    let mut inner = schema;
    let defs = inner.remove("$defs");
    let mut wrapper = Schema::of_type("object");
    wrapper.insert("description", "Correctly formatted and extracted response.");
    let mut properties = Map::new();
    properties.insert(WRAPPER_FIELD.to_owned(), inner.into_value());
    wrapper.insert("properties", Value::Object(properties));
    wrapper.insert("required", vec![WRAPPER_FIELD]);
    if let Some(defs) = defs {
        wrapper.insert("$defs", defs);
    }
    (wrapper, true)
}

/// The name used for `T`'s tool or response format: the type's own name for named
/// types, `Response` for wrapped simple types (as Python instructor).
pub(crate) fn response_name<T: Instruct>() -> String {
    if let Some((item_name, _)) = T::list_item() {
        iterable_name(&item_name)
    } else if T::inline_schema() {
        "Response".to_owned()
    } else {
        crate::schema::tool_name(&T::schema_name())
    }
}

/// Reads `T` from the JSON the model produced, unwrapping `{"content": ...}` when
/// `T` is wrapped (a bare value is accepted too). A failure names the path the model
/// wrote (`content[2].age`).
pub(crate) fn from_response_value<T: Instruct + DeserializeOwned>(
    value: Value,
) -> Result<T, PathError> {
    let field = wrapper_field::<T>();
    if is_wrapped::<T>()
        && let Value::Object(mut map) = value
    {
        if map.len() == 1
            && let Some(inner) = map.remove(field)
        {
            return json_path::from_value(inner).map_err(|e| e.under(field));
        }
        return json_path::from_value(Value::Object(map));
    }
    json_path::from_value(value)
}

/// The response model as sent: name, description and object schema.
pub(crate) fn response_spec<T: Instruct>() -> ResponseSpec {
    let tool = T::tool();
    ResponseSpec {
        name: response_name::<T>(),
        description: tool.description.clone(),
        schema: tool.parameters.clone(),
    }
}

/// The JSON text of the answer: the single call to `name` in tool modes, the content
/// in JSON modes (fences and surrounding prose stripped).
pub(crate) fn answer_json<'a>(
    mode: Mode,
    completion: &'a Completion,
    name: &str,
) -> Result<&'a str, AttemptError> {
    if !mode.uses_tools() {
        let text = completion.text.as_deref().unwrap_or_default();
        return extract_json_text(text).ok_or_else(|| {
            AttemptError::Parse(
                "the answer contains no JSON object; reply with a JSON object only".to_owned(),
            )
        });
    }
    let calls: Vec<&ToolCall> = completion.tool_calls.iter().collect();
    match calls.as_slice() {
        [call] if call.name == name => Ok(&call.arguments),
        [call] => Err(AttemptError::ToolCall(format!(
            "called tool `{}`, but the only tool available is `{name}`; call `{name}`",
            call.name
        ))),
        [] => {
            // Some OpenAI-compatible servers ignore a forced tool choice and answer in text.
            let text = completion.text.as_deref().unwrap_or_default();
            extract_json_text(text).ok_or_else(|| {
                AttemptError::ToolCall(format!(
                    "no tool was called; call `{name}` with the extracted data"
                ))
            })
        }
        many => Err(AttemptError::ToolCall(format!(
            "{} tool calls were made; call `{name}` exactly once",
            many.len()
        ))),
    }
}

/// Parses and validates `T` from JSON text (unwrapping `{"content": ..}` for simple
/// types); a parse error names the field's JSON path.
pub(crate) fn parse_value<T: Instruct + DeserializeOwned>(
    json: &str,
    context: &ValidationContext<'_>,
) -> Result<T, AttemptError> {
    let parsed: T = if is_wrapped::<T>() {
        let value: Value = json_path::from_str(json).map_err(parse_error)?;
        from_response_value(value).map_err(parse_error)?
    } else {
        // Straight from the text (no intermediate `Value`).
        json_path::from_str(json).map_err(parse_error)?
    };
    parsed
        .transform_and_validate(context)
        .map_err(AttemptError::Validation)
}

/// The attempt error of a parse failure (its message names the path).
pub(crate) fn parse_error(error: PathError) -> AttemptError {
    AttemptError::Parse(error.message())
}

/// Parses and validates every call to `name` (ParallelTools), in order, with `parse`
/// for one call's arguments; when some fail, every failure with its call's position
/// ([`AttemptError::Calls`]).
pub(crate) fn parse_calls<T>(
    completion: &Completion,
    name: &str,
    parse: impl Fn(&str) -> Result<T, AttemptError>,
) -> Result<Vec<T>, AttemptError> {
    collect_calls(completion, |call| {
        if call.name == name {
            parse(&call.arguments)
        } else {
            Err(AttemptError::ToolCall(format!(
                "called unknown tool `{}`; the only tool is `{name}`",
                call.name
            )))
        }
    })
}

/// The tools of a union's members, as each member's model is requested alone;
/// two members offered under one name are a configuration error (a call could not
/// be told apart).
pub(crate) fn union_tools<T>(members: &[UnionMember<T>]) -> Result<Vec<ResponseSpec>, Error> {
    let mut specs: Vec<ResponseSpec> = Vec::with_capacity(members.len());
    for member in members {
        let tool = member.tool();
        if specs.iter().any(|s| s.name == tool.name) {
            return Err(Error::config(format!(
                "two variants of `{}` are offered as the tool `{}`; give one of their models another name (`#[instruct(name = \"..\")]`)",
                std::any::type_name::<T>(),
                tool.name
            )));
        }
        specs.push(ResponseSpec {
            name: tool.name.clone(),
            description: tool.description.clone(),
            schema: tool.parameters.clone(),
        });
    }
    Ok(specs)
}

/// Parses and validates every call of a union answer (ParallelTools), in order, each
/// with the member whose tool it names; a call to any other tool fails. When some
/// fail, every failure with its call's position ([`AttemptError::Calls`]).
pub(crate) fn parse_union_calls<T: Instruct>(
    completion: &Completion,
    members: &[UnionMember<T>],
    context: &ValidationContext<'_>,
) -> Result<Vec<T>, AttemptError> {
    collect_calls(completion, |call| {
        match members.iter().find(|m| m.tool().name == call.name) {
            // The variant's model checked, then the union's own checks.
            Some(member) => member.parse(&call.arguments, context).and_then(|value| {
                value.validate(context).map_err(AttemptError::Validation)?;
                Ok(value)
            }),
            None => {
                let names: Vec<String> = members
                    .iter()
                    .map(|m| format!("`{}`", m.tool().name))
                    .collect();
                Err(AttemptError::ToolCall(format!(
                    "called unknown tool `{}`; the tools are {}",
                    call.name,
                    names.join(", ")
                )))
            }
        }
    })
}

/// Reads every tool call with `read`, in order: all the values, or every failure
/// with its call's position.
fn collect_calls<T>(
    completion: &Completion,
    read: impl Fn(&ToolCall) -> Result<T, AttemptError>,
) -> Result<Vec<T>, AttemptError> {
    let mut items = Vec::new();
    let mut failures = Vec::new();
    for (index, call) in completion.tool_calls.iter().enumerate() {
        match read(call) {
            Ok(item) => items.push(item),
            Err(error) => failures.push(ToolCallFailure { index, error }),
        }
    }
    if failures.is_empty() {
        Ok(items)
    } else {
        Err(AttemptError::Calls(failures))
    }
}

/// Finds the JSON object in a reply: a ```json fenced block (prose inside the fence
/// before its first `{` skipped), else the text from the first `{` (or `[`) to its
/// last matching closer; a `[` region that is not JSON (`I found [one] user: {..}`)
/// gives way to the `{` one, as the streaming parser starts only at a `{`.
pub(crate) fn extract_json_text(text: &str) -> Option<&str> {
    if let Some(start) = text.find("```") {
        let after = &text[start + 3..];
        let body_start = after.find('\n').map_or(0, |i| i + 1);
        let body = &after[body_start..];
        if let Some(end) = body.find("```") {
            let inner = body[..end].trim();
            let inner = match inner.find('{') {
                Some(brace) if !inner.starts_with(['{', '[']) => &inner[brace..],
                _ => inner,
            };
            if !inner.is_empty() {
                return Some(inner);
            }
        }
    }
    let first = text.find(['{', '['])?;
    if text[first..].starts_with('[') {
        let list = bracketed(text, first, ']');
        let is_json =
            list.is_some_and(|l| serde_json::from_str::<serde::de::IgnoredAny>(l).is_ok());
        if !is_json && let Some(brace) = text.find('{') {
            return bracketed(text, brace, '}');
        }
        return list;
    }
    bracketed(text, first, '}')
}

/// The text from `first` to the last `closer`.
fn bracketed(text: &str, first: usize, closer: char) -> Option<&str> {
    let last = text.rfind(closer)?;
    (last > first).then(|| &text[first..=last])
}

#[cfg(test)]
mod tests {
    use super::extract_json_text;

    #[test]
    fn json_is_found_in_fences_and_prose() {
        assert_eq!(
            extract_json_text("```json\n{\"a\":1}\n```"),
            Some("{\"a\":1}")
        );
        assert_eq!(
            extract_json_text("Sure! ```\n{\"a\":1}```"),
            Some("{\"a\":1}")
        );
        assert_eq!(
            extract_json_text("Here: {\"a\": {\"b\": 2}} done"),
            Some("{\"a\": {\"b\": 2}}")
        );
        assert_eq!(extract_json_text("{\"a\":1}"), Some("{\"a\":1}"));
        assert_eq!(extract_json_text("no json"), None);
        assert_eq!(extract_json_text("[1, 2]"), Some("[1, 2]"));
    }

    /// Prose between the fence and the object, and bracketed prose before it, are
    /// skipped, as the streaming parser skips them.
    #[test]
    fn prose_before_the_object_is_skipped() {
        for text in [
            "I found [one] user:\n```json\n{\"name\": \"A\"}\n```",
            "```json\n// the user [1]\n{\"name\": \"A\"}\n```",
            "I found [one] user: {\"name\": \"A\"}",
        ] {
            assert_eq!(extract_json_text(text), Some("{\"name\": \"A\"}"), "{text}");
        }
    }
}
