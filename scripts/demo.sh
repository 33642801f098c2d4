#!/usr/bin/env bash
# The main job on the embedded default: synthetic BraTS-like data, a look at it, a memory plan for it, and
# training under that plan with validation, a resume, then sliding-window inference with the best weights and
# its evaluation.
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
echo "== fit: 30 steps under that plan, one case set aside and validated by sliding windows every 10 steps"
echo "   (measured peak RSS beside the prediction at the end)"
"$bin" fit --data "$out/data" --plan "$out/plan.json" --validation 1 --val-every 10 --steps 30 --lr 2e-3 --loss dice+ce \
    --out "$out/run"
echo "== fit --resume: two more steps from the checkpoint in run/last (the same weights a 32-step run would reach)"
"$bin" fit --resume "$out/run" --steps 32
echo "== infer: sliding-window segmentation of every case with the best checkpoint, in 512 MiB"
"$bin" infer --model "$out/run/best" --input "$out/data" --out "$out/predictions" --ram 512M
echo "== evaluate: Dice per class and BraTS region against the masks"
"$bin" evaluate --pred "$out/predictions" --truth "$out/data"
echo "demo finished: outputs in $out"
