#!/usr/bin/env python3
"""Run integration scenarios (tests/scenarios/*.case) against the emulator.

Each scenario is a small text file of directives run in order, in a fresh
temporary directory with a fresh emulator (random account, cluster and
management token). tests/scenarios/README.md documents every directive.

After every `run`, and whatever the scenario says, the driver asserts that
no secret the emulator issued (nor the management token) appears on stderr.
A command whose exit status no `exit` directive checks must exit 0.
A scenario whose `requires` is not met is reported as skipped, with the
reason; but under CI=true a missing tool that apt offers fails the scenario
(the rule in tests/skiprule.py). Ends with the line "N passed, M failed,
K skipped"; exit status 1 when any failed, 77 when every scenario was skipped.

Every scenario has a `keywords` line (KEYWORDS below: timing, the commands, root, influxd, setpriv,
promtool, systemd, tls, badconf, faults, concurrency, hook, sink); --keywords a,b runs those having any,
--exclude-keywords a,b leaves those out, --check-keywords checks every file's line (source-checks).
"""
import argparse
import glob
import datetime
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import skiprule
import central_harness

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_TIMEOUT = 60

# The keywords a scenario's `keywords` line (after its title) may name, so a run can select a kind of
# scenario or leave it out (--keywords, --exclude-keywords). tests/scenarios/README.md lists them too.
KEYWORDS = {
    "timing": "depends on real time: sleep, sleep-until-json, elapsed-above/below, wait-until, stop within "
              "SECS, crash-trials, or an activation, grace or timeout waited out in real time",
    "get": "runs get", "rotate": "runs rotate", "revoke": "runs revoke", "list": "runs list",
    "status": "runs status", "check": "runs check", "exec": "runs exec", "watch": "runs watch",
    "root": "needs root (requires root, run-pid1, run-on-disk)",
    "influxd": "needs a real InfluxDB 1.x (requires influxd)",
    "setpriv": "needs setpriv (requires setpriv)",
    "promtool": "needs promtool (promtool-accepts)",
    "systemd": "needs systemd-analyze (units-verify)",
    "tls": "the emulator over TLS (emu-tls)",
    "badconf": "a configuration is refused (exit 78)",
    "faults": "faults injected into the emulator (emu-faults)",
    "concurrency": "helpers at once: run-parallel, run-bg, storm, reader-start, crash-trials",
    "hook": "an on_rotate hook",
    "central": "a Vault or Kubernetes emulator for the remote sinks (central-start)",
    "sink": "what a sink holds or how it is written (file-mode, file-group, sh-source, reader-start, a title "
            "naming a sink)",
    "hosts": "a profile expanded over a hosts_file (NAME@HOST profiles): hosts_file in the text",
}
COMMANDS = ("get", "rotate", "revoke", "list", "status", "check", "exec", "watch")
# Keywords that follow from a scenario's directives: (keyword, directive regex). Those in EXACT are listed
# exactly when implied; the others must be listed when implied and may be listed by judgement (a scenario
# that waits out an activation in real time is `timing` with no sleep).
IMPLIED = [
    ("timing", r"^(sleep|sleep-until-json|elapsed-above|elapsed-below|wait-until|stop|crash-trials)( |$)"),
    ("root", r"^(requires .*\broot\b|run-pid1 |run-on-disk )"),
    ("influxd", r"^requires .*\binfluxd\b"),
    ("setpriv", r"^requires .*\bsetpriv\b"),
    ("promtool", r"^promtool-accepts( |$)"),
    ("systemd", r"^units-verify( |$)"),
    ("tls", r"^emu-tls( |$)"),
    ("faults", r"^(emu-faults|central-faults)( |$)"),
    ("central", r"^central-start( |$)"),
    ("badconf", r"^exit 78$"),
    ("concurrency", r"^(run-parallel|run-bg|storm|reader-start|crash-trials)( |$)"),
    ("sink", r"^(file-mode|file-group|sh-source|reader-start|title .*\bsinks?\b)"),
]
EXACT = set(COMMANDS) | {"influxd", "setpriv", "promtool", "systemd", "tls", "faults", "badconf", "central"}


def directive_lines(text):
    """The directive lines of a scenario (blocks, blank lines and comments left out)."""
    out, in_block = [], False
    for line in text.split("\n"):
        s = line.strip()
        if in_block:
            in_block = line.rstrip() != "end"
            continue
        if not s or s.startswith("#"):
            continue
        out.append(s)
        in_block = s.endswith("<<")
    return out


def implied_keywords(text):
    """The keywords a scenario's text implies: IMPLIED, the commands its run directives run, and `hook` for a
    configuration with on_rotate."""
    lines = directive_lines(text)
    found = {k for k, rx in IMPLIED if any(re.search(rx, d) for d in lines)}
    for d in lines:
        word, _, arg = d.partition(" ")
        if word == "start" or word.startswith("run"):
            cmd = next((t for t in arg.split() if t in COMMANDS), None)
            if cmd:
                found.add(cmd)
        elif word == "storm":
            found |= {"get", "rotate", "status"}
        elif word == "crash-trials":
            found |= {"rotate", "get"}
    if re.search(r"\bon_rotate\b", text):
        found.add("hook")
    if re.search(r"\bhosts_file\b", text):
        found.add("hosts")
    return found


def scenario_keywords(path):
    """A scenario's keywords (its one `keywords` line), or raise ValueError saying what is wrong: no such
    line, more than one, an unknown keyword, or one its directives imply missing (EXACT ones also extra)."""
    text = open(path).read()
    lines = [d for d in directive_lines(text) if d.split(" ", 1)[0] == "keywords"]
    if len(lines) != 1:
        raise ValueError("%s: %s" % (os.path.basename(path), "no keywords line" if not lines else
                                     "more than one keywords line"))
    kws = lines[0].split()[1:]
    unknown = [k for k in kws if k not in KEYWORDS]
    if unknown:
        raise ValueError("%s: unknown keyword %s (known: %s)" % (os.path.basename(path), ", ".join(unknown),
                                                                  " ".join(sorted(KEYWORDS))))
    implied = implied_keywords(text)
    missing = sorted(implied - set(kws))
    extra = sorted((set(kws) & EXACT) - implied)
    if missing or extra:
        raise ValueError("%s: keywords %s%s" % (
            os.path.basename(path), "missing %s (its directives imply them)" % " ".join(missing) if missing else "",
            ("; " if missing else "") + "%s listed but not implied by its directives" % " ".join(extra)
            if extra else ""))
    return set(kws)


def check_keywords(files):
    """--check-keywords: every scenario's keywords line is there and right; prints the offences, or the
    count of scenarios per keyword."""
    bad, counts = [], {k: 0 for k in KEYWORDS}
    for f in files:
        try:
            for k in scenario_keywords(f):
                counts[k] += 1
        except ValueError as e:
            bad.append(str(e))
    for b in bad:
        print(b)
    if bad:
        return 1
    print("keywords: %d scenarios; %s" % (len(files), ", ".join("%s %d" % (k, n) for k, n in counts.items())))
    return 0


class Failure(Exception):
    pass


class Skip(Exception):
    pass


class Emulator:
    def __init__(self, tmp, account, cluster, mgmt_file, tls_cert=None):
        self.port_file = os.path.join(tmp, "emu.port")
        extra = ["--tls-cert", tls_cert] if tls_cert else []
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.log = open(os.path.join(tmp, "emu.log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "emulator.py"), "--account", account, "--cluster", cluster,
             "--mgmt-token-file", mgmt_file, "--port-file", self.port_file] + extra,
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(self.port_file):
            if time.time() > deadline or self.proc.poll() is not None:
                raise Failure("emulator did not start (see emu.log)")
            time.sleep(0.02)
        self.port = int(open(self.port_file).read())
        self.base = "%s://127.0.0.1:%d" % ("https" if tls_cert else "http", self.port)
        self.sslctx = None
        if tls_cert:
            import ssl
            self.sslctx = ssl.create_default_context(cafile=tls_cert)

    def ctl(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/_emu/" + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(req, timeout=10, context=self.sslctx) as r:
            return json.loads(r.read() or b"null")

    def issued_secrets(self):
        """The secret of every token the emulator issued (none when it is gone)."""
        try:
            return [t["accessToken"] for t in self.ctl("tokens") if t.get("accessToken")]
        except OSError:
            return []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()


def mask_secrets(text, secs):
    """text as a report may show it: every secret in secs, and every run of 8 or more characters of one (a
    helper that leaked a token cut short), becomes <secret> (unlike the helper's own ***)."""
    grams = {sec[i:i + 8] for sec in secs if sec for i in range(len(sec) - 7)}
    hide = [False] * len(text)
    for i in range(len(text) - 7):
        if text[i:i + 8] in grams:
            hide[i:i + 8] = [True] * 8
    out, i = [], 0
    while i < len(text):
        if hide[i]:
            while i < len(text) and hide[i]:
                i += 1
            out.append("<secret>")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def norm_path(p):
    p = p.split("?", 1)[0]
    m = re.match(r"^/api/v0/accounts/[^/]+/clusters/[^/]+/(tokens)(/[^/]+)?$", p)
    if not m:
        return p
    return "tokens" + ("/ID" if m.group(2) else "")


class Scenario:
    def __init__(self, path, helper, keep):
        self.path = path
        self.name = os.path.basename(path)
        self.helper = helper
        self.keep = keep
        self.title = self.name
        self.tmp = tempfile.mkdtemp(prefix="ith-scn-")
        os.chmod(self.tmp, 0o700)
        self.account = str(uuid.uuid4())
        self.cluster = str(uuid.uuid4())
        self.mgmt = "mgmt_" + secrets.token_hex(24)
        self.mgmt_file = os.path.join(self.tmp, "mgmt-token")
        self.write_private(self.mgmt_file, self.mgmt)
        self.emu = Emulator(self.tmp, self.account, self.cluster, self.mgmt_file)
        self.config = os.path.join(self.tmp, "helper.conf")
        self.last = None
        self.exit_checked = True
        self.vars = {}
        self.central = {}          # NAME -> central_harness.Emulator (central-start)
        self.central_secrets = {}  # NAME -> a random secret (central-secret): looked for in every output
        self.central_marks = {}    # NAME -> its request count when the last command started
        self.env = {"PATH": "/usr/bin:/bin", "LANG": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):  # sanitizer runs
            if k in os.environ:
                self.env[k] = os.environ[k]

    @staticmethod
    def write_private(path, text):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)

    def subst(self, text, overrides=None):
        overrides = overrides or {}
        text = re.sub(r"@(\w+):([^@]*)@", lambda m: overrides.get(m.group(1), m.group(2)), text)
        for k, v in {"URL": self.emu.base + "/api/v0" if self.emu else "http://127.0.0.1:9/api/v0",
                     "EMU": self.emu.base if self.emu else "http://127.0.0.1:9",
                     "TMP": self.tmp, "ACCOUNT": self.account, "CLUSTER": self.cluster,
                     "CONFIG": self.config}.items():
            text = text.replace("@%s@" % k, v)
        if "$INSTANCE" in text:
            inst = os.path.join(self.tmp, "state", "instance")
            if os.path.exists(inst):
                self.vars["INSTANCE"] = open(inst).read().split()[0]
        for k, v in self.vars.items():
            text = text.replace("$" + k, v)
        for k, e in self.central.items():
            text = text.replace("@%s@" % k, "http://127.0.0.1:%d" % e.port)
        for k, v in self.central_secrets.items():
            text = text.replace("{secret:%s}" % k, v)
        return text

    def state(self, profile="telegraf"):
        p = os.path.join(self.tmp, "state", profile + ".state")
        if not os.path.exists(p):
            return {}
        return json.load(open(p))

    def emu_tokens(self):
        return {t["id"]: t for t in self.emu.ctl("tokens")}

    def all_secrets(self):
        out = [self.mgmt] + (self.emu.issued_secrets() if self.emu else [])
        if getattr(self, "fake_token", None):
            out.append(self.fake_token)
        return out + list(self.central_secrets.values()) + list(self.seen_secrets)

    seen_secrets = set()

    def mask(self, text):
        """text as a report may show it (mask_secrets), with every secret known now."""
        try:
            secs = [x for x in self.all_secrets() if x]
        except Exception:  # an emulator gone: the secrets seen so far
            secs = [x for x in [self.mgmt] + list(self.seen_secrets) if x]
        return mask_secrets(text, secs)

    def token_ref(self, ref):
        """'current' (state), 'retired0', or a remembered variable name -> token id. 'current:DIR' (or next)
        reads the state of profile telegraf in @TMP@/DIR instead of @TMP@/state (a second rotator's);
        'PROFILE:current' and 'PROFILE:retired0' read another profile's state (a NAME@HOST of a hosts_file)."""
        head, sep, rest = ref.partition(":")
        if sep and head in ("current", "next"):
            p = os.path.join(self.tmp, rest, "telegraf.state")
            st = json.load(open(p)) if os.path.exists(p) else {}
            return (st.get(head) or {}).get("id")
        if sep and re.match(r"^[A-Za-z][A-Za-z0-9_]*(@[A-Za-z0-9.-]+)?$", head):
            st, ref = self.state(head), rest
        else:
            st = self.state()
        if ref in ("current", "next"):
            return (st.get(ref) or {}).get("id")
        if ref.startswith("retired"):
            return st["retired"][int(ref[7:])]["id"]
        if ref in self.vars:
            return self.vars[ref]
        if re.match(r"^[0-9a-f-]{36}$", ref):
            return ref
        raise Failure("unknown token reference %r" % ref)

    def emu_mark(self):
        """Where the emulator's request log and connection count stand now (and each central emulator's
        request log, for central-calls)."""
        for k, e in self.central.items():
            self.central_marks[k] = len(e.ctl("requests"))
        if not self.emu:
            return (0, 0)
        try:
            return (len(self.emu.ctl("requests")), self.emu.ctl("connections")["connections"])
        except OSError:
            return (0, 0)

    def emu_since(self, mark):
        """The requests and TCP connections the emulator saw since mark."""
        if not self.emu:
            return [], 0
        try:
            return self.emu.ctl("requests")[mark[0]:], self.emu.ctl("connections")["connections"] - mark[1]
        except OSError:
            return [], 0

    def settle(self):
        """The last command's exit status, unless an `exit` directive checked it, must be 0."""
        r, self.exit_checked = (self.last, True) if not self.exit_checked else (None, True)
        if r and r["rc"] != 0:
            raise Failure("`%s` exited %d and no `exit` expects that (a run without `exit` must exit 0)\n"
                          "stdout: %s\nstderr: %s" % (r["cmd"], r["rc"], r["out"][:2000], r["err"][:2000]))

    def set_last(self, rc, out, err, cmd, secs, mark):
        """Record a finished command as the last run: its output, exit status, and the calls and
        connections the emulator saw since mark."""
        self.settle()
        calls, conns = self.emu_since(mark)
        self.last = {"rc": rc, "out": out, "err": err, "cmd": cmd, "secs": secs, "calls": calls, "conns": conns}
        self.exit_checked = False
        return self.last

    # ---- directives ----
    def d_title(self, arg):
        self.title = arg

    def d_keywords(self, arg):
        """keywords WORD...: what kind of scenario this is (KEYWORDS); checked before it runs."""
        try:
            scenario_keywords(self.path)
        except ValueError as e:
            raise Failure(str(e))

    @staticmethod
    def pretend_missing():
        """$ITH_SCENARIO_PRETEND_MISSING (e.g. "influxd,root"): what to pretend is missing, so a test can
        force a skip: root, or a tool of need_tool."""
        return os.environ.get("ITH_SCENARIO_PRETEND_MISSING", "").split(",")

    def need_tool(self, tool):
        """Go on when tool (influxd, setpriv, promtool, systemd-analyze, unshare) is on PATH; else skip the
        scenario, saying why, or under CI=true fail it when apt offers the tool's package (tests/skiprule.py)."""
        pretended = tool in self.pretend_missing()
        if pretended or not shutil.which(tool):
            failed, msg = skiprule.verdict(tool, "%s is not installed (apt-get install %s)%s" % (
                tool, skiprule.PACKAGES[tool][1], " (ITH_SCENARIO_PRETEND_MISSING)" if pretended else ""))
            raise Failure(msg) if failed else Skip(msg)

    def d_requires(self, arg):
        """requires WHAT...: skip the scenario, saying why, unless each is there: influxd (on PATH),
        root (euid 0), setpriv (on PATH); a missing tool follows need_tool."""
        for what in arg.split():
            if what in ("influxd", "setpriv"):
                self.need_tool(what)
            elif what == "root":  # no registry offers it: always a skip
                if "root" in self.pretend_missing() or os.geteuid() != 0:
                    raise Skip("needs root (runs as uid %d%s)" % (
                        os.geteuid(), ", ITH_SCENARIO_PRETEND_MISSING" if "root" in self.pretend_missing() else ""))
            else:
                raise Failure("requires: unknown requirement %r (influxd, root, setpriv)" % what)

    def d_config(self, arg, block=None):
        if block is not None:
            text = block
        else:
            words = arg.split()
            text = open(os.path.join(HERE, "scenarios", "configs", words[0] + ".conf")).read()
            ov = dict(w.split("=", 1) for w in words[1:])
            text = self.subst(text, ov)
        self.write_private(self.config, self.subst(text))

    def d_file(self, arg, block):
        words = arg.split()
        path = self.subst(words[0])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(self.subst(block))
        os.chmod(path, int(words[1], 8) if len(words) > 1 else 0o600)

    def d_mgmt_token(self, arg):
        if arg == "wrong":
            self.write_private(self.mgmt_file, "mgmt_" + secrets.token_hex(24))
        elif arg == "good":
            self.write_private(self.mgmt_file, self.mgmt)
        else:
            raise Failure("mgmt-token good|wrong")

    def d_chmod(self, arg):
        mode, path = arg.split(None, 1)
        os.chmod(self.subst(path), int(mode, 8))

    def d_chown(self, arg):
        user, path = arg.split(None, 1)
        pw = pwd.getpwnam(user)
        os.chown(self.subst(path), pw.pw_uid, pw.pw_gid)

    def d_chown_link(self, arg):
        """chown-link USER PATH: chown the symbolic link PATH itself (lchown), not what it points at."""
        user, path = arg.split(None, 1)
        pw = pwd.getpwnam(user)
        os.chown(self.subst(path), pw.pw_uid, pw.pw_gid, follow_symlinks=False)

    def d_file_fill(self, arg):
        """file-fill PATH BYTES [MODE]: PATH holds BYTES (at most 16 MiB) bytes of 'x', mode MODE (default 0600)."""
        words = arg.split()
        path, size = self.subst(words[0]), int(words[1])
        if not 0 <= size <= 16 << 20:
            raise Failure("file-fill: at most 16 MiB")
        with open(path, "w") as f:
            f.write("x" * size)
        os.chmod(path, int(words[2], 8) if len(words) > 2 else 0o600)

    def d_mkfifo(self, arg):
        """mkfifo PATH: make a FIFO (mode 0600) at PATH; nothing ever writes to it."""
        os.mkfifo(self.subst(arg.strip()), 0o600)

    def d_mkdir(self, arg):
        words = arg.split()
        os.makedirs(self.subst(words[0]), exist_ok=True)
        if len(words) > 1:
            os.chmod(self.subst(words[0]), int(words[1], 8))

    def d_symlink(self, arg):
        target, link = arg.split()
        os.symlink(self.subst(target), self.subst(link))

    # ---- long-running commands (watch, exec) and other consumers (issue 15) ----
    def d_start(self, arg):
        """start ARGS: start the helper in the background, its stdout and stderr going to @TMP@/bg.out and
        @TMP@/bg.err (read while it runs with log-has); stop collects it as the last run."""
        args = [self.subst(a) for a in shlex.split(arg)]
        self.bg_out = os.path.join(self.tmp, "bg.out")
        self.bg_err = os.path.join(self.tmp, "bg.err")
        self.bg2 = (arg, time.time(), self.emu_mark(),
                    subprocess.Popen([self.helper, "-c", self.config] + args, stdin=subprocess.DEVNULL,
                                     stdout=open(self.bg_out, "wb"), stderr=open(self.bg_err, "wb"),
                                     env=self.env, cwd=self.tmp, start_new_session=True))

    def d_stop(self, arg):
        """stop SIG SECS: send SIG (TERM, INT, HUP...) to the started helper; it must exit within SECS
        seconds; it becomes the last run (exit, stderr... apply)."""
        sig, secs = arg.split()
        cmd, t0, mark, p = self.bg2
        t1 = time.time()
        p.send_signal(getattr(signal, "SIG" + sig))
        try:
            p.wait(float(secs))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Failure("`%s` did not exit within %ss of SIG%s" % (cmd, secs, sig))
        self.set_last(p.returncode, open(self.bg_out, errors="replace").read(),
                      open(self.bg_err, errors="replace").read(), cmd, time.time() - t0, mark)
        self.last["stop_secs"] = time.time() - t1
        for s in self.all_secrets():
            if s and (s in self.last["err"] or s in self.last["out"]):
                raise Failure("a secret appeared in the output of: %s" % cmd)

    def d_signal(self, arg):
        """signal SIG: send SIG to the started helper, which keeps running."""
        self.bg2[3].send_signal(getattr(signal, "SIG" + arg))

    def d_log_has(self, arg):
        """log-has REGEX: the started helper's stderr so far matches."""
        text = open(self.bg_err, errors="replace").read()
        if not re.search(self.subst(arg), text, re.M):
            raise Failure("the log of `%s` does not match /%s/:\n%s" % (self.bg2[0], arg, text[-3000:]))

    def d_wait_until(self, arg):
        """wait-until SECS DIRECTIVE ARGS: retry DIRECTIVE (every 0.2 s) until it passes; fail with its
        last failure after SECS seconds."""
        secs, rest = arg.split(None, 1)
        word, _, rarg = rest.partition(" ")
        fn = getattr(self, "d_" + word.replace("-", "_"))
        deadline = time.time() + min(float(secs), 120)
        while True:
            try:
                fn(rarg)
                return
            except (Failure, OSError, KeyError, ValueError) as e:
                if time.time() > deadline:
                    raise Failure("not within %ss: %s" % (secs, e))
                time.sleep(0.2)

    def d_count_between(self, arg):
        """count-between MIN MAX REGEX: the last run's stderr has MIN to MAX lines matching REGEX."""
        lo, hi, pat = arg.split(None, 2)
        n = len(re.findall(self.subst(pat), self.need_run()["err"], re.M))
        if not int(lo) <= n <= int(hi):
            raise Failure("%d lines of stderr match /%s/, expected %s to %s" % (n, pat, lo, hi))

    def d_pid_gone(self, arg):
        """pid-gone PATH: the process whose pid PATH holds has ended (a zombie counts as ended)."""
        pid = int(open(self.subst(arg)).read().split()[0])
        try:
            status = open("/proc/%d/status" % pid).read()
        except OSError:
            return
        if not re.search(r"^State:\s+Z", status, re.M):
            raise Failure("process %d (from %s) still runs" % (pid, arg))

    def d_bg_no_secret(self, arg):
        """bg-no-secret: no secret in the started helper's argv, nor a database token in its
        environment (/proc; the management token may be there when the scenario put it there)."""
        pid = self.bg2[3].pid
        for what in ("cmdline", "environ"):
            data = open("/proc/%d/%s" % (pid, what), "rb").read().decode("utf-8", "replace")
            for s in self.all_secrets():
                if s and s in data and not (what == "environ" and s == self.mgmt):
                    raise Failure("a secret is in the %s of the helper" % what)

    def d_file_has_token(self, arg):
        """file-has-token PATH REF: PATH contains token REF (somewhere in it)."""
        path, ref = arg.split()
        want = self.emu_tokens()[self.token_ref(ref)]["accessToken"]
        if want not in open(self.subst(path)).read():
            raise Failure("%s does not contain the %s token" % (path, ref))

    def d_promtool_accepts(self, arg):
        """promtool-accepts [PATH]: `promtool check metrics` (Debian package prometheus) accepts the
        file, or the last run's stdout; skips the scenario when promtool is missing (need_tool)."""
        self.need_tool("promtool")
        data = open(self.subst(arg), "rb").read() if arg else self.need_run()["out"].encode()
        p = subprocess.run(["promtool", "check", "metrics"], input=data, capture_output=True, timeout=30)
        if p.returncode != 0 or p.stdout.strip() or p.stderr.strip():
            raise Failure("promtool check metrics: rc %d: %s %s" % (p.returncode, p.stdout.decode()[:1500],
                                                                  p.stderr.decode()[:1500]))

    def d_run_pid1(self, arg):
        """run-pid1 ARGS: run the helper as PID 1 of a new PID namespace (unshare; as root), like a
        container's entrypoint, as the last run; skips the scenario where that is not possible (not root,
        or the kernel refuses; a missing unshare follows need_tool)."""
        if os.geteuid() != 0:
            raise Skip("needs root and unshare(1) for a PID namespace")
        self.need_tool("unshare")
        unshare = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]  # nothing outlives a timeout
        probe = subprocess.run(unshare + ["true"], capture_output=True)
        if probe.returncode != 0:
            raise Skip("unshare --pid is not allowed here: %s" % probe.stderr.decode()[:200].strip())
        args = [self.subst(a) for a in shlex.split(arg)]
        mark, t0 = self.emu_mark(), time.time()
        p = subprocess.run(unshare + [self.helper, "-c", self.config] + args,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT, env=self.env,
                           cwd=self.tmp)
        self.set_last(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), arg,
                      time.time() - t0, mark)
        for s in self.all_secrets():
            if s and s in self.last["err"]:
                raise Failure("a secret appeared on stderr of: %s" % arg)

    DISK_SCRIPT = r"""set -e
d=$1; mode=$2; shift 2
stash=$(mktemp -d)
cp -a "$d/." "$stash"
mount -t tmpfs -o size=64k,mode=0755 ith-disk "$d"
cp -a "$stash/." "$d"
rm -rf "$stash"
if [ "$mode" = full ]; then dd if=/dev/zero of="$d/.fill" bs=1k 2>/dev/null || true; else mount -o remount,ro "$d"; fi
exec "$@"
"""

    def d_run_on_disk(self, arg):
        """run-on-disk full|ro DIR ARGS: run the helper with DIR on a small tmpfs of its own (holding a copy of
        DIR's files) that is full (every write fails with ENOSPC) or read-only (EROFS), in a mount namespace of
        its own (unshare -m, so nothing outside sees it); the last run. Skips the scenario without root or where
        unshare -m is refused."""
        mode, d, rest = arg.split(None, 2)
        if mode not in ("full", "ro"):
            raise Failure("run-on-disk full|ro DIR ARGS")
        if os.geteuid() != 0 or not shutil.which("unshare"):
            raise Skip("needs root and unshare(1) for a mount namespace")
        probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs t \"$1\"", "sh", self.tmp],
                               capture_output=True)
        if probe.returncode != 0:
            raise Skip("unshare -m with a tmpfs is not allowed here: %s" % probe.stderr.decode()[:200].strip())
        cmd = ["unshare", "-m", "sh", "-c", self.DISK_SCRIPT, "sh", self.subst(d), mode] + self.helper_cmd(rest)
        mark, t0 = self.emu_mark(), time.time()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT, env=self.env,
                           cwd=self.tmp)
        self.set_last(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                      "%s (%s disk on %s)" % (rest, mode, d), time.time() - t0, mark)
        for sec in self.all_secrets():
            if sec and (sec in self.last["err"] or sec in self.last["out"]):
                raise Failure("a secret appeared in the output of: %s" % rest)

    def d_units_verify(self, arg):
        """units-verify UNIT...: `systemd-analyze verify` passes on packaging/systemd units (with the
        built binary in ExecStart=); a name like x@prod.service is checked as an instance of x@.service.
        Skips the scenario when systemd-analyze is missing (need_tool)."""
        self.need_tool("systemd-analyze")
        d = os.path.join(self.tmp, "units")
        os.makedirs(d, exist_ok=True)
        names = []
        for unit in arg.split():
            src = re.sub(r"@[^.]+\.", "@.", unit)
            text = open(os.path.join(HERE, "..", "packaging", "systemd", src)).read()
            with open(os.path.join(d, src), "w") as f:
                f.write(text.replace("/usr/bin/influx-token-helper", self.helper))
            names.append(os.path.join(d, unit))
        p = subprocess.run(["systemd-analyze", "verify", "--man=no"] + names, capture_output=True, text=True,
                           timeout=60, cwd=d)
        if p.returncode != 0 or (p.stdout + p.stderr).strip():  # warnings ("Unknown key...") count too
            raise Failure("systemd-analyze verify: rc %d: %s" % (p.returncode, (p.stdout + p.stderr)[:2000]))

    def d_run(self, arg):
        args = [self.subst(a) for a in shlex.split(arg)]
        if args and args[0] == "noconfig":
            cmd = [self.helper] + args[1:]
        else:
            cmd = [self.helper, "-c", self.config] + args
        mark = self.emu_mark()
        t0 = time.time()
        umask = getattr(self, "child_umask", None)
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT,
                               env=self.env, cwd=self.tmp,
                               preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
        except subprocess.TimeoutExpired:
            raise Failure("timed out after %ds: %s" % (RUN_TIMEOUT, arg))
        self.set_last(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                      arg, time.time() - t0, mark)
        is_get = "get" in args[:4]
        for s in self.all_secrets():
            self.seen_secrets.add(s)
            if s and s in self.last["err"]:
                raise Failure("a secret appeared on stderr of: %s" % arg)
            if s and not is_get and s in self.last["out"]:
                raise Failure("a secret appeared on stdout of: %s" % arg)
        if os.environ.get("ITH_SCENARIO_TRACE"):
            sys.stderr.write("  $ %s -> %d\n%s" % (arg, p.returncode, self.mask(self.last["err"])))

    def need_run(self):
        if not self.last:
            raise Failure("no command has run yet")
        return self.last

    def d_exit(self, arg):
        """exit N: the last run exited N; exit N,M: N or M (a race either side may win)."""
        r = self.need_run()
        self.exit_checked = True
        if r["rc"] not in [int(x) for x in arg.split(",")]:
            raise Failure("`%s` exited %d, expected %s\nstdout: %s\nstderr: %s" %
                          (r["cmd"], r["rc"], arg, r["out"][:2000], r["err"][:2000]))

    def match(self, stream, arg):
        r = self.need_run()
        text = r[stream]
        neg = arg.startswith("!~ ")
        pat = self.subst(arg[3:] if (neg or arg.startswith("~ ")) else arg)
        found = re.search(pat, text, re.M) is not None
        if found == neg:
            raise Failure("%s of `%s` %s /%s/:\n%s" % (stream, r["cmd"], "matches" if neg else "does not match",
                                                      pat, text[:3000]))

    def d_stdout(self, arg):
        self.match("out", arg)

    def d_stderr(self, arg):
        self.match("err", arg)

    def d_stderr_lines(self, arg):
        """stderr-lines N: the last run wrote exactly N lines to stderr."""
        r = self.need_run()
        n = len(r["err"].splitlines())
        if n != int(arg):
            raise Failure("`%s` wrote %d lines to stderr, expected %s:\n%s" % (r["cmd"], n, arg, r["err"][:3000]))

    def d_stdout_is(self, arg):
        r = self.need_run()
        want = self.emu_tokens()[self.token_ref(arg)]["accessToken"]
        if r["out"] != want:
            raise Failure("stdout is not exactly the %s token (len %d vs %d)" % (arg, len(r["out"]), len(want)))

    def d_stdout_json(self, arg):
        r = self.need_run()
        key, pat = arg.split(None, 1)
        obj = json.loads(r["out"])
        for k in key.split("."):
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        neg = pat.startswith("!")
        if neg:
            pat = pat[1:]
        if pat.startswith("token:"):
            pat = "^" + re.escape(self.emu_tokens()[self.token_ref(pat[6:])]["accessToken"]) + "$"
        if (re.search(self.subst(pat), str(obj)) is None) != neg:
            raise Failure("json %s = %r %s /%s/" % (key, obj, "matches" if neg else "does not match", pat))

    def d_calls(self, arg):
        r = self.need_run()
        got = ["%s:%s" % (c["method"], norm_path(c["path"])) for c in r["calls"]]
        want = [] if arg.strip() == "none" else arg.split()
        if got != want:
            raise Failure("`%s` made calls %s, expected %s" % (r["cmd"], got or "none", want or "none"))

    def d_connections(self, arg):
        r = self.need_run()
        if r["conns"] != int(arg):
            raise Failure("`%s` opened %d TCP connections, expected %s" % (r["cmd"], r["conns"], arg))

    def d_remember(self, arg):
        name, ref = arg.split()
        self.vars[name] = self.token_ref(ref)
        if not self.vars[name]:
            raise Failure("nothing to remember for %s" % ref)

    def d_token(self, arg):
        ref, want = arg.split()
        t = self.emu_tokens().get(self.token_ref(ref))
        if t is None:
            raise Failure("token %s unknown to the emulator" % ref)
        state = "revoked" if t.get("revokedAt") else "live"
        if state != want:
            raise Failure("token %s is %s, expected %s" % (ref, state, want))

    def d_live_tokens(self, arg):
        n = sum(1 for t in self.emu_tokens().values() if not t.get("revokedAt"))
        if n != int(arg):
            raise Failure("%d live tokens on the emulator, expected %s" % (n, arg))

    def d_created_tokens(self, arg):
        n = len(self.emu_tokens())
        if n != int(arg):
            raise Failure("%d tokens on the emulator, expected %s" % (n, arg))

    def d_token_field(self, arg):
        ref, field, pat = arg.split(None, 2)
        t = self.emu_tokens()[self.token_ref(ref)]
        if not re.search(self.subst(pat), json.dumps(t.get(field))):
            raise Failure("token %s %s = %r does not match /%s/" % (ref, field, t.get(field), pat))

    def d_stdout_json_emu(self, arg):
        """stdout-json-emu KEY REF FIELD: the last run's JSON stdout at KEY names the same instant (or
        value) as the emulator's FIELD of token REF: what the server holds, not what was asked."""
        r = self.need_run()
        key, ref, field = arg.split()
        obj = json.loads(r["out"])
        for k in key.split("."):
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        want = self.emu_tokens()[self.token_ref(ref)].get(field)

        def instant(v):
            try:
                return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
            except (AttributeError, ValueError):
                return v
        if instant(obj) != instant(want) and not (isinstance(instant(obj), float) and isinstance(instant(want), float)
                                                and abs(instant(obj) - instant(want)) < 1):
            raise Failure("%s = %r, but the emulator's %s of %s is %r" % (key, obj, field, ref, want))

    def d_sleep_until_json(self, arg):
        """sleep-until-json KEY OFFSET: sleep until the RFC 3339 time at KEY of the last run's JSON
        stdout plus OFFSET seconds (may be negative); at most 30 s."""
        r = self.need_run()
        key, off = arg.split()
        obj = json.loads(r["out"])
        for k in key.split("."):
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        when = datetime.datetime.fromisoformat(obj.replace("Z", "+00:00")).timestamp() + float(off)
        wait = when - time.time()
        if wait > 30:
            raise Failure("%s is %.0f s away: more than 30 s" % (key, wait))
        if wait > 0:
            time.sleep(wait)

    def d_sleep(self, arg):
        time.sleep(min(float(arg), 30))

    def d_file_mode(self, arg):
        path, mode = arg.split()
        got = os.lstat(self.subst(path)).st_mode & 0o7777
        if got != int(mode, 8):
            raise Failure("%s has mode %04o, expected %s" % (path, got, mode))

    def d_file_is_token(self, arg):
        path, ref = arg.split()
        want = self.emu_tokens()[self.token_ref(ref)]["accessToken"]
        got = open(self.subst(path)).read()
        if got != want:
            raise Failure("%s does not hold exactly the %s token (%d bytes)" % (path, ref, len(got)))

    def d_file_matches(self, arg):
        path, pat = arg.split(None, 1)
        got = open(self.subst(path)).read()
        if not re.search(self.subst(pat), got, re.M):
            raise Failure("%s does not match /%s/" % (path, pat))

    def d_calls_like(self, arg):
        """calls-like REGEX: the last run's calls, joined by spaces, match (fullmatch)."""
        r = self.need_run()
        got = " ".join("%s:%s" % (c["method"], norm_path(c["path"])) for c in r["calls"])
        if not re.fullmatch(arg, got):
            raise Failure("`%s` made calls %r, not matching /%s/" % (r["cmd"], got, arg))

    def d_no_changing_calls(self, arg):
        r = self.need_run()
        bad = [c for c in r["calls"] if c["method"] in ("POST", "PATCH", "DELETE")]
        if bad:
            raise Failure("`%s` made changing calls: %s" % (r["cmd"], [(c["method"], c["path"]) for c in bad]))

    def d_elapsed_above(self, arg):
        r = self.need_run()
        if r["secs"] <= float(arg):
            raise Failure("`%s` took %.1fs, expected over %ss" % (r["cmd"], r["secs"], arg))

    def d_snapshot(self, arg):
        """snapshot NAME PATH: remember a file's inode, mtime and content."""
        name, path = arg.split()
        st = os.lstat(self.subst(path))
        self.vars["snap:" + name] = json.dumps([st.st_ino, st.st_mtime_ns, open(self.subst(path), "rb").read().hex()])

    def d_unchanged(self, arg):
        """unchanged NAME PATH: the file is the very one snapshot NAME saw."""
        name, path = arg.split()
        st = os.lstat(self.subst(path))
        now = json.dumps([st.st_ino, st.st_mtime_ns, open(self.subst(path), "rb").read().hex()])
        if now != self.vars["snap:" + name]:
            raise Failure("%s changed since snapshot %s" % (path, name))

    def d_run_bg(self, arg):
        """run-bg ARGS: start the helper in the background; wait-bg collects it as the last run."""
        args = [self.subst(a) for a in shlex.split(arg)]
        cmd = [self.helper] + args[1:] if args and args[0] == "noconfig" else [self.helper, "-c", self.config] + args
        self.bg = (arg, time.time(), self.emu_mark(),
                   subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=self.tmp))

    def d_wait_bg(self, arg):
        """wait-bg: collect the run-bg command as the last run; its calls and connections are all the
        emulator saw since run-bg started it."""
        cmd, t0, mark, p = self.bg
        out, err = p.communicate(timeout=RUN_TIMEOUT)
        self.set_last(p.returncode, out.decode(), err.decode(), cmd, time.time() - t0, mark)
        for s in self.all_secrets():
            if s and s in self.last["err"]:
                raise Failure("a secret appeared on stderr of: %s" % cmd)

    def d_sh_source(self, arg):
        """sh-source PATH VAR REF: `sh` sources PATH; $VAR is exactly token REF."""
        path, var, ref = arg.split()
        want = self.emu_tokens()[self.token_ref(ref)]["accessToken"]
        p = subprocess.run(["sh", "-c", '. "$1" && printf %%s "$%s"' % var, "sh", self.subst(path)],
                           capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
        if p.returncode != 0 or p.stdout != want:
            raise Failure("sourcing %s with sh did not give %s the %s token (rc %d)" % (path, var, ref, p.returncode))

    def d_save_stdout(self, arg):
        self.write_private(self.subst(arg), self.need_run()["out"])

    def d_sha256_is_token(self, arg):
        """sha256-is-token PATH REF: PATH holds the sha256 hex of token REF (and nothing secret)."""
        import hashlib
        path, ref = arg.split()
        want = hashlib.sha256(self.emu_tokens()[self.token_ref(ref)]["accessToken"].encode()).hexdigest()
        got = open(self.subst(path)).read().split()[0]
        if got != want:
            raise Failure("%s: sha256 %s is not that of the %s token" % (path, got[:16], ref))

    def d_no_secret_in(self, arg):
        text = open(self.subst(arg), errors="replace").read()
        for sec in self.all_secrets():
            if sec and sec in text:
                raise Failure("a secret is in %s" % arg)

    def d_influx_accepts(self, arg):
        """influx-accepts N: a real InfluxDB 1.x (started here on loopback) accepts the last stdout
        as line protocol (/write 204) and then holds N points of measurement influx_token_helper."""
        import socket
        import urllib.parse
        if not getattr(self, "influxd", None):
            if not shutil.which("influxd"):
                raise Failure("influxd is not installed (apt-get install influxdb); "
                              "a scenario that uses influx-accepts says `requires influxd`")
            d = os.path.join(self.tmp, "influxdb")
            os.makedirs(d)

            def free():
                so = socket.socket()
                so.bind(("127.0.0.1", 0))
                port = so.getsockname()[1]
                so.close()
                return port
            http_port, rpc_port = free(), free()
            conf = os.path.join(d, "influxdb.conf")
            with open(conf, "w") as f:
                f.write('reporting-disabled = true\nbind-address = "127.0.0.1:%d"\n'
                        '[meta]\n  dir = "%s/meta"\n[data]\n  dir = "%s/data"\n  wal-dir = "%s/wal"\n'
                        '[monitor]\n  store-enabled = false\n'
                        '[http]\n  bind-address = "127.0.0.1:%d"\n  log-enabled = false\n'
                        % (rpc_port, d, d, d, http_port))
            log = open(os.path.join(d, "influxd.log"), "w")
            self.influxd = subprocess.Popen(["influxd", "-config", conf], stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL)
            self.influx_url = "http://127.0.0.1:%d" % http_port
            deadline = time.time() + 30
            while True:
                try:
                    urllib.request.urlopen(self.influx_url + "/ping", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline or self.influxd.poll() is not None:
                        raise Failure("influxd did not start")
                    time.sleep(0.2)
            # /ping answers before the meta store is ready, and a failed CREATE still answers 200 (the
            # error is in the body): create until SHOW DATABASES lists it, for 30 s at most.
            deadline = time.time() + 30
            while True:
                with urllib.request.urlopen(urllib.request.Request(
                        self.influx_url + "/query?q=CREATE%20DATABASE%20ith", data=b"", method="POST"),
                        timeout=10) as r:
                    created = r.read().decode("utf-8", "replace")
                with urllib.request.urlopen(self.influx_url + "/query?q=SHOW%20DATABASES", timeout=10) as r:
                    shown = json.loads(r.read())
                if any(v == ["ith"] for x in shown.get("results", []) for ser in x.get("series", [])
                       for v in ser.get("values", [])):
                    break
                if time.time() > deadline:
                    raise Failure("InfluxDB did not create database ith: %s" % created[:300])
                time.sleep(0.2)
        body = self.need_run()["out"].encode()
        req = urllib.request.Request(self.influx_url + "/write?db=ith&precision=ns", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            raise Failure("InfluxDB refused the line protocol: %d %s" % (e.code, e.read()[:300]))
        if status != 204:
            raise Failure("InfluxDB /write answered %d" % status)
        q = urllib.parse.quote("SELECT * FROM influx_token_helper")
        with urllib.request.urlopen(self.influx_url + "/query?db=ith&q=" + q, timeout=10) as r:
            res = json.loads(r.read())
        series = res["results"][0].get("series", [])
        n = sum(len(x["values"]) for x in series)
        if n != int(arg):
            raise Failure("InfluxDB holds %d points, expected %s: %s" % (n, arg, json.dumps(res)[:500]))
        self.influx_columns = series[0]["columns"] if series else []

    def d_influx_has_columns(self, arg):
        missing = [c for c in arg.split() if c not in self.influx_columns]
        if missing:
            raise Failure("InfluxDB points lack %s (have %s)" % (missing, self.influx_columns))

    def d_reader_start(self, arg):
        """reader-start PATH: a thread reads PATH in a loop until reader-check."""
        import threading
        path = self.subst(arg)
        self.reads = []
        self.reader_stop = threading.Event()

        def loop():
            while not self.reader_stop.is_set():
                try:
                    with open(path) as f:
                        self.reads.append(f.read())
                except FileNotFoundError:
                    self.reads.append(None)
        self.reader = threading.Thread(target=loop, daemon=True)
        self.reader.start()

    def d_reader_check(self, arg):
        """reader-check: every read saw a whole token the emulator issued; never empty, never missing."""
        self.reader_stop.set()
        self.reader.join(10)
        issued = {t["accessToken"] for t in self.emu_tokens().values()}
        bad = [r for r in self.reads if r not in issued]
        distinct = len(set(self.reads))
        if bad:
            raise Failure("%d of %d reads saw a partial, empty or missing file" % (len(bad), len(self.reads)))
        if distinct < int(arg or 2):
            raise Failure("the reader saw only %d distinct tokens" % distinct)
        print("  (reader: %d reads, %d distinct tokens, none partial)" % (len(self.reads), distinct))

    def helper_cmd(self, args):
        return [self.helper, "-c", self.config] + [self.subst(a) for a in shlex.split(args)]

    def get_raw(self):
        p = subprocess.run(self.helper_cmd("get"), capture_output=True, timeout=RUN_TIMEOUT, env=self.env,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def d_crash_trials(self, arg):
        """crash-trials N: until N kills have landed mid-run (at most 3N trials): start `rotate --force`
        with every API request slowed, kill -9 it at a random moment, then one repair `rotate`; after
        each repair: sink == get == a live token, and no temp file left."""
        import random
        seed = int.from_bytes(os.urandom(4), "big")
        rng = random.Random(seed)
        sink = os.path.join(self.tmp, "run", "telegraf")
        want, mid, trials = int(arg), 0, 0
        while mid < want and trials < 3 * want:
            trials += 1
            self.emu.ctl("faults", [{"delay": 0.25, "count": 1000}])
            p = subprocess.Popen(self.helper_cmd("rotate --force"), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env)
            time.sleep(rng.uniform(0.02, 0.6))
            if p.poll() is None:
                mid += 1
            p.kill()
            _, err = p.communicate()
            self.emu.ctl("faults", [])
            r = subprocess.run(self.helper_cmd("rotate"), capture_output=True, timeout=RUN_TIMEOUT, env=self.env,
                               stdin=subprocess.DEVNULL)
            if r.returncode != 0:
                raise Failure("trial %d (seed %d): repair rotate exited %d: %s" % (trials, seed, r.returncode,
                                                                                  r.stderr[:500]))
            rc, tok, gerr = self.get_raw()
            toks = self.emu_tokens()
            live = {t["accessToken"] for t in toks.values() if not t.get("revokedAt")}
            sink_tok = open(sink).read() if os.path.exists(sink) else None
            for sec in self.all_secrets():
                if sec in err.decode() + r.stderr.decode() + gerr:
                    raise Failure("trial %d: a secret on stderr" % trials)
            if rc != 0 or tok != sink_tok or tok not in live:
                raise Failure("trial %d (seed %d): get rc %d, get == sink: %s, live: %s" %
                              (trials, seed, rc, tok == sink_tok, tok in live))
            leftovers = [f for f in os.listdir(os.path.dirname(sink)) if ".tmp-" in f]
            if leftovers:
                raise Failure("trial %d: temp files left behind: %s" % (trials, leftovers))
        print("  (crash trials: %d, %d killed mid-run, seed %d)" % (trials, mid, seed))
        if mid < want:
            raise Failure("only %d of %d kills landed mid-run" % (mid, trials))

    def d_storm(self, arg):
        """storm G R S: G gets, R `rotate --force` and S `status --format json` at once; every get prints a
        whole token the emulator issued and still live, every status parses, all exit 0."""
        g, r, s_ = (int(x) for x in arg.split())
        cmds = [("get", "get")] * g + [("rotate", "rotate --force")] * r + [("status", "status --format json")] * s_
        import random
        random.shuffle(cmds)
        procs = [(kind, subprocess.Popen(self.helper_cmd(c), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, env=self.env)) for kind, c in cmds]
        results = [(kind, p, *p.communicate(timeout=RUN_TIMEOUT)) for kind, p in procs]
        toks = self.emu_tokens()
        live = {t["accessToken"] for t in toks.values() if not t.get("revokedAt")}
        for kind, p, out, err in results:
            if p.returncode != 0:
                raise Failure("a %s in the storm exited %d: %s" % (kind, p.returncode, err.decode()[:300]))
            for sec in self.all_secrets():
                if sec.encode() in err or (kind != "get" and sec.encode() in out):
                    raise Failure("a secret leaked from a %s in the storm" % kind)
            if kind == "get" and out.decode() not in live:
                raise Failure("a get in the storm printed %d bytes that are not a whole live token" % len(out))
            if kind == "status":
                json.loads(out)
        print("  (storm: %d processes, all consistent)" % len(results))

    def d_run_closed_fds(self, arg):
        """run-closed-fds ARGS: run with file descriptors 0, 1 and 2 closed."""
        def close012():
            for fd in (0, 1, 2):
                os.close(fd)
        mark, t0 = self.emu_mark(), time.time()
        p = subprocess.run(self.helper_cmd(arg), preexec_fn=close012, env=self.env, timeout=RUN_TIMEOUT,
                           stdin=None, stdout=None, stderr=None)
        self.set_last(p.returncode, "", "", arg, time.time() - t0, mark)

    def d_run_stdout_full(self, arg):
        """run-stdout-full ARGS: run with stdout on /dev/full (every write fails with ENOSPC); stderr is
        captured and checked for secrets."""
        mark, t0 = self.emu_mark(), time.time()
        with open("/dev/full", "w") as full:
            p = subprocess.run(self.helper_cmd(arg), stdin=subprocess.DEVNULL, stdout=full, stderr=subprocess.PIPE,
                               env=self.env, cwd=self.tmp, timeout=RUN_TIMEOUT)
        self.set_last(p.returncode, "", p.stderr.decode("utf-8", "replace"), arg, time.time() - t0, mark)
        for s in self.all_secrets():
            if s and s in self.last["err"]:
                raise Failure("a secret appeared on stderr of: %s" % arg)

    def d_hygiene_as_nobody(self, arg):
        """hygiene-as-nobody: run `check` as user nobody (setpriv) with the API slowed, and look at it
        through /proc mid-run: core limit 0, not dumpable (its /proc files owned by root), no secret in
        its argv."""
        pw = pwd.getpwnam("nobody")
        base = tempfile.mkdtemp(prefix="ith-hyg-")
        os.chmod(base, 0o711)
        try:
            d = os.path.join(base, "n")
            os.mkdir(d, 0o700)
            tok = os.path.join(d, "mgmt-token")
            self.write_private(tok, self.mgmt)
            conf = os.path.join(d, "helper.conf")
            with open(conf, "w") as f:
                f.write('management = { account_id = "%s"; cluster_id = "%s"; token_file = "%s"; url = "%s"; };\n'
                        'state_dir = "%s/state";\ntokens = ( { name = "t"; write = [ "db" ]; } );\n'
                        % (self.account, self.cluster, tok, self.emu.base + "/api/v0", d))
            for path in (d, tok, conf):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            self.emu.ctl("faults", [{"method": "GET", "delay": 2, "count": 1}])
            p = subprocess.Popen(["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups",
                                  self.helper, "-c", conf, "check"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
            deadline = time.time() + 5
            while time.time() < deadline:
                try:
                    if os.readlink("/proc/%d/exe" % p.pid) == os.path.realpath(self.helper):
                        break
                except OSError:
                    pass
                time.sleep(0.02)
            time.sleep(0.5)  # past harden(), inside the slowed request
            limits = open("/proc/%d/limits" % p.pid).read()
            environ_owner = os.stat("/proc/%d/environ" % p.pid).st_uid
            status_uid = [l for l in open("/proc/%d/status" % p.pid) if l.startswith("Uid:")][0].split()[1]
            cmdline = open("/proc/%d/cmdline" % p.pid, "rb").read()
            out, err = p.communicate(timeout=RUN_TIMEOUT)
            if p.returncode != 0:
                raise Failure("check as nobody exited %d: %s" % (p.returncode, err.decode()[:300]))
            if not re.search(r"^Max core file size\s+0\s+0\s", limits, re.M):
                raise Failure("core dumps not disabled:\n" + limits)
            if int(status_uid) != pw.pw_uid:
                raise Failure("not running as nobody (uid %s)" % status_uid)
            if environ_owner != 0:
                raise Failure("the process is dumpable (/proc/PID/environ owned by uid %d)" % environ_owner)
            if any(sec.encode() in cmdline for sec in self.all_secrets()):
                raise Failure("a secret in argv")
            print("  (as nobody: core limit 0, not dumpable, argv clean)")
        finally:
            shutil.rmtree(base, ignore_errors=True)

    def d_json_file(self, arg):
        """json-file PATH: PATH parses as JSON (e.g. a state file not polluted by messages)."""
        try:
            json.load(open(self.subst(arg)))
        except ValueError as e:
            raise Failure("%s is not valid JSON: %s" % (arg, e))

    def d_elapsed_below(self, arg):
        r = self.need_run()
        if r["secs"] >= float(arg):
            raise Failure("`%s` took %.1fs, expected under %ss" % (r["cmd"], r["secs"], arg))

    def d_rm_file(self, arg):
        os.unlink(self.subst(arg))

    def d_file_absent(self, arg):
        if os.path.lexists(self.subst(arg)):
            raise Failure("%s exists" % arg)

    def d_file_exists(self, arg):
        if not os.path.lexists(self.subst(arg)):
            raise Failure("%s does not exist" % arg)

    def d_state(self, arg):
        """state [PROFILE:]KEY REGEX: profile telegraf's state, or PROFILE's (e.g. telegraf@web-1)."""
        key, pat = arg.split(None, 1)
        profile, _, key = key.rpartition(":")
        obj = self.state(profile or "telegraf")
        for k in key.split("."):
            obj = obj[int(k)] if isinstance(obj, list) else obj.get(k) if isinstance(obj, dict) else None
        if not re.search(self.subst(pat), json.dumps(obj)):
            raise Failure("state %s = %r does not match /%s/" % (key, obj, pat))

    def d_emu_add_token(self, arg):
        self.emu.ctl("tokens", json.loads(self.subst(arg)))

    def d_emu_config(self, arg):
        self.emu.ctl("config", json.loads(arg))

    def d_emu_forget(self, arg):
        self.emu.ctl("forget", {"id": self.subst(arg)})

    def d_remember_var(self, arg):
        """remember-var NAME VAR: copy a variable (e.g. INSTANCE) under another name."""
        name, var = arg.split()
        self.subst("$" + var)
        self.vars[name] = self.vars[var]

    def d_emu_seed(self, arg):
        """emu-seed JSON: many tokens of other hosts and teams in one call (see the emulator's /_emu/seed)."""
        self.emu.ctl("seed", json.loads(arg))

    def d_emu_faults(self, arg):
        """emu-faults JSON: arm faults (substituted; there @MGMT@ also becomes the management token, @CURRENT@
        the secret of the state's current token (@CURRENTZW@: split by a zero-width space every 7 characters) and
        @FAKETOKEN@ a token secret of this scenario's own that every
        secret check knows, so that an answer can quote them as a careless server would)."""
        text = self.subst(arg).replace("@MGMT@", self.mgmt)
        for var in ("@CURRENT@", "@CURRENTZW@"):
            if var not in text:
                continue
            cur = self.token_ref("current")
            if not cur:
                raise Failure("%s: the state has no current token" % var)
            sec = self.emu_tokens()[cur]["accessToken"]
            if var == "@CURRENTZW@":  # split by a zero-width space every 7 characters
                sec = "\u200b".join(sec[i:i + 7] for i in range(0, len(sec), 7))
            text = text.replace(var, sec)
        if "@FAKETOKEN@" in text:
            if not getattr(self, "fake_token", None):
                self.fake_token = "apiv1_" + secrets.token_hex(32)
            text = text.replace("@FAKETOKEN@", self.fake_token)
        self.emu.ctl("faults", json.loads(text))

    # ---- the central-rotation emulators (tests/vault_emulator.py, tests/k8s_emulator.py) ----

    def central_emu(self, name):
        if name not in self.central:
            raise Failure("no central emulator %r (central-start)" % name)
        return self.central[name]

    def d_copy_file(self, arg):
        """copy-file SRC DST: copy SRC to DST (mode 0600; parents made 0700), e.g. an instance file shared
        by two rotators."""
        src, dst = [self.subst(x) for x in arg.split()]
        os.makedirs(os.path.dirname(dst), mode=0o700, exist_ok=True)
        self.write_private(dst, open(src).read())

    def d_central_secret(self, arg):
        """central-secret NAME [PATH]: a random secret of this run, {secret:NAME} in substitutions, written to
        PATH (0600) when given; every secret check looks for it (a Vault token, secret_id, SA token)."""
        name, _, path = arg.partition(" ")
        self.central_secrets[name] = "s." + secrets.token_hex(20)
        if path.strip():
            self.write_private(self.subst(path.strip()), self.central_secrets[name] + "\n")

    def d_central_start(self, arg):
        """central-start vault|k8s NAME JSON: start that emulator on 127.0.0.1 with the configuration JSON
        (substituted); @NAME@ becomes its base URL. Stopped at the scenario's end."""
        kind, name, cfg = arg.split(None, 2)
        self.central[name] = central_harness.Emulator(kind, json.loads(self.subst(cfg)), self.tmp)

    def d_central_ctl(self, arg):
        """central-ctl NAME PATH [JSON]: POST JSON (substituted; {} when absent) to its /_emu/PATH."""
        name, path, *rest = arg.split(None, 2)
        self.central_emu(name).ctl(path, json.loads(self.subst(rest[0])) if rest else {})

    def d_central_faults(self, arg):
        """central-faults NAME JSON: arm faults (see the emulator's docstring); substituted, and @CURRENT@
        becomes the secret of the state's current token (an answer quoting it, as a careless server might)."""
        name, faults = arg.split(None, 1)
        text = self.subst(faults)
        if "@CURRENT@" in text:
            text = text.replace("@CURRENT@", self.ref_secret("current"))
        self.central_emu(name).ctl("faults", json.loads(text))

    def d_central_calls(self, arg):
        """central-calls NAME REGEX: the requests it received since the last command started, as METHOD:PATH
        joined by spaces, match REGEX entirely (substituted; no REGEX: no request)."""
        name, _, pat = arg.strip().partition(" ")
        reqs = self.central_emu(name).ctl("requests")[self.central_marks.get(name, 0):]
        got = " ".join("%s:%s" % (r["method"], r["path"]) for r in reqs)
        if not re.fullmatch(self.subst(pat), got):
            raise Failure("%s received %r, not matching /%s/" % (name, got, pat))

    def d_central_json(self, arg):
        """central-json NAME PATH KEY REGEX: GET its /_emu/PATH; the value at dotted KEY matches REGEX
        (substituted; "!REGEX" negates; a missing key is the string "<missing>")."""
        name, path, key, pat = arg.split(None, 3)
        obj = self.central_emu(name).ctl(path)
        for k in key.split("."):
            try:
                obj = obj[int(k)] if isinstance(obj, list) else obj[k]
            except (KeyError, IndexError, ValueError, TypeError):
                obj = "<missing>"
                break
        neg = pat.startswith("!")
        pat = self.subst(pat[1:] if neg else pat)
        if (re.search(pat, json.dumps(obj) if not isinstance(obj, str) else obj) is None) != neg:
            raise Failure("%s /_emu/%s %s = %s %s /%s/" % (name, path, key, self.mask(json.dumps(obj))[:500],
                                                           "matches" if neg else "does not match", pat))

    def ref_secret(self, ref):
        return self.emu_tokens()[self.token_ref(ref)]["accessToken"]

    def d_vault_holds(self, arg):
        """vault-holds NAME MOUNT PATH REF: the secret's current version holds token REF (token and token_id);
        REF `none`: no such secret (or no live version)."""
        name, mount, path, ref = arg.split()
        found = [x for x in self.central_emu(name).ctl("secrets") if x["mount"] == mount and x["path"] == self.subst(path)]
        cur = found[0]["versions"].get(str(found[0]["current_version"])) if found else None
        live = cur and not cur.get("deletion_time") and not cur.get("destroyed")
        if ref == "none":
            if live:
                raise Failure("vault %s/%s exists (version %s)" % (mount, path, found[0]["current_version"]))
            return
        if not live:
            raise Failure("vault %s/%s has no live version" % (mount, path))
        data = cur.get("data") or {}
        if data.get("token") != self.ref_secret(ref) or data.get("token_id") != self.token_ref(ref):
            raise Failure("vault %s/%s does not hold token %s (token_id %r, keys %s)" %
                          (mount, path, ref, data.get("token_id"), sorted(data)))

    def d_k8s_holds(self, arg):
        """k8s-holds NAME NAMESPACE SECRET KEY REF: data[KEY] is base64 of token REF and the token-id
        annotation its id; REF `none`: no such Secret."""
        import base64
        name, ns, sname, key, ref = arg.split()
        found = [x for x in self.central_emu(name).ctl("secrets")
                 if x["metadata"]["namespace"] == ns and x["metadata"]["name"] == self.subst(sname)]
        if ref == "none":
            if found:
                raise Failure("Secret %s/%s exists" % (ns, sname))
            return
        if not found:
            raise Failure("no Secret %s/%s" % (ns, sname))
        val = (found[0].get("data") or {}).get(key)
        ann = found[0]["metadata"].get("annotations") or {}
        if not val or base64.b64decode(val).decode() != self.ref_secret(ref) or \
                ann.get("influx-token-helper/token-id") != self.token_ref(ref):
            raise Failure("Secret %s/%s does not hold token %s in %s (token-id %r)" %
                          (ns, sname, ref, key, ann.get("influx-token-helper/token-id")))

    def d_emu_stop(self, arg):
        self.emu.stop()
        self.emu = None

    def d_emu_tls(self, arg):
        """Restart the emulator serving HTTPS with a fresh self-signed certificate for 127.0.0.1
        (the certificate is at @TMP@/emu-cert.pem)."""
        cert = os.path.join(self.tmp, "emu-cert.pem")
        key = os.path.join(self.tmp, "emu-key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        with open(cert, "a") as f:
            f.write(open(key).read())
        self.emu.stop()
        self.emu = Emulator(self.tmp, self.account, self.cluster, self.mgmt_file, tls_cert=cert)

    def d_request_header(self, arg):
        """request-header [METHOD] FIELD REGEX: every (METHOD) request of the last run has it."""
        method = None
        if arg.split()[0] in ("GET", "POST", "PATCH", "DELETE"):
            method, arg = arg.split(None, 1)
        field, pat = arg.split(None, 1)
        r = self.need_run()
        calls = [c for c in r["calls"] if method in (None, c["method"])]
        if not calls:
            raise Failure("no requests to check")
        for c in calls:
            if not re.search(pat, str(c.get(field))):
                raise Failure("%s %s: %s = %r does not match /%s/" % (c["method"], c["path"], field, c.get(field), pat))

    def d_run_parallel(self, arg):
        """run-parallel N ARGS: N helpers at once; all must exit 0 and print the same stdout. The last
        run's calls and connections are those of all N."""
        n, rest = arg.split(None, 1)
        args = [self.subst(a) for a in shlex.split(rest)]
        mark, t0 = self.emu_mark(), time.time()
        procs = [subprocess.Popen([self.helper, "-c", self.config] + args, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=self.tmp)
                 for _ in range(int(n))]
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=RUN_TIMEOUT)
            outs.append(out)
            if p.returncode != 0:
                raise Failure("a parallel `%s` exited %d: %s" % (rest, p.returncode, err.decode()[:500]))
            for s in self.all_secrets():
                if s and s.encode() in err:
                    raise Failure("a secret appeared on stderr of a parallel `%s`" % rest)
        if len(set(outs)) != 1:
            raise Failure("parallel outputs differ: %d distinct" % len(set(outs)))
        self.set_last(0, outs[0].decode(), "", "parallel " + rest, time.time() - t0, mark)

    def d_state_set(self, arg):
        """state-set KEY +SECONDS|VALUE: edit the state file as time passing would (KEY like current.expires_at;
        a token's expires_at set relative to now moves its created_at and started_at by as much)."""
        key, val = arg.split()
        profile, _, key = key.rpartition(":")  # PROFILE:KEY: another profile's state (telegraf@web-1)
        path = os.path.join(self.tmp, "state", (profile or "telegraf") + ".state")
        st = json.load(open(path))
        obj = st
        parts = key.split(".")
        for k in parts[:-1]:
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        new = int(time.time()) + int(val[1:]) if val.startswith("+") else json.loads(val)
        if parts[-1] == "expires_at" and val.startswith("+") and isinstance(obj.get("expires_at"), int):
            # time passing: the token keeps its lifetime, so its creation moves back as much
            delta = new - obj["expires_at"]
            for k in ("created_at", "started_at"):
                if isinstance(obj.get(k), int) and obj[k]:
                    obj[k] += delta
        obj[parts[-1]] = new
        self.write_private(path, json.dumps(st))

    def d_file_group(self, arg):
        path, group = arg.split()
        import grp
        got = grp.getgrgid(os.lstat(self.subst(path)).st_gid).gr_name
        if got != group:
            raise Failure("%s has group %s, expected %s" % (path, got, group))

    def d_env_mgmt(self, arg):
        """env-mgmt VAR: put the management token in the helper's environment as VAR."""
        self.env[arg] = self.mgmt

    def d_run_as(self, arg):
        """run-as USER ARGS: run the helper as USER (setpriv), with the scenario's config."""
        user, rest = arg.split(None, 1)
        pw = pwd.getpwnam(user)
        cmd = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups"] + \
            self.helper_cmd(rest)
        mark, t0 = self.emu_mark(), time.time()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT, env=self.env)
        self.set_last(p.returncode, p.stdout.decode(), p.stderr.decode(), "as %s: %s" % (user, rest),
                      time.time() - t0, mark)
        is_get = "get" in shlex.split(rest)[:4]
        for sec in self.all_secrets():
            if sec in self.last["err"] or (not is_get and sec in self.last["out"]):
                raise Failure("a secret leaked from `%s`" % rest)

    def d_umask(self, arg):
        """umask MODE: later runs start with this umask."""
        self.child_umask = int(arg, 8)

    def d_proxy_listener(self, arg):
        """proxy-listener: a loopback listener stands in as a proxy: http_proxy, HTTPS_PROXY and
        ALL_PROXY point at it; proxy-hits N counts the connections it accepted."""
        import socket
        import threading
        so = socket.socket()
        so.bind(("127.0.0.1", 0))
        so.listen(8)
        so.settimeout(0.2)
        self.proxy_hits = 0
        self.proxy_sock = so

        def loop():
            while self.proxy_sock is so:
                try:
                    c, _ = so.accept()
                except OSError:
                    continue
                self.proxy_hits += 1
                c.close()
        threading.Thread(target=loop, daemon=True).start()
        url = "http://127.0.0.1:%d" % so.getsockname()[1]
        for k in ("http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            self.env[k] = url

    def d_proxy_hits(self, arg):
        if self.proxy_hits != int(arg):
            raise Failure("the proxy listener accepted %d connections, expected %s" % (self.proxy_hits, arg))

    def d_env(self, arg):
        k, v = arg.split("=", 1)
        self.env[k] = self.subst(v)

    def run(self):
        lines = open(self.path).read().split("\n")
        i = 0
        while i < len(lines):
            line = lines[i].strip()
            i += 1
            if not line or line.startswith("#"):
                continue
            word, _, arg = line.partition(" ")
            block = None
            if arg.endswith("<<") or arg == "<<" or word.endswith("<<"):
                arg = arg[:-2].strip() if arg.endswith("<<") else ""
                word = word.rstrip("<")
                body = []
                while i < len(lines) and lines[i].rstrip() != "end":
                    body.append(lines[i])
                    i += 1
                i += 1
                block = "\n".join(body) + "\n"
            fn = getattr(self, "d_" + word.replace("-", "_"), None)
            if fn is None:
                raise Failure("%s:%d: unknown directive %r" % (self.name, i, word))
            try:
                fn(arg, block) if block is not None else fn(arg)
            except Failure as e:
                raise Failure("%s:%d: %s" % (self.name, i, e))
        try:
            self.settle()
        except Failure as e:
            raise Failure("%s: at the end: %s" % (self.name, e))

    def close(self):
        bg = getattr(self, "bg2", None)
        if bg:  # a started helper (and what it started) left running by a failed scenario
            try:
                os.killpg(bg[3].pid, signal.SIGKILL)
            except OSError:
                pass
            bg[3].wait()
        if self.emu:
            self.emu.stop()
        for e in self.central.values():
            e.stop()
        if getattr(self, "influxd", None):
            self.influxd.terminate()
            try:
                self.influxd.wait(10)
            except subprocess.TimeoutExpired:
                self.influxd.kill()
                self.influxd.wait()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def select_keywords(files, want, exclude):
    """(files having any keyword of want and none of exclude, how many were left out); (None, 0) after
    printing why when a keyword is unknown or a scenario's keywords line is wrong."""
    want = [k for k in (want or "").split(",") if k]
    exclude = [k for k in (exclude or "").split(",") if k]
    unknown = [k for k in want + exclude if k not in KEYWORDS]
    if unknown:
        print("unknown keyword %s (known: %s)" % (", ".join(unknown), " ".join(sorted(KEYWORDS))))
        return None, 0
    out = []
    for f in files:
        try:
            kws = scenario_keywords(f)
        except ValueError as e:
            print(e)
            return None, 0
        if (not want or kws & set(want)) and not kws & set(exclude):
            out.append(f)
    return out, len(files) - len(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helper", required=True)
    ap.add_argument("--scenarios", default=os.path.join(HERE, "scenarios"))
    ap.add_argument("--only", help="run scenarios whose file name contains this")
    ap.add_argument("--only-list", help="comma-separated scenario number prefixes, e.g. 001,044")
    ap.add_argument("--keep", action="store_true", help="keep temporary directories")
    ap.add_argument("--keywords", help="run only scenarios having any of these keywords (comma-separated)")
    ap.add_argument("--exclude-keywords", help="leave out scenarios having any of these keywords")
    ap.add_argument("--check-keywords", action="store_true",
                    help="check every scenario's keywords line (for source-checks) and run nothing")
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.scenarios, "*.case")))
    if a.check_keywords:
        return check_keywords(files)
    if a.keywords or a.exclude_keywords:
        files, left = select_keywords(files, a.keywords, a.exclude_keywords)
        if files is None:
            return 1
        print("keywords: %d scenarios selected, %d left out" % (len(files), left))
    if a.only:
        files = [f for f in files if a.only in os.path.basename(f)]
    if a.only_list:
        prefixes = tuple(x.strip() + "-" for x in a.only_list.split(","))
        files = [f for f in files if os.path.basename(f).startswith(prefixes)]
    passed = failed = skipped = 0
    t0 = time.time()
    for n, f in enumerate(files, 1):
        s = None
        try:
            s = Scenario(f, os.path.abspath(a.helper), a.keep)
            s.run()
            print("ok %d - %s: %s" % (n, os.path.basename(f), s.title), flush=True)
            passed += 1
        except Skip as e:
            print("ok %d - %s: %s # SKIP %s" % (n, os.path.basename(f), s.title, e), flush=True)
            skipped += 1
        except Exception as e:  # report and go on with the next scenario
            print("not ok %d - %s: %s\n  %s" % (n, os.path.basename(f), s.title if s else "",
                                               (s.mask(str(e)) if s else str(e)).replace("\n", "\n  ")), flush=True)
            failed += 1
        finally:
            if s:
                s.close()
    print("scenarios took %.1fs" % (time.time() - t0))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    if failed or not files:
        return 1
    return 77 if skipped == len(files) else 0


if __name__ == "__main__":
    sys.exit(main())
