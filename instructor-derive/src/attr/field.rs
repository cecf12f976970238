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

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ExprPath;
use syn::meta::ParseNestedMeta;

use super::{
    Attr, Doc, NumLit, Spanned, StreamControls, doc_comment, expr_json, expr_number,
    for_each_instruct_meta, key_span, parse_expr, parse_json_list, unknown_key,
};
use crate::ctxt::Ctxt;
use crate::symbol::{
    DESCRIPTION, EXAMPLE, EXAMPLES, EXCLUSIVE_MAXIMUM, EXCLUSIVE_MINIMUM, FIELD_KEYS, FORMAT, MAX,
    MAX_ITEMS, MAX_LENGTH, MIN, MIN_ITEMS, MIN_LENGTH, MULTIPLE_OF, ONE_OF, PATTERN, RANGE,
    RANGE_KEYS, STREAM, TITLE, TRANSFORM, UNIQUE_ITEMS, VALIDATE, did_you_mean,
};

/// A `format = ".."` name, parsed once here; code generation maps it to the runtime's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Email,
    Uri,
    Uuid,
    Date,
    DateTime,
    Ipv4,
    Ipv6,
}

impl Format {
    /// Every format with its attribute spelling, in the order messages list them.
    const ALL: [(&'static str, Self); 7] = [
        ("email", Self::Email),
        ("uri", Self::Uri),
        ("uuid", Self::Uuid),
        ("date", Self::Date),
        ("date-time", Self::DateTime),
        ("ipv4", Self::Ipv4),
        ("ipv6", Self::Ipv6),
    ];

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    fn names() -> impl Iterator<Item = &'static str> {
        Self::ALL.iter().map(|(n, _)| *n)
    }
}

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
    Format(Format),
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
pub(crate) struct FieldAttrs {
    /// `title = "..."`: the property schema's `title`.
    pub(crate) title: Option<String>,
    pub(crate) description: Option<Doc>,
    pub(crate) constraints: Vec<Spanned<ConstraintSpec>>,
    pub(crate) validators: Vec<ExprPath>,
    /// `transform = path::to_fn` (repeatable, run in order before any check).
    pub(crate) transforms: Vec<ExprPath>,
    pub(crate) examples: Vec<String>,
    /// `stream(done, not_null)`.
    pub(crate) stream: StreamControls,
    /// The first `#[instruct]` key, for errors about the field's options as a whole.
    pub(crate) first_key: Option<Span>,
}

impl FieldAttrs {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut title = Attr::none(TITLE);
        let mut description = Attr::none(DESCRIPTION);
        let mut examples = Attr::none(EXAMPLES);
        let mut out = Self {
            title: None,
            description: None,
            constraints: Vec::new(),
            validators: Vec::new(),
            transforms: Vec::new(),
            examples: Vec::new(),
            stream: StreamControls::default(),
            first_key: None,
        };
        for_each_instruct_meta(cx, attrs, |meta| {
            out.first_key.get_or_insert_with(|| key_span(meta));
            let path = &meta.path;
            if *path == TRANSFORM {
                out.transforms.push(meta.value()?.parse()?);
            } else if *path == STREAM {
                out.stream.parse(cx, meta)?;
            } else if *path == TITLE {
                let lit = expect_str(meta, r#"`title` expects a string literal: `title = "..."`"#)?;
                title.set(cx, path, lit.value());
            } else if *path == DESCRIPTION {
                let lit = expect_str(
                    meta,
                    r#"`description` expects a string literal: `description = "..."`"#,
                )?;
                description.set(cx, path, Doc::Text(lit.value()));
            } else if *path == EXAMPLES {
                let list: Vec<String> =
                    parse_json_list(meta)?.into_iter().map(|(j, _)| j).collect();
                examples.set(cx, path, list);
            } else {
                out.parse_key(cx, meta)?;
            }
            Ok(())
        });
        description.set_if_none(doc_comment(attrs));
        out.title = title.get();
        out.description = description.get();
        out.examples.extend(examples.get().unwrap_or_default());
        out
    }

    /// Adds a constraint written at `meta`'s key.
    fn push(
        &mut self,
        cx: &Ctxt,
        meta: &ParseNestedMeta<'_>,
        value_tokens: TokenStream,
        spec: ConstraintSpec,
    ) {
        self.push_at(cx, &meta.path, key_span(meta), value_tokens, spec);
    }

    /// Adds a constraint; a second one of the same kind is a duplicate key, reported
    /// at that key (the list is the slot: one entry per kind).
    fn push_at(
        &mut self,
        cx: &Ctxt,
        key: &syn::Path,
        key_span: Span,
        value_tokens: TokenStream,
        spec: ConstraintSpec,
    ) {
        let kind = std::mem::discriminant(&spec);
        if self
            .constraints
            .iter()
            .any(|c| std::mem::discriminant(&c.value) == kind)
        {
            let name = key
                .get_ident()
                .map_or_else(|| key.to_token_stream().to_string(), ToString::to_string);
            cx.error_spanned_by(key, format!("duplicate instruct attribute `{name}`"));
            return;
        }
        self.constraints.push(Spanned {
            value: spec,
            key: key_span,
            value_tokens,
        });
    }

    fn parse_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let path = &meta.path;
        if *path == PATTERN {
            self.parse_pattern(cx, meta)?;
        } else if let Some(key) = [MIN_LENGTH, MAX_LENGTH, MIN_ITEMS, MAX_ITEMS]
            .into_iter()
            .find(|k| *path == *k)
        {
            let expr = parse_expr(meta)?;
            let usage = format!("`{key}` expects a non-negative integer: `{key} = 2`");
            let number = expr_number(&expr).map_err(|_| syn::Error::new_spanned(&expr, &usage))?;
            let n = match number {
                NumLit::Int(i) if i >= 0 => {
                    u64::try_from(i).map_err(|_| syn::Error::new_spanned(&expr, "too large"))?
                }
                _ => return Err(syn::Error::new_spanned(&expr, usage)),
            };
            let spec = match key.as_str() {
                "min_length" => ConstraintSpec::MinLength(n),
                "max_length" => ConstraintSpec::MaxLength(n),
                "min_items" => ConstraintSpec::MinItems(n),
                _ => ConstraintSpec::MaxItems(n),
            };
            self.push(cx, meta, expr.to_token_stream(), spec);
        } else if *path == EXCLUSIVE_MINIMUM || *path == EXCLUSIVE_MAXIMUM || *path == MULTIPLE_OF {
            let expr = parse_expr(meta)?;
            let n = expr_number(&expr)?;
            let spec = if *path == EXCLUSIVE_MINIMUM {
                ConstraintSpec::ExclusiveMinimum(n)
            } else if *path == EXCLUSIVE_MAXIMUM {
                ConstraintSpec::ExclusiveMaximum(n)
            } else {
                if n.as_f64() <= 0.0 || !n.as_f64().is_finite() {
                    cx.error_spanned_by(&expr, "`multiple_of` must be greater than 0");
                }
                ConstraintSpec::MultipleOf(n)
            };
            self.push(cx, meta, expr.to_token_stream(), spec);
        } else if *path == RANGE {
            self.parse_range(cx, meta)?;
        } else if *path == UNIQUE_ITEMS {
            if meta.input.peek(syn::Token![=]) {
                return Err(meta.error("`unique_items` takes no value: write `unique_items`"));
            }
            self.push(
                cx,
                meta,
                path.to_token_stream(),
                ConstraintSpec::UniqueItems,
            );
        } else if *path == FORMAT {
            self.parse_format(cx, meta)?;
        } else if *path == ONE_OF {
            let tokens = path.to_token_stream();
            let values: Vec<String> = parse_json_list(meta)?.into_iter().map(|(j, _)| j).collect();
            if values.is_empty() {
                return Err(meta.error("`one_of` needs at least one allowed value"));
            }
            self.push(cx, meta, tokens, ConstraintSpec::OneOf(values));
        } else if *path == VALIDATE {
            self.validators.push(meta.value()?.parse()?);
        } else if *path == EXAMPLE {
            self.examples.push(expr_json(&parse_expr(meta)?)?);
        } else {
            unknown_key(cx, meta, "field", FIELD_KEYS);
        }
        Ok(())
    }

    /// `pattern = r"..."`, the regex compiled now so a bad one fails the build.
    fn parse_pattern(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
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
            cx,
            meta,
            lit.to_token_stream(),
            ConstraintSpec::Pattern(lit.value()),
        );
        Ok(())
    }

    /// `format = "email"`, one of [`Format::ALL`].
    fn parse_format(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let lit = expect_str(
            meta,
            r#"`format` expects a string literal: `format = "email"`"#,
        )?;
        let name = lit.value();
        match Format::from_name(&name) {
            Some(format) => {
                self.push(
                    cx,
                    meta,
                    lit.to_token_stream(),
                    ConstraintSpec::Format(format),
                );
            }
            None => {
                let hint = did_you_mean(&name, Format::names())
                    .map(|s| format!("did you mean \"{s}\"? "))
                    .unwrap_or_default();
                let list = Format::names().collect::<Vec<_>>().join(", ");
                cx.error_spanned_by(
                    &lit,
                    format!("unknown format \"{name}\"; {hint}expected one of: {list}"),
                );
            }
        }
        Ok(())
    }

    /// `range(min = X, max = Y)`, either bound optional.
    fn parse_range(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
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
        let mut any = false;
        let range_key = key_span(meta);
        meta.parse_nested_meta(|inner| {
            let spec: fn(NumLit) -> ConstraintSpec = if inner.path == MIN {
                ConstraintSpec::Minimum
            } else if inner.path == MAX {
                ConstraintSpec::Maximum
            } else {
                unknown_key(cx, &inner, "range", RANGE_KEYS);
                return Ok(());
            };
            let expr = parse_expr(&inner)?;
            let n = expr_number(&expr)?;
            any = true;
            self.push_at(cx, &inner.path, range_key, expr.to_token_stream(), spec(n));
            Ok(())
        })?;
        if !any {
            cx.error_spanned_by(&meta.path, USAGE);
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
