//! Messages API answers into provider-neutral completions: `tool_use` blocks as
//! tool calls (input serialized), text blocks joined, `stop_reason` mapped, usage
//! with cache counters.

use instructor_core::{Completion, Error, FinishReason, ToolCall, Usage};
use serde_json::Value;

use crate::config::str_field;

/// Reads a `message` response.
pub(crate) fn message_completion(raw: Value) -> Result<Completion, Error> {
    if raw.get("type").and_then(Value::as_str) == Some("error") {
        let message = raw
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return Err(Error::response(format!(
            "the provider returned an error: {message}"
        )));
    }
    let blocks = raw
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::response("no content blocks in the Anthropic response".to_owned()))?;
    let mut completion = Completion::from_raw(Value::Null);
    completion.id = str_field(&raw, "id");
    completion.model = str_field(&raw, "model");
    let mut text = String::new();
    for block in blocks {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(block.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("tool_use") => completion.tool_calls.push(ToolCall::new(
                str_field(block, "id").unwrap_or_default(),
                str_field(block, "name").unwrap_or_default(),
                block
                    .get("input")
                    .map_or_else(|| "{}".to_owned(), Value::to_string),
            )),
            // Thinking, redacted thinking and server tool blocks are not the answer.
            _ => {}
        }
    }
    completion.text = (!text.is_empty()).then_some(text);
    if let Some(reason) = raw.get("stop_reason").and_then(Value::as_str) {
        completion.finish_reason = Some(stop_reason(reason));
        if reason == "refusal" {
            completion.refusal = Some(refusal_text(&raw, completion.text.as_deref()));
        }
    }
    completion.usage = usage(raw.get("usage"), None);
    completion.raw = raw;
    Ok(completion)
}

/// Maps `stop_reason` (`max_tokens` and a full context window are truncation; a
/// refusal is a content filter).
pub(crate) fn stop_reason(reason: &str) -> FinishReason {
    match reason {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "tool_use" => FinishReason::ToolCalls,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "refusal" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// What the refusal says: `stop_details.explanation`, else the text, else a note.
pub(crate) fn refusal_text(message: &Value, text: Option<&str>) -> String {
    message
        .pointer("/stop_details/explanation")
        .and_then(Value::as_str)
        .or(text.filter(|t| !t.trim().is_empty()))
        .unwrap_or("the model refused to answer (stop_reason=refusal)")
        .to_owned()
}

/// Reads Anthropic usage. `input_tokens` excludes cached tokens, so the prompt count
/// adds cache reads and writes. Streams report input in `message_start` and the
/// cumulative output in `message_delta`: `start` is the former.
pub(crate) fn usage(usage: Option<&Value>, start: Option<&Value>) -> Usage {
    let n = |key: &str| {
        usage
            .and_then(|u| u.get(key))
            .and_then(Value::as_u64)
            .or_else(|| start.and_then(|u| u.get(key)).and_then(Value::as_u64))
            .unwrap_or(0)
    };
    crate::config::usage_with_cache(
        n("input_tokens"),
        n("cache_read_input_tokens"),
        n("cache_creation_input_tokens"),
        n("output_tokens"),
    )
}

#[cfg(test)]
mod tests {
    use super::stop_reason;
    use instructor_core::FinishReason;

    #[test]
    fn every_documented_stop_reason_maps_to_its_neutral_variant() {
        assert_eq!(stop_reason("end_turn"), FinishReason::Stop);
        assert_eq!(stop_reason("stop_sequence"), FinishReason::Stop);
        assert_eq!(stop_reason("tool_use"), FinishReason::ToolCalls);
        assert_eq!(stop_reason("max_tokens"), FinishReason::Length);
        assert_eq!(
            stop_reason("model_context_window_exceeded"),
            FinishReason::Length
        );
        assert_eq!(stop_reason("refusal"), FinishReason::ContentFilter);
        assert_eq!(
            stop_reason("pause_turn"),
            FinishReason::Other("pause_turn".to_owned())
        );
    }
}
