#!/usr/bin/env python3
"""Every file in tests/bad-configs/ must be refused with exit 78 by `check --offline`,
the message naming the file, the line and the setting.

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


def main():
    helper = sys.argv[1]
    files = sorted(glob.glob(os.path.join(HERE, "bad-configs", "*.conf")))
    passed = failed = 0
    # run each from a private copy: the helper refuses a configuration on a path others could change, and
    # the checkout may sit below a directory that is group-writable or someone else's
    tmp = tempfile.mkdtemp(prefix="ith-badconf-")
    for src in files:
        f = os.path.join(tmp, os.path.basename(src))
        shutil.copyfile(src, f)
        expect = re.search(r"^# expect: (.*)$", open(f).read(), re.M).group(1)
        p = subprocess.run([helper, "-c", f, "check", "--offline"], capture_output=True, text=True, timeout=30)
        prefix = "influx-token-helper: " + f
        msg = p.stderr.strip()
        if re.match(r"\d", expect):
            ok = msg.startswith(prefix + ":") and re.match(expect, msg[len(prefix) + 1:]) is not None
        else:
            ok = msg.startswith(prefix) and re.search(expect, msg) is not None
        ok = ok and p.returncode == 78 and msg.count("\n") == 0
        ok = ok and not any(a in p.stderr for a in re.findall(r"^# absent: (.*)$", open(f).read(), re.M))
        if ok:
            passed += 1
        else:
            failed += 1
            print("not ok %s: exit %d, stderr %r, expected /%s/" % (os.path.basename(f), p.returncode, msg, expect))
    shutil.rmtree(tmp, ignore_errors=True)
    print("bad configs: %d files" % len(files))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or len(files) < 30 else 0


if __name__ == "__main__":
    sys.exit(main())
