#!/usr/bin/env python3
"""tests/check_layers.py seen failing: a small synthetic tree (an ARCHITECTURE.md with a tier table, src/
and helper/) passes clean, and each planted offence fails with its message: an include up a tier, a tier-0
file including the error header, a two-file cycle within one tier, a file the table does not list, a
module the table lists with no file (a warning under --missing=warn or ITH_LAYERS_MISSING=warn), src/
including a helper/ header. Ends with "N passed, M failed".
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_layers.py")

ARCH = """# Architecture

```tiers
tier 0: base version   # libc only
tier 1: err
tier 2: model other
helper: cli main cmd_*
```
"""

CLEAN = {
    "src/base.h": "#ifndef BASE_H\n#define BASE_H\nint base(void);\n#endif\n",
    "src/base.c": '#include "base.h"\n#include <string.h>\nint base(void) { return 0; }\n',
    "src/version.h.in": '#define V "@V@"\n',
    "src/err.h": '#include "base.h"\nint err(void);\n',
    "src/err.c": '#include "err.h"\nint err(void) { return base(); }\n',
    "src/model.h": '#include "err.h"\nint model(void);\n',
    "src/model.c": '#include "model.h"\n#include "base.h"\n#include "curl/curl.h"\nint model(void) { return err(); }\n',
    "src/other.h": "int other(void);\n",
    "src/other.c": '#include "other.h"\nint other(void) { return 1; }\n',
    "helper/cli.h": '#include "model.h"\n#include "version.h"\n',
    "helper/main.c": '#include "cli.h"\n#include "other.h"\nint main(void) { return model(); }\n',
    "helper/cmd_get.c": '#include "cli.h"\n',
}


def make_tree(plants=None, arch=ARCH):
    """A temporary tree: CLEAN with plants applied (path -> text appended; a new path is created)."""
    root = tempfile.mkdtemp(prefix="ith-layers-")
    files = dict(CLEAN)
    for path, text in (plants or {}).items():
        files[path] = files.get(path, "") + text
    for path, text in files.items():
        os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text)
    with open(os.path.join(root, "ARCHITECTURE.md"), "w") as f:
        f.write(arch)
    return root


def run(root, *args, env=None):
    e = dict(os.environ)
    e.pop("ITH_LAYERS_MISSING", None)
    e.update(env or {})
    p = subprocess.run([sys.executable, CHECKER, "--root", root] + list(args), capture_output=True, text=True,
                       env=e, timeout=60)
    return p.returncode, p.stdout + p.stderr


CASES = [
    # name, plants, arch, args, env, expected exit, texts that must appear, texts that must not
    ("clean tree passes", {}, ARCH, [], None, 0, ["layers: ok (12 files"], ["offence", "warning"]),
    ("include up a tier", {"src/base.c": '#include "other.h"\n'}, ARCH, [], None, 1,
     ['src/base.c:4: includes "other.h" (tier 2) from tier 0: includes must not point up a tier',
      "layers: 1 offences"], ["cycle"]),
    ("tier 0 includes the error header", {"src/base.c": '#include "err.h"\n'}, ARCH, [], None, 1,
     ['src/base.c:4: includes "err.h" (tier 1) from tier 0']), 
    ("two-file cycle within one tier",
     {"src/other.h": '#include "model.h"\n', "src/model.c": '#include "other.h"\n'}, ARCH, [], None, 1,
     ["include cycle among model, other: model -> other -> model; model -> other (src/model.c:5), "
      "other -> model (src/other.h:2)", "layers: 1 offences"], ["point up"]),
    ("cycle within helper/", {"helper/cli.h": '#include "main.c"\n'}, ARCH, [], None, 1,
     ["include cycle among cli, main: cli -> main -> cli"]),
    ("unlisted file", {"src/foo.c": '#include "base.h"\n'}, ARCH, [], None, 1,
     ["src/foo.c: not in ARCHITECTURE.md's tier table", "layers: 1 offences"]),
    ("unlisted header in helper/", {"helper/sched.h": ""}, ARCH, [], None, 1,
     ["helper/sched.h: not in ARCHITECTURE.md's tier table"]),
    ("listed module without a file fails", {}, ARCH.replace("model other", "model other gone"), [], None, 1,
     ["tier table: module gone (tier 2) has no file in src/", "layers: 1 offences"]),
    ("listed module without a file: --missing=warn", {}, ARCH.replace("model other", "model other gone"),
     ["--missing=warn"], None, 0, ["warning: tier table: module gone (tier 2) has no file in src/", "layers: ok"]),
    ("listed module without a file: ITH_LAYERS_MISSING=warn", {}, ARCH.replace("cmd_*", "cmd_* sched"),
     [], {"ITH_LAYERS_MISSING": "warn"}, 0, ["warning: tier table: module sched (helper) has no file in helper/"]),
    ("a pattern that matches nothing is stale", {}, ARCH.replace("cmd_*", "cmd_* run_*"), [], None, 1,
     ["tier table: module run_* (helper) has no file in helper/"]),
    ("src/ includes a helper/ header", {"src/model.c": '#include "cli.h"\n'}, ARCH, [], None, 1,
     ['src/model.c:5: includes "cli.h", a header of helper/ (src/ must never include helper/)']),
    ("no tier table", {}, "# Architecture\n", [], None, 1, ["no ```tiers block"]),
]


def main():
    passed = failed = 0
    for name, plants, arch, args, env, want_rc, must, must_not in [c + ([],) if len(c) == 7 else c for c in CASES]:
        root = make_tree(plants, arch)
        try:
            rc, out = run(root, *args, env=env)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        bad = [("exit %d, expected %d" % (rc, want_rc))] if rc != want_rc else []
        bad += ["missing %r" % m for m in must if m not in out]
        bad += ["unexpected %r" % m for m in must_not if m in out]
        if bad:
            failed += 1
            print("not ok - %s: %s\n  %s" % (name, "; ".join(bad), out.strip().replace("\n", "\n  ")))
        else:
            passed += 1
            print("ok - %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
