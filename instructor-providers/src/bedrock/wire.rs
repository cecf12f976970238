//! Converse request bodies (`POST /model/{modelId}/converse`; the stream route takes
//! the same body): system text at the top level, user and assistant turns of
//! content blocks (alternating: consecutive turns of one role are merged), tool calls
//! as `toolUse` blocks and their results (reasks) as `toolResult` blocks in a user
//! turn, images and documents as bytes, prompt-cache breakpoints as `cachePoint`
//! blocks. The model id is in the path, never in the body.

use instructor_core::provider::{ProviderRequest, ResponseSpec};
use instructor_core::schema::dialect;
use instructor_core::{Error, Media, MediaKind, Message, Mode, Part, Role};
use serde_json::{Map, Value, json};

use crate::config::{INLINE_ONLY, merge_extra, refuse, text_only_system};

pub(crate) const BEDROCK: &str = "Bedrock";

/// The Converse body for `request` in its mode.
pub(crate) fn converse_body(request: &ProviderRequest) -> Result<Value, Error> {
    let mut body = Map::new();
    text_only_system(&request.messages, BEDROCK)?;
    let system = system_blocks(&request.messages);
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }
    body.insert("messages".into(), Value::Array(turns(&request.messages)?));
    let mut inference = Map::new();
    if let Some(n) = request.max_tokens {
        inference.insert("maxTokens".into(), Value::from(n));
    }
    if let Some(t) = request.temperature {
        inference.insert("temperature".into(), Value::from(t));
    }
    if !inference.is_empty() {
        body.insert("inferenceConfig".into(), Value::Object(inference));
    }
    let spec = &request.response;
    match request.mode {
        Mode::Tools => {
            // One tool, forced by name.
            body.insert(
                "toolConfig".into(),
                json!({"tools": tools(request, std::slice::from_ref(spec)),
                    "toolChoice": {"tool": {"name": spec.name}}}),
            );
        }
        Mode::ParallelTools => {
            // Any of the tools (one per model of a union), as many calls as needed.
            body.insert(
                "toolConfig".into(),
                json!({"tools": tools(request, request.tool_specs()), "toolChoice": {"any": {}}}),
            );
        }
        Mode::JsonSchema => {
            // Bedrock's structured outputs take the schema as a JSON string, in the
            // subset Claude's structured outputs accept.
            let schema = dialect::anthropic_structured(&spec.described_schema())?.into_value();
            let mut definition = json!({"schema": schema.to_string(), "name": spec.name});
            if !spec.description.is_empty() {
                definition["description"] = Value::from(spec.description.as_str());
            }
            body.insert(
                "outputConfig".into(),
                json!({"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}),
            );
        }
        // The schema is in the prompt; Converse has no JSON-object switch.
        Mode::Json | Mode::MdJson => {}
        other => {
            return Err(Error::config(format!(
                "mode `{other}` is not a Bedrock mode"
            )));
        }
    }
    merge_extra(&mut body, &request.extra_body);
    Ok(Value::Object(body))
}

/// `toolSpec` entries, a `cachePoint` after them when the request asks for one.
fn tools(request: &ProviderRequest, specs: &[ResponseSpec]) -> Vec<Value> {
    let mut tools: Vec<Value> = specs
        .iter()
        .map(|spec| {
            json!({"toolSpec": {
                "name": spec.name,
                "description": spec.description,
                "inputSchema": {"json": dialect::anthropic_tools(&spec.described_schema()).into_value()},
            }})
        })
        .collect();
    if request.cache.tools.is_some() {
        tools.push(cache_point());
    }
    tools
}

fn cache_point() -> Value {
    json!({"cachePoint": {"type": "default"}})
}

/// The system and developer messages as top-level `system` text blocks.
fn system_blocks(messages: &[Message]) -> Vec<Value> {
    let mut blocks = Vec::new();
    for message in messages
        .iter()
        .filter(|m| matches!(m.role, Role::System | Role::Developer))
    {
        blocks.push(json!({"text": message.text_content()}));
        if message.cache_control.is_some() {
            blocks.push(cache_point());
        }
    }
    blocks
}

/// The conversation without system messages, in alternating user and assistant
/// turns.
fn turns(messages: &[Message]) -> Result<Vec<Value>, Error> {
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut documents = Vec::new();
    for message in messages {
        let (role, mut content) = match message.role {
            Role::System | Role::Developer => continue,
            Role::Tool => ("user", vec![tool_result(message)]),
            Role::Assistant => ("assistant", assistant_blocks(message)),
            _ => ("user", user_blocks(message, &mut documents)?),
        };
        if content.is_empty() {
            // An empty answer echoed by a reask: Converse rejects blank content.
            continue;
        }
        if message.cache_control.is_some() {
            content.push(cache_point());
        }
        match out.last_mut() {
            Some((last, blocks)) if *last == role => blocks.extend(content),
            _ => out.push((role, content)),
        }
    }
    Ok(out
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect())
}

/// A tool's answer (a reask's error text) as a `toolResult` block.
fn tool_result(message: &Message) -> Value {
    let mut result = json!({
        "toolUseId": message.tool_call_id.clone().unwrap_or_default(),
        "content": [{"text": message.text_content()}],
    });
    if message.is_error {
        result["status"] = Value::from("error");
    }
    json!({"toolResult": result})
}

/// The assistant turn echoed: its text (when not blank), then each call as a
/// `toolUse` block (the input as an object; arguments that are not a JSON object
/// are sent as `{}`).
fn assistant_blocks(message: &Message) -> Vec<Value> {
    let mut blocks = Vec::new();
    let text = message.text_content();
    if !text.trim().is_empty() {
        blocks.push(json!({"text": text}));
    }
    for call in &message.tool_calls {
        let input = serde_json::from_str::<Value>(&call.arguments)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({}));
        blocks.push(json!({"toolUse": {"toolUseId": call.id, "name": call.name, "input": input}}));
    }
    blocks
}

/// A user turn's parts: text, images and documents (blank text left out).
fn user_blocks(message: &Message, documents: &mut Vec<String>) -> Result<Vec<Value>, Error> {
    let mut blocks = Vec::new();
    for part in &message.parts {
        match part {
            Part::Text(t) if t.trim().is_empty() => {}
            Part::Text(t) => blocks.push(json!({"text": t})),
            Part::ImageUrl { url, .. } => {
                blocks.push(media_block(
                    &Media::from_url(MediaKind::Image, url),
                    documents,
                )?);
            }
            Part::Media(media) => blocks.push(media_block(media, documents)?),
            _ => {
                return Err(Error::config(
                    "a message part Bedrock does not know".to_owned(),
                ));
            }
        }
    }
    Ok(blocks)
}

/// The image formats Converse takes, by MIME type.
const IMAGE_FORMATS: [(&str, &str); 4] = [
    ("image/png", "png"),
    ("image/jpeg", "jpeg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

/// The document formats Converse takes, by MIME type.
const DOCUMENT_FORMATS: [(&str, &str); 9] = [
    ("application/pdf", "pdf"),
    ("text/csv", "csv"),
    ("application/msword", "doc"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("application/vnd.ms-excel", "xls"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("text/html", "html"),
    ("text/plain", "txt"),
    ("text/markdown", "md"),
];

fn format_of(table: &[(&str, &'static str)], mime: Option<&str>) -> Option<&'static str> {
    let mime = mime?.split(';').next()?.trim();
    table.iter().find(|(m, _)| *m == mime).map(|(_, f)| *f)
}

/// An image as `image{format, source{bytes}}`, a document as
/// `document{format, name, source{bytes}}` (bytes base64 in JSON). Remote URLs,
/// audio and other formats are refused before anything is sent.
fn media_block(media: &Media, documents: &mut Vec<String>) -> Result<Value, Error> {
    if media.kind() == MediaKind::Audio {
        return Err(refuse(media, BEDROCK, "Converse takes no audio input"));
    }
    let Some(bytes) = media.base64() else {
        return Err(refuse(media, BEDROCK, INLINE_ONLY));
    };
    if media.kind() == MediaKind::Image {
        let format = format_of(&IMAGE_FORMATS, media.mime())
            .ok_or_else(|| refuse(media, BEDROCK, "images must be PNG, JPEG, GIF or WebP"))?;
        return Ok(json!({"image": {"format": format, "source": {"bytes": bytes}}}));
    }
    let format = format_of(&DOCUMENT_FORMATS, media.mime()).ok_or_else(|| {
        refuse(
            media,
            BEDROCK,
            "documents must be PDF, CSV, DOC, DOCX, XLS, XLSX, HTML, TXT or Markdown",
        )
    })?;
    let name = document_name(media.filename(), documents);
    Ok(json!({"document": {"format": format, "name": name, "source": {"bytes": bytes}}}))
}

/// A document name Converse accepts (letters, digits, single spaces, hyphens,
/// parentheses and square brackets): the file name without its extension, other
/// characters as spaces, `document` when nothing is left, numbered when the request
/// already has a document of that name (names must differ).
fn document_name(filename: Option<&str>, used: &mut Vec<String>) -> String {
    let stem = filename
        .map(|f| f.rsplit_once('.').map_or(f, |(stem, _)| stem))
        .unwrap_or_default();
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-()[]".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let base = if words.is_empty() {
        "document".to_owned()
    } else {
        words.join(" ")
    };
    let mut name = base.clone();
    let mut n = 1;
    while used.contains(&name) {
        n += 1;
        name = format!("{base} ({n})");
    }
    used.push(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::document_name;

    #[test]
    fn document_names_keep_only_what_converse_accepts_and_never_repeat() {
        let mut used = Vec::new();
        let mut name = |f| document_name(f, &mut used);
        assert_eq!(name(Some("Q3 report_final.v2.pdf")), "Q3 report final v2");
        assert_eq!(name(Some("...")), "document");
        assert_eq!(name(None), "document (2)");
        assert_eq!(name(Some("a  [b]\t(c).csv")), "a [b] (c)");
        assert_eq!(name(Some("a [b] (c).txt")), "a [b] (c) (2)");
    }
}
