#!/usr/bin/env bash
# The report's cost on a 1,000-step run with 4 validation cases: trains one (16^3 patches on 32x48x32 synthetic
# cases, validated every 100 steps), then times `patchtrain report` and reads its peak RSS with /usr/bin/time -v.
# Usage: scripts/report_bench.sh PATH/TO/BIN_DIR [WORK_DIR]
set -euo pipefail
bin=$1/patchtrain
work=${2:-report-bench}
rm -rf "$work"
"$bin" synth --out "$work/data" --cases 6 --shape 32x48x32 --seed 11 > /dev/null
"$bin" fit --data "$work/data" --ram 1G --patch 16x16x16 --batch 1 --steps 1000 --validation 4 --val-every 100 \
    --lr 2e-3 --loss dice+ce --no-augment --out "$work/run" > /dev/null 2>&1
echo "run: $(wc -l < "$work/run/metrics.jsonl") steps, $(ls "$work/run/validation" | wc -l) validation cases"
for i in 1 2 3; do
  /usr/bin/time -v "$bin" report "$work/run" --out "$work/report.html" 2> "$work/time.txt" > /dev/null
  grep -E "Elapsed|Maximum resident" "$work/time.txt" | sed 's/^\s*/  /'
done
ls -l "$work/report.html" | awk '{print "  report.html: " $5 " bytes"}'
