#!/usr/bin/env bash
# The main job on the embedded default: synthetic BraTS-like data, a look at it, its pack, a memory plan for it, and
# training under that plan with validation, a resume, then sliding-window inference with the best weights (and a
# picture of each prediction), its evaluation, and the run's report as one HTML page.
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
echo "== pack: the same cases as one file of zstd-compressed, checksummed chunks (fp16 images, uint8 labels) that"
echo "   every command reads as a dataset"
"$bin" pack "$out/data" --out "$out/data.ptpack"
"$bin" inspect "$out/data.ptpack"
echo "== plan: the largest training configuration that fits 1 GiB of RAM, byte by byte, and the patch-size"
echo "   curriculum that grows to it (one row per stage; the arena is planned for the stage marked *)"
"$bin" plan --data "$out/data" --ram 1G
echo "== plan --time 2m: what fit plans for a two-minute run: the largest patch that fits and still leaves"
echo "   the run 400 updates at this machine's speed (at least 64³)"
"$bin" plan --data "$out/data" --ram 1G --time 2m | grep -E '^(chosen|time|predicted|step time)'
echo "== fit: two minutes of wall time in all, one case set aside and validated by sliding windows as the run passes"
echo "   each quarter of its time and at the end (defaults: patch planned for the time, instance norm, Dice + CE, lr 2e-3, poly)"
"$bin" fit --data "$out/data" --ram 1G --validation 1 --time 2m --out "$out/run"
echo "== fit --resume: the same run with 30 s more budget (it continues from the time its checkpoint had used)"
"$bin" fit --resume "$out/run" --time 2m30s
echo "== infer: sliding-window segmentation of every case with the best checkpoint, in 512 MiB"
echo "   (--preview: three slices of each case with its predicted labels, previews/CASE.png)"
"$bin" infer --model "$out/run/best" --input "$out/data" --out "$out/predictions" --ram 512M --preview "$out/previews"
echo "== evaluate: Dice per class and BraTS region against the masks"
"$bin" evaluate --pred "$out/predictions" --truth "$out/data"
echo "== report: the run as one HTML page (curves, memory plan against the measured peak, validation slices,"
echo "   configuration); fit also kept run/progress.png current at each validation"
echo "demo finished: outputs in $out; the run's report:"
"$bin" report "$out/run" --out "$out/report.html"
