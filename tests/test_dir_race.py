#!/usr/bin/env python3
"""Directory race (issue: root writing through a swapped sink directory).

A local user (nobody) owns a sink's directory and, at most 2,000 times, swaps
it for a symlink to a root-only directory while root runs `rotate --force`
again and again. No file may ever appear in the victim directory, and every
run must refuse the directory (77). Then a status_dir owned by nobody is
refused too (no copy written). Only loopback traffic (the bundled emulator).

Needs root (to run the helper as root and the swapper as nobody): otherwise
it prints why ("SKIP: ...", the form ./scripts/test lists) and exits 77. No
registry offers root, so this skip stands under CI=true too (tests/skiprule.py).
Usage: test_dir_race.py HELPER
"""
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_scenarios import Emulator  # noqa: E402

MAX_SWAPS = 2000
MAX_RUNS = 40

SWAPPER = r'''
import os, sys, time
run, victim, stop = sys.argv[1], sys.argv[2], sys.argv[3]
n = 0
while n < %d and not os.path.exists(stop):
    os.rename(run, run + ".real")
    os.symlink(victim, run)
    time.sleep(0.001)
    os.unlink(run)
    os.rename(run + ".real", run)
    n += 1
    time.sleep(0.001)
print(n)
''' % MAX_SWAPS


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP: the directory race test must run as root (it runs the helper as root and a swapper "
              "as user nobody)")
        return 77
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        print("SKIP: no user 'nobody' on this host")
        return 77
    helper = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="ith-race-")
    os.chmod(tmp, 0o711)
    emu = None
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        print("%s - %s" % ("ok" if ok else "not ok", what))
        if ok:
            passed += 1
        else:
            failed += 1
    try:
        account, cluster = str(uuid.uuid4()), str(uuid.uuid4())
        mgmt = "mgmt_" + secrets.token_hex(24)
        mgmt_file = os.path.join(tmp, "mgmt-token")
        write_private(mgmt_file, mgmt)
        emu = Emulator(tmp, account, cluster, mgmt_file)
        pub = os.path.join(tmp, "pub")          # nobody's
        run = os.path.join(pub, "run")          # nobody's: the sink directory
        victim = os.path.join(tmp, "victim")    # root's, private
        for d, mode in ((pub, 0o755), (run, 0o755), (victim, 0o700)):
            os.mkdir(d)
            os.chmod(d, mode)
        for d in (pub, run):
            os.chown(d, nobody.pw_uid, nobody.pw_gid)
        conf = os.path.join(tmp, "helper.conf")

        def config(status_dir=None, sink_dir=run):
            write_private(conf, 'management = { account_id = "%s"; cluster_id = "%s"; token_file = "%s"; url = "%s"; };\n'
                          'state_dir = "%s/state";\n%s'
                          'tokens = ( { name = "telegraf"; write = [ "sensors" ]; '
                          'sinks = ( { type = "file"; path = "%s/token"; mode = "0600"; } ); } );\n'
                          % (account, cluster, mgmt_file, emu.base + "/api/v0", tmp,
                             'status_dir = "%s";\n' % status_dir if status_dir else "", sink_dir))
        config()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        stop = os.path.join(tmp, "stop")
        swapper = subprocess.Popen(["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                                    "--clear-groups", sys.executable, "-c", SWAPPER, run, victim, stop],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        runs, codes, leaked, t0 = 0, {}, False, time.time()
        while runs < MAX_RUNS and swapper.poll() is None and time.time() - t0 < 60:
            p = subprocess.run([helper, "-c", conf, "rotate", "--force"], capture_output=True, timeout=60,
                               env=env, stdin=subprocess.DEVNULL)
            runs += 1
            codes[p.returncode] = codes.get(p.returncode, 0) + 1
            if mgmt.encode() in p.stderr or any(t.get("accessToken", "").encode() in p.stderr
                                                for t in emu.ctl("tokens") if t.get("accessToken")):
                leaked = True
            if os.listdir(victim):
                break
        with open(stop, "w"):
            pass
        out, err = swapper.communicate(timeout=60)
        swaps = out.decode().strip() or "?"
        in_victim = os.listdir(victim)
        print("  (%d runs of rotate --force as root against %s swaps by nobody; exit codes %s)" % (runs, swaps, codes))
        check(swapper.returncode == 0, "the swapper (as nobody) ran: %s" % err.decode()[-300:].strip())
        check(runs > 0, "the helper ran during the swaps")
        check(not in_victim, "nothing was written into the root-only victim directory (found %s)" % in_victim)
        check(set(codes) == {77}, "every run refused the directory owned by nobody (77)")
        check(not leaked, "no secret on stderr")
        p = subprocess.run([helper, "-c", conf, "rotate", "--force"], capture_output=True, text=True, timeout=60,
                           env=env, stdin=subprocess.DEVNULL)
        check(p.returncode == 77 and "owned by uid %d" % nobody.pw_uid in p.stderr,
              "the refusal names the owner and the fix: %r" % p.stderr.strip()[-300:])

        # a status_dir owned by another user: no copy written (the sink itself is fine)
        status = os.path.join(tmp, "status")
        os.mkdir(status)
        os.chmod(status, 0o755)
        os.chown(status, nobody.pw_uid, nobody.pw_gid)
        config(status, os.path.join(tmp, "run"))
        p = subprocess.run([helper, "-c", conf, "rotate", "--force"], capture_output=True, text=True, timeout=60,
                           env=env, stdin=subprocess.DEVNULL)
        check(p.returncode == 0 and "status_dir" in p.stderr and "owned by uid %d" % nobody.pw_uid in p.stderr
              and not os.path.exists(os.path.join(status, "telegraf.json")),
              "a status_dir owned by nobody is refused, no copy written (exit %d: %r)" % (p.returncode, p.stderr.strip()[-300:]))
    finally:
        if emu:
            emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
