#!/usr/bin/env bash
# `fit`'s budget promise end to end: for each budget, a fresh `patchtrain fit` process plans, trains a few steps on
# 240x240x160 synthetic data (8 training + 2 validation cases), validates by sliding-window inference after the
# last step, saves its checkpoint, and reports its measured peak RSS (VmHWM) beside the plan's prediction (for a
# curriculum, the prediction of its most demanding stage, which sets the run's peak).
# Usage: scripts/fit_memory.sh BIN_DIR [BENCH_DIR] [BUDGETS...]   (default budgets: 2G 8G)
# FIT_LENGTH sets the run's length and anything else fit is given (default "--steps 2 --curriculum none"):
#   FIT_LENGTH="--time 3m"     what a user's short timed run plans (the patch time allows)
#   FIT_LENGTH="--steps 14"    the curriculum grown to the largest patch that fits, its last stage trained
set -euo pipefail
bin=$1
data=${2:-.bench-data}
shift $(( $# >= 2 ? 2 : $# ))
budgets=${*:-2G 8G}
read -r -a length <<< "${FIT_LENGTH:---steps 2 --curriculum none}"
mkdir -p "$data"
[ -d "$data/synth10" ] || "$bin/patchtrain" synth --out "$data/synth10" --cases 10 --shape 240x240x160 --seed 7 >/dev/null 2>&1
echo "| budget | patches | micro-batch × accumulation (last stage) | predicted | measured VmHWM | error | under budget | last step s | other s (setup, validation, saving) |"
echo "|---|---|---|---|---|---|---|---|---|"
for b in $budgets; do
    run="$data/fit-memory-$b"
    rm -rf "$run"
    "$bin/patchtrain" fit --data "$data/synth10" --validation 2 --ram "$b" "${length[@]}" --out "$run" --json 2>/dev/null > "$run.json"
    python3 - "$b" "$run" <<'PY'
import json, sys
b, run = sys.argv[1], sys.argv[2]
s = json.load(open(run + ".json"))
plan = json.load(open(run + "/plan.json"))
steps = [json.loads(l) for l in open(run + "/metrics.jsonl")]
g = lambda x: f"{x / 2**30:.3f} GiB"
p, m = s["predictedPeakBytes"], s["measuredPeakBytes"]
stages = plan.get("stages") or [{"patch": plan["patch"]}]
patch = " → ".join("x".join(str(s["patch"][k]) for k in "xyz") for s in stages)
train_s = steps[-1]["seconds"]
print(f"| {b} | {patch} ({len(steps)} steps) | {plan['microBatch']} × {plan['accumulationSteps']} | {g(p)} | {g(m)} | {(p - m) / m * 100:+.1f}% | "
      f"{'yes' if m <= s['budgetBytes'] else 'NO'} | {train_s:.1f} | {s['seconds'] - sum(r['seconds'] for r in steps):.1f} |")
PY
done
