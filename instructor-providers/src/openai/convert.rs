//! Chat Completions and Responses API answers into provider-neutral completions.

use instructor_core::{Completion, Error, FinishReason, ToolCall, Usage};
use serde_json::Value;

use crate::config::str_field;

/// Reads a Chat Completions response.
pub(crate) fn chat_completion(raw: Value) -> Result<Completion, Error> {
    if let Some(error) = raw.get("error").filter(|e| !e.is_null()) {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned);
        return Err(Error::response(format!(
            "the provider returned an error: {message}"
        )));
    }
    let choice = raw
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| Error::response("no completion choices in the response".to_owned()))?;
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    let mut completion = Completion::from_raw(Value::Null);
    completion.id = str_field(&raw, "id");
    completion.model = str_field(&raw, "model");
    completion.text = content_text(message.get("content"));
    completion.refusal = str_field(&message, "refusal");
    completion.finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(finish_reason);
    completion.tool_calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| tool_call(c, i))
                .collect()
        })
        .unwrap_or_default();
    if let Some(call) = message.get("function_call").filter(|c| c.is_object()) {
        completion.tool_calls.push(ToolCall::new(
            "function_call",
            str_field(call, "name").unwrap_or_default(),
            arguments_text(call.get("arguments")),
        ));
    }
    completion.usage = usage(raw.get("usage"));
    completion.raw = raw;
    Ok(completion)
}

fn tool_call(call: &Value, index: usize) -> ToolCall {
    let function = call.get("function").cloned().unwrap_or(Value::Null);
    ToolCall::new(
        str_field(call, "id").unwrap_or_else(|| format!("call_{index}")),
        str_field(&function, "name").unwrap_or_default(),
        arguments_text(function.get("arguments")),
    )
}

/// Arguments as text (some servers send an object instead of a string).
fn arguments_text(arguments: Option<&Value>) -> String {
    match arguments {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn content_text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let text: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!text.is_empty()).then(|| text.join(""))
        }
        _ => None,
    }
}

/// Reads OpenAI usage (Chat or Responses naming).
pub(crate) fn usage(usage: Option<&Value>) -> Usage {
    let Some(u) = usage.filter(|u| u.is_object()) else {
        return Usage::default();
    };
    let n = |key: &str| u.get(key).and_then(Value::as_u64);
    let nested = |outer: &str, key: &str| {
        u.get(outer)
            .and_then(|d| d.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let prompt = n("prompt_tokens")
        .or_else(|| n("input_tokens"))
        .unwrap_or(0);
    let completion = n("completion_tokens")
        .or_else(|| n("output_tokens"))
        .unwrap_or(0);
    let mut out = Usage::new(
        prompt,
        completion,
        // Saturating: the counts are the server's word.
        n("total_tokens").unwrap_or(prompt.saturating_add(completion)),
    );
    out.cached_tokens = nested("prompt_tokens_details", "cached_tokens")
        .saturating_add(nested("input_tokens_details", "cached_tokens"));
    out.reasoning_tokens = nested("completion_tokens_details", "reasoning_tokens")
        .saturating_add(nested("output_tokens_details", "reasoning_tokens"));
    out
}

/// Reads a Responses API response (reasoning items skipped).
pub(crate) fn responses_completion(raw: Value) -> Result<Completion, Error> {
    if let Some(error) = raw.get("error").filter(|e| !e.is_null()) {
        return Err(Error::response(format!(
            "the provider returned an error: {error}"
        )));
    }
    let mut completion = Completion::from_raw(Value::Null);
    completion.id = str_field(&raw, "id");
    completion.model = str_field(&raw, "model");
    let mut text = String::new();
    for item in raw
        .get("output")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match item.get("type").and_then(Value::as_str) {
            Some("function_call") => completion.tool_calls.push(ToolCall::new(
                str_field(item, "call_id")
                    .or_else(|| str_field(item, "id"))
                    .unwrap_or_default(),
                str_field(item, "name").unwrap_or_default(),
                arguments_text(item.get("arguments")),
            )),
            Some("message") => {
                for part in item
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => text
                            .push_str(part.get("text").and_then(Value::as_str).unwrap_or_default()),
                        Some("refusal") => completion.refusal = str_field(part, "refusal"),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    completion.text = (!text.is_empty()).then_some(text);
    completion.finish_reason = match raw.get("status").and_then(Value::as_str) {
        Some("incomplete") => raw
            .get("incomplete_details")
            .and_then(|d| d.get("reason"))
            .and_then(Value::as_str)
            .map(finish_reason),
        Some("completed") if !completion.tool_calls.is_empty() => Some(FinishReason::ToolCalls),
        Some("completed") => Some(FinishReason::Stop),
        _ => None,
    };
    completion.usage = usage(raw.get("usage"));
    completion.raw = raw;
    Ok(completion)
}

/// Maps a Chat Completions `finish_reason` or a Responses `incomplete_details.reason`.
///
/// OpenAI-compatible servers in front of other models (Anthropic's and Gemini's
/// compatibility endpoints, gateways) may pass on those models' own words, so theirs
/// are mapped here too.
pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" | "end_turn" | "STOP" | "stop_sequence" | "completed" => FinishReason::Stop,
        "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
        "length" | "max_tokens" | "MAX_TOKENS" | "max_output_tokens" => FinishReason::Length,
        "content_filter" | "SAFETY" | "RECITATION" | "refusal" | "PROHIBITED_CONTENT" => {
            FinishReason::ContentFilter
        }
        other => FinishReason::Other(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::finish_reason;
    use instructor_core::FinishReason;

    #[test]
    fn finish_reasons_map_to_their_neutral_variants() {
        assert_eq!(finish_reason("stop"), FinishReason::Stop);
        assert_eq!(finish_reason("tool_calls"), FinishReason::ToolCalls);
        assert_eq!(finish_reason("function_call"), FinishReason::ToolCalls);
        assert_eq!(finish_reason("length"), FinishReason::Length);
        assert_eq!(finish_reason("max_output_tokens"), FinishReason::Length);
        assert_eq!(finish_reason("content_filter"), FinishReason::ContentFilter);
        assert_eq!(finish_reason("eos"), FinishReason::Other("eos".to_owned()));
    }
}
