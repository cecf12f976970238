//! The reask: the messages appended after a rejected answer, so the next attempt
//! sees its own answer and what was wrong with it. The shapes and wording are Python
//! instructor's, per mode (a `tool` result per call in tool modes, a user message in
//! JSON modes).

use crate::completion::Completion;
use crate::error::AttemptError;
use crate::message::Message;
use crate::mode::Mode;

/// The text appended to a tool result in a reask (Python instructor's wording).
pub(crate) const TOOL_REASK_SUFFIX: &str = "Recall the function correctly, fix the errors";
/// The tool result of a call that passed, when others of the same answer failed.
pub(crate) const VALID_CALL_REPLY: &str =
    "This call is valid; repeat it unchanged alongside the corrected calls.";
/// The user message of a reask in JSON modes.
pub(crate) const JSON_REASK_PREFIX: &str =
    "Correct your JSON ONLY RESPONSE, based on the following errors:";

/// What a reask keeps of earlier failed attempts.
///
/// Measured against a model that keeps failing (`max_retries(5)`, the test
/// `reask_history_token_cost` in `tests/client/reask_history.rs`): keeping every
/// attempt sends the conversation plus all earlier answers and errors on each retry,
/// so the prompt grows with every attempt (Python instructor's "retry
/// amplification", its #2056); keeping the last sends a constant-size prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ReaskHistory {
    /// Every failed answer and its errors, in order (Python instructor's behaviour).
    All,
    /// Only the last failed answer and its errors: a constant-size prompt.
    #[default]
    Last,
}

/// How a call's conversation grows on a reask: its own messages (the first `base`)
/// and the failed attempts `history` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ReaskPolicy {
    pub(crate) history: ReaskHistory,
    pub(crate) base: usize,
}

impl ReaskPolicy {
    /// Appends a reask's `messages` to `conversation`, first dropping the earlier
    /// attempts' when only the last is kept.
    pub(crate) fn append(self, conversation: &mut Vec<Message>, messages: Vec<Message>) {
        if self.history == ReaskHistory::Last {
            conversation.truncate(self.base);
        }
        conversation.extend(messages);
    }
}

/// The messages appended for a reask: the model's own answer, then the error in the
/// shape the mode needs (a `tool` result per call, or a user message).
pub(crate) fn reask_messages(
    mode: Mode,
    completion: &Completion,
    error: &AttemptError,
) -> Vec<Message> {
    if mode.uses_tools() && !completion.tool_calls.is_empty() {
        let mut out = vec![Message::assistant_tool_calls(
            completion.text.clone(),
            completion.tool_calls.clone(),
        )];
        out.extend(completion.tool_calls.iter().enumerate().map(
            |(index, call)| match error_of_call(error, index) {
                Some(error) => Message::tool_result(
                    call,
                    format!("Validation Error found:\n{error}\n{TOOL_REASK_SUFFIX}"),
                    true,
                ),
                None => Message::tool_result(call, VALID_CALL_REPLY, false),
            },
        ));
        return out;
    }
    let answer = completion.text.clone().unwrap_or_default();
    match mode {
        // Python instructor's shapes: no assistant turn, the attempt quoted instead.
        Mode::AnthropicJson => {
            return vec![Message::user(format!(
                "Validation Errors found:\n{error}\n{TOOL_REASK_SUFFIX} found in the following attempt:\n{answer}"
            ))];
        }
        Mode::GeminiJson => {
            return vec![Message::user(format!(
                "Correct the following JSON response, based on the errors given below:\n\nJSON:\n{answer}\n\nExceptions:\n{error}"
            ))];
        }
        _ => {}
    }
    let instruction = if mode.uses_tools() {
        format!("Validation Error found:\n{error}\n{TOOL_REASK_SUFFIX}")
    } else {
        format!("{JSON_REASK_PREFIX}\n{error}")
    };
    vec![Message::assistant(answer), Message::user(instruction)]
}

/// What call `index` is told in a reask: its own failure when the error lists the
/// calls that failed (`None` when it passed), else the whole error.
fn error_of_call(error: &AttemptError, index: usize) -> Option<&AttemptError> {
    match error {
        AttemptError::Calls(failures) => {
            failures.iter().find(|f| f.index == index).map(|f| &f.error)
        }
        other => Some(other),
    }
}
