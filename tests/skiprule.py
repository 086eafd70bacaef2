"""The skip rule for the Python tests (tests/skiprule.sh is the same rule for shell).

A test whose component (a tool, a library, a Python module) is missing reports a
skip: "SKIP: reason" and exit 77 (the scenario driver: "# SKIP reason"). Under
CI=true that is allowed only when the registry does not offer the component:
apt has no candidate for its Debian package (PACKAGES), or for Prism, Node.js
cannot run it. When the registry offers it, the skip would hide a missing install
step, so the test fails instead ("FAIL: reason ...").

ITH_FORCED_SKIP=1 marks a run that forces its skips on purpose (tests/test_fallbacks.py,
through ITH_PRETEND_NO_TOMLLIB, ITH_PRETEND_NODE_VERSION, ITH_SCENARIO_PRETEND_MISSING):
those stay skips under CI=true. Real runs never set it.

What no registry provides (running as root, a kernel that allows a PID namespace,
a user `nobody`) is no component: a test may skip for it, with the reason.

`python3 tests/skiprule.py PACKAGE...` prints each package and its apt candidate.
"""
import os
import re
import shutil
import subprocess
import sys

# component -> (registry, package)
PACKAGES = {
    "influxd": ("apt", "influxdb"),
    "promtool": ("apt", "prometheus"),
    "setpriv": ("apt", "util-linux"),
    "unshare": ("apt", "util-linux"),
    "systemd-analyze": ("apt", "systemd"),
    "clang": ("apt", "clang"),
    "libfuzzer": ("apt", "libclang-rt-dev"),
    "tomli": ("apt", "python3-tomli"),
    "yaml": ("apt", "python3-yaml"),
    "node": ("apt", "nodejs"),
    "man": ("apt", "man-db"),
    "systemd-nspawn": ("apt", "systemd-container"),
    "debootstrap": ("apt", "debootstrap"),
    "nsenter": ("apt", "util-linux"),
    "cpack": ("apt", "cmake"),
    "dpkg-deb": ("apt", "dpkg"),
    # `npm ci` in tests/contract (./scripts/test) installs it from the npm registry,
    # which has what package-lock.json pins: offered wherever npm is.
    "prism": ("npm", "@stoplight/prism-cli"),
}


def in_ci():
    return os.environ.get("CI") == "true"


def version_tuple(text):
    """(major, minor, patch) of a version such as v18.19.0 or 1:18.20.4+dfsg-1, else None."""
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", re.sub(r"^\d+:", "", text or ""))
    return tuple(int(x) for x in m.groups()) if m else None


def apt_candidate(package):
    """apt's candidate version of package, or None when apt offers none (or there is no apt-cache)."""
    exe = shutil.which("apt-cache")
    if not exe:
        return None
    try:
        p = subprocess.run([exe, "policy", package], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, LC_ALL="C"), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"^\s*Candidate:\s*(\S+)", p.stdout, re.M)
    return m.group(1) if m and m.group(1) != "(none)" else None


def offered(component, min_version=None):
    """(True, "PACKAGE VERSION") when the registry offers component (at least min_version, a tuple),
    else (False, "PACKAGE")."""
    registry, package = PACKAGES[component]
    if registry == "npm":
        if shutil.which("npm"):
            return True, "%s (npm registry)" % package
        return False, "%s (npm is not installed)" % package
    cand = apt_candidate(package)
    if cand and (min_version is None or (version_tuple(cand) or (0,)) >= min_version):
        return True, "%s %s" % (package, cand)
    return False, package + (" >= %s" % ".".join(map(str, min_version)) if min_version else "")


def verdict(component, reason, min_version=None):
    """(failed, message) for component missing for reason: failed is True only under CI=true,
    without ITH_FORCED_SKIP=1, when the registry offers it."""
    if not in_ci():
        return False, reason
    if os.environ.get("ITH_FORCED_SKIP") == "1":
        return False, reason + " (a forced skip: ITH_FORCED_SKIP=1)"
    ok, what = offered(component, min_version)
    if ok:
        return True, ("%s; under CI=true this fails instead of skipping: %s is offered, so ./scripts/test "
                      "should have installed it" % (reason, what))
    return False, "%s (CI=true: not offered here: %s)" % (reason, what)


def skip_exit_code(component, reason, min_version=None):
    """Print "SKIP: ..." and return 77, or "FAIL: ..." and return 1: for a script's exit status."""
    failed, msg = verdict(component, reason, min_version)
    print(("FAIL: " if failed else "SKIP: ") + msg, flush=True)
    return 1 if failed else 77


if __name__ == "__main__":
    for pkg in sys.argv[1:]:
        print("%s: %s" % (pkg, apt_candidate(pkg) or "(none offered)"))
