//! Unions of models for parallel tool calls: Python instructor's
//! `Iterable[Weather | GoogleSearch]` in `PARALLEL_TOOLS`.
//!
//! An enum whose every variant wraps one model (`enum Action { Weather(Weather),
//! Search(GoogleSearch) }`) is a union: [`Client::create_parallel`](crate::Client::create_parallel)
//! offers one tool per variant, each the variant's own model's tool (its name,
//! description and schema, exactly as when that model is requested alone), and reads
//! each call back into its variant by tool name. `#[derive(Instruct)]` recognises such
//! enums; [`Instruct::union_members`] is where a hand-written implementation says so.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::Instruct;
use crate::client::answer;
use crate::error::AttemptError;
use crate::schema::ToolDefinition;
use crate::validate::ValidationContext;

type ParseFn<T> = dyn Fn(&str, &ValidationContext<'_>) -> Result<T, AttemptError> + Send + Sync;

/// One member of a union of models: the tool it is offered as, and how a call to
/// that tool becomes the union's value.
///
/// ```
/// use instructor_core::{UnionMember, ValidationContext};
///
/// // With `#[derive(Instruct)]`, `Weather` and `Search` would be structs and the
/// // derive would list the members; here, a std type shows the mechanics.
/// #[derive(Debug, PartialEq)]
/// enum Note {
///     Text(String),
/// }
///
/// let member = UnionMember::of::<String>(Note::Text);
/// assert_eq!(member.tool().name, "String");
/// let note = member.parse(r#"{"content": "hi"}"#, &ValidationContext::empty()).unwrap();
/// assert_eq!(note, Note::Text("hi".into()));
/// ```
pub struct UnionMember<T> {
    tool: &'static ToolDefinition,
    named: bool,
    parse: Box<ParseFn<T>>,
}

impl<T: 'static> UnionMember<T> {
    /// The member for model `P`, wrapped into the union by `wrap` (a variant's
    /// constructor, e.g. `Action::Weather`). Its tool is `P::tool()`; a call's
    /// arguments are parsed, transformed and validated as `P`, as when `P` is
    /// requested alone (`create_parallel` then runs the union's own checks on the
    /// variant).
    pub fn of<P: Instruct + DeserializeOwned>(wrap: fn(P) -> T) -> Self {
        Self {
            tool: P::tool(),
            named: !P::inline_schema(),
            parse: Box::new(move |json, context| answer::parse_value::<P>(json, context).map(wrap)),
        }
    }
}

impl<T> UnionMember<T> {
    /// The tool this member is offered as.
    pub fn tool(&self) -> &'static ToolDefinition {
        self.tool
    }

    /// Parses and validates a call's arguments (JSON text) into the union's value.
    pub fn parse(&self, json: &str, context: &ValidationContext<'_>) -> Result<T, AttemptError> {
        (self.parse)(json, context)
    }

    /// Whether the member's model is a named type (a struct), not a simple type
    /// wrapped in `{"content": ..}` on the wire.
    pub(crate) fn is_named(&self) -> bool {
        self.named
    }
}

impl<T> fmt::Debug for UnionMember<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnionMember")
            .field("tool", &self.tool.name)
            .finish_non_exhaustive()
    }
}

/// The members of a derived enum, when it is a union of named models: an enum over
/// simple types (`Text(String)`, `Number(f64)`) is answered as one value, as before.
pub(crate) fn named_only<T>(members: Vec<UnionMember<T>>) -> Option<Vec<UnionMember<T>>> {
    (!members.is_empty() && members.iter().all(UnionMember::is_named)).then_some(members)
}
