#!/usr/bin/env python3
"""The skip rule (tests/skiprule.py, tests/skiprule.sh), and every skip path that follows it.

A missing component is a skip, except under CI=true when the registry offers it
(apt has a candidate for its Debian package): then it is a failure, since the skip
would hide a missing install step. ITH_FORCED_SKIP=1 (tests/test_fallbacks.py)
keeps forced skips skips. Checked here with a stand-in `apt-cache` on PATH that
offers every package, or none, so the answer does not depend on this machine:

- scripts/lib.sh installs the optional packages apt offers (its candidate check
  survives `set -o pipefail`, where `apt-cache policy P | grep -q` died of SIGPIPE);
- both implementations of the rule, in and out of CI, forced or not;
- each skip path: the scenario driver's `requires` and its promtool,
  systemd-analyze and unshare skips, tests/fuzz/run.sh (clang, libFuzzer), the
  contract test (Node.js, Prism), tests/test_plugin.py (no TOML parser),
  tests/test_systemd_live.py (its tools; no root is no package), and the
  decisions of tests/test_packages.sh (man pages, installing the .deb) through its
  --decide mode, which builds and installs nothing.

Usage: test_skip_rule.py HELPER
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HELPER = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "influx-token-helper")
sys.path.insert(0, HERE)
import skiprule  # noqa: E402

# Shaped like `apt-cache policy` on Debian 12: the candidate, then a long version table,
# so a reader that stops at the candidate line makes apt-cache write into a closed pipe.
FAKE_APT_CACHE = r'''#!/bin/sh
[ "$1" = policy ] || exit 100
echo "$2:"
echo "  Installed: (none)"
case " $FAKE_APT_OFFERS " in
  *" $2 "* | *" all "*) echo "  Candidate: ${FAKE_APT_VERSION:-9.9.9-1}" ;;
  *) echo "  Candidate: (none)" ;;
esac
echo "  Version table:"
i=0
while [ $i -lt 3000 ]; do
  echo "     9.9.$i-1 500"
  echo "        500 http://deb.debian.org/debian bookworm/main amd64 Packages"
  i=$((i + 1))
done
'''


def write_exe(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


class Fakes:
    """A directory of stand-ins, first on PATH."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ith-skiprule-")
        write_exe(os.path.join(self.dir, "apt-cache"), FAKE_APT_CACHE)

    def env(self, offers="", ci=None, path=None, **extra):
        e = dict(os.environ, FAKE_APT_OFFERS=offers, PATH=self.dir + ":" + (path or os.environ["PATH"]))
        for k in ("CI", "ITH_FORCED_SKIP", "ITH_SCENARIO_PRETEND_MISSING", "ITH_PRETEND_NO_TOMLLIB",
                  "ITH_PRETEND_NODE_VERSION", "ITH_PRISM"):
            e.pop(k, None)
        if ci:
            e["CI"] = ci
        e.update(extra)
        return e

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run(args, env, cwd=ROOT, timeout=300):
    p = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


class Base(unittest.TestCase):
    def setUp(self):
        self.fakes = Fakes()

    def tearDown(self):
        self.fakes.close()

    def need(self, component, reason):
        """This test's own tool: the same rule (a skip, or a failure under CI=true when offered)."""
        failed, msg = skiprule.verdict(component, reason)
        if failed:
            self.fail(msg)
        self.skipTest(msg)


class LibInstall(Base):
    """scripts/lib.sh, as scripts/test runs it (set -euo pipefail)."""

    def test_optional_packages_offered_are_installed(self):
        d = self.fakes.dir
        log = os.path.join(d, "apt-get.log")
        write_exe(os.path.join(d, "apt-get"), '#!/bin/sh\necho "$*" >>"%s"\n' % log)
        write_exe(os.path.join(d, "dpkg-query"), "#!/bin/sh\nexit 1\n")  # nothing is installed
        write_exe(os.path.join(d, "sudo"), '#!/bin/sh\nexec "$@"\n')
        rc, out = run(["bash", "-c", 'set -euo pipefail; . scripts/lib.sh; ITH_APT_UPDATED=1; '
                       'ith_ensure_optional_packages offered-one absent-one offered-two'],
                      self.fakes.env("offered-one offered-two"))
        self.assertEqual(rc, 0, out)
        self.assertIn("absent-one is not available here", out)
        self.assertNotIn("offered-one is not available", out)
        with open(log) if os.path.exists(log) else open(os.devnull) as f:
            calls = f.read()
        self.assertRegex(calls, r"(?m)^-q .*install -y --no-install-recommends offered-one offered-two$", out)


class ShellRule(Base):
    def sh(self, shell, script, env):
        return run([shell, "-c", 'set -eu; . tests/skiprule.sh; ' + script], env)

    def test_candidate_under_pipefail(self):
        for shell in ("sh", "bash"):
            pre = "set -o pipefail; " if shell == "bash" else ""
            rc, out = self.sh(shell, pre + 'echo "[$(ith_apt_candidate some-pkg)]"',
                              self.fakes.env("some-pkg", FAKE_APT_VERSION="1:2.3.4-5"))
            self.assertEqual((rc, out), (0, "[1:2.3.4-5]\n"), shell)
            rc, out = self.sh(shell, pre + 'echo "[$(ith_apt_candidate other-pkg)]"', self.fakes.env("some-pkg"))
            self.assertEqual((rc, out), (0, "[]\n"), shell)

    def test_no_apt_cache(self):
        empty = tempfile.mkdtemp()
        try:
            rc, out = run(["/bin/sh", "-c", '. tests/skiprule.sh; echo "[$(ith_apt_candidate bash)]"'],
                          dict(os.environ, PATH=empty))
        finally:
            os.rmdir(empty)
        self.assertEqual((rc, out), (0, "[]\n"))

    def test_verdicts(self):
        exit_of = 'ith_skip_exit clang "clang is not installed"'
        rc, out = self.sh("sh", exit_of, self.fakes.env("all"))
        self.assertEqual((rc, out), (77, "SKIP: clang is not installed\n"))
        rc, out = self.sh("sh", exit_of, self.fakes.env("all", ci="true"))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"^FAIL: clang is not installed; under CI=true this fails instead of skipping: "
                              r"clang 9\.9\.9-1 is offered")
        rc, out = self.sh("sh", exit_of, self.fakes.env("", ci="true"))
        self.assertEqual((rc, out), (77, "SKIP: clang is not installed (CI=true: not offered here: clang)\n"))
        rc, out = self.sh("sh", exit_of, self.fakes.env("all", ci="true", ITH_FORCED_SKIP="1"))
        self.assertEqual((rc, out), (77, "SKIP: clang is not installed (a forced skip: ITH_FORCED_SKIP=1)\n"))


class PythonRule(Base):
    def verdict(self, env, *args, **kw):
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            return skiprule.verdict(*args, **kw)
        finally:
            os.environ.clear()
            os.environ.update(old)

    def test_verdicts(self):
        e = self.fakes.env
        self.assertEqual(self.verdict(e("all"), "influxd", "x"), (False, "x"))
        failed, msg = self.verdict(e("all", ci="true"), "influxd", "x")
        self.assertTrue(failed)
        self.assertIn("influxdb 9.9.9-1 is offered", msg)
        self.assertEqual(self.verdict(e("prometheus", ci="true"), "influxd", "x"),
                         (False, "x (CI=true: not offered here: influxdb)"))
        self.assertEqual(self.verdict(e("all", ci="true", ITH_FORCED_SKIP="1"), "influxd", "x"),
                         (False, "x (a forced skip: ITH_FORCED_SKIP=1)"))
        self.assertFalse(self.verdict(e("all", ci="1"), "influxd", "x")[0], "only CI=true is CI")

    def test_min_version(self):
        e = self.fakes.env
        self.assertTrue(self.verdict(e("nodejs", ci="true", FAKE_APT_VERSION="18.20.4+dfsg-1~deb12u3"),
                                     "node", "x", min_version=(18, 20, 1))[0])
        self.assertEqual(self.verdict(e("nodejs", ci="true", FAKE_APT_VERSION="12.22.9~dfsg-1ubuntu3"),
                                      "node", "x", min_version=(18, 20, 1)),
                         (False, "x (CI=true: not offered here: nodejs >= 18.20.1)"))


class Scenarios(Base):
    """tests/run_scenarios.py: a tool pretended missing (ITH_SCENARIO_PRETEND_MISSING), in and out of CI."""

    def scenarios(self, only, missing, offers, ci=None, **extra):
        return run([sys.executable, os.path.join(HERE, "run_scenarios.py"), "--helper", HELPER, "--only-list", only],
                   self.fakes.env(offers, ci=ci, ITH_SCENARIO_PRETEND_MISSING=missing, **extra))

    def check_tool(self, only, tool, package):
        name = r"ok 1 - %s-\S+: .*" % only
        rc, out = self.scenarios(only, tool, "all")
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, name + r" # SKIP %s is not installed \(apt-get install %s\) "
                                     r"\(ITH_SCENARIO_PRETEND_MISSING\)\n" % (tool, package))
        rc, out = self.scenarios(only, tool, "all", ci="true")
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"not %s\n  \S+:\d+: %s is not installed .*under CI=true this fails instead of skipping: "
                              r"%s 9\.9\.9-1 is offered" % (name, tool, package))
        self.assertIn("0 passed, 1 failed, 0 skipped", out)
        rc, out = self.scenarios(only, tool, "nothing", ci="true")
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, name + r" # SKIP %s is not installed .*\(CI=true: not offered here: %s\)"
                         % (tool, package))
        rc, out = self.scenarios(only, tool, "all", ci="true", ITH_FORCED_SKIP="1")
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, name + r" # SKIP %s is not installed .*\(a forced skip: ITH_FORCED_SKIP=1\)" % tool)

    def test_requires_influxd(self):
        self.check_tool("083", "influxd", "influxdb")

    def test_requires_setpriv(self):
        if os.geteuid() != 0:
            self.skipTest("scenario 107 needs root before setpriv")
        self.check_tool("107", "setpriv", "util-linux")

    def test_promtool(self):
        self.check_tool("170", "promtool", "prometheus")

    def test_systemd_analyze(self):
        self.check_tool("165", "systemd-analyze", "systemd")

    def test_unshare(self):
        if os.geteuid() != 0:
            self.skipTest("run-pid1 needs root before unshare")
        self.check_tool("172", "unshare", "util-linux")

    def test_root_is_no_package(self):
        rc, out = self.scenarios("009", "root", "all", ci="true")
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"ok 1 - 009-\S+: .* # SKIP needs root")


class Standalone(Base):
    """The tests that exit 77 themselves: "SKIP: ..." / 77, or "FAIL: ..." / 1 under CI=true when offered."""

    def check(self, args, reason, package, path=None, **extra):
        rc, out = run(args, self.fakes.env("all", path=path, **extra))
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"(?m)^SKIP: %s\n" % reason)
        rc, out = run(args, self.fakes.env("all", ci="true", path=path, **extra))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^FAIL: %s; under CI=true this fails instead of skipping: %s .+? is offered"
                         % (reason, package))
        rc, out = run(args, self.fakes.env("nothing", ci="true", path=path, **extra))
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"(?m)^SKIP: %s \(CI=true: not offered here: %s( >= \S+)?\)$" % (reason, package))
        rc, out = run(args, self.fakes.env("all", ci="true", path=path, ITH_FORCED_SKIP="1", **extra))
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"(?m)^SKIP: %s \(a forced skip: ITH_FORCED_SKIP=1\)$" % reason)

    def bare_path(self, *tools):
        """A directory holding only these tools (and the stand-in apt-cache, first on PATH)."""
        d = os.path.join(self.fakes.dir, "bin")
        os.makedirs(d, exist_ok=True)
        for t in tools:
            os.symlink(shutil.which(t), os.path.join(d, t))
        return d

    def test_fuzz_without_clang(self):
        self.check(["/bin/sh", "tests/fuzz/run.sh", "1"], r"clang is not installed \(apt-get install clang\)",
                   "clang", path=self.bare_path("dirname"))

    def test_fuzz_without_libfuzzer(self):
        d = self.bare_path("dirname", "mktemp", "rm")
        write_exe(os.path.join(d, "clang"), "#!/bin/sh\nexit 1\n")  # links nothing
        self.check(["/bin/sh", "tests/fuzz/run.sh", "1"], r"clang cannot link libFuzzer here "
                   r"\(apt-get install libclang-rt-dev\)", "libclang-rt-dev", path=d)

    def test_plugin_without_toml_parser(self):
        self.check([sys.executable, "tests/test_plugin.py"], r"Python \d+\.\d+ has no tomllib .*python3-tomli.*",
                   "python3-tomli", ITH_PRETEND_NO_TOMLLIB="all", ITH_HELPER=HELPER)

    def test_k8s_samples_without_yaml(self):
        self.check([sys.executable, "tests/test_k8s_samples.py"], r"python3-yaml is not installed .*",
                   "python3-yaml", ITH_PRETEND_NO_YAML="1", ITH_HELPER=HELPER)

    def test_systemd_live_without_debootstrap(self):
        if os.geteuid() != 0:
            self.skipTest("systemd-live checks its tools only as root (without root it cannot run at all)")
        args = [sys.executable, "tests/test_systemd_live.py", "/nonexistent"]
        self.check(args, r"debootstrap is not installed \(apt-get install debootstrap; \./scripts/test installs it\)",
                   "debootstrap", path=self.bare_path("systemd-nspawn", "nsenter", "cpack", "dpkg-deb"))

    def test_systemd_live_without_root(self):
        """Without root nspawn cannot run at all: a skip, under CI=true too, whatever apt offers."""
        args = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
                "tests/test_systemd_live.py", "/nonexistent"]
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            args = args[4:]
        rc, out = run(args, self.fakes.env("all", ci="true"))
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"(?m)^SKIP: needs root \(it boots a container with systemd-nspawn\)$")

    # both contract runners: the helper's API client, and central rotation's emulators (issue 22)
    CONTRACT_RUNNERS = (["tests/contract/run_contract.py", "--probe", "/bin/false"],
                        ["tests/contract/run_central_contract.py"])

    def test_contract_old_node(self):
        for runner in self.CONTRACT_RUNNERS:
            with self.subTest(runner=runner[0]):
                self.contract_old_node([sys.executable] + runner)

    def contract_old_node(self, args):
        reason = r"Node\.js v12\.22\.9 is older than Prism needs \(node >=(\d+\.\d+\.\d+)\).*"
        self.check(args, reason, "nodejs", ITH_PRETEND_NODE_VERSION="v12.22.9", FAKE_APT_VERSION="99.0.0-1")
        # apt's nodejs is too old as well: a skip, in CI too
        rc, out = run(args, self.fakes.env("nodejs", ci="true", ITH_PRETEND_NODE_VERSION="v12.22.9",
                                           FAKE_APT_VERSION="12.22.9~dfsg-1ubuntu3"))
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"(?m)^SKIP: %s \(CI=true: not offered here: nodejs >= \d+\.\d+\.\d+\)$" % reason)

    def test_contract_without_prism(self):
        if not shutil.which("node"):
            self.need("node", "Node.js is not installed")
        for runner in self.CONTRACT_RUNNERS:
            with self.subTest(runner=runner[0]):
                self.fakes.close()       # fresh stand-ins for each runner (bare_path, npm)
                self.fakes = Fakes()
                self.contract_without_prism([sys.executable] + runner)

    def contract_without_prism(self, args):
        reason = r"Prism is not installed \(cd tests/contract && npm ci\)"
        nothing = os.path.join(self.fakes.dir, "no-prism")
        rc, out = run(args, self.fakes.env(ITH_PRISM=nothing))
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"(?m)^SKIP: %s$" % reason)
        d = self.bare_path("node")
        write_exe(os.path.join(d, "npm"), "#!/bin/sh\nexit 1\n")  # only its presence counts
        rc, out = run(args, self.fakes.env(ci="true", path=d, ITH_PRISM=nothing))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^FAIL: %s; under CI=true this fails instead of skipping: @stoplight/prism-cli "
                              r"\(npm registry\) is offered" % reason)
        rc, out = run(args, self.fakes.env(ci="true", ITH_PRISM=nothing, ITH_FORCED_SKIP="1"))
        self.assertEqual(rc, 77, out)
        os.unlink(os.path.join(self.fakes.dir, "bin", "npm"))  # Node.js without npm: Prism is not offered
        rc, out = run(args, self.fakes.env(ci="true", path=os.path.join(self.fakes.dir, "bin"), ITH_PRISM=nothing))
        self.assertEqual(rc, 77, out)
        self.assertRegex(out, r"(?m)^SKIP: %s \(CI=true: not offered here: @stoplight/prism-cli "
                              r"\(npm is not installed\)\)$" % reason)


class Packages(Base):
    """tests/test_packages.sh --decide: its decisions alone (nothing is built or installed)."""

    def decide(self, *pages, **kw):
        return run(["/bin/bash", "tests/test_packages.sh", "--decide"] + list(pages), self.fakes.env(**kw))

    def test_man_missing(self):
        d = os.path.join(self.fakes.dir, "bin")
        os.makedirs(d)
        for t in ("dirname", "id", "sed"):
            os.symlink(shutil.which(t), os.path.join(d, t))
        rc, out = self.decide("bash(1)", offers="all", ci="true", path=d)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"(?m)^not ok - Documentation= pages not opened by systemd-analyze: man is not "
                              r"installed \(apt-get install man-db\); under CI=true this fails instead of skipping")
        self.assertIn("man: no", out)
        for kw in ({"offers": "nothing", "ci": "true"}, {"offers": "all"}):
            rc, out = self.decide("bash(1)", path=d, **kw)
            self.assertEqual(rc, 0, out)
            self.assertRegex(out, r"(?m)^skip - Documentation= pages not opened by systemd-analyze: man is not "
                                  r"installed \(apt-get install man-db\)")
            self.assertIn("man: no", out)

    def test_man_pages(self):
        if not shutil.which("man"):
            self.need("man", "man is not installed (apt-get install man-db)")
        mandir = os.path.join(self.fakes.dir, "man")
        os.makedirs(os.path.join(mandir, "man7"))
        with open(os.path.join(mandir, "man7", "ith-probe.7"), "w") as f:
            f.write(".TH ITH-PROBE 7\n.SH NAME\nith-probe \\- a page\n")
        rc, out = self.decide("ith-probe(7)", offers="all", ci="true", MANPATH=mandir)
        self.assertEqual(rc, 0, out)
        self.assertIn("man: yes", out)
        rc, out = self.decide("ith-probe(7)", "ith-absent(7)", offers="all", ci="true", MANPATH=mandir)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^skip - Documentation= pages not opened by systemd-analyze: man -w finds no "
                              r"ith-absent\(7\) here")
        self.assertIn("man: no", out)

    def test_install(self):
        rc, out = self.decide(offers="all")
        self.assertIn("skip - installing the .deb (needs root and CI=true or ITH_TEST_INSTALL=1)", out)
        rc, out = self.decide(offers="all", ci="true")
        if os.geteuid() == 0:
            self.assertIn("install: yes", out)
        else:  # no registry offers root: a skip under CI=true too
            self.assertIn("skip - installing the .deb", out)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
