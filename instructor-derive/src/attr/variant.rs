//! Variant options: `#[instruct(description = "..")]`.

use super::{
    Doc, SeenKeys, doc_comment, for_each_instruct_meta, key_name, parse_lit_str, unknown_key,
};
use crate::ctxt::Ctxt;
use crate::symbol::VARIANT_KEYS;

/// Options set on an enum variant.
#[derive(Default)]
pub(crate) struct VariantAttrs {
    /// `description = "..."`, else the doc comment.
    pub(crate) description: Option<Doc>,
}

impl VariantAttrs {
    pub(crate) fn from_ast(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut out = Self {
            description: doc_comment(attrs),
        };
        let mut seen = SeenKeys::default();
        for_each_instruct_meta(cx, attrs, |meta| {
            let key = key_name(meta);
            if VARIANT_KEYS.contains(&key.as_str()) && !seen.first_use(cx, meta, &key) {
                super::skip_value(meta);
                return Ok(());
            }
            match key.as_str() {
                "description" => out.description = Some(Doc::Text(parse_lit_str(meta)?.value())),
                _ => unknown_key(cx, meta, "variant", VARIANT_KEYS),
            }
            Ok(())
        });
        out
    }
}
