//! Attribute parsing: `#[instruct(...)]` syntax into typed options. Errors are
//! reported into the [`Ctxt`] at the narrowest token; nothing here emits code.

pub(crate) mod container;
pub(crate) mod field;
pub(crate) mod variant;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Expr, Lit, LitStr, UnOp};

use crate::ctxt::Ctxt;
use crate::symbol::{DONE, NOT_NULL, STREAM_KEYS, Symbol, unknown_key_message};

/// A numeric literal from an attribute, kept exact for integers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum NumLit {
    Int(i128),
    Float(f64),
}

impl NumLit {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }
}

/// A value together with the tokens that set it, for precise error spans.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) key: Span,
    pub(crate) value_tokens: TokenStream,
}

/// A typed attribute slot that remembers the tokens that set it, so a repeated key
/// is reported at its second occurrence (serde's `Attr<T>`).
pub(crate) struct Attr<T> {
    name: Symbol,
    value: Option<T>,
}

impl<T> Attr<T> {
    pub(crate) fn none(name: Symbol) -> Self {
        Self { name, value: None }
    }

    /// Sets the value, or reports a duplicate at `obj` (the repeated key).
    pub(crate) fn set<A: ToTokens>(&mut self, cx: &Ctxt, obj: A, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(obj, format!("duplicate instruct attribute `{}`", self.name));
        } else {
            self.value = Some(value);
        }
    }

    /// Sets the value unless already set (a default that an explicit key overrides).
    pub(crate) fn set_if_none(&mut self, value: Option<T>) {
        if self.value.is_none() {
            self.value = value;
        }
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// A key without a value (`strict`), remembering where it was written.
pub(crate) struct BoolAttr(Attr<Span>);

impl BoolAttr {
    pub(crate) fn none(name: Symbol) -> Self {
        Self(Attr::none(name))
    }

    pub(crate) fn set_true(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) {
        self.0.set(cx, &meta.path, key_span(meta));
    }

    /// Where the key was written, if it was.
    pub(crate) fn get(self) -> Option<Span> {
        self.0.get()
    }
}

/// `stream(done)`, `stream(not_null)` or `stream(done, not_null)`, on a field or a
/// container: where each was written.
#[derive(Clone, Copy, Default)]
pub(crate) struct StreamControls {
    /// `done`: shown only once complete.
    pub(crate) done: Option<Span>,
    /// `not_null`: the parent is shown only once this has a value.
    pub(crate) not_null: Option<Span>,
}

impl StreamControls {
    /// Whether any control was written.
    pub(crate) fn any(self) -> bool {
        self.done.is_some() || self.not_null.is_some()
    }

    /// The first control written, for errors about them as a whole.
    pub(crate) fn span(self) -> Option<Span> {
        self.done.or(self.not_null)
    }

    /// Parses `stream(...)` at `meta`.
    pub(crate) fn parse(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        const USAGE: &str =
            "`stream` expects `stream(done)`, `stream(not_null)` or `stream(done, not_null)`";
        if !meta.input.peek(syn::token::Paren) {
            return Err(meta.error(USAGE));
        }
        let mut any = false;
        meta.parse_nested_meta(|inner| {
            let (slot, name) = if inner.path == DONE {
                (&mut self.done, DONE)
            } else if inner.path == NOT_NULL {
                (&mut self.not_null, NOT_NULL)
            } else {
                any = true;
                unknown_key(cx, &inner, "stream", STREAM_KEYS);
                return Ok(());
            };
            any = true;
            if !inner.input.is_empty() && !inner.input.peek(syn::Token![,]) {
                skip_value(&inner);
                return Err(inner.error(format!("`{name}` takes no value: write `stream({name})`")));
            }
            if slot.is_some() {
                cx.error_spanned_by(
                    &inner.path,
                    format!("duplicate instruct attribute `stream({name})`"),
                );
            } else {
                *slot = Some(key_span(&inner));
            }
            Ok(())
        })?;
        if !any {
            cx.error_spanned_by(&meta.path, USAGE);
        }
        Ok(())
    }
}

pub(crate) fn key_span(meta: &ParseNestedMeta<'_>) -> Span {
    meta.path
        .segments
        .first()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

pub(crate) fn key_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.get_ident().map_or_else(
        || meta.path.to_token_stream().to_string(),
        ToString::to_string,
    )
}

/// Reports an unknown key (with a suggestion) and skips its value.
pub(crate) fn unknown_key(cx: &Ctxt, meta: &ParseNestedMeta<'_>, position: &str, known: &[Symbol]) {
    cx.error_spanned_by(
        &meta.path,
        unknown_key_message(position, &key_name(meta), known),
    );
    skip_value(meta);
}

/// Consumes whatever follows a key (`= expr` or `(...)`) so parsing can go on.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) {
    if meta.input.peek(syn::Token![=]) {
        if let Ok(value) = meta.value() {
            let _ = value.parse::<Expr>();
        }
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|inner| {
            skip_value(&inner);
            Ok(())
        });
    }
}

/// After a bad value, drops the rest of it so the next key parses normally.
fn skip_to_comma(meta: &ParseNestedMeta<'_>) {
    while !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
        if meta.input.parse::<proc_macro2::TokenTree>().is_err() {
            break;
        }
    }
}

/// Parses `key = "text"`.
pub(crate) fn parse_lit_str(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse::<LitStr>()
}

/// Parses `key = <expr>` as an expression (kept with its tokens for spans).
pub(crate) fn parse_expr(meta: &ParseNestedMeta<'_>) -> syn::Result<Expr> {
    meta.value()?.parse::<Expr>()
}

/// Reads a (possibly negative) numeric literal expression.
pub(crate) fn expr_number(expr: &Expr) -> syn::Result<NumLit> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(i) => Ok(NumLit::Int(i.base10_parse::<i128>()?)),
            Lit::Float(f) => Ok(NumLit::Float(f.base10_parse::<f64>()?)),
            _ => Err(syn::Error::new_spanned(expr, "expected a number")),
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => match expr_number(&u.expr)? {
            NumLit::Int(i) => Ok(NumLit::Int(-i)),
            NumLit::Float(f) => Ok(NumLit::Float(-f)),
        },
        Expr::Group(g) => expr_number(&g.expr),
        _ => Err(syn::Error::new_spanned(expr, "expected a number literal")),
    }
}

/// Reads a literal expression as JSON text (strings, numbers, booleans).
pub(crate) fn expr_json(expr: &Expr) -> syn::Result<String> {
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(s) => Ok(json_string(&s.value())),
            Lit::Bool(b) => Ok(b.value().to_string()),
            Lit::Int(_) | Lit::Float(_) => expr_number(expr).map(num_json),
            _ => Err(syn::Error::new_spanned(
                expr,
                "expected a string, number or bool literal",
            )),
        },
        Expr::Unary(_) => expr_number(expr).map(num_json),
        Expr::Group(g) => expr_json(&g.expr),
        _ => Err(syn::Error::new_spanned(
            expr,
            "expected a string, number or bool literal",
        )),
    }
}

/// Reads `key = [lit, ...]` or `key(lit, ...)` as a list of JSON texts.
pub(crate) fn parse_json_list(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<(String, Span)>> {
    let exprs: Vec<Expr> = if meta.input.peek(syn::Token![=]) {
        match meta.value()?.parse::<Expr>()? {
            Expr::Array(array) => array.elems.into_iter().collect(),
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "expected a list such as [\"a\", \"b\"]",
                ));
            }
        }
    } else {
        let content;
        syn::parenthesized!(content in meta.input);
        content
            .parse_terminated(Expr::parse, syn::Token![,])?
            .into_iter()
            .collect()
    };
    exprs
        .iter()
        .map(|e| Ok((expr_json(e)?, syn::spanned::Spanned::span(e))))
        .collect()
}

use syn::parse::Parse;

fn num_json(n: NumLit) -> String {
    match n {
        NumLit::Int(i) => i.to_string(),
        NumLit::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => {
            format!("{f:.1}")
        }
        NumLit::Float(f) => format!("{f}"),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A doc comment (or `description = ..`) as an expression of type `&'static str`.
#[derive(Clone)]
pub(crate) enum Doc {
    /// Plain doc comments, cleaned at compile time.
    Text(String),
    /// Doc attributes that are not literals (`#[doc = include_str!(..)]`), joined with `concat!`.
    Exprs(Vec<Expr>),
}

/// Reads `///` comments: one leading space per line removed, lines joined, trimmed.
pub(crate) fn doc_comment(attrs: &[syn::Attribute]) -> Option<Doc> {
    let mut lines = Vec::new();
    let mut exprs = Vec::new();
    let mut all_literal = true;
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        exprs.push(nv.value.clone());
        match &nv.value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => {
                let line = s.value();
                lines.push(
                    line.strip_prefix(' ')
                        .unwrap_or(&line)
                        .trim_end()
                        .to_owned(),
                );
            }
            _ => all_literal = false,
        }
    }
    if exprs.is_empty() {
        return None;
    }
    if !all_literal {
        return Some(Doc::Exprs(exprs));
    }
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(Doc::Text(text))
}

/// Runs `parse` over every `#[instruct(...)]` attribute, reporting syntax errors.
pub(crate) fn for_each_instruct_meta(
    cx: &Ctxt,
    attrs: &[syn::Attribute],
    mut parse: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("instruct")) {
        if let syn::Meta::Path(_) = attr.meta {
            cx.error_spanned_by(attr, "expected `#[instruct(...)]`");
            continue;
        }
        if let Err(err) = attr.parse_nested_meta(|meta| {
            if let Err(err) = parse(&meta) {
                cx.syn_error(err);
                skip_to_comma(&meta);
            }
            Ok(())
        }) {
            cx.syn_error(err);
        }
    }
}
