#!/usr/bin/env python3
"""Generate two scratch crates with the same 100 structs, for a compile-time comparison.

    /tmp/ct/instructor_100   #[derive(instructor::Instruct, serde::Serialize, serde::Deserialize)]
    /tmp/ct/schemars_100     #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]

The structs are identical across both crates: same names, same fields, same doc
comments, same order. Each has 4-8 fields drawn from String, u32, f64, bool,
Option<String>, Vec<String> and (from the second struct on) a reference to an earlier
struct (plain, Option<_> or Vec<_>). Some String fields carry `min_length = 1` and
some u32/f64 fields `range(min = 0, max = 100)`:

    instructor: #[instruct(min_length = 1)] / #[instruct(range(min = 0, max = 100))]
    schemars:   #[schemars(length(min = 1))] / #[schemars(range(min = 0, max = 100))]
                (schemars 1.x syntax; pass --schemars-plain to omit them)

main() uses every type the same way in both crates, through one generic function:
print its JSON Schema, deserialize it from a JSON string with serde_json and, if that
succeeds, serialize it back. So each type's schema code and its Serialize /
Deserialize impls (monomorphised for serde_json) are all instantiated.

Usage: gen.py [--out /tmp/ct] [--count 100] [--instructor-path /work/main]
              [--schemars-version 1] [--schemars-plain] [--seed 20240601]
"""

import argparse
import os
import random
import textwrap

DOMAINS = [
    "Billing", "Shipping", "Support", "Catalog", "Account",
    "Inventory", "Payroll", "Clinic", "Travel", "Research",
]
ENTITIES = [
    "Contact", "Address", "Invoice", "LineItem", "Ticket",
    "Note", "Summary", "Event", "Record", "Report",
]

STRING_FIELDS = [
    ("name", "Name as written in the source text."),
    ("title", "Short title, a few words."),
    ("description", "Free-text description."),
    ("category", "Category label chosen by the model."),
    ("email", "Email address, if one is mentioned."),
    ("city", "City name."),
    ("country_code", "ISO 3166-1 alpha-2 country code."),
    ("status", "Current status, e.g. open or closed."),
    ("reference", "External reference or identifier."),
    ("language", "Language of the source text."),
]
U32_FIELDS = [
    ("quantity", "Number of units."),
    ("priority", "Priority from 0 (lowest) to 100."),
    ("age", "Age in years."),
    ("count", "How many times it is mentioned."),
    ("duration_minutes", "Duration in minutes."),
    ("year", "Calendar year."),
]
F64_FIELDS = [
    ("amount", "Monetary amount in the document currency."),
    ("confidence", "Model confidence, 0 to 100."),
    ("score", "Relevance score."),
    ("latitude", "Latitude in decimal degrees."),
    ("weight_kg", "Weight in kilograms."),
]
BOOL_FIELDS = [
    ("is_active", "Whether it is still active."),
    ("verified", "Whether the information was verified."),
    ("urgent", "Whether it needs urgent attention."),
    ("billable", "Whether it is billable."),
]
OPT_STRING_FIELDS = [
    ("phone", "Phone number, if any."),
    ("website", "Website URL, if any."),
    ("comment", "Optional free-text comment."),
    ("department", "Department, if stated."),
]
VEC_STRING_FIELDS = [
    ("tags", "Keywords describing it."),
    ("aliases", "Other names used in the text."),
    ("participants", "People involved."),
    ("attachments", "File names of attachments."),
]
KINDS = ["string", "u32", "f64", "bool", "opt_string", "vec_string"]
POOLS = {
    "string": (STRING_FIELDS, "String"),
    "u32": (U32_FIELDS, "u32"),
    "f64": (F64_FIELDS, "f64"),
    "bool": (BOOL_FIELDS, "bool"),
    "opt_string": (OPT_STRING_FIELDS, "Option<String>"),
    "vec_string": (VEC_STRING_FIELDS, "Vec<String>"),
}


def snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i:
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def make_model(count, seed):
    """A list of structs: (name, doc, [(field, type, doc, constraint)]), constraint in
    {None, "min_length", "range"}. Deterministic for a given seed."""
    rng = random.Random(seed)
    names = [d + e for d in DOMAINS for e in ENTITIES]
    if count > len(names):
        names += [f"{n}V{k}" for k in range(2, 2 + count // len(names)) for n in names]
    names = names[:count]
    structs = []
    for i, name in enumerate(names):
        n_fields = rng.randint(4, 8)
        fields = []
        used = set()
        # Always at least one String (so min_length has a home) and one number.
        kinds = ["string", rng.choice(["u32", "f64"])]
        if i > 0:
            kinds.append("nested")
        while len(kinds) < n_fields:
            kinds.append(rng.choice(KINDS))
        rng.shuffle(kinds)
        for kind in kinds:
            if kind == "nested":
                target = names[rng.randrange(0, i)]
                wrap = rng.choice(["plain", "option", "vec"])
                field = snake(target)
                ty = {"plain": target, "option": f"Option<{target}>", "vec": f"Vec<{target}>"}[wrap]
                if wrap == "vec":
                    field += "_list"
                doc = f"The related {snake(target).replace('_', ' ')}."
                fields.append((field, ty, doc, None))
                used.add(field)
                continue
            pool, ty = POOLS[kind]
            candidates = [p for p in pool if p[0] not in used]
            if not candidates:
                candidates = [(f"{p[0]}_{len(used)}", p[1]) for p in pool]
            field, doc = rng.choice(candidates)
            used.add(field)
            constraint = None
            if kind == "string" and rng.random() < 0.4:
                constraint = "min_length"
            elif kind in ("u32", "f64") and rng.random() < 0.4:
                constraint = "range"
            fields.append((field, ty, doc, constraint))
        doc = (f"A {snake(name).replace('_', ' ')} extracted from a "
               f"{DOMAINS[i // len(ENTITIES) % len(DOMAINS)].lower()} document.")
        structs.append((name, doc, fields))
    return structs


def render_structs(structs, flavour, schemars_plain):
    derive = {
        "instructor": "#[derive(instructor::Instruct, serde::Serialize, serde::Deserialize)]",
        "schemars": "#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]",
    }[flavour]
    out = []
    for name, doc, fields in structs:
        out.append(f"/// {doc}")
        out.append(derive)
        out.append(f"pub struct {name} {{")
        for field, ty, fdoc, constraint in fields:
            out.append(f"    /// {fdoc}")
            if constraint == "min_length":
                if flavour == "instructor":
                    out.append("    #[instruct(min_length = 1)]")
                elif not schemars_plain:
                    out.append("    #[schemars(length(min = 1))]")
            elif constraint == "range":
                if flavour == "instructor":
                    out.append("    #[instruct(range(min = 0, max = 100))]")
                elif not schemars_plain:
                    out.append("    #[schemars(range(min = 0, max = 100))]")
            out.append(f"    pub {field}: {ty},")
        out.append("}")
        out.append("")
    return "\n".join(out)


MAIN_INSTRUCTOR = """\
fn exercise<T>(input: &str)
where
    T: instructor::Instruct + serde::Serialize + serde::de::DeserializeOwned,
{
    let schema = serde_json::to_string(T::json_schema()).unwrap_or_default();
    println!("{} {}", T::schema_name(), schema.len());
    if let Ok(value) = serde_json::from_str::<T>(input) {
        println!("{}", serde_json::to_string(&value).unwrap_or_default());
    }
}
"""

MAIN_SCHEMARS = """\
fn exercise<T>(input: &str)
where
    T: schemars::JsonSchema + serde::Serialize + serde::de::DeserializeOwned,
{
    let schema = serde_json::to_string(&schemars::schema_for!(T)).unwrap_or_default();
    println!("{} {}", T::schema_name(), schema.len());
    if let Ok(value) = serde_json::from_str::<T>(input) {
        println!("{}", serde_json::to_string(&value).unwrap_or_default());
    }
}
"""


def render_main(structs, flavour, schemars_plain):
    header = textwrap.dedent("""\
        //! Generated by /work/main/benches/compile_time/gen.py -- do not edit.
        #![allow(dead_code)]

        """)
    body = render_structs(structs, flavour, schemars_plain)
    helper = MAIN_INSTRUCTOR if flavour == "instructor" else MAIN_SCHEMARS
    calls = "\n".join(f"    exercise::<{name}>(&input);" for name, _, _ in structs)
    main = ("fn main() {\n"
            "    let input = std::env::args().nth(1).unwrap_or_else(|| \"{}\".to_owned());\n"
            f"{calls}\n"
            "}\n")
    return header + body + "\n" + helper + "\n" + main


def cargo_toml(flavour, instructor_path, schemars_version):
    name = f"{flavour}_100"
    deps = [
        'serde = { version = "1", features = ["derive"] }',
        'serde_json = "1"',
    ]
    if flavour == "instructor":
        deps.insert(0, f'instructor = {{ path = "{instructor_path}" }}')
    else:
        deps.append(f'schemars = "{schemars_version}"')
    deps_s = "\n".join(deps)
    return textwrap.dedent(f"""\
        # Generated by /work/main/benches/compile_time/gen.py -- do not edit.
        [package]
        name = "{name}"
        version = "0.0.0"
        edition = "2024"
        publish = false

        [dependencies]
        """) + deps_s + "\n\n# Stand-alone: not part of any enclosing workspace.\n[workspace]\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/ct")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--instructor-path", default="/work/main")
    ap.add_argument("--schemars-version", default="1")
    ap.add_argument("--schemars-plain", action="store_true",
                    help="no #[schemars(length/range)] attributes on the schemars side")
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()

    structs = make_model(args.count, args.seed)
    for flavour in ("instructor", "schemars"):
        root = os.path.join(args.out, f"{flavour}_100")
        write(os.path.join(root, "Cargo.toml"),
              cargo_toml(flavour, args.instructor_path, args.schemars_version))
        write(os.path.join(root, "src", "main.rs"),
              render_main(structs, flavour, args.schemars_plain))
        print(f"wrote {root}")
    n_fields = sum(len(f) for _, _, f in structs)
    n_ml = sum(1 for _, _, fs in structs for f in fs if f[3] == "min_length")
    n_rg = sum(1 for _, _, fs in structs for f in fs if f[3] == "range")
    n_nested = sum(1 for _, _, fs in structs for f in fs if f[3] is None and f[1][0].isupper()
                   and not f[1].startswith(("String", "Option<String>", "Vec<String>")))
    print(f"{len(structs)} structs, {n_fields} fields "
          f"({n_ml} min_length, {n_rg} range, {n_nested} nested references)")


if __name__ == "__main__":
    main()
