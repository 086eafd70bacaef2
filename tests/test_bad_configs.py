#!/usr/bin/env python3
"""Every file in tests/bad-configs/ must be refused with exit 78 by `check --offline`,
the message naming the file, the line and the setting; and so by `check` (online), `get` and `rotate`,
with the same one-line message, and without using the network: libcurl, which the helper loads only for a
call (dlopen), is never loaded (seen through the dynamic loader's LD_DEBUG=files log; a valid
configuration's rotate, towards a closed port, is the control that loads it).

Each file's last line is "# expect: REGEX". A REGEX that starts with a line
number ("12: setting: ...") must follow "<file>:" at the start of the message;
otherwise it must appear somewhere in it. Lines "# absent: TEXT" before it name
text that must not appear anywhere on stderr (a password the file holds). The files are also the seed corpus
of the config fuzzer (tests/fuzz).
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


COMMANDS = (["check", "--offline"], ["check"], ["get"], ["rotate"])
GOOD = """management = { account_id = "11111111-1111-4111-8111-111111111111";
  cluster_id = "22222222-1111-4111-8111-111111111111"; token_file = "%(d)s/mgmt"; url = "http://127.0.0.1:9/api/v0"; };
state_dir = "%(d)s/state";
tokens = ( { name = "t"; write = [ "db" ]; } );
"""


def run(helper, f, args, tmp):
    """(exit status, stderr, whether libcurl was loaded) of the helper on configuration f."""
    log = os.path.join(tmp, "ld")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C", "LD_DEBUG": "files", "LD_DEBUG_OUTPUT": log}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    p = subprocess.run([helper, "-c", f] + args, capture_output=True, text=True, timeout=30, env=env, cwd=tmp,
                       stdin=subprocess.DEVNULL)
    curl = False
    for name in glob.glob(log + ".*"):
        curl = curl or "libcurl" in open(name, errors="replace").read()
        os.unlink(name)
    return p.returncode, p.stderr, curl


def verdict(f, expect, rc, stderr, curl):
    """Why the run of a bad configuration f is wrong, or None."""
    prefix = "influx-token-helper: " + f
    msg = stderr.strip()
    if re.match(r"\d", expect):
        ok = msg.startswith(prefix + ":") and re.match(expect, msg[len(prefix) + 1:]) is not None
    else:
        ok = msg.startswith(prefix) and re.search(expect, msg) is not None
    ok = ok and rc == 78 and msg.count("\n") == 0
    ok = ok and not any(a in stderr for a in re.findall(r"^# absent: (.*)$", open(f).read(), re.M))
    if not ok:
        return "exit %d, stderr %r, expected /%s/" % (rc, msg, expect)
    if curl:
        return "libcurl was loaded (the network used for a refused configuration)"
    return None


def control(helper, tmp):
    """A valid configuration's rotate loads libcurl (towards a closed port): the LD_DEBUG check sees."""
    d = os.path.join(tmp, "good")
    os.mkdir(d, 0o700)
    for name, text in (("mgmt", "mgmt_token_for_the_control\n"), ("good.conf", GOOD % {"d": d})):
        fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, text.encode())
        os.close(fd)
    rc, err, curl = run(helper, os.path.join(d, "good.conf"), ["rotate"], tmp)
    shutil.rmtree(d)
    return None if curl else "the control (a valid configuration's rotate, exit %d) loaded no libcurl: %r" % (
        rc, err.strip())


def main():
    helper = os.path.abspath(sys.argv[1])
    files = sorted(glob.glob(os.path.join(HERE, "bad-configs", "*.conf")))
    passed = failed = 0
    # run each from a private copy: the helper refuses a configuration on a path others could change, and
    # the checkout may sit below a directory that is group-writable or someone else's
    tmp = tempfile.mkdtemp(prefix="ith-badconf-")
    why = control(helper, tmp)
    if why:
        print("not ok control: " + why)
        failed += 1
    for src in files:
        f = os.path.join(tmp, os.path.basename(src))
        shutil.copyfile(src, f)
        expect = re.search(r"^# expect: (.*)$", open(f).read(), re.M).group(1)
        bad = []
        for args in COMMANDS:
            why = verdict(f, expect, *run(helper, f, args, tmp))
            if why:
                bad.append("%s: %s" % (" ".join(args), why))
        if bad:
            failed += 1
            print("not ok %s: %s" % (os.path.basename(f), "; ".join(bad)))
        else:
            passed += 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("bad configs: %d files, each refused by %s (78, no libcurl)" % (
        len(files), ", ".join(" ".join(c) for c in COMMANDS)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or len(files) < 30 else 0


if __name__ == "__main__":
    sys.exit(main())
