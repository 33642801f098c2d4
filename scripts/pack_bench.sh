#!/usr/bin/env bash
# The pack against the .npy set it came from, side by side in one run (figures in docs/benchmarks.md, "Packs"):
# bytes on disk, pack time per chunk edge, and 128^3 patches/s through the sampler and prefetcher from the .npy
# set and from the pack, with a warm page cache and right after dropping it.
# Usage: scripts/pack_bench.sh BIN_DIR [BENCH_DIR] [CASES]
# Dropping the page cache needs root (echo 1 > /proc/sys/vm/drop_caches); without it the files are evicted one by
# one with posix_fadvise(DONTNEED), which drops their clean pages just the same. It slows other processes on the
# machine for a moment (they read their files again): run it at a quiet moment.
set -euo pipefail
bin=$1
data=${2:-.bench-data}
cases=${3:-20}
set_dir="$data/synth$cases"
mkdir -p "$data"
count=${PACK_BENCH_COUNT:-400}
cold_count=${PACK_BENCH_COLD_COUNT:-200}
rounds=${PACK_BENCH_ROUNDS:-3}

drop_cache() {  # $1: the dataset (folder or pack) whose pages must leave the page cache
    sync
    if (echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null; then
        echo "(page cache dropped: /proc/sys/vm/drop_caches)"
    else
        find "$1" -type f -print0 | xargs -0 python3 -c 'import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)'
        echo "(drop_caches not permitted: the dataset's files evicted with posix_fadvise(DONTNEED))"
    fi
}

rate() { grep -o '[0-9.]* patches/s' | head -1; }
sample() {  # $1 dataset, $2 count
    PATCHTRAIN_CACHE="$data/cache" "$bin/patchtrain-bench" patches --data "$1" --patch 128 --count "$2" --depth 2 --seed 3
}

if [ ! -f "$set_dir/images/case_$(printf %03d $((cases - 1))).npy" ]; then
    echo "== synth: $cases cases at 240x240x160 (one-hot float32 masks)"
    "$bin/patchtrain" synth --out "$set_dir" --cases "$cases" --shape 240x240x160 --seed 1 2>/dev/null
fi
npy_bytes=$(du -sb --apparent-size "$set_dir" | cut -f1)
echo "== pack per chunk edge"
for edge in 16 32 64; do
    start=$(date +%s.%N)
    "$bin/patchtrain" pack "$set_dir" --out "$data/synth$cases-c$edge.ptpack" --chunk "$edge" 2>/dev/null >/dev/null
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    bytes=$(stat -c %s "$data/synth$cases-c$edge.ptpack")
    sample "$data/synth$cases-c$edge.ptpack" 100 >/dev/null   # warm
    warm=$(sample "$data/synth$cases-c$edge.ptpack" "$count" | rate)
    echo "chunk $edge: $bytes bytes ($(echo "scale=1; $npy_bytes / $bytes" | bc)x smaller than $npy_bytes B of .npy), packed in ${seconds}s, warm $warm"
done
pack="$data/synth$cases-c32.ptpack"

echo "== sampling 128^3 patches, side by side: $rounds interleaved rounds with a warm page cache, then cold"
sample "$set_dir" 100 >/dev/null
sample "$pack" 100 >/dev/null
npy_rates=() pack_rates=()
for round in $(seq "$rounds"); do
    npy_rates+=("$(sample "$set_dir" "$count" | rate | cut -d' ' -f1)")
    pack_rates+=("$(sample "$pack" "$count" | tee "$data/pack-warm.txt" | rate | cut -d' ' -f1)")
    echo "round $round: npy warm ${npy_rates[-1]} patches/s, pack warm ${pack_rates[-1]} patches/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median: npy warm $(median "${npy_rates[@]}") patches/s, pack warm $(median "${pack_rates[@]}") patches/s"
grep -E "planned|peak RSS" "$data/pack-warm.txt"
drop_cache "$set_dir"
echo "npy  cold: $(sample "$set_dir" "$cold_count" | rate) (first $cold_count patches after the drop)"
drop_cache "$pack"
echo "pack cold: $(sample "$pack" "$cold_count" | rate) (first $cold_count patches after the drop)"
