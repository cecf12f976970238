//! Converse answers into provider-neutral completions: `output.message.content`
//! text blocks joined and `toolUse` blocks as tool calls (reasoning blocks are never
//! the answer), `stopReason` mapped, and `usage` (`inputTokens`, `outputTokens`,
//! `cacheReadInputTokens`, `cacheWriteInputTokens`).

use instructor_core::{Completion, Error, FinishReason, ToolCall, Usage};
use serde_json::Value;

use crate::config::{arguments_text, str_field};

/// Reads a Converse response.
pub(crate) fn converse_completion(raw: Value) -> Result<Completion, Error> {
    let message = raw
        .pointer("/output/message")
        .filter(|m| m.is_object())
        .ok_or_else(|| Error::response("no output message in the Bedrock response".to_owned()))?;
    let mut completion = Completion::from_raw(Value::Null);
    let mut text = String::new();
    for block in message
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = block.get("text").and_then(Value::as_str) {
            text.push_str(t);
        } else if let Some(call) = block.get("toolUse") {
            completion.tool_calls.push(ToolCall::new(
                str_field(call, "toolUseId").unwrap_or_default(),
                str_field(call, "name").unwrap_or_default(),
                arguments_text(call.get("input")),
            ));
        }
    }
    completion.text = (!text.is_empty()).then_some(text);
    if let Some(reason) = raw.get("stopReason").and_then(Value::as_str) {
        completion.finish_reason = Some(stop_reason(reason));
    }
    completion.usage = usage(raw.get("usage"));
    completion.raw = raw;
    Ok(completion)
}

/// Maps `stopReason` (`max_tokens` and `model_context_window_exceeded` are
/// truncation; `guardrail_intervened` and `content_filtered` a content filter).
pub(crate) fn stop_reason(reason: &str) -> FinishReason {
    match reason {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "tool_use" => FinishReason::ToolCalls,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "guardrail_intervened" | "content_filtered" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// Reads Converse usage. `inputTokens` leaves out what was read from or written to
/// the prompt cache, so the prompt is their sum (as for Anthropic).
pub(crate) fn usage(usage: Option<&Value>) -> Usage {
    let n = |key: &str| {
        usage
            .and_then(|u| u.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    crate::config::usage_with_cache(
        n("inputTokens"),
        n("cacheReadInputTokens"),
        n("cacheWriteInputTokens"),
        n("outputTokens"),
    )
}

#[cfg(test)]
mod tests {
    use super::{stop_reason, usage};
    use instructor_core::FinishReason;
    use serde_json::json;

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
        assert_eq!(
            stop_reason("guardrail_intervened"),
            FinishReason::ContentFilter
        );
        assert_eq!(stop_reason("content_filtered"), FinishReason::ContentFilter);
        assert_eq!(
            stop_reason("malformed_tool_use"),
            FinishReason::Other("malformed_tool_use".to_owned())
        );
    }

    #[test]
    fn usage_adds_cache_reads_and_writes_to_the_prompt() {
        let u = usage(Some(
            &json!({"inputTokens": 10, "outputTokens": 5, "totalTokens": 1015,
            "cacheReadInputTokens": 800, "cacheWriteInputTokens": 200}),
        ));
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (1010, 5, 1015)
        );
        assert_eq!((u.cached_tokens, u.cache_creation_tokens), (800, 200));
        assert_eq!(usage(None).total_tokens, 0);
    }
}
