#!/usr/bin/env bash
# Two builds of patchtrain side by side in one run, alternating, so that a change that should not alter speed can
# be shown not to: the training step at a 128^3 patch (batch 1, `patchtrain-bench step`, median of the timed steps)
# and `infer` over one 240x240x160 volume (window 128^3, overlap 0.5, Gaussian). Prints a markdown table with the
# ratio after/before of each figure.
# Usage: scripts/compare_builds.sh BEFORE_BIN_DIR AFTER_BIN_DIR [BENCH_DIR] [ROUNDS]
set -euo pipefail
before=$1
after=$2
data=${3:-.bench-data/compare}
rounds=${4:-2}
mkdir -p "$data"

if [ ! -f "$data/model/last/weights.safetensors" ]; then
    rm -rf "$data/case" "$data/model"
    "$after/patchtrain" synth --out "$data/case" --cases 1 --shape 240x240x160 --seed 5 >/dev/null 2>&1
    "$after/patchtrain" fit --data "$data/case" --ram 1G --steps 1 --out "$data/model" >/dev/null 2>&1
fi

results=$data/results.tsv
: > "$results"
for round in $(seq "$rounds"); do
    for side in before after; do
        bin=${!side}
        step=$("$bin/patchtrain-bench" step --data "$data/case" --ram 8G --batch 1 --patch 128x128x128 --warmup 1 --steps 3 \
            | sed -n 's/^RESULT //p' | python3 -c "import json, sys; r = json.load(sys.stdin); print(r['medianStepSeconds'], r['measured'] / 2**30)")
        rm -rf "$data/out-$side"
        "$bin/patchtrain" infer --model "$data/model/last" --input "$data/case/images/case_000.npy" --out "$data/out-$side" \
            --window 128x128x128 --overlap 0.5 --blend gaussian --json 2>/dev/null > "$data/infer-$side.json"
        infer=$(python3 -c "import json; s = json.load(open('$data/infer-$side.json')); print(s['cases'][0]['seconds'], s['measuredPeakBytes'] / 2**30)")
        printf '%s\t%s\t%s\t%s\n' "$round" "$side" "$step" "$infer" | tr ' ' '\t' >> "$results"
        echo "round $round, $side: step ${step% *} s, infer ${infer% *} s" >&2
    done
done
cmp -s "$data/out-before/case_000.npy" "$data/out-after/case_000.npy" && same=identical || same=DIFFERENT
python3 - "$results" "$same" <<'PY'
import sys, statistics
rows = [line.split("\t") for line in open(sys.argv[1]).read().split("\n") if line]
def med(side, col): return statistics.median(float(r[col]) for r in rows if r[1] == side)
names = [("step 128^3, s", 2), ("step peak RSS, GiB", 3), ("infer 240x240x160, s", 4), ("infer peak RSS, GiB", 5)]
print("| figure (median of %d rounds) | before | after | after/before |" % (len(rows) // 2))
print("|---|---|---|---|")
for name, col in names:
    b, a = med("before", col), med("after", col)
    print("| %s | %.3f | %.3f | %.3f |" % (name, b, a, a / b))
print("label maps of the two builds: %s" % sys.argv[2])
PY
