# Shared by scripts/demo and scripts/test: install what is missing (Debian/Ubuntu).
# Written for Debian 12 and 13, Ubuntu 22.04 and 24.04.

ith_need_cmd() { command -v "$1" >/dev/null 2>&1; }

# ith_apt ARGS... : apt-get ARGS, showing its output. Another apt or dpkg
# (unattended-upgrades on a fresh machine) may hold the package lock: apt-get
# itself waits for it up to 10 minutes (DPkg::Lock::Timeout), and a lock error
# it still reports (older apt, the lists lock) is retried until the same
# 10 minutes are over.
ith_apt() {
  local sudo="" log rc deadline
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  deadline=$(($(date +%s) + 600))
  log=$(mktemp)
  while :; do
    set +e
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 "$@" 2>&1 |
      tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ] && grep -qE 'Could not get lock|Unable to acquire|Unable to lock' "$log" &&
      [ "$(date +%s)" -lt "$deadline" ]; then
      echo "==> the package lock is held by another apt/dpkg; waiting for it (until $(date -d "@$deadline" +%H:%M:%S))"
      sleep 10
      continue
    fi
    rm -f "$log"
    return "$rc"
  done
}

# The candidate check (ith_apt_candidate) and the skip rule the tests share.
. "$(dirname "${BASH_SOURCE[0]}")/../tests/skiprule.sh"

# ith_ensure_packages PKG... : apt-get install the packages that dpkg lacks.
# ith_not_installed PKG... : the packages of those that dpkg lacks, one a line.
# (Output is captured, then matched: no pipeline can die of SIGPIPE under pipefail.)
ith_not_installed() {
  local p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || status=""
    case $status in
      *" ok installed" | *" ok triggers-pending" | *" ok triggers-awaited") ;;  # want: install or hold
      *) echo "$p" ;;
    esac
  done
}

ith_ensure_packages() {
  local missing=()
  mapfile -t missing < <(ith_not_installed "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing with apt-get: ${missing[*]}"
  echo "    (if another apt or dpkg holds the package lock, this waits for it up to 10 minutes)"
  ith_apt_update
  ith_apt install -y --no-install-recommends "${missing[@]}"
  echo "==> installed: ${missing[*]}"
}

# apt-get update, once per script.
ith_apt_update() {
  [ -n "${ITH_APT_UPDATED:-}" ] && return 0
  ith_apt update
  ITH_APT_UPDATED=1
}

# ith_ensure_optional_packages PKG... : like ith_ensure_packages, for packages
# a release may not have (influxdb is gone from newer Debian, say): those that
# apt offers (a candidate version) are installed; those it does not are named,
# and the tests that need them report a skip. Under CI=true a test whose
# package apt offers fails instead of skipping (tests/skiprule.sh).
ith_ensure_optional_packages() {
  local missing=() avail=() p
  mapfile -t missing < <(ith_not_installed "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> looking for optional packages: ${missing[*]}"
  echo "    (if another apt or dpkg holds the package lock, this waits for it up to 10 minutes)"
  ith_apt_update
  for p in "${missing[@]}"; do
    if [ -n "$(ith_apt_candidate "$p")" ]; then
      avail+=("$p")
    else
      echo "==> $p is not available here: the tests that need it will report a skip"
    fi
  done
  [ ${#avail[@]} -eq 0 ] && return 0
  echo "==> installing with apt-get: ${avail[*]}"
  ith_apt install -y --no-install-recommends "${avail[@]}"
  echo "==> installed: ${avail[*]}"
}

# What builds the program (the demo needs only these).
ITH_BUILD_PACKAGES=(build-essential cmake pkg-config libcurl4-openssl-dev libjson-c-dev libconfig-dev python3)

# Only the tests need these: CUnit; openssl for the TLS scenario; clang
# for the fuzz smoke run; valgrind; what builds and checks the deb and rpm
# (rpmbuild comes from Debian's rpm package; cpack's DEB generator runs
# file(1)); debootstrap and systemd-nspawn, which boot the system the
# systemd-live test installs the package into.
ITH_TEST_PACKAGES=(libcunit1-dev ca-certificates openssl clang valgrind rpm lintian dpkg-dev file systemd man-db
  groff-base debootstrap systemd-container)
# Tests need these too, but a release may lack them; their tests then report
# a skip (under CI=true only where apt does not offer them: tests/skiprule.sh;
# Debian 12 offers all five): a real InfluxDB 1.x to accept the line protocol of `status --format
# influx` (started by the test on a loopback port); libFuzzer for clang;
# python3-tomli, the TOML parser for Python older than 3.11 (no tomllib),
# also used by the test that forces that fallback; promtool (Debian's
# prometheus package) to parse `status --format prometheus`; python3-yaml,
# which parses the Kubernetes samples (tests/test_k8s_samples.py).
ITH_OPTIONAL_TEST_PACKAGES=(influxdb libclang-rt-dev python3-tomli prometheus python3-yaml)

# ith_build DIR [cmake args...]
ith_build() {
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" >/dev/null
}
