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


def stop_process(proc):
    """Terminate proc (started by the caller) and reap it; killed when it has not ended within 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_port(proc, port_file, timeout, what):
    """The port an emulator wrote to port_file once it listens; proc stopped and RuntimeError when it does not
    within timeout seconds, or ends first."""
    deadline = time.time() + timeout
    while not os.path.exists(port_file):
        if time.time() > deadline or proc.poll() is not None:
            stop_process(proc)
            raise RuntimeError("%s did not start" % what)
        time.sleep(0.02)
    with open(port_file) as f:
        return int(f.read())


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
        self.port = wait_port(self.proc, port_file, start_timeout, "%s emulator" % kind)

    def stop(self):
        stop_process(self.proc)

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
