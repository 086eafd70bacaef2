#!/usr/bin/env python3
"""Narrated demo: the helper's main job against the bundled emulator.

Creates a token, serves it from cache, rotates it, lists and revokes,
showing which Management API calls each step made. Token secrets are never
printed: only their ids and lengths. Exits 1 when a step does not do what
it says (CI runs the demo too), 0 otherwise.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPER = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "influx-token-helper"))
GRACE = 3


def say(text):
    print("\n\033[1m%s\033[0m" % text if sys.stdout.isatty() else "\n" + text, flush=True)


def main():
    tmp = tempfile.mkdtemp(prefix="ith-demo-")
    os.chmod(tmp, 0o700)
    account, cluster = str(uuid.uuid4()), str(uuid.uuid4())
    mgmt_file = os.path.join(tmp, "management-token")
    fd = os.open(mgmt_file, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, ("mgmt_" + secrets.token_hex(24)).encode())
    os.close(fd)
    port_file = os.path.join(tmp, "emulator.port")
    emu = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "emulator.py"), "--account", account,
                            "--cluster", cluster, "--mgmt-token-file", mgmt_file, "--port-file", port_file],
                           stdin=subprocess.DEVNULL)
    try:
        for _ in range(500):
            if os.path.exists(port_file):
                break
            time.sleep(0.02)
        base = "http://127.0.0.1:%s" % open(port_file).read()
        seen = [0]
        failed = []

        def expect(ok, what):
            print("  %s: %s" % (what, ok))
            if not ok:
                failed.append(what)

        def calls():
            with urllib.request.urlopen(base + "/_emu/requests", timeout=5) as r:
                reqs = json.loads(r.read())
            new, seen[0] = reqs[seen[0]:], len(reqs)
            if not new:
                return "no Management API request"
            return ", ".join("%s %s" % (c["method"], "/tokens" + ("/{id}" if c["path"].count("/") > 7 else ""))
                             for c in new)

        def run(*args, show=True):
            cmd = [HELPER, "-c", conf] + list(args)
            print("$ influx-token-helper " + " ".join(args), flush=True)
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.stderr:
                print(p.stderr, end="")
            if show and p.stdout:
                print(p.stdout, end="")
            print("  [exit %d; %s]" % (p.returncode, calls()))
            if p.returncode != 0:
                failed.append("influx-token-helper %s exited %d" % (" ".join(args), p.returncode))
            return p

        conf = os.path.join(tmp, "helper.conf")
        with open(conf, "w") as f:
            f.write("""# demo configuration: short windows so the whole lifecycle fits in seconds
management = {
  account_id = "%s";
  cluster_id = "%s";
  token_file = "%s";
  url = "%s/api/v0";   # the bundled emulator on loopback
};
state_dir = "%s/state";
tokens = (
  {
    name = "telegraf";
    description = "Telegraf writer (demo)";
    write = [ "sensors" ];
    lifetime = "10m";
    renew_before = "5m";
    grace = "%ds";
    sinks = ( { type = "file"; path = "%s/run/telegraf"; mode = "0640"; } );
  }
);
""" % (account, cluster, mgmt_file, base, tmp, GRACE, tmp))
        print("Emulator listening on %s; configuration in %s" % (base, conf))

        say("1. check: the configuration, state directory and management token are fine")
        run("check")

        say("2. get: no token yet, so the helper creates one (POST; a clean create needs no list call), records it, writes the sink")
        p = run("get", show=False)
        print("  stdout: a %d-character token (not shown here)" % len(p.stdout))
        expect(len(p.stdout) > 0 and open(os.path.join(tmp, "run", "telegraf")).read() == p.stdout,
               "sink %s/run/telegraf holds the same" % tmp)

        say("3. get again: served from the local cache, no network at all")
        p2 = run("get", show=False)
        expect(p2.stdout == p.stdout, "same token as before")

        say("4. rotate: what the systemd timer runs every few minutes; nothing is due, so nothing happens")
        run("rotate")

        say("5. rotate --force: a new token now; the old one stays valid for its %ds grace" % GRACE)
        run("rotate", "--force")
        p3 = run("get", show=False)
        expect(p3.stdout != p.stdout and len(p3.stdout) > 0, "get now serves the new token")

        say("6. status: local view, never a secret")
        run("status")

        say("7. list: this helper's tokens on the cluster (one read-only call)")
        run("list")

        say("8. after the grace period the next rotate revokes the old token (DELETE)")
        time.sleep(GRACE + 0.5)
        run("rotate")
        run("list")

        say("9. revoke telegraf: decommission the profile, its tokens, sink and state")
        run("revoke", "telegraf")
        expect(not os.path.exists(os.path.join(tmp, "run", "telegraf")), "sink removed")
        run("list")
        with urllib.request.urlopen(base + "/_emu/tokens", timeout=5) as r:
            live = [t for t in json.loads(r.read()) if not t.get("revokedAt")]
        if live:
            failed.append("%d token(s) still live" % len(live))
        if failed:
            say("The demo FAILED: " + "; ".join(failed))
            return 1
        say("Done. Every token the demo made was revoked.")
        return 0
    finally:
        emu.terminate()
        emu.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
