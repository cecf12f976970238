#!/usr/bin/env bash
# Compile-time comparison: 100 structs with
#   #[derive(instructor::Instruct, serde::Serialize, serde::Deserialize)]   (/tmp/ct/instructor_100)
# vs the same 100 structs with
#   #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]  (/tmp/ct/schemars_100)
#
# For each crate and each profile (debug, release):
#   1. cold build: `cargo build [--release]` from an empty target dir, dependencies
#      included, timed once (skip with COLD=0; then the target dir is reused);
#   2. `cargo build` once more to make sure everything is fresh;
#   3. REPEAT times: `touch src/main.rs; cargo build [--release]` -- only the crate
#      itself is rebuilt -- timed; min and median reported. A run in which cargo
#      recompiled anything else (concurrent edit of the instructor sources) is
#      discarded and redone.
# Then, if a nightly toolchain (or cargo-expand) is available, the size of the
# macro-expanded crate (lines of `-Zunpretty=expanded`, what cargo-expand prints).
#
# Environment: OUT (/tmp/ct), REPEAT (3), COLD (1), EXPAND (1), GEN_ARGS (extra
# arguments for gen.py, e.g. "--schemars-plain").
# Each crate has its own CARGO_TARGET_DIR: $OUT/target/<crate>.
# Results: a table on stdout, raw timings in $OUT/results.tsv (older ones renamed),
# cargo output in $OUT/target/<crate>.log.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-/tmp/ct}"
REPEAT="${REPEAT:-3}"
COLD="${COLD:-1}"
EXPAND="${EXPAND:-1}"
CRATES=(instructor_100 schemars_100)
PROFILES=(debug release)

# shellcheck disable=SC2086
python3 "$HERE/gen.py" --out "$OUT" ${GEN_ARGS:-}

RESULTS="$OUT/results.tsv"
[[ -f "$RESULTS" ]] && mv "$RESULTS" "$OUT/results.$(date +%Y%m%d-%H%M%S).tsv"
printf 'crate\tprofile\tkind\trun\tseconds\tloadavg1\n' >"$RESULTS"

now() { date +%s.%N; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# time_build <crate> <profile> -> prints "<elapsed seconds> <number of crates compiled>";
# cargo output appended to $OUT/target/<crate>.log.
time_build() {
    local crate="$1" profile="$2" flag=() start end one
    [[ "$profile" == release ]] && flag=(--release)
    one="$OUT/target/$crate.last.log"
    start=$(now)
    (cd "$OUT/$crate" && CARGO_TARGET_DIR="$OUT/target/$crate" \
        cargo build "${flag[@]}" >"$one" 2>&1) || {
        cat "$one" >>"$OUT/target/$crate.log"
        echo "cargo build failed for $crate ($profile); see $OUT/target/$crate.log" >&2
        tail -30 "$one" >&2
        exit 1
    }
    end=$(now)
    cat "$one" >>"$OUT/target/$crate.log"
    echo "$(echo "$end - $start" | bc) $(grep -c '^ *Compiling ' "$one" || true)"
}

record() { printf '%s\t%s\t%s\t%s\t%.3f\t%s\n' "$@" >>"$RESULTS"; }

mkdir -p "$OUT/target"
echo "toolchain: $(rustc -V); cargo: $(cargo -V); nproc: $(nproc)"
echo "instructor source: $(git -C "$HERE/../.." log -1 --format='%h %s' 2>/dev/null | cut -c1-60)" \
    "(dirty files: $(git -C "$HERE/../.." status --porcelain 2>/dev/null | wc -l))"
for crate in "${CRATES[@]}"; do
    echo "=== run.sh $(date -Is)" >>"$OUT/target/$crate.log"
    if [[ "$COLD" == 1 ]]; then
        rm -rf "${OUT:?}/target/$crate"
    fi
    for profile in "${PROFILES[@]}"; do
        if [[ "$COLD" == 1 ]]; then
            l=$(load1)
            read -r s n < <(time_build "$crate" "$profile")
            record "$crate" "$profile" cold 1 "$s" "$l"
            printf '%-16s %-8s cold (with deps, %s crates)  %8.2fs  (load %s)\n' "$crate" "$profile" "$n" "$s" "$l"
        fi
        time_build "$crate" "$profile" >/dev/null # warm-up: everything fresh
        # Timed runs must recompile only the crate itself. Another build or an edit of
        # the instructor sources in the meantime can make cargo recompile more: such a
        # run is logged as "contaminated", left out, and redone after a fresh warm-up.
        i=0 attempts=0
        while (( i < REPEAT && attempts < 3 * REPEAT )); do
            attempts=$((attempts + 1))
            touch "$OUT/$crate/src/main.rs"
            l=$(load1)
            read -r s n < <(time_build "$crate" "$profile")
            if [[ "$n" != 1 ]]; then
                record "$crate" "$profile" contaminated "$attempts" "$s" "$l"
                printf '%-16s %-8s contaminated (%s crates recompiled, %.2fs): redone\n' \
                    "$crate" "$profile" "$n" "$s"
                time_build "$crate" "$profile" >/dev/null
                continue
            fi
            i=$((i + 1))
            record "$crate" "$profile" crate-only "$i" "$s" "$l"
            printf '%-16s %-8s crate-only run %d  %8.2fs  (load %s)\n' "$crate" "$profile" "$i" "$s" "$l"
        done
    done
done

echo
echo "== crate-only rebuild (touch src/main.rs), $REPEAT runs =="
python3 - "$RESULTS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def pick(crate, profile, kind):
    return [float(r["seconds"]) for r in rows
            if r["crate"] == crate and r["profile"] == profile and r["kind"] == kind]
print(f"{'profile':8} {'crate':16} {'min':>8} {'median':>8}   runs")
stats = {}
for profile in ("debug", "release"):
    for crate in ("instructor_100", "schemars_100"):
        xs = pick(crate, profile, "crate-only")
        if not xs:
            continue
        stats[(crate, profile)] = (min(xs), statistics.median(xs))
        print(f"{profile:8} {crate:16} {min(xs):8.2f} {statistics.median(xs):8.2f}   "
              + " ".join(f"{x:.2f}" for x in xs))
    a, b = stats.get(("instructor_100", profile)), stats.get(("schemars_100", profile))
    if a and b:
        print(f"{profile:8} {'ratio instr/schm':16} {a[0]/b[0]:8.2f} {a[1]/b[1]:8.2f}")
bad = [r for r in rows if r["kind"] == "contaminated"]
if bad:
    print(f"({len(bad)} contaminated run(s) discarded: "
          + ", ".join(f'{r["crate"]}/{r["profile"]} {float(r["seconds"]):.1f}s' for r in bad) + ")")
cold = [(r["crate"], r["profile"], float(r["seconds"])) for r in rows if r["kind"] == "cold"]
if cold:
    print("\n== cold build (dependencies included), once ==")
    for c, p, s in cold:
        print(f"{p:8} {c:16} {s:8.2f}")
PY

echo
echo "== versions resolved =="
for crate in "${CRATES[@]}"; do
    echo "$crate: $(cd "$OUT/$crate" && cargo tree -e normal --depth 1 --prefix none 2>/dev/null \
        | grep -E '^(instructor|serde|serde_json|schemars) ' | sort -u | tr '\n' ';')"
done
(cd "$OUT/schemars_100" && cargo tree -i serde_derive --prefix none 2>/dev/null | head -1 | sed 's/^/serde_derive: /') || true

if [[ "$EXPAND" == 1 ]]; then
    echo
    echo "== expanded code size (lines of -Zunpretty=expanded, crate only) =="
    for crate in "${CRATES[@]}"; do
        exp="$OUT/target/$crate.expanded.rs"
        if command -v cargo-expand >/dev/null 2>&1; then
            (cd "$OUT/$crate" && CARGO_TARGET_DIR="$OUT/target/expand-$crate" \
                cargo expand --bin "$crate" >"$exp" 2>>"$OUT/target/$crate.log")
        elif rustup run nightly rustc -V >/dev/null 2>&1; then
            # What cargo-expand does, without it; separate target dir (nightly, check profile).
            (cd "$OUT/$crate" && CARGO_TARGET_DIR="$OUT/target/expand-$crate" \
                cargo +nightly rustc --profile=check --bin "$crate" -- -Zunpretty=expanded \
                >"$exp" 2>>"$OUT/target/$crate.log")
        else
            echo "neither cargo-expand nor a nightly toolchain: skipped"
            break
        fi
        printf '%-16s source %5d lines, expanded %6d lines (%s bytes)\n' "$crate" \
            "$(wc -l <"$OUT/$crate/src/main.rs")" "$(wc -l <"$exp")" "$(wc -c <"$exp")"
    done
fi
