#!/usr/bin/env python3
"""Checks that no function of the library is longer than a reader can hold in view.

A function (`func`, `init`, `deinit`, `subscript`) counts from the line of its keyword to the line of its closing
brace. One over the limit passes only when the comment right above it (the comment lines and attributes directly
before the declaration) carries the marker below and says why it is long: a tuned kernel loop, say, whose parts
share registers that a split would spill.

Usage: scripts/check_function_length.py [SOURCES_DIR] [--limit N]   (exits 1 naming every function over the limit)
"""
import os
import re
import sys

LIMIT = 80
MARKER = "Long by design:"
KEYWORD = re.compile(r"\b(func|init|deinit|subscript)\b")


def blank_comments_and_strings(text):
    """The text with comments and string literals replaced by spaces, newlines kept, so braces and keywords in
    them are not counted and line numbers stay."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text[i] == '"':
            j = i + 1
            depth = 0  # parentheses of an interpolation `\( … )`, which may hold strings of their own
            while j < n and text[j] != "\n":
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "(":
                    depth, j = depth + 1, j + 2
                    continue
                if text[j] == "\\":
                    j += 2
                    continue
                if depth and text[j] == "(":
                    depth += 1
                elif depth and text[j] == ")":
                    depth -= 1
                elif not depth and text[j] == '"':
                    break
                j += 1
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def generic_open(code, j):
    """Whether the `<` at `j` opens generic parameters (`f<T>`, `Array<Int>`) rather than being an operator."""
    return (code[j - 1].isalnum() or code[j - 1] == "_") and code[j + 1:j + 2] not in ("<", "=")


def functions(code):
    """(keyword line, closing line) of each function with a body, 1-based."""
    line_of = []
    line = 1
    for ch in code:
        line_of.append(line)
        if ch == "\n":
            line += 1
    found = []
    for m in KEYWORD.finditer(code):
        # A keyword that is part of a name (`.init(`, `self.init`) or a call is not a declaration.
        before = code[:m.start()].rstrip(" \t")
        if before.endswith(".") or (m.group(1) == "init" and not re.match(r"init[?!]?\s*[(<]", code[m.start():])):
            continue
        # The body starts at the first `{` outside the signature's brackets; a requirement without a body
        # (a protocol's) meets the end of its declaration first.
        depth, j = 0, m.end()
        while j < len(code):
            ch = code[j]
            if ch in "([" or (ch == "<" and generic_open(code, j)):
                depth += 1
            elif ch in ")]" or (ch == ">" and code[j - 1] != "-" and depth):
                depth -= 1
            elif ch == "{" and depth == 0:
                break
            elif ch in "};" and depth == 0:
                j = -1
                break
            elif depth == 0 and ch == "\n" and re.match(r"\s*(?:(?:public|private|internal|static|mutating)\s+)*(?:func|var|let|init|case)\b",
                                                       code[j + 1:]):
                j = -1
                break
            j += 1
        if j < 0 or j >= len(code):
            continue
        braces, k = 0, j
        while k < len(code):
            if code[k] == "{":
                braces += 1
            elif code[k] == "}":
                braces -= 1
                if braces == 0:
                    break
            k += 1
        found.append((line_of[m.start()], line_of[min(k, len(code) - 1)]))
    return found


def explained(lines, first):
    """Whether the comment block right above line `first` (1-based) holds the marker."""
    i = first - 2
    while i >= 0:
        stripped = lines[i].strip()
        if stripped.startswith("//") or stripped.startswith("@"):
            if MARKER in stripped:
                return True
            i -= 1
        else:
            return False
    return False


def main(argv):
    root, limit = "Sources/PatchTrain", LIMIT
    args = list(argv)
    if "--limit" in args:
        at = args.index("--limit")
        limit = int(args[at + 1])
        del args[at:at + 2]
    if args:
        root = args[0]
    long_ones = []
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            lines = text.split("\n")
            for first, last in functions(blank_comments_and_strings(text)):
                length = last - first + 1
                if length > limit and not explained(lines, first):
                    long_ones.append(f"{path}:{first}: {length} lines (limit {limit}): {lines[first - 1].strip()}")
    for entry in long_ones:
        print(entry)
    if long_ones:
        print(f"{len(long_ones)} function(s) over {limit} lines without a '// {MARKER}' comment above them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
