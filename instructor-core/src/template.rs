//! Message templating: `{{ var }}` rendered from the request's `context` with Jinja
//! syntax. Only done when a context is given, so server-side templates pass through
//! untouched; an undefined variable is an error, never silently empty.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

use crate::error::{Error, ErrorDetail};
use crate::message::{Message, Part};

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
