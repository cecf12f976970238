//! Field options: the built-in constraints, `validate = path`, `description`,
//! `example(s)`.
//!
//! ```text
//! #[instruct(pattern = r"^\d+$", min_length = 1, max_length = 10)]
//! #[instruct(range(min = 0, max = 150), multiple_of = 5)]
//! #[instruct(min_items = 1, max_items = 3, unique_items)]
//! #[instruct(format = "email", one_of = ["a", "b"], validate = path::to_fn)]
//! #[instruct(description = "...", example = "x", examples = ["x", "y"])]
//! ```

use proc_macro2::Span;
use quote::ToTokens;
use syn::ExprPath;

use super::{
    Doc, NumLit, SeenKeys, Spanned, doc_comment, expr_json, expr_number, for_each_instruct_meta,
    key_name, key_span, parse_expr, parse_json_list, unknown_key,
};
use crate::ctxt::Ctxt;
use crate::symbol::{FIELD_KEYS, FORMATS, RANGE_KEYS, did_you_mean};

/// One built-in constraint as written.
#[derive(Clone)]
pub(crate) enum ConstraintSpec {
    Pattern(String),
    MinLength(u64),
    MaxLength(u64),
    Minimum(NumLit),
    Maximum(NumLit),
    ExclusiveMinimum(NumLit),
    ExclusiveMaximum(NumLit),
    MultipleOf(NumLit),
    MinItems(u64),
    MaxItems(u64),
    UniqueItems,
    Format(String),
    OneOf(Vec<String>),
}

/// Which values a constraint applies to (decides the compile-time type check).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Text,
    Number,
    Items,
    UniqueItems,
    AnyValue,
}

impl ConstraintSpec {
    pub(crate) fn target(&self) -> Target {
        match self {
            Self::Pattern(_) | Self::MinLength(_) | Self::MaxLength(_) | Self::Format(_) => {
                Target::Text
            }
            Self::Minimum(_)
            | Self::Maximum(_)
            | Self::ExclusiveMinimum(_)
            | Self::ExclusiveMaximum(_)
            | Self::MultipleOf(_) => Target::Number,
            Self::MinItems(_) | Self::MaxItems(_) => Target::Items,
            Self::UniqueItems => Target::UniqueItems,
            Self::OneOf(_) => Target::AnyValue,
        }
    }
}

/// Options set on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) description: Option<Doc>,
    pub(crate) constraints: Vec<Spanned<ConstraintSpec>>,
    pub(crate) validators: Vec<ExprPath>,
    pub(crate) examples: Vec<String>,
    /// The first `#[instruct]` key, for errors about the field's options as a whole.
    pub(crate) first_key: Option<Span>,
}

impl FieldAttrs {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut out = Self {
            description: doc_comment(attrs),
            ..Self::default()
        };
        let mut seen = SeenKeys::default();
        for_each_instruct_meta(cx, attrs, |meta| {
            let key = key_name(meta);
            out.first_key.get_or_insert_with(|| key_span(meta));
            let repeatable = matches!(key.as_str(), "validate" | "example");
            if !repeatable && FIELD_KEYS.contains(&key.as_str()) && !seen.first_use(cx, meta, &key)
            {
                super::skip_value(meta);
                return Ok(());
            }
            out.parse_key(cx, meta, &key)
        });
        out
    }

    fn push(
        &mut self,
        meta: &syn::meta::ParseNestedMeta<'_>,
        value_tokens: proc_macro2::TokenStream,
        spec: ConstraintSpec,
    ) {
        self.constraints.push(Spanned {
            value: spec,
            key: key_span(meta),
            value_tokens,
        });
    }

    fn parse_key(
        &mut self,
        cx: &Ctxt,
        meta: &syn::meta::ParseNestedMeta<'_>,
        key: &str,
    ) -> syn::Result<()> {
        match key {
            "pattern" => {
                let lit = expect_str(
                    meta,
                    r#"`pattern` expects a string literal: `pattern = r"^\d+$"`"#,
                )?;
                if let Err(err) = regex::Regex::new(&lit.value()) {
                    cx.error_spanned_by(
                        &lit,
                        format!(
                            "invalid regular expression in `pattern`: {}",
                            one_line(&err.to_string())
                        ),
                    );
                }
                self.push(
                    meta,
                    lit.to_token_stream(),
                    ConstraintSpec::Pattern(lit.value()),
                );
            }
            "min_length" | "max_length" | "min_items" | "max_items" => {
                let expr = parse_expr(meta)?;
                let usage = format!("`{key}` expects a non-negative integer: `{key} = 2`");
                let number =
                    expr_number(&expr).map_err(|_| syn::Error::new_spanned(&expr, &usage))?;
                let n = match number {
                    NumLit::Int(i) if i >= 0 => {
                        u64::try_from(i).map_err(|_| syn::Error::new_spanned(&expr, "too large"))?
                    }
                    _ => return Err(syn::Error::new_spanned(&expr, usage)),
                };
                let spec = match key {
                    "min_length" => ConstraintSpec::MinLength(n),
                    "max_length" => ConstraintSpec::MaxLength(n),
                    "min_items" => ConstraintSpec::MinItems(n),
                    _ => ConstraintSpec::MaxItems(n),
                };
                self.push(meta, expr.to_token_stream(), spec);
            }
            "exclusive_minimum" | "exclusive_maximum" | "multiple_of" => {
                let expr = parse_expr(meta)?;
                let n = expr_number(&expr)?;
                let spec = match key {
                    "exclusive_minimum" => ConstraintSpec::ExclusiveMinimum(n),
                    "exclusive_maximum" => ConstraintSpec::ExclusiveMaximum(n),
                    _ => {
                        if n.as_f64() <= 0.0 || !n.as_f64().is_finite() {
                            cx.error_spanned_by(&expr, "`multiple_of` must be greater than 0");
                        }
                        ConstraintSpec::MultipleOf(n)
                    }
                };
                self.push(meta, expr.to_token_stream(), spec);
            }
            "range" => self.parse_range(cx, meta)?,
            "unique_items" => {
                if meta.input.peek(syn::Token![=]) {
                    return Err(meta.error("`unique_items` takes no value: write `unique_items`"));
                }
                self.push(
                    meta,
                    meta.path.to_token_stream(),
                    ConstraintSpec::UniqueItems,
                );
            }
            "format" => {
                let lit = expect_str(
                    meta,
                    r#"`format` expects a string literal: `format = "email"`"#,
                )?;
                let name = lit.value();
                if !FORMATS.contains(&name.as_str()) {
                    let hint = did_you_mean(&name, FORMATS)
                        .map(|s| format!("did you mean \"{s}\"? "))
                        .unwrap_or_default();
                    cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown format \"{name}\"; {hint}expected one of: {}",
                            FORMATS.join(", ")
                        ),
                    );
                }
                self.push(meta, lit.to_token_stream(), ConstraintSpec::Format(name));
            }
            "one_of" => {
                let tokens = meta.path.to_token_stream();
                let values: Vec<String> =
                    parse_json_list(meta)?.into_iter().map(|(j, _)| j).collect();
                if values.is_empty() {
                    return Err(meta.error("`one_of` needs at least one allowed value"));
                }
                self.push(meta, tokens, ConstraintSpec::OneOf(values));
            }
            "validate" => self.validators.push(meta.value()?.parse()?),
            "description" => {
                let lit = expect_str(
                    meta,
                    r#"`description` expects a string literal: `description = "..."`"#,
                )?;
                self.description = Some(Doc::Text(lit.value()));
            }
            "example" => self.examples.push(expr_json(&parse_expr(meta)?)?),
            "examples" => self
                .examples
                .extend(parse_json_list(meta)?.into_iter().map(|(j, _)| j)),
            _ => unknown_key(cx, meta, "field", FIELD_KEYS),
        }
        Ok(())
    }

    /// `range(min = X, max = Y)`, either bound optional.
    fn parse_range(&mut self, cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
        const USAGE: &str = "`range` needs `min`, `max` or both: `range(min = 0, max = 10)`";
        if !meta.input.peek(syn::token::Paren) {
            return Err(meta.error(USAGE));
        }
        if meta
            .input
            .fork()
            .step(
                |cursor| match cursor.group(proc_macro2::Delimiter::Parenthesis) {
                    Some((inside, _, rest)) if inside.eof() => Ok(((), rest)),
                    _ => Err(cursor.error("not empty")),
                },
            )
            .is_ok()
        {
            let _ = meta.input.parse::<proc_macro2::TokenTree>();
            return Err(meta.error(USAGE));
        }
        let mut seen = SeenKeys::default();
        let mut any = false;
        meta.parse_nested_meta(|inner| {
            let key = key_name(&inner);
            if RANGE_KEYS.contains(&key.as_str()) && !seen.first_use(cx, &inner, &key) {
                super::skip_value(&inner);
                return Ok(());
            }
            let spec: fn(NumLit) -> ConstraintSpec = match key.as_str() {
                "min" => ConstraintSpec::Minimum,
                "max" => ConstraintSpec::Maximum,
                _ => {
                    unknown_key(cx, &inner, "range", RANGE_KEYS);
                    return Ok(());
                }
            };
            let expr = parse_expr(&inner)?;
            let n = expr_number(&expr)?;
            any = true;
            self.constraints.push(Spanned {
                value: spec(n),
                key: key_span(meta),
                value_tokens: expr.to_token_stream(),
            });
            Ok(())
        })?;
        if !any {
            cx.error_spanned_by(
                &meta.path,
                "`range` needs `min`, `max` or both: `range(min = 0, max = 10)`",
            );
        }
        Ok(())
    }
}

/// `key = "text"`, or an error with `usage` at the value.
fn expect_str(meta: &syn::meta::ParseNestedMeta<'_>, usage: &str) -> syn::Result<syn::LitStr> {
    let expr = parse_expr(meta)?;
    match &expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s.clone()),
        _ => Err(syn::Error::new_spanned(expr, usage)),
    }
}

/// The regex crate's diagnosis without its source echo and caret line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || message.lines().map(str::trim).collect::<Vec<_>>().join(" "),
            str::to_owned,
        )
}
