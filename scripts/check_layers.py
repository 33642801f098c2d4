#!/usr/bin/env python3
"""Checks that the library's folders depend on each other in one direction only.

Every top-level declaration (type, typealias, function, constant) of a folder under Sources/PatchTrain is a name
that folder owns; a file that mentions a name owned by another folder depends on that folder. The folders are
listed below from the bottom layer up (docs/architecture.md says the same); a folder may use the folders below
it and never one above it, so no two folders can use each other.

Usage: scripts/check_layers.py [SOURCES_DIR]   (prints the graph; exits 1 naming every upward reference)
"""
import os
import re
import sys

LAYERS = [
    "Support",
    "Tensor",
    "IO",
    "Distributed",
    "Plotting",
    "Kernels",
    "Data",
    "Network",
    "Memory",
    "Engine",
    "Evaluation",
    "Inference",
    "Training",
    "Report",
]

DECLARATION = re.compile(
    r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|internal|package|final|indirect|nonisolated)\s+)*"
    r"(?:struct|class|enum|protocol|typealias|actor|func|let|var)\s+([A-Za-z_]\w*)"
)
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def strip_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r'"""(.*?)"""', '""', text, flags=re.S)
    lines = []
    for line in text.split("\n"):
        line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
        line = line.split("//", 1)[0]
        lines.append(line)
    return "\n".join(lines)


def folder_of(root, path):
    return os.path.relpath(path, root).split(os.sep)[0]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "Sources/PatchTrain"
    files = []
    for directory, _, names in os.walk(root):
        files += [os.path.join(directory, n) for n in names if n.endswith(".swift")]
    sources = {path: strip_comments_and_strings(open(path, encoding="utf-8").read()) for path in files}

    owner = {}
    problems = []
    for path, text in sources.items():
        folder = folder_of(root, path)
        if folder not in LAYERS:
            problems.append(f"{path}: folder '{folder}' is not in the layer list of scripts/check_layers.py")
            continue
        for line in text.split("\n"):
            match = DECLARATION.match(line)
            if match and not line.startswith(("private ", "fileprivate ")):
                owner.setdefault(match.group(1), folder)

    edges = {}
    for path, text in sources.items():
        folder = folder_of(root, path)
        if folder not in LAYERS:
            continue
        for name in set(IDENTIFIER.findall(text)):
            other = owner.get(name)
            if other and other != folder:
                edges.setdefault((folder, other), set()).add((os.path.relpath(path, root), name))

    rank = {layer: i for i, layer in enumerate(LAYERS)}
    for (user, used), uses in sorted(edges.items(), key=lambda e: (rank[e[0][0]], rank[e[0][1]])):
        upward = rank[used] > rank[user]
        names = sorted({name for _, name in uses})
        print(f"{user:>10} -> {used:<10} {'UPWARD ' if upward else ''}{', '.join(names[:8])}{' …' if len(names) > 8 else ''}")
        if upward:
            for path, name in sorted(uses):
                problems.append(f"{path} uses {name} from {used}/, a layer above {user}/")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"check_layers: {len(problems)} references against the layer order", file=sys.stderr)
        return 1
    print(f"check_layers: {len(sources)} files in {len(LAYERS)} layers, every reference points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
