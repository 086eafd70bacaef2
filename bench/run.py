#!/usr/bin/env python3
"""Benchmarks for influx-token-helper; each figure beside its baseline from the same run.

1. cached `get`: median wall time over >= 300 runs (hyperfine -N) against
   `git credential-store --file F get` (target: ratio <= 1.0);
2. peak RSS of a cached `get` against git credential-store's (target <= 1.5x);
3. network: TCP connections and HTTP requests of `rotate --force` (create +
   sweep, activation none; target 1 connection, <= 3 requests) and of
   revoking N tokens (target 1 connection);
4. contention: 100 concurrent cold `get`s (empty state) against one cold
   `get` (target: one create, wall <= 3x);
5. inventory at fleet scale: a sweep (a `rotate` with a create intent open)
   over 1,000, 10,000 and 50,000 listed tokens, 90% revoked, of other hosts:
   peak RSS (target <= 32 MB at 50,000) and wall time;
6. fleet renewal spread: bench/renewal_sim.c (the core's renewal function for
   10,000 hosts installed in the same minute, under the packaged timer): per
   day, creates in the busiest 10 minutes over the mean (target <= 1.5 from
   day 2 on, creates per day <= 1.1 * N * 24h / P).

7. hosts_file at 10,000 hosts (one profile telegraf, telegraf@HOST each), against tests/emulator.py:
   a. the first rollout: one `rotate` with the default management.deadline (60s), and one with 1h (then
      again, at most 3 runs, until it exits 0): per run wall time, exit status, creates, HTTP requests,
      TCP connections;
   b. `rotate` with nothing due: wall time and peak RSS (targets <= 1 s, <= 64 MB), requests (0);
   c. `watch` idle between due times: CPU time over 20 s once its start is over, requests (target ~0, 0);
   d. the same rollout (deadline 1h) under a 429 storm (the next 300 creates answered 429 with Retry-After: 1): per run
      wall, exit, retries; at the end every host has a valid token or a retryable state, nothing lost;
   e. the renewal spread of telegraf@HOST profiles of one rotator (bench/renewal_sim.c --hosts).
   The state directory is TMPDIR's (each create fsyncs the state twice and the sink once: on a
   disk that is most of a create's time; set TMPDIR=/dev/shm to measure the helper and the emulator).

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

    def ctl(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/_emu/" + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())

    def list_bytes(self):
        """Size of the list answer as the helper receives it."""
        tok = open(os.path.join(self.tmp, "mgmt-token")).read()
        req = urllib.request.Request("%s/api/v0/accounts/%s/clusters/%s/tokens" % (self.base, self.account,
                                                                                self.cluster),
                                     headers={"Authorization": "Bearer " + tok, "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return len(r.read())

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


def sweep_figures(helper, n, trials=3):
    """Peak RSS (KB) and wall time (ms) of a `rotate` that sweeps an inventory of n tokens."""
    bed = Bed()
    try:
        bed.ctl("seed", {"count": n, "revoked": n * 9 // 10, "other_hosts": True, "extra": True})
        assert run([helper, "-q", "-c", bed.conf, "get"]).returncode == 0
        size = bed.list_bytes()
        path = os.path.join(bed.state, "telegraf.state")
        rss, wall = [], []
        for _ in range(trials):
            st = json.load(open(path))
            st["pending_since"] = int(time.time())   # a create intent open: the next run sweeps
            fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, json.dumps(st).encode())
            os.close(fd)
            os.replace(path + ".tmp", path)
            r0, _ = bed.counters()
            p = subprocess.run(["/usr/bin/time", "-f", "%M %e", helper, "-q", "-c", bed.conf, "rotate"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            assert p.returncode == 0, p.stderr
            lists = sum(1 for r in bed.ctl("requests")[r0:] if r["method"] == "GET")
            assert lists == 1, "expected one list call, saw %d" % lists
            kb, secs = p.stderr.strip().splitlines()[-1].split()
            rss.append(int(kb))
            wall.append(float(secs) * 1000)
        return statistics.median(rss), statistics.median(wall), size
    finally:
        bed.close()


def renewal_sim(helper):
    sim = os.path.join(os.path.dirname(helper), "renewal-sim")
    if not os.path.exists(sim):
        print("   (renewal-sim not built: cmake --build <tree> --target renewal-sim)")
        return
    print(subprocess.run([sim, "10000", "8"], check=True, capture_output=True, text=True).stdout, end="")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helper", default=os.path.join(ROOT, "build-release", "influx-token-helper"))
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--only", default="1,2,3,4,5,6,7", help="comma-separated section numbers (1+2 go together)")
    ap.add_argument("--hosts", type=int, default=10000, help="section 7: hosts in the hosts_file")
    a = ap.parse_args()
    helper = os.path.abspath(a.helper)
    only = set(a.only.split(","))
    git = shutil.which("git")
    print("influx-token-helper benchmarks, %s, %d cores" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count()))
    print("helper: %s" % helper)
    if "5" in only:
        print("\n5. a sweep over a fleet-sized inventory (90% revoked, other hosts), median of 3 runs:")
        print("   %8s  %10s  %12s  %10s" % ("tokens", "answer", "peak RSS", "wall"))
        for n in (1000, 10000, 50000):
            rss, wall, size = sweep_figures(helper, n)
            print("   %8d  %7.1f MB  %9.1f MB  %7.0f ms" % (n, size / 1e6, rss / 1024, wall))
        print("   (target: peak RSS <= 32 MB at 50,000; the wall time includes the emulator's own JSON encoding)")
    if "6" in only:
        print("\n6. fleet renewal spread (bench/renewal_sim.c):")
        renewal_sim(helper)
    if "7" in only:
        hosts_bench(helper, a.hosts)
    if only & {"1", "2", "3"}:
        cached_and_network(helper, git, a.runs)
    if "4" in only:
        contention(helper)


def cached_and_network(helper, git, runs):
    """Sections 1-3."""
    # 1 + 2: cached get against git credential-store (3: network, in the same bed)
    bed = Bed()
    try:
        assert run([helper, "-q", "-c", bed.conf, "get"]).returncode == 0
        store = os.path.join(bed.tmp, "git-credentials")
        subprocess.run([git, "credential-store", "--file", store, "store"], check=True,
                       input=b"protocol=https\nhost=example.com\nusername=u\npassword=p\n\n")
        (g_med, g_mean, g_sd), (h_med, h_mean, h_sd) = hyperfine_median(
            ["%s credential-store --file %s get" % (git, store), "%s -c %s get" % (helper, bed.conf)], runs)
        print("\n1. cached get, median of %d runs (hyperfine -N):" % runs)
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



def contention(helper):
    """Section 4."""
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


def hosts_bed(n, deadline=None):
    """A Bed whose profile telegraf is expanded over a hosts_file of n hosts (one file sink per host)."""
    bed = Bed()
    if deadline:
        txt = open(bed.conf).read().replace('/api/v0"; };', '/api/v0"; deadline = "%s"; };' % deadline)
        with open(bed.conf, "w") as f:
            f.write(txt)
    hosts = os.path.join(bed.tmp, "fleet.hosts")
    with open(hosts, "w") as f:
        f.write("".join("host-%05d.example.com\n" % i for i in range(n)))
    os.chmod(hosts, 0o644)
    txt = open(bed.conf).read()
    txt = txt.replace('grace = "1h";', 'grace = "1h"; hosts_file = "%s";' % hosts)
    txt = txt.replace('/run/telegraf"', '/run/{{host}}"')
    with open(bed.conf, "w") as f:
        f.write(txt)
    return bed


def creates(calls):
    return sum(1 for r in calls if r["method"] == "POST")


def hosts_state(bed):
    """(hosts with a valid current token, hosts in a retryable state, hosts with nothing) from the states."""
    valid = retry = none = 0
    now = time.time()
    for name in os.listdir(bed.state):
        if "@" not in name or not name.endswith(".state"):
            continue
        st = json.load(open(os.path.join(bed.state, name)))
        cur = st.get("current") or {}
        if cur.get("id") and cur.get("expires_at", 0) > now:
            valid += 1
        elif st.get("pending_since") or st.get("failures"):
            retry += 1
        else:
            none += 1
    return valid, retry, none


def rollout(helper, bed, n, label, max_runs=3):
    """Runs `rotate` until it exits 0 (at most max_runs); prints one line per run."""
    print("   %s:" % label)
    print("   %4s  %8s  %4s  %8s  %8s  %11s  %11s" % ("run", "wall", "exit", "POSTs", "requests", "connections",
                                                      "tokens made"))
    total = 0.0
    for i in range(1, max_runs + 1):
        r0, c0 = bed.counters()
        made0 = len(bed.ctl("tokens"))
        t0 = time.perf_counter()
        p = run([helper, "-q", "-c", bed.conf, "rotate"])
        wall = time.perf_counter() - t0
        total += wall
        calls = bed.ctl("requests")[r0:]
        r1, c1 = bed.counters()
        made = len(bed.ctl("tokens")) - made0
        print("   %4d  %6.1f s  %4d  %8d  %8d  %11d  %11d" % (i, wall, p.returncode, creates(calls), r1 - r0, c1 - c0,
                                                           made))
        if p.returncode == 0:
            break
    valid, retry, none = hosts_state(bed)
    live = sum(1 for t in bed.ctl("tokens") if not t.get("revokedAt"))
    print("   total %.1f s; hosts with a valid token %d of %d, retryable %d, neither %d; live tokens on the "
          "server %d" % (total, valid, n, retry, none, live))


def cpu_ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15])   # utime stime cutime cstime


def watch_idle(helper, bed, secs=20):
    """Starts watch; once its start is over (every profile's first cycle, at most 8 at once), CPU time and
    requests over secs of idle."""
    proc = subprocess.Popen([helper, "-q", "-c", bed.conf, "watch"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        hz = os.sysconf("SC_CLK_TCK")
        t0 = time.perf_counter()
        last, quiet = cpu_ticks(proc.pid), 0
        while quiet < 3 and time.perf_counter() - t0 < 900:   # its start: the first cycle of every profile
            time.sleep(1)
            now = cpu_ticks(proc.pid)
            quiet = quiet + 1 if now - last <= 1 else 0
            last = now
        start = time.perf_counter() - t0
        r0, _ = bed.counters()
        c0 = cpu_ticks(proc.pid)
        time.sleep(secs)
        cpu = (cpu_ticks(proc.pid) - c0) / hz
        r1, _ = bed.counters()
        rss = int([l for l in open("/proc/%d/status" % proc.pid) if l.startswith("VmRSS")][0].split()[1])
        return start, cpu, r1 - r0, rss
    finally:
        proc.terminate()
        proc.wait()


def hosts_bench(helper, n):
    """Section 7."""
    print("\n7. hosts_file with %d hosts (state_dir under %s):" % (n, tempfile.gettempdir()))
    bed = hosts_bed(n)
    try:
        rollout(helper, bed, n, "a1. first rollout, rotate as a timer runs it (the default management.deadline, 60s)",
                max_runs=1)
    finally:
        bed.close()
    bed = hosts_bed(n, "1h")
    try:
        rollout(helper, bed, n, "a2. first rollout in one run (management.deadline 1h)")
        # a token made during the rollout whose phase point came since is renewed early, once (by design: the
        # phase-locked rule renews at the latest phase moment before expires_at - renew_before): runs until
        # one makes no request, so the figures are those of nothing due
        for settle in range(1, 6):
            r0, _ = bed.counters()
            run([helper, "-q", "-c", bed.conf, "rotate"])
            early = bed.counters()[0] - r0
            print("   settling run %d: %d requests (early first renewals: phase moments passed during the rollout)"
                  % (settle, early))
            if early == 0:
                break
        r0, c0 = bed.counters()
        walls, rss = [], []
        for _ in range(5):
            p = subprocess.run(["/usr/bin/time", "-f", "%M %e", helper, "-q", "-c", bed.conf, "rotate"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            kb, secs = p.stderr.strip().splitlines()[-1].split()
            walls.append(float(secs))
            rss.append(int(kb))
        r1, c1 = bed.counters()
        print("   b. rotate, nothing due, median of 5: %.2f s wall, %.1f MB peak RSS, %d requests, %d connections "
              "(targets <= 1 s, <= 64 MB, 0 requests)" % (statistics.median(walls), statistics.median(rss) / 1024,
                                                         r1 - r0, c1 - c0))
        start, cpu, reqs, wrss = watch_idle(helper, bed)
        print("   c. watch: start (a cycle of every profile, at most 8 at once) %.0f s; then 20 s idle: %.2f s CPU, "
              "%d requests, RSS %.1f MB (target ~0 CPU, 0 requests)" % (start, cpu, reqs, wrss / 1024))
    finally:
        bed.close()
    bed = hosts_bed(n, "1h")
    try:
        bed.ctl("faults", [{"method": "POST", "path": "/tokens", "count": 300, "status": 429, "retry_after": 1}])
        rollout(helper, bed, n, "d. first rollout under a 429 storm (the next 300 creates: 429, Retry-After: 1)")
    finally:
        bed.close()
    sim = os.path.join(os.path.dirname(helper), "renewal-sim")
    if os.path.exists(sim):
        print("   e. renewal spread of telegraf@HOST profiles of one rotator (renewal-sim --hosts):")
        print(subprocess.run([sim, "--hosts", str(n), "8"], check=True, capture_output=True, text=True).stdout, end="")


if __name__ == "__main__":
    main()
