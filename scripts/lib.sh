# Shared by scripts/demo and scripts/test: install what is missing (Debian/Ubuntu).

ith_need_cmd() { command -v "$1" >/dev/null 2>&1; }

# ith_ensure_packages PKG... : apt-get install the packages that dpkg lacks.
ith_ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Node.js may come from elsewhere (e.g. NodeSource); only install when absent.
  ith_need_cmd npm || missing+=(nodejs npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

ITH_BUILD_PACKAGES=(build-essential cmake pkg-config libcurl4-openssl-dev libjson-c-dev libconfig-dev
  libcunit1-dev python3 ca-certificates openssl)

# Only the tests need these: a real InfluxDB 1.x to accept the line protocol
# of `status --format influx` (started by the test on a loopback port),
# clang with libFuzzer for the fuzz smoke run, valgrind, and what builds and
# checks the deb and rpm (rpmbuild comes from Debian's rpm package).
ITH_TEST_PACKAGES=(influxdb clang libclang-rt-dev valgrind rpm lintian dpkg-dev systemd man-db groff-base)

# ith_build DIR [cmake args...]
ith_build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DITH_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" >/dev/null
}
