#!/usr/bin/env python3
"""Contract test: the helper's API client against Stoplight Prism.

Starts `prism mock --errors` on the official OpenAPI spec on 127.0.0.1 (a
free port), runs api-probe (list, create, get, update, delete through the
helper's own client), and fails when a call fails or when Prism reports any
request violation. Exit 77 (skipped, with the reason printed) when Node.js
is missing or older than Prism needs (the "engines" field of Prism in
package-lock.json), or when Prism is not installed: run `npm ci` in
tests/contract (./scripts/test does). Under CI=true those fail instead (exit 1)
when the registry offers what is missing: apt a new enough nodejs, or npm
Prism (tests/skiprule.py). ITH_PRISM names another Prism executable (a test
points it at nothing to force "not installed").

--check-node only checks Node.js: exit 0 when it can run Prism, else 77.
ITH_PRETEND_NODE_VERSION (e.g. v12.22.9) stands in for `node --version`, so a
test can force the "too old" path on any machine.
"""
import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import skiprule  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def version_tuple(text):
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(x) for x in m.groups()) if m else None


def node_problem():
    """(None when Node.js can run Prism, else the reason for a SKIP line; the version Prism needs)."""
    with open(os.path.join(HERE, "package-lock.json")) as f:
        lock = json.load(f)
    engines = lock["packages"]["node_modules/@stoplight/prism-cli"].get("engines", {}).get("node", "")
    m = re.fullmatch(r">=\s*(\d+\.\d+\.\d+)", engines.strip())
    need = version_tuple(m.group(1)) if m else (0, 0, 0)
    have = os.environ.get("ITH_PRETEND_NODE_VERSION")
    if not have:
        if not shutil.which("node"):
            return "Node.js is not installed (Prism needs node %s)" % engines, need
        have = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if version_tuple(have) is None or version_tuple(have) < need:
        return ("Node.js %s is older than Prism needs (node %s); install a newer Node.js "
                "(e.g. from NodeSource) to run the contract test" % (have or "(unknown version)", engines)), need
    return None, need


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe")
    ap.add_argument("--spec", default=os.path.join(HERE, "..", "..", "docs", "spec", "management-openapi.yml"))
    ap.add_argument("--check-node", action="store_true", help="only check that Node.js can run Prism")
    a = ap.parse_args()
    problem, need = node_problem()
    if a.check_node:
        if problem:
            print("==> not installing Prism: " + problem + "; the contract test will report a skip")
        return 77 if problem else 0
    if not a.probe:
        ap.error("--probe is required")
    if problem:
        return skiprule.skip_exit_code("node", problem, min_version=need)
    prism = os.environ.get("ITH_PRISM") or os.path.join(HERE, "node_modules", ".bin", "prism")
    if not os.path.exists(prism):
        return skiprule.skip_exit_code("prism", "Prism is not installed (cd tests/contract && npm ci)")
    tmp = tempfile.mkdtemp(prefix="ith-contract-")
    port = free_port()
    log_path = os.path.join(tmp, "prism.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([prism, "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), a.spec],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while "Prism is listening" not in open(log_path).read():
            if time.time() > deadline or proc.poll() is not None:
                print(open(log_path).read())
                print("FAIL: Prism did not start")
                return 1
            time.sleep(0.2)
        tok = os.path.join(tmp, "mgmt-token")
        fd = os.open(tok, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, ("mgmt_" + secrets.token_hex(24)).encode())
        os.close(fd)
        conf = os.path.join(tmp, "helper.conf")
        with open(conf, "w") as f:
            f.write('management = { account_id = "11111111-1111-4111-8111-111111111111"; '
                    'cluster_id = "22222222-1111-4111-8111-111111111111"; token_file = "%s"; '
                    'url = "http://127.0.0.1:%d"; };\n'
                    'state_dir = "%s/state";\n'
                    'tokens = ( { name = "probe"; write = [ "DatabaseOne" ]; } );\n' % (tok, port, tmp))
        p = subprocess.run([a.probe, "-c", conf], capture_output=True, text=True, timeout=120)
        print(p.stdout, end="")
        if p.stderr:
            print(p.stderr, end="")
        time.sleep(0.5)  # let Prism flush its log
        text = open(log_path).read()
        violations = [l for l in text.splitlines() if re.search(r"Violation: request|VALIDATOR\].*error", l)]
        calls = re.findall(r"\[HTTP SERVER\] (get|post|patch|delete) ", text)
        print("prism saw %d requests: %s" % (len(calls), " ".join(c.upper() for c in calls)))
        for v in violations:
            print("VIOLATION: " + v.split("›", 1)[-1].strip())
        ok = p.returncode == 0 and not violations and len(calls) == 5
        print("contract: %d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
        return 0 if ok else 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
