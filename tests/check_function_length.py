#!/usr/bin/env python3
"""Print every C function in src/ and helper/ longer than the limit (default 60 lines), longest first.

A function is a line that opens with '{' in column 0 after its signature, and ends at the next '}' in column 0;
its length counts the lines between the braces, both braces included. Exit 1 when any is over the limit.
Usage: check_function_length.py [--limit N] [--all] [ROOT]
"""
import glob
import os
import re
import sys


def functions(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("{"):
            # the name is the identifier before the first '(' of the signature above
            j = i - 1
            sig = ""
            while j >= 0 and lines[j].strip() and not lines[j].startswith(("}", "#")):
                sig = lines[j] + " " + sig
                if "(" in lines[j] and not lines[j].startswith((" ", "\t")):
                    break
                j -= 1
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", sig)
            name = m.group(1) if m else "?"
            k = i + 1
            while k < len(lines) and not lines[k].startswith("}"):
                k += 1
            yield name, j + 1, k - i + 1
            i = k
        i += 1


def main():
    args = sys.argv[1:]
    limit, show_all = 60, False
    if "--limit" in args:
        n = args.index("--limit")
        limit = int(args[n + 1])
        del args[n:n + 2]
    if "--all" in args:
        show_all = True
        args.remove("--all")
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    found = []
    for d in ("src", "helper"):
        for path in sorted(glob.glob(os.path.join(root, d, "*.c"))):
            rel = os.path.relpath(path, root)
            for name, line, length in functions(path):
                if show_all or length > limit:
                    found.append((length, rel, line, name))
    found.sort(key=lambda x: (-x[0], x[1], x[2]))
    for length, rel, line, name in found:
        print(f"{length:4d}  {rel}:{line}  {name}")
    over = [f for f in found if f[0] > limit]
    print(f"functions over {limit} lines: {len(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
