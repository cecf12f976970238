//! Validation: every failure is collected with its JSON path (`addresses[1].city`) and
//! a message an LLM can act on; the [`Display`](std::fmt::Display) of
//! [`ValidationErrors`] is the text sent back to the model when reasking.

mod constraint;
mod format;
pub mod target;

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use constraint::{Constraint, Number, Pattern, json_equal};
pub use format::Format;

/// Data available to validators: the request's `context` (also used for templating).
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidationContext<'a> {
    context: Option<&'a Value>,
}

impl<'a> ValidationContext<'a> {
    /// A context with no data.
    pub fn empty() -> Self {
        Self { context: None }
    }

    /// A context over the given JSON value (usually an object).
    pub fn new(context: &'a Value) -> Self {
        Self {
            context: Some(context),
        }
    }

    /// A context over the request's optional context value.
    pub fn from_option(context: Option<&'a Value>) -> Self {
        Self { context }
    }

    /// The whole context value, if any.
    pub fn value(&self) -> Option<&'a Value> {
        self.context
    }

    /// One top-level entry of the context object.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.context.and_then(|c| c.get(key))
    }

    /// One top-level entry, deserialized into `T`; `None` if absent or of another shape.
    pub fn get_as<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}

/// One segment of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// An object property (a field's wire name).
    Field(String),
    /// An array index.
    Index(usize),
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Where the failure is, as segments from the root.
    pub path: Vec<PathSegment>,
    /// What is wrong, phrased for the model to fix it.
    pub message: String,
    /// The JSON Schema keyword (or `"custom"`) that failed.
    pub keyword: &'static str,
}

impl ValidationError {
    /// The path rendered as `addresses[1].city` (empty at the root).
    pub fn path_string(&self) -> String {
        render_path(&self.path)
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path_string(), self.message)
        }
    }
}

/// Every failure found in one value (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationErrors {
    errors: Vec<ValidationError>,
}

impl ValidationErrors {
    /// Appends `other`'s failures.
    pub(crate) fn extend(&mut self, other: ValidationErrors) {
        self.errors.extend(other.errors);
    }

    /// The individual failures, in the order they were found.
    pub fn errors(&self) -> &[ValidationError] {
        &self.errors
    }

    /// How many failures there are.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// A single failure at the root.
    pub fn single(message: impl Into<String>) -> Self {
        Self {
            errors: vec![ValidationError {
                path: Vec::new(),
                message: message.into(),
                keyword: "custom",
            }],
        }
    }
}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(
            f,
            "{n} validation error{} found:",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            if i + 1 < n {
                writeln!(f, "- {e}")?;
            } else {
                write!(f, "- {e}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

fn render_path(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSegment::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            PathSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Walks a value, keeping the current path, and collects failures.
#[derive(Debug)]
pub struct Validator<'a> {
    context: &'a ValidationContext<'a>,
    path: Vec<PathSegment>,
    errors: Vec<ValidationError>,
}

impl<'a> Validator<'a> {
    /// A validator at the root with no failures yet.
    pub fn new(context: &'a ValidationContext<'a>) -> Self {
        Self {
            context,
            path: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The request context available to custom validators.
    pub fn context(&self) -> &'a ValidationContext<'a> {
        self.context
    }

    /// Runs `f` with `name` appended to the path.
    pub fn at_field(&mut self, name: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(PathSegment::Field(name.to_owned()));
        f(self);
        self.path.pop();
    }

    /// Runs `f` with `[index]` appended to the path.
    pub fn at_index(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        self.path.push(PathSegment::Index(index));
        f(self);
        self.path.pop();
    }

    /// Records a failure at the current path.
    pub fn report(&mut self, keyword: &'static str, message: impl Into<String>) {
        self.errors.push(ValidationError {
            path: self.path.clone(),
            message: message.into(),
            keyword,
        });
    }

    /// Records failures found by a separate walk of the value at the current path
    /// (their paths are relative to it).
    pub(crate) fn absorb(&mut self, errors: &ValidationErrors) {
        for error in &errors.errors {
            let mut path = self.path.clone();
            path.extend(error.path.iter().cloned());
            self.errors.push(ValidationError {
                path,
                message: error.message.clone(),
                keyword: error.keyword,
            });
        }
    }

    /// Whether no failure has been reported so far.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Ends the walk: `Ok` when nothing failed, otherwise every failure.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors {
                errors: self.errors,
            })
        }
    }
}
