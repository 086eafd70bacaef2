#!/usr/bin/env python3
"""Contract test of central rotation: the Vault and Kubernetes emulators behind Stoplight Prism.

Starts tests/vault_emulator.py and tests/k8s_emulator.py on 127.0.0.1, puts `prism proxy --errors`
in front of each with the vendor's spec (docs/spec/vault-openapi.json, upstream .../v1 since the
spec's paths carry no /v1 prefix; docs/spec/kubernetes-core-v1-secrets-openapi.json), and sends
every operation a publisher uses through it, the error answers included. Each case checks the
status the emulator must answer, and Prism's log for that request.

What counts (one line per case, then "N passed, M failed"):
  - a request violation, or a response violation on a 2xx answer: a failure (an emulator bug, or
    a request this runner builds wrongly);
  - "Unable to match the returned status code" on a non-2xx answer: the spec documents no such
    status (Vault's spec documents no error answer at all; Kubernetes' only 401). That is a gap of
    the vendor's spec, not of the emulator: reported as "spec gap", not a failure.

The runner's own requests come first; then the helper itself (--helper: the built binary) publishes
through Prism: `rotate` (first publish), `rotate` (nothing to write), `rotate --force` (a write over
ours with CAS or resourceVersion) and `revoke` (delete), each against the management API emulator
(tests/emulator.py) for its tokens, with its vault or kubernetes sink pointed at Prism. Vault's spec
has no /v1 in its paths: a small forwarder in front of Prism drops it from the helper's requests (and
Prism adds it back upstream). Each run must exit 0, reach the emulator through Prism, and make Prism
report no violation (spec gaps as above). Skips as run_contract.py does (exit 77 with
the reason) when Node.js or Prism is missing, failing instead under CI=true when the registry
offers them (tests/skiprule.py). ITH_PRISM names another Prism executable.
"""
import argparse
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import threading
import uuid
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import skiprule  # noqa: E402
import central_harness as ch  # noqa: E402
from run_contract import free_port, node_problem  # noqa: E402

VAULT_SPEC = os.path.join(ROOT, "docs", "spec", "vault-openapi.json")
K8S_SPEC = os.path.join(ROOT, "docs", "spec", "kubernetes-core-v1-secrets-openapi.json")
GAP_RE = re.compile(r"Unable to match the returned status code")


class Prism:
    def __init__(self, prism, spec, upstream_port, prefix, tmp, name):
        self.port = free_port()
        self.upstream_port, self.prefix = upstream_port, prefix
        upstream = "http://127.0.0.1:%d%s" % (upstream_port, prefix)
        self.log_path = os.path.join(tmp, "prism-%s.log" % name)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([prism, "proxy", spec, upstream, "--errors", "-h", "127.0.0.1",
                                      "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.offset = 0
        deadline = time.time() + 120
        while "Prism is listening" not in self.text():
            if time.time() > deadline or self.proc.poll() is not None:
                print(self.text()[-3000:])
                raise RuntimeError("Prism did not start on %s" % spec)
            time.sleep(0.2)
        self.offset = len(self.text())

    def text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def new_lines(self, settle=0.15):
        """The log lines since the last call, once Prism has finished with the request."""
        deadline = time.time() + 5
        while True:
            t = self.text()
            chunk = t[self.offset:]
            if ("Received forward response" in chunk or "Request terminated" in chunk
                    or "error" in chunk.lower()) or time.time() > deadline:
                break
            time.sleep(0.05)
        time.sleep(settle)  # violations are logged just after the forward response
        t = self.text()
        chunk, self.offset = t[self.offset:], len(t)
        return chunk.splitlines()

    def stop(self):
        ch.stop_process(self.proc)
        self.log.close()


def prism_rejection(data):
    """Prism's own answer to a request it refused (problem JSON), else None."""
    if isinstance(data, dict) and str(data.get("type", "")).startswith("https://stoplight.io/prism/errors#"):
        return data
    return None


class Runner:
    def __init__(self):
        self.passed = self.failed = self.gaps = self.unchecked = 0

    def case(self, prism, name, method, path, want, body=None, headers=None, check=None, unchecked=None,
             sentinel=False):
        """One request through Prism. unchecked: why Prism cannot check this request (its body is
        refused with "Request body must be object" for a reason that is not the emulator's); the
        request then goes to the emulator directly and only its status and check count.
        sentinel: an answer made off-spec on purpose; passes only when Prism reports it (proof that
        this runner sees violations at all)."""
        try:
            st, data, _ = ch.request(method, prism.port, path, body, headers)
        except Exception as e:  # noqa: BLE001 - a dropped answer is this case's failure
            st, data = None, "no answer: %s" % e
        lines = prism.new_lines()
        rejected = prism_rejection(data)
        if rejected and unchecked and [v.get("message") for v in rejected.get("validation", [])] == \
                ["Request body must be object"]:
            st, data, _ = ch.request(method, prism.upstream_port, prism.prefix + path, body, headers)
            lines, self.unchecked = [], self.unchecked + 1
        elif rejected and sentinel:
            st, lines = 200, lines + ["Violation: %s" % rejected.get("validation")]
        elif rejected:
            st, data = "Prism refused", rejected.get("validation") or rejected.get("detail")
        violations = [l.split("Violation:", 1)[1].strip() for l in lines if "Violation:" in l]
        errors = [l.split("›", 1)[-1].strip() for l in lines if re.search(r"\[(VALIDATOR|PROXY|NEGOTIATOR)\].*error", l)]
        gaps = [v for v in violations if GAP_RE.search(v) and isinstance(st, int) and st >= 300]
        bad = [v for v in violations if v not in gaps] + errors
        problems = []
        if st != want:
            problems.append("status %s, want %s (%s)" % (st, want, str(data)[:300]))
        if check and st == want:
            msg = check(data)
            if msg:
                problems.append(msg)
        if sentinel:
            problems += [] if bad else ["Prism reported no violation for an off-spec answer"]
            bad = []
        problems += ["violation: " + v for v in bad]
        if problems:
            self.failed += 1
            print("FAIL %-58s %s" % (name, "; ".join(problems)))
        else:
            self.passed += 1
            note = "  (spec gap: %s)" % gaps[0] if gaps else ""
            note += "  (not checked by Prism: %s)" % unchecked if unchecked and not lines else ""
            print("ok   %-58s %s%s" % (name, st, note))
        self.gaps += len(gaps)
        return data


def vault_cases(r, p, emu):
    tok = {"X-Vault-Token": "contract-root"}
    pub = {"X-Vault-Token": "contract-publisher"}
    login = r.case(p, "vault: AppRole login", "POST", "/auth/approle/login", 200,
                   {"role_id": "contract-role", "secret_id": "contract-secret-id"},
                   check=lambda d: None if d and d.get("auth", {}).get("client_token") else "no client_token")
    app = {"X-Vault-Token": (login or {}).get("auth", {}).get("client_token", "none")}
    r.case(p, "vault: lookup-self (GET)", "GET", "/auth/token/lookup-self", 200, headers=app,
           check=lambda d: None if d["data"]["ttl"] > 0 else "no ttl")
    r.case(p, "vault: lookup-self (POST)", "POST", "/auth/token/lookup-self", 200, {}, headers=app)
    r.case(p, "vault: KV v2 write, cas 0 (new)", "POST", "/secret/data/telegraf-h1", 200,
           {"data": {"token": "apiv1_x", "token_id": "id-1", "expires_at": "2030-01-01T00:00:00Z"},
            "options": {"cas": 0}}, headers=app,
           check=lambda d: None if d["data"]["version"] == 1 else "version %s" % d["data"]["version"])
    r.case(p, "vault: KV v2 write, cas 0 again (exists)", "POST", "/secret/data/telegraf-h1", 400,
           {"data": {"token": "apiv1_y"}, "options": {"cas": 0}}, headers=app,
           check=lambda d: None if "check-and-set" in d["errors"][0] else "errors %s" % d)
    r.case(p, "vault: KV v2 write, cas 1 (current)", "POST", "/secret/data/telegraf-h1", 200,
           {"data": {"token": "apiv1_y"}, "options": {"cas": 1}}, headers=app)
    emu.ctl("write", {"path": "telegraf-h1", "data": {"token": "someone else's"}})
    r.case(p, "vault: KV v2 write, cas 2 after another writer (stale)", "POST", "/secret/data/telegraf-h1", 400,
           {"data": {"token": "apiv1_z"}, "options": {"cas": 2}}, headers=app)
    r.case(p, "vault: KV v2 read", "GET", "/secret/data/telegraf-h1", 200, headers=app,
           check=lambda d: None if d["data"]["metadata"]["version"] == 3 else "version")
    r.case(p, "vault: KV v2 read ?version=2", "GET", "/secret/data/telegraf-h1?version=2", 200, headers=app,
           check=lambda d: None if d["data"]["data"]["token"] == "apiv1_y" else "wrong version")
    r.case(p, "vault: KV v2 write metadata (cas_required)", "POST", "/secret/metadata/telegraf-h1", 204,
           {"cas_required": True, "max_versions": 5}, headers=tok)
    r.case(p, "vault: KV v2 write without cas, cas_required (400)", "POST", "/secret/data/telegraf-h1", 400,
           {"data": {"token": "apiv1_w"}}, headers=tok)
    r.case(p, "vault: KV v2 read metadata", "GET", "/secret/metadata/telegraf-h1", 200, headers=app,
           check=lambda d: None if d["data"]["current_version"] == 3 else "current_version")
    r.case(p, "vault: KV v2 write, nested path as %2F", "POST", "/secret/data/fleet%2Fh2", 200,
           {"data": {"token": "apiv1_n"}, "options": {"cas": 0}}, headers=tok)
    r.case(p, "vault: KV v2 list ?list=true", "GET", "/secret/metadata/fleet/?list=true", 200, headers=tok,
           check=lambda d: None if d["data"]["keys"] == ["h2"] else "keys %s" % d["data"])
    r.case(p, "vault: KV v2 read outside the policy (403)", "GET", "/secret/data/other", 403, headers=pub)
    r.case(p, "vault: KV v2 read, unknown token (403)", "GET", "/secret/data/telegraf-h1", 403,
           headers={"X-Vault-Token": "hvs.nope"})
    emu.ctl("expire", {"token": app["X-Vault-Token"]})
    r.case(p, "vault: KV v2 write, expired token (403)", "POST", "/secret/data/telegraf-h1", 403,
           {"data": {"token": "apiv1_z"}, "options": {"cas": 3}}, headers=app)
    r.case(p, "vault: AppRole login, wrong secret_id (400)", "POST", "/auth/approle/login", 400,
           {"role_id": "contract-role", "secret_id": "wrong"})
    emu.ctl("faults", [{"path": "/data/", "count": 1, "status": 503}])
    r.case(p, "vault: KV v2 read, injected 503", "GET", "/secret/data/telegraf-h1", 503, headers=tok)
    emu.ctl("faults", [{"path": "/data/", "count": 1, "body": '{"data": "not an object"}'}])
    r.case(p, "vault: sentinel, an off-spec 200 is caught", "GET", "/secret/data/telegraf-h1", 200, headers=tok,
           sentinel=True)
    r.case(p, "vault: KV v2 delete metadata and all versions", "DELETE", "/secret/metadata/telegraf-h1", 204,
           headers=tok)
    r.case(p, "vault: KV v2 read after delete (404)", "GET", "/secret/data/telegraf-h1", 404, headers=tok)
    r.case(p, "vault: KV v2 delete metadata again (204)", "DELETE", "/secret/metadata/telegraf-h1", 204,
           headers=tok)


def b64(s):
    return base64.b64encode(s.encode()).decode()


JSON_PATCH = ("a JSON patch is an array, and the spec types every PATCH body as an object "
              "(meta.v1.Patch): the spec is wrong there")
APPLY = "Prism parses no YAML body (application/apply-patch+yaml), so it cannot read an apply body"


def k8s_cases(r, p, emu):
    adm = {"Authorization": "Bearer contract-admin"}
    pub = {"Authorization": "Bearer contract-rotator"}
    base = "/api/v1/namespaces/telegraf/secrets"
    sec = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
           "metadata": {"name": "influx-h1", "labels": {"app.kubernetes.io/managed-by": "influx-token-helper"}},
           "data": {"token": b64("apiv1_a")}}
    obj = r.case(p, "k8s: create (POST)", "POST", base, 201, sec, adm,
                 check=lambda d: None if d["metadata"].get("resourceVersion") else "no resourceVersion")
    r.case(p, "k8s: create again (409 AlreadyExists)", "POST", base, 409, sec, adm,
           check=lambda d: None if d.get("reason") == "AlreadyExists" and d.get("kind") == "Status" else "%s" % d)
    cur = r.case(p, "k8s: read (GET)", "GET", base + "/influx-h1", 200, headers=pub)
    rv = (cur or obj or {}).get("metadata", {}).get("resourceVersion", "0")
    upd = dict(sec, metadata=dict(sec["metadata"], resourceVersion=rv), data={"token": b64("apiv1_b")})
    emu.ctl("write", {"namespace": "telegraf", "name": "influx-h1", "data": {"other": b64("x")}})
    r.case(p, "k8s: replace with a stale resourceVersion (409)", "PUT", base + "/influx-h1", 409, upd, pub,
           check=lambda d: None if d.get("reason") == "Conflict" else "%s" % d)
    cur = r.case(p, "k8s: read again", "GET", base + "/influx-h1", 200, headers=pub)
    upd["metadata"]["resourceVersion"] = (cur or {}).get("metadata", {}).get("resourceVersion", "0")
    r.case(p, "k8s: replace with the current resourceVersion (PUT)", "PUT", base + "/influx-h1?fieldManager=ith",
           200, upd, pub)
    r.case(p, "k8s: merge patch", "PATCH", base + "/influx-h1?fieldManager=ith", 200,
           {"data": {"token": b64("apiv1_c")}}, dict(pub, **{"Content-Type": "application/merge-patch+json"}))
    r.case(p, "k8s: JSON patch with test", "PATCH", base + "/influx-h1", 200,
           [{"op": "test", "path": "/data/token", "value": b64("apiv1_c")},
            {"op": "replace", "path": "/data/token", "value": b64("apiv1_d")}],
           dict(pub, **{"Content-Type": "application/json-patch+json"}), unchecked=JSON_PATCH)
    r.case(p, "k8s: JSON patch whose test fails (422)", "PATCH", base + "/influx-h1", 422,
           [{"op": "test", "path": "/data/token", "value": b64("apiv1_c")}],
           dict(pub, **{"Content-Type": "application/json-patch+json"}), unchecked=JSON_PATCH)
    applied = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "influx-h1", "namespace": "telegraf"},
               "data": {"token": b64("apiv1_e")}}
    ctype = {"Content-Type": "application/apply-patch+yaml"}
    r.case(p, "k8s: server-side apply, owned by another manager (409)", "PATCH",
           base + "/influx-h1?fieldManager=influx-token-helper", 409, applied, dict(pub, **ctype),
           check=lambda d: None if d["details"]["causes"][0]["type"] == "FieldManagerConflict" else "%s" % d,
           unchecked=APPLY)
    r.case(p, "k8s: server-side apply with force", "PATCH",
           base + "/influx-h1?fieldManager=influx-token-helper&force=true", 200, applied, dict(pub, **ctype),
           unchecked=APPLY)
    r.case(p, "k8s: server-side apply without fieldManager (400)", "PATCH", base + "/influx-h1", 400, applied,
           dict(pub, **ctype), unchecked=APPLY)
    r.case(p, "k8s: list by label", "GET", base + "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dinflux-token-helper",
           200, headers=adm, check=lambda d: None if len(d["items"]) == 1 else "items %d" % len(d["items"]))
    r.case(p, "k8s: read a Secret outside the grant (403)", "GET", base + "/influx-h9", 403, headers=pub,
           check=lambda d: None if d.get("reason") == "Forbidden" else "%s" % d)
    r.case(p, "k8s: unknown bearer token (401)", "GET", base + "/influx-h1", 401,
           headers={"Authorization": "Bearer nope"})
    emu.ctl("faults", [{"path": "/secrets/", "count": 1, "status": 500}])
    r.case(p, "k8s: injected 500", "GET", base + "/influx-h1", 500, headers=pub)
    emu.ctl("faults", [{"path": "/secrets/", "count": 1, "body": '{"kind": "Secret", "metadata": "x", "data": []}'}])
    r.case(p, "k8s: sentinel, an off-spec 200 is caught", "GET", base + "/influx-h1", 200, headers=pub,
           sentinel=True)
    r.case(p, "k8s: delete with a stale precondition (409)", "DELETE", base + "/influx-h1", 409,
           {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"resourceVersion": "1"}}, adm)
    r.case(p, "k8s: delete", "DELETE", base + "/influx-h1", 200, headers=adm,
           check=lambda d: None if d.get("status") == "Success" else "%s" % d)
    r.case(p, "k8s: read after delete (404)", "GET", base + "/influx-h1", 404, headers=adm,
           check=lambda d: None if d.get("reason") == "NotFound" else "%s" % d)


class Forwarder:
    """helper -> this (drops `strip` from the path) -> Prism. HTTP/1.0: one request per connection."""

    def __init__(self, target_port, strip):
        fwd = self
        self.requests = []

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def relay(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(n, 1 << 20)) if n else None
                path = self.path[len(strip):] if strip and self.path.startswith(strip + "/") else self.path
                fwd.requests.append("%s:%s" % (self.command, path.split("?")[0]))
                hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                c = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                try:
                    c.request(self.command, path, body=body, headers=hdrs)
                    r = c.getresponse()
                    data = r.read()
                finally:
                    c.close()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() in ("content-type", "retry-after"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = relay

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Mgmt:
    """tests/emulator.py (the Management API) for the helper's tokens; stopped by stop()."""

    def __init__(self, tmp, name):
        self.account, self.cluster = str(uuid.uuid4()), str(uuid.uuid4())
        self.token_file = os.path.join(tmp, "mgmt-token-%s" % name)
        write_private(self.token_file, "mgmt_" + secrets.token_hex(24))
        port_file = os.path.join(tmp, "mgmt-%s.port" % name)
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "emulator.py"), "--account",
                                      self.account, "--cluster", self.cluster, "--mgmt-token-file", self.token_file,
                                      "--port-file", port_file], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = ch.wait_port(self.proc, port_file, 15, "the management API emulator")

    def stop(self):
        ch.stop_process(self.proc)


def write_private(path, text):
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)


HELPER_CONF = """management = { account_id = "%(account)s"; cluster_id = "%(cluster)s"; token_file = "%(mgmt)s";
  url = "http://127.0.0.1:%(mport)d/api/v0"; timeout = "10s"; deadline = "60s"; };
state_dir = "%(tmp)s/state-%(kind)s";
cluster_url = "http://127.0.0.1:%(mport)d";
tokens = ( { name = "telegraf"; write = [ "sensors" ]; lifetime = "400d"; sinks = ( { %(sink)s } ); } );
"""

# What each helper run must send (through the forwarder), after the management API's own calls.
HELPER_RUNS = {
    # the marker first, then the data (a write cut short stays ours); nothing due: the publish record says the
    # secret holds the token, so no call at all; check reads it, changing nothing
    "vault": [(["rotate"], "POST:/auth/approle/login GET:/secret/metadata/helper-telegraf "
                           "POST:/secret/metadata/helper-telegraf POST:/secret/data/helper-telegraf"),
              (["rotate"], ""),
              (["check"], "POST:/auth/approle/login GET:/secret/metadata/helper-telegraf "
                          "GET:/secret/data/helper-telegraf"),
              (["rotate", "--force"], "POST:/auth/approle/login GET:/secret/metadata/helper-telegraf "
                                      "GET:/secret/data/helper-telegraf POST:/secret/data/helper-telegraf"),
              (["revoke", "telegraf"], "POST:/auth/approle/login GET:/secret/metadata/helper-telegraf "
                                       "GET:/secret/data/helper-telegraf DELETE:/secret/metadata/helper-telegraf")],
    "k8s": [(["rotate"], "GET:/api/v1/namespaces/telegraf/secrets/influx-helper POST:/api/v1/namespaces/telegraf/secrets"),
            (["rotate"], ""),
            (["check"], "GET:/api/v1/namespaces/telegraf/secrets/influx-helper"),
            (["rotate", "--force"], "GET:/api/v1/namespaces/telegraf/secrets/influx-helper "
                                    "PUT:/api/v1/namespaces/telegraf/secrets/influx-helper"),
            (["revoke", "telegraf"], "GET:/api/v1/namespaces/telegraf/secrets/influx-helper "
                                     "DELETE:/api/v1/namespaces/telegraf/secrets/influx-helper")],
}


def helper_cases(r, p, kind, helper, tmp, creds):
    """The helper's publishers through Prism: each run exits 0, sends what HELPER_RUNS says, no violation."""
    mgmt = Mgmt(tmp, kind)
    fwd = Forwarder(p.port, "/v1" if kind == "vault" else "")
    try:
        addr = "http://127.0.0.1:%d" % fwd.port
        sink = ('type = "vault"; address = "%s"; path = "helper-telegraf"; auth = "approle"; role_id = "%s"; '
                'secret_id_file = "%s";' % (addr, creds["role_id"], creds["file"]) if kind == "vault" else
                'type = "kubernetes"; server = "%s"; token_file = "%s"; namespace = "telegraf"; '
                'secret = "influx-helper";' % (addr, creds["file"]))
        conf = os.path.join(tmp, "helper-%s.conf" % kind)
        write_private(conf, HELPER_CONF % {"account": mgmt.account, "cluster": mgmt.cluster, "mgmt": mgmt.token_file,
                                           "mport": mgmt.port, "tmp": tmp, "kind": kind, "sink": sink})
        p.new_lines(settle=0)
        for args, want in HELPER_RUNS[kind]:
            before = len(fwd.requests)
            proc = subprocess.run([helper, "-c", conf] + args, capture_output=True, text=True, timeout=90,
                                  stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "LANG": "C"})
            lines = p.new_lines()
            sent = " ".join(fwd.requests[before:])
            violations = [l.split("Violation:", 1)[1].strip() for l in lines if "Violation:" in l]
            gaps = [v for v in violations if GAP_RE.search(v)]
            bad = [v for v in violations if v not in gaps]
            bad += [l.split("›", 1)[-1].strip() for l in lines if re.search(r"\[(VALIDATOR|PROXY|NEGOTIATOR)\].*error", l)]
            problems = ["exit %d: %s" % (proc.returncode, proc.stderr.strip()[-400:])] if proc.returncode else []
            problems += [] if sent == want else ["sent %r, want %r" % (sent, want)]
            problems += ["violation: " + v for v in bad]
            name = "%s: helper %s" % (kind, " ".join(args))
            if creds["secret"] in proc.stderr + proc.stdout:
                problems.append("a secret on the helper's output")
            if problems:
                r.failed += 1
                print("FAIL %-58s %s" % (name, "; ".join(problems)))
            else:
                r.passed += 1
                print("ok   %-58s %d request(s)%s" % (name, len(fwd.requests) - before,
                                                       "  (spec gap: %s)" % gaps[0] if gaps else ""))
            r.gaps += len(gaps)
    finally:
        fwd.stop()
        mgmt.stop()


VAULT_CONFIG = {
    "mounts": ["secret"],
    "policies": {"publisher": [{"path": "secret/data/telegraf-*", "capabilities": ["create", "read", "update"]},
                               {"path": "secret/metadata/telegraf-*", "capabilities": ["read", "delete", "list"]}]},
    "tokens": [{"token": "contract-root", "policies": ["root"]},
               {"token": "contract-publisher", "policies": ["publisher"], "ttl": 3600}],
    "approle": [{"role_id": "contract-role", "secret_id": "contract-secret-id", "policies": ["publisher"],
                 "token_ttl": 600}],
}
K8S_CONFIG = {
    "namespaces": ["telegraf"],
    "users": [{"token": "contract-admin", "name": "admin", "grants": [{"namespace": "*", "verbs": ["*"]}]},
              {"token": "contract-rotator", "name": "system:serviceaccount:telegraf:influx-token-helper",
               "grants": [{"namespace": "telegraf", "verbs": ["get", "update", "patch"],
                           "resourceNames": ["influx-h1"]}]}],
}


def helper_access(kind, cfg, creds):
    """cfg with the helper's own credential (random per run): an AppRole, or a service account."""
    cfg = json.loads(json.dumps(cfg))
    if kind == "vault":
        cfg["policies"]["helper"] = [{"path": "secret/data/helper-*", "capabilities": ["create", "read", "update"]},
                                     {"path": "secret/metadata/helper-*",
                                      "capabilities": ["create", "read", "update", "delete"]}]
        cfg["approle"].append({"role_id": creds["role_id"], "secret_id": creds["secret"], "policies": ["helper"],
                               "token_ttl": 600})
    else:
        cfg["users"].append({"token": creds["secret"], "name": "system:serviceaccount:telegraf:helper",
                             "grants": [{"namespace": "telegraf", "verbs": ["get", "update", "delete"],
                                         "resourceNames": ["influx-helper"]},
                                        {"namespace": "telegraf", "verbs": ["create"]}]})
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["vault", "k8s"], help="one of the two APIs")
    ap.add_argument("--helper", help="the built influx-token-helper: its publishers go through Prism too")
    a = ap.parse_args()
    problem, need = node_problem()
    if problem:
        return skiprule.skip_exit_code("node", problem, min_version=need)
    prism = os.environ.get("ITH_PRISM") or os.path.join(HERE, "node_modules", ".bin", "prism")
    if not os.path.exists(prism):
        return skiprule.skip_exit_code("prism", "Prism is not installed (cd tests/contract && npm ci)")
    tmp = tempfile.mkdtemp(prefix="ith-central-contract-")
    r = Runner()
    started = []
    try:
        for kind, spec, cfg, prefix, cases in (("vault", VAULT_SPEC, VAULT_CONFIG, "/v1", vault_cases),
                                               ("k8s", K8S_SPEC, K8S_CONFIG, "", k8s_cases)):
            if a.only and a.only != kind:
                continue
            creds = {"secret": secrets.token_hex(20), "role_id": "helper-role",
                     "file": os.path.join(tmp, "%s-credential" % kind)}
            write_private(creds["file"], creds["secret"] + "\n")
            cfg = helper_access(kind, cfg, creds)
            emu = ch.Emulator(kind, cfg, tmp)
            started.append(emu)
            p = Prism(prism, spec, emu.port, prefix, tmp, kind)
            started.append(p)
            cases(r, p, emu)
            if a.helper:
                helper_cases(r, p, kind, os.path.abspath(a.helper), tmp, creds)
            p.stop()
            emu.stop()
    except RuntimeError as e:
        print("FAIL: %s" % e)
        r.failed += 1
    finally:
        for s in reversed(started):
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("spec gaps (error statuses the vendor's spec does not document): %d" % r.gaps)
    print("requests Prism cannot check (sent to the emulator directly): %d" % r.unchecked)
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 0 if r.failed == 0 and r.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
