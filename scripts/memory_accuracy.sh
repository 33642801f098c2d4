#!/usr/bin/env bash
# The memory model's acceptance check: for each budget, plan and run 3 optimizer steps in a fresh process on
# 240x240x160 synthetic data, and compare the measured peak RSS (VmHWM) with the prediction.
# Usage: scripts/memory_accuracy.sh BIN_DIR [BENCH_DIR] [BUDGETS...]
set -euo pipefail
bin=$1
data=${2:-.bench-data}
shift $(( $# >= 2 ? 2 : $# ))
budgets=${*:-1G 2G 4G 8G 16G}
mkdir -p "$data"
[ -d "$data/synth4" ] || "$bin/patchtrain" synth --out "$data/synth4" --cases 4 --shape 240x240x160 --seed 2 >/dev/null 2>&1
echo "| budget | patch | micro-batch × steps | predicted | measured VmHWM | error | under budget | s/step |"
echo "|---|---|---|---|---|---|---|---|"
for b in $budgets; do
    line=$("$bin/patchtrain-bench" step --data "$data/synth4" --ram "$b" --steps 3 | grep '^RESULT' | sed 's/^RESULT //')
    python3 - "$b" "$line" <<'PY'
import json, sys
b, r = sys.argv[1], json.loads(sys.argv[2])
g = lambda x: f"{x / 2**30:.3f} GiB"
print(f"| {b} | {r['patch']} | {r['microBatch']} × {r['accumulation']} | {g(r['predicted'])} | {g(r['measured'])} | "
      f"{r['error'] * 100:+.1f}% | {'yes' if r['measured'] <= r['budget'] else 'NO'} | {r['medianStepSeconds']:.1f} |")
PY
done
