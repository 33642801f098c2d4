#!/usr/bin/env bash
# The `fit --time` acceptance runs: on 10 synthetic 240x240x160 cases (2 validated), a 4 GiB budget and a time
# budget (default 20m), three configurations one after another in fresh processes:
#   default   fit --time T (the defaults, patch-size curriculum)
#   none      the same with --curriculum none (the largest patch that fits, throughout)
#   patch64   the same with a constant --patch 64x64x64
# Prints, per run, its wall time against the budget, peak RSS against the plan, the final validation Dice, and
# the Dice against minutes from metrics.jsonl (elapsedSeconds of each validated step).
# Usage: scripts/time_budget_runs.sh PATH/TO/patchtrain WORK_DIR [TIME]   (run it on a quiet machine)
set -euo pipefail
bin=$1
work=$2
budget=${3:-20m}
mkdir -p "$work"
data="$work/synth10"
if [ ! -d "$data" ]; then
  "$bin" synth --out "$data" --cases 10 --shape 240x240x160 --seed 7 > /dev/null
fi
lscpu | grep -E '^Model name|^CPU\(s\)' || true
for config in default none patch64; do
  case $config in
    default) extra=() ;;
    none) extra=(--curriculum none) ;;
    patch64) extra=(--patch 64x64x64) ;;
  esac
  run="$work/run-$config"
  rm -rf "$run"
  start=$(date +%s.%N)
  "$bin" fit --data "$data" --validation 2 --ram 4G --time "$budget" ${extra[@]+"${extra[@]}"} --out "$run" --json \
    > "$work/summary-$config.json" 2> "$work/stderr-$config.txt"
  end=$(date +%s.%N)
  python3 - "$config" "$run" "$work/summary-$config.json" "$start" "$end" "$budget" <<'PY'
import json, re, sys
config, run, summary_path, start, end, budget = sys.argv[1:]
seconds = sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in re.findall(r"(\d+)([hms])", budget))
wall = float(end) - float(start)
summary = json.load(open(summary_path))
plan = json.load(open(f"{run}/plan.json"))
stages = plan.get("stages") or [{"patch": plan["patch"]}]
patches = " -> ".join("x".join(str(s["patch"][k]) for k in ("x", "y", "z")) for s in stages)
print(f"\n== {config}: patches {patches}")
print(f"wall {wall / 60:.2f} min of {seconds / 60:.0f} min ({wall / seconds * 100:.1f}%), "
      f"peak RSS {summary['measuredPeakBytes'] / 2**30:.3f} GiB, predicted {summary['predictedPeakBytes'] / 2**30:.3f} GiB, "
      f"final mean foreground Dice {summary['validation']['meanForegroundDice']:.4f}")
print("| step | minutes | mean foreground Dice |")
print("|---|---|---|")
for line in open(f"{run}/metrics.jsonl"):
    r = json.loads(line)
    if r.get("validationForegroundDice") is not None:
        print(f"| {r['step']} | {r.get('elapsedSeconds', 0) / 60:.1f} | {r['validationForegroundDice']:.4f} |")
PY
done
