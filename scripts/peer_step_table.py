#!/usr/bin/env python3
"""The markdown table of one scripts/peer_step_bench.sh run: seconds per training step and peak RSS (VmHWM) of
patchtrain, PyTorch fp32 and Keras for each configuration, and patchtrain's ratios to each peer.

    python3 scripts/peer_step_table.py RUN_DIR/results.jsonl

Each line of the file is one configuration's record (watchdog.py's format): {"tag": "FRAMEWORK:CONFIG:SHAPE",
"status", "result": the run's RESULT json or null, ...}. Nothing here measures anything; it only tabulates.
"""
import json
import sys

FRAMEWORKS = [("patchtrain", "patchtrain"), ("torch-fp32", "PyTorch fp32"), ("keras", "Keras")]
CONFIG_NAMES = {"patch": "patch", "volume": "whole volume"}


def figures(framework, record):
    """(seconds per step, peak RSS in GiB), or None when the run left no result."""
    result = record.get("result") or {}
    if framework == "patchtrain":
        if "medianStepSeconds" not in result:
            return None
        return result["medianStepSeconds"], result["measured"] / 2**30
    if "median_step_s" not in result:
        return None
    return result["median_step_s"], result["peak_VmHWM_GiB"]


def main(path):
    records = [json.loads(line) for line in open(path) if line.strip()]
    by_config = {}  # (config, shape) -> framework -> record, in the order the configurations ran
    for record in records:
        framework, config, shape = record["tag"].split(":", 2)
        by_config.setdefault((config, shape), {})[framework] = record

    header = ["configuration"]
    for _, name in FRAMEWORKS:
        header += [f"{name} s/step", f"{name} peak RSS"]
    header += [f"patchtrain / {name} (time · RSS)" for _, name in FRAMEWORKS[1:]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for (config, shape), runs in by_config.items():
        row = [f"{CONFIG_NAMES.get(config, config)} {shape.replace('x', '×')}"]
        found = {}
        for framework, _ in FRAMEWORKS:
            record = runs.get(framework)
            f = figures(framework, record) if record else None
            if f:
                found[framework] = f
                row += [f"{f[0]:.2f} s", f"{f[1]:.2f} GiB"]
            else:
                # Not run (venv missing), or no RESULT line: say which.
                why = "skipped" if record is None else record.get("status", "failed")
                row += [why, why]
        mine = found.get("patchtrain")
        for framework, _ in FRAMEWORKS[1:]:
            theirs = found.get(framework)
            row.append(f"{mine[0] / theirs[0]:.2f}× · {mine[1] / theirs[1]:.2f}×" if mine and theirs else "–")
        print("| " + " | ".join(row) + " |")

    # What a reader needs to judge the figures: failures, and how busy the machine was meanwhile.
    print()
    for record in records:
        notes = [record.get("status", "?")]
        if "other_procs_cpu_cores_avg" in record:
            notes.append(f"other processes used {record['other_procs_cpu_cores_avg']} cores on average")
        result = record.get("result") or {}
        if record["tag"].startswith("patchtrain:") and "predicted" in result:
            notes.append(f"predicted peak {result['predicted'] / 2**30:.2f} GiB, measured {result['measured'] / 2**30:.2f} GiB")
            if record.get("status") == "exit_1":
                notes.append("its ±5% prediction check failed (see the log)")
        if "step_times_s" in result or "stepSeconds" in result:
            notes.append(f"timed steps {result.get('step_times_s', result.get('stepSeconds'))} s")
        print(f"- `{record['tag']}`: " + "; ".join(notes))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
