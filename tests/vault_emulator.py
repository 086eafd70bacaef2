#!/usr/bin/env python3
"""A stateful emulator of the HashiCorp Vault HTTP API parts a central rotator uses.

Serves, on 127.0.0.1, with Vault's answers (docs/spec/vault-openapi.json for the
operations; the {"request_id", "lease_id", "renewable", "lease_duration", "data",
"wrap_info", "warnings", "auth"} envelope and {"errors": [...]} bodies as Vault sends them):
  KV v2, at each configured mount (default "secret"):
    GET         /v1/<mount>/data/<path>[?version=N]   200, 404 {"errors": []}
    POST / PUT  /v1/<mount>/data/<path>               {"data": {...}, "options": {"cas": N}}: 200 with
                                                      the new version; 400 "check-and-set parameter did
                                                      not match the current version" on a CAS mismatch
                                                      (cas 0: only when the secret does not exist)
    DELETE      /v1/<mount>/data/<path>               soft-deletes the latest version, 204
    GET         /v1/<mount>/metadata/<path>           200 (versions, current_version, ...), 404
    POST / PUT  /v1/<mount>/metadata/<path>           {"cas_required", "max_versions", "custom_metadata"}:
                                                      204; cas_required makes a write without cas 400
                                                      ("check-and-set parameter required for this call");
                                                      max_versions (default 10) drops the oldest versions
    DELETE      /v1/<mount>/metadata/<path>           every version and the metadata, 204 (also when
                                                      there was nothing)
    LIST (or GET ?list=true) /v1/<mount>/metadata/<dir>/   {"data": {"keys": [...]}}, 404 when empty
  Auth:
    POST /v1/auth/approle/login {"role_id", "secret_id"}: 200 {"auth": {"client_token", "lease_duration"
         (the role's token_ttl), "policies", ...}}; 400 {"errors": ["invalid role or secret ID"]}
    GET  /v1/auth/token/lookup-self    the token's id, policies, ttl, expire_time
    POST /v1/auth/token/revoke-self    204; the token is gone
  A token comes in X-Vault-Token (or "Authorization: Bearer"). A missing, unknown, expired or revoked
  token answers 403 {"errors": ["permission denied"]}; a path the token's policies do not grant, 403
  {"errors": ["1 error occurred:\\n\\t* permission denied\\n\\n"]} (Vault's ACL wording). Policies are
  lists of {"path": GLOB, "capabilities": [...]}: a trailing "*" matches any suffix, "+" one segment;
  "deny" wins; a KV v2 write needs "create" for a new secret and "update" for an existing one, a read
  "read", a metadata delete "delete", a list "list". The "root" policy allows everything.

Configuration (--config FILE, JSON; secrets come in files, never on argv):
  {"mounts": ["secret"], "policies": {"NAME": [{"path": "secret/data/app/*", "capabilities": [...]}]},
   "tokens": [{"token": "...", "policies": ["NAME"], "ttl": SECONDS (0 or absent: no expiry)}],
   "approle": [{"role_id": "...", "secret_id": "...", "policies": ["NAME"], "token_ttl": SECONDS}],
   "faults": [...]  (armed from the start; the same list as POST /_emu/faults below)}

For tests, a control interface under /_emu/ (no auth; loopback):
  GET  /_emu/requests     recorded requests: method, path, query, which token (its accessor, never the
                          token), the body's top-level keys, the KV data's keys and options (cas), no
                          secret value          POST /_emu/clear   forget them
  GET  /_emu/connections  TCP connections that carried API requests so far
  GET  /_emu/secrets      every secret with all its versions and values (the test's view)
  POST /_emu/write        {"mount", "path", "data"}: another writer's write (a new version)
  POST /_emu/tokens       {"token"?, "policies", "ttl"}: a new token; answers {"token", "accessor"}
  POST /_emu/expire       {"token": T} or {"all": true}: the token(s) expire now
  POST /_emu/revoke       {"token": T} or {"all": true}: the token(s) are revoked
  POST /_emu/policies     {"NAME": [...]}: policies added or replaced
  POST /_emu/approle      {"role_id", "secret_id", "policies", "token_ttl"}: a role added or replaced
  POST /_emu/faults       [{"method": "POST", "path": "substring", "count": 1, ...}, ...] armed faults,
                          each for `count` matching requests (method and path substring optional):
                          "status": N        answer N with {"errors": ["injected fault"]} ("message":
                                             "..." replaces the text; "retry_after": V adds Retry-After)
                          "delay": S         wait S seconds first (then the rest, or the real answer)
                          "close": true      close the connection, no answer
                          "body": "..."      answer this raw body (with "status", default 200)
                          "lost": true       carry out the request, lose the answer
                          "cas_conflict": true  just before a KV write, another writer writes a newer
                                             version of that secret (the request's cas is now stale)
                          "expire_token": true  the request's token expires just before it is served
                          "revoke_token": true  the request's token is revoked just before it is served
  GET  /_emu/stats        {"faults_used": N}

The bound port is written to --port-file (atomically) once the server listens.
"""
import argparse
import datetime as dt
import json
import re
import secrets
import sys
import threading
import time
import uuid
import emu_common
from urllib.parse import parse_qs, unquote, urlsplit

MAX_BODY = 1 << 20
ACL_DENIED = "1 error occurred:\n\t* permission denied\n\n"
CAS_MISMATCH = "check-and-set parameter did not match the current version"
CAS_REQUIRED = "check-and-set parameter required for this call"


def rfc3339(t=None):
    t = dt.datetime.now(dt.timezone.utc) if t is None else dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d000Z" % t.microsecond


def glob_match(pattern, path):
    """Vault's policy path match: "+" one segment, a trailing "*" any suffix, else exact."""
    prefix = pattern.endswith("*")
    pat = pattern[:-1] if prefix else pattern
    rx = "".join("[^/]+" if part == "+" else re.escape(part) for part in re.split(r"(\+)", pat))
    return re.fullmatch(rx + (".*" if prefix else ""), path, re.S) is not None


class State:
    def __init__(self, cfg):
        self.lock = threading.Lock()
        self.mounts = list(cfg.get("mounts") or ["secret"])
        self.policies = dict(cfg.get("policies") or {})
        self.tokens = {}     # token -> {"accessor", "policies", "expires" (epoch or None), "ttl", ...}
        self.roles = {}      # role_id -> {"secret_id", "policies", "token_ttl"}
        self.kv = {}         # (mount, path) -> {"versions": {n: {...}}, "current": n, "created", "updated"}
        self.requests = []
        self.connections = 0
        self.faults = list(cfg.get("faults") or [])   # armed from the start, as POST /_emu/faults
        self.faults_used = 0
        for t in cfg.get("tokens") or []:
            self.add_token(t.get("token"), t.get("policies", []), t.get("ttl", 0))
        for r in cfg.get("approle") or []:
            self.add_role(r)

    def add_token(self, token, policies, ttl, meta=None):
        token = token or "hvs." + secrets.token_urlsafe(24)
        ttl = int(ttl or 0)
        now = time.time()
        self.tokens[token] = {"accessor": secrets.token_urlsafe(18), "policies": list(policies), "ttl": ttl,
                              "issued": now, "expires": now + ttl if ttl > 0 else None, "revoked": False,
                              "meta": meta}
        return token

    def add_role(self, r):
        self.roles[r["role_id"]] = {"secret_id": r["secret_id"], "policies": list(r.get("policies", [])),
                                    "token_ttl": int(r.get("token_ttl", 3600))}

    def valid_token(self, token):
        t = self.tokens.get(token) if token else None
        if t is None or t["revoked"] or (t["expires"] is not None and t["expires"] <= time.time()):
            return None
        return t

    def allowed(self, tok, path, cap):
        """Whether the token's policies grant cap on path (the path without /v1/)."""
        if "root" in tok["policies"]:
            return True
        caps = set()
        best = -1
        for name in tok["policies"] + ["default"]:
            for rule in self.policies.get(name, []):
                if glob_match(rule["path"], path):
                    if "deny" in rule["capabilities"]:
                        return False
                    # the most specific (longest) matching rule decides, as in Vault
                    n = len(rule["path"])
                    if n > best:
                        best, caps = n, set(rule["capabilities"])
                    elif n == best:
                        caps |= set(rule["capabilities"])
        return cap in caps

    def take_fault(self, method, path):
        return emu_common.take_fault(self, method, path)

    def kv_write(self, mount, path, data):
        """A new version (lock held); returns its metadata."""
        s = self.kv.get((mount, path))
        now = rfc3339()
        if s is None:
            s = self.kv[(mount, path)] = {"versions": {}, "current": 0, "created": now, "updated": now,
                                          "cas_required": False, "max_versions": 0}
        s["current"] += 1
        s["updated"] = now
        s["versions"][s["current"]] = {"data": data, "created_time": now, "deletion_time": "",
                                       "destroyed": False}
        self.prune(s)
        return self.version_meta(s, s["current"])

    def prune(self, s):
        """Keep max_versions versions (0: the mount's default, 10 here), oldest first out."""
        keep = s.get("max_versions") or 10
        for n in sorted(s["versions"])[:-keep]:
            del s["versions"][n]

    @staticmethod
    def version_meta(s, n):
        v = s["versions"][n]
        return {"created_time": v["created_time"], "custom_metadata": s.get("custom_metadata"),
                "deletion_time": v["deletion_time"], "destroyed": v["destroyed"], "version": n}


def envelope(data=None, auth=None):
    return {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": False, "lease_duration": 0,
            "data": data, "wrap_info": None, "warnings": None, "auth": auth}


class Handler(emu_common.EmuHandler):
    server_version = "vault-emulator/1"
    max_body = MAX_BODY

    # ---- plumbing ----
    def send_json(self, status, obj, headers=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Cache-Control", "no-store")
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def errors(self, status, *messages, headers=None):
        self.send_json(status, {"errors": list(messages)}, headers)

    def do_PUT(self):
        self.dispatch("PUT")

    def do_LIST(self):
        self.dispatch("LIST")

    def token(self):
        tok = self.headers.get("X-Vault-Token")
        if not tok:
            auth = self.headers.get("Authorization", "")
            tok = auth[7:] if auth.startswith("Bearer ") else None
        return tok

    def log_request_entry(self, method, url, body):
        """The request, without a secret value (lock held)."""
        st = self.server.state
        tok = st.tokens.get(self.token() or "")
        entry = {"method": method, "path": url.path, "query": url.query,
                 "token": tok["accessor"] if tok else (None if not self.token() else "unknown"),
                 "content_type": self.headers.get("Content-Type")}
        try:
            req = json.loads(body) if body else None
        except ValueError:
            req = None
        if isinstance(req, dict):
            entry["body_keys"] = sorted(req)
            if isinstance(req.get("data"), dict) and "/data/" in url.path:
                entry["data_keys"] = sorted(req["data"])
            if isinstance(req.get("options"), dict):
                entry["options"] = req["options"]
        st.requests.append(entry)

    def dispatch(self, method):
        body = self.read_body()
        if body is None:
            return self.errors(413, "request body too large")
        url = urlsplit(self.path)
        if url.path.startswith("/_emu/"):
            return self.control(method, url.path, body)
        st = self.server.state
        with st.lock:
            self.count_connection(st)
            self.log_request_entry(method, url, body)
            fault = st.take_fault(method, url.path)
            if fault and (fault.get("expire_token") or fault.get("revoke_token")):
                t = st.tokens.get(self.token() or "")
                if t is not None:
                    if fault.get("revoke_token"):
                        t["revoked"] = True
                    else:
                        t["expires"] = time.time() - 1
        if fault and self.answer_fault(fault, lambda: self.api(method, url, body, None)):
            return None
        try:
            self.api(method, url, body, fault)
        except Exception as e:  # a bug in the emulator must show, not hang a test
            self.errors(500, "emulator error: %s" % e)

    def fault_error(self, fault, headers):
        self.errors(int(fault["status"]), fault.get("message", "injected fault"), headers=headers)

    # ---- the API ----
    def api(self, method, url, body, fault):
        st = self.server.state
        if not url.path.startswith("/v1/"):
            return self.errors(404, "no handler for route \"%s\". route entry not found." % url.path)
        path = unquote(url.path[4:])
        query = parse_qs(url.query)
        req = {}
        if method in ("POST", "PUT", "PATCH") and body.strip():
            try:
                req = json.loads(body)
            except ValueError:
                return self.errors(400, "error parsing JSON")
            if not isinstance(req, dict):
                return self.errors(400, "error parsing JSON")
        if path == "auth/approle/login":
            if method not in ("POST", "PUT"):
                return self.errors(405, "unsupported operation")
            return self.approle_login(req)
        token = self.token()
        with st.lock:
            tok = st.valid_token(token)
        if tok is None:
            return self.errors(403, "permission denied")
        if path == "auth/token/lookup-self":
            if method not in ("GET", "POST"):
                return self.errors(405, "unsupported operation")
            return self.lookup_self(token, tok)
        if path == "auth/token/revoke-self":
            if method not in ("POST", "PUT"):
                return self.errors(405, "unsupported operation")
            with st.lock:
                tok["revoked"] = True
            return self.send_json(204, None)
        parts = path.split("/", 2)
        if len(parts) < 3 or parts[0] not in st.mounts or parts[1] not in ("data", "metadata"):
            if len(parts) >= 1 and parts[0] in st.mounts:
                return self.errors(404, "unsupported path")
            return self.errors(403, ACL_DENIED) if not st.allowed(tok, path, "read") else \
                self.errors(404, "no handler for route \"%s\". route entry not found." % path)
        mount, kind, spath = parts
        if method == "GET" and query.get("list", [""])[0] == "true":
            method = "LIST"
        if kind == "metadata" and method == "LIST":
            return self.kv_list(tok, mount, spath.rstrip("/"))
        if not spath or spath.endswith("/"):
            return self.errors(404, "unsupported path")
        if kind == "data":
            if method == "GET":
                return self.kv_read(tok, mount, spath, query)
            if method in ("POST", "PUT"):
                return self.kv_write(tok, mount, spath, req, fault)
            if method == "DELETE":
                return self.kv_soft_delete(tok, mount, spath)
            return self.errors(405, "unsupported operation")
        if method == "GET":
            return self.kv_metadata(tok, mount, spath)
        if method in ("POST", "PUT"):
            return self.kv_write_metadata(tok, mount, spath, req)
        if method == "DELETE":
            return self.kv_destroy_all(tok, mount, spath)
        return self.errors(405, "unsupported operation")

    def kv_write_metadata(self, tok, mount, spath, req):
        """cas_required, max_versions, custom_metadata of one secret (created empty when missing)."""
        st = self.server.state
        if "max_versions" in req and (not isinstance(req["max_versions"], int) or req["max_versions"] < 0):
            return self.errors(400, "max_versions must be a non-negative integer")
        with st.lock:
            exists = (mount, spath) in st.kv
            if not st.allowed(tok, "%s/metadata/%s" % (mount, spath), "update" if exists else "create"):
                return self.errors(403, ACL_DENIED)
            s = st.kv.get((mount, spath))
            if s is None:
                now = rfc3339()
                s = st.kv[(mount, spath)] = {"versions": {}, "current": 0, "created": now, "updated": now,
                                             "cas_required": False, "max_versions": 0}
            for k in ("cas_required", "max_versions", "custom_metadata"):
                if k in req:
                    s[k] = req[k]
            st.prune(s)
        self.send_json(204, None)

    def approle_login(self, req):
        st = self.server.state
        role_id, secret_id = req.get("role_id"), req.get("secret_id")
        if not isinstance(role_id, str) or not role_id:
            return self.errors(400, "missing role_id")
        with st.lock:
            role = st.roles.get(role_id)
            if role is None or not isinstance(secret_id, str) or \
                    not secrets.compare_digest(role["secret_id"].encode(), secret_id.encode()):
                return self.errors(400, "invalid role or secret ID")
            token = st.add_token(None, role["policies"], role["token_ttl"], {"role_name": role_id[:8]})
            t = st.tokens[token]
        auth = {"client_token": token, "accessor": t["accessor"], "policies": ["default"] + role["policies"],
                "token_policies": ["default"] + role["policies"], "metadata": t["meta"],
                "lease_duration": role["token_ttl"], "renewable": True, "entity_id": str(uuid.uuid4()),
                "token_type": "service", "orphan": True, "mfa_requirement": None, "num_uses": 0}
        self.send_json(200, envelope(None, auth))

    def lookup_self(self, token, t):
        now = time.time()
        ttl = 0 if t["expires"] is None else max(0, int(t["expires"] - now))
        data = {"accessor": t["accessor"], "creation_time": int(t["issued"]), "creation_ttl": t["ttl"],
                "display_name": "approle" if t["meta"] else "token", "entity_id": "",
                "expire_time": None if t["expires"] is None else rfc3339(t["expires"]),
                "explicit_max_ttl": 0, "id": token, "issue_time": rfc3339(t["issued"]), "meta": t["meta"],
                "num_uses": 0, "orphan": True, "path": "auth/approle/login" if t["meta"] else "auth/token/create",
                "policies": ["default"] + t["policies"], "renewable": t["expires"] is not None,
                "ttl": ttl, "type": "service"}
        self.send_json(200, envelope(data))

    def kv_read(self, tok, mount, spath, query):
        st = self.server.state
        with st.lock:
            if not st.allowed(tok, "%s/data/%s" % (mount, spath), "read"):
                return self.errors(403, ACL_DENIED)
            s = st.kv.get((mount, spath))
            if s is None:
                return self.errors(404)
            if not s["versions"]:
                return self.errors(404)
            try:
                n = int(query.get("version", ["0"])[0]) or s["current"]
            except ValueError:
                return self.errors(400, "invalid version")
            if n not in s["versions"]:
                return self.errors(404)
            v = s["versions"][n]
            meta = st.version_meta(s, n)
            if v["deletion_time"] or v["destroyed"]:
                return self.send_json(404, envelope({"data": None, "metadata": meta}))
            return self.send_json(200, envelope({"data": v["data"], "metadata": meta}))

    def kv_write(self, tok, mount, spath, req, fault):
        st = self.server.state
        data = req.get("data")
        if not isinstance(data, dict):
            return self.errors(400, "no data provided")
        options = req.get("options") or {}
        if not isinstance(options, dict):
            return self.errors(400, "error parsing JSON")
        cas = options.get("cas")
        if cas is not None:
            try:
                cas = int(cas)
            except (TypeError, ValueError):
                return self.errors(400, "error converting input for field \"cas\"")
        with st.lock:
            exists = (mount, spath) in st.kv
            if not st.allowed(tok, "%s/data/%s" % (mount, spath), "update" if exists else "create"):
                return self.errors(403, ACL_DENIED)
            if fault and fault.get("cas_conflict"):
                st.kv_write(mount, spath, {"written_by": "another writer"})
            s = st.kv.get((mount, spath))
            if cas is None and s is not None and s["cas_required"]:
                return self.errors(400, CAS_REQUIRED)
            if cas is not None and cas != (s["current"] if s else 0):
                return self.errors(400, CAS_MISMATCH)
            meta = st.kv_write(mount, spath, data)
        self.send_json(200, envelope(meta))

    def kv_soft_delete(self, tok, mount, spath):
        st = self.server.state
        with st.lock:
            if not st.allowed(tok, "%s/data/%s" % (mount, spath), "delete"):
                return self.errors(403, ACL_DENIED)
            s = st.kv.get((mount, spath))
            if s is not None and s["current"] in s["versions"]:
                v = s["versions"][s["current"]]
                v["deletion_time"] = v["deletion_time"] or rfc3339()
        self.send_json(204, None)

    def kv_metadata(self, tok, mount, spath):
        st = self.server.state
        with st.lock:
            if not st.allowed(tok, "%s/metadata/%s" % (mount, spath), "read"):
                return self.errors(403, ACL_DENIED)
            s = st.kv.get((mount, spath))
            if s is None:
                return self.errors(404)
            versions = {str(n): {k: v[k] for k in ("created_time", "deletion_time", "destroyed")}
                        for n, v in s["versions"].items()}
            data = {"cas_required": s["cas_required"], "created_time": s["created"],
                    "current_version": s["current"], "custom_metadata": s.get("custom_metadata"),
                    "delete_version_after": "0s",
                    "max_versions": s["max_versions"], "oldest_version": min(s["versions"]) if s["versions"] else 0,
                    "updated_time": s["updated"], "versions": versions}
        self.send_json(200, envelope(data))

    def kv_destroy_all(self, tok, mount, spath):
        st = self.server.state
        with st.lock:
            if not st.allowed(tok, "%s/metadata/%s" % (mount, spath), "delete"):
                return self.errors(403, ACL_DENIED)
            st.kv.pop((mount, spath), None)
        self.send_json(204, None)

    def kv_list(self, tok, mount, sdir):
        st = self.server.state
        with st.lock:
            if not st.allowed(tok, "%s/metadata/%s" % (mount, sdir + "/" if sdir else ""), "list"):
                return self.errors(403, ACL_DENIED)
            prefix = sdir + "/" if sdir else ""
            keys = set()
            for (m, p) in st.kv:
                if m == mount and p.startswith(prefix):
                    rest = p[len(prefix):]
                    keys.add(rest.split("/", 1)[0] + ("/" if "/" in rest else ""))
        if not keys:
            return self.errors(404)
        self.send_json(200, envelope({"keys": sorted(keys)}))

    # ---- control ----
    def control(self, method, p, body):
        st = self.server.state
        try:
            req = json.loads(body) if body.strip() else {}
        except ValueError:
            return self.errors(400, "control: invalid JSON")
        with st.lock:
            if self.common_control(st, method, p):
                return None
            if p == "/_emu/secrets" and method == "GET":
                out = [{"mount": m, "path": pth, "current_version": s["current"],
                        "versions": {str(n): v for n, v in s["versions"].items()}}
                       for (m, pth), s in sorted(st.kv.items())]
                return self.send_json(200, out)
            if p == "/_emu/write" and method == "POST":
                return self.send_json(200, st.kv_write(req.get("mount", st.mounts[0]), req["path"], req["data"]))
            if p == "/_emu/tokens" and method == "POST":
                token = st.add_token(req.get("token"), req.get("policies", []), req.get("ttl", 0))
                return self.send_json(200, {"token": token, "accessor": st.tokens[token]["accessor"]})
            if p in ("/_emu/expire", "/_emu/revoke") and method == "POST":
                for tk, t in st.tokens.items():
                    if req.get("all") or tk == req.get("token"):
                        if p == "/_emu/revoke":
                            t["revoked"] = True
                        else:
                            t["expires"] = time.time() - 1
                return self.send_json(200, {})
            if p == "/_emu/policies" and method == "POST":
                st.policies.update(req)
                return self.send_json(200, {})
            if p == "/_emu/approle" and method == "POST":
                st.add_role(req)
                return self.send_json(200, {})
            if p == "/_emu/faults" and method == "POST":
                st.faults = req if isinstance(req, list) else []
                return self.send_json(200, {})
        self.errors(404, "no such control endpoint")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="The control interface (/_emu/...) is described at the top of this file.")
    ap.add_argument("--config", metavar="FILE", help="JSON: mounts, policies, tokens, approle roles (see above)")
    emu_common.add_server_args(ap)
    a = ap.parse_args()
    emu_common.serve(Handler, State(emu_common.load_config(a.config)), a)

if __name__ == "__main__":
    sys.exit(main())
