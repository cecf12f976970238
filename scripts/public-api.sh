#!/usr/bin/env bash
# Lists the public API of the `instructor` facade, for review of what a change adds
# to or removes from the surface: every item rustdoc lists in all.html, and under each
# type its fields, variants, inherent methods and associated items (trait impls are
# left out: they follow from the derives and are visible in the docs).
#
# Usage: scripts/public-api.sh [OUT]   (default OUT: docs/public-api.txt)
# Honours CARGO_TARGET_DIR. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/public-api.txt}
cargo doc --no-deps --all-features -p instructor --quiet
doc="${CARGO_TARGET_DIR:-target}/doc/instructor"
python3 - "$doc" >"$out" <<'PY'
import html, os, re, sys

doc = sys.argv[1]
page = open(os.path.join(doc, "all.html"), encoding="utf-8").read()
items = []
for href, text in re.findall(r'<li><a href="([^"]+\.html)">(.*?)</a></li>', page):
    kind = os.path.basename(href).split(".", 1)[0]
    path = "instructor::" + html.unescape(re.sub(r"<[^>]+>", "", text))
    items.append((path, kind, href))

MEMBER = re.compile(
    r'id="(structfield|variant|method|tymethod|associatedconstant|associatedtype)\.([A-Za-z0-9_]+)"'
)
NAMES = {
    "structfield": "field",
    "variant": "variant",
    "method": "fn",
    "tymethod": "fn",
    "associatedconstant": "const",
    "associatedtype": "type",
}
for path, kind, href in sorted(items):
    if kind not in ("struct", "enum", "trait", "union"):
        print(f"{kind} {path}")
        continue
    text = open(os.path.join(doc, href), encoding="utf-8").read()
    decl = re.search(r'<pre class="rust item-decl">(.*?)</pre>', text, re.S)
    marked = decl is not None and "non_exhaustive" in decl.group(1)
    print(f"{kind} {path}" + ("  #[non_exhaustive]" if marked else ""))
    # Members declared on the type and its inherent impls; trait impls come after
    # the `trait-implementations` heading (for traits: their own items only).
    # Methods reached through `Deref` are listed as one `deref` line.
    ends = [text.find('id="trait-implementations"'), text.find('id="deref-methods')]
    if kind == "trait":
        ends = [text.find('id="implementors"')]
    ends = [e for e in ends if e >= 0]
    own = text[: min(ends)] if ends else text
    deref = re.search(r'id="deref-methods-([^"]+)"', text)
    seen = []
    for member, name in MEMBER.findall(own):
        entry = f"    {NAMES[member]} {name}"
        if entry not in seen:
            seen.append(entry)
    if deref:
        seen.append(f"    deref {html.unescape(deref.group(1))}")
    for entry in seen:
        print(entry)
PY
echo "wrote $out ($(grep -vc '^    ' "$out") items)" >&2
