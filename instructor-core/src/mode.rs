//! How the response model is requested from the provider.

use serde::{Deserialize, Serialize};

/// The strategy used to get structured output; each produces the request shape
/// Python instructor sends for the same mode (see the crate docs for deliberate
/// differences).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum Mode {
    /// A forced function tool call (default).
    #[default]
    Tools,
    /// A forced tool call with `strict: true` and the OpenAI strict schema dialect.
    ToolsStrict,
    /// Several tool calls with `tool_choice: "auto"`; the result is a list.
    ParallelTools,
    /// `response_format: {"type": "json_object"}` plus the schema in the system prompt.
    Json,
    /// `response_format: {"type": "json_schema", ...}`: the provider enforces the schema.
    JsonSchema,
    /// The schema in the prompt and the answer in a ```json fenced block.
    MdJson,
    /// The legacy `functions` / `function_call` API.
    Functions,
    /// Reasoning models without system messages: the schema in a user message.
    JsonO1,
    /// OpenRouter's strict `json_schema` response format.
    OpenRouterStructuredOutputs,
    /// A forced function tool through the OpenAI Responses API.
    ResponsesTools,
    /// Anthropic: a forced `tool_use`.
    AnthropicTools,
    /// Anthropic: the schema in the system prompt, JSON in the text.
    AnthropicJson,
    /// Gemini: a forced function call.
    GeminiTools,
    /// Gemini: `responseMimeType: application/json` with the schema as
    /// `responseJsonSchema` (the service enforces it; no schema prompt).
    GeminiJson,
}

impl Mode {
    /// Whether the answer arrives as tool (function) call arguments.
    pub fn uses_tools(self) -> bool {
        matches!(
            self,
            Self::Tools
                | Self::ToolsStrict
                | Self::ParallelTools
                | Self::Functions
                | Self::ResponsesTools
                | Self::AnthropicTools
                | Self::GeminiTools
        )
    }

    /// Whether the schema is injected into the prompt as text.
    pub fn injects_schema_prompt(self) -> bool {
        matches!(
            self,
            Self::Json | Self::MdJson | Self::JsonO1 | Self::AnthropicJson
        )
    }

    /// The mode's name as in Python instructor (`tool_call`, `json_mode`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Tools => "tools",
            Self::ToolsStrict => "tools_strict",
            Self::ParallelTools => "parallel_tools",
            Self::Json => "json_mode",
            Self::JsonSchema => "json_schema_mode",
            Self::MdJson => "markdown_json_mode",
            Self::Functions => "function_call",
            Self::JsonO1 => "json_o1",
            Self::OpenRouterStructuredOutputs => "openrouter_structured_outputs",
            Self::ResponsesTools => "responses_tools",
            Self::AnthropicTools => "anthropic_tools",
            Self::AnthropicJson => "anthropic_json",
            Self::GeminiTools => "gemini_tools",
            Self::GeminiJson => "gemini_json",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Mode {
    /// Every mode, in declaration order.
    pub const ALL: &'static [Mode] = &[
        Self::Tools,
        Self::ToolsStrict,
        Self::ParallelTools,
        Self::Json,
        Self::JsonSchema,
        Self::MdJson,
        Self::Functions,
        Self::JsonO1,
        Self::OpenRouterStructuredOutputs,
        Self::ResponsesTools,
        Self::AnthropicTools,
        Self::AnthropicJson,
        Self::GeminiTools,
        Self::GeminiJson,
    ];
}

/// A mode name that [`Mode::from_str`](std::str::FromStr::from_str) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode `{given}`; expected one of: {}", Mode::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownMode {
    given: String,
}

impl std::str::FromStr for Mode {
    type Err = UnknownMode;

    /// Reads a mode from its [`name`](Mode::name) (`tools`, `json_mode`, ...), its
    /// variant name (`ToolsStrict`), or a Python instructor spelling (`tool_call`,
    /// `md_json`, `json_schema`, `parallel_tool_call`); case and `-`/`_` are ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let key: String = text
            .trim()
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        let squash = |s: &str| s.replace('_', "");
        let found = Mode::ALL
            .iter()
            .copied()
            .find(|m| squash(m.name()) == key || squash(&format!("{m:?}").to_lowercase()) == key);
        let alias = match key.as_str() {
            "toolcall" => Some(Self::Tools),
            "json" => Some(Self::Json),
            "jsonschema" => Some(Self::JsonSchema),
            "mdjson" | "markdownjson" => Some(Self::MdJson),
            "paralleltoolcall" => Some(Self::ParallelTools),
            "functions" => Some(Self::Functions),
            _ => None,
        };
        found.or(alias).ok_or_else(|| UnknownMode {
            given: text.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Mode;

    #[test]
    fn every_name_and_variant_name_reads_back() {
        for mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>(), Ok(*mode));
            assert_eq!(format!("{mode:?}").parse::<Mode>(), Ok(*mode));
            assert_eq!(
                mode.name().replace('_', "-").to_uppercase().parse::<Mode>(),
                Ok(*mode)
            );
        }
        assert_eq!("md_json".parse::<Mode>(), Ok(Mode::MdJson));
        assert_eq!("tool_call".parse::<Mode>(), Ok(Mode::Tools));
        assert_eq!("json_schema".parse::<Mode>(), Ok(Mode::JsonSchema));
    }

    #[test]
    fn an_unknown_mode_lists_the_known_ones() {
        let err = "xml".parse::<Mode>().unwrap_err().to_string();
        assert!(err.starts_with("unknown mode `xml`"), "{err}");
        assert!(
            err.contains("tools_strict") && err.contains("gemini_json"),
            "{err}"
        );
    }
}
