#!/usr/bin/env bash
# Interleaved crate-only rebuilds of the two crates run.sh generates (run it once
# first): each run rebuilds instructor_100 then schemars_100, so a machine whose
# speed drifts (other virtual machines, frequency changes) affects both sides of each
# pair alike. Prints each pair's times and ratio, then the median ratio.
#
#   benches/compile_time/pairs.sh debug 5
#   benches/compile_time/pairs.sh release 4
#
# Environment: OUT (/tmp/ct, as for run.sh).
set -euo pipefail
OUT="${OUT:-/tmp/ct}"
profile="${1:-debug}"
runs="${2:-5}"
flag=()
[[ "$profile" == release ]] && flag=(--release)

build() {
    (cd "$OUT/$1" && CARGO_TARGET_DIR="$OUT/target/$1" cargo build -q "${flag[@]}")
}

timed() {
    touch "$OUT/$1/src/main.rs"
    local start end
    start=$(date +%s.%N)
    build "$1"
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}

build instructor_100
build schemars_100
ratios=()
for i in $(seq 1 "$runs"); do
    a=$(timed instructor_100)
    b=$(timed schemars_100)
    r=$(python3 -c "print(f'{$a / $b:.3f}')")
    ratios+=("$r")
    echo "$profile run $i: instructor_100 ${a}s, schemars_100 ${b}s, ratio $r"
done
python3 -c "import statistics, sys; print('median ratio', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
