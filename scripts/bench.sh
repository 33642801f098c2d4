#!/usr/bin/env bash
# `make bench`: the benchmarks, each measured side by side in one run (figures go in docs/benchmarks.md).
# Usage: scripts/bench.sh BIN_DIR [BENCH_DIR]
# PEER_BENCH=1 adds the training step side by side with PyTorch and Keras (scripts/peer_step_bench.sh, which reads
# its own PEER_* settings); PEER_BENCH=only runs just that.
set -euo pipefail
bin=$1
data=${2:-.bench-data}
mkdir -p "$data"
peer_bench=${PEER_BENCH:-0}
case $peer_bench in
    0 | 1) ;;
    only) exec bash scripts/peer_step_bench.sh --bin "$bin" --data "$data" ;;
    *) echo "bench.sh: PEER_BENCH must be 0, 1 or only, not '$peer_bench'" >&2; exit 2 ;;
esac

echo "== synth: 20 BraTS-like cases at 240x240x160 (one-hot float32 masks, as the Keras user stores them)"
rm -rf "$data/synth20"
"$bin/patchtrain" synth --out "$data/synth20" --cases 20 --shape 240x240x160 --seed 1 2>/dev/null

echo "== patches: 1,000 patches of 128^3 through the sampler and prefetcher (cold foreground-index cache)"
rm -rf "$data/cache"
PATCHTRAIN_CACHE="$data/cache" "$bin/patchtrain-bench" patches --data "$data/synth20" --patch 128 --count 1000 --depth 2

echo "== conv: 3x3x3 convolution passes beside sgemm 2048^2 (same process, back to back)"
"$bin/patchtrain-bench" conv --cases 16:16:128x128x128,64:64:32x32x32,16:16:240x240x160,32:16:240x240x160

echo "== profile: where a training step's time goes, every operation, 128^3 and the whole 240x240x160 volume"
"$bin/patchtrain-bench" profile --data "$data/synth20" --patch 128x128x128 --steps 2 --warmup 1
"$bin/patchtrain-bench" profile --data "$data/synth20" --patch 240x240x160 --steps 2 --warmup 1

echo "== block: one conv block (Conv-BN-ReLU x2, 16 channels, 128^3) forward + backward; PyTorch fp32 right after"
"$bin/patchtrain-bench" block
peers=${PEERS:-$HOME/.cache/patchtrain-peers}
if [ -x "$peers/venv-torch/bin/python" ]; then
    OMP_NUM_THREADS=2 "$peers/venv-torch/bin/python" scripts/torch_conv_block_bench.py 2
else
    echo "(PyTorch side skipped: run ../shared/peers/setup.sh to create $peers/venv-torch)"
fi

if [ "$peer_bench" = 1 ]; then
    echo "== peer step: a training step at a patch and at the whole volume, patchtrain beside PyTorch fp32 and Keras"
    bash scripts/peer_step_bench.sh --bin "$bin" --data "$data"
fi
