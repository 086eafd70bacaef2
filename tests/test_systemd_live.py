#!/usr/bin/env python3
"""systemd-live: the packaged helper under a real, booted systemd, driven as the README tells a user.

It debootstraps a minimal system of the host's own release from the apt sources the host uses
(cached outside the checkout, rebuilt when missing), boots a copy of it with `systemd-nspawn -b`
sharing the host's network, so that the Management API emulator this test starts on 127.0.0.1
answers, and drives it with nsenter(1):

  A  the README's "Install" steps, pasted in order (build the .deb, apt-get install it, the
     stock sample configuration, the management token, check, one run, the timer); the
     LoadCredential= route (the service user cannot read the token file); the README's commands
     by hand (influx-token-helper-admin: check, list, rotate --force, revoke); the timer firing;
     a templated instance; Telegraf's drop-ins around a stand-in telegraf.service that records
     the SHA-256 of the token it started with; the restart units of the env and the credential
     sinks: N forced rotations give N restarts and the consumer ends on the current token.
  B  a reboot of the same system: /run is emptied, the consumer starts after the helper, from
     its cache, with no API call, and the status copies are back; then apt-get purge: no file,
     no enablement link, no failed or not-found unit left.
  C  an upgrade from the package of an earlier commit (UPGRADE_FROM): state kept, no new token,
     the timer still enabled, the restart unit it had enabled migrated; then the .rpm installed
     with rpm(8) and erased, its scriptlets run under the same systemd.

Everything it starts (the emulator, each container) is bounded in time and stopped by PID.
Needs root, systemd-nspawn (Debian's systemd-container) and debootstrap; without them it
reports a skip (77) with the reason. Under CI=true a missing tool the registry offers is a
failure (tests/skiprule.py); only a machine where nspawn cannot run at all (no root, or a
container that cannot even run /bin/true) skips there, and the reason is printed.

Usage: test_systemd_live.py BUILD_DIR [--only A,B,C] [--keep]
  BUILD_DIR  a configured build tree of this checkout (its packages are made with cpack)
  --keep     leave the container trees (their paths are printed)
Environment: ITH_LIVE_CACHE, where the root file system and the earlier commit's package are
cached (default /var/cache/influx-token-helper-tests).
"""
import argparse
import glob
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import skiprule  # noqa: E402
from run_scenarios import Emulator, mask_secrets  # noqa: E402

# The package users would upgrade from: the last commit before the live test existed (issue 19),
# whose units and maintainer scripts were checked statically only.
UPGRADE_FROM = "072d3eb771d7c4f592d50461473d5d055df3478f"
# What the booted system has beyond debootstrap's minbase. The build tools are not here: the
# README's own first command installs them, from the same archive.
ROOTFS_PACKAGES = ["systemd", "systemd-sysv", "dbus", "sudo", "ca-certificates", "rpm"]
ROOTFS_LAYOUT = 1  # bump when the way the tree is made changes
CACHE = os.environ.get("ITH_LIVE_CACHE", "/var/cache/influx-token-helper-tests")
APT_ARCHIVES = os.path.join(CACHE, "apt-archives")  # the container's downloaded .debs, kept
BOOT_TIMEOUT = 90
CMD_TIMEOUT = 300
ETC = "/etc/influx-token-helper"
RUN = "/run/influx-token-helper"
STATE = "/var/lib/influx-token-helper"
N_ROTATIONS = 4


class Failure(Exception):
    pass


class Skip(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def run(argv, timeout=CMD_TIMEOUT, **kw):
    return subprocess.run(argv, timeout=timeout, capture_output=True, text=True, **kw)


# ---- the root file system ----

def host_release():
    rel = {}
    with open("/etc/os-release") as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            rel[k] = v.strip('"')
    codename = rel.get("VERSION_CODENAME")
    if not codename:
        raise Skip("/etc/os-release names no VERSION_CODENAME: not a Debian or Ubuntu host")
    return rel.get("ID", "debian"), codename


def host_sources(codename):
    """The host's apt entries for its own release (one-line and deb822 forms): [(uri, [suites], [components],
    signed_by)]. Entries of other repositories (a vendor's, NodeSource...) are left out."""
    entries = []
    paths = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")) + \
        sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in paths:
        if not os.path.exists(path):
            continue
        text = open(path).read()
        if path.endswith(".sources"):
            for para in re.split(r"\n\s*\n", text):
                f = {}
                for line in para.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    k, _, v = line.partition(":")
                    f[k.strip().lower()] = v.strip()
                if "deb" not in f.get("types", "").split() or f.get("enabled", "yes") == "no":
                    continue
                for uri in f.get("uris", "").split():
                    entries.append((uri, f.get("suites", "").split(), f.get("components", "").split(),
                                    f.get("signed-by", "")))
        else:
            for line in text.splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(parts) >= 3 and parts[0] == "deb":
                    entries.append((parts[1], [parts[2]], parts[3:], ""))
    own = []
    for uri, suites, comps, signed in entries:
        suites = [s for s in suites if s == codename or s.startswith(codename + "-")]
        if suites:
            own.append((uri, suites, comps, signed))
    if not any(codename in s for _, s, _, _ in own):
        raise Skip("the host's apt sources have no entry for its own release %r" % codename)
    return own


def rootfs_path():
    distro, codename = host_release()
    sources = host_sources(codename)
    key = hashlib.sha256(json.dumps([ROOTFS_LAYOUT, distro, codename, sources, ROOTFS_PACKAGES]).encode())
    return os.path.join(CACHE, "rootfs-%s-%s" % (codename, key.hexdigest()[:12])), codename, sources


def build_rootfs():
    """The cached tree, made with debootstrap when missing (into a temporary name, then renamed)."""
    path, codename, sources = rootfs_path()
    if os.path.exists(os.path.join(path, ".complete")):
        return path
    os.makedirs(CACHE, exist_ok=True)
    mirror = next(uri for uri, s, _, _ in sources if codename in s)
    tmp = tempfile.mkdtemp(prefix="rootfs-new-", dir=CACHE)
    root = os.path.join(tmp, "root")
    log("# debootstrap %s from %s into %s (cached for later runs)" % (codename, mirror, path))
    t0 = time.time()
    p = run(["debootstrap", "--variant=minbase", "--include=" + ",".join(ROOTFS_PACKAGES), codename, root,
             mirror], timeout=1200)
    if p.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise Failure("debootstrap failed (rc %d): %s" % (p.returncode, (p.stdout + p.stderr)[-3000:]))
    # apt in the container uses what the host uses, in deb822 form
    paras = []
    for uri, suites, comps, signed in sources:
        para = "Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n" % (uri, " ".join(suites), " ".join(comps))
        if signed and os.path.exists(os.path.join(root, signed.lstrip("/"))):
            para += "Signed-By: %s\n" % signed
        paras.append(para)
    if os.path.exists(os.path.join(root, "etc/apt/sources.list")):
        os.unlink(os.path.join(root, "etc/apt/sources.list"))
    with open(os.path.join(root, "etc/apt/sources.list.d/host.sources"), "w") as f:
        f.write("\n".join(paras))
    # no console login prompt: nothing reads it
    for unit in ("console-getty.service", "getty@tty1.service"):
        link = os.path.join(root, "etc/systemd/system", unit)
        if not os.path.lexists(link):
            os.symlink("/dev/null", link)
    open(os.path.join(root, ".complete"), "w").close()
    if os.path.exists(path):
        shutil.rmtree(path)
    os.rename(root, path)
    shutil.rmtree(tmp, ignore_errors=True)
    log("# root file system made in %.0f s" % (time.time() - t0))
    return path


# ---- packages ----

def deb_version(deb):
    return run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()


def cpack(build, out, generators=("DEB", "RPM")):
    """The packages of this checkout, from BUILD_DIR, into out (not the build tree's own packages/)."""
    res = {}
    for g in generators:
        p = run(["cpack", "-G", g, "-B", out, "--config", os.path.join(build, "CPackConfig.cmake")], cwd=build,
                timeout=600)
        if p.returncode != 0:
            raise Failure("cpack -G %s failed: %s" % (g, (p.stdout + p.stderr)[-2000:]))
        res[g] = glob.glob(os.path.join(out, "*.deb" if g == "DEB" else "*.rpm"))[0]
    return res


def old_packages():
    """The .deb and .rpm of UPGRADE_FROM, built once (git archive, cmake without tests, cpack) and cached, with
    '~git<commit>' after their version, so that this checkout's packages are upgrades of them, as a release's
    would be: {"DEB": path, "RPM": path}."""
    short = UPGRADE_FROM[:7]
    out = os.path.join(CACHE, "old-packages", short)
    found = {g: glob.glob(os.path.join(out, "*." + g.lower())) for g in ("DEB", "RPM")}
    if all(found.values()):
        return {g: v[0] for g, v in found.items()}
    if run(["git", "-C", SRC, "cat-file", "-e", UPGRADE_FROM + "^{commit}"]).returncode != 0:
        raise Failure("commit %s (the packages to upgrade from) is not in this clone: a shallow clone? "
                      "git fetch --unshallow, or set UPGRADE_FROM" % short)
    tmp = tempfile.mkdtemp(prefix="old-", dir=CACHE)
    try:
        src, b, pkg = (os.path.join(tmp, x) for x in ("src", "b", "pkg"))
        os.makedirs(src)
        steps = [["sh", "-c", "git -C \"$0\" archive \"$1\" | tar -x -C \"$2\"", SRC, UPGRADE_FROM, src],
                 ["cmake", "-S", src, "-B", b, "-DITH_TESTS=OFF", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                 ["cmake", "--build", b, "-j%d" % (os.cpu_count() or 2)]]
        for g, var in (("DEB", "CPACK_DEBIAN_PACKAGE_VERSION"), ("RPM", "CPACK_RPM_PACKAGE_VERSION")):
            steps.append(["cpack", "-G", g, "-B", pkg, "-D", "%s=@VERSION@~git%s" % (var, short),
                          "--config", os.path.join(b, "CPackConfig.cmake")])
        for argv in steps:
            if "@VERSION@" in " ".join(argv):
                ver = re.search(r"project\(influx-token-helper VERSION ([\d.]+)",
                                open(os.path.join(src, "CMakeLists.txt")).read()).group(1)
                argv = [a.replace("@VERSION@", ver) for a in argv]
            p = run(argv, cwd=b if argv[0] == "cpack" else None, timeout=900)
            if p.returncode != 0:
                raise Failure("building the packages of %s: `%s`: %s" % (short, " ".join(argv),
                                                                          (p.stdout + p.stderr)[-2000:]))
        os.makedirs(out + ".new", exist_ok=True)
        for g in ("deb", "rpm"):
            shutil.copy(glob.glob(os.path.join(pkg, "*." + g))[0], out + ".new")
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(out + ".new", out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {g: glob.glob(os.path.join(out, "*." + g.lower()))[0] for g in ("DEB", "RPM")}


# ---- the container ----

class Container:
    """One booted copy of the cached tree, in work/NAME (kept across reboots of the same copy)."""

    def __init__(self, rootfs, work, name, masker):
        self.name = name
        self.root = os.path.join(work, name)
        self.masker = masker
        self.proc = None
        self.leader = None
        self.bootlog = os.path.join(work, name + ".boot.log")
        log("# copying the root file system to %s" % self.root)
        p = run(["cp", "-a", "--reflink=auto", rootfs, self.root], timeout=600)
        if p.returncode != 0:
            raise Failure("cp -a %s: %s" % (rootfs, p.stderr))
        # a host name of its own that resolves, as on any installed machine (sudo looks it up)
        with open(self.path("/etc/hostname"), "w") as f:
            f.write(name + "\n")
        with open(self.path("/etc/hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n" % name)

    def path(self, p):
        """The host's view of p in the container's tree: right for what lives on its disk (/etc, /var), not
        for /run and /tmp, which are file systems of the booted container (use exists, read, listdir)."""
        return os.path.join(self.root, p.lstrip("/"))

    def exists(self, p):
        return self.sh("test -e %s" % shlex.quote(p), check=False).returncode == 0

    def read(self, p):
        r = self.sh("cat %s" % shlex.quote(p), check=False)
        return r.stdout if r.returncode == 0 else None

    def listdir(self, p):
        r = self.sh("ls -A %s" % shlex.quote(p), check=False)
        return r.stdout.split() if r.returncode == 0 else None

    def boot(self):
        os.makedirs(APT_ARCHIVES, exist_ok=True)
        t0 = time.time()
        out = open(self.bootlog, "a")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "--directory", self.root, "--boot", "--register=no", "--keep-unit",
             "--machine", self.name, "--bind=%s:/var/cache/apt/archives" % APT_ARCHIVES],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        deadline = time.time() + BOOT_TIMEOUT
        while self.leader is None:
            if self.proc.poll() is not None:
                raise Failure("systemd-nspawn exited %d at boot: %s" % (self.proc.returncode, self.tail()))
            if time.time() > deadline:
                self.kill()
                raise Failure("no init in the container after %d s: %s" % (BOOT_TIMEOUT, self.tail()))
            self.leader = self.find_init()
            time.sleep(0.1)
        # systemctl fails at once until init listens on its socket: ask again until then
        while True:
            p = self.sh("systemctl is-system-running --wait", timeout=BOOT_TIMEOUT, check=False)
            state = p.stdout.strip()
            if state in ("running", "degraded"):
                break
            if time.time() > deadline or state not in ("", "offline", "initializing", "starting"):
                raise Failure("the container did not finish booting (%s: %s): %s" % (
                    state, p.stderr.strip(), self.tail()))
            time.sleep(0.2)
        if state == "degraded":
            log("# booted degraded; failed units: %s" % self.sh("systemctl --failed --plain --no-legend",
                                                                check=False).stdout.strip())
        log("# %s booted in %.1f s (init is pid %d on the host)" % (self.name, time.time() - t0, self.leader))

    def find_init(self):
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                # nspawn's child becomes the container's init once it has exec'd systemd
                if int(fields[1]) == self.proc.pid and open("/proc/%s/comm" % d).read().strip() == "systemd":
                    return int(d)
            except (OSError, IndexError, ValueError):
                continue
        return None

    def tail(self, n=3000):
        try:
            return self.masker(open(self.bootlog, errors="replace").read()[-n:])
        except OSError:
            return ""

    def sh(self, script, input=None, timeout=CMD_TIMEOUT, check=True, cwd="/root"):
        """bash -c script inside, as root, with a clean environment; check: rc 0 or a Failure."""
        argv = ["nsenter", "--target", str(self.leader), "--all", "--", "/usr/bin/env", "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
                "LANG=C.UTF-8", "TERM=dumb", "DEBIAN_FRONTEND=noninteractive", "SYSTEMD_PAGER=",
                "/bin/bash", "-c", "cd %s && %s" % (cwd, script)]
        try:
            p = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure("timed out after %d s in the container: %s" % (timeout, script))
        if check and p.returncode != 0:
            raise Failure("in the container, `%s` exited %d:\n%s" % (script, p.returncode,
                                                                    self.masker((p.stdout + p.stderr)[-4000:])))
        return p

    def poweroff(self, timeout=90):
        if not self.proc or self.proc.poll() is not None:
            return
        self.sh("systemctl poweroff --no-block", check=False, timeout=30)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log("# %s did not power off within %d s: killing its init" % (self.name, timeout))
            self.kill()
        self.proc = self.leader = None

    def kill(self):
        if self.leader:
            try:
                os.kill(self.leader, 9)  # the whole PID namespace goes with it
            except ProcessLookupError:
                pass
        if self.proc:
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.proc = self.leader = None


# ---- the test ----

class Live:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.passed = self.failed = 0
        self.mgmt = "mgmt_" + secrets.token_hex(24)
        self.account, self.cluster = str(uuid.uuid4()), str(uuid.uuid4())
        os.makedirs(CACHE, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="live-", dir=CACHE)
        os.chmod(self.work, 0o700)
        self.mgmt_file = os.path.join(self.work, "mgmt-token")
        fd = os.open(self.mgmt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, self.mgmt.encode())
        os.close(fd)
        self.emu = None
        self.containers = []

    # reporting
    def ok(self, what):
        self.passed += 1
        log("ok - " + what)

    def not_ok(self, what, why):
        self.failed += 1
        log("not ok - %s\n%s" % (what, "\n".join("    " + x for x in self.mask(str(why)).splitlines())))

    def check(self, what, cond, why=""):
        if cond:
            self.ok(what)
        else:
            self.not_ok(what, why or "not so")
        return cond

    def mask(self, text):
        """Every secret of the run (the management token, every token issued), and parts of them, hidden."""
        return mask_secrets(text, [self.mgmt] + (self.emu.issued_secrets() if self.emu else []))

    # the emulator: calls made since a mark
    def calls(self):
        return ["%s %s" % (r["method"], re.sub(r"^/api/v0/accounts/[^/]+/clusters/[^/]+/", "", r["path"]))
                for r in self.emu.ctl("requests")]

    def clear_calls(self):
        self.emu.ctl("clear", {})

    def container(self, name):
        c = Container(self.rootfs, self.work, name, self.mask)
        self.containers.append(c)
        return c

    # facts read from the container's tree (the host is root: the test reads what the helper keeps)
    def state(self, c, profile="telegraf", state_dir=STATE):
        text = c.read("%s/%s.state" % (state_dir, profile))
        return json.loads(text) if text else {}

    def current_hash(self, c, profile="telegraf", state_dir=STATE):
        tok = (self.state(c, profile, state_dir).get("current") or {}).get("token", "")
        return hashlib.sha256(tok.encode()).hexdigest() if tok else None

    def standin_starts(self, c):
        p = c.path("/var/lib/telegraf-standin/starts")
        if not os.path.exists(p):
            return []
        return [line.split() for line in open(p).read().splitlines() if line.strip()]

    def wait_for(self, what, fn, timeout=60, step=0.5):
        deadline = time.time() + timeout
        while True:
            v = fn()
            if v or time.time() > deadline:
                return v
            time.sleep(step)

    def journal(self, c, unit, n=40):
        return c.sh("journalctl --no-pager -o cat -n %d -u %s" % (n, unit), check=False).stdout

    def start_emulator(self):
        self.emu = Emulator(self.work, self.account, self.cluster, self.mgmt_file)
        self.url = "http://127.0.0.1:%d/api/v0" % self.emu.port
        self.dataplane = "http://127.0.0.1:%d" % self.emu.port

    def close(self):
        for c in self.containers:
            c.kill()
        if self.emu:
            self.emu.stop()
        if self.args.keep:
            log("# kept: %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


class CannotRun(Exception):
    """This machine cannot run systemd-nspawn at all: a skip, under CI=true too."""


def precheck():
    """Raises CannotRun, or Skip naming the missing tool (tests/skiprule.py: a failure under CI=true where apt
    offers it), when the test cannot run here."""
    if os.geteuid() != 0:
        raise CannotRun("needs root (it boots a container with systemd-nspawn)")
    for tool in ("systemd-nspawn", "debootstrap", "nsenter", "cpack", "dpkg-deb"):
        if not shutil.which(tool):
            e = Skip("%s is not installed (apt-get install %s; ./scripts/test installs it)" % (
                tool, skiprule.PACKAGES[tool][1]))
            e.component = tool
            raise e


def probe_nspawn(rootfs):
    """A container that runs /bin/true, read-only: where even that fails, nspawn cannot run here."""
    p = run(["systemd-nspawn", "--quiet", "--read-only", "--register=no", "--keep-unit", "--directory", rootfs,
             "/bin/true"], timeout=120)
    if p.returncode != 0:
        raise CannotRun("systemd-nspawn cannot run a container on this machine: %s" % (p.stdout + p.stderr)[-600:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--only", default="A,B,C")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    ci = skiprule.in_ci()
    try:
        precheck()
    except CannotRun as e:
        print("SKIP: %s" % e)
        return 77
    except Skip as e:
        return skiprule.skip_exit_code(e.component, str(e))
    # the cases import this module by name: one module, one Failure class
    sys.modules.setdefault("test_systemd_live", sys.modules[__name__])
    import systemd_live_cases as live_cases  # noqa: E402
    t = Live(args)
    t0 = time.time()
    rc = None
    try:
        t.rootfs = build_rootfs()
        probe_nspawn(t.rootfs)
        t.start_emulator()
        live_cases.run_all(t, [x.strip() for x in args.only.split(",")])
    except CannotRun as e:
        print("SKIP: %s" % e)
        rc = 77
    except Skip as e:
        print("%s: %s" % ("not ok - systemd-live" if ci else "SKIP", e))
        rc = 1 if ci else 77
    except Failure as e:
        t.not_ok("systemd-live", e)
    except Exception:  # a bug of the test itself: reported like a failure, masked
        import traceback
        t.not_ok("systemd-live", traceback.format_exc())
    finally:
        t.close()
    if rc is not None:
        return rc
    log("# systemd-live took %.0f s" % (time.time() - t0))
    print("%d passed, %d failed" % (t.passed, t.failed))
    return 1 if t.failed or not t.passed else 0


if __name__ == "__main__":
    sys.exit(main())
