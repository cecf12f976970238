//! Container options: `#[instruct(name = "..", title = "..", description = "..", strict,
//! validate = path, transform = path, partial(name = .., derive(..)), stream(done, not_null),
//! crate = path)]`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{ExprPath, Ident, LitStr, Path};

use super::{
    Attr, BoolAttr, Doc, Spanned, StreamControls, doc_comment, for_each_instruct_meta, key_span,
    parse_lit_str, unknown_key,
};
use crate::ctxt::Ctxt;
use crate::symbol::{
    CONTAINER_KEYS, CRATE, DERIVE, DESCRIPTION, NAME, PARTIAL, PARTIAL_KEYS, STREAM, STRICT, TITLE,
    TRANSFORM, VALIDATE,
};

/// Options set on the struct or enum.
pub(crate) struct ContainerAttrs {
    /// `name = "..."`: the schema/tool name.
    pub(crate) name: Option<LitStr>,
    /// `title = "..."`: the schema's `title`.
    pub(crate) title: Option<LitStr>,
    /// `description = "..."`, else the doc comment.
    pub(crate) description: Option<Doc>,
    /// `strict`: assert OpenAI strict compatibility at compile time.
    pub(crate) strict: Option<Span>,
    /// `validate = path::to_fn` (repeatable).
    pub(crate) validators: Vec<ExprPath>,
    /// `transform = path::to_fn` (repeatable, run in order).
    pub(crate) transforms: Vec<ExprPath>,
    /// `partial(name = Ident)`.
    pub(crate) partial_name: Option<Ident>,
    /// `partial(derive(A, B))`.
    pub(crate) partial_derives: Vec<Path>,
    /// Where `partial(...)` was written (enums have no twin).
    pub(crate) partial_span: Option<Span>,
    /// `crate = path`.
    pub(crate) crate_path: Option<Spanned<Path>>,
    /// `stream(done, not_null)`.
    pub(crate) stream: StreamControls,
}

/// The slots while parsing.
struct Slots {
    name: Attr<LitStr>,
    title: Attr<LitStr>,
    description: Attr<Doc>,
    strict: BoolAttr,
    validators: Vec<ExprPath>,
    transforms: Vec<ExprPath>,
    partial: Attr<Span>,
    partial_name: Attr<Ident>,
    partial_derives: Vec<Path>,
    crate_path: Attr<Spanned<Path>>,
    stream: StreamControls,
}

impl ContainerAttrs {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut slots = Slots {
            name: Attr::none(NAME),
            title: Attr::none(TITLE),
            description: Attr::none(DESCRIPTION),
            strict: BoolAttr::none(STRICT),
            validators: Vec::new(),
            transforms: Vec::new(),
            partial: Attr::none(PARTIAL),
            partial_name: Attr::none(NAME),
            partial_derives: Vec::new(),
            crate_path: Attr::none(CRATE),
            stream: StreamControls::default(),
        };
        for_each_instruct_meta(cx, attrs, |meta| slots.parse_key(cx, meta));
        slots.description.set_if_none(doc_comment(attrs));
        Self {
            name: slots.name.get(),
            title: slots.title.get(),
            description: slots.description.get(),
            strict: slots.strict.get(),
            validators: slots.validators,
            transforms: slots.transforms,
            partial_name: slots.partial_name.get(),
            partial_derives: slots.partial_derives,
            partial_span: slots.partial.get(),
            crate_path: slots.crate_path.get(),
            stream: slots.stream,
        }
    }
}

impl Slots {
    fn parse_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let path = &meta.path;
        if *path == VALIDATE {
            self.validators.push(meta.value()?.parse()?);
        } else if *path == TRANSFORM {
            self.transforms.push(meta.value()?.parse()?);
        } else if *path == NAME {
            self.name.set(cx, path, parse_lit_str(meta)?);
        } else if *path == TITLE {
            self.title.set(cx, path, parse_lit_str(meta)?);
        } else if *path == DESCRIPTION {
            let text = parse_lit_str(meta)?.value();
            self.description.set(cx, path, Doc::Text(text));
        } else if *path == STRICT {
            self.strict.set_true(cx, meta);
        } else if *path == STREAM {
            self.stream.parse(cx, meta)?;
        } else if *path == CRATE {
            let value = meta.value()?;
            let krate = if value.peek(LitStr) {
                value.parse::<LitStr>()?.parse::<Path>()?
            } else {
                value.parse::<Path>()?
            };
            let spanned = Spanned {
                value_tokens: quote::ToTokens::to_token_stream(&krate),
                value: krate,
                key: key_span(meta),
            };
            self.crate_path.set(cx, path, spanned);
        } else if *path == PARTIAL {
            self.partial.set(cx, path, key_span(meta));
            meta.parse_nested_meta(|inner| self.parse_partial_key(cx, &inner))?;
        } else {
            unknown_key(cx, meta, "container", CONTAINER_KEYS);
        }
        Ok(())
    }

    /// `partial(name = .., derive(..))`.
    fn parse_partial_key(&mut self, cx: &Ctxt, inner: &ParseNestedMeta<'_>) -> syn::Result<()> {
        if inner.path == NAME {
            let value = inner.value()?;
            let usage = "`partial(name = ..)` expects a type name: `partial(name = UserDraft)`";
            let ident = if value.peek(LitStr) {
                let lit = value.parse::<LitStr>()?;
                lit.parse::<Ident>()
                    .map_err(|_| syn::Error::new(lit.span(), usage))?
            } else {
                value
                    .parse::<Ident>()
                    .map_err(|e| syn::Error::new(e.span(), usage))?
            };
            self.partial_name.set(cx, &inner.path, ident);
        } else if inner.path == DERIVE {
            inner.parse_nested_meta(|d| {
                self.partial_derives.push(d.path.clone());
                Ok(())
            })?;
        } else {
            unknown_key(cx, inner, "partial", PARTIAL_KEYS);
        }
        Ok(())
    }
}
