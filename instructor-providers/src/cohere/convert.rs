//! Chat v2 answers into provider-neutral completions: `message.tool_calls` as tool
//! calls, `message.content` text blocks joined, `finish_reason` mapped, usage from
//! `usage.tokens` (what the model read and wrote) or else `usage.billed_units`.

use instructor_core::{Completion, Error, FinishReason, ToolCall, Usage};
use serde_json::Value;

use crate::config::{arguments_text, str_field};

/// Reads a `/v2/chat` response.
pub(crate) fn chat_completion(raw: Value) -> Result<Completion, Error> {
    let message = raw
        .get("message")
        .filter(|m| m.is_object())
        .ok_or_else(|| Error::response("no message in the Cohere response".to_owned()))?;
    let mut completion = Completion::from_raw(Value::Null);
    completion.id = str_field(&raw, "id");
    let mut text = String::new();
    for block in message
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // Thinking blocks are reasoning, never the answer.
        if block.get("type").and_then(Value::as_str) == Some("text") {
            text.push_str(block.get("text").and_then(Value::as_str).unwrap_or(""));
        }
    }
    for call in message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let function = call.get("function").unwrap_or(&Value::Null);
        completion.tool_calls.push(ToolCall::new(
            str_field(call, "id").unwrap_or_default(),
            str_field(function, "name").unwrap_or_default(),
            arguments_text(function.get("arguments")),
        ));
    }
    // The plan the model wrote before its calls is the text a reask echoes.
    if text.is_empty() && !completion.tool_calls.is_empty() {
        text = str_field(message, "tool_plan").unwrap_or_default();
    }
    completion.text = (!text.is_empty()).then_some(text);
    if let Some(reason) = raw.get("finish_reason").and_then(Value::as_str) {
        completion.finish_reason = Some(finish_reason(reason));
    }
    completion.usage = usage(raw.get("usage"));
    completion.raw = raw;
    Ok(completion)
}

/// Maps `finish_reason` (`MAX_TOKENS` and `ERROR_LIMIT`, the context window, are
/// truncation; `ERROR_TOXIC` is a content filter).
pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "COMPLETE" | "STOP_SEQUENCE" => FinishReason::Stop,
        "TOOL_CALL" => FinishReason::ToolCalls,
        "MAX_TOKENS" | "ERROR_LIMIT" => FinishReason::Length,
        "ERROR_TOXIC" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// Reads Cohere usage: `tokens` when present, else `billed_units` (which leaves out
/// the prompt template Cohere adds); `cached_tokens` when reported.
pub(crate) fn usage(usage: Option<&Value>) -> Usage {
    let count = |key: &str| {
        ["tokens", "billed_units"].iter().find_map(|group| {
            usage
                .and_then(|u| u.get(group))
                .and_then(|g| g.get(key))
                .and_then(Value::as_f64)
        })
    };
    // Counts arrive as numbers that may be written as floats (`10.0`).
    let n = |key: &str| count(key).map_or(0, |v| v.max(0.0) as u64);
    let input = n("input_tokens");
    let output = n("output_tokens");
    let mut out = Usage::new(input, output, input.saturating_add(output));
    out.cached_tokens = usage
        .and_then(|u| u.get("cached_tokens"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    out
}

#[cfg(test)]
mod tests {
    use super::{finish_reason, usage};
    use instructor_core::FinishReason;
    use serde_json::json;

    #[test]
    fn every_documented_finish_reason_maps_to_its_neutral_variant() {
        assert_eq!(finish_reason("COMPLETE"), FinishReason::Stop);
        assert_eq!(finish_reason("STOP_SEQUENCE"), FinishReason::Stop);
        assert_eq!(finish_reason("TOOL_CALL"), FinishReason::ToolCalls);
        assert_eq!(finish_reason("MAX_TOKENS"), FinishReason::Length);
        assert_eq!(finish_reason("ERROR_LIMIT"), FinishReason::Length);
        assert_eq!(finish_reason("ERROR_TOXIC"), FinishReason::ContentFilter);
        assert_eq!(
            finish_reason("ERROR"),
            FinishReason::Other("ERROR".to_owned())
        );
    }

    #[test]
    fn usage_prefers_tokens_and_falls_back_to_billed_units() {
        let both = json!({"billed_units": {"input_tokens": 5, "output_tokens": 3},
            "tokens": {"input_tokens": 70.0, "output_tokens": 4}});
        let u = usage(Some(&both));
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (70, 4, 74)
        );
        let billed = json!({"billed_units": {"input_tokens": 5, "output_tokens": 3}});
        let u = usage(Some(&billed));
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (5, 3, 8)
        );
        assert_eq!(usage(None).total_tokens, 0);
    }
}
