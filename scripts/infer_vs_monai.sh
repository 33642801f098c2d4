#!/usr/bin/env bash
# Sliding-window inference side by side: patchtrain infer and MONAI sliding_window_inference (the peers'
# sw_infer_bench.py) on one 240x240x160 volume, same network, window 128^3, overlap 0.5, Gaussian blending,
# two threads, one after the other in this run. Prints wall time and peak RSS of each, and the ratios.
# Usage: scripts/infer_vs_monai.sh BIN_DIR [BENCH_DIR]
#   PEERS_DIR: the peers' scripts (default ../shared/peers); PEERS: their venvs (default ~/.cache/patchtrain-peers)
set -euo pipefail
bin=$1
data=${2:-.bench-data}
peers_dir=${PEERS_DIR:-../shared/peers}
venvs=${PEERS:-$HOME/.cache/patchtrain-peers}
python=$venvs/venv-torch/bin/python
mkdir -p "$data"

# The model: the default network's weights after one training step (inference time does not depend on values).
if [ ! -f "$data/infer-model/last/weights.safetensors" ]; then
    rm -rf "$data/infer-case" "$data/infer-model"
    "$bin/patchtrain" synth --out "$data/infer-case" --cases 1 --shape 240x240x160 --seed 5 >/dev/null 2>&1
    "$bin/patchtrain" fit --data "$data/infer-case" --ram 1G --steps 1 --out "$data/infer-model" >/dev/null 2>&1
fi

echo "== patchtrain infer: window 128^3, overlap 0.5, gaussian"
"$bin/patchtrain" infer --model "$data/infer-model/last" --input "$data/infer-case/images/case_000.npy" \
    --out "$data/infer-out" --window 128x128x128 --overlap 0.5 --blend gaussian --json 2>/dev/null > "$data/infer.json"
ours=$(python3 -c "
import json; s = json.load(open('$data/infer.json'))
print(s['cases'][0]['seconds'], s['measuredPeakBytes'] / 2**30, s['cases'][0]['passes'])")
read -r ours_s ours_gib ours_windows <<< "$ours"
echo "patchtrain: ${ours_s} s, ${ours_windows} windows, peak RSS ${ours_gib} GiB"

if [ ! -x "$python" ] || [ ! -f "$peers_dir/sw_infer_bench.py" ]; then
    echo "(MONAI side skipped: no $python or $peers_dir/sw_infer_bench.py; run the peers' setup.sh)"
    exit 0
fi
echo "== MONAI sliding_window_inference: roi 128, overlap 0.5, gaussian (one warm-up window, then one timed call)"
OMP_NUM_THREADS=2 "$python" "$peers_dir/sw_infer_bench.py" --roi 128 --overlap 0.5 --mode gaussian --repeats 1 --threads 2 \
    > "$data/monai.log" 2>&1
theirs=$(python3 -c "
import json
line = [l for l in open('$data/monai.log') if l.startswith('RESULT ')][-1]
r = json.loads(line[7:]); print(r['wall_s'][-1], r['peak_VmHWM_GiB'], r['windows_per_call'])")
read -r monai_s monai_gib monai_windows <<< "$theirs"
echo "MONAI: ${monai_s} s, ${monai_windows} windows, peak RSS ${monai_gib} GiB"
python3 -c "
print('| | wall s | peak RSS GiB | windows |')
print('|---|---|---|---|')
print('| patchtrain | %.1f | %.3f | %s |' % ($ours_s, $ours_gib, '$ours_windows'))
print('| MONAI fp32 | %.1f | %.3f | %s |' % ($monai_s, $monai_gib, '$monai_windows'))
print('| ratio | %.2fx | %.2fx | |' % ($ours_s / $monai_s, $ours_gib / $monai_gib))"
