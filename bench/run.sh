#!/usr/bin/env bash
# Build a release tree and run the benchmarks (bench/run.py). Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ith_ensure_packages "${ITH_BUILD_PACKAGES[@]}" hyperfine git time
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DITH_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
cmake --build build-release --target renewal-sim >/dev/null
exec python3 bench/run.py --helper build-release/influx-token-helper "$@"
