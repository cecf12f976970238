//! Built-in constraints. Each one both writes its JSON Schema keyword and checks
//! values at run time, so the schema the model sees and the check applied to its
//! answer cannot drift apart.

use std::cmp::Ordering;
use std::fmt;

use regex::Regex;
use serde_json::Value;

use super::Format;
use crate::schema::Schema;

/// A JSON number as written in a constraint or a value: exact for integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer, exact.
    Int(i128),
    /// A floating-point number.
    Float(f64),
}

impl Number {
    /// Reads a JSON number.
    pub fn from_json(n: &serde_json::Number) -> Self {
        if let Some(i) = n.as_i64() {
            Self::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            Self::Int(i128::from(u))
        } else {
            Self::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    /// The number as a JSON value (non-finite floats become `null`).
    pub fn to_json(self) -> Value {
        match self {
            Self::Int(i) => i64::try_from(i)
                .map(Value::from)
                .or_else(|_| u64::try_from(i).map(Value::from))
                .unwrap_or_else(|_| Value::from(i as f64)),
            Self::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }

    fn compare(self, other: Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    /// Exact where possible: integers as integers, decimals by scaling both numbers
    /// to integers of their shortest decimal form; a float fallback only when that
    /// overflows (and then only an exact integral quotient passes).
    fn is_multiple_of(self, divisor: Self) -> bool {
        match (self.decimal(), divisor.decimal()) {
            (Some((_, _)), Some((0, _))) => false,
            (Some((a, sa)), Some((b, sb))) => {
                let scale = sa.max(sb);
                let lift =
                    |m: i128, s: u32| 10i128.checked_pow(scale - s).and_then(|f| m.checked_mul(f));
                match (lift(a, sa), lift(b, sb)) {
                    (Some(a), Some(b)) => a % b == 0,
                    _ => self.float_multiple(divisor),
                }
            }
            _ => self.float_multiple(divisor),
        }
    }

    fn float_multiple(self, divisor: Self) -> bool {
        let q = self.as_f64() / divisor.as_f64();
        q.is_finite() && q.fract() == 0.0
    }

    /// The number as `mantissa / 10^scale`, from its shortest decimal form.
    fn decimal(self) -> Option<(i128, u32)> {
        match self {
            Self::Int(i) => Some((i, 0)),
            Self::Float(f) if f.is_finite() => {
                let text = format!("{f}");
                let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
                let digits = format!("{int}{frac}");
                if digits.trim_start_matches('-').len() > 36 {
                    return None;
                }
                Some((digits.parse().ok()?, u32::try_from(frac.len()).ok()?))
            }
            Self::Float(_) => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A regular expression constraint; the pattern was checked at compile time by the
/// derive, and an invalid one is reported as a validation failure, never a panic.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Result<Regex, String>,
}

impl Pattern {
    /// Compiles the pattern (search semantics, as JSON Schema's `pattern`), with
    /// ECMA-262's ASCII meaning of `\d` and `\w` and its set for `\s`.
    pub fn new(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            regex: Regex::new(&ecma_classes(source)).map_err(|e| e.to_string()),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Why the pattern does not compile, if it does not.
    pub fn error(&self) -> Option<&str> {
        self.regex.as_ref().err().map(String::as_str)
    }
}

/// One built-in constraint with its bound.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Constraint {
    /// `pattern`: text must match the regular expression somewhere.
    Pattern(Pattern),
    /// `minLength`, in Unicode scalar values.
    MinLength(u64),
    /// `maxLength`, in Unicode scalar values.
    MaxLength(u64),
    /// `minimum` (inclusive).
    Minimum(Number),
    /// `maximum` (inclusive).
    Maximum(Number),
    /// `exclusiveMinimum`.
    ExclusiveMinimum(Number),
    /// `exclusiveMaximum`.
    ExclusiveMaximum(Number),
    /// `multipleOf`.
    MultipleOf(Number),
    /// `minItems`.
    MinItems(u64),
    /// `maxItems`.
    MaxItems(u64),
    /// `uniqueItems: true`.
    UniqueItems,
    /// `format`.
    Format(Format),
    /// `enum`: the value must equal one of these literals.
    OneOf(Vec<Value>),
}

impl Constraint {
    /// A `pattern` constraint.
    pub fn pattern(source: &str) -> Self {
        Self::Pattern(Pattern::new(source))
    }

    /// The JSON Schema keyword this constraint writes.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::Pattern(_) => "pattern",
            Self::MinLength(_) => "minLength",
            Self::MaxLength(_) => "maxLength",
            Self::Minimum(_) => "minimum",
            Self::Maximum(_) => "maximum",
            Self::ExclusiveMinimum(_) => "exclusiveMinimum",
            Self::ExclusiveMaximum(_) => "exclusiveMaximum",
            Self::MultipleOf(_) => "multipleOf",
            Self::MinItems(_) => "minItems",
            Self::MaxItems(_) => "maxItems",
            Self::UniqueItems => "uniqueItems",
            Self::Format(_) => "format",
            Self::OneOf(_) => "enum",
        }
    }

    /// Writes the keyword into `schema`. Bounds combine with a bound already there
    /// (such as an integer type's natural range) by keeping the tighter one.
    pub fn apply_to(&self, schema: &mut Schema) {
        let keyword = self.keyword();
        let value = match self {
            Self::Pattern(p) => Value::from(p.as_str()),
            Self::MinLength(n) | Self::MinItems(n) => {
                Value::from(tighter(schema.get(keyword), *n, Ordering::Greater))
            }
            Self::MaxLength(n) | Self::MaxItems(n) => {
                Value::from(tighter(schema.get(keyword), *n, Ordering::Less))
            }
            Self::Minimum(n) | Self::ExclusiveMinimum(n) => {
                tighter_number(schema.get(keyword), *n, Ordering::Greater)
            }
            Self::Maximum(n) | Self::ExclusiveMaximum(n) => {
                tighter_number(schema.get(keyword), *n, Ordering::Less)
            }
            Self::MultipleOf(n) => n.to_json(),
            Self::UniqueItems => Value::Bool(true),
            Self::Format(f) => Value::from(f.as_str()),
            Self::OneOf(values) => {
                let mut values = values.clone();
                if schema.is_nullable() && !values.contains(&Value::Null) {
                    values.push(Value::Null);
                }
                Value::Array(values)
            }
        };
        schema.insert(keyword, value);
    }

    /// Checks a text value. Constraints that do not concern text pass.
    pub fn check_text(&self, text: &str) -> Result<(), String> {
        match self {
            Self::Pattern(p) => match &p.regex {
                Ok(re) if re.is_match(text) => Ok(()),
                Ok(_) => Err(format!(
                    "must match the pattern `{}` (got {})",
                    p.source,
                    quote(text)
                )),
                Err(e) => Err(format!("cannot be checked: invalid pattern: {e}")),
            },
            Self::MinLength(min) => {
                let len = char_count(text);
                ensure(len >= *min, || {
                    format!(
                        "must be at least {min} character{} long (got {len})",
                        plural(*min)
                    )
                })
            }
            Self::MaxLength(max) => {
                let len = char_count(text);
                ensure(len <= *max, || {
                    format!(
                        "must be at most {max} character{} long (got {len})",
                        plural(*max)
                    )
                })
            }
            Self::Format(format) => ensure(format.is_valid(text), || {
                format!("must be {} (got {})", format.describe(), quote(text))
            }),
            Self::OneOf(_) => self.check_json(&Value::from(text)),
            _ => Ok(()),
        }
    }

    /// Checks a number. Constraints that do not concern numbers pass.
    pub fn check_number(&self, n: Number) -> Result<(), String> {
        let cmp = |bound: &Number| n.compare(*bound);
        match self {
            Self::Minimum(b) => ensure(
                matches!(cmp(b), Some(Ordering::Greater | Ordering::Equal)),
                || format!("must be greater than or equal to {b} (got {n})"),
            ),
            Self::Maximum(b) => ensure(
                matches!(cmp(b), Some(Ordering::Less | Ordering::Equal)),
                || format!("must be less than or equal to {b} (got {n})"),
            ),
            Self::ExclusiveMinimum(b) => ensure(cmp(b) == Some(Ordering::Greater), || {
                format!("must be greater than {b} (got {n})")
            }),
            Self::ExclusiveMaximum(b) => ensure(cmp(b) == Some(Ordering::Less), || {
                format!("must be less than {b} (got {n})")
            }),
            Self::MultipleOf(b) => ensure(n.is_multiple_of(*b), || {
                format!("must be a multiple of {b} (got {n})")
            }),
            Self::OneOf(_) => self.check_json(&n.to_json()),
            _ => Ok(()),
        }
    }

    /// Checks a list given its length and, for `uniqueItems`, the first pair of
    /// equal items (computed lazily). Constraints that do not concern lists pass.
    pub fn check_items(
        &self,
        len: usize,
        first_duplicate: impl FnOnce() -> Option<(usize, usize)>,
    ) -> Result<(), String> {
        let len = len as u64;
        match self {
            Self::MinItems(min) => ensure(len >= *min, || {
                format!("must have at least {min} item{} (got {len})", plural(*min))
            }),
            Self::MaxItems(max) => ensure(len <= *max, || {
                format!("must have at most {max} item{} (got {len})", plural(*max))
            }),
            Self::UniqueItems => match first_duplicate() {
                None => Ok(()),
                Some((a, b)) => Err(format!(
                    "must not contain duplicate items (items {a} and {b} are equal)"
                )),
            },
            _ => Ok(()),
        }
    }

    /// Checks any JSON value, as a JSON Schema validator would for this keyword alone:
    /// a keyword that does not concern the value's type passes.
    pub fn check_json(&self, value: &Value) -> Result<(), String> {
        match (self, value) {
            (Self::OneOf(allowed), v) => ensure(allowed.iter().any(|a| json_equal(a, v)), || {
                let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
                format!("must be one of {} (got {v})", list.join(", "))
            }),
            (_, Value::String(s)) => self.check_text(s),
            (_, Value::Number(n)) => self.check_number(Number::from_json(n)),
            (_, Value::Array(items)) => {
                self.check_items(items.len(), || first_duplicate_by(items, json_equal))
            }
            _ => Ok(()),
        }
    }
}

/// JSON equality as JSON Schema defines it: numbers by value (`1 == 1.0`), objects
/// regardless of key order.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            Number::from_json(x).compare(Number::from_json(y)) == Some(Ordering::Equal)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// The first pair of indexes whose items are equal under `eq`.
pub(crate) fn first_duplicate_by<T>(
    items: &[T],
    eq: impl Fn(&T, &T) -> bool,
) -> Option<(usize, usize)> {
    items.iter().enumerate().find_map(|(i, a)| {
        items[i + 1..]
            .iter()
            .position(|b| eq(a, b))
            .map(|j| (i, i + 1 + j))
    })
}

/// ECMA-262 whitespace (`\s`): not Unicode's White_Space (it has U+FEFF, not U+0085).
const ECMA_SPACE: &str = r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// Rewrites `\d`, `\w`, `\s` (and their negations outside classes) to the sets
/// JSON Schema's ECMA-262 dialect means; the `regex` crate's are Unicode-wide.
fn ecma_classes(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut chars = source.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let set = match next {
                    'd' | 'D' => "0-9".to_owned(),
                    'w' | 'W' => "A-Za-z0-9_".to_owned(),
                    's' | 'S' => ECMA_SPACE.to_owned(),
                    other => {
                        out.push('\\');
                        out.push(other);
                        continue;
                    }
                };
                let negated = next.is_ascii_uppercase();
                match (in_class, negated) {
                    (true, false) => out.push_str(&set),
                    (true, true) => {
                        // A negated class inside a class keeps its Unicode meaning.
                        out.push('\\');
                        out.push(next);
                    }
                    (false, false) => out.push_str(&format!("[{set}]")),
                    (false, true) => out.push_str(&format!("[^{set}]")),
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A leading `]` or `^]` is literal.
                let rest = chars.as_str();
                if let Some(stripped) = rest.strip_prefix("^]") {
                    out.push_str("^]");
                    chars = stripped.chars();
                } else if let Some(stripped) = rest.strip_prefix(']') {
                    out.push(']');
                    chars = stripped.chars();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn tighter(existing: Option<&Value>, new: u64, keep: Ordering) -> u64 {
    match existing.and_then(Value::as_u64) {
        Some(old) if old.cmp(&new) == keep => old,
        _ => new,
    }
}

fn tighter_number(existing: Option<&Value>, new: Number, keep: Ordering) -> Value {
    match existing.and_then(|v| v.as_number()).map(Number::from_json) {
        Some(old) if old.compare(new) == Some(keep) => old.to_json(),
        _ => new.to_json(),
    }
}

fn ensure(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

fn char_count(text: &str) -> u64 {
    text.chars().count() as u64
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Quotes a value for a message, shortening very long text.
fn quote(text: &str) -> String {
    const LIMIT: usize = 80;
    if text.chars().count() <= LIMIT {
        Value::from(text).to_string()
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{}...", Value::from(head))
    }
}
