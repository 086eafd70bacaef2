"""Starting and talking to the central-rotation emulators (tests/vault_emulator.py, tests/k8s_emulator.py).

Used by tests/test_central_emulators.py and tests/contract/run_central_contract.py (and later the
scenarios of the vault and kubernetes sinks). Secrets go to the emulators in a 0600 config file, never
on a command line. Every process started here is stopped by Emulator.stop (or the context manager).
"""
import http.client
import itertools
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_serial = itertools.count()
SCRIPTS = {"vault": os.path.join(HERE, "vault_emulator.py"), "k8s": os.path.join(HERE, "k8s_emulator.py")}


class Emulator:
    """One emulator process on 127.0.0.1 with its config in tmp; .port once it listens."""

    def __init__(self, kind, config, tmp, start_timeout=15):
        self.kind = kind
        self.tmp = tmp
        stem = os.path.join(tmp, "%s-%d" % (kind, next(_serial)))  # several emulators may share tmp
        cfg = stem + "-config.json"
        with os.fdopen(os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            json.dump(config, f)
        port_file = stem + "-port"
        self.proc = subprocess.Popen([sys.executable, SCRIPTS[kind], "--config", cfg, "--port-file", port_file],
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + start_timeout
        while not os.path.exists(port_file):
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("%s emulator did not start" % kind)
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def request(self, method, path, body=None, headers=None, port=None, timeout=10, raw=False):
        """(status, parsed JSON body or None, headers) of one request on a fresh connection."""
        return request(method, port or self.port, path, body, headers, timeout, raw)

    def ctl(self, path, body=None):
        st, data, _ = self.request("POST" if body is not None else "GET", "/_emu/" + path, body)
        if st != 200:
            raise RuntimeError("control %s: %s %s" % (path, st, data))
        return data


def request(method, port, path, body=None, headers=None, timeout=10, raw=False):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
    finally:
        c.close()
    if raw:
        return r.status, data, dict(r.getheaders())
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data.decode("utf-8", "replace")
    return r.status, parsed, dict(r.getheaders())
