# The skip rule for shell (POSIX sh; sourced by scripts/lib.sh, tests/fuzz/run.sh,
# tests/test_packages.sh). tests/skiprule.py is the same rule for Python.
#
# A test whose component is missing reports a skip (exit 77, "SKIP: reason"), except
# under CI=true when the registry offers the Debian package that provides it: then
# the skip would hide a missing install step, so the test fails ("FAIL: reason ...").
# "Offered" means `apt-cache policy PKG` names a candidate version. ITH_FORCED_SKIP=1
# marks a run that forces its skips on purpose (tests/test_fallbacks.py, with the
# ITH_PRETEND_* variables): its skips stay skips under CI=true.
#
# No pipeline here: apt-cache's output is captured whole and then matched, so
# nothing can die of SIGPIPE (`apt-cache policy P | grep -q` under pipefail did).

# ith_apt_candidate PKG: apt's candidate version of PKG on stdout, or nothing when
# apt offers none (or there is no apt-cache). Always returns 0.
ith_apt_candidate() {
  command -v apt-cache >/dev/null 2>&1 || return 0
  _ith_policy=$(LC_ALL=C apt-cache policy "$1" 2>/dev/null) || return 0
  case $_ith_policy in *"Candidate: "*) ;; *) return 0 ;; esac
  _ith_cand=${_ith_policy#*Candidate: }
  _ith_cand=${_ith_cand%%"
"*}
  case $_ith_cand in "" | "(none)") return 0 ;; esac
  printf '%s\n' "$_ith_cand"
}

# ith_skip_verdict PKG REASON: the message for a component of Debian package PKG
# that is missing for REASON; returns 0 when that is a skip, 1 when it is a failure.
ith_skip_verdict() {
  if [ "${CI:-}" != true ]; then
    printf '%s\n' "$2"
  elif [ "${ITH_FORCED_SKIP:-}" = 1 ]; then
    printf '%s\n' "$2 (a forced skip: ITH_FORCED_SKIP=1)"
  else
    _ith_cand=$(ith_apt_candidate "$1")
    if [ -n "$_ith_cand" ]; then
      printf '%s; under CI=true this fails instead of skipping: %s %s is offered, so ./scripts/test should have installed it\n' \
        "$2" "$1" "$_ith_cand"
      return 1
    fi
    printf '%s\n' "$2 (CI=true: not offered here: $1)"
  fi
  return 0
}

# ith_skip_exit PKG REASON: print "SKIP: ..." and exit 77, or "FAIL: ..." and exit 1.
ith_skip_exit() {
  if _ith_msg=$(ith_skip_verdict "$1" "$2"); then
    printf 'SKIP: %s\n' "$_ith_msg"
    exit 77
  fi
  printf 'FAIL: %s\n' "$_ith_msg"
  exit 1
}
