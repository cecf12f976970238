//! Messages API request bodies: system text at the top level, tool calls as
//! `tool_use` blocks, tool results (reasks) as `tool_result` blocks in a user turn.

use instructor_core::provider::{ProviderRequest, ResponseSpec};
use instructor_core::schema::dialect;
use instructor_core::{CacheControl, Error, Media, MediaKind, Message, Mode, Part, Role};
use serde_json::{Map, Value, json};

use crate::config::{INLINE_ONLY, data_url, merge_extra, refuse, text_only_system};

const ANTHROPIC: &str = "Anthropic";

/// The `/v1/messages` body for `request` in its mode.
pub(crate) fn messages_body(
    request: &ProviderRequest,
    default_max_tokens: u32,
) -> Result<Value, Error> {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(request.model.as_str()));
    body.insert(
        "max_tokens".into(),
        Value::from(request.max_tokens.unwrap_or(default_max_tokens)),
    );
    text_only_system(&request.messages, ANTHROPIC)?;
    let system = system_blocks(&request.messages);
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }
    body.insert("messages".into(), Value::Array(turns(&request.messages)?));
    let spec = &request.response;
    let tool = |spec: &ResponseSpec| {
        json!({
            "name": spec.name,
            "description": spec.description,
            "input_schema": dialect::anthropic_tools(&spec.described_schema()).into_value(),
        })
    };
    match request.mode {
        Mode::AnthropicTools => {
            body.insert("tools".into(), json!([tool(spec)]));
            // One tool forced: without this Claude may answer with several
            // `tool_use` blocks, and a correct answer would be reasked.
            body.insert(
                "tool_choice".into(),
                json!({"type": "tool", "name": spec.name, "disable_parallel_tool_use": true}),
            );
        }
        Mode::ParallelTools => {
            // One tool per model of a union, else the one response model.
            let tools = request.tool_specs().iter().map(tool).collect();
            body.insert("tools".into(), Value::Array(tools));
            body.insert("tool_choice".into(), json!({"type": "any"}));
        }
        Mode::JsonSchema => {
            let schema = dialect::anthropic_structured(&spec.described_schema())?.into_value();
            body.insert(
                "output_config".into(),
                json!({"format": {"type": "json_schema", "schema": schema}}),
            );
        }
        Mode::AnthropicJson => {}
        other => {
            return Err(Error::config(format!(
                "mode `{other}` is not an Anthropic mode"
            )));
        }
    }
    // A cache breakpoint after the tool definitions: on the last tool.
    if let (Some(cache), Some(Value::Array(tools))) = (request.cache.tools, body.get_mut("tools"))
        && let Some(last) = tools.last_mut()
    {
        last["cache_control"] = cache_control(cache);
    }
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), Value::from(t));
    }
    if request.stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    merge_extra(&mut body, &request.extra_body);
    Ok(Value::Object(body))
}

/// The system and developer messages as top-level `system` text blocks.
pub(crate) fn system_blocks(messages: &[Message]) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| matches!(m.role, Role::System | Role::Developer))
        .map(|m| {
            let mut block = json!({"type": "text", "text": m.text_content()});
            if let Some(cache) = m.cache_control {
                block["cache_control"] = cache_control(cache);
            }
            block
        })
        .collect()
}

/// A `cache_control` object: `{"type": "ephemeral"}`, with `"ttl": "1h"` for the
/// one-hour cache.
fn cache_control(cache: CacheControl) -> Value {
    match cache {
        CacheControl::EphemeralOneHour => json!({"type": "ephemeral", "ttl": "1h"}),
        _ => json!({"type": "ephemeral"}),
    }
}

/// The conversation without system messages; consecutive tool results become one
/// user turn of `tool_result` blocks (every `tool_use` must be answered there).
pub(crate) fn turns(messages: &[Message]) -> Result<Vec<Value>, Error> {
    let mut out: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    let flush = |out: &mut Vec<Value>, results: &mut Vec<Value>| {
        if !results.is_empty() {
            out.push(json!({"role": "user", "content": std::mem::take(results)}));
        }
    };
    for message in messages {
        match message.role {
            Role::System | Role::Developer => {}
            Role::Tool => results.push(json!({
                "type": "tool_result",
                "tool_use_id": message.tool_call_id.clone().unwrap_or_default(),
                "content": message.text_content(),
                "is_error": message.is_error,
            })),
            Role::Assistant => {
                flush(&mut out, &mut results);
                // The API rejects an empty assistant turn (an answer without content
                // echoed by a reask): it is left out.
                if !message.tool_calls.is_empty() || !is_empty(message) {
                    out.push(assistant_turn(message)?);
                }
            }
            _ => {
                flush(&mut out, &mut results);
                out.push(json!({"role": "user", "content": content(message)?}));
            }
        }
    }
    flush(&mut out, &mut results);
    Ok(out)
}

/// The assistant turn echoed verbatim: its text, then each call as `tool_use` (the
/// input as an object; arguments that are not a JSON object are sent as `{}`).
fn assistant_turn(message: &Message) -> Result<Value, Error> {
    if message.tool_calls.is_empty() {
        return Ok(json!({"role": "assistant", "content": content(message)?}));
    }
    let mut blocks: Vec<Value> = Vec::new();
    let text = message.text_content();
    if !text.trim().is_empty() {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for call in &message.tool_calls {
        let input = serde_json::from_str::<Value>(&call.arguments)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}));
        blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
    }
    Ok(json!({"role": "assistant", "content": blocks}))
}

/// Whether a message has no content: no image, and no text but whitespace.
fn is_empty(message: &Message) -> bool {
    message.parts.iter().all(|p| match p {
        Part::Text(t) => t.trim().is_empty(),
        _ => false,
    })
}

/// Text-only content as a string, otherwise text, image and document blocks; a
/// message marked with a cache breakpoint is always blocks, the last one carrying
/// `cache_control`.
fn content(message: &Message) -> Result<Value, Error> {
    if let Some(cache) = message.cache_control {
        let mut blocks = blocks(message)?;
        if let Some(last) = blocks.last_mut() {
            last["cache_control"] = cache_control(cache);
        }
        return Ok(Value::Array(blocks));
    }
    Ok(match message.parts.as_slice() {
        [Part::Text(t)] => Value::from(t.as_str()),
        _ => Value::Array(blocks(message)?),
    })
}

/// Every part as a content block.
fn blocks(message: &Message) -> Result<Vec<Value>, Error> {
    message
        .parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => Ok(json!({"type": "text", "text": t})),
            Part::ImageUrl { url, .. } => Ok(image_block(url)),
            Part::Media(media) => media_block(media),
            _ => Err(Error::config(
                "a message part Anthropic does not know".to_owned(),
            )),
        })
        .collect()
}

fn image_block(url: &str) -> Value {
    match data_url(url) {
        Some((media_type, data)) => {
            json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}})
        }
        None => json!({"type": "image", "source": {"type": "url", "url": url}}),
    }
}

/// The image types the Messages API takes.
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// An image as an `image` block, a PDF as a `document` block (each with a base64 or
/// a URL source), a text file as a `document` with a text source. Audio and other
/// files are refused.
fn media_block(media: &Media) -> Result<Value, Error> {
    let source = |media_type: &str| match (media.url(), media.base64()) {
        (Some(url), _) => json!({"type": "url", "url": url}),
        (None, data) => json!({"type": "base64", "media_type": media_type, "data": data}),
    };
    match media.kind() {
        MediaKind::Image => {
            let mime = media.mime().unwrap_or_default();
            if media.url().is_none() && !IMAGE_TYPES.contains(&mime) {
                return Err(refuse(
                    media,
                    ANTHROPIC,
                    "images must be JPEG, PNG, GIF or WebP",
                ));
            }
            Ok(json!({"type": "image", "source": source(mime)}))
        }
        MediaKind::Pdf => Ok(json!({"type": "document", "source": source("application/pdf")})),
        MediaKind::File => match media.mime() {
            Some("application/pdf") => {
                Ok(json!({"type": "document", "source": source("application/pdf")}))
            }
            Some(mime) if mime.starts_with("text/") => {
                let bytes = media
                    .decode()?
                    .ok_or_else(|| refuse(media, ANTHROPIC, INLINE_ONLY))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| refuse(media, ANTHROPIC, "a text document must be UTF-8"))?;
                Ok(
                    json!({"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": text}}),
                )
            }
            _ => Err(refuse(
                media,
                ANTHROPIC,
                "documents must be PDF or plain text",
            )),
        },
        _ => Err(refuse(
            media,
            ANTHROPIC,
            "the Messages API takes no audio input",
        )),
    }
}
