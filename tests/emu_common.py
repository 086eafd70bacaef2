"""What the test emulators share: tests/emulator.py (the Management API), tests/vault_emulator.py (Vault KV v2)
and tests/k8s_emulator.py (core v1 Secrets).

- EmuHandler: HTTP/1.1, quiet, a capped request body, the connections counted once they carry an API request,
  and the injected faults every emulator answers alike (a delay, a closed connection, a raw body, a lost answer).
- The control endpoints the central emulators share (/_emu/requests, clear, connections, stats, faults).
- The command line and the server: 127.0.0.1 only, optional TLS, the bound port written atomically to a file.

Each emulator keeps its own API, its own error bodies and the order in which it reads a fault's fields.
"""
import io
import json
import os
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EmuHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    max_body = 1 << 20   # a larger body: read_body() gives None (the emulator answers 413)

    def setup(self):
        super().setup()
        self.counted = False  # a connection counts once it carries an API request

    def log_message(self, fmt, *args):  # quiet: tests read /_emu/requests
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > self.max_body:
            return None
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def count_connection(self, st):
        """Count this connection once (st.lock held)."""
        if not self.counted:
            self.counted = True
            st.connections += 1

    # ---- injected faults ----
    def fault_stall(self, fault):
        """A fault's delay, then its closed connection: True when the connection was closed (no answer)."""
        if fault.get("delay"):
            time.sleep(min(float(fault["delay"]), 60))
        if fault.get("close"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        return False

    def send_raw(self, status, raw):
        """A raw answer as given (garbled or off-spec)."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def run_silently(self, run):
        """Run the request (run()) but throw its answer away."""
        real = self.wfile
        self.wfile = io.BytesIO()
        try:
            run()
        finally:
            self.wfile = real

    def lose_answer(self, run):
        """The change is made, the answer lost: run() silently, then the connection closed."""
        self.run_silently(run)
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def answer_fault(self, fault, run_silently_api):
        """The central emulators' order: delay, close, raw body, status (self.fault_error), lost.
        True when the fault answered the request."""
        if self.fault_stall(fault):
            return True
        if "body" in fault:
            self.send_raw(int(fault.get("status", 200)), fault["body"].encode())
            return True
        if "status" in fault:
            extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
            self.fault_error(fault, extra)
            return True
        if fault.get("lost"):
            self.lose_answer(run_silently_api)
            return True
        return False

    def fault_error(self, fault, headers):
        raise NotImplementedError

    # ---- control ----
    def common_control(self, st, method, p):
        """The control endpoints the central emulators share (st.lock held): True when answered."""
        if p == "/_emu/requests" and method == "GET":
            self.send_json(200, st.requests)
        elif p == "/_emu/clear" and method == "POST":
            st.requests = []
            self.send_json(200, {})
        elif p == "/_emu/connections":
            self.send_json(200, {"connections": st.connections})
        elif p == "/_emu/stats":
            self.send_json(200, {"faults_used": st.faults_used})
        else:
            return False
        return True


def take_fault(st, method, path):
    """The central emulators' first armed fault matching the request, its count used up (st.lock held)."""
    for f in st.faults:
        if f.get("count", 0) > 0 and f.get("method", method) == method and f.get("path", "") in path:
            f["count"] -= 1
            st.faults_used += 1
            return f
    return None


def add_server_args(ap):
    ap.add_argument("--port-file", required=True, metavar="FILE",
                    help="where the bound port is written (atomically) once the server listens")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: any free port)")
    ap.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (PEM, key included)")


def load_config(path):
    """The JSON of --config (a file), or {}."""
    if not path:
        return {}
    with open(path) as f:
        return json.load(f)


def serve(handler, state, a):
    """Listen on 127.0.0.1 (a.port, a.tls_cert), write the port to a.port_file, serve until interrupted."""
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), handler)
    srv.daemon_threads = True
    srv.state = state
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
