//! Request bodies per mode, for Chat Completions and the Responses API.

use instructor_core::provider::ProviderRequest;
use instructor_core::schema::dialect;
use instructor_core::{Error, Media, MediaKind, Message, Mode, Part, Role, Schema};
use serde_json::{Map, Value, json};

use crate::config::{INLINE_ONLY, merge_extra, refuse};

const CHAT: &str = "OpenAI Chat Completions";
const RESPONSES: &str = "the OpenAI Responses API";

/// The Chat Completions body for `request` in its mode; a streamed request asks
/// for usage when `stream_usage`.
pub(crate) fn chat_body(request: &ProviderRequest, stream_usage: bool) -> Result<Value, Error> {
    let mut body = Map::new();
    body.insert("model".into(), Value::from(request.model.as_str()));
    body.insert(
        "messages".into(),
        Value::Array(
            request
                .messages
                .iter()
                .map(chat_message)
                .collect::<Result<_, _>>()?,
        ),
    );
    let spec = &request.response;
    let function = |parameters: Value, strict: bool| {
        let mut f =
            json!({"name": spec.name, "description": spec.description, "parameters": parameters});
        if strict {
            f["strict"] = Value::Bool(true);
        }
        f
    };
    let plain = || spec.schema.clone().into_value();
    match request.mode {
        Mode::Tools => {
            body.insert(
                "tools".into(),
                json!([{"type": "function", "function": function(plain(), false)}]),
            );
            body.insert(
                "tool_choice".into(),
                json!({"type": "function", "function": {"name": spec.name}}),
            );
        }
        Mode::ToolsStrict => {
            let strict = dialect::openai_strict(&spec.schema)?.into_value();
            body.insert(
                "tools".into(),
                json!([{"type": "function", "function": function(strict, true)}]),
            );
            body.insert(
                "tool_choice".into(),
                json!({"type": "function", "function": {"name": spec.name}}),
            );
            // Strict tools are documented as incompatible with parallel calls.
            body.insert("parallel_tool_calls".into(), Value::Bool(false));
        }
        Mode::ParallelTools => {
            // One tool per model of a union, else the one response model.
            let tools: Vec<Value> = request
                .tool_specs()
                .iter()
                .map(|tool| json!({"type": "function", "function": {"name": tool.name, "description": tool.description, "parameters": tool.schema}}))
                .collect();
            body.insert("tools".into(), Value::Array(tools));
            body.insert("tool_choice".into(), Value::from("auto"));
        }
        Mode::Functions => {
            body.insert("functions".into(), json!([function(plain(), false)]));
            body.insert("function_call".into(), json!({"name": spec.name}));
        }
        Mode::Json => {
            body.insert("response_format".into(), json!({"type": "json_object"}));
        }
        Mode::JsonSchema => {
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {"name": spec.name, "schema": spec.described_schema().into_value()}}),
            );
        }
        Mode::OpenRouterStructuredOutputs => {
            let mut schema = spec.described_schema();
            schema.insert("additionalProperties", false);
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {"name": spec.name, "schema": schema, "strict": true}}),
            );
        }
        Mode::MdJson | Mode::JsonO1 => {}
        other => {
            return Err(Error::config(format!(
                "mode `{other}` is not an OpenAI chat mode"
            )));
        }
    }
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), Value::from(t));
    }
    if let Some(n) = request.max_tokens {
        let key = if request.mode == Mode::JsonO1 {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(key.into(), Value::from(n));
    }
    if request.stream {
        body.insert("stream".into(), Value::Bool(true));
        if stream_usage {
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
    }
    if let Some(key) = &request.cache.key {
        body.insert("prompt_cache_key".into(), Value::from(key.as_str()));
    }
    merge_extra(&mut body, &request.extra_body);
    Ok(Value::Object(body))
}

/// The Responses API body (`Mode::ResponsesTools`).
pub(crate) fn responses_body(request: &ProviderRequest) -> Result<Value, Error> {
    let spec = &request.response;
    let parameters = strict_without_flag(&spec.schema)?;
    let mut body = Map::new();
    body.insert("model".into(), Value::from(request.model.as_str()));
    body.insert(
        "input".into(),
        Value::Array(input_items(&request.messages)?),
    );
    body.insert(
        "tools".into(),
        json!([{"type": "function", "name": spec.name, "description": spec.description, "parameters": parameters, "strict": true}]),
    );
    body.insert(
        "tool_choice".into(),
        json!({"type": "function", "name": spec.name}),
    );
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), Value::from(t));
    }
    if let Some(n) = request.max_tokens {
        body.insert("max_output_tokens".into(), Value::from(n.max(16)));
    }
    if request.stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    if let Some(key) = &request.cache.key {
        body.insert("prompt_cache_key".into(), Value::from(key.as_str()));
    }
    merge_extra(&mut body, &request.extra_body);
    Ok(Value::Object(body))
}

fn strict_without_flag(schema: &Schema) -> Result<Value, Error> {
    Ok(dialect::openai_strict(schema)?.into_value())
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        _ => "user",
    }
}

/// Message content: a plain string for text-only messages, else a list of parts.
fn chat_content(message: &Message) -> Result<Value, Error> {
    Ok(match message.parts.as_slice() {
        [] => Value::Null,
        [Part::Text(t)] => Value::from(t.as_str()),
        parts => Value::Array(parts.iter().map(chat_part).collect::<Result<_, _>>()?),
    })
}

fn chat_part(part: &Part) -> Result<Value, Error> {
    Ok(match part {
        Part::Text(t) => json!({"type": "text", "text": t}),
        Part::ImageUrl { url, detail } => image_url(url, detail.as_deref()),
        Part::Media(media) => chat_media(media)?,
        _ => {
            return Err(Error::config(format!(
                "a message part {CHAT} does not know"
            )));
        }
    })
}

fn image_url(url: &str, detail: Option<&str>) -> Value {
    let mut image = json!({"url": url});
    if let Some(d) = detail {
        image["detail"] = Value::from(d);
    }
    json!({"type": "image_url", "image_url": image})
}

/// An image as `image_url` (a URL or a data URL), audio as `input_audio` (base64,
/// wav or mp3), a PDF or other file as `file` with its data URL and a file name.
fn chat_media(media: &Media) -> Result<Value, Error> {
    match media.kind() {
        MediaKind::Image => Ok(image_url(&media_url(media)?, media.detail())),
        MediaKind::Audio => {
            let data = media
                .base64()
                .ok_or_else(|| refuse(media, CHAT, INLINE_ONLY))?;
            let format = match media.require_mime()? {
                "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
                "audio/mpeg" | "audio/mp3" => "mp3",
                _ => {
                    return Err(refuse(
                        media,
                        CHAT,
                        "`input_audio` takes wav or mp3 audio only",
                    ));
                }
            };
            Ok(json!({"type": "input_audio", "input_audio": {"data": data, "format": format}}))
        }
        MediaKind::Pdf | MediaKind::File => {
            let data = media
                .data_url()?
                .ok_or_else(|| refuse(media, CHAT, INLINE_ONLY))?;
            Ok(json!({"type": "file", "file": {"filename": filename(media), "file_data": data}}))
        }
        _ => Err(refuse(media, CHAT, "this kind of part is not supported")),
    }
}

/// The part's URL: its remote URL, else its content as a data URL.
fn media_url(media: &Media) -> Result<String, Error> {
    match (media.url(), media.data_url()?) {
        (Some(url), _) => Ok(url.to_owned()),
        (None, Some(data)) => Ok(data),
        (None, None) => Err(refuse(media, CHAT, "the part has no content")),
    }
}

/// The part's file name, else `document.pdf` / `attachment`.
fn filename(media: &Media) -> String {
    match (media.filename(), media.kind()) {
        (Some(name), _) => name.to_owned(),
        (None, MediaKind::Pdf) => "document.pdf".to_owned(),
        (None, _) => "attachment".to_owned(),
    }
}

/// A Responses API content part: `input_text`, `input_image` (a URL or data URL),
/// `input_file` (`file_url`, or `file_data` with a file name). Audio is refused.
fn responses_part(part: &Part) -> Result<Value, Error> {
    let media = match part {
        Part::Text(t) => return Ok(json!({"type": "input_text", "text": t})),
        Part::ImageUrl { url, .. } => return Ok(json!({"type": "input_image", "image_url": url})),
        Part::Media(media) => media,
        _ => {
            return Err(Error::config(format!(
                "a message part {RESPONSES} does not know"
            )));
        }
    };
    match media.kind() {
        MediaKind::Image => {
            let mut image = json!({"type": "input_image", "image_url": media_url(media)?});
            if let Some(detail) = media.detail() {
                image["detail"] = Value::from(detail);
            }
            Ok(image)
        }
        MediaKind::Pdf | MediaKind::File => Ok(match (media.url(), media.data_url()?) {
            (Some(url), _) => json!({"type": "input_file", "file_url": url}),
            (None, data) => {
                json!({"type": "input_file", "filename": filename(media), "file_data": data})
            }
        }),
        _ => Err(refuse(
            media,
            RESPONSES,
            "it takes text, images and files as input, not audio (use Chat Completions with an audio model)",
        )),
    }
}

/// Every message as Responses API input items.
pub(crate) fn input_items(messages: &[Message]) -> Result<Vec<Value>, Error> {
    let mut items = Vec::new();
    for message in messages {
        items.extend(response_items(message)?);
    }
    Ok(items)
}

pub(crate) fn chat_message(message: &Message) -> Result<Value, Error> {
    let mut m = json!({"role": role_name(message.role), "content": chat_content(message)?});
    if message.role == Role::Assistant && !message.tool_calls.is_empty() {
        if m["content"].is_null() {
            m["content"] = Value::from("");
        }
        m["tool_calls"] = Value::Array(
            message
                .tool_calls
                .iter()
                .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
                .collect(),
        );
    }
    if message.role == Role::Tool {
        m["tool_call_id"] = Value::from(message.tool_call_id.clone().unwrap_or_default());
        if let Some(name) = &message.name {
            m["name"] = Value::from(name.as_str());
        }
    }
    Ok(m)
}

/// Responses API input items: messages, `function_call` and `function_call_output`.
fn response_items(message: &Message) -> Result<Vec<Value>, Error> {
    Ok(match message.role {
        Role::Tool => vec![json!({
            "type": "function_call_output",
            "call_id": message.tool_call_id.clone().unwrap_or_default(),
            "output": message.text_content(),
        })],
        Role::Assistant if !message.tool_calls.is_empty() => {
            let mut items = Vec::new();
            let text = message.text_content();
            if !text.is_empty() {
                items.push(json!({"role": "assistant", "content": text}));
            }
            items.extend(message.tool_calls.iter().map(|c| {
                json!({"type": "function_call", "call_id": c.id, "name": c.name, "arguments": c.arguments})
            }));
            items
        }
        role => {
            let content = match message.parts.as_slice() {
                [Part::Text(t)] => Value::from(t.as_str()),
                parts => Value::Array(parts.iter().map(responses_part).collect::<Result<_, _>>()?),
            };
            vec![json!({"role": role_name(role), "content": content})]
        }
    })
}
