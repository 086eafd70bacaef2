#!/usr/bin/env python3
"""Benchmarks for influx-token-helper; each figure beside its baseline from the same run.

1. cached `get`: median wall time over >= 300 runs (hyperfine -N) against
   `git credential-store --file F get` (target: ratio <= 1.0);
2. peak RSS of a cached `get` against git credential-store's (target <= 1.5x);
3. network: TCP connections and HTTP requests of `rotate --force` (create +
   sweep, activation none; target 1 connection, <= 3 requests) and of
   revoking N tokens (target 1 connection);
4. contention: 100 concurrent cold `get`s (empty state) against one cold
   `get` (target: one create, wall <= 3x).

Benchmarks print numbers; they are not pass/fail tests. Usage:
    bench/run.py --helper build-release/influx-token-helper [--runs 300]
"""
import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Bed:
    """A private directory, an emulator on loopback, and a helper config."""

    def __init__(self, name="telegraf"):
        self.tmp = tempfile.mkdtemp(prefix="ith-bench-")
        self.account, self.cluster = str(uuid.uuid4()), str(uuid.uuid4())
        tok = os.path.join(self.tmp, "mgmt-token")
        fd = os.open(tok, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, ("mgmt_" + secrets.token_hex(24)).encode())
        os.close(fd)
        port_file = os.path.join(self.tmp, "port")
        self.emu = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "emulator.py"), "--account",
                                     self.account, "--cluster", self.cluster, "--mgmt-token-file", tok,
                                     "--port-file", port_file], stdin=subprocess.DEVNULL)
        while not os.path.exists(port_file):
            time.sleep(0.02)
        self.base = "http://127.0.0.1:" + open(port_file).read()
        self.conf = os.path.join(self.tmp, "helper.conf")
        self.state = os.path.join(self.tmp, "state")
        with open(self.conf, "w") as f:
            f.write('management = { account_id = "%s"; cluster_id = "%s"; token_file = "%s"; url = "%s/api/v0"; };\n'
                    'state_dir = "%s";\ntokens = ( { name = "%s"; write = [ "sensors" ]; grace = "1h";\n'
                    '  sinks = ( { type = "file"; path = "%s/run/%s"; } ); } );\n'
                    % (self.account, self.cluster, tok, self.base, self.state, name, self.tmp, name))

    def ctl(self, path):
        with urllib.request.urlopen(self.base + "/_emu/" + path, timeout=10) as r:
            return json.loads(r.read())

    def counters(self):
        return len(self.ctl("requests")), self.ctl("connections")["connections"]

    def close(self):
        self.emu.terminate()
        self.emu.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def hyperfine_median(cmds, runs):
    out = tempfile.mktemp(suffix=".json")
    subprocess.run(["hyperfine", "-N", "--warmup", "30", "--runs", str(runs), "--export-json", out] + cmds,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res = json.load(open(out))["results"]
    os.unlink(out)
    return [(r["median"] * 1000, r["mean"] * 1000, r["stddev"] * 1000) for r in res]


def peak_rss_kb(argv, runs=50):
    """Median over runs of the peak RSS that GNU time reports for the command. (GNU time forks
    from a small process; a child spawned by Python would carry Python's own RSS in its peak.)"""
    vals = []
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        vals.append(int(p.stderr.strip().splitlines()[-1]))
    return statistics.median(vals)


def run(argv, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, **kw)


def cold_get_wall(helper, n):
    """Wall time of n concurrent `get`s on an empty state, and the creates they made."""
    bed = Bed()
    try:
        r0, _ = bed.counters()
        t0 = time.perf_counter()
        procs = [subprocess.Popen([helper, "-q", "-c", bed.conf, "get"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) for _ in range(n)]
        outs = {p.communicate()[0] for p in procs}
        wall = time.perf_counter() - t0
        creates = sum(1 for r in bed.ctl("requests")[r0:] if r["method"] == "POST")
        return wall * 1000, creates, len(outs)
    finally:
        bed.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helper", default=os.path.join(ROOT, "build-release", "influx-token-helper"))
    ap.add_argument("--runs", type=int, default=300)
    a = ap.parse_args()
    helper = os.path.abspath(a.helper)
    git = shutil.which("git")
    print("influx-token-helper benchmarks, %s, %d cores" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count()))
    print("helper: %s" % helper)

    # 1 + 2: cached get against git credential-store
    bed = Bed()
    try:
        assert run([helper, "-q", "-c", bed.conf, "get"]).returncode == 0
        store = os.path.join(bed.tmp, "git-credentials")
        subprocess.run([git, "credential-store", "--file", store, "store"], check=True,
                       input=b"protocol=https\nhost=example.com\nusername=u\npassword=p\n\n")
        (g_med, g_mean, g_sd), (h_med, h_mean, h_sd) = hyperfine_median(
            ["%s credential-store --file %s get" % (git, store), "%s -c %s get" % (helper, bed.conf)], a.runs)
        print("\n1. cached get, median of %d runs (hyperfine -N):" % a.runs)
        print("   git credential-store get   %6.3f ms  (mean %.3f ± %.3f)" % (g_med, g_mean, g_sd))
        print("   influx-token-helper get    %6.3f ms  (mean %.3f ± %.3f)" % (h_med, h_mean, h_sd))
        print("   ratio                      %6.2fx   (target <= 1.0)" % (h_med / g_med))
        g_rss = peak_rss_kb([git, "credential-store", "--file", store, "get"])
        h_rss = peak_rss_kb([helper, "-c", bed.conf, "get"])
        print("\n2. peak RSS of a cached get, median of 50 runs:")
        print("   git credential-store get   %6d KB" % g_rss)
        print("   influx-token-helper get    %6d KB" % h_rss)
        print("   ratio                      %6.2fx   (target <= 1.5)" % (h_rss / g_rss))
        ldd = run(["ldd", helper]).stdout.decode().count("=>")
        print("   shared libraries at start: %d (libcurl is loaded only for API calls)" % ldd)

        # 3: network
        r0, c0 = bed.counters()
        assert run([helper, "-q", "-c", bed.conf, "rotate", "--force"]).returncode == 0
        r1, c1 = bed.counters()
        print("\n3. network:")
        print("   rotate --force             %d HTTP requests over %d TCP connection(s)  (target <= 3 over 1)"
              % (r1 - r0, c1 - c0))
        for _ in range(8):
            run([helper, "-q", "-c", bed.conf, "rotate", "--force"])
        live = sum(1 for t in bed.ctl("tokens") if not t.get("revokedAt"))
        r0, c0 = bed.counters()
        assert run([helper, "-q", "-c", bed.conf, "revoke", "telegraf"]).returncode == 0
        r1, c1 = bed.counters()
        print("   revoke (%d tokens)          %d HTTP requests over %d TCP connection(s)  (target: 1 connection)"
              % (live, r1 - r0, c1 - c0))
    finally:
        bed.close()

    # 4: contention
    one = statistics.median(cold_get_wall(helper, 1)[0] for _ in range(5))
    walls, creates, distinct = [], set(), set()
    for _ in range(5):
        w, c, d = cold_get_wall(helper, 100)
        walls.append(w)
        creates.add(c)
        distinct.add(d)
    many = statistics.median(walls)
    print("\n4. contention, median of 5 trials each:")
    print("   1 cold get                 %7.1f ms" % one)
    print("   100 concurrent cold gets   %7.1f ms  creates per trial %s, distinct outputs %s" %
          (many, sorted(creates), sorted(distinct)))
    print("   ratio                      %7.2fx   (target <= 3)" % (many / one))


if __name__ == "__main__":
    main()
