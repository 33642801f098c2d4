#!/usr/bin/env bash
# One training step of the same 3D U-Net (16-32-64-128, bottleneck 256; Adam; soft Dice) in patchtrain, PyTorch fp32
# and Keras, side by side in one run: at a patch (default 128^3) and at the whole volume (default 240x240x160),
# 2 threads, batch 1. Every configuration runs in its own process, one at a time, under the peers' watchdog.py
# (peak RSS = the process's VmHWM; killed past --limit-gib or --timeout). Prints a markdown table.
#
# Usage: scripts/peer_step_bench.sh [--bin DIR] [--data DIR] [--peer-scripts DIR] [--peer-venvs DIR]
#            [--patch 128|XxYxZ] [--volume XxYxZ] [--configs "patch volume"] [--warmup N] [--steps N]
#            [--ram SIZE] [--timeout S] [--limit-gib G]
# The other options' defaults come from environment variables, so `PEER_PATCH=96 PEER_BENCH=1 make bench` works:
#   --bin                         release binaries (patchtrain, patchtrain-bench)          default .build/release
#   --data                        synthetic data, logs and results                           default .bench-data
#   --peer-scripts PEER_SCRIPTS   torch_unet_bench.py, tf_unet_bench.py, watchdog.py         default ../shared/peers
#                                 (beside the repository, as the peers' README runs them)
#   --peer-venvs   PEERS          the folder holding venv-torch/ and venv-tf/ (peers' setup.sh; run_all.sh's PEERS)
#                                                                                            default ~/.cache/patchtrain-peers
#   --patch        PEER_PATCH     default 128          --volume  PEER_VOLUME   default 240x240x160
#   --configs      PEER_CONFIGS   default "patch volume"
#   --warmup       PEER_WARMUP    untimed steps, default 1     --steps  PEER_STEPS  timed steps, default 3
#   --ram          PEER_RAM       patchtrain's budget; it must hold the configuration (the patch is fixed), default 16G
#   --timeout      PEER_TIMEOUT   seconds per configuration, default 1800
#   --limit-gib    PEER_LIMIT_GIB RSS at which the watchdog kills a run, default 20
# A peer whose venv or script is missing is skipped with a message; patchtrain always runs.
set -uo pipefail  # not -e: a failed configuration is recorded in the table, the others still run

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/.build/release
data=$repo/.bench-data
peer_scripts=${PEER_SCRIPTS:-$repo/../shared/peers}
peer_venvs=${PEERS:-$HOME/.cache/patchtrain-peers}
patch=${PEER_PATCH:-128}
volume=${PEER_VOLUME:-240x240x160}
configs=${PEER_CONFIGS:-patch volume}
warmup=${PEER_WARMUP:-1}
steps=${PEER_STEPS:-3}
ram=${PEER_RAM:-16G}
timeout=${PEER_TIMEOUT:-1800}
limit_gib=${PEER_LIMIT_GIB:-20}

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
fail() { echo "peer_step_bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in -h | --help) usage ;; esac
    [ $# -ge 2 ] || fail "$1 needs a value"
    case $1 in
        --bin) bin=$2 ;; --data) data=$2 ;; --peer-scripts) peer_scripts=$2 ;; --peer-venvs) peer_venvs=$2 ;;
        --patch) patch=$2 ;; --volume) volume=$2 ;; --configs) configs=$2 ;; --warmup) warmup=$2 ;;
        --steps) steps=$2 ;; --ram) ram=$2 ;; --timeout) timeout=$2 ;; --limit-gib) limit_gib=$2 ;;
        *) fail "unknown option $1 (see --help)" ;;
    esac
    shift 2
done

# Shapes as x y z; a single edge means a cube.
shape_of() {
    local s=$1
    [[ $s =~ ^[0-9]+$ ]] && s=${s}x${s}x${s}
    [[ $s =~ ^[0-9]+x[0-9]+x[0-9]+$ ]] || fail "shape '$1' is not XxYxZ (or one edge)"
    echo "${s//x/ }"
}
patch_shape=$(shape_of "$patch") || exit 2
volume_shape=$(shape_of "$volume") || exit 2
read -r px py pz <<<"$patch_shape"
read -r vx vy vz <<<"$volume_shape"
for edge in $px $py $pz $vx $vy $vz; do
    [ $((edge % 16)) -eq 0 ] || fail "every edge must be a multiple of 16 (four 2x poolings): patch $patch, volume $volume"
done
[ "$px" -le "$vx" ] && [ "$py" -le "$vy" ] && [ "$pz" -le "$vz" ] || fail "patch $patch is larger than the volume $volume"
for tool in patchtrain patchtrain-bench; do
    [ -x "$bin/$tool" ] || fail "$bin/$tool not found: build the release binaries first (make build)"
done
[[ $warmup =~ ^[0-9]+$ ]] && [[ $steps =~ ^[1-9][0-9]*$ ]] || fail "--warmup must be ≥ 0 and --steps ≥ 1"

# Everyone gets the same two threads.
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 TF_CPP_MIN_LOG_LEVEL=1

# One folder per run: its results (one JSON line per configuration) and each configuration's full output.
run_dir=$data/peer-step/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$run_dir" || fail "cannot create $run_dir"
results=$run_dir/results.jsonl
: >"$results"

# patchtrain trains on real patches from a synthetic dataset of the whole volume's shape (the peers on random
# tensors already in memory); two cases, so the prefetcher has a next case to read.
dataset=$data/peer-step-${vx}x${vy}x${vz}
if [ ! -d "$dataset/masks" ]; then
    echo "== synth: 2 cases at ${vx}x${vy}x${vz} for patchtrain" >&2
    rm -rf "$dataset"
    "$bin/patchtrain" synth --out "$dataset" --cases 2 --shape "${vx}x${vy}x${vz}" --seed 3 >/dev/null 2>&1 ||
        fail "could not write the synthetic dataset $dataset"
fi

watchdog=$peer_scripts/watchdog.py
[ -f "$watchdog" ] || echo "(peer scripts not found in $peer_scripts: PyTorch and Keras skipped, patchtrain runs without the watchdog; set PEER_SCRIPTS or --peer-scripts)" >&2

# run TAG COMMAND...: one configuration in its own process; appends {"tag", "status", "result", ...} to $results.
run() {
    local tag=$1 log=$run_dir/${1//:/_}.log
    shift
    echo "== $tag" >&2
    if [ -f "$watchdog" ]; then
        python3 "$watchdog" --tag "$tag" --out "$results" --log "$log" --limit-gib "$limit_gib" --timeout "$timeout" \
            --poll 0.2 -- "$@" >/dev/null
    else
        "$@" >"$log" 2>&1
        local rc=$? line
        line=$(grep '^RESULT ' "$log" | tail -n 1 | sed 's/^RESULT //')
        printf '{"tag": "%s", "status": "%s", "result": %s}\n' "$tag" "$([ $rc -eq 0 ] && echo ok || echo "exit_$rc")" \
            "${line:-null}" >>"$results"
    fi
}

# peer NAME VENV SCRIPT ARGS...: a peer configuration, or a message saying why it is skipped.
peer() {
    local tag=$1 python=$peer_venvs/$2/bin/python script=$peer_scripts/$3
    shift 3
    if [ ! -f "$watchdog" ]; then return; fi
    if [ ! -x "$python" ]; then echo "($tag skipped: no $python; create it with $peer_scripts/setup.sh)" >&2; return; fi
    if [ ! -f "$script" ]; then echo "($tag skipped: no $script)" >&2; return; fi
    run "$tag" "$python" "$script" "$@"
}

for config in $configs; do
    case $config in
        patch) x=$px y=$py z=$pz ;;
        volume) x=$vx y=$vy z=$vz ;;
        *) fail "unknown configuration '$config' (patch or volume)" ;;
    esac
    shape=${x}x${y}x${z}
    # Tags are framework:configuration:shape; peer_step_table.py reads them back.
    run "patchtrain:$config:$shape" "$bin/patchtrain-bench" step --data "$dataset" --ram "$ram" --batch 1 \
        --patch "$shape" --warmup "$warmup" --steps "$steps" --recompute 0
    peer "torch-fp32:$config:$shape" venv-torch torch_unet_bench.py --shape "$x" "$y" "$z" --precision fp32 \
        --threads 2 --warmup "$warmup" --steps "$steps"
    peer "keras:$config:$shape" venv-tf tf_unet_bench.py --shape "$x" "$y" "$z" --threads 2 \
        --warmup "$warmup" --steps "$steps"
done

echo "results and logs: $run_dir/" >&2
python3 "$repo/scripts/peer_step_table.py" "$results"
