#!/usr/bin/env bash
# The main job on the embedded default: synthetic BraTS-like data, a look at it, and a memory plan for it.
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
echo "demo finished: outputs in $out"
