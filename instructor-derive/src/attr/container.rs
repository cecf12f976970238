//! Container options: `#[instruct(name = "..", description = "..", strict,
//! validate = path, partial(name = .., derive(..)), crate = path)]`.

use proc_macro2::Span;
use syn::{ExprPath, Ident, LitStr, Path};

use super::{
    Doc, SeenKeys, Spanned, doc_comment, for_each_instruct_meta, key_name, key_span, parse_lit_str,
    unknown_key,
};
use crate::ctxt::Ctxt;
use crate::symbol::{CONTAINER_KEYS, PARTIAL_KEYS};

/// Options set on the struct or enum.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    /// `name = "..."`: the schema/tool name.
    pub(crate) name: Option<LitStr>,
    /// `description = "..."`, else the doc comment.
    pub(crate) description: Option<Doc>,
    /// `strict`: assert OpenAI strict compatibility at compile time.
    pub(crate) strict: Option<Span>,
    /// `validate = path::to_fn` (repeatable).
    pub(crate) validators: Vec<ExprPath>,
    /// `partial(name = Ident)`.
    pub(crate) partial_name: Option<Ident>,
    /// `partial(derive(A, B))`.
    pub(crate) partial_derives: Vec<Path>,
    /// Where `partial(...)` was written (enums have no twin).
    pub(crate) partial_span: Option<Span>,
    /// `crate = path`.
    pub(crate) crate_path: Option<Spanned<Path>>,
}

impl ContainerAttrs {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut out = Self {
            description: doc_comment(attrs),
            ..Self::default()
        };
        let mut seen = SeenKeys::default();
        for_each_instruct_meta(cx, attrs, |meta| {
            let key = key_name(meta);
            match key.as_str() {
                "validate" => out.validators.push(meta.value()?.parse()?),
                k if CONTAINER_KEYS.contains(&k) && !seen.first_use(cx, meta, k) => {
                    super::skip_value(meta);
                }
                "name" => out.name = Some(parse_lit_str(meta)?),
                "description" => {
                    out.description = Some(Doc::Text(parse_lit_str(meta)?.value()));
                }
                "strict" => out.strict = Some(key_span(meta)),
                "crate" => {
                    let value = meta.value()?;
                    let path = if value.peek(LitStr) {
                        value.parse::<LitStr>()?.parse::<Path>()?
                    } else {
                        value.parse::<Path>()?
                    };
                    out.crate_path = Some(Spanned {
                        value_tokens: quote::ToTokens::to_token_stream(&path),
                        value: path,
                        key: key_span(meta),
                    });
                }
                "partial" => {
                    out.partial_span = Some(key_span(meta));
                    let mut seen_partial = SeenKeys::default();
                    meta.parse_nested_meta(|inner| {
                        let inner_key = key_name(&inner);
                        if PARTIAL_KEYS.contains(&inner_key.as_str())
                            && !seen_partial.first_use(cx, &inner, &inner_key)
                        {
                            super::skip_value(&inner);
                            return Ok(());
                        }
                        match inner_key.as_str() {
                            "name" => {
                                let value = inner.value()?;
                                let usage = "`partial(name = ..)` expects a type name: `partial(name = UserDraft)`";
                                out.partial_name = Some(if value.peek(LitStr) {
                                    let lit = value.parse::<LitStr>()?;
                                    lit.parse::<Ident>().map_err(|_| syn::Error::new(lit.span(), usage))?
                                } else {
                                    value.parse::<Ident>().map_err(|e| syn::Error::new(e.span(), usage))?
                                });
                            }
                            "derive" => inner.parse_nested_meta(|d| {
                                out.partial_derives.push(d.path.clone());
                                Ok(())
                            })?,
                            _ => unknown_key(cx, &inner, "partial", PARTIAL_KEYS),
                        }
                        Ok(())
                    })?;
                }
                _ => unknown_key(cx, meta, "container", CONTAINER_KEYS),
            }
            Ok(())
        });
        out
    }
}
