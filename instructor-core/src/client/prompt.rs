//! The messages as the provider receives them, before any provider-specific shaping:
//! templating (`{{ var }}` rendered from the request's `context` with Jinja syntax)
//! and the schema prompt that JSON modes inject into the conversation. (Tools,
//! response formats and schema dialects are shaped by each provider.)
//!
//! Templates are only rendered when a context is given, so server-side templates pass
//! through untouched; an undefined variable is an error, never silently empty.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use crate::error::{Error, ErrorDetail};
use crate::message::{Message, Part, Role};
use crate::mode::Mode;
use crate::schema::Schema;

/// Renders every text part of `messages` with `context`.
pub(crate) fn render_messages(messages: &mut [Message], context: &Value) -> Result<(), Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (i, message) in messages.iter_mut().enumerate() {
        for part in &mut message.parts {
            if let Part::Text(text) = part
                && (text.contains("{{") || text.contains("{%"))
            {
                *text = env
                    .render_str(text, context)
                    .map_err(|e| template_error(&env, i, text, context, e))?;
            }
        }
    }
    Ok(())
}

/// The error for a template that failed, naming the variables the context lacks.
fn template_error(
    env: &Environment<'_>,
    index: usize,
    text: &str,
    context: &Value,
    error: minijinja::Error,
) -> Error {
    let mut missing: Vec<String> = env
        .template_from_str(text)
        .map(|t| t.undeclared_variables(false))
        .unwrap_or_default()
        .into_iter()
        .filter(|name| context.get(name).is_none())
        .collect();
    missing.sort();
    let mut message = format!("message {index} failed to render ({})", error.kind());
    if !missing.is_empty() {
        message.push_str("; the context has no ");
        message.push_str(
            &missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    Error::Template(ErrorDetail::with_source(message, error))
}

/// The instruction put before the schema (neutral wording, as Python instructor 1.15+).
pub(crate) const JSON_SCHEMA_PROMPT: &str =
    "Parse the content and return a JSON object matching this schema:";
/// The instruction put after the schema.
pub(crate) const JSON_SCHEMA_PROMPT_END: &str =
    "Return a valid JSON instance, not the schema definition.";
/// The fenced-block request of `MdJson`, appended to the last user message.
pub(crate) const MD_JSON_PROMPT: &str =
    "Return the correct JSON response within a ```json codeblock. not the JSON_SCHEMA";

/// The schema instruction text for `schema`.
pub(crate) fn schema_instruction(schema: &Schema) -> String {
    let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
    format!("{JSON_SCHEMA_PROMPT}\n\n{pretty}\n\n{JSON_SCHEMA_PROMPT_END}")
}

/// Adds the mode's schema prompt to `messages` (a copy of the caller's).
///
/// - `Json`, `AnthropicJson`: the instruction goes into the first
///   system message (after a blank line) or a new system message at the start.
/// - `MdJson`: the same, plus a request for a fenced block at the end of the last
///   user message (or as a user message when the conversation does not end with one).
/// - `JsonO1`: reasoning models take no system messages, so they become user
///   messages, and the instruction is appended as a user message.
pub(crate) fn inject_schema_prompt(mode: Mode, messages: &mut Vec<Message>, schema: &Schema) {
    if !mode.injects_schema_prompt() {
        return;
    }
    let instruction = schema_instruction(schema);
    if mode == Mode::JsonO1 {
        for m in messages
            .iter_mut()
            .filter(|m| matches!(m.role, Role::System | Role::Developer))
        {
            m.role = Role::User;
        }
        messages.push(Message::user(instruction));
        return;
    }
    match messages.iter_mut().find(|m| m.role == Role::System) {
        Some(system) => match system.parts.iter_mut().find_map(|p| match p {
            Part::Text(t) => Some(t),
            _ => None,
        }) {
            Some(text) => {
                text.push_str("\n\n");
                text.push_str(&instruction);
            }
            None => system.parts.insert(0, Part::Text(instruction)),
        },
        None => messages.insert(0, Message::system(instruction)),
    }
    if mode == Mode::MdJson {
        append_user_text(messages, MD_JSON_PROMPT);
    }
}

/// Appends `text` to the last message when it is the user's (after a newline, as
/// Python instructor merges consecutive user messages), else as a new user message:
/// two user turns in a row are rejected by chat templates that enforce alternation
/// (Mistral, Gemma and others behind vLLM, TGI, llama.cpp).
fn append_user_text(messages: &mut Vec<Message>, text: &str) {
    match messages.last_mut() {
        Some(last) if last.role == Role::User => {
            match last.parts.iter_mut().rev().find_map(|p| match p {
                Part::Text(t) => Some(t),
                _ => None,
            }) {
                Some(existing) if !existing.is_empty() => {
                    existing.push('\n');
                    existing.push_str(text);
                }
                Some(existing) => existing.push_str(text),
                None => last.parts.push(Part::Text(text.to_owned())),
            }
        }
        _ => messages.push(Message::user(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::{MD_JSON_PROMPT, append_user_text};
    use crate::message::{Message, Part, Role};

    fn texts(message: &Message) -> Vec<&str> {
        message
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_md_json_request_never_makes_two_user_turns_in_a_row() {
        let mut messages = vec![Message::system("s"), Message::user("Jason is 25")];
        append_user_text(&mut messages, MD_JSON_PROMPT);
        assert_eq!(messages.len(), 2);
        assert_eq!(
            texts(&messages[1]),
            [format!("Jason is 25\n{MD_JSON_PROMPT}")]
        );

        // After an assistant turn (or with no messages), it is its own user turn.
        let mut messages = vec![Message::user("a"), Message::assistant("b")];
        append_user_text(&mut messages, MD_JSON_PROMPT);
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[2].role, Role::User);
        let mut empty = Vec::new();
        append_user_text(&mut empty, MD_JSON_PROMPT);
        assert_eq!(empty.len(), 1);

        // The image stays, and the request goes into the message's text.
        let mut messages = vec![Message::user_with_image("What is it?", "https://x/y.png")];
        append_user_text(&mut messages, MD_JSON_PROMPT);
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].parts.len(), 2);
        assert_eq!(
            texts(&messages[0]),
            [format!("What is it?\n{MD_JSON_PROMPT}")]
        );
    }
}
