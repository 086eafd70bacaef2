"""The cases of tests/test_systemd_live.py, in the order a user meets them (see its docstring).

Each phase boots a container and checks, through `t.check`, what a user would look at:
systemctl's view, the journal, the files the consumer reads, and the Management API calls the
emulator received. Tokens never leave the container but as SHA-256 digests (the stand-in
Telegraf records only that), and every report is masked.
"""
import os
import re
import shlex
import signal
import subprocess
import time

from test_systemd_live import ETC, N_ROTATIONS, RUN, SRC, STATE, Failure, cpack, log, old_packages

README = os.path.join(SRC, "README.md")
# The user who pastes the README: an administrator with sudo, as on a cloud image, not root.
USER = "alice"
CHECKOUT = "/home/alice/influx-token-helper"
SAMPLE_ACCOUNT = "11111111-1111-4111-8111-111111111111"
SAMPLE_CLUSTER = "22222222-1111-4111-8111-111111111111"
EXAMPLES = "/usr/share/doc/influx-token-helper/examples"
DROPINS = "/usr/share/influx-token-helper/telegraf/systemd"
STANDIN = r"""#!/bin/sh
# A stand-in for Telegraf: reads its token once, at start, as Telegraf does through
# secretstores.systemd (a credential), an environment variable, or a file, and records where it
# came from and its SHA-256 (never the token) with the system's uptime.
src=none tok=
if [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -f "$CREDENTIALS_DIRECTORY/telegraf.influxdb_token" ]; then
  src=cred; tok=$(cat "$CREDENTIALS_DIRECTORY/telegraf.influxdb_token")
elif [ -n "${INFLUX_TOKEN:-}" ]; then
  src=env; tok=$INFLUX_TOKEN
elif [ -f /run/influx-token-helper/telegraf ]; then
  src=file; tok=$(cat /run/influx-token-helper/telegraf)
fi
h=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
echo "$(cut -d' ' -f1 /proc/uptime) $src $h" >>/var/lib/telegraf-standin/starts
systemd-notify --ready
exec sleep infinity
"""
# Shaped like Telegraf's own packaged unit (Type=notify, user telegraf).
STANDIN_UNIT = """[Unit]
Description=Telegraf (stand-in: records the token it started with)
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
NotifyAccess=all
EnvironmentFile=-/etc/default/telegraf
User=telegraf
ExecStart=/usr/local/bin/telegraf-standin
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def readme_install_commands():
    """The shell lines of the README's "Install" section (its ```sh blocks, in order), continuation lines
    joined, comments and blank lines left out."""
    text = open(README).read()
    m = re.search(r"^## Install\n(.*?)^## ", text, re.M | re.S)
    if not m:
        raise Failure("README.md has no '## Install' section")
    cmds = []
    for block in re.findall(r"^```sh\n(.*?)^```", m.group(1), re.M | re.S):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            if line.strip() and not line.strip().startswith("#"):
                cmds.append(line.strip())
    if not cmds:
        raise Failure("README.md's Install section has no ```sh block")
    return cmds


def copy_checkout(t, c):
    """This checkout's files (tracked, and untracked ones git does not ignore) into the container, as a
    user's clone would be."""
    files = subprocess.run(["git", "-C", SRC, "ls-files", "-z", "-co", "--exclude-standard"], capture_output=True,
                           check=True).stdout.decode().split("\0")
    dest = c.path(CHECKOUT)
    for f in files:
        if not f or not os.path.isfile(os.path.join(SRC, f)):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        subprocess.run(["cp", "-p", os.path.join(SRC, f), os.path.join(dest, f)], check=True)
    c.sh("chown -R %s: %s" % (USER, CHECKOUT))


def add_admin_user(c):
    """The README's reader: a user in group sudo (no password asked, as on cloud images), not in the groups
    that may read the system journal."""
    c.sh("useradd --create-home --groups sudo --shell /bin/bash %s && "
         "echo '%s ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/%s && chmod 0440 /etc/sudoers.d/%s" % ((USER,) * 4))


def as_user(cmd):
    """cmd in a login-like shell of the README's reader, in the checkout."""
    return "runuser -u %s -- env HOME=/home/%s USER=%s bash -c %s" % (USER, USER, USER, shlex.quote(
        "cd %s && %s" % (CHECKOUT, cmd)))


def edit(c, path, fn):
    """Edit a file of the container as a user would with an editor (same owner and mode)."""
    p = c.path(path)
    text = open(p).read()
    new = fn(text)
    if new == text:
        raise Failure("editing %s changed nothing" % path)
    with open(p, "w") as f:
        f.write(new)


def point_at_emulator(t, text):
    """What a user types into the sample: their account and cluster, and (only because this is a test) the
    emulator's URL and data plane."""
    text = text.replace(SAMPLE_ACCOUNT, t.account).replace(SAMPLE_CLUSTER, t.cluster)
    url = '  url = "%s";' % t.url
    text, n = re.subn(r"^\s*#?\s*url = .*$", url, text, count=1, flags=re.M)
    if not n:
        text = re.sub(r"^management = \{$", "management = {\n" + url, text, count=1, flags=re.M)
    text = re.sub(r"^#?\s*cluster_url = .*$", 'cluster_url = "%s";' % t.dataplane, text, count=1, flags=re.M)
    return text


def unit_prop(c, unit, prop):
    return c.sh("systemctl show -P %s %s" % (prop, unit), check=False).stdout.strip()


def ran_ok(c, unit):
    return unit_prop(c, unit, "Result") == "success" and unit_prop(c, unit, "ExecMainStatus") == "0"


def leftovers(c, d):
    return sorted(f for f in c.listdir(d) or [] if ".tmp" in f)


def mode_group(c, path):
    return c.sh("stat -c '%%a %%G' %s" % path, check=False).stdout.strip()


def our_links(c):
    """Enablement links and drop-in directories of the package's units (not a consumer's drop-in file)."""
    return c.sh("find /etc/systemd/system -maxdepth 2 -name 'influx-token-helper*' ! -path '/etc/systemd/system/*.d/*'",
                check=False).stdout.split()


def install_telegraf_user(c):
    # as Telegraf's own package does, before the helper's package joins its group
    c.sh("groupadd --system telegraf && useradd --system --gid telegraf --no-create-home --home-dir /etc/telegraf "
         "--shell /usr/sbin/nologin telegraf")


def install_standin(c):
    with open(c.path("/usr/local/bin/telegraf-standin"), "w") as f:
        f.write(STANDIN)
    os.chmod(c.path("/usr/local/bin/telegraf-standin"), 0o755)
    with open(c.path("/lib/systemd/system/telegraf.service"), "w") as f:
        f.write(STANDIN_UNIT)
    c.sh("install -d -o telegraf -g telegraf -m 0755 /var/lib/telegraf-standin && systemctl daemon-reload && "
         "systemctl enable telegraf.service")


def use_dropin(c, name, installed_as):
    """Only the drop-in `name` (from the package) in telegraf.service.d, as plugin/telegraf/README.md says."""
    c.sh("rm -rf /etc/systemd/system/telegraf.service.d && install -D -m 0644 %s/%s "
         "/etc/systemd/system/telegraf.service.d/%s && systemctl daemon-reload" % (DROPINS, name, installed_as))


# ---- A: the README, the service, the credential, the timer, an instance, Telegraf ----

def readme_install(t, c):
    add_admin_user(c)
    copy_checkout(t, c)
    t.clear_calls()
    status_out = ""
    for cmd in readme_install_commands():
        log("# README: %s" % cmd)
        if cmd.startswith("sudoedit "):
            path = cmd.split()[1]
            edit(c, path, lambda text: point_at_emulator(t, text))
            continue
        stdin = t.mgmt if re.search(r"install .*/dev/stdin", cmd) else None
        p = c.sh(as_user(cmd), input=stdin, timeout=900, check=False)
        if re.match(r"^(sudo )?systemctl status ", cmd):
            # a oneshot that ran and ended is inactive: systemctl status exits 3 for it
            if p.returncode not in (0, 3):
                raise Failure("`%s` exited %d: %s" % (cmd, p.returncode, p.stdout + p.stderr))
            status_out = p.stdout
        elif p.returncode != 0:
            raise Failure("the README's `%s` exited %d:\n%s\nthe helper's journal:\n%s" % (
                cmd, p.returncode, (p.stdout + p.stderr)[-4000:], t.journal(c, "'influx-token-helper*'", 20)))
    t.ok("the README's Install steps, pasted in order, work (%d commands)" % len(readme_install_commands()))
    svc = "influx-token-helper.service"
    t.check("the stock service with the stock sample config ran and succeeded",
            ran_ok(c, svc), "Result=%s status=%s; journal:\n%s" % (
                unit_prop(c, svc, "Result"), unit_prop(c, svc, "ExecMainStatus"), t.journal(c, svc)))
    t.check("its token file has mode 0640 and group telegraf, and no temporary file is left",
            mode_group(c, RUN + "/telegraf") == "640 telegraf" and not leftovers(c, RUN),
            "%s; left: %s" % (mode_group(c, RUN + "/telegraf"), leftovers(c, RUN)))
    t.check("`systemctl status` shows in its log what the run did (created, wrote)",
            re.search(r"created token", status_out) and re.search(r"wrote %s/telegraf" % RUN, status_out),
            status_out)
    t.check("the Install steps made one token (one POST)",
            sum(1 for x in t.calls() if x.startswith("POST tokens")) == 1, t.calls())
    t.check("the timer is enabled and waiting",
            c.sh("systemctl is-enabled influx-token-helper.timer", check=False).stdout.strip() == "enabled" and
            c.sh("systemctl is-active influx-token-helper.timer", check=False).stdout.strip() == "active",
            c.sh("systemctl status --no-pager influx-token-helper.timer", check=False).stdout)


def credential_and_admin(t, c):
    p = c.sh("sudo -u influx-token-helper cat %s/management-token" % ETC, check=False)
    t.check("the service user cannot read the management token file (it reaches the service by LoadCredential=)",
            p.returncode != 0 and "ermission denied" in p.stderr, p.stdout + p.stderr)
    p = c.sh("sudo -u influx-token-helper influx-token-helper check", check=False)
    t.check("`check` as the service user, without the credential, fails saying what to run instead",
            p.returncode == 78 and "influx-token-helper-admin" in p.stderr, "rc %d: %s" % (p.returncode, p.stderr))
    admin = "influx-token-helper-admin"
    t.clear_calls()
    p = c.sh("%s check" % admin, check=False)
    t.check("`%s check` passes with one read-only API call" % admin,
            p.returncode == 0 and t.calls() == ["GET tokens"], "rc %d: %s %s; calls %s" % (
                p.returncode, p.stdout, p.stderr, t.calls()))
    cur = t.state(c).get("current", {}).get("id", "(none)")
    p = c.sh("%s list" % admin, check=False)
    t.check("`%s list` shows the current token" % admin, p.returncode == 0 and re.search(cur + r".*current", p.stdout),
            "rc %d: %s %s" % (p.returncode, p.stdout, p.stderr))
    t.clear_calls()
    p = c.sh("%s rotate --force" % admin, check=False)
    new = t.state(c).get("current", {}).get("id")
    t.check("`%s rotate --force` makes and serves a new token" % admin,
            p.returncode == 0 and new != cur and "POST tokens" in t.calls(),
            "rc %d: %s; calls %s" % (p.returncode, p.stderr, t.calls()))
    t.clear_calls()
    p = c.sh("%s revoke --dry-run telegraf" % admin, check=False)
    t.check("`%s revoke --dry-run telegraf` says what it would revoke, and changes nothing" % admin,
            p.returncode == 0 and new in p.stdout and not [x for x in t.calls() if not x.startswith("GET")],
            "rc %d: %s %s; calls %s" % (p.returncode, p.stdout, p.stderr, t.calls()))
    p = c.sh("%s rotate no_such_profile" % admin, check=False)
    q = c.sh("sudo -u influx-token-helper influx-token-helper rotate no_such_profile", check=False)
    t.check("`%s` exits with the command's own status (%d)" % (admin, q.returncode),
            p.returncode == q.returncode and p.returncode not in (0, 1), "admin rc %d, direct rc %d: %s" % (
                p.returncode, q.returncode, p.stderr))


TIMER = "influx-token-helper.timer"


def unix_prop(c, unit, prop):
    """A timestamp property of unit in seconds since the epoch (0 when unset; systemctl show of systemd 252
    prints it as a date whatever --timestamp says)."""
    v = c.sh('v=$(systemctl show -P %s %s) && [ -n "$v" ] && date -d "$v" +%%s' % (prop, unit), check=False)
    return int(v.stdout.strip()) if v.returncode == 0 and v.stdout.strip().isdigit() else 0


def timer_arm(t, c):
    """A run missed while the timer was stopped (its last trigger an hour ago): Persistent=true catches it
    up. systemd schedules a missed run no earlier than its own start, plus the fixed per-host offset of
    RandomizedDelaySec=5min (FixedRandomDelay=true): within 5 minutes, checked by timer_fired at the end of
    phase A, while the other cases run."""
    c.sh("touch -d '-1 hour' /var/lib/systemd/timers/stamp-%s && systemctl restart %s" % (TIMER, TIMER))
    t.timer_armed = int(time.time())  # the container shares the host's clock
    time.sleep(1)
    # already past due (the offset was spent since systemd's start): it fired as it started
    last = unix_prop(c, TIMER, "LastTriggerUSec")
    fired = last >= t.timer_armed
    t.timer_due = t.timer_armed if fired else unix_prop(c, TIMER, "NextElapseUSecRealtime")
    # Persistent=true is what reads the stamp: the last trigger is the one an hour ago
    t.check("the timer takes its last run from its stamp (Persistent=true): an hour ago",
            fired or abs(last - (t.timer_armed - 3600)) <= 5, "last trigger %d, armed %d" % (last, t.timer_armed))
    boot = unix_prop(c, "init.scope", "ActiveEnterTimestamp") or t.timer_armed
    t.check("the timer schedules the missed run within its 5-minute offset of systemd's start",
            0 < t.timer_due <= max(boot, t.timer_armed - 3600) + 300 + 60,
            "next elapse %d, armed at %d, systemd up since %d" % (t.timer_due, t.timer_armed, boot))


def timer_fired(t, c):
    # bounded by what the timer promises (5 minutes of offset, 30 s of accuracy), not by what it says
    wait = min(t.timer_due, t.timer_armed + 360) + 60 - time.time()
    fired = t.wait_for("the timer", lambda: unix_prop(c, TIMER, "LastTriggerUSec") >= t.timer_armed,
                       timeout=max(5, wait))
    t.check("the timer fired the service when due (%+ds after it was armed)" % (t.timer_due - t.timer_armed),
            fired and unit_prop(c, "influx-token-helper.service", "Result") == "success",
            "last trigger %d, armed %d, due %d; %s" % (unix_prop(c, TIMER, "LastTriggerUSec"), t.timer_armed,
                                                      t.timer_due, t.journal(c, "influx-token-helper.service", 10)))


def no_call_when_nothing_due(t, c):
    t.clear_calls()
    c.sh("systemctl start influx-token-helper.service")
    t.check("a run with nothing due makes no API call", t.calls() == [], t.calls())


def instance(t, c):
    conf = "%s/prod.conf" % ETC
    c.sh("install -m 0640 -g influx-token-helper %s/helper-telegraf.conf %s" % (EXAMPLES, conf))
    edit(c, conf, lambda text: point_at_emulator(t, text)
         .replace('state_dir = "%s";' % STATE, 'state_dir = "%s/prod";' % STATE)
         .replace('"%s/telegraf"' % RUN, '"%s/prod/telegraf"' % RUN)
         .replace('status_dir = "%s/status";' % RUN, 'status_dir = "%s/prod/status";' % RUN))
    c.sh("install -m 0600 /dev/stdin %s/prod.management-token" % ETC, input=t.mgmt)
    t.clear_calls()
    c.sh("systemctl enable --now influx-token-helper@prod.timer && systemctl start influx-token-helper@prod.service",
         check=False)
    svc = "influx-token-helper@prod.service"
    t.check("a templated instance (influx-token-helper@prod) runs with its own config, credential, state and sinks",
            ran_ok(c, svc) and mode_group(c, RUN + "/prod/telegraf") == "640 telegraf" and
            c.exists(STATE + "/prod/telegraf.state") and c.exists(RUN + "/prod/status/telegraf.json"),
            "Result=%s; %s; journal:\n%s" % (unit_prop(c, svc, "Result"), mode_group(c, RUN + "/prod/telegraf"),
                                            t.journal(c, svc)))
    t.check("its activation was probed on the data plane before the switch",
            any(x.startswith("POST /api/v2/write") for x in t.calls()), t.calls())
    cur = t.state(c, state_dir=STATE + "/prod").get("current", {}).get("id", "(none)")
    p = c.sh("influx-token-helper-admin -i prod list", check=False)
    t.check("`influx-token-helper-admin -i prod list` shows the instance's token",
            p.returncode == 0 and cur in p.stdout, "rc %d: %s %s" % (p.returncode, p.stdout, p.stderr))
    t.clear_calls()
    p = c.sh("influx-token-helper-admin -i prod revoke telegraf", check=False)
    t.check("`influx-token-helper-admin -i prod revoke telegraf` revokes its token and removes its sink",
            p.returncode == 0 and ("DELETE tokens/" + cur) in t.calls() and
            not c.exists(RUN + "/prod/telegraf"), "rc %d: %s; calls %s" % (
                p.returncode, p.stderr, t.calls()))
    p = c.sh("systemctl start 'influx-token-helper@...service'", check=False)
    t.check("systemd refuses the unit influx-token-helper@...service ('..' as the instance)", p.returncode != 0,
            p.stdout + p.stderr)
    bad = {}
    t.clear_calls()
    for inst in ("''", "..", ".", "-x", "a/b"):
        p = c.sh("influx-token-helper-admin -i %s list" % inst, check=False)
        if p.returncode != 64 or "is not an instance name" not in p.stderr:
            bad[inst] = (p.returncode, p.stderr.strip())
    for opt in ("-c %s/prod.conf" % ETC, "-vc %s/prod.conf" % ETC, "-qc%s/prod.conf" % ETC,
                "--conf=%s/prod.conf" % ETC, "--c %s/prod.conf" % ETC):
        p = c.sh("influx-token-helper-admin %s list" % opt, check=False)
        if p.returncode != 64:
            bad[opt] = (p.returncode, p.stderr.strip())
    t.check("influx-token-helper-admin refuses an empty or malformed instance name and -c in any spelling (64), "
            "touching nothing",
            not bad and t.calls() == [], "%s; calls %s" % (bad, t.calls()))


def admin_interrupted(t, c):
    """A signal to influx-token-helper-admin stops the command it started, not only itself: Ctrl-C and Ctrl-\\
    as a terminal sends them (to the whole process group: systemd-run, a background job there, ignores
    them), TERM and HUP to the script alone. Its exit status is 128 plus the signal's number."""
    left = {}
    for sig, group in ((signal.SIGINT, True), (signal.SIGQUIT, True), (signal.SIGTERM, False),
                       (signal.SIGHUP, False)):
        c.sh("rm -f /run/admin.rc")
        # a shell that outlives the signal (a handler, not an ignore: that would be inherited) records the status
        p = subprocess.Popen(["nsenter", "--target", str(c.leader), "--all", "--", "/usr/bin/env", "-i",
                              "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "/bin/sh", "-c",
                              "trap : INT QUIT; influx-token-helper-admin watch; echo $? >/run/admin.rc"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True, preexec_fn=default_signals)
        try:
            up = t.wait_for("watch", lambda: c.sh("pgrep -f '^/usr/bin/influx-token-helper watch'",
                                                  check=False).returncode == 0, timeout=20)
            if group:
                os.killpg(p.pid, sig)
            else:
                c.sh("pkill -%s -f '^/bin/sh /usr/sbin/influx-token-helper-admin watch'" % sig.name[3:], check=False)
            rc = t.wait_for("its status", lambda: (c.read("/run/admin.rc") or "").strip(), timeout=20)
            gone = t.wait_for("its unit", lambda: not c.sh(
                "systemctl list-units --plain --no-legend 'influx-token-helper-admin-*'; "
                "pgrep -f '^/usr/bin/influx-token-helper watch'", check=False).stdout.strip(), timeout=15)
            if not up or not gone or rc != str(128 + sig):
                left[sig.name] = (up, rc, c.sh("systemctl list-units --plain --no-legend "
                                               "'influx-token-helper-admin-*'", check=False).stdout.strip())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            c.sh("systemctl stop 'influx-token-helper-admin-*'; pkill -f influx-token-helper-admin", check=False)
    t.check("a signal to influx-token-helper-admin (Ctrl-C, Ctrl-\\ to its group; TERM, HUP to it) stops the "
            "command's unit too, and it exits 128 plus the signal", not left, left)


def default_signals():
    """A child of the test as of a terminal: whatever ran the test (a background job of a script ignores
    Ctrl-C and Ctrl-\\), these signals have their default action, as a trap in the child needs."""
    for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)


def telegraf_from_cache(t, c):
    """The docker-store drop-in: Telegraf started with its token file gone runs the helper first, which
    rewrites it from the cache with no API call."""
    install_standin(c)
    use_dropin(c, "telegraf-influx-token-helper.conf", "influx-token-helper.conf")
    c.sh("rm -f %s/telegraf && rm -rf %s/status" % (RUN, RUN))
    t.clear_calls()
    n0 = len(t.standin_starts(c))
    p = c.sh("systemctl restart telegraf.service", check=False)
    starts = t.standin_starts(c)
    t.check("Telegraf started with its token file gone: the helper ran first and rewrote it; Telegraf started "
            "with the current token",
            p.returncode == 0 and len(starts) == n0 + 1 and starts[-1][1:] == ["file", t.current_hash(c)],
            "rc %d: %s; starts %s; helper journal:\n%s" % (p.returncode, p.stderr, starts[n0:],
                                                          t.journal(c, "influx-token-helper.service", 15)))
    t.check("that run made no API call (nothing was due)", t.calls() == [], t.calls())
    t.check("and republished the status copy", c.exists(RUN + "/status/telegraf.json"), c.listdir(RUN))


# The sinks of each way of handing Telegraf its token (the stock sample has the first two), one way at a time,
# as the drop-ins' own comments say: the restart unit of the other kind would watch a file that does not exist.
SINKS = {
    "env": '{ type = "file"; path = "%s/telegraf"; mode = "0640"; group = "telegraf"; },\n'
           '      { type = "env";  path = "%s/telegraf.env"; }' % (RUN, RUN),
    "cred": '{ type = "file"; path = "%s/telegraf"; mode = "0640"; group = "telegraf"; },\n'
            '      { type = "file"; path = "%s/telegraf.cred"; mode = "0600"; }' % (RUN, RUN),
}


def use_sinks(c, kind):
    edit(c, ETC + "/helper.conf", lambda text: re.sub(r"(?ms)^(    sinks = \(\n      ).*?(\n    \);)",
                                                    lambda m: m.group(1) + SINKS[kind] + m.group(2), text, count=1))
    other = "cred" if kind == "env" else "env"
    c.sh("rm -f %s/telegraf.%s && systemctl start influx-token-helper.service" % (RUN, other))
    if c.exists("%s/telegraf.%s" % (RUN, other)) or not c.exists("%s/telegraf.%s" % (RUN, kind)):
        raise Failure("the %s sink is not alone: %s" % (kind, c.listdir(RUN)))


def restart_pair(t, c, kind, dropin, installed_as, src):
    path_unit = "influx-token-helper-restart-%s@telegraf.path" % kind
    if kind != "env":  # the stock sinks are the env ones
        use_sinks(c, kind)
    use_dropin(c, dropin, installed_as)
    c.sh("systemctl enable --now %s && systemctl restart telegraf.service" % path_unit)
    base = len(t.standin_starts(c))
    restarts = 0
    for i in range(N_ROTATIONS):
        before = t.current_hash(c)
        c.sh("influx-token-helper-admin -q rotate --force")
        want = t.current_hash(c)
        if want == before:
            raise Failure("rotate --force did not switch tokens")
        got = t.wait_for("restart %d" % (i + 1), lambda: len(t.standin_starts(c)) >= base + restarts + 1, timeout=30)
        if got:
            restarts = len(t.standin_starts(c)) - base
    time.sleep(3)  # a late, extra restart would show now
    starts = t.standin_starts(c)[base:]
    t.check("%s sink: %d forced rotations, %d restarts of the consumer by %s" % (kind, N_ROTATIONS, len(starts),
                                                                               path_unit),
            len(starts) == N_ROTATIONS, "starts %s; %s" % (starts, t.journal(c, "influx-token-helper-restart@telegraf.service", 20)))
    t.check("%s sink: the consumer ends on the current token, read from its %s" % (kind, src),
            starts and starts[-1][1:] == [src, t.current_hash(c)], starts[-1:] if starts else "no start")
    c.sh("systemctl disable --now %s" % path_unit)


def phase_a(t):
    c = t.container("ith-a")
    c.boot()
    install_telegraf_user(c)
    readme_install(t, c)
    timer_arm(t, c)
    credential_and_admin(t, c)
    no_call_when_nothing_due(t, c)
    instance(t, c)
    admin_interrupted(t, c)
    telegraf_from_cache(t, c)
    restart_pair(t, c, "env", "telegraf-env.conf", "influx-token-helper-env.conf", "env")
    restart_pair(t, c, "cred", "telegraf-credential.conf", "influx-token-helper-credential.conf", "cred")
    use_dropin(c, "telegraf-influx-token-helper.conf", "influx-token-helper.conf")
    c.sh("systemctl enable influx-token-helper-restart-env@telegraf.path")  # for the purge to find
    timer_fired(t, c)
    c.poweroff()
    return c


# ---- B: a reboot, then a purge ----

def reboot(t, c):
    t.clear_calls()
    n0 = len(t.standin_starts(c))
    c.boot()
    up = t.wait_for("telegraf", lambda: unit_prop(c, "telegraf.service", "ActiveState") == "active", timeout=60)
    starts = t.standin_starts(c)[n0:]
    t.check("after a reboot (/run emptied) Telegraf starts, on the current token from the rewritten file",
            up and len(starts) == 1 and starts[0][1:] == ["file", t.current_hash(c)],
            "telegraf %s; starts %s" % (unit_prop(c, "telegraf.service", "ActiveState"), starts))
    helper_end = int(unit_prop(c, "influx-token-helper.service", "ExecMainExitTimestampMonotonic") or 0)
    tg_start = int(unit_prop(c, "telegraf.service", "ExecMainStartTimestampMonotonic") or 0)
    t.check("Telegraf started after the helper's run had ended", 0 < helper_end <= tg_start,
            "helper ended at %d, telegraf started at %d (monotonic us)" % (helper_end, tg_start))
    t.check("the boot made no API call (the cached token is fresh)", t.calls() == [], t.calls())
    p = c.sh("sudo -u telegraf influx-token-helper status --format influx --from %s/status" % RUN, check=False)
    t.check("the status copies are back: Telegraf's health input reads one line, ok",
            p.returncode == 0 and re.search(r"^influx_token_helper,name=telegraf,.*ok=true", p.stdout, re.M),
            "rc %d: %s %s" % (p.returncode, p.stdout, p.stderr))


def remove_reinstall(t, c):
    """apt-get remove stops every unit of the package, instances and restart units included; installing it again
    starts the enabled ones again, as they were (no rotation may wait for a reboot)."""
    units = ("influx-token-helper.timer", "influx-token-helper@prod.timer",
             "influx-token-helper-restart-env@telegraf.path")
    disabled = "influx-token-helper-restart-cred@telegraf.path"  # a unit the administrator disabled
    c.sh("systemctl enable --now %s && systemctl disable --now %s" % (" ".join(units), disabled))
    p = c.sh("apt-get remove -y influx-token-helper", check=False)
    state = c.sh("systemctl is-active %s" % " ".join(units), check=False).stdout.split()
    busy = c.sh("systemctl list-units --plain --no-legend --state=active,activating,deactivating,failed "
                "'influx-token-helper*'", check=False).stdout.strip()
    t.check("apt-get remove stops every unit of the package (instances, restart units), none left failed",
            p.returncode == 0 and state == ["inactive"] * 3 and not busy, "%s; %s" % (state, busy or p.stdout + p.stderr))
    p = c.sh(as_user("sudo apt-get install -y ./build/packages/influx-token-helper_*.deb"), check=False)
    active = c.sh("systemctl is-active %s %s" % (" ".join(units), disabled), check=False).stdout.split()
    t.check("installing it again starts the enabled timers and restart units again, and no disabled one",
            p.returncode == 0 and active == ["active"] * 3 + ["inactive"], "%s; %s" % (active, p.stdout[-1500:] + p.stderr))


def purge(t, c):
    # besides the drop-in as plugin/telegraf/README.md installs it: the same under the package's own file name,
    # and one that is a link to a file kept elsewhere (configuration management)
    c.sh("cp %s/telegraf-env.conf /etc/systemd/system/telegraf.service.d/telegraf-env.conf && "
         "cp %s/telegraf-env.conf /root/kept.conf && "
         "ln -s /root/kept.conf /etc/systemd/system/telegraf.service.d/influx-token-helper-link.conf" % (DROPINS, DROPINS))
    files = [f for f in c.sh("dpkg -L influx-token-helper").stdout.split() if c.sh("test -f %s" % f, check=False).returncode == 0]
    p = c.sh("apt-get purge -y influx-token-helper", check=False)
    t.check("apt-get purge succeeds", p.returncode == 0, p.stdout + p.stderr)
    left = [f for f in files + [ETC, STATE, RUN] if c.sh("test -e %s || test -L %s" % (f, f), check=False).returncode == 0]
    t.check("purge leaves none of the package's files, state, runtime files or configuration", not left, left)
    links = our_links(c)
    t.check("purge leaves no enablement link or drop-in of its units (timers, the instance's timer, the restart "
            "units)", not links, links)
    units = c.sh("systemctl list-units --all --plain --no-legend 'influx-token-helper*'", check=False).stdout
    busy = [u for u in units.splitlines() if u.split()[2:3] != ["inactive"]]
    t.check("purge leaves no unit of the package active or failed (instances included)", not busy, units)
    dropins = ["/etc/systemd/system/telegraf.service.d/" + n for n in
               ("influx-token-helper.conf", "telegraf-env.conf", "influx-token-helper-link.conf")]
    t.check("purge keeps the consumer's drop-ins (files and links) and names each, to remove by hand",
            all(d in p.stdout + p.stderr and c.sh("test -e %s" % d, check=False).returncode == 0 for d in dropins),
            p.stdout + p.stderr)
    # the administrator does what it says; then nothing refers to the helper any more
    c.sh("rm %s && systemctl daemon-reload" % " ".join(dropins))
    units = c.sh("systemctl list-units --all --plain --no-legend 'influx-token-helper*'", check=False).stdout.strip()
    t.check("then no unit of the package is known to systemd at all", not units, units)


def phase_b(t, c):
    reboot(t, c)
    remove_reinstall(t, c)
    purge(t, c)
    c.poweroff()


# ---- C: an upgrade from an earlier commit's package, then the rpm ----

def run_earlier(t, c, what):
    """The earlier package at work, as its users ran it: its units could not give a file a group (its syscall
    filter), so the credential setup (a 0600 file sink, no group), with the timer and its two-file restart
    unit enabled. Returns the current token's id."""
    c.sh("cp %s/helper-telegraf-credential.conf %s/helper.conf" % (EXAMPLES, ETC))
    edit(c, ETC + "/helper.conf", lambda text: point_at_emulator(t, text))
    c.sh("install -m 0600 /dev/stdin %s/management-token" % ETC, input=t.mgmt)
    use_dropin(c, "telegraf-credential.conf", "influx-token-helper-credential.conf")
    c.sh("systemctl start influx-token-helper.service && systemctl enable --now influx-token-helper.timer "
         "influx-token-helper-restart@telegraf.path && systemctl restart telegraf.service")
    cur = t.state(c).get("current", {}).get("id")
    if not cur:
        raise Failure("the earlier %s's service made no token: %s" % (what, t.journal(c, "influx-token-helper.service")))
    return cur


def upgrade(t, c, old, new):
    c.sh("mkdir -p /root/pkgs")
    for f in (old, new):
        subprocess.run(["cp", f, c.path("/root/pkgs/")], check=True)
    oldname, newname = os.path.basename(old), os.path.basename(new)
    c.sh("apt-get update -q >/dev/null && apt-get install -y /root/pkgs/%s" % oldname, timeout=600)
    cur = run_earlier(t, c, "package")
    t.clear_calls()
    # as a fleet upgrades (Ansible's apt module does the same): the administrator's helper.conf is kept
    p = c.sh("apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "
             "/root/pkgs/%s" % newname, check=False, timeout=600)
    t.check("apt-get upgrades %s to %s, keeping the edited helper.conf" % (oldname, newname),
            p.returncode == 0 and t.account in (c.read(ETC + "/helper.conf") or ""), p.stdout[-2000:] + p.stderr)
    c.sh("systemctl start influx-token-helper.service", check=False)
    t.check("the upgrade keeps the state: the same current token, and the service's run after it makes no API "
            "call (no new token)", ran_ok(c, "influx-token-helper.service") and
            t.state(c).get("current", {}).get("id") == cur and t.calls() == [],
            "%s; calls %s" % (t.journal(c, "influx-token-helper.service", 10), t.calls()))
    t.check("the timer stays enabled and waiting",
            c.sh("systemctl is-enabled influx-token-helper.timer && systemctl is-active influx-token-helper.timer",
                 check=False).returncode == 0)
    links = c.sh("find /etc/systemd/system -name 'influx-token-helper-restart*'", check=False).stdout
    t.check("the restart unit enabled under the earlier package is migrated (restart-cred@, restart-env@)",
            "restart-cred@telegraf.path" in links and "restart@telegraf.path" not in links and
            c.sh("systemctl is-active influx-token-helper-restart-cred@telegraf.path", check=False).returncode == 0,
            links)
    n0 = len(t.standin_starts(c))
    c.sh("influx-token-helper-admin -q rotate --force")
    t.wait_for("restart", lambda: len(t.standin_starts(c)) > n0, timeout=30)
    starts = t.standin_starts(c)[n0:]
    t.check("after the upgrade a rotation still restarts the consumer onto the new token",
            len(starts) == 1 and starts[0][1:] == ["cred", t.current_hash(c)], starts)
    c.sh("apt-get purge -y influx-token-helper >/dev/null 2>&1; rm -rf /etc/systemd/system/telegraf.service.d; "
         "systemctl daemon-reload")


def rpm_cycle(t, c, old, new):
    for f in (old, new):
        subprocess.run(["cp", f, c.path("/root/pkgs/")], check=True)
    oldname, newname = os.path.basename(old), os.path.basename(new)
    c.sh("userdel influx-token-helper 2>/dev/null; groupdel influx-token-helper 2>/dev/null; true")
    # rpm(8) of Debian has a database of its own: dependencies cannot be resolved there (--nodeps)
    p = c.sh("rpm -i --nodeps /root/pkgs/%s" % oldname, check=False)
    t.check("rpm -i installs the earlier commit's .rpm", p.returncode == 0, p.stdout + p.stderr)
    cur = run_earlier(t, c, ".rpm")
    t.clear_calls()
    p = c.sh("rpm -U --nodeps /root/pkgs/%s" % newname, check=False)
    t.check("rpm -U upgrades it to %s, its scriptlets under systemd" % newname, p.returncode == 0, p.stdout + p.stderr)
    c.sh("systemctl start influx-token-helper.service", check=False)
    t.check("the rpm upgrade keeps the state (same current token) and the service runs with no API call",
            ran_ok(c, "influx-token-helper.service") and t.state(c).get("current", {}).get("id") == cur and
            t.calls() == [], "%s; calls %s" % (t.journal(c, "influx-token-helper.service", 10), t.calls()))
    links = c.sh("find /etc/systemd/system -name 'influx-token-helper-restart*'", check=False).stdout
    t.check("the rpm upgrade migrates the earlier restart unit (to restart-cred@) and keeps the timer enabled",
            "restart-cred@telegraf.path" in links and "restart@telegraf.path" not in links and
            c.sh("systemctl is-active influx-token-helper-restart-cred@telegraf.path influx-token-helper.timer",
                 check=False).returncode == 0, links)
    t.check("the rpm's scriptlets made the user (in group telegraf) and the private directories",
            c.sh("id -nG influx-token-helper", check=False).stdout.split()[1:] == ["telegraf"] and
            mode_group(c, STATE) == "700 influx-token-helper" and
            c.sh("stat -c '%%a %%U:%%G' %s/helper.conf" % ETC).stdout.strip() == "640 root:influx-token-helper",
            c.sh("id influx-token-helper; ls -ld %s %s/helper.conf" % (STATE, ETC), check=False).stdout)
    c.sh("install -m 0640 -g influx-token-helper %s/helper.conf %s/prod.conf && "
         "install -m 0600 /dev/stdin %s/prod.management-token" % (ETC, ETC, ETC), input=t.mgmt)
    edit(c, ETC + "/prod.conf", lambda text: text.replace('"%s"' % STATE, '"%s/prod"' % STATE)
         .replace('"%s/telegraf' % RUN, '"%s/prod/telegraf' % RUN).replace('"%s/status"' % RUN, '"%s/prod/status"' % RUN))
    c.sh("systemctl enable --now influx-token-helper@prod.timer influx-token-helper-restart-env@telegraf.path")
    c.sh("systemctl start influx-token-helper@prod.service", check=False)
    t.check("the rpm's templated instance runs", ran_ok(c, "influx-token-helper@prod.service"),
            t.journal(c, "influx-token-helper@prod.service"))
    p = c.sh("rpm -e influx-token-helper", check=False)
    t.check("rpm -e removes it", p.returncode == 0, p.stdout + p.stderr)
    links = our_links(c)
    units = c.sh("systemctl list-units --all --plain --no-legend 'influx-token-helper*'", check=False).stdout
    busy = [u for u in units.splitlines() if u.split()[2:3] != ["inactive"]]
    left = [d for d in (STATE, RUN, ETC + "/management-token", ETC + "/prod.management-token") if c.exists(d)]
    t.check("rpm -e leaves no enablement link, no unit active or failed, no state and no management token",
            not links and not busy and not left, "links %s; units %s; left %s" % (links, units, left))


def phase_c(t):
    old = old_packages()
    pkgs = cpack(t.build, os.path.join(t.work, "pkgs"))
    c = t.container("ith-c")
    c.boot()
    install_telegraf_user(c)
    install_standin(c)
    upgrade(t, c, old["DEB"], pkgs["DEB"])
    rpm_cycle(t, c, old["RPM"], pkgs["RPM"])
    c.poweroff()


def run_all(t, only):
    if "A" in only or "B" in only:
        c = phase_a(t)
        if "B" in only:
            phase_b(t, c)
    if "C" in only:
        phase_c(t)
