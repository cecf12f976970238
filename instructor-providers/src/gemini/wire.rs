//! `generateContent` bodies: roles `user`/`model`, system text as
//! `systemInstruction`, calls as `functionCall` parts and tool results (reasks) as
//! `functionResponse` parts, the response model as a function declaration or a
//! response schema.

use instructor_core::provider::{ProviderRequest, ResponseSpec};
use instructor_core::schema::dialect;
use instructor_core::{Error, Media, Message, Mode, Part, Role};
use serde_json::{Map, Value, json};

use super::SchemaField;
use crate::config::{data_url, merge_extra, refuse, text_only_system};

/// The body for `request` in its mode.
pub(crate) fn generate_body(
    request: &ProviderRequest,
    schema_field: SchemaField,
) -> Result<Value, Error> {
    let mut body = Map::new();
    body.insert(
        "contents".into(),
        Value::Array(contents(&request.messages)?),
    );
    text_only_system(&request.messages, "Gemini")?;
    let system = system_parts(&request.messages);
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({"parts": system}));
    }
    let spec = &request.response;
    let mut generation = Map::new();
    match request.mode {
        Mode::GeminiTools | Mode::ParallelTools => {
            // One declaration per model of a union, else the one response model.
            let tools = request.tool_specs();
            let declarations: Vec<Value> = tools.iter().map(declaration).collect();
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
            body.insert(
                "tools".into(),
                json!([{"functionDeclarations": declarations}]),
            );
            body.insert(
                "toolConfig".into(),
                json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": names}}),
            );
        }
        Mode::GeminiJson => {
            generation.insert("responseMimeType".into(), Value::from("application/json"));
            match schema_field {
                SchemaField::JsonSchema => {
                    generation.insert(
                        "responseJsonSchema".into(),
                        spec.schema.clone().into_value(),
                    );
                }
                SchemaField::OpenApi => {
                    generation.insert(
                        "responseSchema".into(),
                        dialect::gemini(&spec.schema)?.into_value(),
                    );
                }
            }
        }
        Mode::MdJson => {}
        other => {
            return Err(Error::config(format!(
                "mode `{other}` is not a Gemini mode"
            )));
        }
    }
    if let Some(t) = request.temperature {
        generation.insert("temperature".into(), Value::from(t));
    }
    if let Some(n) = request.max_tokens {
        generation.insert("maxOutputTokens".into(), Value::from(n));
    }
    if !generation.is_empty() {
        body.insert("generationConfig".into(), Value::Object(generation));
    }
    if let Some(name) = &request.cache.cached_content {
        body.insert("cachedContent".into(), Value::from(name.as_str()));
    }
    merge_extra(&mut body, &request.extra_body);
    Ok(Value::Object(body))
}

/// A function declaration: the OpenAPI subset where it can express the schema (as
/// Python instructor), full JSON Schema otherwise (recursive types).
fn declaration(spec: &ResponseSpec) -> Value {
    let mut declaration = json!({"name": spec.name, "description": spec.description});
    match dialect::gemini(&spec.schema) {
        Ok(schema) => declaration["parameters"] = schema.into_value(),
        Err(_) => declaration["parametersJsonSchema"] = spec.schema.clone().into_value(),
    }
    declaration
}

/// The conversation without system messages. Consecutive messages of one role
/// (tool results, or the user text after an answer left out) become one content, so
/// roles alternate; a message without any part is left out (`parts` must not be
/// empty, e.g. an answer without content echoed by a reask).
fn contents(messages: &[Message]) -> Result<Vec<Value>, Error> {
    let mut out: Vec<Value> = Vec::new();
    push_contents(&mut out, messages)?;
    Ok(out)
}

/// Appends `messages` (system messages excepted) to `out` as [`contents`] would
/// have built them: `contents(a ++ b)` is `contents(a)` extended by
/// `push_contents(.., b)`, which makes a reask body equal to the one built for the
/// whole conversation.
pub(crate) fn push_contents(out: &mut Vec<Value>, messages: &[Message]) -> Result<(), Error> {
    for message in messages {
        let (role, parts) = match message.role {
            Role::System | Role::Developer => continue,
            Role::Tool => {
                let key = if message.is_error { "error" } else { "result" };
                let mut response = Map::new();
                response.insert(key.into(), Value::from(message.text_content()));
                let part = json!({"functionResponse": {
                    "name": message.name.clone().unwrap_or_default(),
                    "response": response,
                }});
                ("user", vec![part])
            }
            Role::Assistant => {
                let mut parts = parts(message)?;
                parts.extend(message.tool_calls.iter().map(|call| {
                    let args = serde_json::from_str::<Value>(&call.arguments)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    let mut part = json!({"functionCall": {"name": call.name, "args": args}});
                    // Thinking models reject a call echoed without its signature.
                    if let Some(signature) = &call.signature {
                        part["thoughtSignature"] = Value::from(signature.as_str());
                    }
                    part
                }));
                ("model", parts)
            }
            _ => ("user", parts(message)?),
        };
        if parts.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(existing) = last["parts"].as_array_mut() {
                    existing.extend(parts);
                }
            }
            _ => out.push(json!({"role": role, "parts": parts})),
        }
    }
    Ok(())
}

/// The `systemInstruction` parts of `messages` (their system and developer ones).
pub(crate) fn system_parts(messages: &[Message]) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| matches!(m.role, Role::System | Role::Developer))
        .map(|m| json!({"text": m.text_content()}))
        .collect()
}

/// Text, image and media parts: inline content as `inlineData`, a URL as
/// `fileData`, each with its MIME type.
fn parts(message: &Message) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for part in &message.parts {
        out.push(match part {
            Part::Text(t) if t.is_empty() => continue,
            Part::Text(t) => json!({"text": t}),
            Part::ImageUrl { url, .. } => match data_url(url) {
                Some((mime, data)) => json!({"inlineData": {"mimeType": mime, "data": data}}),
                None => json!({"fileData": {"fileUri": url, "mimeType": guess_mime(url)}}),
            },
            Part::Media(media) => media_part(media)?,
            _ => {
                return Err(Error::config(
                    "a message part Gemini does not know".to_owned(),
                ));
            }
        });
    }
    Ok(out)
}

fn media_part(media: &Media) -> Result<Value, Error> {
    let mime = media.mime().ok_or_else(|| {
        refuse(
            media,
            "Gemini",
            "it needs the MIME type, which was not detected: give it with `.with_mime(..)`",
        )
    })?;
    Ok(match (media.url(), media.base64()) {
        (Some(url), _) => json!({"fileData": {"mimeType": mime, "fileUri": url}}),
        (None, data) => json!({"inlineData": {"mimeType": mime, "data": data}}),
    })
}

fn guess_mime(url: &str) -> &'static str {
    let lower = url.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".webp") {
        "image/webp"
    } else if lower.ends_with(".gif") {
        "image/gif"
    } else {
        "image/jpeg"
    }
}
