#!/usr/bin/env python3
"""The emulator itself: the spec's status codes and strict request checks.

The scenarios trust the emulator to refuse what the real API refuses; this
proves it does, so a helper bug cannot hide behind a lenient emulator.
"""
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


class EmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ith-emu-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.account, cls.cluster = str(uuid.uuid4()), str(uuid.uuid4())
        cls.mgmt = "mgmt_" + secrets.token_hex(16)
        tok = os.path.join(cls.tmp, "t")
        with os.fdopen(os.open(tok, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(cls.mgmt)
        port_file = os.path.join(cls.tmp, "port")
        cls.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "emulator.py"), "--account", cls.account,
                                     "--cluster", cls.cluster, "--mgmt-token-file", tok, "--port-file", port_file])
        for _ in range(500):
            if os.path.exists(port_file):
                break
            time.sleep(0.02)
        cls.port = int(open(port_file).read())
        cls.path = "/api/v0/accounts/%s/clusters/%s/tokens" % (cls.account, cls.cluster)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def req(self, method, path=None, body=None, auth=True, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = {"Accept": "application/json"}
        if auth:
            h["Authorization"] = "Bearer " + self.mgmt
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body) if not isinstance(body, str) else body
        h.update(headers or {})
        c.request(method, path or self.path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if data else None)

    def future(self, secs=3600):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + secs))

    def test_create_get_list_update_delete(self):
        st, t = self.req("POST", body={"description": "d", "permissions": [{"action": "write", "resource": "db"}],
                                       "expiresAt": self.future()})
        self.assertEqual(st, 200)
        self.assertTrue(t["accessToken"].startswith("apiv1_"))
        st, g = self.req("GET", self.path + "/" + t["id"])
        self.assertEqual(st, 200)
        self.assertNotIn("accessToken", g)
        st, l = self.req("GET")
        self.assertEqual(st, 200)
        self.assertTrue(all("accessToken" not in x for x in l))
        st, u = self.req("PATCH", self.path + "/" + t["id"], body={"permissions": []})
        self.assertEqual((st, u["permissions"]), (200, []))
        st, d = self.req("DELETE", self.path + "/" + t["id"])
        self.assertEqual((st, d), (204, None))
        st, g = self.req("GET", self.path + "/" + t["id"])
        self.assertTrue(g["revokedAt"])
        st, e = self.req("DELETE", self.path + "/" + str(uuid.uuid4()))
        self.assertEqual(st, 404)
        self.assertEqual(set(e), {"code", "message"})

    def test_strict_checks(self):
        cases = [
            ({"permissions": []}, 400),                                            # no description
            ({"description": "d", "permissions": {}}, 400),                        # permissions shape
            ({"description": "d", "permissions": [{"action": "admin", "resource": "x"}]}, 400),
            ({"description": "d", "permissions": [{"action": "read", "resource": "x" * 65}]}, 400),
            ({"description": "d", "expiresAt": "tomorrow"}, 400),                  # not RFC 3339
            ({"description": "d", "expiresAt": "2001-01-01T00:00:00Z"}, 400),      # past
            ({"description": "d", "expirationType": "datetime"}, 400),             # not in the spec
        ]
        for body, want in cases:
            st, e = self.req("POST", body=body)
            self.assertEqual(st, want, body)
            self.assertEqual(e["code"], want)
        self.assertEqual(self.req("GET", auth=False)[0], 401)
        self.assertEqual(self.req("GET", headers={"Authorization": "Bearer wrong"})[0], 401)
        self.assertEqual(self.req("GET", headers={"Accept": "text/plain"})[0], 400)
        self.assertEqual(self.req("GET", "/api/v0/accounts/x/clusters/%s/tokens" % self.cluster)[0], 400)
        self.assertEqual(self.req("GET", "/api/v0/accounts/%s/clusters/%s/tokens" % (uuid.uuid4(), self.cluster))[0], 403)
        self.assertEqual(self.req("GET", self.path + "/not-a-uuid")[0], 400)
        self.assertEqual(self.req("POST", body="{", headers={})[0], 400)
        self.assertEqual(self.req("POST", body={"description": "d"}, headers={"Content-Type": "text/plain"})[0], 400)

    def test_connections_counted(self):
        def conns():
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            c.request("GET", "/_emu/connections")
            n = json.loads(c.getresponse().read())["connections"]
            c.close()
            return n
        before = conns()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for _ in range(3):  # keep-alive: three requests, one connection
            c.request("GET", self.path, headers={"Accept": "application/json", "Authorization": "Bearer " + self.mgmt})
            c.getresponse().read()
        c.close()
        self.assertEqual(conns() - before, 1)

    def ctl(self, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST" if body is not None else "GET", "/_emu/" + path, body=None if body is None else json.dumps(body))
        data = json.loads(c.getresponse().read() or b"null")
        c.close()
        return data

    def test_random_faults_and_date_shift(self):
        """The soak's injected faults: at the configured rate, seeded, counted, and off again; the Date header
        shifted on request."""
        before = self.ctl("stats")["random_faults"]
        self.ctl("config", {"random_faults": {"rate": 1.0, "seed": 7, "delay": 0.1}})
        statuses = []
        for _ in range(8):
            try:
                statuses.append(self.req("GET")[0])
            except (http.client.HTTPException, OSError):
                statuses.append("closed")
        self.assertEqual(self.ctl("stats")["random_faults"] - before, 8)
        self.assertTrue(any(s in (500, 503, "closed") for s in statuses), statuses)
        self.ctl("config", {"random_faults": None})
        self.assertEqual(self.req("GET")[0], 200)
        self.assertEqual(self.ctl("stats")["random_faults"] - before, 8)
        self.ctl("config", {"date_shift": -86400})
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/_emu/stats")
        r = c.getresponse()
        r.read()
        c.close()
        import email.utils
        self.assertLess(email.utils.parsedate_to_datetime(r.getheader("Date")).timestamp(), time.time() - 86000)
        self.ctl("config", {"date_shift": 0})


if __name__ == "__main__":
    unittest.main(verbosity=2)
