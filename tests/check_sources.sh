#!/bin/sh
# Source checks: banned C calls (unsafe or unbounded: sprintf, strcpy, ...), no function over 60 lines in src/ and
# helper/ (tests/check_function_length.py), and every scenario file names a title.
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
for f in tests/scenarios/*.case; do
  grep -q '^title ' "$f" || { echo "$f: no title line"; rc=1; }
done
n=$(ls tests/scenarios/*.case | wc -l)
if [ "$rc" -eq 0 ]; then
  echo "source checks: banned calls none; no function over 60 lines; $n scenario files titled"
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
fi
exit $rc
