#!/usr/bin/env python3
"""A bounded soak of the long-running commands, `watch` and `exec` (issue 20).

Against the emulator (tests/emulator.py) with random faults injected (a share
of API requests answered 500 or 503, closed, delayed or with their answer
lost after the change was made; a smaller share of data-plane probes
failing), it runs for DURATION seconds:

  - `watch telegraf metrics`: telegraf renews every 20 s (60 s tokens,
    activation probe), metrics every 30 s (90 s tokens, activation delay,
    an on_rotate hook); SIGHUP every 15 s;
  - `exec --grace 2s writer -- CMD`: writer renews every 20 s (probe), and
    another process forces a rotation every 20 s (`rotate --force writer`);
    CMD records the token it was started with.

The emulator's tokens take 2 s to activate. Every second it samples, for
watch and for exec: open file descriptors, RSS, direct children; the
processes of this soak (its temporary directory in their argv, or its marker
in their environment) that are no longer descendants of it (orphans); and
whether each sink file and the token CMD runs with is a token the emulator
calls valid (issued, not revoked, not expired, activated).

It fails on:
  - an invalid token in a sink or in CMD outside the documented window: from
    the start until the first valid token reaches that place, at most
    STARTUP seconds (the first token is created, then activates); after that,
    never (a switch writes only an active token, and the token CMD still
    holds stays valid for the profile's grace, longer than exec's --grace
    plus the 1 s exec takes to notice a switch);
  - growth: the level descriptors come back to, in the last third of the
    run, above that of the first third after the warm-up; RSS's level more
    than RSS_SLACK_KB above it;
  - more children than the design allows (watch: one rotation per profile;
    exec: CMD, one rotation, the guardian), an orphan (seen in two samples in
    a row), or any
    process of the soak left 5 s after watch and exec were stopped;
  - watch or exec ending early, not stopping within 2 s of SIGTERM, or a
    secret on their stderr.

usage: soak.py --helper PATH [--duration SECONDS] [--seed N] [--keep]
A few minutes in CI (ctest: soak); longer by hand, e.g. --duration 3600.
Prints "1 passed, 0 failed" or "0 passed, 1 failed" last; exit status 0 or 1.
"""
import argparse
import datetime
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from run_scenarios import Emulator  # noqa: E402  (the scenarios' own emulator runner)

STARTUP = 30          # seconds: the documented window before the first valid token reaches a place
ACTIVATION = 2        # seconds the emulator's tokens answer 401 after creation
RSS_SLACK_KB = 512
WARMUP = 0.2          # share of the run before the reference levels are taken
MAX_CHILDREN = {"watch": 2, "exec": 3}

CONFIG = """management = {{ account_id = "{account}"; cluster_id = "{cluster}"; token_file = "{tmp}/mgmt-token";
  url = "{url}/api/v0"; timeout = "10s"; deadline = "40s"; }};
state_dir = "{tmp}/state";
cluster_url = "{url}";
tokens = (
  {{ name = "telegraf"; write = [ "sensors" ]; lifetime = "60s"; renew_before = "40s"; grace = "10s";
     activation = "probe"; activation_timeout = "20s";
     sinks = ( {{ type = "file"; path = "{tmp}/run/telegraf"; }} ); }},
  {{ name = "metrics"; write = [ "metrics" ]; lifetime = "90s"; renew_before = "60s"; grace = "10s";
     activation = "delay"; activation_timeout = "3s"; hook_timeout = "10s";
     sinks = ( {{ type = "file"; path = "{tmp}/run/metrics"; }} ); on_rotate = [ "{tmp}/hook.sh" ]; }},
  {{ name = "writer"; write = [ "sensors" ]; lifetime = "60s"; renew_before = "40s"; grace = "15s";
     activation = "probe"; activation_timeout = "20s";
     sinks = ( {{ type = "file"; path = "{tmp}/run/writer"; }} ); }}
);
"""

HOOK = """#!/bin/sh
echo "rotated to $INFLUX_TOKEN_HELPER_TOKEN_ID"
sleep 0.3
"""

CMD = """#!/bin/sh
# the token this command was started with, for the soak to check (written whole, then renamed)
printf %s "$INFLUX_TOKEN" >{tmp}/cmd.token.tmp && mv {tmp}/cmd.token.tmp {tmp}/cmd.token
trap 'exit 0' TERM
sleep 100000 &
wait
"""


def write(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def rfc3339(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def processes():
    """pid -> (ppid, argv as text) for every process we can see."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open("/proc/%s/stat" % d).read()
            cmd = open("/proc/%s/cmdline" % d, "rb").read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        out[int(d)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmd)
    return out


def has_marker(pid, cmd, tmp, mark):
    if tmp in cmd:
        return True
    try:
        return ("SOAK_MARK=" + mark).encode() in open("/proc/%d/environ" % pid, "rb").read()
    except OSError:
        return False


def descends(pid, ancestor, procs):
    seen = 0
    while pid in procs and seen < 1000:
        if pid == ancestor:
            return True
        pid = procs[pid][0]
        seen += 1
    return pid == ancestor


def orphans(tmp, mark, procs):
    """Processes of this soak no longer below it: left behind by a helper that lost track of them."""
    me = os.getpid()
    return [(p, c[:120]) for p, (pp, c) in procs.items()
            if p != me and not descends(p, me, procs) and has_marker(p, c, tmp, mark)]


def proc_stats(pid, procs):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = int(re.search(r"^VmRSS:\s+(\d+)", open("/proc/%d/status" % pid).read(), re.M).group(1))
    children = sum(1 for pp, _ in procs.values() if pp == pid)
    return fds, rss, children


class Soak:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="ith-soak-")
        os.chmod(self.tmp, 0o700)
        self.mark = uuid.uuid4().hex
        self.rng = random.Random(a.seed)
        self.failures = []
        self.samples = {"watch": [], "exec": []}
        self.first_valid = {}
        self.invalid = []
        self.forced = [0, 0]
        self.env = {"PATH": "/usr/bin:/bin", "LANG": "C", "SOAK_MARK": self.mark}

    def fail(self, msg):
        if len(self.failures) < 30:
            self.failures.append(msg)

    def setup(self):
        t = self.tmp
        self.mgmt = "mgmt_" + secrets.token_hex(24)
        write(os.path.join(t, "mgmt-token"), self.mgmt)
        for d in ("state", "run"):
            os.mkdir(os.path.join(t, d), 0o700)
        os.chmod(os.path.join(t, "run"), 0o755)
        self.account, self.cluster = str(uuid.uuid4()), str(uuid.uuid4())
        self.emu = Emulator(t, self.account, self.cluster, os.path.join(t, "mgmt-token"))
        write(os.path.join(t, "helper.conf"), CONFIG.format(account=self.account, cluster=self.cluster, tmp=t,
                                                             url=self.emu.base))
        write(os.path.join(t, "hook.sh"), HOOK, 0o700)
        write(os.path.join(t, "cmd.sh"), CMD.format(tmp=t), 0o700)
        self.emu.ctl("config", {"activation_delay": ACTIVATION, "random_faults": {
            "rate": 0.2, "data_plane_rate": 0.1, "seed": self.a.seed, "delay": 2}})

    def helper(self, args, **kw):
        return subprocess.Popen([self.a.helper, "-c", os.path.join(self.tmp, "helper.conf")] + args,
                                stdin=subprocess.DEVNULL, env=self.env, cwd=self.tmp, **kw)

    def start(self):
        t = self.tmp
        self.watch = self.helper(["watch", "telegraf", "metrics"], stdout=open(os.path.join(t, "watch.out"), "wb"),
                                 stderr=open(os.path.join(t, "watch.err"), "wb"))
        self.exec = self.helper(["exec", "--grace", "2s", "writer", "--", os.path.join(t, "cmd.sh")],
                                stdout=open(os.path.join(t, "exec.out"), "wb"),
                                stderr=open(os.path.join(t, "exec.err"), "wb"))
        self.t0 = time.time()

    def valid(self, secret, toks, now):
        """Is secret a token the emulator calls valid now (issued, not revoked, not expired, activated)?"""
        for t in toks:
            if t.get("accessToken") == secret:
                return (not t.get("revokedAt") and t.get("expiresAt") and rfc3339(t["expiresAt"]) > now
                        and rfc3339(t["createdAt"]) + ACTIVATION <= now)
        return False

    def check_tokens(self, now):
        toks = self.emu.ctl("tokens")
        places = {"sink telegraf": "run/telegraf", "sink metrics": "run/metrics", "exec's CMD": "cmd.token"}
        for place, rel in places.items():
            try:
                secret = open(os.path.join(self.tmp, rel)).read()
            except OSError:
                secret = None
            ok = secret is not None and self.valid(secret, toks, now)
            if ok and place not in self.first_valid:
                self.first_valid[place] = now - self.t0
            if not ok and (place in self.first_valid or now - self.t0 > STARTUP):
                self.invalid.append((round(now - self.t0, 1), place, "missing" if secret is None else "not valid"))

    def sample(self):
        now = time.time()
        procs = processes()
        for name, p in (("watch", self.watch), ("exec", self.exec)):
            if p.poll() is not None:
                self.fail("%s ended early (status %d) at %.0fs" % (name, p.returncode, now - self.t0))
                return False
            fds, rss, children = proc_stats(p.pid, procs)
            self.samples[name].append((now - self.t0, fds, rss, children))
            if children > MAX_CHILDREN[name]:
                self.fail("%s has %d children at %.0fs (at most %d)" % (name, children, now - self.t0,
                                                                         MAX_CHILDREN[name]))
        # an orphan is one still there a second later: a process of a group being stopped may be reparented
        # for the moment between its leader's end and its own
        found = orphans(self.tmp, self.mark, procs)
        for o in found:
            if o in getattr(self, "suspects", []):
                self.fail("orphan at %.0fs: pid %d: %s" % (now - self.t0, o[0], o[1]))
        self.suspects = found
        self.check_tokens(now)
        return True

    def outside_load(self, now):
        """Another process forces writer's rotation every 20 s; watch gets SIGHUP every 15 s."""
        if getattr(self, "rot", None) and self.rot.poll() is not None:
            self.forced[0 if self.rot.returncode == 0 else 1] += 1
            self.rot = None
        if now >= getattr(self, "next_force", self.t0 + 20) and not getattr(self, "rot", None):
            self.rot = self.helper(["-q", "rotate", "--force", "writer"], stdout=subprocess.DEVNULL,
                                   stderr=open(os.path.join(self.tmp, "rotate.err"), "ab"))
            self.next_force = now + 20
        if now >= getattr(self, "next_hup", self.t0 + 15):
            self.watch.send_signal(signal.SIGHUP)
            self.next_hup = now + 15

    def run(self):
        end = self.t0 + self.a.duration
        next_report = self.t0 + 30
        while time.time() < end:
            tick = time.time()
            self.outside_load(tick)
            if not self.sample():
                break
            if tick >= next_report:
                w, e = self.samples["watch"][-1], self.samples["exec"][-1]
                print("  %4.0fs: watch fds %d rss %d kB children %d; exec fds %d rss %d kB children %d; %d tokens made"
                      % (tick - self.t0, w[1], w[2], w[3], e[1], e[2], e[3], len(self.emu.ctl("tokens"))), flush=True)
                next_report += 30
            time.sleep(max(0.0, 1.0 - (time.time() - tick)))

    def growth(self):
        """Floors, not peaks: a descriptor open for a moment (a state file being read) is no leak; a leak
        raises the level the process comes back to."""
        for name, s in self.samples.items():
            rest = [x for x in s if x[0] >= self.a.duration * WARMUP]
            if len(rest) < 6:
                self.fail("%s: too few samples (%d) to judge growth" % (name, len(rest)))
                continue
            third = len(rest) // 3
            first, last = rest[:third], rest[-third:]
            if min(x[1] for x in last) > min(x[1] for x in first):
                self.fail("%s: file descriptors grew: %d after the warm-up, %d at the end" % (
                    name, min(x[1] for x in first), min(x[1] for x in last)))
            if min(x[2] for x in last) > min(x[2] for x in first) + RSS_SLACK_KB:
                self.fail("%s: RSS grew: %d kB after the warm-up, %d kB at the end" % (
                    name, min(x[2] for x in first), min(x[2] for x in last)))

    def stop(self):
        for name, p in (("watch", self.watch), ("exec", self.exec)):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(2)
                except subprocess.TimeoutExpired:
                    self.fail("%s did not stop within 2 s of SIGTERM" % name)
                    p.kill()
                    p.wait()
        if getattr(self, "rot", None):
            self.rot.wait(60)
        deadline = time.time() + 5
        while True:
            procs = processes()
            left = [(p, c[:120]) for p, (pp, c) in procs.items() if p != os.getpid() and p != self.emu.proc.pid
                    and has_marker(p, c, self.tmp, self.mark)]
            if not left or time.time() > deadline:
                break
            time.sleep(0.2)
        for pid, cmd in left:
            self.fail("left running after watch and exec stopped: pid %d: %s" % (pid, cmd))
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def secrets_check(self):
        secrets_ = [self.mgmt] + [t["accessToken"] for t in self.emu.ctl("tokens") if t.get("accessToken")]
        for f in ("watch.err", "exec.err", "watch.out", "rotate.err"):
            path = os.path.join(self.tmp, f)
            text = open(path, errors="replace").read() if os.path.exists(path) else ""
            if any(s in text for s in secrets_):
                self.fail("a secret is in %s" % f)

    def report(self):
        for place in ("sink telegraf", "sink metrics", "exec's CMD"):
            if place not in self.first_valid:
                self.fail("%s never held a valid token" % place)
            elif self.first_valid[place] > STARTUP:
                self.fail("%s held its first valid token only after %.0fs (window: %ds)" % (
                    place, self.first_valid[place], STARTUP))
        for at, place, what in self.invalid[:10]:
            self.fail("%s: token %s at %.1fs" % (place, what, at))
        toks = self.emu.ctl("tokens")
        stats = self.emu.ctl("stats")
        reqs = [r for r in self.emu.ctl("requests") if r["path"].startswith("/api/v0/")]
        lists = sum(1 for r in reqs if r["method"] == "GET" and r["path"].split("?")[0].endswith("/tokens"))
        log = open(os.path.join(self.tmp, "exec.err"), errors="replace").read()
        for name, s in self.samples.items():
            if s:
                print("  %s: fds %d..%d, RSS %d..%d kB, children at most %d" % (
                    name, min(x[1] for x in s), max(x[1] for x in s), min(x[2] for x in s), max(x[2] for x in s),
                    max(x[3] for x in s)))
        print("  %d tokens made, %d live at the end; %d API requests, %d of them lists; %d faults injected; "
              "%d forced rotations (%d failed); CMD restarted %d times; first valid: %s; invalid moments: %d" % (
                  len(toks), sum(1 for t in toks if not t.get("revokedAt")), len(reqs), lists, stats["random_faults"],
                  sum(self.forced), self.forced[1], len(re.findall(r"restarting ", log)),
                  ", ".join("%s %.0fs" % kv for kv in sorted(self.first_valid.items())), len(self.invalid)))

    def close(self):
        for p in (getattr(self, "watch", None), getattr(self, "exec", None)):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if getattr(self, "emu", None):
            self.emu.stop()
        if self.a.keep or self.failures:
            print("  (kept %s)" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--helper", required=True)
    ap.add_argument("--duration", type=float, default=150, help="seconds (default 150)")
    ap.add_argument("--seed", type=int, default=None, help="the faults' seed (default: random, printed)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), "big")
    a.helper = os.path.abspath(a.helper)
    print("soak: watch and exec for %.0fs, faults seed %d" % (a.duration, a.seed), flush=True)
    s = Soak(a)
    try:
        s.setup()
        s.start()
        s.run()
        s.stop()
        s.growth()
        s.secrets_check()
        s.report()
    finally:
        s.close()
    for f in s.failures:
        print("FAIL: " + f)
    print("1 passed, 0 failed" if not s.failures else "0 passed, 1 failed")
    return 1 if s.failures else 0


if __name__ == "__main__":
    sys.exit(main())
