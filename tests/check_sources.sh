#!/bin/sh
# Source checks: banned C calls (unsafe or unbounded: sprintf, strcpy, ...), no function over 60 lines in src/ and
# helper/ (tests/check_function_length.py), the layering (tests/check_layers.py: the tier table of
# ARCHITECTURE.md, no include up a tier, no include cycle), one unit suite per src/ module, and every scenario file names a title and its
# keywords (tests/run_scenarios.py --check-keywords).
# Exit 0 when clean; prints each offence.
set -u
cd "$(dirname "$0")/.."
rc=0
bad=$(grep -nE '(^|[^A-Za-z0-9_])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\(' \
  src/*.c src/*.h helper/*.c helper/*.h tests/unit/*.c tests/contract/*.c 2>/dev/null)
if [ -n "$bad" ]; then
  echo "banned calls (use snprintf, ith_strbuf, strtol with checks):"
  echo "$bad"
  rc=1
fi
# no function over 60 lines in src/ and helper/ (one screen; split into named static helpers)
if ! long=$(python3 tests/check_function_length.py --limit 60); then
  echo "functions over 60 lines (split them into named static helpers):"
  echo "$long"
  rc=1
fi
# the layering: every file in the tier table, includes only down, no cycle
if ! layers=$(python3 tests/check_layers.py); then
  echo "layering (ARCHITECTURE.md's tier table; tests/check_layers.py):"
  echo "$layers"
  rc=1
fi
# one unit suite per core module, named after it: src/NAME.c is tested in tests/unit/test_NAME.c
for f in src/*.c; do
  m=$(basename "$f" .c | tr - _)
  [ -f "tests/unit/test_$m.c" ] || { echo "$f: no unit suite tests/unit/test_$m.c (one suite per core module)"; rc=1; }
done
for f in tests/scenarios/*.case; do
  grep -q '^title ' "$f" || { echo "$f: no title line"; rc=1; }
done
# every scenario names its keywords, from the vocabulary, with those its directives imply
if ! kw=$(python3 tests/run_scenarios.py --helper none --check-keywords); then
  echo "scenario keywords (tests/run_scenarios.py KEYWORDS; tests/scenarios/README.md):"
  echo "$kw"
  rc=1
fi
n=$(ls tests/scenarios/*.case | wc -l)
if [ "$rc" -eq 0 ]; then
  echo "source checks: banned calls none; no function over 60 lines; $(echo "$layers" | tail -1);"
  echo "  every module of src/ has its unit suite;"
  echo "  $n scenario files titled; $kw"
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
fi
exit $rc
