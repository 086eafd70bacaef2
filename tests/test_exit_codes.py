#!/usr/bin/env python3
"""The README's "Exit codes" table must equal the program's own table
(helper/exitcodes.c, printed by the hidden `--exit-codes`), every cause of
src/error.h must map to a listed code (--exit-codes exits 0), `--help` must
name every code of the summary with its words, and the man page every
numeric code, those of the summary with the same words.

usage: test_exit_codes.py HELPER"""
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def table_rows(lines):
    """(code, meaning) of each markdown row '| a | b |' up to the first blank line after the table starts."""
    rows, started = [], False
    for line in lines:
        m = re.match(r"^\|\s*(.+?)\s*\|\s*(.+?)\s*\|$", line.rstrip("\n"))
        if m:
            started = True
            if m.group(1) not in ("code", "---") and not m.group(1).startswith("---"):
                rows.append((m.group(1), m.group(2)))
        elif started:
            break
    return rows


def readme_rows():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        lines = f.readlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == "### Exit codes")
    return table_rows(lines[start + 1:])


def main():
    helper = sys.argv[1]
    failures = []
    p = subprocess.run([helper, "--exit-codes"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        failures.append("--exit-codes exited %d: %s" % (p.returncode, p.stderr.strip()))
    prog = table_rows(p.stdout.splitlines())
    readme = readme_rows()
    if not prog:
        failures.append("--exit-codes printed no table")
    for row in prog:
        if row not in readme:
            failures.append("README lacks (or words differently) the row | %s | %s |" % row)
    for row in readme:
        if row not in prog:
            failures.append("README has the row | %s | %s |, the program's table does not" % row)
    if [r[0] for r in readme] != [r[0] for r in prog] and not failures:
        failures.append("README lists the codes in another order: %s" % [r[0] for r in readme])
    h = subprocess.run([helper, "--help"], capture_output=True, text=True, timeout=30)
    summary = " ".join(h.stdout.split("Exit codes:", 1)[-1].split("\n\n", 1)[0].split())
    for code, _ in prog:
        if code.isdigit() and int(code) <= 78 and not re.search(r"(^| )%s " % code, summary):
            failures.append("--help's exit-code summary lacks %s" % code)
    # "CODE brief" items of --help's summary, as the program prints them (from the same table)
    briefs = [x.strip().rstrip(".") for x in re.split(r",\s+(?=\d+ )", summary) if x.strip()]
    with open(os.path.join(ROOT, "packaging/man/influx-token-helper.1"), encoding="utf-8") as f:
        man = f.read().split(".SH EXIT STATUS", 1)[-1].split(".SH", 1)[0]
    for code, _ in prog:
        if code.isdigit() and not re.search(r"(^|\D)%s(\D|$)" % code, man):
            failures.append("the man page's EXIT STATUS lacks %s" % code)
    man_words = " ".join(man.replace("\\-", "-").split())
    for item in briefs:
        if item not in man_words:
            failures.append("the man page's EXIT STATUS does not say %r as --help does" % item)
    for f in failures:
        print("FAIL: " + f)
    print("exit codes: %d codes, README and --exit-codes %s" % (len(prog), "differ" if failures else "agree"))
    print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
