//! Where Mistral's Chat Completions differ from OpenAI's, applied to the `mistral`
//! preset's bodies: a tool call is forced with `tool_choice: "any"` (with one tool
//! offered, that one; Python instructor's `MISTRAL_TOOLS` shape) rather than a named
//! function, several calls are asked with `"any"` too (so the model cannot answer in
//! prose), and `Mode::JsonSchema` sends Mistral's strict custom structured output
//! (`json_schema` with `strict: true` and no additional properties at the top).
//! Modes Mistral does not document (`ToolsStrict`, OpenRouter's) are not offered.

use instructor_core::provider::ProviderRequest;
use instructor_core::{Error, Mode};
use serde_json::{Value, json};

use crate::config::merge_extra;

/// The modes the `mistral` preset serves.
pub(super) const MODES: &[Mode] = &[
    Mode::Tools,
    Mode::ParallelTools,
    Mode::Json,
    Mode::JsonSchema,
    Mode::MdJson,
];

/// Rewrites an OpenAI chat `body` built for `request` into Mistral's shape; the
/// request's `extra_body` still wins.
pub(super) fn adjust(request: &ProviderRequest, body: &mut Value) -> Result<(), Error> {
    let Some(map) = body.as_object_mut() else {
        return Err(Error::config(
            "the chat body is not a JSON object".to_owned(),
        ));
    };
    match request.mode {
        Mode::Tools => {
            map.insert("tool_choice".into(), Value::from("any"));
        }
        Mode::ParallelTools => {
            map.insert("tool_choice".into(), Value::from("any"));
            map.insert("parallel_tool_calls".into(), Value::Bool(true));
        }
        Mode::JsonSchema => {
            let spec = &request.response;
            let mut schema = spec.described_schema();
            schema.insert("additionalProperties", false);
            map.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {
                    "name": spec.name, "schema": schema.into_value(), "strict": true}}),
            );
        }
        _ => {}
    }
    merge_extra(map, &request.extra_body);
    Ok(())
}
