//! Reading the answer out of a completion per mode, and the reask messages that tell
//! the model what was wrong.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Instruct;
use crate::completion::Completion;
use crate::error::{AttemptError, CallFailure};
use crate::message::{Message, ToolCall};
use crate::mode::Mode;
use crate::response::{from_response_value, is_wrapped};
use crate::validate::ValidationContext;

/// The text appended to a tool result in a reask (Python instructor's wording).
pub(crate) const TOOL_REASK_SUFFIX: &str = "Recall the function correctly, fix the errors";
/// The tool result of a call that passed, when others of the same answer failed.
pub(crate) const VALID_CALL_REPLY: &str =
    "This call is valid; repeat it unchanged alongside the corrected calls.";
/// The user message of a reask in JSON modes.
pub(crate) const JSON_REASK_PREFIX: &str =
    "Correct your JSON ONLY RESPONSE, based on the following errors:";

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

/// Parses and validates `T` from JSON text (unwrapping `{"content": ..}` for simple types).
pub(crate) fn parse_value<T: Instruct + DeserializeOwned>(
    json: &str,
    context: &ValidationContext<'_>,
) -> Result<T, AttemptError> {
    let parsed: T = if is_wrapped::<T>() {
        let value: Value = serde_json::from_str(json).map_err(invalid_json)?;
        from_response_value(value).map_err(schema_mismatch)?
    } else {
        // Straight from the text (no intermediate `Value`): the same errors, sorted
        // by serde_json into syntax and shape.
        serde_json::from_str(json).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => schema_mismatch(e),
            _ => invalid_json(e),
        })?
    };
    parsed.validate(context).map_err(AttemptError::Validation)?;
    Ok(parsed)
}

fn invalid_json(e: serde_json::Error) -> AttemptError {
    AttemptError::Parse(format!("invalid JSON: {e}"))
}

fn schema_mismatch(e: serde_json::Error) -> AttemptError {
    AttemptError::Parse(format!("the JSON does not match the schema: {e}"))
}

/// Parses and validates every call to `name` (ParallelTools), in order, with `parse`
/// for one call's arguments; when some fail, every failure with its call's position
/// ([`AttemptError::Calls`]).
pub(crate) fn parse_calls<T>(
    completion: &Completion,
    name: &str,
    parse: impl Fn(&str) -> Result<T, AttemptError>,
) -> Result<Vec<T>, AttemptError> {
    let mut items = Vec::new();
    let mut failures = Vec::new();
    for (index, call) in completion.tool_calls.iter().enumerate() {
        let parsed = if call.name == name {
            parse(&call.arguments)
        } else {
            Err(AttemptError::ToolCall(format!(
                "called unknown tool `{}`; the only tool is `{name}`",
                call.name
            )))
        };
        match parsed {
            Ok(item) => items.push(item),
            Err(error) => failures.push(CallFailure { index, error }),
        }
    }
    if failures.is_empty() {
        Ok(items)
    } else {
        Err(AttemptError::Calls(failures))
    }
}

/// The messages appended for a reask: the model's own answer, then the error in the
/// shape the mode needs (a `tool` result per call, or a user message).
pub(crate) fn reask_messages(
    mode: Mode,
    completion: &Completion,
    error: &AttemptError,
) -> Vec<Message> {
    if mode.uses_tools() && !completion.tool_calls.is_empty() {
        let mut out = vec![Message::assistant_tool_calls(
            completion.text.clone(),
            completion.tool_calls.clone(),
        )];
        out.extend(completion.tool_calls.iter().enumerate().map(
            |(index, call)| match error_of_call(error, index) {
                Some(error) => Message::tool_result(
                    call,
                    format!("Validation Error found:\n{error}\n{TOOL_REASK_SUFFIX}"),
                    true,
                ),
                None => Message::tool_result(call, VALID_CALL_REPLY, false),
            },
        ));
        return out;
    }
    let answer = completion.text.clone().unwrap_or_default();
    match mode {
        // Python instructor's shapes: no assistant turn, the attempt quoted instead.
        Mode::AnthropicJson => {
            return vec![Message::user(format!(
                "Validation Errors found:\n{error}\n{TOOL_REASK_SUFFIX} found in the following attempt:\n{answer}"
            ))];
        }
        Mode::GeminiJson => {
            return vec![Message::user(format!(
                "Correct the following JSON response, based on the errors given below:\n\nJSON:\n{answer}\n\nExceptions:\n{error}"
            ))];
        }
        _ => {}
    }
    let instruction = if mode.uses_tools() {
        format!("Validation Error found:\n{error}\n{TOOL_REASK_SUFFIX}")
    } else {
        format!("{JSON_REASK_PREFIX}\n{error}")
    };
    vec![Message::assistant(answer), Message::user(instruction)]
}

/// What call `index` is told in a reask: its own failure when the error lists the
/// calls that failed (`None` when it passed), else the whole error.
fn error_of_call(error: &AttemptError, index: usize) -> Option<&AttemptError> {
    match error {
        AttemptError::Calls(failures) => {
            failures.iter().find(|f| f.index == index).map(|f| &f.error)
        }
        other => Some(other),
    }
}

/// Finds the JSON object in a reply: a ```json fenced block, else the text from the
/// first `{` (or `[`) to its last matching closer.
pub(crate) fn extract_json_text(text: &str) -> Option<&str> {
    if let Some(start) = text.find("```") {
        let after = &text[start + 3..];
        let body_start = after.find('\n').map_or(0, |i| i + 1);
        let body = &after[body_start..];
        if let Some(end) = body.find("```") {
            let inner = body[..end].trim();
            if !inner.is_empty() {
                return Some(inner);
            }
        }
    }
    let first = text.find(['{', '['])?;
    let closer = if text[first..].starts_with('{') {
        '}'
    } else {
        ']'
    };
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
    }
}
