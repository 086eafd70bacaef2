#!/usr/bin/env python3
"""A stateful emulator of the Kubernetes API server's core v1 Secrets.

Serves, on 127.0.0.1, the Secret operations of the core v1 API
(docs/spec/kubernetes-api-v1-openapi.json) with the API server's answers:
  GET    /api/v1/namespaces/{ns}/secrets[?labelSelector=a=b,c=d]   SecretList
  POST   /api/v1/namespaces/{ns}/secrets                 201; 409 AlreadyExists
  GET    /api/v1/namespaces/{ns}/secrets/{name}          200; 404 NotFound
  PUT    /api/v1/namespaces/{ns}/secrets/{name}          200; 409 Conflict when metadata.resourceVersion
                                                         is stale (absent: an unconditional update);
                                                         404 when the Secret does not exist
  PATCH  /api/v1/namespaces/{ns}/secrets/{name}          Content-Type:
           application/merge-patch+json, application/strategic-merge-patch+json (a Secret has no
             list merge keys: the same as a merge patch), application/json-patch+json (add, replace,
             remove, test); a metadata.resourceVersion in a merge patch is a precondition (409);
           application/apply-patch+yaml: server-side apply, fieldManager required (400 without),
             force=true takes fields owned by other managers, otherwise 409 Conflict with one
             FieldManagerConflict cause per field; fields the manager applied before and leaves out
             now are removed; creates the Secret when missing (201), which RBAC must allow as "create"
             too. The body must be JSON (a subset of YAML; this emulator has no YAML parser).
           Anything else: 415.
  DELETE /api/v1/namespaces/{ns}/secrets/{name}          200 Status Success; DeleteOptions
                                                         preconditions (resourceVersion, uid): 409
  Every write takes the next resourceVersion (one counter, as etcd's revision). data values are
  base64 (400 when not); stringData is merged into data on write and never stored or returned.
  Keys must match [-._a-zA-Z0-9]+ (422 Invalid). An immutable Secret's data cannot change (422).
  managedFields record each manager's fields (FieldsV1) with operation Apply or Update.
  A namespace that does not exist holds nothing: a read or write of a Secret in it answers 404
  'secrets "x" not found', a list is empty, a create (or an apply that would create) 404
  'namespaces "ns" not found'.
  Errors are Status objects: {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status":
  "Failure", "message", "reason", "details": {"name", "kind": "secrets"}, "code"}.
  Auth: "Authorization: Bearer TOKEN": a missing or unknown token answers 401 Unauthorized; a request
  the token's RBAC grants do not allow, 403 Forbidden ('secrets "x" is forbidden: User "U" cannot get
  resource "secrets" in API group "" in the namespace "ns"'). A grant is {"namespace", "verbs",
  "resourceNames"}: as in RBAC, resourceNames never match create (POST) or list, which carry no name.

Configuration (--config FILE, JSON; tokens come in a file, never on argv):
  {"namespaces": ["default"],
   "users": [{"token": "...", "name": "system:serviceaccount:ns:sa",
              "grants": [{"namespace": "ns", "verbs": ["get", "update", "patch"], "resourceNames": ["x"]}]}],
   "faults": [...]  (armed from the start; the same list as POST /_emu/faults below)}
  A grant with "verbs": ["*"] allows every verb; without resourceNames (or empty) every name.

For tests, a control interface under /_emu/ (no auth; loopback):
  GET  /_emu/requests     recorded requests: method, path, query, content type, user (never the token),
                          fieldManager, the body's top-level keys, metadata.resourceVersion and the data
                          keys, never a value                       POST /_emu/clear   forget them
  GET  /_emu/connections  TCP connections that carried API requests so far
  GET  /_emu/secrets      every Secret as stored (the test's view)
  POST /_emu/write        {"namespace", "name", "data": {k: base64}, "manager"?}: another writer's update
                          (creates the Secret when missing); answers the object
  POST /_emu/users        {"token", "name", "grants"}: a user added or replaced
  POST /_emu/revoke       {"token": T}: the token is no longer accepted (401)
  POST /_emu/faults       [{"method", "path", "count", ...}] armed faults as in tests/emulator.py:
                          "status": N (with a Status body; "reason", "message"; "retry_after": V adds
                          Retry-After), "delay": S, "close": true, "lost": true, "body": "..." (this raw answer, with
                          "status", default 200), and
                          "conflict": true: just before a write another writer updates that Secret
                          (the request's resourceVersion is now stale)
  GET  /_emu/stats        {"faults_used": N}

The bound port is written to --port-file (atomically) once the server listens.
"""
import argparse
import base64
import binascii
import copy
import datetime as dt
import json
import re
import secrets
import sys
import threading
import uuid
import emu_common
from urllib.parse import parse_qs, unquote, urlsplit

MAX_BODY = 3 << 20
PREFIX = "/api/v1/namespaces/"
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           409: "Conflict", 410: "Gone", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
           500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}
PATCH_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json",
               "application/json-patch+json", "application/apply-patch+yaml")


def now_ts():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_obj(code, message, reason=None, name=None, causes=None):
    out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
           "reason": reason or REASONS.get(code, ""), "code": code}
    if name is not None or causes:
        det = {"name": name, "kind": "secrets"} if name is not None else {"kind": "secrets"}
        if causes:
            det["causes"] = causes
        out["details"] = det
    return out


def field_paths(obj):
    """The leaf fields an object (a Secret's user-set part) sets, as tuples: ("data", "k"), ("type",),
    ("metadata", "labels", "k"), ("metadata", "annotations", "k")."""
    out = set()
    for k in (obj.get("data") or {}):
        out.add(("data", k))
    if obj.get("type") is not None:
        out.add(("type",))
    if obj.get("immutable") is not None:
        out.add(("immutable",))
    md = obj.get("metadata") or {}
    for part in ("labels", "annotations"):
        for k in (md.get(part) or {}):
            out.add(("metadata", part, k))
    return out


def get_field(obj, path):
    cur = obj
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def fields_v1(paths):
    out = {}
    for p in sorted(paths):
        cur = out
        for seg in p:
            cur = cur.setdefault("f:" + seg, {})
    return out


def render_path(p):
    return "." + ".".join(p)


class State:
    def __init__(self, cfg):
        self.lock = threading.Lock()
        self.namespaces = set(cfg.get("namespaces") or ["default"])
        self.users = {}
        for u in cfg.get("users") or []:
            self.users[u["token"]] = {"name": u.get("name", "user"), "grants": u.get("grants", [])}
        self.secrets = {}   # (ns, name) -> object (data base64), plus "_managers": {manager: {op, fields, time}}
        self.rv = 1000
        self.requests = []
        self.connections = 0
        self.faults = list(cfg.get("faults") or [])   # armed from the start, as POST /_emu/faults
        self.faults_used = 0

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def authorized(self, user, verb, ns, name):
        for g in user["grants"]:
            if g.get("namespace", ns) not in (ns, "*"):
                continue
            verbs = g.get("verbs", [])
            if verb not in verbs and "*" not in verbs:
                continue
            names = g.get("resourceNames") or []
            if not names or (name and name in names):
                return True
        return False

    def take_fault(self, method, path):
        return emu_common.take_fault(self, method, path)

    def public(self, obj):
        out = {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}
        mf = []
        for mgr, m in sorted(obj["_managers"].items()):
            if m["fields"]:
                mf.append({"manager": mgr, "operation": m["op"], "apiVersion": "v1", "time": m["time"],
                           "fieldsType": "FieldsV1", "fieldsV1": fields_v1(m["fields"])})
        out["metadata"]["managedFields"] = mf
        return out

    def store(self, ns, name, new, manager, op, applied=None, old=None):
        """Write new (the user part, lock held) as the next version; manager owns the fields it changed
        (op Update) or the fields it applied (op Apply)."""
        md = new.setdefault("metadata", {})
        if old is None:
            md["uid"] = str(uuid.uuid4())
            md["creationTimestamp"] = now_ts()
            managers = {}
        else:
            md["uid"] = old["metadata"]["uid"]
            md["creationTimestamp"] = old["metadata"]["creationTimestamp"]
            managers = copy.deepcopy(old["_managers"])
        md["name"], md["namespace"] = name, ns
        md["resourceVersion"] = self.next_rv()
        for k in ("managedFields", "generation", "selfLink", "deletionTimestamp"):
            md.pop(k, None)
        new["kind"], new["apiVersion"] = "Secret", "v1"
        new.setdefault("type", "Opaque")
        now_fields = field_paths(new)
        before = field_paths(old) if old is not None else set()
        changed = {p for p in now_fields | before if old is None or get_field(old, p) != get_field(new, p)}
        for m in managers.values():   # a changed field leaves its other owners (Apply: forced or new)
            m["fields"] = (m["fields"] - changed) & now_fields
        prev = managers.get(manager, {"fields": set()})["fields"]
        fields = set(applied) if applied is not None else (prev | changed) & now_fields
        if fields:
            managers[manager] = {"op": op, "fields": fields, "time": now_ts()}
        else:
            managers.pop(manager, None)
        new["_managers"] = managers
        self.secrets[(ns, name)] = new
        return new


def decode_check(data):
    """None when every value of a Secret's data is valid base64 and every key is valid, else (code, msg)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return 400, "Secret in version \"v1\" cannot be handled as a Secret: data must be an object"
    for k, v in data.items():
        if not KEY_RE.match(k):
            return 422, "data[%s]: Invalid value: \"%s\": a valid config key must consist of alphanumeric " \
                        "characters, '-', '_' or '.'" % (k, k)
        if not isinstance(v, str):
            return 400, "Secret in version \"v1\" cannot be handled as a Secret: data values must be strings"
        try:
            base64.b64decode(v.encode(), validate=True)
        except (binascii.Error, ValueError):
            return 400, ("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in "
                         "data[%s]" % k)
    return None


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(doc, ops):
    """RFC 6902 add, replace, remove, test on objects (a Secret has no arrays the publisher touches)."""
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "path" not in op:
            raise ValueError("invalid JSON patch operation")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            if not isinstance(parent, dict) or p not in parent:
                raise LookupError("path %s not found" % op["path"])
            parent = parent[p]
        last = parts[-1] if parts else None
        kind = op.get("op")
        if kind == "test":
            if not isinstance(parent, dict) or parent.get(last) != op.get("value"):
                raise AssertionError("testing value %s failed" % op["path"])
        elif kind in ("add", "replace"):
            if kind == "replace" and last not in parent:
                raise LookupError("replace operation does not apply: doc is missing key: %s" % op["path"])
            parent[last] = copy.deepcopy(op.get("value"))
        elif kind == "remove":
            if last not in parent:
                raise LookupError("remove operation does not apply: doc is missing key: %s" % op["path"])
            del parent[last]
        else:
            raise ValueError("unsupported JSON patch operation %r" % kind)
    return doc


def user_part(obj):
    """What a client may set: data (with stringData folded in), type, immutable, labels, annotations,
    and the resourceVersion it sent (a precondition, taken out by the caller)."""
    md = obj.get("metadata") or {}
    data = dict(obj.get("data") or {})
    for k, v in (obj.get("stringData") or {}).items():
        data[k] = base64.b64encode(str(v).encode()).decode()
    out = {"metadata": {k: copy.deepcopy(md[k]) for k in ("labels", "annotations") if md.get(k)}}
    if obj.get("data") is not None or obj.get("stringData"):
        out["data"] = data
    for k in ("type", "immutable"):
        if obj.get(k) is not None:
            out[k] = obj[k]
    return out


class Handler(emu_common.EmuHandler):
    server_version = "k8s-emulator/1"
    max_body = MAX_BODY

    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def status(self, code, message, reason=None, name=None, causes=None, headers=None):
        self.send_json(code, status_obj(code, message, reason, name, causes), headers)

    def do_PUT(self):
        self.dispatch("PUT")

    def bearer(self):
        auth = self.headers.get("Authorization", "")
        return auth[7:].strip() if auth.startswith("Bearer ") else None

    def log_entry(self, method, url, body):
        st = self.server.state
        q = parse_qs(url.query)
        u = st.users.get(self.bearer() or "")
        entry = {"method": method, "path": url.path, "query": url.query,
                 "content_type": self.headers.get("Content-Type"),
                 "user": u["name"] if u else (None if self.bearer() is None else "unknown"),
                 "field_manager": q.get("fieldManager", [None])[0], "force": q.get("force", [None])[0]}
        try:
            req = json.loads(body) if body.strip() else None
        except ValueError:
            req = None
        if isinstance(req, dict):
            entry["body_keys"] = sorted(req)
            rv = (req.get("metadata") or {}).get("resourceVersion") if isinstance(req.get("metadata"), dict) \
                else None
            entry["resource_version"] = rv
            for k in ("data", "stringData"):
                if isinstance(req.get(k), dict):
                    entry[k + "_keys"] = sorted(req[k])
            if isinstance(req.get("preconditions"), dict):
                entry["preconditions"] = req["preconditions"]
        elif isinstance(req, list):
            entry["json_patch"] = [{"op": o.get("op"), "path": o.get("path")} for o in req if isinstance(o, dict)]
        st.requests.append(entry)

    def dispatch(self, method):
        body = self.read_body()
        if body is None:
            return self.status(413, "the request is too large", "RequestEntityTooLarge")
        url = urlsplit(self.path)
        if url.path.startswith("/_emu/"):
            return self.control(method, url.path, body)
        st = self.server.state
        with st.lock:
            self.count_connection(st)
            self.log_entry(method, url, body)
            fault = st.take_fault(method, url.path)
        if fault and self.answer_fault(fault, lambda: self.api(method, url, body, None)):
            return None
        try:
            self.api(method, url, body, fault)
        except Exception as e:  # a bug in the emulator must show, not hang a test
            self.status(500, "emulator error: %s" % e)

    def fault_error(self, fault, headers):
        self.status(int(fault["status"]), fault.get("message", "injected fault"), fault.get("reason"), headers=headers)

    # ---- the API ----
    def api(self, method, url, body, fault):
        st = self.server.state
        path = url.path
        if not path.startswith(PREFIX):
            return self.status(404, "the server could not find the requested resource")
        parts = [unquote(p) for p in path[len(PREFIX):].split("/")]
        if len(parts) not in (2, 3) or parts[1] != "secrets" or (len(parts) == 3 and not parts[2]):
            return self.status(404, "the server could not find the requested resource")
        ns, name = parts[0], parts[2] if len(parts) == 3 else None
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        token = self.bearer()
        with st.lock:
            user = st.users.get(token) if token else None
        if user is None:
            return self.status(401, "Unauthorized")
        verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}.get(method)
        if verb is None or (method == "POST" and name) or (method in ("PUT", "PATCH", "DELETE") and not name):
            return self.status(405, "the server does not allow this method on the requested resource")
        if verb == "create" or verb == "list":
            authz_name = None
        else:
            authz_name = name
        if not st.authorized(user, verb, ns, authz_name):
            what = 'secrets "%s" is forbidden' % name if name else "secrets is forbidden"
            return self.status(403, '%s: User "%s" cannot %s resource "secrets" in API group "" in the '
                                    'namespace "%s"' % (what, user["name"], verb, ns), name=name or "")
        if ns not in st.namespaces:   # as the API server: nothing is in it, and nothing can be made in it
            if method == "GET" and not name:
                return self.send_json(200, {"kind": "SecretList", "apiVersion": "v1",
                                            "metadata": {"resourceVersion": str(st.rv)}, "items": []})
            if method == "POST" or (method == "PATCH" and (self.headers.get("Content-Type") or "").startswith(
                    "application/apply-patch+yaml")):
                out = status_obj(404, 'namespaces "%s" not found' % ns, name=ns)
                out["details"]["kind"] = "namespaces"
                return self.send_json(404, out)
            return self.status(404, 'secrets "%s" not found' % name, name=name)
        manager = q.get("fieldManager") or (self.headers.get("User-Agent") or "unknown").split("/")[0]
        req = None
        if method in ("POST", "PUT", "PATCH") or (method == "DELETE" and body.strip()):
            try:
                req = json.loads(body) if body.strip() else None
            except ValueError:
                return self.status(400, "the body of the request was in an unknown format - accepted media "
                                        "types include: application/json, application/yaml")
            if method != "PATCH" and not isinstance(req, dict):
                return self.status(400, "the body of the request was in an unknown format - accepted media "
                                        "types include: application/json, application/yaml")
        if method == "GET":
            return self.get(ns, name, q)
        if method == "POST":
            return self.create(ns, req, manager, q)
        if method == "PUT":
            return self.replace(ns, name, req, manager, fault)
        if method == "PATCH":
            return self.patch(user, ns, name, req, manager, q, fault)
        return self.delete(ns, name, req or {}, fault)

    def get(self, ns, name, q):
        st = self.server.state
        with st.lock:
            if name:
                obj = st.secrets.get((ns, name))
                if obj is None:
                    return self.status(404, 'secrets "%s" not found' % name, name=name)
                return self.send_json(200, st.public(obj))
            sel = {}
            for term in filter(None, q.get("labelSelector", "").split(",")):
                if "=" not in term:
                    return self.status(400, "unable to parse requirement: %s" % term)
                k, v = term.split("=", 1)
                sel[k.rstrip("=")] = v.lstrip("=")
            items = [st.public(o) for (n, _), o in sorted(st.secrets.items())
                     if n == ns and all((o["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())]
            return self.send_json(200, {"kind": "SecretList", "apiVersion": "v1",
                                        "metadata": {"resourceVersion": str(st.rv)}, "items": items})

    def check_object(self, ns, name, req):
        """(None, user part) or (Status args, None) for a Secret sent by a client."""
        if req.get("kind", "Secret") != "Secret" or req.get("apiVersion", "v1") != "v1":
            return (400, "the API version in the data (%s) does not match the expected API version (v1)"
                    % req.get("apiVersion")), None
        md = req.get("metadata") or {}
        if not isinstance(md, dict):
            return (400, "metadata must be an object"), None
        if md.get("namespace") not in (None, "", ns):
            return (400, "the namespace of the provided object does not match the namespace sent on the "
                         "request"), None
        if name is not None and md.get("name") != name:
            return (400, "the name of the object (%s) does not match the name on the URL (%s)"
                    % (md.get("name"), name)), None
        bad = decode_check(req.get("data"))
        if bad:
            return bad, None
        for k in (req.get("stringData") or {}):
            if not KEY_RE.match(k):
                return (422, "stringData[%s]: Invalid value: a valid config key must consist of alphanumeric "
                             "characters, '-', '_' or '.'" % k), None
        return None, user_part(req)

    def create(self, ns, req, manager, q):
        st = self.server.state
        md = req.get("metadata") or {}
        name = md.get("name") if isinstance(md, dict) else None
        if not name and isinstance(md, dict) and md.get("generateName"):
            name = md["generateName"] + secrets.token_hex(3)[:5]
        if not isinstance(name, str) or not name:
            return self.status(422, 'Secret "" is invalid: metadata.name: Required value: name or generateName '
                                    'is required', "Invalid", name="",
                               causes=[{"reason": "FieldValueRequired", "message": "Required value: name or "
                                        "generateName is required", "field": "metadata.name"}])
        if not NAME_RE.match(name) or len(name) > 253:
            return self.status(422, 'Secret "%s" is invalid: metadata.name: Invalid value: "%s": a lowercase '
                                    'RFC 1123 subdomain must consist of lower case alphanumeric characters, '
                                    "'-' or '.'" % (name, name), "Invalid", name=name)
        err, part = self.check_object(ns, name, dict(req, metadata=dict(md, name=name)))
        if err:
            return self.status(err[0], err[1], name=name)
        if md.get("resourceVersion"):
            return self.status(500, "resourceVersion should not be set on objects to be created",
                               "InternalError", name=name)
        if q.get("dryRun") == "All":
            return self.send_json(201, dict(part, kind="Secret", apiVersion="v1"))
        with st.lock:
            if (ns, name) in st.secrets:
                return self.status(409, 'secrets "%s" already exists' % name, "AlreadyExists", name=name)
            obj = st.store(ns, name, part, manager, "Update")
            return self.send_json(201, st.public(obj))

    def other_write(self, ns, name):
        """Another writer updates the Secret (lock held): an annotation changes, the version moves on."""
        st = self.server.state
        old = st.secrets.get((ns, name))
        if old is None:
            return
        new = user_part(st.public(old))
        new["metadata"].setdefault("annotations", {})["emulator/other-writer"] = st.next_rv()
        st.store(ns, name, new, "other-writer", "Update", old=old)

    def replace(self, ns, name, req, manager, fault):
        st = self.server.state
        err, part = self.check_object(ns, name, req)
        if err:
            return self.status(err[0], err[1], name=name)
        rv = (req.get("metadata") or {}).get("resourceVersion")
        with st.lock:
            if fault and fault.get("conflict"):
                self.other_write(ns, name)
            old = st.secrets.get((ns, name))
            if old is None:
                return self.status(404, 'secrets "%s" not found' % name, name=name)
            if rv and rv != old["metadata"]["resourceVersion"]:
                return self.conflict(name)
            if self.immutable_violation(old, part, name):
                return None
            obj = st.store(ns, name, part, manager, "Update", old=old)
            return self.send_json(200, st.public(obj))

    def immutable_violation(self, old, new, name):
        """Answer 422 (and True) when new changes the data of an immutable Secret, or its immutable flag."""
        if old.get("immutable") and (old.get("data") != new.get("data") or new.get("immutable") is not True):
            self.status(422, 'Secret "%s" is invalid: data: Forbidden: field is immutable when `immutable` is set'
                        % name, "Invalid", name=name)
            return True
        return False

    def conflict(self, name, extra=""):
        return self.status(409, 'Operation cannot be fulfilled on secrets "%s": %s' % (
            name, extra or "the object has been modified; please apply your changes to the latest version "
                           "and try again"), "Conflict", name=name)

    def patch(self, user, ns, name, req, manager, q, fault):
        st = self.server.state
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype not in PATCH_TYPES:
            return self.status(415, 'the body of the request was in an unknown format - accepted media types '
                                    'include: %s' % ", ".join(PATCH_TYPES))
        if ctype == "application/apply-patch+yaml":
            return self.apply(user, ns, name, req, q, fault)
        if "force" in q:
            return self.status(422, "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be "
                                    "specified for non-apply patch", "Invalid")
        with st.lock:
            if fault and fault.get("conflict"):
                self.other_write(ns, name)
            old = st.secrets.get((ns, name))
            if old is None:
                return self.status(404, 'secrets "%s" not found' % name, name=name)
            current = st.public(old)
            try:
                if ctype == "application/json-patch+json":
                    if not isinstance(req, list):
                        return self.status(400, "the body of the request was in an unknown format: a JSON "
                                                "patch is an array")
                    patched = json_patch(current, req)
                else:
                    if not isinstance(req, dict):
                        return self.status(400, "the body of the request was in an unknown format")
                    rv = (req.get("metadata") or {}).get("resourceVersion") \
                        if isinstance(req.get("metadata"), dict) else None
                    if rv and rv != old["metadata"]["resourceVersion"]:
                        return self.conflict(name)
                    patched = merge_patch(current, req)
            except AssertionError as e:
                return self.status(422, str(e), "Invalid", name=name)
            except (LookupError, ValueError, TypeError) as e:
                return self.status(422, str(e), "Invalid", name=name)
            if not isinstance(patched, dict):
                return self.status(422, "the patched object is not an object", "Invalid", name=name)
            rv = (patched.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                return self.conflict(name)
            err, part = self.check_object(ns, name, patched)
            if err:
                return self.status(err[0], err[1], name=name)
            if self.immutable_violation(old, part, name):
                return None
            obj = st.store(ns, name, part, manager, "Update", old=old)
            return self.send_json(200, st.public(obj))

    def apply(self, user, ns, name, req, q, fault):
        """Server-side apply (lock taken here)."""
        st = self.server.state
        manager = q.get("fieldManager")
        if not manager:
            return self.status(400, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                                    'required for apply patch', "BadRequest")
        force = q.get("force") == "true"
        if not isinstance(req, dict):
            return self.status(400, "error decoding YAML: the applied configuration must be an object")
        if req.get("apiVersion") != "v1" or req.get("kind") != "Secret":
            return self.status(400, "apiVersion and kind must be v1 and Secret in an applied configuration")
        err, part = self.check_object(ns, name, req)
        if err:
            return self.status(err[0], err[1], name=name)
        applied = field_paths(part)
        rv = (req.get("metadata") or {}).get("resourceVersion")
        with st.lock:
            if fault and fault.get("conflict"):
                self.other_write(ns, name)
            old = st.secrets.get((ns, name))
            if old is None:
                if rv:
                    return self.status(404, 'secrets "%s" not found' % name, name=name)
                if not st.authorized(user, "create", ns, name):
                    return self.status(403, 'secrets "%s" is forbidden: User "%s" cannot create resource '
                                            '"secrets" in API group "" in the namespace "%s"'
                                       % (name, user["name"], ns), name=name)
                obj = st.store(ns, name, part, manager, "Apply", applied=applied)
                return self.send_json(201, st.public(obj))
            if rv and rv != old["metadata"]["resourceVersion"]:
                return self.conflict(name)
            conflicts = []
            for p in sorted(applied):
                if get_field(old, p) == get_field(part, p):
                    continue  # the same value: shared ownership, no conflict
                for mgr, m in sorted(old["_managers"].items()):
                    if mgr != manager and p in m["fields"]:
                        conflicts.append((mgr, p))
            if conflicts and not force:
                causes = [{"type": "FieldManagerConflict", "message": 'conflict with "%s" using v1' % mgr,
                           "field": render_path(p)} for mgr, p in conflicts]
                return self.status(409, "Apply failed with %d conflict%s: %s" % (
                    len(conflicts), "" if len(conflicts) == 1 else "s",
                    "; ".join('conflict with "%s" using v1: %s' % (mgr, render_path(p)) for mgr, p in conflicts)),
                    "Conflict", name=name, causes=causes)
            # merge: the applied fields over the current object; fields this manager applied before and
            # leaves out now are removed unless another manager owns them
            new = user_part(st.public(old))
            prev = old["_managers"].get(manager, {"fields": set()})["fields"] if \
                old["_managers"].get(manager, {}).get("op") == "Apply" else set()
            others = set()
            for mgr, m in old["_managers"].items():
                if mgr != manager:
                    others |= m["fields"]
            for p in prev - applied - others:
                parent = new
                for seg in p[:-1]:
                    parent = parent.get(seg) or {}
                if isinstance(parent, dict):
                    parent.pop(p[-1], None)
            for p in applied:
                parent = new
                for seg in p[:-1]:
                    parent = parent.setdefault(seg, {})
                parent[p[-1]] = copy.deepcopy(get_field(part, p))
            if self.immutable_violation(old, new, name):
                return None
            obj = st.store(ns, name, new, manager, "Apply", applied=applied, old=old)
            return self.send_json(200, st.public(obj))

    def delete(self, ns, name, req, fault):
        st = self.server.state
        pre = req.get("preconditions") or {}
        with st.lock:
            if fault and fault.get("conflict"):
                self.other_write(ns, name)
            old = st.secrets.get((ns, name))
            if old is None:
                return self.status(404, 'secrets "%s" not found' % name, name=name)
            md = old["metadata"]
            if pre.get("resourceVersion") and pre["resourceVersion"] != md["resourceVersion"]:
                return self.conflict(name, "Precondition failed: ResourceVersion in precondition: %s, "
                                           "ResourceVersion in object meta: %s"
                                     % (pre["resourceVersion"], md["resourceVersion"]))
            if pre.get("uid") and pre["uid"] != md["uid"]:
                return self.conflict(name, "Precondition failed: UID in precondition: %s, UID in object meta: %s"
                                     % (pre["uid"], md["uid"]))
            del st.secrets[(ns, name)]
            st.next_rv()
        self.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                             "details": {"name": name, "kind": "secrets", "uid": md["uid"]}})

    # ---- control ----
    def control(self, method, p, body):
        st = self.server.state
        try:
            req = json.loads(body) if body.strip() else {}
        except ValueError:
            return self.status(400, "control: invalid JSON")
        with st.lock:
            if self.common_control(st, method, p):
                return None
            if p == "/_emu/secrets" and method == "GET":
                return self.send_json(200, [st.public(o) for _, o in sorted(st.secrets.items())])
            if p == "/_emu/write" and method == "POST":
                ns, name = req.get("namespace", "default"), req["name"]
                old = st.secrets.get((ns, name))
                new = user_part(st.public(old)) if old else {"metadata": {}}
                new.setdefault("data", {}).update(req.get("data") or {})
                obj = st.store(ns, name, new, req.get("manager", "other-writer"), "Update", old=old)
                return self.send_json(200, st.public(obj))
            if p == "/_emu/users" and method == "POST":
                st.users[req["token"]] = {"name": req.get("name", "user"), "grants": req.get("grants", [])}
                return self.send_json(200, {})
            if p == "/_emu/revoke" and method == "POST":
                st.users.pop(req.get("token"), None)
                return self.send_json(200, {})
            if p == "/_emu/faults" and method == "POST":
                st.faults = req if isinstance(req, list) else []
                return self.send_json(200, {})
        self.status(404, "no such control endpoint")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="The control interface (/_emu/...) is described at the top of this file.")
    ap.add_argument("--config", metavar="FILE", help="JSON: namespaces, users with tokens and grants (see above)")
    emu_common.add_server_args(ap)
    a = ap.parse_args()
    emu_common.serve(Handler, State(emu_common.load_config(a.config)), a)

if __name__ == "__main__":
    sys.exit(main())
