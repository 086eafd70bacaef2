#!/usr/bin/env python3
"""The central-rotation emulators themselves: tests/vault_emulator.py and tests/k8s_emulator.py.

The scenarios of the vault and kubernetes sinks will trust these emulators to refuse what Vault and
the Kubernetes API server refuse and to fail the way they fail; this proves they do: CAS and
resourceVersion conflicts, two writers at once, expired and revoked tokens, 401/403 with the
vendors' bodies, every injected fault, and a request log without a secret in it.

Bounded in time (each request 10 s, the whole file 240 s through SIGALRM); every process it starts
is stopped in tearDownClass.
"""
import base64
import http.client
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import central_harness as ch  # noqa: E402

SECRET_VALUE = "apiv1_SECRET-VALUE-never-logged"
ROOT_TOKEN = "hvs.ROOT-TOKEN-never-logged"
SECRET_ID = "SECRET-ID-never-logged"


def b64(s):
    return base64.b64encode(s.encode()).decode()


def race(fn, n=2):
    """Run fn(i) in n threads released together; their results in order."""
    barrier = threading.Barrier(n)
    out = [None] * n

    def run(i):
        barrier.wait(5)
        out[i] = fn(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return out


class VaultEmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ith-vault-emu-")
        cls.emu = ch.Emulator("vault", {
            "mounts": ["secret", "kv"],
            "policies": {
                "publisher": [{"path": "secret/data/fleet/*", "capabilities": ["create", "read", "update"]},
                              {"path": "secret/metadata/fleet/*", "capabilities": ["read", "delete", "list"]},
                              {"path": "secret/data/fleet/locked", "capabilities": ["deny"]}],
                "create-only": [{"path": "secret/data/co/+", "capabilities": ["create"]}],
            },
            "tokens": [{"token": ROOT_TOKEN, "policies": ["root"]},
                       {"token": "hvs.publisher", "policies": ["publisher"], "ttl": 3600},
                       {"token": "hvs.create-only", "policies": ["create-only"], "ttl": 3600}],
            "approle": [{"role_id": "role-1", "secret_id": SECRET_ID, "policies": ["publisher"], "token_ttl": 1}],
        }, cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.emu.ctl("faults", [])

    def req(self, method, path, body=None, token=ROOT_TOKEN, timeout=10):
        h = {"X-Vault-Token": token} if token else {}
        st, data, _ = self.emu.request(method, "/v1/" + path, body, h, timeout=timeout)
        return st, data

    def write(self, path, data, cas=None, token=ROOT_TOKEN, mount="secret"):
        body = {"data": data}
        if cas is not None:
            body["options"] = {"cas": cas}
        return self.req("POST", "%s/data/%s" % (mount, path), body, token)

    def test_cas_and_versions(self):
        st, d = self.write("cas/a", {"token": SECRET_VALUE}, cas=0)
        self.assertEqual((st, d["data"]["version"]), (200, 1))
        self.assertEqual(set(d), {"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info",
                                  "warnings", "auth"})
        st, d = self.write("cas/a", {"token": "x"}, cas=0)        # cas 0: only when it does not exist
        self.assertEqual((st, d), (400, {"errors": ["check-and-set parameter did not match the current version"]}))
        self.assertEqual(self.write("cas/a", {"token": "v2"}, cas=1)[0], 200)
        self.assertEqual(self.write("cas/a", {"token": "x"}, cas=1)[0], 400)     # stale
        self.assertEqual(self.write("cas/a", {"token": "x"}, cas=7)[0], 400)     # ahead
        self.assertEqual(self.write("cas/a", {"token": "v3"})[0], 200)            # no cas: allowed
        st, d = self.req("GET", "secret/data/cas/a")
        self.assertEqual((d["data"]["data"], d["data"]["metadata"]["version"]), ({"token": "v3"}, 3))
        st, d = self.req("GET", "secret/data/cas/a?version=2")
        self.assertEqual(d["data"]["data"], {"token": "v2"})
        st, d = self.req("GET", "secret/metadata/cas/a")
        self.assertEqual((st, d["data"]["current_version"], sorted(d["data"]["versions"])), (200, 3, ["1", "2", "3"]))
        self.assertEqual(self.write("cas/a", "not a map")[0], 400)
        self.assertEqual(self.req("POST", "secret/data/cas/a", {"data": {}, "options": {"cas": "x"}})[0], 400)

    def test_metadata_settings(self):
        self.write("md/a", {"token": "v1"})
        self.assertEqual(self.req("POST", "secret/metadata/md/a", {"cas_required": True, "max_versions": 2,
                                                                   "custom_metadata": {"owner": "ith"}}), (204, None))
        self.assertEqual(self.write("md/a", {"token": "v2"}),
                         (400, {"errors": ["check-and-set parameter required for this call"]}))
        self.assertEqual(self.write("md/a", {"token": "v2"}, cas=1)[0], 200)
        self.assertEqual(self.write("md/a", {"token": "v3"}, cas=2)[0], 200)
        st, d = self.req("GET", "secret/metadata/md/a")
        self.assertEqual((d["data"]["cas_required"], d["data"]["current_version"], d["data"]["oldest_version"],
                          sorted(d["data"]["versions"]), d["data"]["custom_metadata"]),
                         (True, 3, 2, ["2", "3"], {"owner": "ith"}))
        self.assertEqual(self.req("GET", "secret/data/md/a?version=1")[0], 404)          # pruned
        self.assertEqual(self.req("POST", "secret/metadata/md/b", {"max_versions": 1}), (204, None))
        self.assertEqual(self.req("GET", "secret/data/md/b")[0], 404)                    # metadata, no version
        self.assertEqual(self.write("md/b", {"token": "v1"}, cas=0)[0], 200)

    def test_cas_conflict_fault(self):
        self.write("cf/a", {"token": "mine"}, cas=0)
        self.emu.ctl("faults", [{"method": "POST", "path": "/cf/a", "count": 1, "cas_conflict": True}])
        st, d = self.write("cf/a", {"token": "mine-2"}, cas=1)
        self.assertEqual(st, 400)
        st, d = self.req("GET", "secret/data/cf/a")        # the other writer's version is there, not ours
        self.assertEqual((d["data"]["metadata"]["version"], d["data"]["data"]), (2, {"written_by": "another writer"}))

    def test_two_writers_at_once(self):
        for i in range(15):
            path = "race/%d" % i
            self.write(path, {"token": "v1"}, cas=0)
            out = race(lambda n: self.write(path, {"token": "writer-%d" % n}, cas=1)[0])
            self.assertEqual(sorted(out), [200, 400], out)
            st, d = self.req("GET", "secret/data/" + path)
            self.assertEqual(d["data"]["metadata"]["version"], 2)

    def test_delete_metadata_and_list(self):
        self.write("fleet/ls/h1", {"token": "a"})
        self.write("fleet/ls/h2", {"token": "b"})
        self.write("fleet/ls/sub/h3", {"token": "c"})
        st, d = self.req("LIST", "secret/metadata/fleet/ls/")
        self.assertEqual((st, d["data"]["keys"]), (200, ["h1", "h2", "sub/"]))
        st, d = self.req("GET", "secret/metadata/fleet/ls?list=true")
        self.assertEqual(d["data"]["keys"], ["h1", "h2", "sub/"])
        self.assertEqual(self.req("DELETE", "secret/metadata/fleet/ls/h1"), (204, None))
        self.assertEqual(self.req("DELETE", "secret/metadata/fleet/ls/h1"), (204, None))   # nothing there: 204 too
        self.assertEqual(self.req("GET", "secret/data/fleet/ls/h1"), (404, {"errors": []}))
        self.assertEqual(self.req("GET", "secret/metadata/fleet/ls/h1")[0], 404)
        self.assertEqual(self.write("fleet/ls/h1", {"token": "again"}, cas=0)[0], 200)   # a new life: cas 0 works
        self.assertEqual(self.req("GET", "secret/metadata/nothing/")[0], 404)
        self.assertEqual(self.req("DELETE", "secret/data/fleet/ls/h2"), (204, None))       # soft delete of latest
        st, d = self.req("GET", "secret/data/fleet/ls/h2")
        self.assertEqual((st, d["data"]["data"]), (404, None))
        self.assertTrue(d["data"]["metadata"]["deletion_time"])

    def test_mounts_and_paths(self):
        self.assertEqual(self.write("x", {"a": "b"}, mount="kv")[0], 200)
        self.assertEqual(self.req("GET", "nomount/data/x")[0], 404)
        self.assertEqual(self.req("GET", "secret/other/x")[0], 404)
        st, d = self.emu.request("GET", "/v2/secret/data/x")[:2]
        self.assertEqual(st, 404)

    def test_approle_login_and_expiry(self):
        st, d = self.req("POST", "auth/approle/login", {"role_id": "role-1", "secret_id": SECRET_ID}, token=None)
        self.assertEqual(st, 200)
        tok = d["auth"]["client_token"]
        self.assertEqual((d["auth"]["lease_duration"], d["auth"]["renewable"]), (1, True))
        self.assertIn("publisher", d["auth"]["policies"])
        st, d = self.req("GET", "auth/token/lookup-self", token=tok)
        self.assertEqual(st, 200)
        self.assertLessEqual(d["data"]["ttl"], 1)
        self.assertTrue(d["data"]["expire_time"])
        self.assertEqual(self.write("fleet/ar", {"t": "x"}, token=tok)[0], 200)
        time.sleep(1.3)                                                      # the token's TTL runs out
        self.assertEqual(self.write("fleet/ar", {"t": "y"}, token=tok), (403, {"errors": ["permission denied"]}))
        self.assertEqual(self.req("GET", "auth/token/lookup-self", token=tok)[0], 403)
        st, d = self.req("POST", "auth/approle/login", {"role_id": "role-1", "secret_id": SECRET_ID}, token=None)
        self.assertEqual(self.write("fleet/ar", {"t": "y"}, token=d["auth"]["client_token"])[0], 200)
        bad = self.req("POST", "auth/approle/login", {"role_id": "role-1", "secret_id": "wrong"}, token=None)
        self.assertEqual(bad, (400, {"errors": ["invalid role or secret ID"]}))
        self.assertEqual(self.req("POST", "auth/approle/login", {"role_id": "nope", "secret_id": SECRET_ID},
                                  token=None)[0], 400)
        self.assertEqual(self.req("POST", "auth/approle/login", {"secret_id": SECRET_ID}, token=None)[0], 400)

    def test_token_expiry_and_revocation(self):
        tok = self.emu.ctl("tokens", {"policies": ["publisher"], "ttl": 3600})["token"]
        self.assertEqual(self.write("fleet/t", {"a": "b"}, token=tok)[0], 200)
        self.emu.ctl("expire", {"token": tok})
        self.assertEqual(self.write("fleet/t", {"a": "b"}, token=tok), (403, {"errors": ["permission denied"]}))
        tok = self.emu.ctl("tokens", {"policies": ["publisher"]})["token"]
        self.emu.ctl("revoke", {"token": tok})
        self.assertEqual(self.req("GET", "secret/data/fleet/t", token=tok)[0], 403)
        tok = self.emu.ctl("tokens", {"policies": ["publisher"]})["token"]
        self.assertEqual(self.req("POST", "auth/token/revoke-self", {}, token=tok), (204, None))
        self.assertEqual(self.req("GET", "secret/data/fleet/t", token=tok)[0], 403)
        self.assertEqual(self.req("GET", "secret/data/fleet/t", token=None), (403, {"errors": ["permission denied"]}))
        self.assertEqual(self.req("GET", "secret/data/fleet/t", token="hvs.unknown")[0], 403)
        # Authorization: Bearer is accepted as well as X-Vault-Token
        st = self.emu.request("GET", "/v1/secret/data/fleet/t", headers={"Authorization": "Bearer " + ROOT_TOKEN})[0]
        self.assertEqual(st, 200)
        # the expire_token fault: the token expires just before the request is served
        tok = self.emu.ctl("tokens", {"policies": ["publisher"], "ttl": 3600})["token"]
        self.emu.ctl("faults", [{"path": "/fleet/t", "count": 1, "expire_token": True}])
        self.assertEqual(self.req("GET", "secret/data/fleet/t", token=tok)[0], 403)
        self.assertEqual(self.req("GET", "secret/data/fleet/t", token=tok)[0], 403)   # and stays expired

    def test_policies(self):
        acl = {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
        pub = "hvs.publisher"
        self.assertEqual(self.write("fleet/p1", {"a": "b"}, token=pub)[0], 200)
        self.assertEqual(self.write("other/p1", {"a": "b"}, token=pub), (403, acl))
        self.assertEqual(self.req("GET", "secret/data/other/p1", token=pub), (403, acl))
        self.assertEqual(self.write("fleet/locked", {"a": "b"}, token=pub), (403, acl))        # deny wins
        self.assertEqual(self.req("DELETE", "secret/metadata/fleet/p1", token=pub), (204, None))
        self.assertEqual(self.req("DELETE", "secret/metadata/other/p1", token=pub)[0], 403)
        co = "hvs.create-only"
        self.assertEqual(self.write("co/a", {"a": "b"}, token=co)[0], 200)                      # create
        self.assertEqual(self.write("co/a", {"a": "c"}, token=co), (403, acl))                  # update: no
        self.assertEqual(self.write("co/a/b", {"a": "b"}, token=co)[0], 403)                    # + is one segment
        self.assertEqual(self.req("GET", "secret/data/co/a", token=co)[0], 403)                 # read: no

    def test_faults(self):
        self.write("f/a", {"token": "v1"})
        self.emu.ctl("faults", [{"path": "/f/a", "count": 1, "status": 403}])
        self.assertEqual(self.req("GET", "secret/data/f/a"), (403, {"errors": ["injected fault"]}))
        self.emu.ctl("faults", [{"path": "/f/a", "count": 1, "status": 503, "retry_after": 2}])
        st, d, h = self.emu.request("GET", "/v1/secret/data/f/a", headers={"X-Vault-Token": ROOT_TOKEN})
        self.assertEqual((st, h.get("Retry-After")), (503, "2"))
        self.assertEqual(self.req("GET", "secret/data/f/a")[0], 200)                    # used up
        self.emu.ctl("faults", [{"path": "/f/a", "count": 1, "close": True}])
        with self.assertRaises((http.client.HTTPException, OSError)):
            self.req("GET", "secret/data/f/a")
        self.emu.ctl("faults", [{"path": "/f/a", "count": 1, "delay": 0.6}])
        t0 = time.monotonic()
        self.assertEqual(self.req("GET", "secret/data/f/a")[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.55)
        self.emu.ctl("faults", [{"path": "/f/a", "count": 1, "delay": 3}])
        with self.assertRaises((TimeoutError, OSError)):                                # a slow answer: client gives up
            self.req("GET", "secret/data/f/a", timeout=0.5)
        self.emu.ctl("faults", [{"method": "POST", "path": "/f/a", "count": 1, "lost": True}])
        with self.assertRaises((http.client.HTTPException, OSError)):
            self.write("f/a", {"token": "v2"}, cas=1)
        st, d = self.req("GET", "secret/data/f/a")                                      # the write happened
        self.assertEqual((d["data"]["metadata"]["version"], d["data"]["data"]), (2, {"token": "v2"}))
        self.emu.ctl("faults", [{"path": "/f/a", "count": 1, "body": "{garbled"}])
        st, d = self.req("GET", "secret/data/f/a")
        self.assertEqual((st, d), (200, "{garbled"))
        self.emu.ctl("faults", [{"method": "DELETE", "count": 1, "status": 500}])       # method only
        self.assertEqual(self.req("GET", "secret/data/f/a")[0], 200)
        self.assertEqual(self.req("DELETE", "secret/metadata/f/a")[0], 500)
        self.assertGreaterEqual(self.emu.ctl("stats")["faults_used"], 8)

    def test_faults_from_the_config_file(self):
        with ch.Emulator("vault", {"tokens": [{"token": ROOT_TOKEN, "policies": ["root"]}],
                                   "faults": [{"path": "/data/", "count": 1, "status": 502}]}, self.tmp) as emu:
            h = {"X-Vault-Token": ROOT_TOKEN}
            self.assertEqual(emu.request("GET", "/v1/secret/data/x", headers=h)[0], 502)
            self.assertEqual(emu.request("GET", "/v1/secret/data/x", headers=h)[0], 404)

    def test_request_log_has_no_secret(self):
        self.emu.ctl("clear", {})
        self.write("log/a", {"token": SECRET_VALUE, "token_id": "id-1"}, cas=0)
        self.req("POST", "auth/approle/login", {"role_id": "role-1", "secret_id": SECRET_ID}, token=None)
        self.req("GET", "secret/data/log/a", token="hvs.not-a-token")
        log = self.emu.ctl("requests")
        text = json.dumps(log)
        for s in (SECRET_VALUE, ROOT_TOKEN, SECRET_ID, "hvs.not-a-token"):
            self.assertNotIn(s, text)
        self.assertEqual(log[0]["method"], "POST")
        self.assertEqual(log[0]["path"], "/v1/secret/data/log/a")
        self.assertEqual((log[0]["data_keys"], log[0]["options"]), (["token", "token_id"], {"cas": 0}))
        self.assertTrue(log[0]["token"])                                  # the accessor, not the token
        self.assertEqual(log[1]["body_keys"], ["role_id", "secret_id"])
        self.assertEqual(log[2]["token"], "unknown")
        self.assertGreaterEqual(self.emu.ctl("connections")["connections"], 3)


class K8sEmulatorTest(unittest.TestCase):
    NS = "telegraf"
    BASE = "/api/v1/namespaces/telegraf/secrets"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ith-k8s-emu-")
        cls.emu = ch.Emulator("k8s", {
            "namespaces": ["telegraf", "default"],
            "users": [{"token": "admin-token-never-logged", "name": "admin",
                       "grants": [{"namespace": "*", "verbs": ["*"]}]},
                      {"token": "rotator-token", "name": "system:serviceaccount:telegraf:rotator",
                       "grants": [{"namespace": "telegraf", "verbs": ["get", "update", "patch"],
                                   "resourceNames": ["influx-h1", "influx-h2", "influx-new"]}]},
                      {"token": "creator-token", "name": "creator",
                       "grants": [{"namespace": "telegraf", "verbs": ["get", "patch", "create"],
                                   "resourceNames": ["influx-applied"]}]}],
        }, cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.emu.ctl("faults", [])

    def req(self, method, path, body=None, token="admin-token-never-logged", ctype=None, timeout=10):
        h = {"Authorization": "Bearer " + token} if token else {}
        if ctype:
            h["Content-Type"] = ctype
        st, data, _ = self.emu.request(method, path if path.startswith("/") else self.BASE + "/" + path, body, h,
                                       timeout=timeout)
        return st, data

    def create(self, name, data=None, labels=None):
        md = {"name": name}
        if labels:
            md["labels"] = labels
        return self.req("POST", self.BASE, {"apiVersion": "v1", "kind": "Secret", "metadata": md,
                                            "data": data or {"token": b64("v1")}})

    def assertStatus(self, got, code, reason, name=None):
        st, d = got
        self.assertEqual(st, code, d)
        self.assertEqual((d["kind"], d["apiVersion"], d["status"], d["code"], d["reason"]),
                         ("Status", "v1", "Failure", code, reason), d)
        self.assertEqual(d["metadata"], {})
        self.assertIsInstance(d["message"], str)
        if name is not None:
            self.assertEqual((d["details"]["name"], d["details"]["kind"]), (name, "secrets"))

    def test_crud_and_status_form(self):
        st, d = self.create("crud-1", labels={"app": "x"})
        self.assertEqual(st, 201)
        self.assertEqual((d["kind"], d["apiVersion"], d["type"], d["data"]), ("Secret", "v1", "Opaque", {"token": b64("v1")}))
        rv = d["metadata"]["resourceVersion"]
        self.assertTrue(rv and d["metadata"]["uid"] and d["metadata"]["creationTimestamp"])
        self.assertStatus(self.create("crud-1"), 409, "AlreadyExists", "crud-1")
        st, d = self.req("GET", "crud-1")
        self.assertEqual((st, d["metadata"]["resourceVersion"]), (200, rv))
        self.assertStatus(self.req("GET", "nope"), 404, "NotFound", "nope")
        st, d = self.req("GET", self.BASE + "?labelSelector=app%3Dx")
        self.assertEqual((st, d["kind"], [i["metadata"]["name"] for i in d["items"]]), (200, "SecretList", ["crud-1"]))
        st, d = self.req("DELETE", "crud-1")
        self.assertEqual((st, d["kind"], d["status"], d["details"]["name"]), (200, "Status", "Success", "crud-1"))
        self.assertStatus(self.req("DELETE", "crud-1"), 404, "NotFound", "crud-1")
        self.assertStatus(self.req("GET", "/api/v1/namespaces/nons/secrets/x"), 404, "NotFound")

    def test_validation(self):
        bad = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "val-1"}, "data": {"token": "not base64!"}}
        self.assertStatus(self.req("POST", self.BASE, bad), 400, "BadRequest")
        bad["data"] = {"bad key": b64("x")}
        self.assertStatus(self.req("POST", self.BASE, bad), 422, "Invalid")
        bad["data"], bad["metadata"]["name"] = {}, "Not_A_Name"
        self.assertStatus(self.req("POST", self.BASE, bad), 422, "Invalid")
        st, d = self.req("POST", self.BASE, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "val-2"},
                                             "stringData": {"token": SECRET_VALUE}})
        self.assertEqual((st, d["data"], "stringData" in d), (201, {"token": b64(SECRET_VALUE)}, False))
        other_ns = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "val-3", "namespace": "default"}}
        self.assertStatus(self.req("POST", self.BASE, other_ns), 400, "BadRequest")
        wrong_name = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "other"}, "data": {}}
        self.assertStatus(self.req("PUT", "val-2", wrong_name), 400, "BadRequest")
        self.assertStatus(self.req("PATCH", "val-2", {"data": {}}, ctype="text/plain"), 415, "UnsupportedMediaType")

    def test_missing_namespace_and_immutable(self):
        st, d = self.req("GET", "/api/v1/namespaces/nons/secrets")
        self.assertEqual((st, d["items"]), (200, []))
        self.assertStatus(self.req("GET", "/api/v1/namespaces/nons/secrets/x"), 404, "NotFound", "x")
        st, d = self.req("POST", "/api/v1/namespaces/nons/secrets",
                         {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
        self.assertStatus((st, d), 404, "NotFound")
        self.assertEqual((d["message"], d["details"]["kind"]), ('namespaces "nons" not found', "namespaces"))
        self.req("POST", self.BASE, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "imm-1"},
                                     "data": {"token": b64("a")}, "immutable": True})
        self.assertStatus(self.req("PATCH", "imm-1", {"data": {"token": b64("b")}},
                                   ctype="application/merge-patch+json"), 422, "Invalid", "imm-1")
        cur = self.req("GET", "imm-1")[1]
        cur["data"] = {"token": b64("b")}
        self.assertStatus(self.req("PUT", "imm-1", cur), 422, "Invalid", "imm-1")
        st, d = self.req("PATCH", "imm-1", {"metadata": {"labels": {"a": "b"}}}, ctype="application/merge-patch+json")
        self.assertEqual(st, 200)                                                       # metadata may change
        self.assertEqual(self.req("DELETE", "imm-1")[0], 200)                           # replace by delete + create

    def test_resource_version_conflicts(self):
        st, d = self.create("rv-1")
        rv = d["metadata"]["resourceVersion"]
        upd = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "rv-1", "resourceVersion": rv},
               "data": {"token": b64("v2")}}
        st, d = self.req("PUT", "rv-1", upd)
        self.assertEqual(st, 200)
        self.assertNotEqual(d["metadata"]["resourceVersion"], rv)
        self.assertStatus(self.req("PUT", "rv-1", upd), 409, "Conflict", "rv-1")               # stale now
        self.assertIn("the object has been modified", self.req("PUT", "rv-1", upd)[1]["message"])
        upd["metadata"].pop("resourceVersion")
        self.assertEqual(self.req("PUT", "rv-1", upd)[0], 200)                                  # unconditional
        self.assertStatus(self.req("PUT", "rv-missing", dict(upd, metadata={"name": "rv-missing"})), 404, "NotFound")
        self.assertStatus(self.req("PATCH", "rv-1", {"metadata": {"resourceVersion": rv}, "data": {"token": b64("x")}},
                                   ctype="application/merge-patch+json"), 409, "Conflict")
        st, d = self.req("PATCH", "rv-1", {"data": {"token": b64("v3"), "extra": b64("e")}},
                         ctype="application/strategic-merge-patch+json")
        self.assertEqual((st, sorted(d["data"])), (200, ["extra", "token"]))
        st, d = self.req("PATCH", "rv-1", {"data": {"extra": None}}, ctype="application/merge-patch+json")
        self.assertEqual(sorted(d["data"]), ["token"])
        cur = d["metadata"]["resourceVersion"]
        st, d = self.req("PATCH", "rv-1", [{"op": "test", "path": "/metadata/resourceVersion", "value": cur},
                                           {"op": "replace", "path": "/data/token", "value": b64("v4")}],
                         ctype="application/json-patch+json")
        self.assertEqual(st, 200)
        self.assertStatus(self.req("PATCH", "rv-1", [{"op": "test", "path": "/metadata/resourceVersion",
                                                      "value": cur}], ctype="application/json-patch+json"),
                          422, "Invalid")
        # the conflict fault: someone else updates the Secret just before this write
        st, d = self.req("GET", "rv-1")
        upd["metadata"]["resourceVersion"] = d["metadata"]["resourceVersion"]
        self.emu.ctl("faults", [{"method": "PUT", "path": "/rv-1", "count": 1, "conflict": True}])
        self.assertStatus(self.req("PUT", "rv-1", upd), 409, "Conflict", "rv-1")
        st, d = self.req("GET", "rv-1")
        self.assertIn("emulator/other-writer", d["metadata"]["annotations"])
        # delete preconditions
        self.assertStatus(self.req("DELETE", "rv-1", {"preconditions": {"resourceVersion": rv}}), 409, "Conflict")
        self.assertStatus(self.req("DELETE", "rv-1", {"preconditions": {"uid": "x"}}), 409, "Conflict")
        st, d = self.req("DELETE", "rv-1", {"preconditions": {"resourceVersion": d["metadata"]["resourceVersion"]}})
        self.assertEqual(st, 200)

    def test_two_writers_at_once(self):
        self.create("race-1")
        for i in range(15):
            rv = self.req("GET", "race-1")[1]["metadata"]["resourceVersion"]

            def put(n):
                return self.req("PUT", "race-1", {"apiVersion": "v1", "kind": "Secret",
                                                  "metadata": {"name": "race-1", "resourceVersion": rv},
                                                  "data": {"token": b64("writer-%d-%d" % (n, i))}})[0]
            self.assertEqual(sorted(race(put)), [200, 409])
        self.create("race-2")
        out = race(lambda n: self.create("race-3")[0])
        self.assertEqual(sorted(out), [201, 409])

    def test_server_side_apply(self):
        def apply(name, data, manager, force=False, token="admin-token-never-logged", extra=None):
            q = "?fieldManager=%s%s" % (manager, "&force=true" if force else "")
            body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}
            body.update(extra or {})
            return self.req("PATCH", name + q, body, token=token, ctype="application/apply-patch+yaml")
        st, d = apply("ssa-1", {"token": b64("a"), "token_id": b64("i")}, "ith")
        self.assertEqual(st, 201)                                                       # apply creates
        mf = {m["manager"]: m for m in d["metadata"]["managedFields"]}
        self.assertEqual((mf["ith"]["operation"], mf["ith"]["fieldsType"]), ("Apply", "FieldsV1"))
        self.assertEqual(mf["ith"]["fieldsV1"], {"f:data": {"f:token": {}, "f:token_id": {}}})
        st, d = apply("ssa-1", {"token": b64("b"), "token_id": b64("i")}, "ith")        # same manager: no conflict
        self.assertEqual((st, d["data"]["token"]), (200, b64("b")))
        st, d = apply("ssa-1", {"token": b64("c")}, "other")                            # another manager
        self.assertStatus((st, d), 409, "Conflict", "ssa-1")
        self.assertEqual(d["details"]["causes"], [{"type": "FieldManagerConflict",
                                                   "message": 'conflict with "ith" using v1', "field": ".data.token"}])
        self.assertIn('Apply failed with 1 conflict: conflict with "ith" using v1: .data.token', d["message"])
        st, d = apply("ssa-1", {"token": b64("b")}, "other")                            # same value: shared
        self.assertEqual(st, 200)
        st, d = apply("ssa-1", {"token": b64("c")}, "other", force=True)               # force takes it
        self.assertEqual((st, d["data"]["token"]), (200, b64("c")))
        mf = {m["manager"]: m for m in d["metadata"]["managedFields"]}
        self.assertEqual(mf["ith"]["fieldsV1"], {"f:data": {"f:token_id": {}}})
        st, d = apply("ssa-1", {}, "ith")                                               # ith lets token_id go
        self.assertEqual((st, sorted(d["data"])), (200, ["token"]))
        # an Update by another manager (a PUT) takes the fields it changes
        apply("ssa-2", {"token": b64("a")}, "ith")
        cur = self.req("GET", "ssa-2")[1]
        cur["data"]["token"] = b64("kubectl-edit")
        self.assertEqual(self.req("PUT", "ssa-2?fieldManager=kubectl-edit", cur)[0], 200)
        st, d = apply("ssa-2", {"token": b64("mine")}, "ith")
        self.assertStatus((st, d), 409, "Conflict")
        self.assertIn("kubectl-edit", d["message"])
        self.assertStatus(self.req("PATCH", "ssa-2", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ssa-2"}},
                                   ctype="application/apply-patch+yaml"), 400, "BadRequest")   # no fieldManager
        self.assertStatus(self.req("PATCH", "ssa-2?force=true", {"data": {}}, ctype="application/merge-patch+json"),
                          422, "Invalid")                                               # force: apply only
        rv = self.req("GET", "ssa-2")[1]["metadata"]["resourceVersion"]
        st, d = apply("ssa-2", {"token": b64("x")}, "ith", force=True, extra={"metadata": {"name": "ssa-2", "resourceVersion": "1"}})
        self.assertStatus((st, d), 409, "Conflict")                                     # a stale precondition
        st, d = apply("ssa-2", {"token": b64("x")}, "ith", force=True, extra={"metadata": {"name": "ssa-2", "resourceVersion": rv}})
        self.assertEqual(st, 200)
        # RBAC: creating through apply needs "create" on that name as well as "patch"
        self.assertStatus(apply("influx-new", {"token": b64("x")}, "ith", token="rotator-token"), 403, "Forbidden")
        self.assertEqual(apply("influx-applied", {"token": b64("x")}, "ith", token="creator-token")[0], 201)

    def test_auth_and_rbac(self):
        self.create("influx-h1")
        self.create("influx-h9")
        self.assertStatus(self.req("GET", "influx-h1", token=None), 401, "Unauthorized")
        self.assertStatus(self.req("GET", "influx-h1", token="wrong"), 401, "Unauthorized")
        self.assertEqual(self.req("GET", "influx-h1", token="rotator-token")[0], 200)
        st, d = self.req("GET", "influx-h9", token="rotator-token")
        self.assertStatus((st, d), 403, "Forbidden", "influx-h9")
        self.assertEqual(d["message"], 'secrets "influx-h9" is forbidden: User "system:serviceaccount:telegraf:rotator" '
                                       'cannot get resource "secrets" in API group "" in the namespace "telegraf"')
        self.assertStatus(self.req("DELETE", "influx-h1", token="rotator-token"), 403, "Forbidden")   # not a verb
        self.assertStatus(self.req("GET", self.BASE, token="rotator-token"), 403, "Forbidden")       # list: no name
        st, d = self.req("POST", self.BASE, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "influx-h2"}},
                         token="rotator-token")
        self.assertStatus((st, d), 403, "Forbidden")                                   # create: never by name
        self.assertStatus(self.req("GET", "/api/v1/namespaces/default/secrets/influx-h1", token="rotator-token"),
                          403, "Forbidden")
        cur = self.req("GET", "influx-h1", token="rotator-token")[1]
        cur["data"] = {"token": b64("rotated")}
        self.assertEqual(self.req("PUT", "influx-h1", cur, token="rotator-token")[0], 200)
        self.emu.ctl("users", {"token": "temp-token", "name": "temp", "grants": [{"verbs": ["get"]}]})
        self.assertEqual(self.req("GET", "influx-h9", token="temp-token")[0], 200)
        self.emu.ctl("revoke", {"token": "temp-token"})                                # a rotated SA token
        self.assertStatus(self.req("GET", "influx-h9", token="temp-token"), 401, "Unauthorized")

    def test_faults(self):
        self.create("fault-1")
        self.emu.ctl("faults", [{"path": "/fault-1", "count": 1, "status": 403}])
        self.assertStatus(self.req("GET", "fault-1"), 403, "Forbidden")
        self.emu.ctl("faults", [{"path": "/fault-1", "count": 1, "status": 429, "retry_after": 1}])
        st, d, h = self.emu.request("GET", self.BASE + "/fault-1",
                                    headers={"Authorization": "Bearer admin-token-never-logged"})
        self.assertEqual((st, d["reason"], h.get("Retry-After")), (429, "TooManyRequests", "1"))
        self.emu.ctl("faults", [{"path": "/fault-1", "count": 1, "status": 503}])
        self.assertStatus(self.req("GET", "fault-1"), 503, "ServiceUnavailable")
        self.emu.ctl("faults", [{"path": "/fault-1", "count": 1, "close": True}])
        with self.assertRaises((http.client.HTTPException, OSError)):
            self.req("GET", "fault-1")
        self.emu.ctl("faults", [{"path": "/fault-1", "count": 1, "delay": 0.6}])
        t0 = time.monotonic()
        self.assertEqual(self.req("GET", "fault-1")[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.55)
        self.emu.ctl("faults", [{"path": "/fault-1", "count": 1, "delay": 3}])
        with self.assertRaises((TimeoutError, OSError)):
            self.req("GET", "fault-1", timeout=0.5)
        self.emu.ctl("faults", [{"method": "PATCH", "path": "/fault-1", "count": 1, "lost": True}])
        with self.assertRaises((http.client.HTTPException, OSError)):
            self.req("PATCH", "fault-1", {"data": {"token": b64("lost")}}, ctype="application/merge-patch+json")
        self.assertEqual(self.req("GET", "fault-1")[1]["data"]["token"], b64("lost"))     # the write happened
        self.emu.ctl("faults", [{"path": "/fault-1", "count": 1, "body": "{garbled"}])
        self.assertEqual(self.req("GET", "fault-1"), (200, "{garbled"))
        self.assertEqual(self.req("GET", "fault-1")[0], 200)
        self.assertGreaterEqual(self.emu.ctl("stats")["faults_used"], 8)

    def test_faults_from_the_config_file(self):
        with ch.Emulator("k8s", {"namespaces": ["default"], "users": [{"token": "t", "grants": [{"verbs": ["*"]}]}],
                                 "faults": [{"method": "GET", "count": 1, "close": True}]}, self.tmp) as emu:
            h = {"Authorization": "Bearer t"}
            with self.assertRaises((http.client.HTTPException, OSError)):
                emu.request("GET", "/api/v1/namespaces/default/secrets/x", headers=h)
            self.assertEqual(emu.request("GET", "/api/v1/namespaces/default/secrets/x", headers=h)[0], 404)

    def test_request_log_has_no_secret(self):
        self.emu.ctl("clear", {})
        self.req("POST", self.BASE, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "log-1"},
                                     "stringData": {"token": SECRET_VALUE}})
        self.req("PATCH", "log-1?fieldManager=ith", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "log-1"},
                                                     "data": {"token": b64(SECRET_VALUE)}},
                 ctype="application/apply-patch+yaml")
        self.req("GET", "log-1", token="some-other-token-never-logged")
        log = self.emu.ctl("requests")
        text = json.dumps(log)
        for s in (SECRET_VALUE, b64(SECRET_VALUE), "admin-token-never-logged", "some-other-token-never-logged"):
            self.assertNotIn(s, text)
        self.assertEqual((log[0]["method"], log[0]["user"], log[0]["stringData_keys"]), ("POST", "admin", ["token"]))
        self.assertEqual((log[1]["field_manager"], log[1]["content_type"], log[1]["data_keys"]),
                         ("ith", "application/apply-patch+yaml", ["token"]))
        self.assertEqual(log[2]["user"], "unknown")
        self.assertGreaterEqual(self.emu.ctl("connections")["connections"], 3)


def _timeout(signum, frame):
    raise TimeoutError("test_central_emulators.py ran past its bound")


if __name__ == "__main__":
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(240)
    unittest.main(verbosity=2)
