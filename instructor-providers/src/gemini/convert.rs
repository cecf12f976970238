//! `generateContent` answers into provider-neutral completions: `functionCall`
//! parts as tool calls, text parts joined (thoughts skipped), `finishReason` and
//! blocked prompts mapped, `usageMetadata` read.

use instructor_core::{Completion, Error, FinishReason, ToolCall, Usage};
use serde_json::Value;

use crate::config::str_field;

/// Reads a `GenerateContentResponse`.
pub(crate) fn generate_completion(raw: Value) -> Result<Completion, Error> {
    let mut completion = Completion::from_raw(Value::Null);
    completion.id = str_field(&raw, "responseId");
    completion.model = str_field(&raw, "modelVersion");
    let mut text = String::new();
    let mut calls = Vec::new();
    completion.finish_reason = read_chunk(&raw, &mut text, &mut calls)?;
    completion.text = (!text.is_empty()).then_some(text);
    completion.tool_calls = calls;
    completion.usage = usage(raw.get("usageMetadata"));
    completion.raw = raw;
    Ok(completion)
}

/// Reads one response or stream chunk: appends its text and calls, returns its
/// finish reason (a blocked prompt is a content filter).
pub(crate) fn read_chunk(
    chunk: &Value,
    text: &mut String,
    calls: &mut Vec<ToolCall>,
) -> Result<Option<FinishReason>, Error> {
    if let Some(error) = chunk.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return Err(Error::response(format!(
            "the provider returned an error: {message}"
        )));
    }
    let candidate = chunk
        .get("candidates")
        .and_then(Value::as_array)
        .and_then(|c| c.first());
    let Some(candidate) = candidate else {
        if chunk.pointer("/promptFeedback/blockReason").is_some() {
            return Ok(Some(FinishReason::ContentFilter));
        }
        return Ok(None);
    };
    for part in candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if part.get("thought").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(t) = part.get("text").and_then(Value::as_str) {
            text.push_str(t);
        }
        if let Some(call) = part.get("functionCall") {
            let n = calls.len();
            let mut tool_call = ToolCall::new(
                str_field(call, "id").unwrap_or_else(|| format!("call_{n}")),
                str_field(call, "name").unwrap_or_default(),
                call.get("args")
                    .map_or_else(|| "{}".to_owned(), Value::to_string),
            );
            tool_call.signature = str_field(part, "thoughtSignature");
            calls.push(tool_call);
        }
    }
    Ok(candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .map(finish_reason))
}

/// Maps `finishReason`: safety-like reasons are a content filter; a malformed
/// function call is left to the reask (no call was made).
pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// Reads `usageMetadata` (thinking tokens count as output and as reasoning).
pub(crate) fn usage(metadata: Option<&Value>) -> Usage {
    let n = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let prompt = n("promptTokenCount");
    let thoughts = n("thoughtsTokenCount");
    // Saturating: the counts are the server's word.
    let output = n("candidatesTokenCount").saturating_add(thoughts);
    let total = metadata
        .and_then(|m| m.get("totalTokenCount"))
        .and_then(Value::as_u64)
        .unwrap_or(prompt.saturating_add(output));
    let mut out = Usage::new(prompt, output, total);
    out.cached_tokens = n("cachedContentTokenCount");
    out.reasoning_tokens = thoughts;
    out
}
