//! Variant options: `#[instruct(description = "..")]`.

use super::{Attr, Doc, doc_comment, for_each_instruct_meta, parse_lit_str, unknown_key};
use crate::ctxt::Ctxt;
use crate::symbol::{DESCRIPTION, VARIANT_KEYS};

/// Options set on an enum variant.
pub(crate) struct VariantAttrs {
    /// `description = "..."`, else the doc comment.
    pub(crate) description: Option<Doc>,
}

impl VariantAttrs {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut description = Attr::none(DESCRIPTION);
        for_each_instruct_meta(cx, attrs, |meta| {
            if meta.path == DESCRIPTION {
                let text = parse_lit_str(meta)?.value();
                description.set(cx, &meta.path, Doc::Text(text));
            } else {
                unknown_key(cx, meta, "variant", VARIANT_KEYS);
            }
            Ok(())
        });
        description.set_if_none(doc_comment(attrs));
        Self {
            description: description.get(),
        }
    }
}
