#!/usr/bin/env bash
# `make bench`: the benchmarks, each measured side by side in one run (figures go in docs/benchmarks.md).
# Usage: scripts/bench.sh BIN_DIR [BENCH_DIR]
set -euo pipefail
bin=$1
data=${2:-.bench-data}
mkdir -p "$data"

echo "== synth: 20 BraTS-like cases at 240x240x160 (one-hot float32 masks, as the Keras user stores them)"
rm -rf "$data/synth20"
"$bin/patchtrain" synth --out "$data/synth20" --cases 20 --shape 240x240x160 --seed 1 2>/dev/null

echo "== patches: 1,000 patches of 128^3 through the sampler and prefetcher (cold foreground-index cache)"
rm -rf "$data/cache"
PATCHTRAIN_CACHE="$data/cache" "$bin/patchtrain-bench" patches --data "$data/synth20" --patch 128 --count 1000 --depth 2
