#!/usr/bin/env python3
"""The platform fallbacks, forced here whatever this machine has.

The scripts are written for Debian 12 and 13, Ubuntu 22.04 and 24.04. Where
a tool there is too old or missing, the test that needs it falls back or
reports a skip (exit 77) with the reason printed. Each such path is forced:

- no tomllib (Python older than 3.11): test_plugin.py parses the Telegraf
  fragment with python3-tomli (or python3-toml) and passes; with no parser
  at all it skips and names the package;
- Node.js older than Prism needs: the contract test skips and says so, and
  `run_contract.py --check-node` (what ./scripts/test asks before `npm ci`)
  answers 77;
- a scenario whose `requires` (influxd, root, setpriv) is not met: reported
  as a SKIP with its reason; 77 when every scenario was skipped.

Each forced run says so with ITH_FORCED_SKIP=1, and runs under CI=true with a
stand-in apt-cache that offers every package: a forced skip stays a skip even
where the CI rule (tests/skiprule.py) would make a real one fail.

Usage: test_fallbacks.py HELPER
"""
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(HERE, "..", "build",
                                                                              "influx-token-helper")
import skiprule  # noqa: E402
from test_skip_rule import Fakes  # noqa: E402


def run(args, **env):
    fakes = Fakes()
    try:
        e = fakes.env("all", ci="true", ITH_FORCED_SKIP="1", FAKE_APT_VERSION="99.9.9-1", **env)
        p = subprocess.run(args, capture_output=True, text=True, env=e, timeout=300, stdin=subprocess.DEVNULL)
    finally:
        fakes.close()
    return p.returncode, p.stdout + p.stderr


def python_with_fallback_parser():
    """An interpreter that has python3-tomli or python3-toml: this one, else Debian's own python3
    (where apt installs them; a pyenv python does not see them)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py) and subprocess.run([py, "-c", "import tomli"], capture_output=True).returncode == 0:
            return py
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py) and subprocess.run([py, "-c", "import toml"], capture_output=True).returncode == 0:
            return py
    return None


class NoTomllib(unittest.TestCase):
    def test_fallback_parser_used(self):
        py = python_with_fallback_parser()
        if py is None:  # ./scripts/test installs python3-tomli where the release has it
            failed, msg = skiprule.verdict("tomli", "no-tomllib fallback not exercised: neither python3-tomli "
                                                    "nor python3-toml is installed")
            if failed:
                self.fail(msg)
            self.skipTest(msg)  # "... skipped 'msg'", which ./scripts/test lists
        rc, out = run([py, os.path.join(HERE, "test_plugin.py")], ITH_PRETEND_NO_TOMLLIB="1", ITH_HELPER=HELPER)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"TOML parser: toml(i)? \(tomllib pretended missing\)")
        self.assertRegex(out, r"\nOK\b")

    def test_no_parser_skips(self):
        rc, out = run([sys.executable, os.path.join(HERE, "test_plugin.py")], ITH_PRETEND_NO_TOMLLIB="all",
                      ITH_HELPER=HELPER)
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"^SKIP: Python \d+\.\d+ has no tomllib .*python3-tomli", out)


class OldNode(unittest.TestCase):
    def test_contract_skips(self):
        rc, out = run([sys.executable, os.path.join(HERE, "contract", "run_contract.py"), "--probe", "/bin/false"],
                      ITH_PRETEND_NODE_VERSION="v18.19.0")
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"^SKIP: Node\.js v18\.19\.0 is older than Prism needs \(node >=\d+\.\d+\.\d+\)")

    def test_check_node(self):
        rc, out = run([sys.executable, os.path.join(HERE, "contract", "run_contract.py"), "--check-node"],
                      ITH_PRETEND_NODE_VERSION="v12.22.9")
        self.assertEqual(rc, 77, out)
        self.assertIn("not installing Prism: Node.js v12.22.9 is older than Prism needs", out)


class ScenarioRequires(unittest.TestCase):
    def scenarios(self, only, missing):
        return run([sys.executable, os.path.join(HERE, "run_scenarios.py"), "--helper", HELPER,
                    "--only-list", only], ITH_SCENARIO_PRETEND_MISSING=missing)

    def test_all_skipped(self):
        rc, out = self.scenarios("083,105", "influxd,root,setpriv")
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"ok 1 - 083-\S+: .* # SKIP influxd is not installed")
        self.assertRegex(out, r"ok 2 - 105-\S+: .* # SKIP needs root")
        self.assertIn("0 passed, 0 failed, 2 skipped", out)

    def test_some_skipped(self):
        rc, out = self.scenarios("001,083", "influxd")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"ok 2 - 083-\S+: .* # SKIP influxd is not installed")
        self.assertIn("1 passed, 0 failed, 1 skipped", out)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
