#!/usr/bin/env bash
# The main job on the embedded default: synthetic BraTS-like data, a look at it, a memory plan for it, and
# training under that plan, then sliding-window inference with the trained weights.
# Usage: scripts/demo.sh PATH/TO/patchtrain OUTPUT_DIR
set -euo pipefail
bin=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
echo "== synth: 4 BraTS-like cases (96x96x64, one-hot masks as the Keras user stores them)"
"$bin" synth --out "$out/data" --cases 4 --shape 96x96x64 --seed 7
echo "== inspect"
"$bin" inspect "$out/data"
echo "== plan: the largest training configuration that fits 1 GiB of RAM, byte by byte"
"$bin" plan --data "$out/data" --ram 1G --out "$out/plan.json"
echo "== fit: a few optimizer steps under that plan (measured peak RSS beside the prediction at the end)"
"$bin" fit --data "$out/data" --plan "$out/plan.json" --steps 4 --out "$out/run"
echo "== fit --resume: two more steps from the checkpoint in run/last (the same weights a 6-step run would reach)"
"$bin" fit --resume "$out/run" --steps 6
echo "== infer: sliding-window segmentation of the cases with the trained weights, in 512 MiB"
"$bin" infer --model "$out/run/last" --input "$out/data" --out "$out/predictions" --ram 512M
echo "demo finished: outputs in $out"
