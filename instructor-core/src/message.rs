//! Provider-neutral chat messages. Each provider converts them to its wire format.

use serde::{Deserialize, Serialize};

use crate::media::{Attachment, Audio, Image, Media, Pdf};

/// Who a message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// Instructions for the model.
    System,
    /// Instructions for reasoning models (OpenAI's replacement for `system`).
    Developer,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// A tool result.
    Tool,
}

/// One part of a multi-part message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Part {
    /// Text.
    Text(String),
    /// An image by URL (`https://…` or a `data:` URL).
    ImageUrl {
        /// The image's URL.
        url: String,
        /// `low`, `high` or `auto`.
        detail: Option<String>,
    },
    /// An image, audio clip, PDF or other file (see [`Media`]): built with
    /// [`Message::image`], [`Message::audio`], [`Message::pdf`],
    /// [`Message::attachment`] or [`Message::with_part`].
    Media(Media),
}

/// A tool call made by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// The provider's id for the call (used to answer it).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
    /// An opaque token the provider requires echoed with the call (Gemini's
    /// `thoughtSignature` on thinking models); `None` for most providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl ToolCall {
    /// A call without a provider signature.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
            signature: None,
        }
    }
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Who it is from.
    pub role: Role,
    /// Its content parts (usually one text part).
    pub parts: Vec<Part>,
    /// Tool calls made in an assistant message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For a tool message: the tool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For a tool message: whether it reports an error.
    #[serde(default)]
    pub is_error: bool,
    /// A prompt-cache breakpoint after this message (Anthropic `cache_control`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
}

/// A prompt-cache breakpoint: everything up to and including the marked message (or
/// tool definitions) is cached by the provider and billed at the cache rate when a
/// later request starts the same way. Anthropic takes it as `cache_control`; OpenAI
/// caches long prefixes by itself (steer it with
/// [`Request::prompt_cache_key`](crate::Request::prompt_cache_key)); Gemini caches
/// through named cached contents
/// ([`Request::cached_content`](crate::Request::cached_content)). The usage counters
/// `cached_tokens` and `cache_creation_tokens` say what was read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CacheControl {
    /// Anthropic's default ephemeral cache (about 5 minutes, refreshed on use).
    Ephemeral,
    /// The ephemeral cache with Anthropic's one-hour time to live.
    EphemeralOneHour,
}

/// Where a request's prompt caching is steered, per provider (see [`CacheControl`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromptCache {
    /// A breakpoint after the tool definitions (Anthropic).
    pub tools: Option<CacheControl>,
    /// OpenAI's `prompt_cache_key`: requests sharing it are routed to the same cache.
    pub key: Option<String>,
    /// Gemini's `cachedContent`: the name of a cached content (`cachedContents/..`)
    /// the request builds on.
    pub cached_content: Option<String>,
}

impl Message {
    /// A message with one text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            parts: vec![Part::Text(text.into())],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
            is_error: false,
            cache_control: None,
        }
    }

    /// The same message with a prompt-cache breakpoint after it (see [`CacheControl`]).
    #[must_use]
    pub fn with_cache_control(mut self, cache_control: CacheControl) -> Self {
        self.cache_control = Some(cache_control);
        self
    }

    /// A system message.
    pub fn system(text: impl Into<String>) -> Self {
        Self::text(Role::System, text)
    }

    /// A developer message.
    pub fn developer(text: impl Into<String>) -> Self {
        Self::text(Role::Developer, text)
    }

    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::text(Role::User, text)
    }

    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::text(Role::Assistant, text)
    }

    /// A user message with text and an image URL (`https://…` or a `data:` URL),
    /// sent as [`Part::ImageUrl`]; build richer messages with [`Message::image`].
    pub fn user_with_image(text: impl Into<String>, image_url: impl Into<String>) -> Self {
        let mut m = Self::user(text);
        m.parts.push(Part::ImageUrl {
            url: image_url.into(),
            detail: None,
        });
        m
    }

    /// A user message with text and a PDF (`https://…` or a `data:` URL).
    pub fn user_with_pdf(text: impl Into<String>, pdf_url: impl Into<String>) -> Self {
        Self::user(text).pdf(Pdf::from_url(pdf_url))
    }

    /// A user message with text and an audio clip (`https://…` or a `data:` URL).
    pub fn user_with_audio(text: impl Into<String>, audio_url: impl Into<String>) -> Self {
        Self::user(text).audio(Audio::from_url(audio_url))
    }

    /// The same message with one more part, after the others:
    /// `Message::user("Compare").with_part(Image::from_url(a))`.
    #[must_use]
    pub fn with_part(mut self, part: impl Into<Part>) -> Self {
        self.parts.push(part.into());
        self
    }

    /// The same message with an image after its other parts.
    #[must_use]
    pub fn image(self, image: Image) -> Self {
        self.with_part(image)
    }

    /// The same message with an audio clip after its other parts.
    #[must_use]
    pub fn audio(self, audio: Audio) -> Self {
        self.with_part(audio)
    }

    /// The same message with a PDF after its other parts.
    #[must_use]
    pub fn pdf(self, pdf: Pdf) -> Self {
        self.with_part(pdf)
    }

    /// The same message with a file of another type after its other parts.
    #[must_use]
    pub fn attachment(self, file: Attachment) -> Self {
        self.with_part(file)
    }

    /// The assistant turn that made `tool_calls` (with its text, if any).
    pub fn assistant_tool_calls(text: Option<String>, tool_calls: Vec<ToolCall>) -> Self {
        let mut m = Self::text(Role::Assistant, text.unwrap_or_default());
        if m.text_content().is_empty() {
            m.parts.clear();
        }
        m.tool_calls = tool_calls;
        m
    }

    /// The answer to a tool call.
    pub fn tool_result(call: &ToolCall, content: impl Into<String>, is_error: bool) -> Self {
        let mut m = Self::text(Role::Tool, content);
        m.tool_call_id = Some(call.id.clone());
        m.name = Some(call.name.clone());
        m.is_error = is_error;
        m
    }

    /// All text parts joined.
    pub fn text_content(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
