#!/bin/sh
# Build the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# and run each for FUZZ_SECONDS (default 20) on a scratch copy of its seed
# corpus. Prints each target's final libFuzzer line; exits non-zero on a crash,
# a leak or a sanitizer report. Usage: tests/fuzz/run.sh [SECONDS]
# Without clang or libFuzzer it reports a skip (77); under CI=true it fails
# instead when apt offers the missing package (tests/skiprule.sh).
set -eu
cd "$(dirname "$0")/../.."
. tests/skiprule.sh
secs=${1:-${FUZZ_SECONDS:-20}}
if ! command -v clang >/dev/null 2>&1; then
  ith_skip_exit clang "clang is not installed (apt-get install clang)"
fi
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
  >"$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
  rm -rf "$probe"
  ith_skip_exit libclang-rt-dev "clang cannot link libFuzzer here (apt-get install libclang-rt-dev)"
fi
rm -rf "$probe"
build=${FUZZ_BUILD:-build-fuzz}
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DITH_FUZZ=ON -DITH_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target fuzz_config fuzz_api >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for t in config api; do
  mkdir -p "$work/$t"
  log="$work/$t.log"
  if ! "$build/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz_$t: FAILED"; tail -40 "$log"; rc=1; continue
  fi
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  execs=$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "fuzz_$t: ${secs}s, $execs execs, no crash: $done_line"
done
if [ $rc -eq 0 ]; then echo "2 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $rc
