//! Chat v2 request bodies: OpenAI-like roles (`system`, `user`, `assistant`,
//! `tool`), function tools, `tool_choice: "REQUIRED"` to force a call, and
//! `response_format: {"type": "json_object"}` with an optional `json_schema`.

use instructor_core::provider::{ProviderRequest, ResponseSpec};
use instructor_core::{Error, Message, Mode, Part, Role};
use serde_json::{Map, Value, json};

use crate::config::merge_extra;

/// The `/v2/chat` body for `request` in its mode.
pub(crate) fn chat_body(request: &ProviderRequest) -> Result<Value, Error> {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(request.model.as_str()));
    body.insert("messages".into(), Value::Array(messages(&request.messages)));
    let tool = |spec: &ResponseSpec| {
        json!({"type": "function", "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.schema.clone().into_value(),
        }})
    };
    match request.mode {
        Mode::Tools | Mode::ToolsStrict => {
            // With one tool offered, REQUIRED forces that one.
            body.insert("tools".into(), json!([tool(&request.response)]));
            body.insert("tool_choice".into(), Value::from("REQUIRED"));
            if request.mode == Mode::ToolsStrict {
                // Cohere's structured outputs for tools: the call follows the schema.
                body.insert("strict_tools".into(), Value::Bool(true));
            }
        }
        Mode::ParallelTools => {
            let tools = request.tool_specs().iter().map(tool).collect();
            body.insert("tools".into(), Value::Array(tools));
            body.insert("tool_choice".into(), Value::from("REQUIRED"));
        }
        Mode::JsonSchema => {
            let schema = request.response.described_schema().into_value();
            body.insert(
                "response_format".into(),
                json!({"type": "json_object", "json_schema": schema}),
            );
        }
        // The schema is in the prompt; the service only guarantees a JSON object.
        Mode::Json => {
            body.insert("response_format".into(), json!({"type": "json_object"}));
        }
        Mode::MdJson => {}
        other => {
            return Err(Error::config(format!(
                "mode `{other}` is not a Cohere mode"
            )));
        }
    }
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), Value::from(t));
    }
    if let Some(n) = request.max_tokens {
        body.insert("max_tokens".into(), Value::from(n));
    }
    if request.stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    merge_extra(&mut body, &request.extra_body);
    Ok(Value::Object(body))
}

/// The conversation in Cohere's roles (a developer message is a system message).
fn messages(messages: &[Message]) -> Vec<Value> {
    messages
        .iter()
        .filter_map(|message| match message.role {
            Role::System | Role::Developer => {
                Some(json!({"role": "system", "content": message.text_content()}))
            }
            Role::Tool => Some(json!({
                "role": "tool",
                "tool_call_id": message.tool_call_id.clone().unwrap_or_default(),
                "content": message.text_content(),
            })),
            Role::Assistant => assistant(message),
            _ => Some(json!({"role": "user", "content": content(message)})),
        })
        .collect()
}

/// An assistant turn echoed: its calls (with the text before them as `tool_plan`),
/// or its text. An empty answer echoed by a reask is left out (the API rejects an
/// assistant turn without content).
fn assistant(message: &Message) -> Option<Value> {
    let text = message.text_content();
    if message.tool_calls.is_empty() {
        return (!text.trim().is_empty()).then(|| json!({"role": "assistant", "content": text}));
    }
    let calls: Vec<Value> = message
        .tool_calls
        .iter()
        .map(|call| {
            json!({"id": call.id, "type": "function",
                "function": {"name": call.name, "arguments": call.arguments}})
        })
        .collect();
    let mut turn = json!({"role": "assistant", "tool_calls": calls});
    if !text.trim().is_empty() {
        turn["tool_plan"] = Value::from(text);
    }
    Some(turn)
}

/// Text-only content as a string, otherwise `text` and `image_url` blocks.
fn content(message: &Message) -> Value {
    if let [Part::Text(t)] = message.parts.as_slice() {
        return Value::from(t.as_str());
    }
    let blocks = message
        .parts
        .iter()
        .filter_map(|part| match part {
            Part::Text(t) => Some(json!({"type": "text", "text": t})),
            Part::ImageUrl { url, .. } => {
                Some(json!({"type": "image_url", "image_url": {"url": url}}))
            }
            _ => None,
        })
        .collect();
    Value::Array(blocks)
}
