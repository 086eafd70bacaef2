#!/usr/bin/env python3
"""A stateful emulator of the InfluxDB Cloud Dedicated Management API (tokens part).

Serves the five token endpoints of docs/spec/management-openapi.yml on
127.0.0.1 with the spec's status codes (create 200, delete 204) and
{code, message} error bodies, and checks requests strictly: UUIDs, the Bearer
management token, a description, the permissions shape, an RFC 3339
expiresAt in the future. accessToken appears only in the create answer;
delete sets revokedAt.

For tests it records every request (method, path, body), counts TCP
connections, and has a control interface under /_emu/ (no auth; loopback):
  GET  /_emu/requests      recorded requests        POST /_emu/clear  forget them
  GET  /_emu/connections   TCP connections that carried API requests so far
  GET  /_emu/tokens        all tokens, with secrets (the test's view)
  POST /_emu/tokens        add a token as-is (look-alikes made by "others")
  POST /_emu/config        {"hide_revoked": bool (default false: revoked tokens are listed, as
                            influxctl's --include-revoked shows they exist), "activation_delay": seconds,
                            "documented_expiry": bool (expiresAt counts only with
                            "expirationType": "datetime", as the docs say; default false),
                            "expiry_shift": seconds added to the expiry a create stores,
                            "date_shift": seconds added to the Date header of every answer (a server
                            clock ahead, or behind when negative),
                            "random_faults": {"rate": R, "data_plane_rate": D, "seed": N, "delay": S}:
                            besides armed faults, each API request fails with probability R and each
                            data-plane request with D, drawn (seeded) from: 500; 503 with Retry-After 1;
                            the connection closed; a delay of S seconds (default 2); and for the API a
                            lost answer (the change made). null or {} turns them off}
  GET  /_emu/stats         {"random_faults": how many random faults were injected}
  POST /_emu/seed          {"count": N, "revoked": M, "actions": [...], "other_hosts": bool,
                            "extra": bool}: N tokens of other hosts and teams in one call, the
                            first M of them revoked, permission actions cycling through
                            "actions" (default read, write, manage), with other hosts' markers
                            when other_hosts, with unknown fields when extra
  POST /_emu/forget        {"id": ...}: the token vanishes (DELETE then answers 404)

The data plane, for activation probes: POST /api/v2/write?bucket=DB and
GET /query?db=DB with "Authorization: Token <database token>" answer 401 for
unknown, revoked or expired tokens and for activation_delay seconds after
creation, 403 without the permission, else 204 / 200.
  POST /_emu/faults        [{"method":"POST","count":1, ...}, ...] armed faults, each
                           for `count` matching requests (method, path substring):
                           "status": N       answer N with an error body
                           "retry_after": V  with a Retry-After header (seconds or HTTP-date)
                           "delay": S        wait S seconds first
                           "close": true     close the connection, no answer
                           "body": "..."     answer this raw body ("status" default 200)
                           "big": N          answer N bytes of blanks
                           "lost": true      carry out the request, lose the answer
                           "patch": {...}    carry out the request, answer with these fields
                                             changed (null removes one): e.g. a create answer
                                             with a past expiresAt, the token still committed
                           Faults with a "path" under /api/v2/write or /query apply to the
                           data plane ("status", "delay" and "close" only).

Secrets never come in on argv: the management token is read from the file
named by --mgmt-token-file. The bound port is written to --port-file.
"""
import argparse
import datetime as dt
import json
import re
import random
import secrets
import sys
import time
import threading
import uuid
import emu_common

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
BASE = "/api/v0/accounts/"
MAX_BODY = 1 << 20


def now():
    return dt.datetime.now(dt.timezone.utc)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def parse_rfc3339(s):
    if not isinstance(s, str) or not RFC3339_RE.match(s):
        return None
    try:
        return dt.datetime.fromisoformat(s.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    except ValueError:
        return None


class State:
    def __init__(self, account, cluster, mgmt_token):
        self.lock = threading.Lock()
        self.account = account
        self.cluster = cluster
        self.mgmt_token = mgmt_token
        self.tokens = {}          # id -> dict (with accessToken kept privately)
        self.order = []
        self.requests = []
        self.connections = 0
        self.hide_revoked = False
        self.activation_delay = 0.0   # data plane: 401 for this long after creation
        self.documented_expiry = False  # expiresAt only with expirationType "datetime"
        self.expiry_shift = 0.0
        self.date_shift = 0.0
        self.faults = []
        self.random_faults = None
        self.rng = random.Random(0)
        self.random_faults_used = 0

    def take_fault(self, method, path, data_plane):
        """The first armed fault matching the request, its count used up (lock held)."""
        for f in self.faults:
            fp = f.get("path", "")
            on_dp = fp.startswith("/api/v2/write") or fp.startswith("/query")
            if f.get("count", 0) > 0 and on_dp == data_plane and f.get("method", method) == method and fp in path:
                f["count"] -= 1
                return f
        return None

    def random_fault(self, data_plane):
        """A fault drawn at the configured rate (lock held), or None."""
        rf = self.random_faults
        if not rf or self.rng.random() >= float(rf.get("data_plane_rate" if data_plane else "rate", 0)):
            return None
        self.random_faults_used += 1
        kinds = ["500", "503", "close", "delay"] + ([] if data_plane else ["lost"])
        return {"500": {"status": 500}, "503": {"status": 503, "retry_after": 1}, "close": {"close": True},
                "delay": {"delay": float(rf.get("delay", 2))}, "lost": {"lost": True}}[self.rng.choice(kinds)]

    def public(self, t):
        out = {k: v for k, v in t.items() if k != "accessToken" and v is not None}
        return out


class Handler(emu_common.EmuHandler):
    server_version = "mgmt-emulator/1"
    max_body = MAX_BODY

    def date_time_string(self, timestamp=None):  # the Date header: the server's clock, shifted for tests
        shift = getattr(self.server, "state", None) and self.server.state.date_shift or 0
        return super().date_time_string((time.time() if timestamp is None else timestamp) + shift)

    # ---- plumbing ----
    def send_json(self, status, obj):
        patch = getattr(self, "answer_patch", None)
        if patch is not None and isinstance(obj, dict):
            self.answer_patch = None
            obj = dict(obj)
            for k, v in patch.items():
                if v is None:
                    obj.pop(k, None)
                else:
                    obj[k] = v
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def error(self, status, message, headers=None):
        body = json.dumps({"code": status, "message": message}).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def dispatch(self, method):
        body = self.read_body()
        if body is None:
            return self.error(413, "body too large")
        st = self.server.state
        if self.path.startswith("/_emu/"):
            return self.control(method, body)
        if self.path.startswith("/api/v2/write") or self.path.startswith("/query"):
            return self.data_plane(method)
        with st.lock:
            self.count_connection(st)
            st.requests.append({"method": method, "path": self.path,
                                "body": body.decode("utf-8", "replace"),
                                "user_agent": self.headers.get("User-Agent"),
                                "accept": self.headers.get("Accept"),
                                "content_type": self.headers.get("Content-Type"),
                                "auth_scheme": self.headers.get("Authorization", "").split(" ")[0]})
            fault = st.take_fault(method, self.path, False) or st.random_fault(False)
        self.answer_patch = None
        if fault:
            if self.fault_stall(fault):      # connection closed with no answer
                return None
            if "body" in fault or "big" in fault:
                raw = fault.get("body", "").encode() if "body" in fault else b" " * int(fault["big"])
                self.send_raw(fault.get("status", 200), raw)
                return None
            if fault.get("lost"):            # the change is made, the answer is lost
                self.lose_answer(lambda: self.api(method, body))
                return None
            if "status" in fault:
                extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
                return self.error(fault["status"], "injected fault", extra)
            if "patch" in fault:             # the change is made, the answer altered
                self.answer_patch = fault["patch"]
        try:
            self.api(method, body)
        except Exception as e:  # a bug in the emulator must show, not hang a test
            self.error(500, "emulator error: %s" % e)

    def data_plane(self, method):
        """Writes and queries with a database token: 401 unknown, revoked, expired or not yet
        active (activation_delay); 403 without the permission; else success."""
        st = self.server.state
        from urllib.parse import urlparse, parse_qs
        u = urlparse(self.path)
        q = parse_qs(u.query)
        write = u.path == "/api/v2/write"
        if (write and method != "POST") or (not write and method != "GET"):
            return self.error(405, "method not allowed")
        db = (q.get("bucket") if write else q.get("db")) or [""]
        db = db[0]
        auth = self.headers.get("Authorization", "")
        with st.lock:
            st.requests.append({"method": method, "path": self.path, "body": "",
                                "user_agent": self.headers.get("User-Agent"), "accept": self.headers.get("Accept"),
                                "content_type": self.headers.get("Content-Type"),
                                "auth_scheme": auth.split(" ")[0]})
            fault = st.take_fault(method, self.path, True) or st.random_fault(True)
            tok = None
            if auth.startswith("Token "):
                for t in st.tokens.values():
                    if t.get("accessToken") and t["accessToken"] == auth[6:]:
                        tok = t
            delay = st.activation_delay
        if fault:
            if self.fault_stall(fault):
                return None
            if "status" in fault:
                return self.error(fault["status"], "injected fault")
        if tok is None or tok.get("revokedAt"):
            return self.error(401, "unauthorized")
        exp = parse_rfc3339(tok["expiresAt"]) if tok.get("expiresAt") else None
        if exp is not None and exp <= now():
            return self.error(401, "token expired")
        if (now() - parse_rfc3339(tok["createdAt"])).total_seconds() < delay:
            return self.error(401, "unauthorized")  # not yet activated
        want = "write" if write else "read"
        if not any(p["action"] == want and p["resource"] in (db, "*") for p in tok["permissions"]):
            return self.error(403, "forbidden")
        if write:
            return self.send_json(204, None)
        return self.send_json(200, {"results": [{"statement_id": 0}]})

    # ---- the API ----
    def api(self, method, body):
        st = self.server.state
        path = self.path.split("?", 1)[0]
        if not path.startswith(BASE):
            return self.error(404, "not found")
        parts = path[len(BASE):].split("/")
        # accountId / clusters / clusterId / tokens [/ tokenId]
        if len(parts) not in (4, 5) or parts[1] != "clusters" or parts[3] != "tokens":
            return self.error(404, "not found")
        account, cluster = parts[0], parts[2]
        if not UUID_RE.match(account) or not UUID_RE.match(cluster):
            return self.error(400, "accountId and clusterId must be UUIDs")
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + st.mgmt_token:
            return self.error(401, "unauthorized")
        if account != st.account or cluster != st.cluster:
            return self.error(403, "forbidden")
        if self.headers.get("Accept") != "application/json":
            return self.error(400, "Accept: application/json required")
        token_id = parts[4] if len(parts) == 5 else None
        if token_id is not None and not UUID_RE.match(token_id):
            return self.error(400, "tokenId must be a UUID")
        if method in ("POST", "PATCH"):
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                return self.error(400, "Content-Type: application/json required")
            try:
                req = json.loads(body)
            except ValueError:
                return self.error(400, "invalid JSON")
            if not isinstance(req, dict):
                return self.error(400, "body must be an object")
        if token_id is None:
            if method == "GET":
                return self.list_tokens()
            if method == "POST":
                return self.create(req)
            return self.error(405, "method not allowed")
        with st.lock:
            t = st.tokens.get(token_id)
        if t is None:
            return self.error(404, "not found")
        if method == "GET":
            return self.send_json(200, st.public(t))
        if method == "PATCH":
            return self.update(t, req)
        if method == "DELETE":
            with st.lock:
                if t.get("revokedAt") is None:
                    t["revokedAt"] = rfc3339(now())
            return self.send_json(204, None)
        return self.error(405, "method not allowed")

    def check_permissions(self, perms):
        if not isinstance(perms, list):
            return "permissions must be an array"
        for p in perms:
            if not isinstance(p, dict) or set(p) != {"action", "resource"}:
                return "each permission is {action, resource}"
            if p["action"] not in ("read", "write"):
                return "action must be read or write"
            r = p["resource"]
            if not isinstance(r, str) or not (r == "*" or 1 <= len(r) <= 64):
                return "resource must be a database name (1-64 chars) or *"
        return None

    def list_tokens(self):
        st = self.server.state
        with st.lock:
            out = [st.public(st.tokens[i]) for i in st.order
                   if not (st.hide_revoked and st.tokens[i].get("revokedAt"))]
        self.send_json(200, out)

    def create(self, req):
        st = self.server.state
        unknown = set(req) - {"description", "permissions", "expiresAt", "expirationType"}
        if unknown:
            return self.error(400, "unknown fields: %s" % ", ".join(sorted(unknown)))
        etype = req.get("expirationType")
        if etype not in (None, "datetime", "noExpiration"):
            return self.error(400, "expirationType must be datetime or noExpiration")
        if etype == "datetime" and req.get("expiresAt") is None:
            return self.error(400, "expiresAt is required when expirationType is datetime")
        if not isinstance(req.get("description"), str) or not req["description"]:
            return self.error(400, "description is required")
        perms = req.get("permissions", [])
        err = self.check_permissions(perms)
        if err:
            return self.error(400, err)
        exp = req.get("expiresAt")
        if exp is not None:
            t = parse_rfc3339(exp)
            if t is None:
                return self.error(400, "expiresAt must be an RFC 3339 date-time")
            if t <= now():
                return self.error(400, "expiresAt must be in the future")
        # The docs: expiresAt "is only required when expirationType is datetime"; read literally,
        # without that type (or with noExpiration) the token never expires.
        if etype == "noExpiration" or (st.documented_expiry and etype != "datetime"):
            exp = None
        if exp is not None and st.expiry_shift:
            exp = rfc3339(parse_rfc3339(exp) + dt.timedelta(seconds=st.expiry_shift))
        tok = {
            "accountId": st.account, "clusterId": st.cluster, "id": str(uuid.uuid4()),
            "description": req["description"], "permissions": perms,
            "createdAt": rfc3339(now()), "expiresAt": exp, "revokedAt": None, "expirationType": etype,
            "accessToken": "apiv1_" + secrets.token_hex(32),
        }
        with st.lock:
            st.tokens[tok["id"]] = tok
            st.order.append(tok["id"])
            out = dict(st.public(tok), accessToken=tok["accessToken"])
        self.send_json(200, out)

    def update(self, t, req):
        st = self.server.state
        if not req or set(req) - {"description", "permissions"}:
            return self.error(400, "give description and/or permissions, nothing else")
        if "description" in req and (not isinstance(req["description"], str) or not req["description"]):
            return self.error(400, "description must be a non-empty string")
        if "permissions" in req:
            err = self.check_permissions(req["permissions"])
            if err:
                return self.error(400, err)
        with st.lock:
            t.update(req)
            out = st.public(t)
        self.send_json(200, out)

    # ---- control ----
    def control(self, method, body):
        st = self.server.state
        p = self.path
        with st.lock:
            if p == "/_emu/requests" and method == "GET":
                return self.send_json(200, st.requests)
            if p == "/_emu/clear" and method == "POST":
                st.requests = []
                return self.send_json(200, {})
            if p == "/_emu/stats":
                return self.send_json(200, {"random_faults": st.random_faults_used})
            if p == "/_emu/connections":
                return self.send_json(200, {"connections": st.connections})
            if p == "/_emu/tokens" and method == "GET":
                return self.send_json(200, [st.tokens[i] for i in st.order])
            if p == "/_emu/tokens" and method == "POST":
                t = json.loads(body)
                t.setdefault("id", str(uuid.uuid4()))
                t.setdefault("accountId", st.account)
                t.setdefault("clusterId", st.cluster)
                t.setdefault("createdAt", rfc3339(now()))
                t.setdefault("permissions", [])
                t.setdefault("revokedAt", None)
                st.tokens[t["id"]] = t
                st.order.append(t["id"])
                return self.send_json(200, t)
            if p == "/_emu/config" and method == "POST":
                cfg = json.loads(body)
                st.hide_revoked = bool(cfg.get("hide_revoked", st.hide_revoked))
                st.activation_delay = float(cfg.get("activation_delay", st.activation_delay))
                st.documented_expiry = bool(cfg.get("documented_expiry", st.documented_expiry))
                st.expiry_shift = float(cfg.get("expiry_shift", st.expiry_shift))
                st.date_shift = float(cfg.get("date_shift", st.date_shift))
                if "random_faults" in cfg:
                    st.random_faults = cfg["random_faults"] or None
                    st.rng = random.Random((cfg["random_faults"] or {}).get("seed", 0))
                return self.send_json(200, {})
            if p == "/_emu/seed" and method == "POST":
                return self.send_json(200, {"seeded": seed(st, json.loads(body))})
            if p == "/_emu/forget" and method == "POST":   # the token vanishes: DELETE answers 404
                i = json.loads(body)["id"]
                st.tokens.pop(i, None)
                st.order = [x for x in st.order if x != i]
                return self.send_json(200, {})
            if p == "/_emu/faults" and method == "POST":
                st.faults = json.loads(body)
                return self.send_json(200, {})
        self.error(404, "no such control endpoint")


def seed(st, req):
    """Many tokens of other hosts and teams in one call (lock held): the inventory of a shared,
    fleet-sized cluster, revoked ones included, with actions the helper never makes."""
    count = int(req.get("count", 0))
    revoked = int(req.get("revoked", 0))
    actions = req.get("actions") or ["read", "write", "manage"]
    created = rfc3339(now() - dt.timedelta(days=2))
    gone = rfc3339(now() - dt.timedelta(days=1))
    for i in range(count):
        tid = str(uuid.uuid4())
        if req.get("other_hosts"):
            desc = "Telegraf writer [influx-token-helper:%s:telegraf]" % uuid.uuid4()
        else:
            desc = "team token %d" % i
        t = {"accountId": st.account, "clusterId": st.cluster, "id": tid, "description": desc,
             "permissions": [{"action": actions[i % len(actions)], "resource": "db%d" % (i % 50)}],
             "createdAt": created, "expiresAt": rfc3339(now() + dt.timedelta(days=30)),
             "revokedAt": gone if i < revoked else None}
        if req.get("extra"):
            t["expirationType"] = "datetime"
            t["labels"] = {"team": "ops", "n": i}
        st.tokens[tid] = t
        st.order.append(tid)
    return count


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="The management token is read from a file, never from the command line. "
               "The control interface (/_emu/...) is described at the top of this file.")
    ap.add_argument("--account", required=True, metavar="UUID", help="the only account id the API accepts")
    ap.add_argument("--cluster", required=True, metavar="UUID", help="the only cluster id the API accepts")
    ap.add_argument("--mgmt-token-file", required=True, metavar="FILE",
                    help="file holding the management token that requests must carry as Bearer")
    emu_common.add_server_args(ap)
    a = ap.parse_args()
    with open(a.mgmt_token_file) as f:
        mgmt = f.read().strip()
    emu_common.serve(Handler, State(a.account, a.cluster, mgmt), a)

if __name__ == "__main__":
    sys.exit(main())
